"""Welfare mode: place the most students, then minimise the sum of squared preference ranks.

Solved exactly as one flow problem with OR-Tools: a maximum flow of least cost. Each student may
send one unit from the source through an arc to a lab they can take, costing rank squared
(rank 1 = first choice), and on to the sink through the lab's seats. The maximum flow places the
most students; among maximum flows the solver takes the cheapest, which is the least sum of
squared ranks. Pinned students take no part: their seats and cap places come off the arcs.

A binding organisation cap is an extra node per (lab, organisation) whose arc into the lab
carries the cap's room. It is only needed where that organisation has more applicants for the
lab than the room; elsewhere the cap cannot bind and the students' arcs go straight to the lab,
which keeps the graph small.

Students who must be placed (re-matching keeps open offers this way) get a bonus on their arcs
larger than any sum of squared ranks, so the cheapest maximum flow places them all whenever
some placement does. (Sets of students that can be placed together form a matroid, so any
such set extends to a largest one: placing them never costs a place.)

The graph is built with numpy, one array per arc field, over every (student, ranked lab) pair
at once: building it arc by arc in Python took as long as solving it. The arcs keep the order
of a plain loop over students (the source's arc to a student, then the student's arcs in their
order of preference, each cap node's arc into its lab just before the first arc to that node,
and the labs' arcs to the sink last), because the solver's choice among equally good
placements depends on that order.

numpy and OR-Tools are imported when a welfare placement is computed, not when this module is:
the portal's command line imports the matching package on every start.
"""

from __future__ import annotations

from collections.abc import Collection
from itertools import chain

from .instance import Instance

SOURCE, SINK = 0, 1


class WelfareInfeasible(Exception):
    """The students that must be placed cannot all be placed."""


