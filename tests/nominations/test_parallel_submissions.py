"""The number of places can never be exceeded, also when several submissions arrive at the same
moment: real parallel HTTP requests against a live server (on PostgreSQL in CI's second run)."""

import re
import threading

import httpx2 as httpx
from sqlmodel import select

from ish_portal.nominations.models import Nomination
from tests.conftest import fresh
from tests.factories import PASSWORD


def test_parallel_submissions_never_exceed_the_places(db, make, live_server):
    edition = make.edition(db)
    organisation = make.organisation(db, name="National Youth Science Forum")
    make.quota(db, edition, organisation, places=3)
    drafts = [make.complete_draft(db, edition, organisation, email=f"s{n}@example.org") for n in range(8)]
    make.coordinator(db, organisation, email="nysf@example.org")

    with httpx.Client(base_url=live_server) as browser:
        login = browser.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)
        browser.post("/login", data={"email": "nysf@example.org", "password": PASSWORD, "csrf_token": token})
        # Signing in starts a new session, with a new token.
        token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/coordinator").text).group(1)
        cookies = dict(browser.cookies)

    barrier = threading.Barrier(len(drafts))
    statuses: list[int] = []

    def submit(nomination_id: int) -> None:
        with httpx.Client(base_url=live_server, cookies=cookies, timeout=60) as client:
            barrier.wait()
            response = client.post(f"/coordinator/nominations/{nomination_id}/submit",
                                   data={"csrf_token": token})
            statuses.append(response.status_code)

    threads = [threading.Thread(target=submit, args=(d.id,)) for d in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    submitted = fresh(db).exec(select(Nomination).where(Nomination.status == "submitted")).all()
    assert len(submitted) == 3
    assert sorted(statuses) == [303] * 3 + [409] * 5
