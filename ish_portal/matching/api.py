"""solve() and rematch(): JSON-shaped instance in, JSON-serialisable result out."""

from __future__ import annotations

import gc
from collections.abc import Collection, Iterator
from contextlib import contextmanager

from .errors import InstanceError
from .explain import explain
from .instance import Instance, read_instance
from .stable import stable_assignment
from .verify import verify
from .welfare import WelfareInfeasible, welfare_assignment

MODES = ("stable", "welfare")


def solve(instance: dict, mode: str = "stable", seed: int | None = None) -> dict:
    """Place the students of `instance` in labs.

    mode "stable": the student-optimal stable matching; "welfare": the most students placed,
    then the least sum of squared ranks. `seed` overrides the instance's lottery seed (default
    0). Returns {"mode", "seed", "assignments", "explanations", "stats", "verification"}.
    Raises InstanceError, listing every problem, when the instance is not valid.
    """
    _check_arguments(mode, seed)
    with cyclic_gc_paused():
        checked = read_instance(instance, seed)
        assignment = _assign(checked, mode)
        return _result(instance, checked, assignment, mode)


def rematch(
    instance: dict,
    previous: dict[str, str | None],
    accepted: list[str],
    declined: list[str],
    mode: str = "stable",
    seed: int | None = None,
) -> dict:
    """Match again after students answered a published placement `previous` (id -> lab or None).

    Accepted students stay exactly where they are (they become pins). Declined students (who
    turned their place down or withdrew) leave the matching. Everyone else is matched again,
    and the waitlist, every student left unplaced, is considered again for the freed seats.
    Students who still hold an open offer keep a place at least as good as it: welfare mode
    enforces this; stable mode yields it when `previous` is the stable result for the same
    instance and seed (see docs/matching.md). Students missing from `previous` count as
    unplaced. The lottery order of the original instance is kept, so nobody's priority changes.

    Returns what solve() returns, over all students (declined ones unplaced, with status
    "declined"; accepted ones with status "accepted"), plus "moved": a list of
    {"student", "from", "to"} for every student whose place changed, waitlisted ones included.
    """
    _check_arguments(mode, seed)
    with cyclic_gc_paused():
        return _rematch(instance, previous, accepted, declined, mode, seed)


def _rematch(
    instance: dict,
    previous: dict[str, str | None],
    accepted: list[str],
    declined: list[str],
    mode: str,
    seed: int | None,
) -> dict:
    checked = read_instance(instance, seed)
    declined_ids, accepted_ids = set(declined), set(accepted)
    problems = _rematch_problems(checked, previous, accepted, declined)
    if problems:
        raise InstanceError(problems)

    keep_offers = mode == "welfare"
    remaining = _remaining_instance(
        instance, checked, previous, accepted_ids, declined_ids, keep_offers
    )
    remaining_checked = read_instance(remaining)
    open_offers = [
        student
        for student, student_id in enumerate(remaining_checked.student_ids)
        if previous.get(student_id) is not None and student_id not in accepted_ids
    ]
    try:
        assignment = _assign(remaining_checked, mode, must_place=open_offers)
    except WelfareInfeasible:
        raise InstanceError(
            ["previous: the open offers no longer fit the labs' capacities and caps"]
        ) from None
    partial = _result(remaining, remaining_checked, assignment, mode, declined=len(declined_ids))

    declined_explanation = {"status": "declined", "lab": None, "rank": None, "higher_choices": []}
    result_assignments: dict[str, str | None] = {}
    result_explanations: dict[str, dict] = {}
    moved = []
    for student_id in checked.student_ids:
        if student_id in declined_ids:
            result_assignments[student_id] = None
            result_explanations[student_id] = dict(declined_explanation)
            continue
        placed = partial["assignments"][student_id]
        result_assignments[student_id] = placed
        result_explanations[student_id] = partial["explanations"][student_id]
        if student_id in accepted_ids:
            result_explanations[student_id]["status"] = "accepted"
        elif placed != previous.get(student_id):
            moved.append({"student": student_id, "from": previous.get(student_id), "to": placed})
    return {
        **partial,
        "assignments": result_assignments,
        "explanations": result_explanations,
        "moved": moved,
    }


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a result is built.

    A large instance means hundreds of thousands of small dicts and lists, and each batch of
    allocations makes the collector walk the whole heap again: that doubled the time of solve().
    The engine forms no reference cycles, so reference counting frees its garbage; anything
    else is collected once the collector runs again.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _check_arguments(mode: str, seed: int | None) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if seed is not None and type(seed) is not int:
        raise TypeError(f"seed must be an integer or None, got {seed!r}")


