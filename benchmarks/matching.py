"""Benchmark of the matching engine on seeded instances of 1,000, 10,000 and 50,000 students.

Run from the repository root, with the project installed (make install):
    python benchmarks/matching.py [--sizes 1000 10000 50000] [--repeat 3] [--package-up-to 10000]

Each instance has students / 10 labs, ten preferences per student drawn with Zipf weights (so a
few labs are wanted by nearly everyone), organisation caps of 1 on most labs, some minimum ages
and language rules, a short priority list, a few lab rankings and a few pins.

Times are the best of --repeat runs, with the cyclic garbage collector paused as solve() pauses
it while it works. Two times are shown: wall-clock, and the CPU time of this process. Nothing
here runs in parallel, so CPU time is the time on one core, and unlike wall-clock time it does
not grow while other programs hold the machine's cores; the goals are judged on it. Peak memory is
measured in a separate run under tracemalloc, which sees Python's allocations but not the
memory OR-Tools takes in C++; the process's maximum resident size is printed at the end.

The `matching` package (a dev dependency) is run up to --package-up-to students on the same
instances without the rules it does not know (caps, eligibility, pins); our stable solver is
timed on those same plain instances for the ratio. The package is timed in two phases, building
its game from dictionaries and solving it, and the ratio is given for both; the goal is judged
on the whole way from dictionaries to a matching, as our own timing includes reading the dict.
The benchmark reports whether the goals are met; it does not fail.
"""

from __future__ import annotations

import argparse
import itertools
import random
import resource
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path

# This file is called matching.py like the package it is compared with; keep its own folder off
# the import path, or `import matching` would find this file instead of the package.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

from ish_portal.matching import solve  # noqa: E402
from ish_portal.matching.api import cyclic_gc_paused  # noqa: E402
from ish_portal.matching.instance import read_instance  # noqa: E402
from ish_portal.matching.stable import stable_assignment  # noqa: E402
from ish_portal.matching.welfare import welfare_assignment  # noqa: E402

STABLE_GOAL_SECONDS = 1.0
STABLE_GOAL_STUDENTS = 50_000
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


def best_seconds(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    """The best wall-clock and the best CPU time of `repeat` runs, collector paused."""
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        with cyclic_gc_paused():
            wall, cpu = time.perf_counter(), time.process_time()
            run()
            best_wall = min(best_wall, time.perf_counter() - wall)
            best_cpu = min(best_cpu, time.process_time() - cpu)
    return best_wall, best_cpu


def peak_mebibytes(run: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


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
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--package-up-to", type=int, default=PACKAGE_GOAL_STUDENTS)
    options = parser.parse_args()

    print(f"{'students':>8} {'labs':>6}  {'what':<34} {'wall s':>8} {'CPU s':>8} {'peak MiB':>9}")
    stable_totals: dict[int, float] = {}
    package_ratios: dict[int, tuple[float, float]] = {}
    for size in options.sizes:
        instance = generate_instance(size)
        checked = read_instance(instance)
        labs = len(instance["labs"])

        def show(what: str, wall: str, cpu: float, peak: str = "") -> None:
            print(f"{size:>8} {labs:>6}  {what:<34} {wall:>8} {cpu:8.3f} {peak:>9}", flush=True)

        def row(
            what: str, run: Callable[[], object], repeat: int = options.repeat, memory: bool = True
        ) -> float:
            wall, cpu = best_seconds(run, repeat)
            show(what, f"{wall:.3f}", cpu, f"{peak_mebibytes(run):.1f}" if memory else "")
            return cpu

        read = row("read and check the instance", lambda: read_instance(instance))
        stable = row("stable solver", lambda: stable_assignment(checked))
        stable_totals[size] = read + stable
        row("welfare solver", lambda: welfare_assignment(checked), repeat=1)
        row("solve() stable, end to end", lambda: solve(instance), repeat=1)
        row("solve() welfare, end to end", lambda: solve(instance, mode="welfare"), repeat=1)

        if size <= options.package_up_to:
            plain = plain_instance(instance)
            plain_checked = read_instance(plain)
            plain_read = row("plain: read and check", lambda: read_instance(plain), memory=False)
            plain_stable = row(
                "plain: stable solver", lambda: stable_assignment(plain_checked), memory=False
            )
            build, package_solve = package_seconds(plain)
            show("plain: matching package, build", "", build)
            show("plain: matching package, solve", "", package_solve)
            whole = (build + package_solve) / (plain_read + plain_stable)
            solving = package_solve / plain_stable
            package_ratios[size] = (whole, solving)
            print(f"{size:>8} {labs:>6}  package / ours: {whole:.0f}x dict to matching, "
                  f"{solving:.0f}x solving alone")

    peak_resident = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"maximum resident size of this process: {peak_resident:.0f} MiB")
    if STABLE_GOAL_STUDENTS in stable_totals:
        total = stable_totals[STABLE_GOAL_STUDENTS]
        verdict = "met" if total < STABLE_GOAL_SECONDS else "NOT met"
        print(f"goal: stable mode at {STABLE_GOAL_STUDENTS:,} students (read + solve) under "
              f"{STABLE_GOAL_SECONDS:.0f} s on one core: {total:.3f} s CPU, {verdict}")
    if PACKAGE_GOAL_STUDENTS in package_ratios:
        whole, solving = package_ratios[PACKAGE_GOAL_STUDENTS]
        verdict = "met" if whole >= PACKAGE_GOAL_RATIO else "NOT met"
        print(f"goal: at {PACKAGE_GOAL_STUDENTS:,} students at least {PACKAGE_GOAL_RATIO}x faster "
              f"than the matching package (dict to matching): {whole:.0f}x, {verdict} "
              f"(solving alone: {solving:.0f}x)")


if __name__ == "__main__":
    main()
