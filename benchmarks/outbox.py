"""Benchmark of the outbox: how fast the portal's own senders deliver queued email over SMTP,
measured against the floor of the same messages sent in a bare loop; whether two senders side by
side ever send a message twice; and how soon an idle sender starts on a message after its commit.

Run from the repository root, with the project installed (make install) and PostgreSQL reachable:
    python benchmarks/outbox.py [--messages 10000] [--server postgresql://postgres@127.0.0.1:5432/postgres]
                                [--batch-size 50] [--wakeups 20] [--sqlite]

The script creates a database of its own on the server (ish_bench_<random>), builds it at the
newest schema (ish_portal.migrate) and drops it at the end. Messages are queued by queue_messages (the one place
that writes them, as a change in the portal would; on PostgreSQL the outbox is vacuumed and
analysed after each filling, as autovacuum keeps a live one) and delivered to an SMTP sink on 127.0.0.1
(a free port; serve_connection below, as lean as SMTP allows) that runs in processes of its own,
one connection per process at a time as a mail server would, and counts every message by its
Message-ID. Every sender and every floor runs in a process of its own
as well. The cases:

  1. the floors: the same queued messages, read into memory first, sent in a bare loop over one
     connection by the `emails` package (built as the sender built them before, then sent), and
     by bare smtplib (bytes built beforehand, so only the SMTP exchange is timed);
  2. one sender delivering those messages; printed as messages/s, CPU per message, and as the
     ratio of its time to the `emails` floor's time;
  3. two senders side by side, claiming with SELECT ... FOR UPDATE SKIP LOCKED as
     `ish-portal serve --workers 2` would, then one sender once more; printed as the ratio to one
     sender, whose rate is the mean of the runs before and after (the speed of a shared machine
     drifts by a third within minutes, and a drift shows as the gap between those two);
  4. wake-up: a worker (as in `ish-portal outbox work`) idles; one message at a time is queued,
     and the time from its commit to its arrival at the sink is printed next to the floor of one
     message's SMTP exchange and the one second the sender must stay within;
  5. with --sqlite, one sender on a temporary SQLite file as well.

Delivery time runs from the moment every process is ready (engine built, modules imported,
messages read for the floors) until the last one is done. Duplicates are messages the sink
received more than once; they should be 0, and the benchmark prints the figure rather than
failing on it. Each case prints the machine's load average: on a busy machine the figures say
more about the neighbours, the ratios less so, as floor and sender run minutes apart at most.
"""

from __future__ import annotations

import argparse
from datetime import date
import multiprocessing
import os
import queue
import random
import re
import smtplib
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

import ish_portal.areas  # noqa: F401  (the message kinds)
from scratch import scratch_database  # a database of the benchmark's own
from ish_portal.db import make_engine, transaction, utcnow
from ish_portal.nominations.models import Nomination
from ish_portal.notifications.catalog import Reader
from ish_portal.programme.models import Edition, Organisation
from ish_portal.migrate import upgrade
from ish_portal.notifications.models import DeliveryAttempt, OutboxAttachment, OutboxMessage
from ish_portal.notifications.service import enqueue
from ish_portal.settings import Settings

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
ENQUEUE_CHUNK = 500  # messages per transaction while filling the outbox
MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)
SPAWN = multiprocessing.get_context("spawn")  # fresh processes: no inherited connections


# -- the SMTP sink, in a process of its own -------------------------------------------------------

