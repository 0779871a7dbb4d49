"""An independent check of a placement against the raw instance dict.

It shares no code with the reader or the solvers: the review order, eligibility and the lab's
choice rule are derived again here from the instance as given, so a mistake in the solvers
cannot hide itself. The lab's choice is applied literally (pins first, then a walk in the lab's
order while a seat is left and the organisation is under its cap). To keep it linear, each lab's
walk over the students it holds is done once: the walk up to a newcomer's turn does not depend
on the newcomer, so the newcomer is admitted exactly when their turn comes before the seats, and
before their organisation's places, ran out.

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
    holders: dict[str, list[str]] = {lab_id: [] for lab_id in labs}
    for student_id in assignments:
        if student_id not in students:
            violations.append(f"student '{student_id}' is not in the instance")
    for student_id in students:
        if student_id not in assignments:
            violations.append(f"student '{student_id}' is missing from the assignments")
            continue
        lab_id = assignments[student_id]
        if lab_id is None:
            continue
        if lab_id in labs:
            holders[lab_id].append(student_id)
        else:
            violations.append(f"student '{student_id}' is placed at unknown lab '{lab_id}'")

    for student_id, pinned_lab in pins.items():
        placed = assignments.get(student_id)
        if placed != pinned_lab:
            where = "unplaced" if placed is None else f"placed at lab '{placed}'"
            violations.append(f"student '{student_id}' is pinned to lab '{pinned_lab}' but {where}")

    for lab_id, held in holders.items():
        violations.extend(_lab_violations(labs[lab_id], held, students, pins))

    review_position = _review_positions(instance, students, seed)
    lab_rules = {
        lab_id: (lab.get("min_age"), frozenset(lab.get("languages") or ()))
        for lab_id, lab in labs.items()
    }
    lab_views: dict[str, _LabView] = {}
    blocking_pairs = []
    for student_id, student in students.items():
        if student_id in pins:
            continue  # organisers fixed this student; no lab can win them away
        age, spoken = student["age"], frozenset(student["languages"])
        preferences = student["preferences"]
        current = assignments.get(student_id)
        if current in preferences:
            preferred = preferences[: preferences.index(current)]
        else:
            preferred = preferences  # unplaced, or placed against the rules
        for lab_id in preferred:
            min_age, required = lab_rules[lab_id]
            if (min_age is not None and age < min_age) or (required and required.isdisjoint(spoken)):
                continue  # the student may not take this lab
            view = lab_views.get(lab_id)
            if view is None:
                view = lab_views[lab_id] = _LabView(
                    labs[lab_id], holders[lab_id], students, pins, review_position
                )
            if view.would_admit(student_id, student["organisation"]):
                blocking_pairs.append({"student": student_id, "lab": lab_id})

    return {"blocking_pairs": blocking_pairs, "violations": violations}


def _review_positions(instance: dict, students: dict[str, dict], seed: int) -> dict[str, int]:
    """The organisers' priority list first, then everyone else in an order drawn by lottery."""
    listed = list(instance.get("priority") or [])
    listed_set = set(listed)
    unlisted = [student_id for student_id in students if student_id not in listed_set]
    random.Random(seed).shuffle(unlisted)
    return {student_id: position for position, student_id in enumerate(listed + unlisted)}


def _unmet_rules(student: dict, lab: dict) -> list[str]:
    unmet = []
    min_age = lab.get("min_age")
    if min_age is not None and student["age"] < min_age:
        unmet.append(f"whose minimum age is {min_age} (student's age: {student['age']})")
    required = lab.get("languages") or []
    if required and not set(required) & set(student["languages"]):
        unmet.append("without a common working language")
    return unmet


def _lab_violations(
    lab: dict, held: list[str], students: dict[str, dict], pins: dict[str, str]
) -> list[str]:
    lab_id = lab["id"]
    violations = []
    for student_id in held:
        student = students[student_id]
        if pins.get(student_id) != lab_id and lab_id not in student["preferences"]:
            violations.append(
                f"student '{student_id}' is placed at lab '{lab_id}', which they did not rank"
            )
        for rule in _unmet_rules(student, lab):
            violations.append(f"student '{student_id}' is placed at lab '{lab_id}' {rule}")
    if len(held) > lab["capacity"]:
        violations.append(
            f"lab '{lab_id}' holds {len(held)} students but has capacity {lab['capacity']}"
        )
    cap = lab.get("organisation_cap")
    if cap is not None:
        per_organisation = Counter(students[student_id]["organisation"] for student_id in held)
        for organisation, count in per_organisation.items():
            if count > cap:
                violations.append(
                    f"lab '{lab_id}' holds {count} students from '{organisation}' "
                    f"but its organisation_cap is {cap}"
                )
    return violations


class _LabView:
    """A lab's walk over the students it holds, summed up as the points where it runs out.

    Keys order students as the lab does: its ranking first (key = position in the ranking),
    then the review order (key = length of the ranking + review position).
    """

    def __init__(
        self,
        lab: dict,
        held: list[str],
        students: dict[str, dict],
        pins: dict[str, str],
        review_position: dict[str, int],
    ) -> None:
        ranking = lab.get("ranking") or []
        self.ranking_position = {student_id: position for position, student_id in enumerate(ranking)}
        self.ranking_length = len(ranking)
        self.review_position = review_position

        capacity, cap = lab["capacity"], lab.get("organisation_cap")
        pinned = [student_id for student_id in held if pins.get(student_id) == lab["id"]]
        walkers = sorted(
            (student_id for student_id in held if pins.get(student_id) != lab["id"]),
            key=self.order_key,
        )
        admitted = len(pinned)
        admitted_per_organisation = Counter(students[s]["organisation"] for s in pinned)

        # A newcomer whose key is above one of these reaches its turn in the walk after the
        # seats, or its organisation's places, are gone. -1 means gone before the walk starts.
        self.seats_gone_after = -1 if admitted >= capacity else math.inf
        self.places_gone_after: dict[str, float] = {}
        if cap is not None:
            for organisation, count in admitted_per_organisation.items():
                if count >= cap:
                    self.places_gone_after[organisation] = -1
        for student_id in walkers:
            if admitted >= capacity:
                break
            organisation = students[student_id]["organisation"]
            if cap is not None and admitted_per_organisation[organisation] >= cap:
                continue
            admitted += 1
            admitted_per_organisation[organisation] += 1
            key = self.order_key(student_id)
            if admitted == capacity:
                self.seats_gone_after = key
            if cap is not None and admitted_per_organisation[organisation] == cap:
                self.places_gone_after[organisation] = key

    def order_key(self, student_id: str) -> int:
        if student_id in self.ranking_position:
            return self.ranking_position[student_id]
        return self.ranking_length + self.review_position[student_id]

    def would_admit(self, student_id: str, organisation: str) -> bool:
        """Whether the lab's choice from its students plus this one includes this one."""
        key = self.order_key(student_id)
        return key < self.seats_gone_after and key < self.places_gone_after.get(organisation, math.inf)