def welfare_assignment(instance: Instance, must_place: Collection[int] = ()) -> list[int]:
    """Each student's lab index in a welfare-optimal placement, or -1 when unplaced."""
    import numpy as np

    student_count = len(instance.student_ids)
    lab_count = len(instance.lab_ids)
    pins = instance.pins

    # Every (student, ranked lab) pair, in the students' order and each one's order of
    # preference; `first_pair[s]` is where student s's pairs begin.
    lengths = np.fromiter(map(len, instance.preferences), dtype=np.int64, count=student_count)
    first_pair = np.zeros(student_count + 1, dtype=np.int64)
    np.cumsum(lengths, out=first_pair[1:])
    pair_count = int(first_pair[-1])
    pair_student = np.repeat(np.arange(student_count, dtype=np.int64), lengths)
    pair_lab = np.fromiter(
        chain.from_iterable(instance.preferences), dtype=np.int64, count=pair_count
    )
    pair_rank = np.arange(1, pair_count + 1, dtype=np.int64) - first_pair[pair_student]

    # A pair is acceptable when the student is not pinned and meets the lab's rules; only pairs
    # at labs with a rule need the student's closed labs looked at.
    acceptable = np.ones(pair_count, dtype=bool)
    if pins:
        pinned = np.zeros(student_count, dtype=bool)
        pinned[list(pins)] = True
        acceptable &= ~pinned[pair_student]
    has_rule = np.array(
        [
            min_age is not None or bool(languages)
            for min_age, languages in zip(instance.min_age, instance.lab_languages)
        ],
        dtype=bool,
    )
    ruled = np.flatnonzero(has_rule[pair_lab])
    if len(ruled):
        closed_labs = instance.closed_labs
        acceptable[ruled] &= ~np.fromiter(
            (
                lab in closed_labs[student]
                for student, lab in zip(pair_student[ruled].tolist(), pair_lab[ruled].tolist())
            ),
            dtype=bool,
            count=len(ruled),
        )

    flowing = np.bincount(pair_student[acceptable], minlength=student_count) > 0
    flowing_count = int(flowing.sum())
    # Seats and caps beyond the number of students cannot bind; clamping them keeps every
    # figure within the solver's 64-bit integers whatever the instance says.
    seats = list(instance.capacity)
    pinned_per_organisation: dict[tuple[int, int], int] = {}
    for student, lab in pins.items():
        seats[lab] -= 1
        key = (lab, instance.student_organisation[student])
        pinned_per_organisation[key] = pinned_per_organisation.get(key, 0) + 1
    seats = [min(left, flowing_count) for left in seats]

    # Binding caps: (lab, organisation) keys with more acceptable pairs than room under the cap.
    organisation_count = max(len(instance.organisations), 1)
    pair_organisation = np.array(instance.student_organisation, dtype=np.int64)[pair_student]
    pair_key = pair_lab * organisation_count + pair_organisation
    capped = np.array([cap is not None for cap in instance.organisation_cap], dtype=bool)
    # A cap above this leaves more room than there are students to fill it, even after pins.
    no_bind = flowing_count + len(pins) + 1
    cap = np.array(
        [min(cap, no_bind) if cap is not None else 0 for cap in instance.organisation_cap],
        dtype=np.int64,
    )
    under_cap = acceptable & capped[pair_lab]
    keys, first_of_key, applicants = np.unique(
        pair_key[under_cap], return_index=True, return_counts=True
    )
    room = cap[keys // organisation_count]
    for (lab, organisation), count in pinned_per_organisation.items():
        position = np.searchsorted(keys, lab * organisation_count + organisation)
        if position < len(keys) and keys[position] == lab * organisation_count + organisation:
            room[position] -= count
    binding = applicants > room
    keys, room = keys[binding], room[binding]
    first_of_key = np.flatnonzero(under_cap)[first_of_key[binding]]  # as a pair index

    # The pairs that become arcs, and the node each one enters: a pair under a binding cap
    # goes through its cap node, or nowhere when pinned students fill the cap already.
    if len(keys):
        position = np.minimum(np.searchsorted(keys, pair_key), len(keys) - 1)
        through_cap = acceptable & (keys[position] == pair_key)
        cap_is_full = through_cap & (room[position] == 0)
    else:
        position = np.zeros(pair_count, dtype=np.int64)
        through_cap = cap_is_full = np.zeros(pair_count, dtype=bool)
    arcs_at = np.flatnonzero(acceptable & ~cap_is_full)
    # Cap nodes are numbered in the order the loop would create them: by their first pair.
    open_caps = np.flatnonzero(room > 0)
    creation_order = open_caps[np.argsort(first_of_key[open_caps], kind="stable")]
    cap_node = np.zeros(len(keys), dtype=np.int64)
    first_cap_node = 2 + student_count + lab_count
    cap_node[creation_order] = first_cap_node + np.arange(len(creation_order))
    head = 2 + student_count + pair_lab[arcs_at]  # the lab's node, unless through a cap node
    via_cap = through_cap[arcs_at]
    head[via_cap] = cap_node[position[arcs_at][via_cap]]

    worst_rank = int(lengths[flowing].max()) if flowing_count else 1
    must_place_bonus = flowing_count * worst_rank * worst_rank + 1
    bonus = np.zeros(student_count, dtype=np.int64)
    if must_place:
        bonus[list(must_place)] = must_place_bonus
    choice_student = pair_student[arcs_at]
    choice_cost = pair_rank[arcs_at] ** 2 - bonus[choice_student]

    # Arcs of the three kinds, each with the place the plain loop would give it.
    flowing_students = np.flatnonzero(flowing)
    cap_arcs = creation_order
    place = np.concatenate(
        [3 * first_pair[flowing_students], 3 * first_of_key[cap_arcs] + 1, 3 * arcs_at + 2]
    )
    tails = np.concatenate(
        [np.full(flowing_count, SOURCE), cap_node[cap_arcs], 2 + choice_student]
    )
    heads = np.concatenate(
        [2 + flowing_students, 2 + student_count + keys[cap_arcs] // organisation_count, head]
    )
    capacities = np.concatenate(
        [np.ones(flowing_count, dtype=np.int64), room[cap_arcs], np.ones_like(arcs_at)]
    )
    costs = np.concatenate(
        [np.zeros(flowing_count + len(cap_arcs), dtype=np.int64), choice_cost]
    )
    order = np.argsort(place, kind="stable")
    sink_arcs = np.arange(2 + student_count, 2 + student_count + lab_count)
    tails = np.concatenate([tails[order], sink_arcs])
    heads = np.concatenate([heads[order], np.full(lab_count, SINK)])
    capacities = np.concatenate([capacities[order], np.array(seats, dtype=np.int64)])
    costs = np.concatenate([costs[order], np.zeros(lab_count, dtype=np.int64)])
    # Where each choice arc ended up: the choice arcs are the last block before sorting.
    choice_arc = np.empty(len(order), dtype=np.int64)
    choice_arc[order] = np.arange(len(order))
    choice_arc = choice_arc[flowing_count + len(cap_arcs) :]

    carried = _cheapest_maximum_flow(tails, heads, capacities, costs, flowing_count, choice_arc)
    assignment = [-1] * student_count
    for student, lab in pins.items():
        assignment[student] = lab
    placed = np.flatnonzero(carried)
    for student, lab in zip(choice_student[placed].tolist(), pair_lab[arcs_at][placed].tolist()):
        assignment[student] = lab
    if any(assignment[student] < 0 for student in must_place if student not in pins):
        raise WelfareInfeasible("the students that must be placed do not all fit")
    return assignment


def _cheapest_maximum_flow(tails, heads, capacities, costs, supply: int, arcs_to_read):
    """The flow on each arc of `arcs_to_read` in the cheapest of the maximum flows."""
    import numpy as np
    from ortools.graph.python import min_cost_flow

    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), capacities, costs
    )
    flow.set_nodes_supplies(
        np.array([SOURCE, SINK], dtype=np.int32), np.array([supply, -supply], dtype=np.int64)
    )
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        # Cannot happen with non-negative capacities; reading flows then would be unsafe.
        raise RuntimeError(f"the min-cost flow solver ended with status {status.name}")
    return flow.flows(arcs[arcs_to_read])