class Tally:
    """The messages one sink process accepted, counted by Message-ID, and when each first arrived.
    The process's connection thread adds to it while its command thread reads it: one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: Counter[bytes] = Counter()
        self.arrived: dict[bytes, float] = {}
        self.without_id = 0

    def add(self, content: bytes) -> None:
        match = MESSAGE_ID.search(content.split(b"\r\n\r\n", 1)[0])
        with self.lock:
            if match:
                self.counts[match.group(1)] += 1
                self.arrived.setdefault(match.group(1), time.monotonic())
            else:
                self.without_id += 1

    def answer(self, command: str, argument):
        with self.lock:
            if command == "reset":
                self.counts.clear()
                self.arrived.clear()
                self.without_id = 0
            elif command == "counts":  # merged with the other processes' by Sink.tally
                return self.counts.copy(), self.without_id
            elif command == "arrived":  # time.monotonic() is one clock for every process
                return self.arrived.get(argument)
            elif command == "cpu":  # seconds of CPU this sink process has used so far
                return time.process_time()


REPLIES = {b"EHLO": b"250-sink\r\n250 8BITMIME\r\n", b"HELO": b"250 sink\r\n",
           b"MAIL": b"250 OK\r\n", b"RCPT": b"250 OK\r\n", b"RSET": b"250 OK\r\n",
           b"NOOP": b"250 OK\r\n", b"DATA": b"354 End data with <CR><LF>.<CR><LF>\r\n"}


def serve_connection(connection: socket.socket, tally: Tally) -> None:
    """Just enough SMTP for smtplib and the `emails` package, on one connection: it accepts every
    command and every message, answers one line at a time (neither client pipelines) and reads
    only the header it counts by. A general server (aiosmtpd) spends more CPU per message than
    the sender it measures, which on a small machine would make the sink, not the senders, the
    limit."""
    with connection, connection.makefile("rb") as lines:
        connection.sendall(b"220 sink ESMTP\r\n")
        for line in lines:
            verb = line[:4].upper()
            if verb == b"QUIT":
                connection.sendall(b"221 Bye\r\n")
                return
            connection.sendall(REPLIES.get(verb, b"502 Not implemented\r\n"))
            if verb == b"DATA":
                content = []
                for data_line in lines:
                    if data_line == b".\r\n":
                        break
                    content.append(data_line)
                tally.add(b"".join(content))
                connection.sendall(b"250 Message accepted\r\n")


def sink_main(listener: socket.socket, commands) -> None:
    """One sink process: a thread takes connections from the listening socket it shares with the
    other sink processes, one at a time, as a mail server gives each connection a process of its
    own; this thread answers the benchmark's questions about what arrived."""
    tally = Tally()

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:  # the listening socket was closed: the sink stops
                return
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                serve_connection(connection, tally)
            except OSError:
                pass  # the client went away; the next connection starts afresh

    threading.Thread(target=serve, daemon=True).start()
    commands.send("started")
    while True:
        command, argument = commands.recv()
        if command == "stop":
            break
        commands.send(tally.answer(command, argument))


class Sink:
    """The SMTP sink, seen from the benchmark: PROCESSES processes serving one listening socket on
    127.0.0.1, so that two senders (and their floors) never wait for each other's turn at a single
    process; what they received is merged when asked."""

    PROCESSES = 3

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=16)
        self.port = self._listener.getsockname()[1]
        self._processes = []
        for _ in range(self.PROCESSES):
            ours, theirs = SPAWN.Pipe()
            process = SPAWN.Process(target=sink_main, args=(self._listener, theirs), daemon=True)
            process.start()
            assert ours.recv() == "started"
            self._processes.append((process, ours))

    @property
    def pids(self) -> list[int]:
        return [process.pid for process, _ in self._processes]

    def _ask_all(self, command: str, argument=None) -> list:
        for _, pipe in self._processes:
            pipe.send((command, argument))
        return [pipe.recv() for _, pipe in self._processes]

    def arrived(self, message_id: bytes) -> float | None:
        """When the message first arrived at any sink process; None while it has not."""
        return min((seen for seen in self._ask_all("arrived", message_id) if seen is not None),
                   default=None)

    def reset(self) -> None:
        self._ask_all("reset")

    def tally(self) -> tuple[int, int, int]:
        """Distinct messages, duplicates (copies beyond the first, wherever they arrived) and
        messages without a Message-ID, over every sink process."""
        counts: Counter[bytes] = Counter()
        without_id = 0
        for theirs, without in self._ask_all("counts"):
            counts.update(theirs)
            without_id += without
        return len(counts), sum(count - 1 for count in counts.values()), without_id

    def cpu(self) -> float:
        return sum(self._ask_all("cpu"))

    def stop(self) -> None:
        for _, pipe in self._processes:
            pipe.send(("stop", None))
        for process, _ in self._processes:
            process.join(timeout=10)
        self._listener.close()


# -- filling and emptying the outbox ------------------------------------------------------------

def queue_messages(engine, count: int) -> None:
    """The one place that writes the benchmark's mail: `count` queued messages, written the way
    the portal writes them, in transactions of ENQUEUE_CHUNK."""
    with Session(engine) as session:
        facts = {"nomination": _a_nomination(session), "days": 14}
        # Held here, so that every message finds the candidate, the edition and the organisation in
        # the session (it keeps only weak references) instead of reading them again.
        nomination = session.get(Nomination, facts["nomination"])
        held = (nomination, session.get(Edition, nomination.edition_id),  # noqa: F841
                session.get(Organisation, nomination.organisation_id))
        for first in range(0, count, ENQUEUE_CHUNK):
            with transaction(session):
                for number in range(first, min(first + ENQUEUE_CHUNK, count)):
                    # Each message issues its own personal link, as the portal's do.
                    enqueue(session, "applicant_access",
                            Reader(f"applicant-{number}@example.org", f"Applicant {number}"), facts)


