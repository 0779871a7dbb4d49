"""Benchmark of two pages against their floor: the server CPU one request costs.

Run from the repository root, with the project installed (make install):
    python benchmarks/pages.py [--nominations 10000] [--requests 200] [--rounds 5]
    python benchmarks/pages.py --postgres postgresql://postgres@127.0.0.1:5432/postgres

It builds a fresh database (a temporary SQLite file by default; with --postgres a database of its
own on that server, dropped at the end) at the newest schema, fills it with benchmarks/review.py's
nominations, gives one candidate a lab, an interview and an open offer, and serves the portal app
in this process through Starlette's TestClient. Then it measures, as time.process_time() around
--requests requests (the best of --rounds rounds, the three taken in turn so that a busy neighbour
weighs on all alike):
  - the organisers' review list, first page (signed in as an organiser),
  - the applicant's status page (signed in through the applicant's access link),
  - the FLOOR: a FastAPI route defined here that runs one SELECT of 50 rows on the nomination
    table and renders them with a small Jinja template, served the same way.
The client runs in the same process, so every figure includes the client's share of the CPU as
well (nothing is subtracted); it weighs alike on the pages and on the floor. Each page's figure is
printed with the floor's and the ratio, and the number of SQL statements one request sends. It
asserts nothing.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from jinja2 import DictLoader, Environment
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from scratch import scratch_database  # a database of the benchmark's own
from ish_portal.accounts.models import Role, TokenPurpose, User
from ish_portal.accounts.service import issue_token, password_hash
from ish_portal.db import make_engine, utcnow
from ish_portal.main import create_app
from ish_portal.migrate import upgrade
from ish_portal.labs.models import Lab
from ish_portal.nominations.models import Interview, Nomination
from ish_portal.placement.models import Offer
from ish_portal.settings import Settings

from review import fill  # the review benchmark's nominations

PASSWORD = "benchmark-password"
FLOOR_TEMPLATE = """<!doctype html><title>Nominations</title><table>
{% for row in rows %}<tr><td><a href="/n/{{ row.id }}">{{ row.given_name }} {{ row.family_name }}</a></td>
<td>{{ row.email }}</td><td>{{ row.status }}</td><td>{{ row.submitted_at }}</td><td>{{ row.review_score }}</td></tr>
{% endfor %}</table>"""


def floor_app(engine, edition_id: int) -> FastAPI:
    """The least a FastAPI + Jinja page on the same table costs: one SELECT of 50 rows, one template."""
    app = FastAPI()
    template = Environment(loader=DictLoader({"floor.html": FLOOR_TEMPLATE}), autoescape=True).get_template("floor.html")

    @app.get("/floor", response_class=HTMLResponse)
    def floor():
        with Session(engine) as session:
            rows = session.exec(select(Nomination.id, Nomination.given_name, Nomination.family_name,
                                       Nomination.email, Nomination.status, Nomination.submitted_at,
                                       Nomination.review_score)
                                .where(Nomination.edition_id == edition_id, Nomination.status != "draft")
                                .order_by(Nomination.submitted_at.desc()).limit(50)).all()
        return HTMLResponse(template.render(rows=rows))

    return app


def prepare(engine, edition_id: int) -> str:
    """An organiser's account, and a candidate with a lab, an interview and an open offer; returns
    the candidate's access link."""
    now = utcnow()
    with Session(engine, expire_on_commit=False) as session:
        session.add(User(email="olga@ish.example", full_name="Olga Organiser", role=Role.ORGANISER,
                         password_hash=password_hash.hash(PASSWORD)))
        nomination = session.exec(select(Nomination).where(Nomination.status == "submitted")
                                  .order_by(Nomination.id)).first()
        lab = Lab(edition_id=edition_id, institute="EMBL", group_name="Structural Biology", subject_area="Biology")
        session.add(lab)
        session.flush()
        nomination.status = "offered"
        session.add_all([nomination,
                         Interview(nomination_id=nomination.id, scheduled_at=now - timedelta(days=3),
                                   interviewer="Ida", outcome="passed"),
                         Offer(nomination_id=nomination.id, lab_id=lab.id, released_at=now,
                               response_deadline=now + timedelta(days=2))])
        raw = issue_token(session, TokenPurpose.APPLICANT_ACCESS, nomination.email, timedelta(days=1),
                          nomination_id=nomination.id)
        session.commit()
    return raw


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def cpu_per_request(client: TestClient, url: str, requests: int) -> float:
    started = time.process_time()
    for _ in range(requests):
        response = client.get(url)
    elapsed = time.process_time() - started
    assert response.status_code == 200, (url, response.status_code)
    return elapsed / requests


def statements_per_request(engine, client: TestClient, url: str) -> tuple[int, int]:
    """How many statements one request sends, and how many of them repeat an earlier one."""
    sent = []
    listener = lambda conn, cursor, statement, parameters, context, many: sent.append((statement, repr(parameters)))  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(sent), len(sent) - len(set(sent))


def run(url: str, count: int, requests: int, rounds: int) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
        edition_id, _organisation_id = fill(engine, count)
        access = prepare(engine, edition_id)
    finally:
        engine.dispose()
    settings = Settings(env="development", database_url=url, run_sender=False, base_url="http://testserver",
                        mail_dir=Path(tempfile.gettempdir()) / "ish-bench-mail")
    portal = create_app(settings)
    with (TestClient(portal, base_url="http://testserver") as organiser,
          TestClient(portal, base_url="http://testserver") as applicant):
        organiser.post("/login", data={"email": "olga@ish.example", "password": PASSWORD,
                                       "csrf_token": csrf_of(organiser.get("/login").text)})
        applicant.post(f"/access/{access}", data={"csrf_token": csrf_of(applicant.get(f"/access/{access}").text)})
        floor_engine = make_engine(url)
        floor = TestClient(floor_app(floor_engine, edition_id))
        measured = {"review list": (organiser, "/organiser/nominations"),
                    "status page": (applicant, "/applicant"),
                    "floor": (floor, "/floor")}
        best = {name: float("inf") for name in measured}
        for name, (client, path) in measured.items():
            cpu_per_request(client, path, 20)  # warm: templates compiled, connections open
        for _ in range(rounds):
            for name, (client, path) in measured.items():
                best[name] = min(best[name], cpu_per_request(client, path, requests))
        print(f"{make_url(url).get_backend_name()}: {count} nominations; server and client CPU per request, "
              f"best of {rounds} rounds of {requests} requests\n")
        for name, (client, path) in measured.items():
            engine_of = floor_engine if name == "floor" else portal.state.engine
            total, repeated = statements_per_request(engine_of, client, path)
            ratio = "" if name == "floor" else f"   {best[name] / best['floor']:5.2f}x the floor"
            print(f"{name:<12} {path:<24} {best[name] * 1000:7.2f} ms{ratio}   "
                  f"({total} SQL statements, {repeated} repeated)")
        floor_engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nominations", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server; a database is created and dropped")
    args = parser.parse_args()
    with scratch_database(args.postgres) as url:
        run(url, args.nominations, args.requests, args.rounds)


if __name__ == "__main__":
    main()
