"""The public forms (/access, /password/forgot, a guardian's consent) answer at once and the same
for known and unknown addresses, queue their work for the worker, are rate-limited per client
address and per recipient, and limit every field."""

import re
import threading
from datetime import date

from fastapi.testclient import TestClient
from sqlmodel import select

from ish_portal.accounts.models import AccessToken, PublicForm, PublicRequest, TokenPurpose
from ish_portal.accounts.service import (
    EMAILS_PER_RECIPIENT,
    REQUESTS_PER_CLIENT,
    issue_token,
    queue_public_request,
)
from ish_portal.notifications.models import OutboxMessage
from ish_portal.settings import Settings
from ish_portal.worker import Worker
from tests.conftest import TEST_SECRET, fresh, post_form


def outbox(db):
    fresh(db)
    return db.exec(select(OutboxMessage)).all()


def requests(db):
    fresh(db)
    return db.exec(select(PublicRequest).order_by(PublicRequest.id)).all()


# -- queued, not done in the request --------------------------------------------------------------

def test_access_request_is_queued_and_the_worker_sends_the_link(client, db, make, smtp, deliver):
    edition, organisation = make.edition(db), make.organisation(db)
    make.nomination(db, edition, organisation, email="noemie@example.org")
    known = post_form(client, "/access", "/access", {"email": "Noemie@example.org"})
    unknown = post_form(client, "/access", "/access", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    # Nothing was looked up in the request: no link, no email yet, two requests waiting alike.
    assert outbox(db) == [] and db.exec(select(AccessToken)).all() == []
    assert [(r.form, r.email, r.done_at) for r in requests(db)] == [
        ("access", "noemie@example.org", None), ("access", "nobody@example.org", None)]
    deliver()
    assert [smtp.address_of(m) for m in smtp.messages] == ["noemie@example.org"]
    assert [r.outcome for r in requests(db)] == ["sent", "unknown"]


def test_password_reset_request_is_queued_and_the_worker_sends_the_link(client, db, make, smtp, deliver):
    make.organiser(db, email="olga@ish.example")
    post_form(client, "/password/forgot", "/password/forgot", {"email": "olga@ish.example"})
    post_form(client, "/password/forgot", "/password/forgot", {"email": "nobody@ish.example"})
    assert outbox(db) == []
    deliver()
    assert [smtp.address_of(m) for m in smtp.messages] == ["olga@ish.example"]
    assert [r.outcome for r in requests(db)] == ["sent", "unknown"]


def test_queued_request_is_answered_by_the_running_worker(live_server, db, make, smtp):
    import time

    import httpx2 as httpx
    make.organiser(db, email="olga@ish.example")
    with httpx.Client(base_url=live_server) as browser:
        page = browser.get("/password/forgot").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert browser.post("/password/forgot", data={"email": "olga@ish.example", "csrf_token": token}
                            ).status_code == 200
    deadline = time.monotonic() + 20
    while not smtp.to("olga@ish.example"):
        assert time.monotonic() < deadline, "the worker did not answer the request"
        time.sleep(0.05)


# -- rate limits -------------------------------------------------------------------------------------

def test_sixty_requests_in_a_row_queue_at_most_three_emails_to_one_person(app, db, make, smtp, deliver):
    edition, organisation = make.edition(db), make.organisation(db)
    make.nomination(db, edition, organisation, email="noemie@example.org")
    # From 60 different client addresses, so that only the per-recipient limit applies.
    for n in range(60):
        with TestClient(app, base_url="http://testserver", client=(f"10.0.{n // 250}.{n % 250}", 5000)) as c:
            assert post_form(c, "/access", "/access", {"email": "noemie@example.org"}).status_code == 200
    deliver()
    assert len(smtp.to("noemie@example.org")) == EMAILS_PER_RECIPIENT == 3
    outcomes = [r.outcome for r in requests(db)]
    assert outcomes.count("sent") == 3 and outcomes.count("limited") == 57
    # And the three links: only the newest opens, the others say a newer one was sent.
    fresh(db)
    links = db.exec(select(AccessToken).where(AccessToken.purpose == TokenPurpose.APPLICANT_ACCESS)).all()
    assert sum(1 for link in links if link.superseded_at is None) == 1


def test_per_recipient_limit_holds_for_password_resets(app, db, make, smtp, deliver):
    make.organiser(db, email="olga@ish.example")
    for n in range(10):
        with TestClient(app, base_url="http://testserver", client=(f"10.1.0.{n}", 5000)) as c:
            post_form(c, "/password/forgot", "/password/forgot", {"email": "olga@ish.example"})
    deliver()
    assert len(smtp.to("olga@ish.example")) == 3


def test_too_many_requests_from_one_client_get_a_429_page_saying_when(client, db, make, smtp, deliver):
    make.organiser(db, email="olga@ish.example")
    for _ in range(REQUESTS_PER_CLIENT):
        assert post_form(client, "/password/forgot", "/password/forgot",
                         {"email": "olga@ish.example"}).status_code == 200
    refused = post_form(client, "/password/forgot", "/password/forgot", {"email": "olga@ish.example"})
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 3600
    assert "Too many requests" in refused.text
    assert "Nothing was sent this time. Try again in 60 minutes." in refused.text
    assert '<html lang="en"' in refused.text and 'href="/static/style.css"' in refused.text  # the layout
    # Another form and another client are not affected.
    assert post_form(client, "/access", "/access", {"email": "x@example.org"}).status_code == 200
    assert len(requests(db)) == REQUESTS_PER_CLIENT + 1


def test_consent_page_from_one_client_is_rate_limited_too(client, db, make):
    for _ in range(REQUESTS_PER_CLIENT):
        post_form(client, "/", "/consent/not-a-link", {"guardian_name": "A", "agree": "yes"})
    assert post_form(client, "/", "/consent/not-a-link", {"guardian_name": "A", "agree": "yes"}).status_code == 429


def test_two_workers_answer_every_request_once_within_the_limit(app, settings, db, make, smtp, deliver):
    # As two app processes would, each with its own worker (on PostgreSQL and on SQLite).
    make.organiser(db, email="olga@ish.example")
    edition, organisation = make.edition(db), make.organisation(db)
    make.nomination(db, edition, organisation, email="noemie@example.org")
    for n in range(12):
        queue_public_request(db, PublicForm.PASSWORD_RESET, f"10.2.0.{n}", "olga@ish.example")
        queue_public_request(db, PublicForm.ACCESS, f"10.3.0.{n}", "noemie@example.org")
    start = threading.Barrier(2)

    def work():
        worker = Worker(app.state.engine, settings)
        start.wait()
        worker.answer_requests()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answered = requests(db)
    assert all(r.done_at is not None for r in answered)
    assert sorted(r.outcome for r in answered) == ["limited"] * 18 + ["sent"] * 6
    assert sorted(m.recipient for m in outbox(db)) == ["noemie@example.org"] * 3 + ["olga@ish.example"] * 3


# -- length limits -------------------------------------------------------------------------------------

LONG = "a" * 10_000 + "@example.org"


def test_overlong_address_is_refused_with_a_message_and_never_echoed(client):
    for page in ("/access", "/password/forgot"):
        response = post_form(client, page, page, {"email": LONG})
        assert response.status_code == 400
        assert "The email address is too long: it may have at most 254 characters." in response.text
        assert 'href="#f-email"' in response.text
        assert "a" * 255 not in response.text
        assert len(response.text) < 20_000


def test_overlong_address_on_sign_in_is_not_echoed(client):
    response = post_form(client, "/login", "/login", {"email": LONG, "password": "x"})
    assert response.status_code == 400
    assert "The email address is too long" in response.text and "a" * 255 not in response.text


def test_overlong_guardian_name_is_refused_and_not_echoed(client, db, make):
    edition, organisation = make.edition(db), make.organisation(db)
    nomination = make.nomination(db, edition, organisation, guardian_email="aiko@example.org",
                                 guardian_name="Aiko Nakamura")
    raw = issue_token(db, TokenPurpose.GUARDIAN_CONSENT, "aiko@example.org", nomination_id=nomination.id)
    db.commit()
    response = post_form(client, f"/consent/{raw}", f"/consent/{raw}", {"guardian_name": "Ж" * 10_000, "agree": "yes"})
    assert response.status_code == 400
    assert "Your full name is too long: it may have at most 200 characters." in response.text
    assert "Ж" * 201 not in response.text
    fresh(db)
    assert db.get(type(nomination), nomination.id).guardian_consent_at is None


# -- a used consent link ---------------------------------------------------------------------------------

def test_used_consent_link_says_the_consent_is_recorded_by_whom_and_when(client, app, db, make):
    edition, organisation = make.edition(db), make.organisation(db)
    nomination = make.nomination(db, edition, organisation, given_name="Haruto", family_name="Nakamura",
                                 date_of_birth=date(edition.starts_on.year - 16, 1, 1),
                                 guardian_email="aiko@example.org", guardian_name="Aiko Nakamura")
    raw = issue_token(db, TokenPurpose.GUARDIAN_CONSENT, "aiko@example.org", nomination_id=nomination.id)
    db.commit()
    path = f"/consent/{raw}"
    done = post_form(client, path, path, {"guardian_name": "Aiko Nakamura", "agree": "yes"})
    assert "has been recorded" in done.text
    fresh(db)
    when = db.get(type(nomination), nomination.id).guardian_consent_at
    with TestClient(app, base_url="http://testserver") as later:
        page = later.get(path)  # the link stays the guardian's, to withdraw the consent through it
        assert page.status_code == 200
        assert ("Your consent for <bdi>Haruto Nakamura</bdi> was recorded: given by <bdi>Aiko Nakamura</bdi> on"
                in page.text)
        assert str(when.year) in page.text and f"/consent/{raw}/withdraw" in page.text


# -- HSTS -------------------------------------------------------------------------------------------------

def test_hsts_is_sent_in_production_only(settings, engine):
    from ish_portal.main import create_app
    production = Settings(**{**settings.model_dump(), "env": "production", "secret_key": TEST_SECRET})
    with TestClient(create_app(production), base_url="https://testserver") as secure:
        assert secure.get("/healthz").headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
        assert secure.get("/login").headers["strict-transport-security"].startswith("max-age=31536000")
    with TestClient(create_app(settings), base_url="http://testserver") as development:
        assert "strict-transport-security" not in development.get("/healthz").headers