def _a_nomination(session: Session) -> int:
    """The candidate the benchmark's personal links are for (the facts every message is built from)."""
    existing = session.exec(select(Nomination.id)).first()
    if existing is not None:
        return existing
    with transaction(session):
        edition = Edition(year=2027, title="ISH 2027", starts_on=date(2027, 7, 12), ends_on=date(2027, 8, 7),
                          nomination_opens_at=utcnow(), nomination_closes_at=utcnow())
        organisation = Organisation(slug=f"bench-{uuid.uuid4().hex[:8]}", name="Kumamoto")
        session.add_all([edition, organisation])
        session.flush()
        nomination = Nomination(edition_id=edition.id, organisation_id=organisation.id, given_name="Haruto",
                                family_name="Nakamura", email="haruto@example.org", status="submitted")
        session.add(nomination)
        session.flush()
        return nomination.id


def empty_outbox(engine) -> None:
    with Session(engine) as session, transaction(session):
        for table in (DeliveryAttempt, OutboxAttachment, OutboxMessage):
            session.exec(table.__table__.delete())


def outbox_figures(engine) -> tuple[int, int]:
    """Rows marked sent, and delivery attempts recorded."""
    with Session(engine) as session:
        sent = session.exec(select(func.count()).select_from(OutboxMessage)
                            .where(OutboxMessage.status == "sent")).one()
        attempts = session.exec(select(func.count()).select_from(DeliveryAttempt)).one()
    return sent, attempts


# -- what runs in the timed processes -----------------------------------------------------------------

def sender_settings(database_url: str, smtp_port: int) -> Settings:
    # The rate limit is raised out of the way: the benchmark measures the sender, not the limit.
    return Settings(env="development", database_url=database_url, smtp_host="127.0.0.1",
                    smtp_port=smtp_port, smtp_tls=False, mail_per_minute=10**9, run_sender=False)


def run_sender(name: str, database_url: str, smtp_port: int, batch_size: int):
    """One sender: built here, it delivers until nothing is due when called."""
    import emails.backend.smtp  # noqa: F401  (imported at a sender's first email; here, as for the floor, before the timing)
    from ish_portal.notifications.sender import Sender
    engine = make_engine(database_url)
    sender = Sender(engine, sender_settings(database_url, smtp_port), name=name,
                    batch_size=batch_size)
    # max_batches only guards against a sender that never runs dry; it is set far above need.
    return lambda: sender.run_until_idle(max_batches=10**9)


def run_floor(name: str, database_url: str, smtp_port: int, batch_size: int):
    """The floor: every queued message read into memory, then sent in a bare loop over one
    connection, by the `emails` package (name "emails") or by smtplib ("smtplib")."""
    import emails
    from emails.backend.smtp import SMTPBackend
    engine = make_engine(database_url)
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    engine.dispose()
    sender = ("ISH Heidelberg", "ish@ish.example")

    def build(row):
        return emails.html(html=row.body_html, text=row.body_text, subject=row.subject,
                           mail_from=sender, message_id=f"<{row.message_id}@ish.example>",
                           headers={"Auto-Submitted": "auto-generated"})

    if name == "emails":
        def send() -> int:
            backend = SMTPBackend(host="127.0.0.1", port=smtp_port, local_hostname="ish-portal")
            for row in rows:
                assert build(row).send(to=row.recipient, smtp=backend).success
            backend.close()
            return len(rows)
        return send

    messages = []
    for row in rows:
        message = build(row)
        message.set_mail_to(row.recipient)
        messages.append((row.recipient, message.as_bytes()))

    def send() -> int:
        with smtplib.SMTP("127.0.0.1", smtp_port, local_hostname="ish-portal") as client:
            for recipient, data in messages:
                client.sendmail(sender[1], [recipient], data)
        return len(messages)
    return send


def timed_process(prepare, name: str, args: tuple, ready, results) -> None:
    """In a process of its own: prepare (imports, engine, reading), wait for the start, run,
    report how many messages were handled and the CPU seconds this process spent on them."""
    run = prepare(name, *args)
    ready.wait()
    cpu = time.process_time()
    handled = run()
    results.put((name, handled, time.process_time() - cpu))


