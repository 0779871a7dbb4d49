"""Benchmark of start-up: what a newcomer waits for before the portal does anything.

Run from the repository root, with the project installed (make install):
    python benchmarks/startup.py [--runs 20] [--serve-runs 5]

Every figure is printed beside its floor, measured in the same run on the same interpreter, and as
a ratio to it:

  1. `ish-portal --help` (printed by ish_portal.commands without Typer) and `ish-portal db --help`
     (through Typer): CPU time (user + system) of the whole process, against `python -c pass`.
     The minimum over --runs runs of each, taken in turn, so that a busy neighbour inflates both
     alike; the median is printed as well.
  2. Importing the application (`import ish_portal.main`, which is what uvicorn does) and the
     command line (`import ish_portal.cli`): CPU time of the process, against `python -c pass`.
     The heavy libraries each import pulls in are listed: the command line must load none of them,
     and neither may hash a password.
  3. `ish-portal serve` on a fresh SQLite file: wall time from starting the process until
     GET /login answers 200 (this includes creating the schema, ish_portal.migrate), and again on
     the same file, now at the newest schema (a restart), against the
     same for `python -m http.server`, the least a Python process takes to answer a request.

Every process runs with Python's bytecode cache on (PYTHONDONTWRITEBYTECODE is dropped from its
environment, and a first run of each command, not counted, writes the cache), as on a newcomer's
machine after the first start.

Nothing is asserted; on a busy machine the figures say more about the neighbours, so the load
average is printed first.
"""

from __future__ import annotations

import argparse
import http.client
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ISH_PORTAL = shutil.which("ish-portal", path=str(Path(PYTHON).parent)) or "ish-portal"
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
HEAVY = ("ortools", "numpy", "rich", "pydantic", "sqlalchemy", "fastapi", "openpyxl", "fpdf",
         "argon2")

# Imports the module, then prints the heavy top-level packages it loaded and whether a password
# was hashed (pwdlib's hasher is wrapped before the import, so any call during it is counted).
PROBE = """
import sys
import pwdlib
calls = []
original = pwdlib.PasswordHash.hash
pwdlib.PasswordHash.hash = lambda self, *a, **k: calls.append(1) or original(self, *a, **k)
import {module}
heavy = sorted(name for name in {heavy!r} if name in sys.modules)
print(",".join(heavy) or "none", len(calls))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(command: list[str]) -> float:
    """User + system CPU time of one run of `command` (and of anything it starts)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def compare_cpu(label: str, command: list[str], runs: int) -> None:
    floor_command = [PYTHON, "-c", "pass"]
    cpu_seconds(floor_command)  # first runs write the bytecode caches; they are not counted
    cpu_seconds(command)
    figures, floors = [], []
    for _ in range(runs):
        floors.append(cpu_seconds(floor_command))
        figures.append(cpu_seconds(command))
    best, floor = min(figures), min(floors)
    print(f"{label:<28} {best * 1000:7.1f} ms CPU (median {statistics.median(figures) * 1000:.1f})"
          f"   floor `python -c pass` {floor * 1000:.1f} ms (median {statistics.median(floors) * 1000:.1f})"
          f"   ratio {best / floor:.1f}x (medians {statistics.median(figures) / statistics.median(floors):.1f}x)")


def probe_imports(module: str) -> None:
    output = subprocess.run([PYTHON, "-c", PROBE.format(module=module, heavy=HEAVY)],
                            capture_output=True, text=True, check=True, env=ENV).stdout.split()
    print(f"{'':<28} import {module} loads: {output[0]}; passwords hashed: {output[1]}")


def wait_for_200(port: int, process: subprocess.Popen, path: str, timeout: float = 120) -> float:
    """Seconds until GET `path` on `port` answers 200, counted from now."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with status {process.returncode}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return time.monotonic() - started
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.005)
    raise SystemExit(f"no answer on port {port} within {timeout} s")


def first_request(command: list[str], port: int, path: str, env: dict[str, str] = ENV,
                  cwd: str | None = None) -> float:
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        wait_for_200(port, process, path)
        return time.monotonic() - started
    finally:
        process.terminate()
        process.wait(timeout=30)


def serve_on_sqlite(runs: int) -> None:
    """`ish-portal serve` on a new SQLite file (the schema created first), then again on the same
    file, now current (a restart, or `make demo` after `ish-portal demo`)."""
    figures: dict[str, list[float]] = {"new": [], "current": []}
    floors = []
    for run in range(runs + 1):  # run 0 writes the bytecode caches and is not counted
        with tempfile.TemporaryDirectory(prefix="ish-startup-") as folder:
            port = free_port()
            floor = first_request([PYTHON, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                                  port, "/", cwd=folder)
            for case in figures:
                port = free_port()
                env = {key: value for key, value in ENV.items() if not key.startswith("ISH_")}
                env.update(ISH_ENV="development", ISH_DATABASE_URL=f"sqlite:///{folder}/portal.sqlite3",
                           ISH_MAIL_DIR=f"{folder}/mail", ISH_BASE_URL=f"http://127.0.0.1:{port}")
                figure = first_request([ISH_PORTAL, "serve", "--port", str(port)], port, "/login", env=env)
                if run:
                    figures[case].append(figure)
            if run:
                floors.append(floor)
    floor = min(floors)
    for case, label in (("new", "serve: first GET /login"), ("current", "  the same, database current")):
        best = min(figures[case])
        print(f"{label:<28} {best:7.2f} s wall (median {statistics.median(figures[case]):.2f})"
              f"   floor `python -m http.server` {floor:.2f} s (median {statistics.median(floors):.2f})"
              f"   ratio {best / floor:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs of each CPU measurement")
    parser.add_argument("--serve-runs", type=int, default=5, help="runs of `ish-portal serve`")
    arguments = parser.parse_args()

    print(f"python {sys.version.split()[0]} on {os.cpu_count()} CPUs, "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    compare_cpu("ish-portal --help", [ISH_PORTAL, "--help"], arguments.runs)
    # A sub-command's help goes through Typer (the top-level list is printed without it).
    compare_cpu("ish-portal db --help", [ISH_PORTAL, "db", "--help"], arguments.runs)
    compare_cpu("import ish_portal.cli", [PYTHON, "-c", "import ish_portal.cli"], arguments.runs)
    probe_imports("ish_portal.cli")
    compare_cpu("import ish_portal.main", [PYTHON, "-c", "import ish_portal.main"], arguments.runs)
    probe_imports("ish_portal.main")
    serve_on_sqlite(arguments.serve_runs)
    print(f"load average afterwards {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
