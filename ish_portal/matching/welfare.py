"""Welfare mode: place the most students, then minimise the sum of squared preference ranks.

Solved exactly as one min-cost flow. Each student sends one unit from the source through an arc
to a lab they can take, costing rank squared (rank 1 = first choice); a unit that takes the
source -> sink bypass instead leaves its student unplaced and costs more than any possible sum
of squared ranks, so no saving in ranks can ever pay for an unplaced student. A lab with a
binding organisation cap is reached through one node per (lab, organisation) whose arc into the
lab carries at most the cap, less that organisation's pins there. Pinned students take no part:
their seats and cap places are taken off the arcs beforehand.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
from ortools.graph.python import min_cost_flow

from .instance import Instance

SOURCE, SINK = 0, 1


class WelfareInfeasible(Exception):
    """The students that must be placed cannot all be placed (only possible with must_place)."""


def welfare_assignment(instance: Instance, must_place: Collection[int] = ()) -> list[int]:
    """Each student's lab index in a welfare-optimal placement, or -1 when unplaced.

    Students in `must_place` are placed whatever it costs (re-matching uses this to keep open
    offers); of the others the most are placed, then the sum of squared ranks is minimised.
    """
    student_count = len(instance.student_ids)
    lab_count = len(instance.lab_ids)
    must_place = frozenset(must_place)
    graph = _Graph(first_free_node=2 + student_count + lab_count)

    def student_node(student: int) -> int:
        return 2 + student

    def lab_node(lab: int) -> int:
        return 2 + student_count + lab

    seats = list(instance.capacity)
    pinned_per_organisation: list[dict[int, int]] = [{} for _ in range(lab_count)]
    for student, lab in instance.pins.items():
        seats[lab] -= 1
        organisation = instance.student_organisation[student]
        pinned = pinned_per_organisation[lab]
        pinned[organisation] = pinned.get(organisation, 0) + 1

    organisation_node: dict[tuple[int, int], int] = {}
    choice_arcs: list[int] = []
    choices: list[tuple[int, int]] = []  # (student, lab) carried by each arc in choice_arcs
    optional: list[int] = []
    mandatory: list[int] = []
    worst_rank = 1
    for student in range(student_count):
        if student in instance.pins or not instance.acceptable[student]:
            continue
        if student in must_place:
            mandatory.append(student)
        else:
            optional.append(student)
            graph.add_arc(SOURCE, student_node(student), 1, 0)
        organisation = instance.student_organisation[student]
        for position in instance.acceptable[student]:
            lab = instance.preferences[student][position]
            cap = instance.organisation_cap[lab]
            if cap is None or cap >= instance.capacity[lab]:
                head = lab_node(lab)
            elif (lab, organisation) in organisation_node:
                head = organisation_node[lab, organisation]
            else:
                head = organisation_node[lab, organisation] = graph.new_node()
            rank = position + 1
            worst_rank = max(worst_rank, rank)
            choices.append((student, lab))
            choice_arcs.append(graph.add_arc(student_node(student), head, 1, rank * rank))

    for (lab, organisation), node in organisation_node.items():
        room = instance.organisation_cap[lab] - pinned_per_organisation[lab].get(organisation, 0)
        graph.add_arc(node, lab_node(lab), room, 0)
    for lab in range(lab_count):
        graph.add_arc(lab_node(lab), SINK, seats[lab], 0)
    # Larger than the sum of squared ranks of any placement, so placing one more always wins.
    unplaced_cost = (len(optional) + len(mandatory)) * worst_rank * worst_rank + 1
    graph.add_arc(SOURCE, SINK, len(optional), unplaced_cost)

    supplies = {SOURCE: len(optional), SINK: -(len(optional) + len(mandatory))}
    for student in mandatory:
        supplies[student_node(student)] = 1
    flows = graph.solve(supplies, choice_arcs)

    assignment = [-1] * student_count
    for student, lab in instance.pins.items():
        assignment[student] = lab
    for (student, lab), carried in zip(choices, flows):
        if carried:
            assignment[student] = lab
    return assignment


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

    def solve(self, supplies: dict[int, int], arcs_to_read: list[int]) -> list[int]:
        """Solve for minimum cost and return the flow on each arc of `arcs_to_read`."""
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
        status = flow.solve()
        if status != flow.OPTIMAL:
            raise WelfareInfeasible(f"the min-cost flow solver ended with status {status.name}")
        return flow.flows(arcs[np.array(arcs_to_read, dtype=np.int64)]).tolist()