@dataclass
class Result:
    case: str
    messages: int
    seconds: float
    per_process: dict[str, int]
    cpu_seconds: float          # in the timed processes, summed
    sink_cpu_seconds: float     # in the sink, meanwhile
    distinct: int
    duplicates: int
    without_id: int
    load: tuple[float, float]   # the machine's 1-minute load average before and after
    busy: float | None          # CPUs the whole machine kept busy meanwhile (Linux only)

    @property
    def rate(self) -> float:
        return self.distinct / self.seconds if self.seconds else float("nan")

    def report(self, note: str = "") -> None:
        split = ", ".join(f"{name} {count}" for name, count in sorted(self.per_process.items()))
        print(f"\n{self.case}")
        print(f"  delivered     {self.distinct} distinct messages in {self.seconds:.1f} s: "
              f"{self.rate:,.0f} messages/s{note}")
        print(f"  CPU           {1000 * self.cpu_seconds / max(self.distinct, 1):.2f} ms per message "
              f"in the {'process' if len(self.per_process) == 1 else 'processes'} timed, "
              f"{1000 * self.sink_cpu_seconds / max(self.distinct, 1):.2f} ms in the sink")
        if len(self.per_process) > 1:
            print(f"  per process   {split}")
        print(f"  duplicates    {self.duplicates}")
        print(f"  missing       {self.messages - self.distinct}"
              + (f" (and {self.without_id} without a Message-ID)" if self.without_id else ""))
        busy = "" if self.busy is None else f"; {self.busy:.2f} of them busy meanwhile"
        print(f"  machine       load average {self.load[0]:.1f} before, {self.load[1]:.1f} after, "
              f"on {os.cpu_count()} CPUs{busy}", flush=True)


def run_case(case: str, prepare, names: list[str], args: tuple, sink: Sink, messages: int) -> Result:
    sink.reset()
    ready = SPAWN.Barrier(len(names) + 1)
    results = SPAWN.Queue()
    processes = [SPAWN.Process(target=timed_process, daemon=True,
                               args=(prepare, name, args, ready, results)) for name in names]
    for process in processes:
        process.start()
    ready.wait()
    load_before, machine_before = os.getloadavg()[0], machine_cpu()
    started, sink_cpu = time.monotonic(), sink.cpu()
    handled, cpu = collect(results, processes)
    seconds, sink_cpu = time.monotonic() - started, sink.cpu() - sink_cpu
    load_after, machine_after = os.getloadavg()[0], machine_cpu()
    busy = None if machine_before is None else (machine_after - machine_before) / seconds
    for process in processes:
        process.join()
    distinct, duplicates, without_id = sink.tally()
    return Result(case, messages, seconds, handled, cpu, sink_cpu, distinct, duplicates,
                  without_id, (load_before, load_after), busy)


def machine_cpu() -> float | None:
    """Seconds of CPU every process on the machine has used since boot (the database server and
    the neighbours included), from /proc/stat; None where there is no such file."""
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()[1:]
    except OSError:
        return None
    busy = sum(int(value) for index, value in enumerate(fields[:8]) if index not in (3, 4))  # not idle, iowait
    return busy / os.sysconf("SC_CLK_TCK")


def collect(results, processes) -> tuple[dict[str, int], float]:
    """Each process's count as it finishes; a process that dies stops the benchmark instead of
    leaving it waiting for ever."""
    handled: dict[str, int] = {}
    cpu = 0.0
    while len(handled) < len(processes):
        try:
            name, count, seconds = results.get(timeout=1)
            handled[name] = count
            cpu += seconds
        except queue.Empty:
            dead = [p for p in processes if p.exitcode not in (None, 0)]
            if dead:
                raise RuntimeError(f"a benchmark process ended with exit code {dead[0].exitcode}")
    return handled, cpu


# -- wake-up ------------------------------------------------------------------------------------------

def worker_main(database_url: str, smtp_port: int, ready, stop) -> None:
    """A worker as `ish-portal outbox work` runs it; says when it first idles."""
    import threading

    from ish_portal.worker import Worker
    worker = Worker(make_engine(database_url), sender_settings(database_url, smtp_port))
    thread = threading.Thread(target=worker.run_forever, args=(stop,))
    thread.start()
    worker.waiting.wait(60)
    ready.set()
    thread.join()


