"""Random instances and plain, slow oracles for the matching tests.

The oracles follow the issue's definitions word for word (the lab walks the whole set in its
order; a blocking pair is checked one lab choice at a time); they are meant to be obviously
right, not fast.
"""

from __future__ import annotations

import itertools
import random

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

ORGANISATIONS = ("kumamoto", "lyon", "porto")
LANGUAGES = ("en", "de", "fr")

# The number of examples is the Hypothesis profile's (tests/conftest.py: many under CI=true, few
# at the desk); the brute-force oracles, slower, take half as many.
property_settings = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
brute_force_settings = settings(
    max_examples=max(10, settings.default.max_examples // 2),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def instances(
    draw,
    max_students: int = 12,
    max_labs: int = 4,
    caps: bool = True,
    eligibility: bool = True,
    pins: bool = True,
    rankings: bool = True,
    min_capacity: int = 0,
    min_students: int = 0,
) -> dict:
    """A valid instance; every optional feature can be switched off."""
    lab_ids = [f"lab-{number}" for number in range(draw(st.integers(1, max_labs)))]
    student_ids = [f"s{number}" for number in range(draw(st.integers(min_students, max_students)))]

    students = []
    for student_id in student_ids:
        ranked = draw(st.permutations(lab_ids))
        students.append(
            {
                "id": student_id,
                # One organisation sends most students, so organisation caps often bind.
                "organisation": draw(st.sampled_from(ORGANISATIONS[:1] * 3 + ORGANISATIONS)),
                "age": draw(st.integers(15, 19)) if eligibility else 18,
                "languages": draw(st.lists(st.sampled_from(LANGUAGES), min_size=1, max_size=2, unique=True))
                if eligibility
                else ["en"],
                "preferences": ranked[: draw(st.integers(0, len(lab_ids)))],
            }
        )

    labs = []
    for lab_id in lab_ids:
        lab: dict = {"id": lab_id, "capacity": draw(st.integers(min_capacity, 3))}
        if caps:
            cap = draw(st.sampled_from((None, 1, 1, 2)))
            if cap is not None:
                lab["organisation_cap"] = cap
        if eligibility:
            min_age = draw(st.one_of(st.none(), st.integers(16, 18)))
            if min_age is not None:
                lab["min_age"] = min_age
            lab["languages"] = draw(st.lists(st.sampled_from(LANGUAGES), max_size=2, unique=True))
        if rankings and student_ids and draw(st.booleans()):
            order = draw(st.permutations(student_ids))
            lab["ranking"] = order[: draw(st.integers(0, len(order)))]
        labs.append(lab)

    instance: dict = {"students": students, "labs": labs}
    if student_ids and draw(st.booleans()):
        order = draw(st.permutations(student_ids))
        instance["priority"] = order[: draw(st.integers(0, len(order)))]
    if draw(st.booleans()):
        instance["seed"] = draw(st.integers(0, 1000))
    if pins and students:
        instance["pins"] = draw(_pins(students, labs))
    return instance


@st.composite
def _pins(draw, students: list[dict], labs: list[dict]) -> dict[str, str]:
    """Pins to labs the student can take, within capacity and organisation caps."""
    pins: dict[str, str] = {}
    for student in students:
        if draw(st.integers(0, 4)) != 0:
            continue  # about one student in five is pinned
        open_labs = [
            lab
            for lab in labs
            if eligible(student, lab) and fits(lab, student, [s for s in students if pins.get(s["id"]) == lab["id"]])
        ]
        if open_labs:
            pins[student["id"]] = draw(st.sampled_from(open_labs))["id"]
    return pins


def fits(lab: dict, student: dict, holders: list[dict]) -> bool:
    """Whether `student` can join `holders` at `lab` without breaking its capacity or cap."""
    if len(holders) + 1 > lab["capacity"]:
        return False
    cap = lab.get("organisation_cap")
    same = sum(1 for holder in holders if holder["organisation"] == student["organisation"])
    return cap is None or same + 1 <= cap


def eligible(student: dict, lab: dict) -> bool:
    if lab.get("min_age") is not None and student["age"] < lab["min_age"]:
        return False
    required = lab.get("languages") or []
    return not required or any(language in required for language in student["languages"])


def acceptable(student: dict, lab: dict) -> bool:
    return lab["id"] in student["preferences"] and eligible(student, lab)


def review_order(instance: dict, seed: int | None = None) -> list[str]:
    if seed is None:
        seed = instance.get("seed", 0)
    listed = list(instance.get("priority", []))
    rest = [s["id"] for s in instance["students"] if s["id"] not in listed]
    random.Random(seed).shuffle(rest)
    return listed + rest


def lab_order(lab: dict, order: list[str]) -> list[str]:
    ranking = list(lab.get("ranking", []))
    return ranking + [student_id for student_id in order if student_id not in ranking]


def lab_choice(instance: dict, lab: dict, candidates: set[str], order: list[str]) -> set[str]:
    """The issue's rule: pinned first, then walk the lab's order while seats and cap allow."""
    by_id = {s["id"]: s for s in instance["students"]}
    pins = instance.get("pins", {})
    chosen = [s for s in candidates if pins.get(s) == lab["id"]]
    for student_id in lab_order(lab, order):
        if student_id not in candidates or student_id in chosen:
            continue
        same = sum(
            1 for c in chosen if by_id[c]["organisation"] == by_id[student_id]["organisation"]
        )
        cap = lab.get("organisation_cap")
        if len(chosen) < lab["capacity"] and (cap is None or same < cap):
            chosen.append(student_id)
    return set(chosen)


def prefers(student: dict, lab_id: str, current: str | None) -> bool:
    preferences = student["preferences"]
    if lab_id not in preferences:
        return False
    return current not in preferences or preferences.index(lab_id) < preferences.index(current)


def blocking_pairs(instance: dict, assignments: dict, seed: int | None = None) -> list[tuple[str, str]]:
    order = review_order(instance, seed)
    pins = instance.get("pins", {})
    pairs = []
    for student in instance["students"]:
        if student["id"] in pins:
            continue
        for lab in instance["labs"]:
            if not acceptable(student, lab) or not prefers(student, lab["id"], assignments[student["id"]]):
                continue
            holders = {s for s, placed in assignments.items() if placed == lab["id"]}
            if student["id"] in lab_choice(instance, lab, holders | {student["id"]}, order):
                pairs.append((student["id"], lab["id"]))
    return pairs


def is_feasible(instance: dict, assignments: dict) -> bool:
    """Capacity, caps, acceptability (pins excepted) and pins all hold."""
    pins = instance.get("pins", {})
    by_id = {s["id"]: s for s in instance["students"]}
    for student_id, pinned in pins.items():
        if assignments[student_id] != pinned:
            return False
    for lab in instance["labs"]:
        holders = [by_id[s] for s, placed in assignments.items() if placed == lab["id"]]
        if len(holders) > lab["capacity"]:
            return False
        cap = lab.get("organisation_cap")
        for organisation in ORGANISATIONS:
            if cap is not None and sum(1 for h in holders if h["organisation"] == organisation) > cap:
                return False
        for holder in holders:
            if holder["id"] not in pins and not acceptable(holder, lab):
                return False
    return True


def feasible_assignments(instance: dict):
    """Every feasible placement, by brute force (keep instances tiny)."""
    pins = instance.get("pins", {})
    labs = {lab["id"]: lab for lab in instance["labs"]}
    options = []
    for student in instance["students"]:
        if student["id"] in pins:
            options.append([pins[student["id"]]])
        else:
            options.append([None] + [l for l in student["preferences"] if acceptable(student, labs[l])])
    ids = [s["id"] for s in instance["students"]]
    for combination in itertools.product(*options):
        assignments = dict(zip(ids, combination))
        if is_feasible(instance, assignments):
            yield assignments


def rank(instance: dict, student_id: str, lab_id: str | None) -> int | None:
    """1-based rank of lab_id in the student's list; None when unplaced or unranked."""
    student = next(s for s in instance["students"] if s["id"] == student_id)
    if lab_id is None or lab_id not in student["preferences"]:
        return None
    return student["preferences"].index(lab_id) + 1


def welfare_score(instance: dict, assignments: dict) -> tuple[int, int]:
    """(students placed, sum of squared ranks) over the students that are not pinned."""
    pins = instance.get("pins", {})
    placed = [s for s, lab in assignments.items() if lab is not None and s not in pins]
    return len(placed), sum(rank(instance, s, assignments[s]) ** 2 for s in placed)


def weakly_prefers(student: dict, first: str | None, second: str | None) -> bool:
    """Whether the student likes `first` at least as much as `second` (None: unplaced)."""
    if first == second:
        return True
    return first is not None and prefers(student, first, second)
