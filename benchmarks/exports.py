"""Benchmark of the organisers' exports: every figure next to its floor, measured in the same run.

Run from the repository root, with the project installed (make install):
    python benchmarks/exports.py [--nominations 10000] [--smaller 1000,2500] [--repeat 5]
    python benchmarks/exports.py --postgres postgresql://postgres@127.0.0.1:5432/postgres

It builds fresh databases at the newest schema (temporary SQLite files by default; with
--postgres databases of their own on that server, dropped at the end), fills them with
nominations as benchmarks/review.py does (names in several scripts), and exports every submitted
nomination with the sensitive columns:

  floor         the export's own SELECT run by the bare database driver, all rows fetched, written
                with the csv module and encoded: what any CSV of these rows costs at least
  core          the same, with the SELECT run through SQLAlchemy Core rather than the bare
                driver: the part of the floor's distance that the project's database layer costs
  CSV, Excel    reports.service.export() in this process, every piece read; floor, CSV and Excel
                take turns for --repeat rounds (wall-clock best and median, best CPU time of this
                process); CSV against the floor, Excel against the CSV
  memory        tracemalloc's peak while one export is made, with --nominations and with each of the
                --smaller numbers of nominations (rows are read and written 1,000 at a time, so
                lists shorter than that use less; from one batch on, the peak should not grow)
  HTTP          the portal served by uvicorn in a process of its own on 127.0.0.1, signed in as an
                organiser: time to the first byte of the body, to the last byte, and the CPU time
                the server process spent on the request (from /proc), for each format

It prints the figures and their ratios, and asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import os
import re
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, select

from review import fill  # the review benchmark's data: the same nominations in both

from scratch import scratch_database, served  # a database of the benchmark's own
from ish_portal.accounts.models import Role, User
from ish_portal.accounts.service import password_hash
from ish_portal.db import make_engine
from ish_portal.migrate import upgrade
from ish_portal.programme.models import Edition
from ish_portal.reports import service

ORGANISER, PASSWORD = "bench-organiser@ish.example", "bench-password-0123456789"

@contextmanager
def database(server: str | None, count: int) -> Iterator[tuple[str, int]]:
    """A database of its own with count nominations and an organiser; yields its URL and the
    edition's id, and removes the database afterwards."""
    with scratch_database(server, "exports.sqlite3") as url:
        yield url, _prepare(url, count)


def _prepare(url: str, count: int) -> int:
    engine = make_engine(url)
    try:
        upgrade(engine)
        edition_id, _organisation = fill(engine, count)
        with Session(engine) as session:
            session.add(User(email=ORGANISER, full_name="Bench Organiser", role=Role.ORGANISER,
                             password_hash=password_hash.hash(PASSWORD)))
            session.commit()
        return edition_id
    finally:
        engine.dispose()


def timed(repeat: int, works: dict[str, Callable[[], int]]) -> dict[str, tuple[float, float, float, int]]:
    """Best and median wall-clock seconds, best CPU seconds of this process, and the size, of
    each work. The works take turns, round after round, so that a change in the load of a shared
    machine weighs on all of them alike. CPU time is the steadier figure there; on PostgreSQL it
    leaves out the database server's work, which the wall-clock time includes."""
    walls: dict[str, list[float]] = {label: [] for label in works}
    cpus: dict[str, list[float]] = {label: [] for label in works}
    sizes = {}
    for _ in range(repeat):
        for label, work in works.items():
            started, cpu = time.perf_counter(), time.process_time()
            sizes[label] = work()
            walls[label].append(time.perf_counter() - started)
            cpus[label].append(time.process_time() - cpu)
    return {label: (min(walls[label]), statistics.median(walls[label]), min(cpus[label]), sizes[label])
            for label in works}