def wakeup_case(database_url: str, engine, sink: Sink, count: int) -> tuple[list[float], list[float]]:
    """Seconds from each message's commit to its arrival at the sink, one message at a time to an
    idle worker; and the floor: connecting to the sink and sending one message with smtplib."""
    empty_outbox(engine)
    sink.reset()
    ready, stop = SPAWN.Event(), SPAWN.Event()
    process = SPAWN.Process(target=worker_main, args=(database_url, sink.port, ready, stop),
                            daemon=True)
    process.start()
    if not ready.wait(120):
        raise RuntimeError("the worker did not start")
    latencies = []
    try:
        for _ in range(count):
            time.sleep(random.uniform(0.2, 0.4))  # the worker has sent the last one and idles
            queue_messages(engine, 1)
            committed = time.monotonic()
            with Session(engine) as session:
                newest = session.exec(select(OutboxMessage.message_id)
                                      .order_by(OutboxMessage.id.desc())).first()
            key = f"<{newest}@ish.example>".encode()
            deadline = committed + 30
            while (arrived := sink.arrived(key)) is None:
                if time.monotonic() > deadline:
                    raise RuntimeError("a queued message was not delivered within 30 s")
                time.sleep(0.001)
            latencies.append(arrived - committed)
    finally:
        stop.set()
        process.join(timeout=30)
    data = b"Subject: floor\r\nMessage-ID: <floor@ish.example>\r\n\r\nfloor\r\n"
    floor = []
    for _ in range(count):
        started = time.monotonic()
        with smtplib.SMTP("127.0.0.1", sink.port, local_hostname="ish-portal") as client:
            client.sendmail("ish@ish.example", ["floor@example.org"], data)
        floor.append(time.monotonic() - started)
    return latencies, floor


# -- databases --------------------------------------------------------------------------------------

@dataclass
class Figures:
    floor_emails: Result
    floor_smtplib: Result
    one: Result
    two: Result
    one_again: Result
    wakeups: list[float]
    wakeup_floor: list[float]


def postgresql_cases(server: str, sink: Sink, messages: int, batch_size: int,
                     wakeups: int) -> Figures:
    with scratch_database(server) as database_url:
        return _postgresql_cases(database_url, sink, messages, batch_size, wakeups)


def _postgresql_cases(database_url: str, sink: Sink, messages: int, batch_size: int,
                      wakeups: int) -> Figures:
    name = make_url(database_url).database
    engine = make_engine(database_url)
    args = (database_url, sink.port, batch_size)
    try:
        upgrade(engine)
        print(f"PostgreSQL database {name} created and migrated", flush=True)
        fill(engine, messages)
        floor_emails = run_case("floor: the emails package in a bare loop", run_floor, ["emails"],
                                args, sink, messages)
        floor_emails.report()
        floor_smtplib = run_case("floor: bare smtplib, messages built beforehand", run_floor,
                                 ["smtplib"], args, sink, messages)
        floor_smtplib.report()
        one = run_case("PostgreSQL, 1 sender", run_sender, ["sender-1"], args, sink, messages)
        one.report(f"; the emails floor's rate is {floor_emails.rate / one.rate:.2f}x this")
        print_outbox(engine)
        fill(engine, messages)
        two = run_case("PostgreSQL, 2 senders", run_sender, ["sender-1", "sender-2"], args, sink,
                       messages)
        two.report()
        print_outbox(engine)
        fill(engine, messages)
        one_again = run_case("PostgreSQL, 1 sender again", run_sender, ["sender-1"], args, sink, messages)
        one_again.report()
        print_outbox(engine)
        print(f"\n  two senders   {two.rate:,.0f} messages/s: {two.rate / ones_rate(one, one_again):.2f}x "
              f"one sender ({one.rate:,.0f} messages/s before, {one_again.rate:,.0f} after)", flush=True)
        latencies, floor = wakeup_case(database_url, engine, sink, wakeups)
        print(f"\nwake-up, {wakeups} messages queued one at a time to an idle worker")
        print(f"  commit to sink  median {1000 * statistics.median(latencies):.1f} ms, "
              f"max {1000 * max(latencies):.1f} ms (must stay under 1000 ms)")
        print(f"  floor           median {1000 * statistics.median(floor):.1f} ms: connecting "
              f"and sending one message with smtplib", flush=True)
        return Figures(floor_emails, floor_smtplib, one, two, one_again, latencies, floor)
    finally:
        engine.dispose()
        print(f"PostgreSQL database {name} is dropped")


