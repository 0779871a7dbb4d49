"""Why each student got what they got, and figures about the whole placement.

Every lab a student ranked above their place (every lab they ranked, when unplaced) gets a list
of reasons: "min_age" and/or "language" when the student fails the lab's rules; otherwise
"organisation_cap" when the lab holds as many students of the student's organisation as its
cap allows, and/or "full" when every seat is taken.

In stable mode the lab's own choice would still leave the student out: the places that stop
them are held by students ahead of them in the lab's order, or pinned (else the pair would
block). Welfare mode does not promise that; its blocking pairs are listed in the verification.
An eligible lab with a free seat and cap room is never ranked higher in either mode: moving the
student there would block (stable) or lower the cost (welfare). Pinned students were placed by
the organisers, so their higher choices are not explained.
"""

from __future__ import annotations

from collections import Counter

from .instance import Instance


def explanations(instance: Instance, assignment: list[int]) -> dict[str, dict]:
    """Per student id: status, lab, rank, and the reasons for every lab ranked higher."""
    filled, held_per_organisation = _occupancy(instance, assignment)
    full = [count >= capacity for count, capacity in zip(filled, instance.capacity)]
    # Per lab, the organisations that hold as many of its places as its cap allows.
    at_cap = [
        frozenset(
            organisation for organisation, held in held_per_organisation[lab].items() if held >= cap
        )
        if cap is not None
        else frozenset()
        for lab, cap in enumerate(instance.organisation_cap)
    ]
    lab_ids = instance.lab_ids
    pins = instance.pins
    result: dict[str, dict] = {}
    for student, (student_id, lab, rank, preferences, closed, organisation) in enumerate(
        zip(
            instance.student_ids,
            assignment,
            placement_ranks(instance, assignment),
            instance.preferences,
            instance.closed_labs,
            instance.student_organisation,
        )
    ):
        higher_choices = []
        if student in pins:
            status = "pinned"
        else:
            status = "placed" if lab >= 0 else "unplaced"
            considered = preferences if rank is None else preferences[: rank - 1]
            for position, higher in enumerate(considered, start=1):
                if higher in closed:
                    reasons = instance.unmet_requirements(student, higher)
                elif organisation in at_cap[higher]:
                    reasons = ["organisation_cap", "full"] if full[higher] else ["organisation_cap"]
                else:
                    reasons = ["full"] if full[higher] else []
                higher_choices.append({"lab": lab_ids[higher], "rank": position, "reasons": reasons})
        result[student_id] = {
            "status": status,
            "lab": lab_ids[lab] if lab >= 0 else None,
            "rank": rank,
            "higher_choices": higher_choices,
        }
    return result


def statistics(instance: Instance, assignment: list[int], declined: int = 0) -> dict:
    """Placed, unplaced and declined counts, the histogram of ranks, and each lab's fill.

    `declined` students (after re-matching) are not in the instance given, only counted.
    """
    filled, held_per_organisation = _occupancy(instance, assignment)
    ranks: Counter[int | None] = Counter(
        rank for rank, lab in zip(placement_ranks(instance, assignment), assignment) if lab >= 0
    )
    histogram = {str(rank): ranks[rank] for rank in sorted(r for r in ranks if r is not None)}
    if None in ranks:
        histogram["unranked"] = ranks[None]  # pinned to a lab the student did not rank
    placed = sum(filled)
    return {
        "students": len(assignment) + declined,
        "placed": placed,
        "unplaced": len(assignment) - placed,
        "declined": declined,
        "ranks": histogram,
        "labs": {
            lab_id: {
                "capacity": instance.capacity[lab],
                "filled": filled[lab],
                "organisations": len(held_per_organisation[lab]),
            }
            for lab, lab_id in enumerate(instance.lab_ids)
        },
    }


def placement_ranks(instance: Instance, assignment: list[int]) -> list[int | None]:
    """Per student, 1 for their first choice; None when unplaced or placed at an unranked lab."""
    return [
        preferences.index(lab) + 1 if lab >= 0 and lab in preferences else None
        for lab, preferences in zip(assignment, instance.preferences)
    ]


def _occupancy(instance: Instance, assignment: list[int]) -> tuple[list[int], list[dict[int, int]]]:
    filled = [0] * len(instance.lab_ids)
    held_per_organisation: list[dict[int, int]] = [{} for _ in instance.lab_ids]
    for student, lab in enumerate(assignment):
        if lab >= 0:
            filled[lab] += 1
            counts = held_per_organisation[lab]
            organisation = instance.student_organisation[student]
            counts[organisation] = counts.get(organisation, 0) + 1
    return filled, held_per_organisation
