"""Benchmark of the matching engine on seeded instances of 1,000 to 200,000 students.

Run from the repository root, with the project installed (make install):
    python benchmarks/matching.py [--sizes 1000 10000 50000 200000] [--repeat 3]
                                  [--package-up-to 10000]

Each instance has students / 10 labs, ten preferences per student drawn with Zipf weights (so a
few labs are wanted by nearly everyone), organisation caps of 1 on most labs, some minimum ages
and language rules, a short priority list, a few lab rankings and a few pins.

Every figure is the CPU time of this process (best of --repeat runs, the cyclic garbage
collector paused as solve() pauses it), printed next to its floor, measured in the same run in
turns with it, and the ratio of the two. Nothing here runs in parallel, so CPU time is the time on one core, and
unlike wall-clock time it does not grow while other programs hold the machine's cores. The floors
are written here, apart from the engine:

- stable mode: a minimal deferred acceptance from the instance dict to a placement, under the
  same rules (capacities, organisation caps, age and language rules, lab rankings, pins, the
  lottery) and nothing else: no checks of the input, no explanations, no verification;
- welfare mode: the same min-cost flow (the same nodes and arcs) built directly with numpy from
  the indexed instance and solved by OR-Tools' SimpleMinCostFlow.

Each floor is also checked against the engine: the deferred acceptance must give solve()'s
placement, the flow the same number placed and the same sum of squared ranks; the benchmark
says so, or says that they differ.

The `matching` package (a dev dependency) is run up to --package-up-to students on the same
instances without the rules it does not know (caps, eligibility, pins); the ratio is its time
over ours, from dictionaries to a matching. The benchmark prints figures and the goals they meet
or miss; it asserts nothing.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
import warnings
from collections.abc import Callable
from heapq import heappop, heappush, heapreplace
from pathlib import Path

# This file is called matching.py like the package it is compared with; keep its own folder off
# the import path, or `import matching` would find this file instead of the package.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

from ish_portal.matching import solve  # noqa: E402
from ish_portal.matching.api import cyclic_gc_paused  # noqa: E402
from ish_portal.matching.instance import Instance, read_instance  # noqa: E402
from ish_portal.matching.stable import stable_assignment  # noqa: E402
from ish_portal.matching.welfare import welfare_assignment  # noqa: E402

STABLE_GOAL_SECONDS = 1.0
STABLE_GOAL_STUDENTS = 50_000
WELFARE_GOAL_RATIO = 1.3
PACKAGE_GOAL_RATIO = 50
PACKAGE_GOAL_STUDENTS = 10_000


def generate_instance(student_count: int, seed: int = 2024) -> dict:
    rng = random.Random(seed)
    lab_count = max(1, student_count // 10)
    lab_ids = [f"lab-{number}" for number in range(lab_count)]
    popularity_order = lab_ids[:]
    rng.shuffle(popularity_order)  # popularity unrelated to the order labs are listed in
    cumulative_weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(lab_count)))
    organisation_count = max(10, student_count // 20)
    preference_count = min(10, lab_count)

    students = []
    for number in range(student_count):
        preferences: list[str] = []
        while len(preferences) < preference_count:
            for lab_id in rng.choices(popularity_order, cum_weights=cumulative_weights, k=20):
                if lab_id not in preferences and len(preferences) < preference_count:
                    preferences.append(lab_id)
        students.append(
            {
                "id": f"student-{number}",
                "organisation": f"organisation-{rng.randrange(organisation_count)}",
                "age": rng.randint(15, 19),
                "languages": ["en", "de"] if rng.random() < 0.3 else ["en"],
                "preferences": preferences,
            }
        )

    labs = []
    for lab_id in lab_ids:
        lab: dict = {"id": lab_id, "capacity": rng.randint(5, 15)}
        if rng.random() < 0.9:
            lab["organisation_cap"] = 1
        if rng.random() < 0.1:
            lab["min_age"] = 18
        if rng.random() < 0.1:
            lab["languages"] = ["de"]
        if rng.random() < 0.02:
            lab["ranking"] = [s["id"] for s in rng.sample(students, min(20, student_count))]
        labs.append(lab)

    return {
        "seed": seed,
        "priority": [s["id"] for s in rng.sample(students, student_count // 50)],
        "pins": _some_pins(students, labs, rng),
        "students": students,
        "labs": labs,
    }


def _some_pins(students: list[dict], labs: list[dict], rng: random.Random) -> dict[str, str]:
    """Pin about one student in 200 to their first choice, where the rules allow it."""
    by_id = {lab["id"]: lab for lab in labs}
    taken: dict[str, list[str]] = {}
    pins = {}
    for student in rng.sample(students, len(students) // 200):
        lab = by_id[student["preferences"][0]]
        holders = taken.setdefault(lab["id"], [])
        if (
            len(holders) < lab["capacity"]
            and student["age"] >= lab.get("min_age", 0)
            and set(lab.get("languages", student["languages"])) & set(student["languages"])
            and (
                "organisation_cap" not in lab
                or holders.count(student["organisation"]) < lab["organisation_cap"]
            )
        ):
            holders.append(student["organisation"])
            pins[student["id"]] = lab["id"]
    return pins


def plain_instance(instance: dict) -> dict:
    """The same students, preferences and orders, without caps, eligibility rules or pins."""
    return {
        "seed": instance["seed"],
        "priority": instance["priority"],
        "students": [{**s, "age": 18, "languages": ["en"]} for s in instance["students"]],
        "labs": [
            {key: value for key, value in lab.items() if key in ("id", "capacity", "ranking")}
            for lab in instance["labs"]
        ],
    }


def best_seconds(runs: list[Callable[[], object]], repeat: int) -> list[float]:
    """The best CPU time of each of `runs` over `repeat` rounds, collector paused.

    The runs take turns within each round, so that a figure and its floor meet the same load
    from other programs on the machine and their ratio holds while that load changes. The clock
    stops when a call returns; freeing what it returned is left out, as a caller of solve()
    keeps its result.
    """
    best = [float("inf")] * len(runs)
    for _ in range(repeat):
        for position, run in enumerate(runs):
            with cyclic_gc_paused():
                started = time.process_time()
                result = run()
                best[position] = min(best[position], time.process_time() - started)
                del result
    return best


def minimal_deferred_acceptance(instance: dict) -> dict[str, str | None]:
    """Student-proposing deferred acceptance from the instance dict, under the engine's rules.

    A lab holds its students in a heap, worst on top, and one heap per organisation when it has
    a cap; a student bumped from a lab stays in the other heap until it reaches the top. The key
    of a student at a lab: their position in the lab's ranking minus its length, else their
    position in the review order.
    """
    students, labs = instance["students"], instance["labs"]
    student_of = {student["id"]: index for index, student in enumerate(students)}
    lab_of = {lab["id"]: index for index, lab in enumerate(labs)}
    priority = [student_of[student_id] for student_id in instance.get("priority") or []]
    listed = set(priority)
    lottery = [student for student in range(len(students)) if student not in listed]
    random.Random(instance.get("seed") or 0).shuffle(lottery)
    review = [0] * len(students)
    for position, student in enumerate(priority + lottery):
        review[student] = position
    ranked = [
        {student_of[s]: p - len(lab["ranking"]) for p, s in enumerate(lab.get("ranking") or [])}
        for lab in labs
    ]
    organisation_of: dict[str, int] = {}
    organisation = [
        organisation_of.setdefault(student["organisation"], len(organisation_of))
        for student in students
    ]
    choices = [[lab_of[lab_id] for lab_id in student["preferences"]] for student in students]
    seats = [lab["capacity"] for lab in labs]
    cap = [lab.get("organisation_cap") for lab in labs]
    min_age = [lab.get("min_age") for lab in labs]
    languages = [frozenset(lab.get("languages") or ()) for lab in labs]
    held: list[list[tuple[int, int]]] = [[] for _ in labs]
    held_of_organisation: list[dict[int, list[tuple[int, int]]]] = [{} for _ in labs]
    count_of_organisation: list[dict[int, int]] = [{} for _ in labs]
    placed = [-1] * len(students)
    for student_id, lab_id in (instance.get("pins") or {}).items():
        student, lab = student_of[student_id], lab_of[lab_id]
        placed[student] = lab
        seats[lab] -= 1
        counts = count_of_organisation[lab]
        counts[organisation[student]] = counts.get(organisation[student], 0) + 1

    next_choice = [0] * len(students)
    free = [student for student in range(len(students) - 1, -1, -1) if placed[student] < 0]
    while free:
        student = free.pop()
        entry = students[student]
        own = organisation[student]
        for choice in range(next_choice[student], len(choices[student])):
            lab = choices[student][choice]
            if (min_age[lab] is not None and entry["age"] < min_age[lab]) or (
                languages[lab] and languages[lab].isdisjoint(entry["languages"])
            ):
                continue
            key = ranked[lab].get(student, review[student])
            counts, capped = count_of_organisation[lab], cap[lab] is not None
            if capped and counts.get(own, 0) >= cap[lab]:
                # The organisation's places are taken: the newcomer can only replace the worst
                # student of the same organisation, so the counts do not change.
                heap = held_of_organisation[lab][own] if own in held_of_organisation[lab] else []
                while heap and placed[heap[0][1]] != lab:
                    heappop(heap)
                if not heap or -heap[0][0] < key:
                    continue
                bumped = heapreplace(heap, (-key, student))[1]
                heappush(held[lab], (-key, student))
            else:
                bumped = -1
                if seats[lab] > 0:
                    seats[lab] -= 1
                    heappush(held[lab], (-key, student))
                else:
                    heap = held[lab]
                    while heap and placed[heap[0][1]] != lab:
                        heappop(heap)
                    if not heap or -heap[0][0] < key:
                        continue
                    bumped = heapreplace(heap, (-key, student))[1]
                    if capped:
                        counts[organisation[bumped]] -= 1
                if capped:
                    counts[own] = counts.get(own, 0) + 1
                    heappush(held_of_organisation[lab].setdefault(own, []), (-key, student))
            if bumped >= 0:
                placed[bumped] = -1
                free.append(bumped)
            placed[student] = lab
            next_choice[student] = choice + 1
            break
        else:
            next_choice[student] = len(choices[student])
    return {
        student["id"]: labs[lab]["id"] if lab >= 0 else None
        for student, lab in zip(students, placed)
    }


def direct_welfare_flow(checked: Instance) -> list[int]:
    """The welfare flow of the engine (same nodes, same arcs) built directly with numpy.

    Nodes: source 0, sink 1, students, labs, then one node per binding (lab, organisation).
    Returns each student's lab index, or -1.
    """
    import numpy as np
    from ortools.graph.python import min_cost_flow

    students, lab_count = len(checked.student_ids), len(checked.lab_ids)
    lengths = np.array([len(p) for p in checked.preferences], dtype=np.int64)
    student = np.repeat(np.arange(students), lengths)
    lab = np.fromiter(itertools.chain.from_iterable(checked.preferences), dtype=np.int64)
    rank = np.arange(len(lab)) - np.repeat(np.cumsum(lengths) - lengths, lengths) + 1
    pinned = np.zeros(students, dtype=bool)
    pinned[list(checked.pins)] = True
    # Only pairs at a lab with an age or language rule can be closed to the student.
    has_rule = np.array(
        [a is not None or bool(l) for a, l in zip(checked.min_age, checked.lab_languages)]
    )
    ruled = np.flatnonzero(has_rule[lab])
    closed = np.zeros(len(lab), dtype=bool)
    closed[ruled] = [
        l in checked.closed_labs[s] for s, l in zip(student[ruled].tolist(), lab[ruled].tolist())
    ]
    keep = ~pinned[student] & ~closed
    student, lab, rank = student[keep], lab[keep], rank[keep]
    flowing = np.unique(student)

    organisations = max(len(checked.organisations), 1)
    organisation = np.array(checked.student_organisation, dtype=np.int64)
    seats = np.array(checked.capacity, dtype=np.int64)
    pinned_key: dict[int, int] = {}
    for s, l in checked.pins.items():
        seats[l] -= 1
        key = l * organisations + checked.student_organisation[s]
        pinned_key[key] = pinned_key.get(key, 0) + 1
    cap = np.array([c if c is not None else -1 for c in checked.organisation_cap], dtype=np.int64)
    pair_key = lab * organisations + organisation[student]
    capped = cap[lab] >= 0
    keys, applicants = np.unique(pair_key[capped], return_counts=True)
    room = cap[keys // organisations] - np.array([pinned_key.get(k, 0) for k in keys.tolist()])
    binding = applicants > room
    keys, room = keys[binding], room[binding]
    where = np.searchsorted(keys, pair_key).clip(max=max(len(keys) - 1, 0))
    through = (keys[where] == pair_key) if len(keys) else np.zeros(len(lab), dtype=bool)
    full = through & (room[where] == 0) if len(keys) else through
    student, lab, rank, where, through = (a[~full] for a in (student, lab, rank, where, through))
    first_cap = 2 + students + lab_count
    head = np.where(through, first_cap + where, 2 + students + lab)

    tails = np.concatenate([np.zeros(len(flowing)), 2 + student, first_cap + np.arange(len(keys)),
                            2 + students + np.arange(lab_count)]).astype(np.int32)
    heads = np.concatenate([2 + flowing, head, 2 + students + keys // organisations,
                            np.ones(lab_count)]).astype(np.int32)
    capacities = np.concatenate([np.ones(len(flowing) + len(student)), room,
                                 np.minimum(seats, len(flowing))]).astype(np.int64)
    costs = np.concatenate([np.zeros(len(flowing)), rank * rank,
                            np.zeros(len(keys) + lab_count)]).astype(np.int64)
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    flow.set_nodes_supplies(np.array([0, 1], dtype=np.int32),
                            np.array([len(flowing), -len(flowing)], dtype=np.int64))
    if flow.solve_max_flow_with_min_cost() != flow.OPTIMAL:
        raise RuntimeError("the direct flow did not solve")
    carried = flow.flows(arcs[len(flowing) : len(flowing) + len(student)]) > 0
    assignment = [-1] * students
    for s, l in checked.pins.items():
        assignment[s] = l
    for s, l in zip(student[carried].tolist(), lab[carried].tolist()):
        assignment[s] = l
    return assignment


def welfare_score(checked: Instance, assignment: list[int]) -> tuple[int, int]:
    """(students placed, sum of squared ranks) over the students who are not pinned."""
    placed = [
        (student, lab)
        for student, lab in enumerate(assignment)
        if lab >= 0 and student not in checked.pins
    ]
    return len(placed), sum((checked.preferences[s].index(l) + 1) ** 2 for s, l in placed)


def package_seconds(instance: dict) -> tuple[float, float]:
    """CPU seconds the `matching` package takes to build its game, and to solve it.

    Its hospitals rank exactly the residents who ranked them, in our lab's order.
    """
    from matching.games import HospitalResident

    checked = read_instance(instance)
    review_order = [checked.student_ids[student] for student in checked.review_order]
    resident_preferences = {
        student["id"]: student["preferences"]
        for student in instance["students"]
        if student["preferences"]
    }
    applicants: dict[str, set[str]] = {}
    for student_id, preferences in resident_preferences.items():
        for lab_id in preferences:
            applicants.setdefault(lab_id, set()).add(student_id)
    hospital_preferences = {}
    for lab in instance["labs"]:
        wanted_by = applicants.get(lab["id"], set())
        ranking = [student_id for student_id in lab.get("ranking", []) if student_id in wanted_by]
        ranked = set(ranking)
        rest = [s for s in review_order if s in wanted_by and s not in ranked]
        if wanted_by:
            hospital_preferences[lab["id"]] = ranking + rest
    # Every lab has seats in these instances; the package refuses a hospital without any.
    capacities = {lab["id"]: lab["capacity"] for lab in instance["labs"] if lab["id"] in applicants}

    previous_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1_000_000)  # the package copies its players recursively
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            started = time.process_time()
            game = HospitalResident.create_from_dictionaries(
                resident_preferences, hospital_preferences, capacities
            )
            built = time.process_time()
            game.solve(optimal="resident")
            solved = time.process_time()
    finally:
        sys.setrecursionlimit(previous_limit)
    return built - started, solved - built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 50_000, 200_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--package-up-to", type=int, default=PACKAGE_GOAL_STUDENTS)
    options = parser.parse_args()
    # The engine imports these only when welfare mode runs; load them before any timing.
    import numpy  # noqa: F401
    from ortools.graph.python import min_cost_flow  # noqa: F401

    print(f"{'students':>8} {'labs':>6}  {'what':<30} {'CPU s':>7}  {'floor':<28} {'CPU s':>7} "
          f"{'ratio':>6}")
    stable_end_to_end: dict[int, tuple[float, float]] = {}
    welfare_ratios: dict[int, float] = {}
    package_ratios: dict[int, float] = {}
    for size in options.sizes:
        instance = generate_instance(size)
        checked = read_instance(instance)
        labs = len(instance["labs"])
        repeat = options.repeat

        def deferred_acceptance() -> object:
            return minimal_deferred_acceptance(instance)

        def flow() -> object:
            return direct_welfare_flow(checked)

        floor_names = {deferred_acceptance: "minimal deferred acceptance",
                       flow: "numpy + OR-Tools flow"}

        def row(what: str, run: Callable[[], object], floor: Callable[[], object],
                repeat: int = options.repeat) -> tuple[float, float]:
            cpu, floor_cpu = best_seconds([run, floor], repeat)
            print(f"{size:>8} {labs:>6}  {what:<30} {cpu:7.3f}  {floor_names[floor]:<28} "
                  f"{floor_cpu:7.3f} {cpu / floor_cpu:5.2f}x", flush=True)
            return cpu, cpu / floor_cpu

        row("read and check the instance", lambda: read_instance(instance), deferred_acceptance)
        row("stable solver", lambda: stable_assignment(checked), deferred_acceptance)
        stable_end_to_end[size] = row(
            "solve() stable, end to end", lambda: solve(instance), deferred_acceptance
        )
        welfare_ratios[size] = row("welfare solver", lambda: welfare_assignment(checked), flow)[1]
        row("solve() welfare, end to end", lambda: solve(instance, mode="welfare"), flow, repeat=1)

        same_placement = minimal_deferred_acceptance(instance) == solve(instance)["assignments"]
        same_optimum = welfare_score(checked, direct_welfare_flow(checked)) == welfare_score(
            checked, welfare_assignment(checked)
        )
        print(f"{size:>8} {labs:>6}  floors agree with the engine: deferred acceptance "
              f"{'yes' if same_placement else 'NO'}, "
              f"flow optimum {'yes' if same_optimum else 'NO'}")

        if size <= options.package_up_to:
            plain = plain_instance(instance)
            (ours,) = best_seconds(
                [lambda: stable_assignment(read_instance(plain))], options.repeat
            )
            build, package_solve = package_seconds(plain)
            package_ratios[size] = (build + package_solve) / ours
            print(f"{size:>8} {labs:>6}  plain instance: matching package "
                  f"{build + package_solve:.3f} s (build {build:.3f}, solve {package_solve:.3f}), "
                  f"ours (read + stable) {ours:.3f} s: package / ours "
                  f"{package_ratios[size]:.0f}x")

    if STABLE_GOAL_STUDENTS in stable_end_to_end:
        total, ratio = stable_end_to_end[STABLE_GOAL_STUDENTS]
        verdict = "met" if total <= STABLE_GOAL_SECONDS else "NOT met"
        print(f"goal: solve() stable end to end at {STABLE_GOAL_STUDENTS:,} students at most "
              f"{STABLE_GOAL_SECONDS:.0f} s CPU: {total:.3f} s ({ratio:.2f}x its floor), "
              f"{verdict}")
    if STABLE_GOAL_STUDENTS in welfare_ratios:
        ratio = welfare_ratios[STABLE_GOAL_STUDENTS]
        verdict = "met" if ratio <= WELFARE_GOAL_RATIO else "NOT met"
        print(f"goal: welfare solver at {STABLE_GOAL_STUDENTS:,} students within "
              f"{WELFARE_GOAL_RATIO}x of the direct flow: {ratio:.2f}x, {verdict}")
    if PACKAGE_GOAL_STUDENTS in package_ratios:
        ratio = package_ratios[PACKAGE_GOAL_STUDENTS]
        verdict = "met" if ratio >= PACKAGE_GOAL_RATIO else "NOT met"
        print(f"goal: at {PACKAGE_GOAL_STUDENTS:,} students at least {PACKAGE_GOAL_RATIO}x faster "
              f"than the matching package (dict to matching): {ratio:.0f}x, {verdict}")


if __name__ == "__main__":
    main()
