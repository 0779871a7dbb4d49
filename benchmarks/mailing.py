"""Benchmark of writing a message to many: an organiser's mailing to every candidate of an edition,
as drafts in one transaction, against the floor of writing the same drafts' rows in one statement.

Run from the repository root, with the project installed (make install):
    python benchmarks/mailing.py [--candidates 2000] [--organisations 20] [--repeat 3]
    python benchmarks/mailing.py --postgres postgresql://postgres@127.0.0.1:5432/postgres

It builds a fresh database at the newest schema (a temporary SQLite file, or with --postgres a
database of its own on that server, dropped at the end) with --candidates approved candidates
spread over --organisations organisations, and takes turns --repeat times between:

  mailing   mailings.service.create_mailing in a new session, as the compose page's request does:
            the recipients read, a draft rendered for each in their language with their personal
            link, the batch recorded; CPU and wall time of this process, and the statements sent
            (with how many of them read an organisation or a candidate by its id)
  floor     the same number of outbox rows, of the drafts' own size, inserted with one
            executemany: what storing the drafts costs at least

Each round's drafts are deleted before the next. It prints the figures and the ratio, and asserts
nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime

from sqlalchemy import delete, event, insert
from sqlmodel import Session, select

import ish_portal.areas  # noqa: F401  (every message kind registered, as in the portal)
from scratch import scratch_database  # a database of the benchmark's own
from ish_portal.accounts.models import AccessToken, Role, User
from ish_portal.db import make_engine
from ish_portal.mailings import service
from ish_portal.mailings.groups import Filters
from ish_portal.mailings.models import Mailing
from ish_portal.migrate import upgrade
from ish_portal.nominations.models import Nomination
from ish_portal.notifications.models import OutboxMessage
from ish_portal.programme.models import Edition, Organisation

TEXTS = {"en": ("Your arrival in Heidelberg", "Dear {name}, the train from Frankfurt leaves at nine."),
         "de": ("Ihre Anreise nach Heidelberg", "Liebe(r) {name}, der Zug ab Frankfurt fährt um neun.")}


def fill(engine, candidates: int, organisations: int) -> tuple[int, int]:
    """An edition, an organiser and the candidates; returns the edition's and the organiser's ids."""
    with Session(engine, expire_on_commit=False) as session:
        edition = Edition(year=2027, title="ISH 2027", starts_on=date(2027, 7, 12), ends_on=date(2027, 8, 7),
                          nomination_opens_at=datetime(2026, 10, 1, tzinfo=UTC),
                          nomination_closes_at=datetime(2027, 3, 15, tzinfo=UTC))
        organiser = User(email="olga@ish.example", full_name="Olga Organiser", role=Role.ORGANISER,
                         password_hash="not-for-signing-in")
        places = [Organisation(slug=f"org-{n}", name=f"Partner city {n}", country="JP") for n in range(organisations)]
        session.add_all([edition, organiser, *places])
        session.flush()
        session.add_all([Nomination(edition_id=edition.id, organisation_id=places[n % organisations].id,
                                    status="approved", given_name=f"Kim{n}", family_name="Sato",
                                    email=f"kim{n}@example.org", language="de" if n % 3 else "en",
                                    date_of_birth=date(2008, 5, 14)) for n in range(candidates)])
        session.commit()
        return edition.id, organiser.id


def mailing_round(engine, edition_id: int, organiser_id: int) -> tuple[float, float, Counter[str], int]:
    """(CPU s, wall s, statements by what they read, every statement) of one mailing."""
    sent: Counter[str] = Counter()

    def count(_conn, _cursor, statement, _parameters, _context, _many):
        words = statement.split()
        table = words[words.index("FROM") + 1] if words[0].upper() == "SELECT" and "FROM" in words else ""
        sent[table if table in ("organisation", "nomination") else "other"] += 1

    with Session(engine) as session:
        edition, organiser = session.get(Edition, edition_id), session.get(User, organiser_id)
        event.listen(engine, "before_cursor_execute", count)
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            service.create_mailing(session, organiser, edition, Filters(group="candidates"), TEXTS, [])
        finally:
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            event.remove(engine, "before_cursor_execute", count)
    return cpu, wall, sent, sum(sent.values())


def floor_round(engine, rows: list[dict]) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    with engine.begin() as connection:
        connection.execute(insert(OutboxMessage.__table__),
                           [{**row, "message_id": uuid.uuid4().hex} for row in rows])
    return time.process_time() - cpu, time.perf_counter() - wall


def drafts_as_rows(engine) -> list[dict]:
    """The drafts just written, as rows to insert again (the floor writes exactly these)."""
    columns = [c for c in OutboxMessage.__table__.c if c.name not in ("id", "message_id")]
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(select(*columns))]


def empty(engine) -> None:
    with engine.begin() as connection:
        for table in (OutboxMessage, AccessToken, Mailing):
            connection.execute(delete(table.__table__))


def run(url: str, candidates: int, organisations: int, repeat: int) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
        edition_id, organiser_id = fill(engine, candidates, organisations)
        mailing_cpu, mailing_wall, floor_cpu, floor_wall = [], [], [], []
        reads: Counter[str] = Counter()
        for _ in range(repeat):
            cpu, wall, reads, statements = mailing_round(engine, edition_id, organiser_id)
            mailing_cpu.append(cpu)
            mailing_wall.append(wall)
            rows = drafts_as_rows(engine)
            empty(engine)
            cpu, wall = floor_round(engine, rows)
            floor_cpu.append(cpu)
            floor_wall.append(wall)
            empty(engine)
        print(f"{engine.dialect.name}: a mailing to {candidates} candidates of {organisations} organisations, "
              f"{repeat} rounds (best, median)\n")
        print(f"  mailing  CPU {min(mailing_cpu):6.2f} s ({statistics.median(mailing_cpu):.2f})   "
              f"wall {min(mailing_wall):6.2f} s ({statistics.median(mailing_wall):.2f})   "
              f"{min(mailing_cpu) / candidates * 1000:.2f} ms CPU a draft")
        print(f"  floor    CPU {min(floor_cpu):6.2f} s ({statistics.median(floor_cpu):.2f})   "
              f"wall {min(floor_wall):6.2f} s ({statistics.median(floor_wall):.2f})   "
              f"the same rows in one executemany")
        print(f"  ratio    {min(mailing_cpu) / min(floor_cpu):.1f}x the floor's CPU")
        print(f"  statements  {statements} in all, {statements / candidates:.2f} a draft; reading an "
              f"organisation {reads['organisation']}, a candidate {reads['nomination']}")
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument("--organisations", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server; a database is created and dropped")
    args = parser.parse_args()
    if min(args.candidates, args.organisations, args.repeat) < 1:
        parser.error("--candidates, --organisations and --repeat must be at least 1")
    with scratch_database(args.postgres) as url:
        run(url, args.candidates, args.organisations, args.repeat)


if __name__ == "__main__":
    main()