def _assign(checked: Instance, mode: str, must_place: Collection[int] = ()) -> list[int]:
    if mode == "stable":
        return stable_assignment(checked)
    return welfare_assignment(checked, must_place)


def _result(
    raw: dict, checked: Instance, assignment: list[int], mode: str, declined: int = 0
) -> dict:
    assignments = {
        student_id: checked.lab_ids[lab] if lab >= 0 else None
        for student_id, lab in zip(checked.student_ids, assignment)
    }
    explanations, statistics = explain(checked, assignment, declined)
    return {
        "mode": mode,
        "seed": checked.seed,
        "assignments": assignments,
        "explanations": explanations,
        "stats": statistics,
        "verification": verify(raw, assignments, seed=checked.seed),
    }


def _rematch_problems(
    checked: Instance, previous: object, accepted: object, declined: object
) -> list[str]:
    problems: list[str] = []
    student_index = {student_id: student for student, student_id in enumerate(checked.student_ids)}
    lab_index = {lab_id: lab for lab, lab_id in enumerate(checked.lab_ids)}
    if not isinstance(previous, dict):
        return ["previous: expected an object mapping student ids to lab ids or None"]
    for student_id, lab_id in previous.items():
        path = f"previous['{student_id}']"
        student = student_index.get(student_id)
        if student is None:
            problems.append(f"{path}: unknown student '{student_id}'")
        if lab_id is None:
            continue
        lab = lab_index.get(lab_id) if isinstance(lab_id, str) else None
        if lab is None:
            problems.append(f"{path}: unknown lab {lab_id!r}")
        elif student is not None and student not in checked.pins:
            if lab not in checked.preferences[student]:
                problems.append(f"{path}: student '{student_id}' did not rank lab '{lab_id}'")
            for rule in checked.unmet_requirements(student, lab):
                problems.append(
                    f"{path}: student '{student_id}' cannot take lab '{lab_id}' ({rule})"
                )

    answered: dict[str, str] = {}
    for name, answers in (("accepted", accepted), ("declined", declined)):
        if not isinstance(answers, list):
            problems.append(f"{name}: expected an array of student ids")
            continue
        for position, student_id in enumerate(answers):
            path = f"{name}[{position}]"
            if not isinstance(student_id, str) or student_id not in student_index:
                problems.append(f"{path}: unknown student {student_id!r}")
            elif student_id in answered:
                problems.append(f"{path}: student '{student_id}' is also in {answered[student_id]}")
            else:
                answered[student_id] = name
                if name == "accepted":
                    problems.extend(
                        _acceptance_problems(path, checked, student_index, previous, student_id)
                    )
    return problems


def _acceptance_problems(
    path: str, checked: Instance, student_index: dict[str, int], previous: dict, student_id: str
) -> list[str]:
    place = previous.get(student_id)
    if place is None:
        return [f"{path}: student '{student_id}' has no place in previous to accept"]
    pinned = checked.pins.get(student_index[student_id])
    if pinned is not None and checked.lab_ids[pinned] != place:
        return [
            f"{path}: student '{student_id}' is pinned to lab '{checked.lab_ids[pinned]}' "
            f"but previous places them at lab '{place}'"
        ]
    return []


def _remaining_instance(
    instance: dict,
    checked: Instance,
    previous: dict[str, str | None],
    accepted: set[str],
    declined: set[str],
    keep_offers: bool,
) -> dict:
    """The instance without the declined students, with the accepted ones pinned.

    The review order is written out in full, so removing students cannot redraw the lottery.
    With keep_offers, a student holding an open offer lists no lab below it.
    """
    students = []
    for entry in instance["students"]:
        student_id = entry["id"]
        if student_id in declined:
            continue
        offer = previous.get(student_id)
        if keep_offers and offer is not None and student_id not in accepted:
            preferences = entry["preferences"]
            if offer in preferences:
                entry = {**entry, "preferences": preferences[: preferences.index(offer) + 1]}
        students.append(entry)
    labs = [
        {**lab, "ranking": [s for s in lab["ranking"] if s not in declined]}
        if lab.get("ranking")
        else lab
        for lab in instance["labs"]
    ]
    pins = {s: lab for s, lab in (instance.get("pins") or {}).items() if s not in declined}
    pins.update({student_id: previous[student_id] for student_id in accepted})
    review_order = [checked.student_ids[student] for student in checked.review_order]
    return {
        "seed": checked.seed,
        "priority": [student_id for student_id in review_order if student_id not in declined],
        "pins": pins,
        "students": students,
        "labs": labs,
    }
