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


def explain(
    instance: Instance, assignment: list[int], declined: int = 0
) -> tuple[dict[str, dict], dict]:
    """The explanations per student and the statistics of the placement, from one pass over it.

    `declined` students (after re-matching) are not in the instance given, only counted.
    """
    filled, held_per_organisation = _occupancy(instance, assignment)
    ranks = placement_ranks(instance, assignment)
    return (
        _explanations(instance, assignment, ranks, filled, held_per_organisation),
        _statistics(instance, assignment, ranks, filled, held_per_organisation, declined),
    )


def _explanations(
    instance: Instance,
    assignment: list[int],
    ranks: list[int | None],
    filled: list[int],
    held_per_organisation: list[dict[int, int]],
) -> dict[str, dict]:
    """Per student id: status, lab, rank, and the reasons for every lab ranked higher."""
    # A lab the student may take stops them for the same reasons as every other student of
    # their organisation, so the reasons are worked out once per lab: those for organisations
    # at the lab's cap, those for the rest, and which organisations are at the cap.
    reasons_at_cap, reasons_under_cap, at_cap = [], [], []
    for lab, (count, capacity, cap) in enumerate(
        zip(filled, instance.capacity, instance.organisation_cap)
    ):
        full = ("full",) if count >= capacity else ()
        reasons_at_cap.append(("organisation_cap", *full))
        reasons_under_cap.append(full)
        at_cap.append(
            frozenset(
                organisation
                for organisation, held in held_per_organisation[lab].items()
                if cap is not None and held >= cap
            )
        )
    lab_ids = instance.lab_ids
    pins = instance.pins
    unmet_requirements = instance.unmet_requirements
    result: dict[str, dict] = {}
    for student, (student_id, lab, rank, preferences, closed, organisation) in enumerate(
        zip(
            instance.student_ids,
            assignment,
            ranks,
            instance.preferences,
            instance.closed_labs,
            instance.student_organisation,
        )
    ):
        if student in pins:
            status, higher_choices = "pinned", []
        elif rank == 1:
            status, higher_choices = "placed", []  # the common case: nothing ranked higher
        else:
            status = "placed" if lab >= 0 else "unplaced"
            higher_choices = [
                {
                    "lab": lab_ids[higher],
                    "rank": position,
                    "reasons": unmet_requirements(student, higher)
                    if higher in closed
                    else list(
                        reasons_at_cap[higher]
                        if organisation in at_cap[higher]
                        else reasons_under_cap[higher]
                    ),
                }
                for position, higher in enumerate(
                    preferences if rank is None else preferences[: rank - 1], start=1
                )
            ]
        result[student_id] = {
            "status": status,
            "lab": lab_ids[lab] if lab >= 0 else None,
            "rank": rank,
            "higher_choices": higher_choices,
        }
    return result


def _statistics(
    instance: Instance,
    assignment: list[int],
    ranks: list[int | None],
    filled: list[int],
    held_per_organisation: list[dict[int, int]],
    declined: int,
) -> dict:
    """Placed, unplaced and declined counts, the histogram of ranks, and each lab's fill."""
    rank_counts: Counter[int | None] = Counter(
        rank for rank, lab in zip(ranks, assignment) if lab >= 0
    )
    histogram = {
        str(rank): rank_counts[rank] for rank in sorted(r for r in rank_counts if r is not None)
    }
    if None in rank_counts:
        histogram["unranked"] = rank_counts[None]  # pinned to a lab the student did not rank
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
    for lab, organisation in zip(assignment, instance.student_organisation):
        if lab >= 0:
            filled[lab] += 1
            counts = held_per_organisation[lab]
            counts[organisation] = counts.get(organisation, 0) + 1
    return filled, held_per_organisation