def ones_rate(before: Result, after: Result) -> float:
    """One sender's rate to hold two senders against: the mean of the runs on either side."""
    return statistics.mean([before.rate, after.rate])


def fill(engine, messages: int) -> None:
    empty_outbox(engine)
    started = time.perf_counter()
    queue_messages(engine, messages)
    seconds = time.perf_counter() - started
    print(f"\nqueued {messages} messages in {seconds:.1f} s "
          f"({messages / seconds:,.0f} messages/s through enqueue)", flush=True)
    if engine.dialect.name == "postgresql":
        # Every case from the same state, as autovacuum keeps a live outbox: without it the first
        # case ran on fresh rows in a table with no statistics, 20 to 35 % slower than the later
        # ones (docs/performance.md, 4 December).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for table in ("outbox_message", "outbox_attachment", "delivery_attempt"):
                connection.exec_driver_sql(f"VACUUM ANALYZE {table}")


def print_outbox(engine) -> None:
    sent, attempts = outbox_figures(engine)
    print(f"  outbox        {sent} rows sent, {attempts} delivery attempts", flush=True)


def sqlite_case(sink: Sink, messages: int, batch_size: int) -> Result:
    with tempfile.TemporaryDirectory(prefix="ish-bench-") as folder:
        database_url = f"sqlite:///{Path(folder) / 'outbox.sqlite3'}"
        engine = make_engine(database_url)
        try:
            upgrade(engine)
            fill(engine, messages)
            result = run_case("SQLite, 1 sender", run_sender, ["sender-1"],
                              (database_url, sink.port, batch_size), sink, messages)
            result.report()
            print_outbox(engine)
            return result
        finally:
            engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000, help="messages per case")
    parser.add_argument("--server", default=DEFAULT_SERVER,
                        help="a PostgreSQL server to create the benchmark's database on")
    parser.add_argument("--batch-size", type=int, default=50,
                        help="rows a sender claims at a time (the portal's default is 20)")
    parser.add_argument("--wakeups", type=int, default=20,
                        help="messages queued one at a time for the wake-up figure")
    parser.add_argument("--sqlite", action="store_true",
                        help="also run the one-sender case on a temporary SQLite file")
    args = parser.parse_args(argv)
    if args.messages < 1 or args.batch_size < 1 or args.wakeups < 1:
        parser.error("--messages, --batch-size and --wakeups must be at least 1")

    sink = Sink()
    print(f"SMTP sink on 127.0.0.1:{sink.port} (processes {', '.join(map(str, sink.pids))}); {args.messages} "
          f"messages per case, senders claim {args.batch_size} at a time", flush=True)
    try:
        figures = postgresql_cases(args.server, sink, args.messages, args.batch_size, args.wakeups)
        on_sqlite = sqlite_case(sink, args.messages, args.batch_size) if args.sqlite else None
    finally:
        sink.stop()
    f = figures
    print("\nsummary")
    print(f"  one sender (PostgreSQL)    {f.one.rate:8,.0f} messages/s, "
          f"{1000 * f.one.cpu_seconds / f.one.distinct:.2f} ms CPU per message")
    print(f"  emails package, bare loop  {f.floor_emails.rate:8,.0f} messages/s: the sender takes "
          f"{f.floor_emails.rate / f.one.rate:.2f}x its time")
    print(f"  bare smtplib               {f.floor_smtplib.rate:8,.0f} messages/s: the sender takes "
          f"{f.floor_smtplib.rate / f.one.rate:.2f}x its time")
    print(f"  two senders (PostgreSQL)   {f.two.rate:8,.0f} messages/s: "
          f"{f.two.rate / ones_rate(f.one, f.one_again):.2f}x one (before and after: "
          f"{f.one.rate:,.0f} and {f.one_again.rate:,.0f} messages/s)")
    if on_sqlite:
        print(f"  one sender (SQLite)        {on_sqlite.rate:8,.0f} messages/s")
    duplicates = f.one.duplicates + f.two.duplicates + f.one_again.duplicates + (on_sqlite.duplicates if on_sqlite else 0)
    print(f"  duplicates                 {duplicates}")
    print(f"  wake-up, commit to sink    median {1000 * statistics.median(f.wakeups):.1f} ms, "
          f"max {1000 * max(f.wakeups):.1f} ms; floor {1000 * statistics.median(f.wakeup_floor):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
