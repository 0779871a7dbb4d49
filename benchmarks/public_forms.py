"""Benchmark of the public forms: a known and an unknown address take the same time.

Run from the repository root, with the project installed (make install):
    python benchmarks/public_forms.py [--requests 300]
    python benchmarks/public_forms.py --postgres postgresql://postgres@127.0.0.1:5432/postgres

It builds a fresh database at the newest schema (a temporary SQLite file by default; with
--postgres a database of its own on that server, dropped at the end) with one organiser account and
one nominated student, and serves the portal with uvicorn in a process of its own on 127.0.0.1
(without its worker, so that nothing else runs in the server while the requests are timed). Then it
sends --requests POSTs each to /access and to /password/forgot with the known address and with an
unknown one, in a shuffled order in each round, and times each from the first byte sent to the last byte of the answer.
It prints, per form, the median for known and unknown addresses and their ratio (the goal: 1.00,
as the page only queues the request; the worker looks the address up and writes the email later),
beside the FLOOR: the median of GET /healthz over the same connection kind, measured in the same
run. The queued requests are deleted after every 10 (untimed), so that the per-client limit of the
forms (20 an hour from one address) does not answer 429. It asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import random
import re
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import delete
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scratch import scratch_database, served  # noqa: E402  (a database of the benchmark's own)

from ish_portal.accounts.models import PublicRequest, Role, User  # noqa: E402
from ish_portal.accounts.service import password_hash  # noqa: E402
from ish_portal.nominations.models import Nomination  # noqa: E402
from ish_portal.programme.models import Edition, Organisation  # noqa: E402
from ish_portal.db import make_engine  # noqa: E402
from ish_portal.migrate import upgrade  # noqa: E402
from ish_portal.settings import Settings  # noqa: E402

KNOWN_STAFF, KNOWN_STUDENT = "olga@ish.example", "noemie@example.org"
UNKNOWN_STAFF, UNKNOWN_STUDENT = "nobody@ish.example", "nobody@example.org"


def prepare(url: str) -> None:
    """One organiser with a password (a reset can be asked for) and one submitted nomination."""
    settings = Settings(env="development", database_url=url)
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    now = datetime.now(UTC)
    with Session(engine) as session:
        session.add(User(email=KNOWN_STAFF, full_name="Olga Organiser", role=Role.ORGANISER,
                         password_hash=password_hash.hash("benchmark-password")))
        edition = Edition(year=2027, title="ISH 2027", starts_on=date(2027, 7, 12), ends_on=date(2027, 8, 7),
                          nomination_opens_at=now - timedelta(days=30), nomination_closes_at=now + timedelta(days=30))
        organisation = Organisation(slug="montpellier", name="Montpellier", country="FR")
        session.add(edition)
        session.add(organisation)
        session.flush()
        session.add(Nomination(edition_id=edition.id, organisation_id=organisation.id, given_name="Noémie",
                               family_name="Laurent", email=KNOWN_STUDENT, date_of_birth=date(2008, 5, 14),
                               status="submitted"))
        session.commit()
    engine.dispose()


class Browser:
    def __init__(self, port: int) -> None:
        self.port, self.cookie, self.csrf = port, "", ""

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, float]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": self.cookie}
        body = None
        if form is not None:
            body = urlencode({**form, "csrf_token": self.csrf})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.connect()  # not timed: only the request and its answer are
        started = time.perf_counter()
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        html = response.read()
        elapsed = time.perf_counter() - started
        connection.close()
        if cookie := response.getheader("Set-Cookie"):
            self.cookie = cookie.split(";", 1)[0]
        if found := re.search(rb'name="csrf_token" value="([^"]+)"', html):
            self.csrf = found.group(1).decode()
        return response.status, elapsed


def run(server: str | None, requests: int) -> None:
    with scratch_database(server) as url:
        prepare(url)
        engine = make_engine(Settings(env="development", database_url=url).sqlalchemy_url)
        with served(url) as (port, _pid):
            browser = Browser(port)
            browser.request("GET", "/access")
            cases = {("/access", "known"): KNOWN_STUDENT, ("/access", "unknown"): UNKNOWN_STUDENT,
                     ("/password/forgot", "known"): KNOWN_STAFF, ("/password/forgot", "unknown"): UNKNOWN_STAFF}
            times: dict[tuple[str, str], list[float]] = {case: [] for case in cases}
            floor: list[float] = []
            for _warm_up in range(20):
                browser.request("GET", "/healthz")
            sent = 0
            shuffler = random.Random(7)
            for _round in range(requests):
                order = list(cases)
                shuffler.shuffle(order)  # no case always follows another, or a deletion
                for case in order:
                    status, elapsed = browser.request("POST", case[0], {"email": cases[case]})
                    assert status == 200, f"{case} answered {status}"
                    times[case].append(elapsed)
                    sent += 1
                    if sent % 10 == 0:
                        with Session(engine) as session:
                            session.exec(delete(PublicRequest))
                            session.commit()
                floor.append(browser.request("GET", "/healthz")[1])
        engine.dispose()
    database = "PostgreSQL" if server else "SQLite"
    print(f"Public forms over HTTP on 127.0.0.1, {database}, {requests} requests per form and address")
    print(f"  floor: GET /healthz                 median {statistics.median(floor) * 1000:7.2f} ms")
    for form in ("/access", "/password/forgot"):
        known = statistics.median(times[(form, "known")])
        unknown = statistics.median(times[(form, "unknown")])
        print(f"  POST {form:<17} known   median {known * 1000:7.2f} ms   "
              f"({known / statistics.median(floor):4.1f} x floor)")
        print(f"  POST {form:<17} unknown median {unknown * 1000:7.2f} ms   "
              f"({unknown / statistics.median(floor):4.1f} x floor)")
        print(f"  {form:<22} known / unknown       {known / unknown:5.2f}   goal: 1.00")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server; a database is created and dropped")
    args = parser.parse_args()
    run(args.postgres, args.requests)


if __name__ == "__main__":
    main()
