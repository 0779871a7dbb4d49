"""Stable mode: student-proposing deferred acceptance under the lab's walk-in-order choice rule.

The rule: a lab admits its pinned students, then walks the others in its order, admitting each
while a seat is left and the student's organisation is under the lab's cap. Two facts make the
fast version below correct.

1. Call a student *in reach* when fewer than (cap - pinned of their organisation) students of
   their organisation come before them in the set. The walk admits exactly the first
   (capacity - pinned) students in reach: a student out of reach is refused for the cap, and
   a student in reach is refused only when every seat is gone. The number of students in reach
   before any given student can only shrink when the set shrinks, so a student chosen from a
   set is chosen from every subset holding them (the rule is substitutable), and the number
   chosen never grows when the set shrinks (the law of aggregate demand). With both, deferred
   acceptance ends in the student-optimal stable matching, whatever the order of proposals.

2. When a lab already holds its choice H and student s proposes, its choice from H + s is H,
   H + s, or H + s minus exactly one student: if s's organisation is at its cap, s replaces the
   worst held student of that organisation or is refused (the seat count does not change);
   otherwise, if seats are left s is admitted, else s replaces the worst held student overall
   or is refused. So each proposal costs one or two heap operations.

A lab's order is encoded in one integer key per student: the student's position in the review
order, or, for students in the lab's own ranking, their position there minus the ranking's
length, which puts them ahead of everyone. So a student the lab does not rank has the same key
at every lab, and only labs with a ranking need a look-up. Each heap entry is
-(key * n + student): the smallest entry is the worst student, and the student is recovered as
(-entry) % n. A bumped student stays in the other heap as a stale entry and is skipped when it
reaches the top: a student never proposes to the same lab twice, so `held_at[student] != lab`
marks it stale.
"""

from __future__ import annotations

from heapq import heappop, heappush, heapreplace

from .instance import Instance


def stable_assignment(instance: Instance) -> list[int]:
    """Each student's lab index in the student-optimal stable matching, or -1 when unplaced."""
    student_count = len(instance.student_ids)
    lab_count = len(instance.lab_ids)
    organisation_of = instance.student_organisation

    held_at = [-1] * student_count
    seats_left = list(instance.capacity)
    # Only a cap below the capacity can bind; other labs skip the organisation bookkeeping.
    binding_cap: list[int | None] = [
        cap if cap is not None and cap < capacity else None
        for cap, capacity in zip(instance.organisation_cap, instance.capacity)
    ]
    held_per_organisation: list[dict[int, int] | None] = [
        None if cap is None else {} for cap in binding_cap
    ]
    for student, lab in instance.pins.items():
        held_at[student] = lab
        seats_left[lab] -= 1
        counts = held_per_organisation[lab]
        if counts is not None:
            organisation = organisation_of[student]
            counts[organisation] = counts.get(organisation, 0) + 1

    own_entry = [
        -(position * student_count + student)
        for student, position in enumerate(instance.review_position)
    ]
    ranked_entry = [
        {
            student: -((position - len(ranking)) * student_count + student)
            for position, student in enumerate(ranking)
        }
        if ranking
        else None
        for ranking in instance.lab_ranking
    ]
    preferences = instance.preferences
    closed_labs = instance.closed_labs
    next_choice = [0] * student_count

    worst_held: list[list[int]] = [[] for _ in range(lab_count)]
    worst_held_of_organisation: list[dict[int, list[int]] | None] = [
        None if cap is None else {} for cap in binding_cap
    ]

    # Any order of proposals ends in the same matching; index order measured fastest.
    free = [student for student in range(student_count - 1, -1, -1) if student not in instance.pins]
    while free:
        student = free.pop()
        organisation = organisation_of[student]
        own = own_entry[student]
        closed = closed_labs[student]
        labs = preferences[student]
        choice = next_choice[student]
        last = len(labs)
        while choice < last:
            lab = labs[choice]
            choice += 1
            if lab in closed:
                continue  # the student fails the lab's age or language rule
            ranked = ranked_entry[lab]
            entry = own if ranked is None else ranked.get(student, own)
            if seats_left[lab] == 0:
                heap = worst_held[lab]
                if not heap or entry < heap[0]:
                    # Behind every entry, stale or not, so behind every held student: refused
                    # by the seats and, a fortiori, by the organisation cap. The common case.
                    continue
            cap = binding_cap[lab]
            counts = held_per_organisation[lab]
            if cap is not None and counts.get(organisation, 0) >= cap:
                heap = worst_held_of_organisation[lab].get(organisation)
                while heap and held_at[-heap[0] % student_count] != lab:
                    heappop(heap)
                if not heap or entry < heap[0]:
                    continue  # the organisation's places are held by students ahead, or pinned
                bumped = -heapreplace(heap, entry) % student_count
                held_at[bumped] = -1
                free.append(bumped)
                heappush(worst_held[lab], entry)
                held_at[student] = lab
                break
            if seats_left[lab] > 0:
                seats_left[lab] -= 1
                heappush(worst_held[lab], entry)
            else:
                heap = worst_held[lab]
                while heap and held_at[-heap[0] % student_count] != lab:
                    heappop(heap)
                if not heap or entry < heap[0]:
                    continue  # every seat is held by a student ahead, or pinned
                bumped = -heapreplace(heap, entry) % student_count
                held_at[bumped] = -1
                free.append(bumped)
                if counts is not None:
                    counts[organisation_of[bumped]] -= 1
            if counts is not None:
                counts[organisation] = counts.get(organisation, 0) + 1
                of_organisation = worst_held_of_organisation[lab]
                heappush(of_organisation.setdefault(organisation, []), entry)
            held_at[student] = lab
            break
        next_choice[student] = choice
    return held_at
