"""Benchmark of the outbox: how fast the portal's own senders deliver queued email over SMTP, and
whether two senders side by side ever send a message twice.

Run from the repository root, with the project installed (make install) and PostgreSQL reachable:
    python benchmarks/outbox.py [--messages 10000] [--server postgresql://postgres@127.0.0.1:5432/postgres]
                                [--batch-size 50] [--sqlite]

The script creates a database of its own on the server (ish_bench_<random>), builds it with the
Alembic migrations and drops it at the end. For each case it empties the outbox, queues --messages
"applicant_access" emails with notifications.service.enqueue inside db.transaction (as a change in
the portal would), then lets notifications.sender.Sender deliver them to an SMTP sink on
127.0.0.1 (aiosmtpd, a free port) that counts every message by its Message-ID:

  1. one sender;
  2. two senders side by side, each in a process of its own, claiming rows with
     SELECT ... FOR UPDATE SKIP LOCKED as `ish-portal serve --workers 2` would;
  3. with --sqlite, one sender on a temporary SQLite file as well.

Delivery time runs from the moment every sender is ready (engine built, modules imported) until
the last one finds nothing left to send. Duplicates are messages the sink received more than once;
they should be 0, and the benchmark prints the figure rather than failing on it. The sink runs in
this process, on its own thread; it is light but it shares the machine with the senders. Each case
prints the machine's load average: on a busy machine the figures say more about the neighbours.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import queue
import re
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, func
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from ish_portal.db import make_engine, transaction
from ish_portal.migrate import upgrade
from ish_portal.notifications.models import DeliveryAttempt, OutboxAttachment, OutboxMessage
from ish_portal.notifications.sender import Sender
from ish_portal.notifications.service import enqueue
from ish_portal.settings import Settings

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
ENQUEUE_CHUNK = 500  # messages per transaction while filling the outbox
MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)


# -- the SMTP sink ------------------------------------------------------------------------------

class CountingSink:
    """Accepts every message and counts it by Message-ID; reads only the header it needs, so the
    sink stays cheap next to the senders it measures."""

    def __init__(self) -> None:
        self.port = free_port()
        self.counts: Counter[bytes] = Counter()
        self.without_id = 0
        self.lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        headers = envelope.content.split(b"\r\n\r\n", 1)[0]
        match = MESSAGE_ID.search(headers)
        with self.lock:
            if match:
                self.counts[match.group(1)] += 1
            else:
                self.without_id += 1
        return "250 Message accepted"

    def reset(self) -> None:
        with self.lock:
            self.counts.clear()
            self.without_id = 0

    def tally(self) -> tuple[int, int, int]:
        """Distinct messages, duplicates (copies beyond the first), messages without an id."""
        with self.lock:
            return (len(self.counts), sum(count - 1 for count in self.counts.values()),
                    self.without_id)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- filling and emptying the outbox ------------------------------------------------------------

def empty_outbox(engine) -> None:
    with Session(engine) as session, transaction(session):
        for table in (DeliveryAttempt, OutboxAttachment, OutboxMessage):
            session.exec(table.__table__.delete())


def fill_outbox(engine, count: int) -> float:
    """Queue `count` messages the way the portal does; returns the seconds it took."""
    started = time.perf_counter()
    with Session(engine) as session:
        for first in range(0, count, ENQUEUE_CHUNK):
            with transaction(session):
                for number in range(first, min(first + ENQUEUE_CHUNK, count)):
                    enqueue(session, kind="applicant_access", to=f"applicant-{number}@example.org",
                            context={"name": f"Applicant {number}",
                                     "link": f"http://127.0.0.1:8000/access/{uuid.uuid4().hex}",
                                     "days": 14})
    return time.perf_counter() - started


def outbox_figures(engine) -> tuple[int, int]:
    """Rows marked sent, and delivery attempts recorded."""
    with Session(engine) as session:
        sent = session.exec(select(func.count()).select_from(OutboxMessage)
                            .where(OutboxMessage.status == "sent")).one()
        attempts = session.exec(select(func.count()).select_from(DeliveryAttempt)).one()
    return sent, attempts


# -- senders --------------------------------------------------------------------------------------

def sender_settings(database_url: str, smtp_port: int) -> Settings:
    return Settings(env="development", database_url=database_url, smtp_host="127.0.0.1",
                    smtp_port=smtp_port, smtp_tls=False, mail_per_minute=10**9, run_sender=False)


def run_sender(name: str, database_url: str, smtp_port: int, batch_size: int,
               ready, results) -> None:
    """One sender, in a process of its own: build everything, wait for the start, deliver until
    nothing is due, report how many messages it tried."""
    engine = make_engine(database_url)
    sender = Sender(engine, sender_settings(database_url, smtp_port), name=name,
                    batch_size=batch_size)
    ready.wait()
    # max_batches only guards against a sender that never runs dry; it is set far above need.
    tried = sender.run_until_idle(max_batches=10**9)
    results.put((name, tried))
    engine.dispose()


@dataclass
class Result:
    case: str
    messages: int
    fill_seconds: float
    seconds: float
    per_sender: dict[str, int]
    distinct: int
    duplicates: int
    without_id: int
    rows_sent: int
    attempts: int
    load: tuple[float, float]   # the machine's 1-minute load average before and after delivery

    def report(self) -> None:
        rate = self.distinct / self.seconds if self.seconds else float("nan")
        split = ", ".join(f"{name} {tried}" for name, tried in sorted(self.per_sender.items()))
        print(f"\n{self.case}")
        print(f"  queued        {self.messages} messages in {self.fill_seconds:.1f} s "
              f"({self.messages / self.fill_seconds:,.0f} messages/s through enqueue)")
        print(f"  delivered     {self.distinct} distinct messages in {self.seconds:.1f} s: "
              f"{rate:,.0f} messages/s")
        print(f"  per sender    {split}")
        print(f"  duplicates    {self.duplicates}")
        print(f"  missing       {self.messages - self.distinct}"
              + (f" (and {self.without_id} without a Message-ID)" if self.without_id else ""))
        print(f"  outbox        {self.rows_sent} rows sent, {self.attempts} delivery attempts")
        print(f"  machine       load average {self.load[0]:.1f} before, {self.load[1]:.1f} after, "
              f"on {os.cpu_count()} CPUs", flush=True)


def run_case(case: str, database_url: str, engine, sink: CountingSink, messages: int,
             senders: int, batch_size: int) -> Result:
    empty_outbox(engine)
    fill_seconds = fill_outbox(engine, messages)
    sink.reset()
    context = multiprocessing.get_context("spawn")  # fresh processes: no inherited connections
    ready = context.Barrier(senders + 1)
    results = context.Queue()
    processes = [context.Process(target=run_sender, daemon=True,
                                 args=(f"sender-{number + 1}", database_url, sink.port,
                                       batch_size, ready, results))
                 for number in range(senders)]
    for process in processes:
        process.start()
    ready.wait()
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    per_sender = collect(results, processes)
    seconds = time.monotonic() - started
    load_after = os.getloadavg()[0]
    for process in processes:
        process.join()
    distinct, duplicates, without_id = sink.tally()
    rows_sent, attempts = outbox_figures(engine)
    result = Result(case, messages, fill_seconds, seconds, per_sender, distinct, duplicates,
                    without_id, rows_sent, attempts, (load_before, load_after))
    result.report()  # as each case ends: a full run takes minutes
    return result


def collect(results, processes) -> dict[str, int]:
    """Each sender's count as it finishes; a sender that dies stops the benchmark instead of
    leaving it waiting for ever."""
    per_sender: dict[str, int] = {}
    while len(per_sender) < len(processes):
        try:
            name, tried = results.get(timeout=1)
            per_sender[name] = tried
        except queue.Empty:
            dead = [p for p in processes if p.exitcode not in (None, 0)]
            if dead:
                raise RuntimeError(f"a sender process ended with exit code {dead[0].exitcode}")
    return per_sender


# -- databases --------------------------------------------------------------------------------------

def postgresql_cases(server: str, sink: CountingSink, messages: int, batch_size: int) -> list[Result]:
    url = make_url(server).set(drivername="postgresql+psycopg")
    name = f"ish_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    database_url = url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        print(f"PostgreSQL database {name} created and migrated", flush=True)
        return [run_case(f"PostgreSQL, {count} sender{'s' if count > 1 else ''}", database_url,
                         engine, sink, messages, count, batch_size) for count in (1, 2)]
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
        print(f"PostgreSQL database {name} dropped")


def sqlite_case(sink: CountingSink, messages: int, batch_size: int) -> Result:
    with tempfile.TemporaryDirectory(prefix="ish-bench-") as folder:
        database_url = f"sqlite:///{Path(folder) / 'outbox.sqlite3'}"
        engine = make_engine(database_url)
        try:
            upgrade(engine)
            return run_case("SQLite, 1 sender", database_url, engine, sink, messages, 1, batch_size)
        finally:
            engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000, help="messages per case")
    parser.add_argument("--server", default=DEFAULT_SERVER,
                        help="a PostgreSQL server to create the benchmark's database on")
    parser.add_argument("--batch-size", type=int, default=50,
                        help="rows a sender claims at a time (the portal's default is 20)")
    parser.add_argument("--sqlite", action="store_true",
                        help="also run the one-sender case on a temporary SQLite file")
    args = parser.parse_args(argv)
    if args.messages < 1 or args.batch_size < 1:
        parser.error("--messages and --batch-size must be at least 1")

    sink = CountingSink()
    sink.controller.start()
    print(f"SMTP sink on 127.0.0.1:{sink.port}; {args.messages} messages per case, "
          f"senders claim {args.batch_size} at a time", flush=True)
    try:
        results = postgresql_cases(args.server, sink, args.messages, args.batch_size)
        if args.sqlite:
            results.append(sqlite_case(sink, args.messages, args.batch_size))
    finally:
        sink.controller.stop()
    print("\nsummary")
    for result in results:
        print(f"  {result.case:<24} {result.distinct / result.seconds:8,.0f} messages/s, "
              f"{result.duplicates} duplicates")
    return 0


if __name__ == "__main__":
    sys.exit(main())