def floor(engine: Engine, sql: str) -> int:
    """One SELECT through the driver's own cursor, the rows as they come, the csv module."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(sql)
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(cursor.fetchall())
        cursor.close()
        return len(buffer.getvalue().encode("utf-8"))
    finally:
        raw.close()


def through_sqlalchemy(engine: Engine, query) -> int:
    """The same SELECT through SQLAlchemy Core (its types turn the driver's values into Python
    dates, times, lists), the rows as they come, the csv module."""
    with engine.connect() as connection:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(connection.execute(query).all())
        return len(buffer.getvalue().encode("utf-8"))


def exported(engine: Engine, edition_id: int, fmt: str) -> int:
    with Session(engine, expire_on_commit=False) as session:
        edition = session.get(Edition, edition_id)
        organiser = session.exec(select(User).where(User.email == ORGANISER)).one()
        file = service.export(session, organiser, edition, "nominations", fmt, True)
        return sum(len(chunk) for chunk in file.chunks)


def peak_memory(url: str, edition_id: int) -> dict[str, int]:
    engine = make_engine(url)
    peaks = {}
    try:
        for fmt in ("csv", "xlsx"):
            exported(engine, edition_id, fmt)  # caches filled first (catalogues, compiled statements)
            tracemalloc.start()
            try:
                exported(engine, edition_id, fmt)
                peaks[fmt] = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
        return peaks
    finally:
        engine.dispose()


def in_process(url: str, edition_id: int, repeat: int) -> dict[str, tuple[float, float]]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            listing = service.nominations_listing(session.get(Edition, edition_id), True)
        sql = str(listing.query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
        exported(engine, edition_id, "csv")  # warm up
        figures = {}
        measured = timed(repeat, {"floor": lambda: floor(engine, sql),
                                  "core": lambda: through_sqlalchemy(engine, listing.query),
                                  "csv": lambda: exported(engine, edition_id, "csv"),
                                  "xlsx": lambda: exported(engine, edition_id, "xlsx")})
        for label, (best, median, cpu, size) in measured.items():
            figures[label] = (best, cpu)
            print(f"  {label:<6} wall best {best:7.3f} s   median {median:7.3f} s   CPU best {cpu:7.3f} s"
                  f"   {size:>12,} bytes")
        return figures
    finally:
        engine.dispose()


# -- over HTTP ----------------------------------------------------------------------------------


class Browser:
    """Just enough of a browser: one cookie, the CSRF token of the last page."""

    def __init__(self, port: int) -> None:
        self.port, self.cookie = port, ""

    def request(self, method: str, path: str, form: dict | None = None) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Cookie": self.cookie}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        if cookie := response.getheader("Set-Cookie"):
            self.cookie = cookie.split(";", 1)[0]
        return response

    def token(self, path: str) -> str:
        html = self.request("GET", path).read().decode()
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    def sign_in(self) -> None:
        token = self.token("/login")
        response = self.request("POST", "/login", {"email": ORGANISER, "password": PASSWORD, "csrf_token": token})
        response.read()
        assert response.status == 303, f"signing in gave {response.status}"


def server_cpu(pid: int) -> float:
    """User and system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def over_http(url: str, repeat: int) -> dict[str, tuple[float, float, float]]:
    figures = {}
    with served(url) as (port, pid):
        browser = Browser(port)
        browser.sign_in()
        for fmt in ("csv", "xlsx"):
            runs = []
            for _ in range(repeat):
                token = browser.token("/organiser/exports")
                cpu, started = server_cpu(pid), time.perf_counter()
                response = browser.request("POST", "/organiser/exports",
                                           {"list": "nominations", "format": fmt, "sensitive": "yes",
                                            "csrf_token": token})
                first = response.read1(65536)
                first_byte = time.perf_counter() - started
                size = len(first) + len(response.read())
                runs.append((first_byte, time.perf_counter() - started, server_cpu(pid) - cpu))
                assert response.status == 200 and size > 0
            first_byte, total, cpu = (min(run[i] for run in runs) for i in range(3))
            figures[fmt] = (first_byte, total, cpu)
            print(f"  {fmt:<6} first byte {first_byte:6.3f} s   last byte {total:6.3f} s   "
                  f"server CPU {cpu:6.2f} s   (best of {repeat})")
    return figures


def run(server: str | None, count: int, smaller: list[int], repeat: int) -> None:
    with database(server, count) as (url, edition_id):
        print(f"{make_url(url).get_backend_name()}: {count:,} nominations, sensitive columns included\n")
        print("In this process:")
        times = in_process(url, edition_id, repeat)
        print("Over HTTP:")
        http = over_http(url, repeat)
        memory = {count: peak_memory(url, edition_id)}
    for size in smaller:
        with database(server, size) as (url, edition_id):
            memory[size] = peak_memory(url, edition_id)
    print("Memory (tracemalloc peak of one export):")
    for size in sorted(memory):
        print(f"  {size:>7,} nominations   csv {memory[size]['csv'] / 2**20:6.2f} MiB   "
              f"xlsx {memory[size]['xlsx'] / 2**20:6.2f} MiB")
    print("\nAgainst the floors:")
    for name, i in [("wall", 0), ("CPU", 1)]:
        print(f"  CSV   / floor (SELECT + csv module)  {times['csv'][i] / times['floor'][i]:5.2f}   goal <= 2   ({name})")
        print(f"  core  / floor                        {times['core'][i] / times['floor'][i]:5.2f}   ({name})")
        print(f"  Excel / CSV                          {times['xlsx'][i] / times['csv'][i]:5.2f}   goal <= 3   ({name})")
    for fmt in ("csv", "xlsx"):
        print(f"  first byte of {fmt:<4} over HTTP         {http[fmt][0]:5.3f} s   goal <= 1 s;"
              f" that is {http[fmt][0] / http[fmt][1]:.1%} of its whole transfer")
    print(f"  HTTP server CPU, Excel / CSV         {http['xlsx'][2] / max(http['csv'][2], 0.01):5.2f}")
    for size in sorted(memory)[:-1]:
        print(f"  memory at {count:,} / at {size:,}{'':<{12 - len(f'{count:,}{size:,}')}}"
              f"csv {memory[count]['csv'] / memory[size]['csv']:5.2f}   "
              f"xlsx {memory[count]['xlsx'] / memory[size]['xlsx']:5.2f}   goal: flat (about 1)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nominations", type=int, default=10_000)
    parser.add_argument("--smaller", default="1000,2500", help="the shorter lists of the memory comparison")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server; databases are created and dropped")
    args = parser.parse_args()
    run(args.postgres, args.nominations, [int(size) for size in args.smaller.split(",") if size], args.repeat)


if __name__ == "__main__":
    main()
