"""An independent check of a placement against the raw instance dict.

It shares no code with the reader or the solvers: the review order, eligibility and the lab's
choice rule are derived again here from the instance as given, so a mistake in the solvers
cannot hide itself. The lab's choice is applied literally (pins first, then a walk in the lab's
order while a seat is left and the organisation is under its cap). To keep it linear, each lab's
walk over the students it holds is done once: the walk up to a newcomer's turn does not depend
on the newcomer, so the newcomer is admitted exactly when their turn comes before the seats, and
before their organisation's places, ran out. Each lab's walk is summed up once, as those two
points, before any student is checked against it.

The instance is expected to have passed the reader's checks.
"""

from __future__ import annotations

import math
import random
from collections import Counter


def verify(instance: dict, assignments: dict[str, str | None], seed: int | None = None) -> dict:
    """Every violated rule and every blocking pair of `assignments` (student id -> lab id).

    `seed` overrides the instance's seed for the lottery, as in solve(); the default seed is 0.
    Returns {"blocking_pairs": [{"student": ..., "lab": ...}], "violations": [message, ...]}.
    """
    students = {entry["id"]: entry for entry in instance["students"]}
    labs = {entry["id"]: entry for entry in instance["labs"]}
    pins = instance.get("pins") or {}
    if seed is None:
        seed = instance.get("seed")
    if seed is None:
        seed = 0

    violations: list[str] = []
    if assignments.keys() != students.keys():  # else neither loop below can find anything
        for student_id in assignments:
            if student_id not in students:
                violations.append(f"student '{student_id}' is not in the instance")
        for student_id in students:
            if student_id not in assignments:
                violations.append(f"student '{student_id}' is missing from the assignments")
    holders: dict[str, list[str]] = {lab_id: [] for lab_id in labs}
    # Per student with any, the labs they rank above their place: every lab they rank when
    # unplaced, or placed at a lab they did not rank (who are also noted in `unranked`).
    preferred: dict[str, list[str]] = {}
    unranked: set[str] = set()
    for student_id, student in students.items():
        preferences = student["preferences"]
        lab_id = assignments.get(student_id)
        held = holders.get(lab_id) if lab_id is not None else None
        if held is None:
            if lab_id is not None:
                violations.append(f"student '{student_id}' is placed at unknown lab '{lab_id}'")
            preferred[student_id] = preferences
            continue
        held.append(student_id)
        try:
            rank = preferences.index(lab_id)
        except ValueError:
            preferred[student_id] = preferences
            unranked.add(student_id)
            continue
        if rank:  # else placed at their first choice, the common case: nothing to check
            preferred[student_id] = preferences[:rank]

    for student_id, pinned_lab in pins.items():
        placed = assignments.get(student_id)
        if placed != pinned_lab:
            where = "unplaced" if placed is None else f"placed at lab '{placed}'"
            violations.append(f"student '{student_id}' is pinned to lab '{pinned_lab}' but {where}")

    review_position = _review_positions(instance, students, seed)
    walks = {}
    for lab_id, lab in labs.items():
        walk = _LabWalk(lab, holders[lab_id], students, pins, unranked, review_position)
        walks[lab_id] = walk
        violations.extend(walk.violations)
    # A student the lab does not rank is refused when their review position is at or past
    # this point, whatever their organisation or eligibility: nearly every pair ends here.
    refused_from = {
        lab_id: math.inf if walk.ranking_position else walk.seats_gone_after
        for lab_id, walk in walks.items()
    }
    blocking_pairs = []
    for student_id, higher in preferred.items():
        if not higher or student_id in pins:
            continue  # nothing ranked higher, or fixed by the organisers: no lab can win them
        student = students[student_id]
        in_review = review_position[student_id]
        for lab_id in higher:
            if in_review >= refused_from[lab_id]:
                continue
            if walks[lab_id].would_admit(student_id, student, in_review):
                blocking_pairs.append({"student": student_id, "lab": lab_id})

    return {"blocking_pairs": blocking_pairs, "violations": violations}


def _review_positions(instance: dict, students: dict[str, dict], seed: int) -> dict[str, int]:
    """The organisers' priority list first, then everyone else in an order drawn by lottery."""
    listed = list(instance.get("priority") or [])
    listed_set = set(listed)
    unlisted = [student_id for student_id in students if student_id not in listed_set]
    random.Random(seed).shuffle(unlisted)
    return {student_id: position for position, student_id in enumerate(listed + unlisted)}


