"""An independent check of a placement against the raw instance dict.

It shares no code with the reader or the solvers: the review order, eligibility and the lab's
choice rule are derived again here from the instance as given, so a mistake in the solvers
cannot hide itself. The lab's choice is applied literally (pins first, then a walk in the lab's
order while a seat is left and the organisation is under its cap); to keep it linear, each lab's
walk over the students it holds is done once, and a newcomer is then placed into it by binary
search: the walk up to the newcomer's turn does not depend on the newcomer.

The instance is expected to have passed the reader's checks.
"""

from __future__ import annotations

import random
from bisect import bisect_left
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
    lab_views: dict[str, _LabView] = {}
    blocking_pairs = []
    for student_id, student in students.items():
        if student_id in pins:
            continue  # organisers fixed this student; no lab can win them away
        preferences = student["preferences"]
        current = assignments.get(student_id)
        if current in preferences:
            preferred = preferences[: preferences.index(current)]
        else:
            preferred = preferences  # unplaced, or placed against the rules
        for lab_id in preferred:
            lab = labs[lab_id]
            if _unmet_rules(student, lab):
                continue
            view = lab_views.get(lab_id)
            if view is None:
                view = lab_views[lab_id] = _LabView(
                    lab, holders[lab_id], students, pins, review_position
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
    """A lab's walk over the students it holds, ready to answer: would it admit a newcomer?"""

    def __init__(
        self,
        lab: dict,
        held: list[str],
        students: dict[str, dict],
        pins: dict[str, str],
        review_position: dict[str, int],
    ) -> None:
        self.capacity = lab["capacity"]
        self.cap = lab.get("organisation_cap")
        self.ranking_position = {
            student_id: position for position, student_id in enumerate(lab.get("ranking") or [])
        }
        self.review_position = review_position

        pinned = [student_id for student_id in held if pins.get(student_id) == lab["id"]]
        walkers = sorted(
            (self.order_key(student_id), student_id)
            for student_id in held
            if pins.get(student_id) != lab["id"]
        )
        self.pinned_per_organisation = Counter(students[s]["organisation"] for s in pinned)
        admitted = len(pinned)
        admitted_per_organisation = Counter(self.pinned_per_organisation)
        self.walker_keys = [key for key, _ in walkers]
        self.admitted_before = []  # admitted_before[i]: seats taken when walker i's turn comes
        self.admitted_keys_per_organisation: dict[str, list] = {}
        for key, student_id in walkers:
            self.admitted_before.append(admitted)
            organisation = students[student_id]["organisation"]
            if admitted < self.capacity and (
                self.cap is None or admitted_per_organisation[organisation] < self.cap
            ):
                admitted += 1
                admitted_per_organisation[organisation] += 1
                self.admitted_keys_per_organisation.setdefault(organisation, []).append(key)
        self.admitted_before.append(admitted)

    def order_key(self, student_id: str) -> tuple[int, int]:
        """The lab's own ranking first, then everyone else in the review order."""
        if student_id in self.ranking_position:
            return (0, self.ranking_position[student_id])
        return (1, self.review_position[student_id])

    def would_admit(self, student_id: str, organisation: str) -> bool:
        key = self.order_key(student_id)
        turn = bisect_left(self.walker_keys, key)
        if self.admitted_before[turn] >= self.capacity:
            return False
        if self.cap is None:
            return True
        same_organisation_before = self.pinned_per_organisation[organisation] + bisect_left(
            self.admitted_keys_per_organisation.get(organisation, []), key
        )
        return same_organisation_before < self.cap
