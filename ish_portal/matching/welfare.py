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
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection

import numpy as np
from ortools.graph.python import min_cost_flow

from .instance import Instance

SOURCE, SINK = 0, 1


class WelfareInfeasible(Exception):
    """The students that must be placed cannot all be placed."""


def welfare_assignment(instance: Instance, must_place: Collection[int] = ()) -> list[int]:
    """Each student's lab index in a welfare-optimal placement, or -1 when unplaced."""
    student_count = len(instance.student_ids)
    lab_count = len(instance.lab_ids)
    must_place = frozenset(must_place)
    graph = _Graph(first_free_node=2 + student_count + lab_count)

    def student_node(student: int) -> int:
        return 2 + student

    def lab_node(lab: int) -> int:
        return 2 + student_count + lab

    seats = list(instance.capacity)
    pinned = [Counter() for _ in range(lab_count)]
    for student, lab in instance.pins.items():
        seats[lab] -= 1
        pinned[lab][instance.student_organisation[student]] += 1

    acceptable = [
        [] if student in instance.pins else instance.acceptable_positions(student)
        for student in range(student_count)
    ]
    flowing = [student for student in range(student_count) if acceptable[student]]
    cap_room = _binding_cap_room(instance, flowing, acceptable, pinned)
    worst_rank = max((len(instance.preferences[student]) for student in flowing), default=1)
    must_place_bonus = len(flowing) * worst_rank * worst_rank + 1

    organisation_node: dict[tuple[int, int], int] = {}
    choice_arcs: list[int] = []
    choices: list[tuple[int, int]] = []  # the (student, lab) each arc in choice_arcs stands for
    for student in flowing:
        graph.add_arc(SOURCE, student_node(student), 1, 0)
        organisation = instance.student_organisation[student]
        bonus = must_place_bonus if student in must_place else 0
        preferences = instance.preferences[student]
        for position in acceptable[student]:
            lab = preferences[position]
            room = cap_room.get((lab, organisation))
            if room is None:
                head = lab_node(lab)
            elif room == 0:
                continue  # the organisation's pinned students fill its cap here
            elif (lab, organisation) in organisation_node:
                head = organisation_node[lab, organisation]
            else:
                head = organisation_node[lab, organisation] = graph.new_node()
                graph.add_arc(head, lab_node(lab), room, 0)
            rank = position + 1
            choices.append((student, lab))
            choice_arcs.append(graph.add_arc(student_node(student), head, 1, rank * rank - bonus))
    for lab in range(lab_count):
        graph.add_arc(lab_node(lab), SINK, seats[lab], 0)

    flows = graph.solve_max_flow_with_min_cost(
        {SOURCE: len(flowing), SINK: -len(flowing)}, choice_arcs
    )
    assignment = [-1] * student_count
    for student, lab in instance.pins.items():
        assignment[student] = lab
    for (student, lab), carried in zip(choices, flows):
        if carried:
            assignment[student] = lab
    if any(assignment[student] < 0 for student in must_place if student not in instance.pins):
        raise WelfareInfeasible("the students that must be placed do not all fit")
    return assignment


def _binding_cap_room(
    instance: Instance, flowing: list[int], acceptable: list[list[int]], pinned: list[Counter]
) -> dict[tuple[int, int], int]:
    """Room under the cap for each (lab, organisation) with more applicants than that room."""
    applicants: Counter[tuple[int, int]] = Counter()
    for student in flowing:
        organisation = instance.student_organisation[student]
        preferences = instance.preferences[student]
        for position in acceptable[student]:
            lab = preferences[position]
            if instance.organisation_cap[lab] is not None:
                applicants[lab, organisation] += 1
    room = {}
    for (lab, organisation), count in applicants.items():
        left = instance.organisation_cap[lab] - pinned[lab][organisation]
        if count > left:
            room[lab, organisation] = left
    return room


class _Graph:
    """Arcs gathered in plain lists, then handed to OR-Tools in one call."""

    def __init__(self, first_free_node: int) -> None:
        self.next_node = first_free_node
        self.tails: list[int] = []
        self.heads: list[int] = []
        self.capacities: list[int] = []
        self.costs: list[int] = []

    def new_node(self) -> int:
        self.next_node += 1
        return self.next_node - 1

    def add_arc(self, tail: int, head: int, capacity: int, cost: int) -> int:
        self.tails.append(tail)
        self.heads.append(head)
        self.capacities.append(capacity)
        self.costs.append(cost)
        return len(self.tails) - 1

    def solve_max_flow_with_min_cost(
        self, supplies: dict[int, int], arcs_to_read: list[int]
    ) -> list[int]:
        """The cheapest of the maximum flows; returns the flow on each arc of `arcs_to_read`."""
        flow = min_cost_flow.SimpleMinCostFlow()
        arcs = flow.add_arcs_with_capacity_and_unit_cost(
            np.array(self.tails, dtype=np.int32),
            np.array(self.heads, dtype=np.int32),
            np.array(self.capacities, dtype=np.int64),
            np.array(self.costs, dtype=np.int64),
        )
        flow.set_nodes_supplies(
            np.array(list(supplies), dtype=np.int32),
            np.array(list(supplies.values()), dtype=np.int64),
        )
        status = flow.solve_max_flow_with_min_cost()
        if status != flow.OPTIMAL:
            # Cannot happen with non-negative capacities; reading flows then would be unsafe.
            raise RuntimeError(f"the min-cost flow solver ended with status {status.name}")
        return flow.flows(arcs[np.array(arcs_to_read, dtype=np.int64)]).tolist()
