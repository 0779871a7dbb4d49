"""Every page of every role opens, in every language of the portal, on the demo data: a wrong
placeholder in a translation or a template error anywhere would show here as a 500. No page gives
one id to two elements (a label, a link or aria-describedby would find the wrong one), and no page
sends the same SQL statement twice with the same parameters (work thrown away, whatever the size
of the data; tests/web/test_queries.py says more)."""

from datetime import date, timedelta

import pytest
from fastapi.routing import APIRoute
from sqlmodel import select

from ish_portal.accounts.models import TokenPurpose
from ish_portal.accounts.service import issue_token
from ish_portal.demo import load_demo
from ish_portal.labs.models import Lab
from ish_portal.accounts.models import PanelMember
from ish_portal.nominations.models import Document, Nomination
from ish_portal.placement.models import MatchRun
from ish_portal.text import i18n
from tests.conftest import fresh, post_form
from tests.html import Page
from tests.web.test_queries import repeated, statements
from tests.web.test_route_inventory import routes


# A demo account for the rooms of each signed-in role other than the organisers'.
STAFF_ROOMS = [("coordinator.montpellier@ish.example", "/coordinator"), ("reviewer3@ish.example", "/panel"),
               ("host.stored-and-cooled-ions@ish.example", "/host")]


def host_lab(db) -> int:
    """The coming edition's lab of the demo host above: a student accepted a place in it, and
    Noémie (whose pages the applicant's room shows) chose it."""
    return db.exec(select(Lab).where(Lab.group_name == "Stored and Cooled Ions").order_by(Lab.id.desc())).first().id


def page_paths(app, prefix: str, ids: dict[str, int]) -> list[str]:
    paths = []
    for route in routes(app):
        if "GET" not in route.methods or not route.path.startswith(prefix) or route.path.endswith((".csv", ".zip", ".pdf", "/html")):
            continue
        path = route.path
        for name, value in ids.items():
            path = path.replace("{" + name + "}", str(value))
        if "{" not in path:
            paths.append(path)
    return paths


@pytest.mark.parametrize("language", list(i18n.LANGUAGES))
def test_every_page_opens_for_each_role(app, client, db, settings, language):
    from fastapi.testclient import TestClient
    load_demo(db, settings, today=date(2026, 11, 22))
    fresh(db)
    nomination = db.exec(select(Nomination).where(Nomination.email == "noemie.laurent@example.org")).one()
    ids = {"nomination_id": nomination.id, "lab_id": host_lab(db),
           "document_id": db.exec(select(Document)).first().id, "kind": "offer_made", "lang": language,
           "language": language, "answer": "accept", **scheduled_mailing(db), **interview_ids(db),
           "member_id": db.exec(select(PanelMember)).first().id}

    repeats = {}

    def check(browser, paths):
        for path in paths:
            # One request counted at a time: a page that redirects is counted without the next.
            with statements(app) as sent:
                response = browser.get(path, headers={"accept-language": language}, follow_redirects=False)
            if repeated(sent):
                repeats[path] = repeated(sent)
            if response.is_redirect:
                response = browser.get(path, headers={"accept-language": language})
            assert response.status_code in (200, 404), f"{path}: {response.status_code}"
            if response.status_code == 200 and response.headers["content-type"].startswith("text/html"):
                assert f'<html lang="{i18n.html_lang(language)}" dir="{i18n.direction(language)}">' in response.text, path
                assert Page(response.text).duplicate_ids() == [], f"{path} gives these ids twice"

    post_form(client, "/login", "/login", {"email": "organiser@ish.example", "password": settings.demo_password})
    post_form(client, "/organiser", "/language", {"language": language})
    client.post("/organiser/matching/runs", data={"mode": "stable", "seed": "7",
                                                  "csrf_token": csrf(client)})
    run = fresh(db).exec(select(MatchRun)).first()
    organiser_pages = page_paths(app, "/organiser", {**ids, "run_id": run.id if run else 0})
    assert len(organiser_pages) >= 20
    check(client, organiser_pages)

    for address, room in STAFF_ROOMS:
        with TestClient(app, base_url="http://testserver") as staff:
            post_form(staff, "/login", "/login", {"email": address, "password": settings.demo_password})
            post_form(staff, room, "/language", {"language": language})
            check(staff, page_paths(app, room, ids))

    with TestClient(app, base_url="http://testserver") as applicant:
        raw = issue_token(fresh(db), TokenPurpose.APPLICANT_ACCESS, nomination.email, timedelta(days=1),
                          nomination_id=nomination.id)
        db.commit()
        post_form(applicant, f"/access/{raw}", f"/access/{raw}", {})
        post_form(applicant, "/applicant", "/language", {"language": language})
        applicant_pages = page_paths(app, "/applicant", ids)
        assert len(applicant_pages) >= 5
        check(applicant, applicant_pages)

    # A candidate who booked an interview: their booking page, with the times in their zone.
    with TestClient(app, base_url="http://testserver") as booked:
        chloe = fresh(db).exec(select(Nomination).where(Nomination.email == "chloe.nguyen@example.org")).one()
        raw = issue_token(fresh(db), TokenPurpose.APPLICANT_ACCESS, chloe.email, timedelta(days=1),
                          nomination_id=chloe.id)
        db.commit()
        post_form(booked, f"/access/{raw}", f"/access/{raw}", {})
        post_form(booked, "/applicant", "/language", {"language": language})
        assert booked.get("/applicant/interview").status_code == 200
        check(booked, ["/applicant/interview"])

    for path in ("/", "/login", "/access", "/password/forgot"):
        check(TestClient(app, base_url="http://testserver"), [path])
    assert isinstance(routes(app)[0], APIRoute)
    assert repeats == {}, "\n".join(f"{path}: {r}" for path, rs in repeats.items() for r in rs)


def csrf(client) -> str:
    from tests.conftest import csrf_of
    return csrf_of(client.get("/organiser").text)


def interview_ids(db) -> dict:
    """Chloe's booking (with reviewer3, who interviews too) and one of reviewer3's slots."""
    from ish_portal.interviews.models import InterviewBooking, InterviewSlot
    booking = db.exec(select(InterviewBooking).where(InterviewBooking.slot_id.is_not(None))
                      .join(InterviewSlot, InterviewSlot.id == InterviewBooking.slot_id)
                      .where(InterviewSlot.join_kind == "video")).one()
    return {"booking_id": booking.id, "slot_id": booking.slot_id}


def scheduled_mailing(db) -> dict:
    """The demo's message to a group that waits for its time: its page, its batch's and the
    confirmation of cancelling it."""
    from ish_portal.mailings.models import Mailing
    mailing = db.exec(select(Mailing).where(Mailing.scheduled_at.is_not(None))).one()
    return {"mailing_id": mailing.id, "batch": mailing.batch, "action": "cancel"}