class _LabWalk:
    """A lab's rules, the rules broken by the students it holds, and its walk over them summed
    up as the points where it runs out.

    Keys order students as the lab does: its ranking first (key = position in the ranking),
    then the review order (key = length of the ranking + review position). A newcomer is
    admitted when its key is below both `seats_gone_after` and its organisation's entry in
    `places_gone_after` (-1: gone before the walk starts).
    """

    __slots__ = (
        "min_age",
        "languages",
        "ranking_position",
        "ranking_length",
        "seats_gone_after",
        "places_gone_after",
        "violations",
    )

    def __init__(
        self,
        lab: dict,
        held: list[str],
        students: dict[str, dict],
        pins: dict[str, str],
        unranked: set[str],
        review_position: dict[str, int],
    ) -> None:
        lab_id, capacity, cap = lab["id"], lab["capacity"], lab.get("organisation_cap")
        self.min_age = min_age = lab.get("min_age")
        self.languages = required = frozenset(lab.get("languages") or ())
        ranking = lab.get("ranking") or []
        self.ranking_position = {student_id: place for place, student_id in enumerate(ranking)}
        self.ranking_length = len(ranking)

        entries = [students[student_id] for student_id in held]
        organisations = [entry["organisation"] for entry in entries]
        pinned_here = [student_id for student_id in held if pins.get(student_id) == lab_id]

        # Most labs have no rule a student could break by being there: only the others, or
        # labs holding a student who did not rank them, need each student looked at.
        self.violations = violations = []
        if min_age is not None or required or (unranked and not unranked.isdisjoint(held)):
            for student_id, entry in zip(held, entries):
                if student_id in unranked and pins.get(student_id) != lab_id:
                    violations.append(
                        f"student '{student_id}' is placed at lab '{lab_id}', "
                        "which they did not rank"
                    )
                if min_age is not None and entry["age"] < min_age:
                    violations.append(
                        f"student '{student_id}' is placed at lab '{lab_id}' "
                        f"whose minimum age is {min_age} (student's age: {entry['age']})"
                    )
                if required and required.isdisjoint(entry["languages"]):
                    violations.append(
                        f"student '{student_id}' is placed at lab '{lab_id}' "
                        "without a common working language"
                    )
        if len(held) > capacity:
            violations.append(
                f"lab '{lab_id}' holds {len(held)} students but has capacity {capacity}"
            )
        if cap is not None and len(held) > cap:  # fewer students cannot exceed the cap
            for organisation, count in Counter(organisations).items():
                if count > cap:
                    violations.append(
                        f"lab '{lab_id}' holds {count} students from '{organisation}' "
                        f"but its organisation_cap is {cap}"
                    )

        # The walk: pinned students first, then the others in the lab's order.
        admitted = len(pinned_here)
        admitted_per_organisation: dict[str, int] = {}
        for student_id in pinned_here:
            organisation = students[student_id]["organisation"]
            admitted_per_organisation[organisation] = (
                admitted_per_organisation.get(organisation, 0) + 1
            )
        self.seats_gone_after: float = -1 if admitted >= capacity else math.inf
        self.places_gone_after: dict[str, float] = {}
        if cap is not None:
            for organisation, count in admitted_per_organisation.items():
                if count >= cap:
                    self.places_gone_after[organisation] = -1
        if pinned_here:
            walkers = [
                (self.order_key(student_id, review_position), organisation)
                for student_id, organisation in zip(held, organisations)
                if pins.get(student_id) != lab_id
            ]
        elif ranking:
            walkers = [
                (self.order_key(student_id, review_position), organisation)
                for student_id, organisation in zip(held, organisations)
            ]
        else:
            walkers = list(zip(map(review_position.__getitem__, held), organisations))
        walkers.sort()
        for key, organisation in walkers:
            if admitted >= capacity:
                break
            count = admitted_per_organisation.get(organisation, 0)
            if cap is not None and count >= cap:
                continue
            admitted += 1
            admitted_per_organisation[organisation] = count + 1
            if admitted == capacity:
                self.seats_gone_after = key
            if cap is not None and count + 1 == cap:
                self.places_gone_after[organisation] = key

    def would_admit(self, student_id: str, student: dict, in_review: int) -> bool:
        """Whether the student may take the lab and its choice from its students plus them
        includes them."""
        if self.min_age is not None and student["age"] < self.min_age:
            return False
        if self.languages and self.languages.isdisjoint(student["languages"]):
            return False
        position = self.ranking_position.get(student_id)
        key = self.ranking_length + in_review if position is None else position
        return key < self.seats_gone_after and key < self.places_gone_after.get(
            student["organisation"], math.inf
        )

    def order_key(self, student_id: str, review_position: dict[str, int]) -> int:
        if self.ranking_position:
            position = self.ranking_position.get(student_id)
            if position is not None:
                return position
        return self.ranking_length + review_position[student_id]
