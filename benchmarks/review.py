"""Benchmark of the organisers' review list with 10,000 nominations (the exports have their own,
benchmarks/exports.py, which builds its database with fill() from here).

Run from the repository root, with the project installed (make install):
    python benchmarks/review.py [--nominations 10000] [--repeat 5]
    python benchmarks/review.py --postgres postgresql://postgres@127.0.0.1:5432/postgres

It builds a fresh database (a temporary SQLite file by default; with --postgres a database of its
own on that server, dropped at the end) at the newest schema, fills it with nominations across
15 organisations, each with its document rows (and blobs of a few bytes), then times:
  - the review list's first page (default sort: newest submissions first),
  - a filtered and sorted page (organisation + status + search, sorted by name),
  - the completeness filter (documents incomplete, with the guardian's consent for minors),
  - the count behind the pager.
Each is run --repeat times; best and median seconds are printed. It asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert
from sqlmodel import Session

from scratch import scratch_database  # a database of the benchmark's own
from ish_portal.db import make_engine
from ish_portal.migrate import upgrade
from ish_portal.nominations.models import Document, DocumentBlob, Nomination
from ish_portal.nominations.review import ReviewFilters, count_nominations, review_page
from ish_portal.programme.models import Edition, Organisation, Quota

GIVEN = ["Haruto", "Yui", "Noa", "Ariel", "Łukasz", "Zofia", "Emma", "Liam", "Chloé", "Hugo", "Иван", "春斗",
         "Maya", "Ben", "Amira", "Jonas", "Lea", "Sipho", "Thandi", "Emily"]
FAMILY = ["Nakamura", "Sato", "Cohen", "Levi", "Nowak", "Kowalska", "Smith", "Brown", "Dubois", "Martin",
          "Петров", "中村", "Müller", "Schmidt", "Hadžić", "Kovač", "Nkosi", "Dlamini", "Taylor", "Wilson"]
SUBJECTS = ["Biology", "Physics", "Chemistry", "Astronomy", "Medicine", "Computer science"]
STATUSES = ["submitted"] * 6 + ["approved"] * 2 + ["rejected", "offered", "accepted", "withdrawn", "draft"]
KINDS = ["cv", "motivation_letter", "school_report", "guardian_consent"]


def fill(engine, count: int, seed: int = 7) -> tuple[int, int]:
    """Returns the edition's id and one organisation's id, for the filtered page."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with Session(engine) as session:
        edition = Edition(year=2027, title="ISH 2027", starts_on=date(2027, 7, 12), ends_on=date(2027, 8, 7),
                          nomination_opens_at=now - timedelta(days=60), nomination_closes_at=now + timedelta(days=30))
        session.add(edition)
        organisations = [Organisation(slug=f"org-{i}", name=f"Sending organisation {i:02d}", country="DE")
                         for i in range(15)]
        session.add_all(organisations)
        session.flush()
        session.add_all(Quota(edition_id=edition.id, organisation_id=o.id, places=count) for o in organisations)
        session.commit()
        edition_id, organisation_ids = edition.id, [o.id for o in organisations]

    rows = []
    for n in range(count):
        status = rng.choice(STATUSES)
        rows.append({
            "edition_id": edition_id, "organisation_id": rng.choice(organisation_ids), "status": status,
            "given_name": rng.choice(GIVEN), "family_name": f"{rng.choice(FAMILY)}", "email": f"student{n}@example.org",
            "passport_name": "", "phone": f"+49 6221 {n:06d}", "nationality": rng.choice(["JP", "IL", "PL", "FR", "US"]),
            "date_of_birth": date(2006, 1, 1) + timedelta(days=rng.randrange(0, 4 * 365)),
            "school": "Gymnasium", "school_leaving_year": 2027, "subjects": rng.sample(SUBJECTS, 2),
            "english_level": "C1", "german_level": "A2", "statement": "I like science.", "guardian_name": "",
            "guardian_email": "", "language": "en", "working_languages": ["en"], "emergency_contact_name": "",
            "emergency_contact_phone": "", "dietary_needs": "", "medical_notes": "", "passport_number": "",
            "eligibility_reason": "", "guardian_consent_name": "",
            "review_score": rng.randrange(0, 101) if rng.random() < 0.6 else None,
            "created_at": now, "updated_at": now,
            "submitted_at": None if status == "draft" else now - timedelta(minutes=rng.randrange(0, 60 * 24 * 50)),
        })
    with engine.begin() as connection:
        connection.execute(insert(Nomination), rows)
        ids = [row[0] for row in connection.exec_driver_sql("SELECT id FROM nomination ORDER BY id")]
        documents = []
        for nomination_id in ids:
            # Most have every document; some miss one, so the completeness filter has work to do.
            kinds = KINDS if rng.random() < 0.7 else rng.sample(KINDS, 3)
            documents += [{"nomination_id": nomination_id, "kind": kind, "original_filename": f"{kind}.pdf",
                           "content_type": "application/pdf", "size_bytes": 8, "sha256": "0" * 64,
                           "uploaded_by": "bench", "uploaded_at": now} for kind in kinds]
        connection.execute(insert(Document), documents)
        document_ids = [row[0] for row in connection.exec_driver_sql("SELECT id FROM document")]
        connection.execute(insert(DocumentBlob), [{"document_id": d, "data": b"%PDF-1.4"} for d in document_ids])
    return edition_id, organisation_ids[3]


def timed(label: str, repeat: int, work: Callable[[], object]) -> None:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    print(f"{label:<58} best {min(times):8.4f} s   median {statistics.median(times):8.4f} s   ({result})")


def run(url: str, count: int, repeat: int) -> None:
    engine = make_engine(url)
    try:
        started = time.perf_counter()
        upgrade(engine)
        edition_id, organisation_id = fill(engine, count)
        print(f"{engine.dialect.name}: {count} nominations filled in {time.perf_counter() - started:.1f} s\n")
        with Session(engine, expire_on_commit=False) as session:
            edition = session.get(Edition, edition_id)
            first = ReviewFilters()
            filtered = ReviewFilters(organisation_id=organisation_id, status="submitted", q="nak", sort="name",
                                     direction="asc")
            incomplete = ReviewFilters(completeness="incomplete", sort="score")
            timed("review list, first page (50 rows)", repeat,
                  lambda: f"{len(review_page(session, edition, first).rows)} rows")
            timed("review list, organisation + status + search, by name", repeat,
                  lambda: f"{review_page(session, edition, filtered).total} matches")
            timed("review list, documents incomplete, by score", repeat,
                  lambda: f"{review_page(session, edition, incomplete).total} matches")
            timed("count of all (the pager's)", repeat, lambda: count_nominations(session, edition, first))
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nominations", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server; a database is created and dropped")
    args = parser.parse_args()
    with scratch_database(args.postgres) as url:
        run(url, args.nominations, args.repeat)


if __name__ == "__main__":
    main()
