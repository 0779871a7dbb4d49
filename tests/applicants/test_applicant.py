"""The applicant's side over HTTP: status, profile, consent, lab preferences, the offer, their data."""

import html
import re
import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from sqlmodel import select

from ish_portal.accounts.models import TokenPurpose
from ish_portal.accounts.service import issue_token
from ish_portal.audit.models import AuditEvent
from ish_portal.db import utcnow
from ish_portal.nominations.models import LabPreference, Nomination
from ish_portal.placement.models import Offer
from ish_portal.programme.models import Organisation
from ish_portal.nominations.service import is_minor
from ish_portal.placement.offers import expire_overdue_offers
from tests import factories
from tests.conftest import fresh, post_form
from tests.factories import PASSWORD


def enter(client, db, nomination):
    raw = issue_token(db, TokenPurpose.APPLICANT_ACCESS, nomination.email, timedelta(days=1),
                      nomination_id=nomination.id)
    db.commit()
    post_form(client, f"/access/{raw}", f"/access/{raw}", {})


@pytest.fixture
def world(db, make):
    edition = make.edition(db, title="ISH 2027", year=2027, starts_on=date(2027, 7, 12), max_preferences=3)
    rehovot = make.organisation(db, name="Rehovot", slug="rehovot", country="IL")
    make.quota(db, edition, rehovot, places=2)
    make.coordinator(db, rehovot, email="coordinator.rehovot@ish.example", full_name="Dana Levi")
    nomination = make.complete_draft(db, edition, rehovot, given_name="Noa", family_name="Cohen",
                                     email="noa@example.org", date_of_birth=date(2009, 11, 5), status="submitted",
                                     guardian_name="Miriam Cohen", guardian_email="miriam@example.org")
    labs = {
        "embl": make.lab(db, edition, institute="EMBL", group_name="Structural Biology", languages=["en"]),
        "dkfz": make.lab(db, edition, institute="DKFZ", group_name="Tumour Immunology", min_age=18),
        "hda": make.lab(db, edition, institute="Haus der Astronomie", group_name="Astronomy Education",
                        languages=["de"]),
        "mpia": make.lab(db, edition, institute="MPIA", group_name="Galaxies"),
        "hits": make.lab(db, edition, institute="HITS", group_name="Astroinformatics"),
    }
    return edition, nomination, labs


@pytest.fixture
def applicant(client, db, world):
    enter(client, db, world[1])
    return client


def test_status_shows_timeline_pending_items_and_contacts(applicant):
    page = applicant.get("/applicant").text
    assert "Hello <bdi>Noa</bdi>" in page
    assert "nominated by <bdi>Rehovot</bdi>" in page
    for stage in ("Nominated", "Documents complete", "Interviewed", "Offer made", "Accepted"):
        assert f"<strong>{stage}</strong>" in page
    assert "Your consent to the processing of your data" in page
    assert "Your guardian&#39;s consent (we emailed them a link)" in page
    assert "Dana Levi" in page and "coordinator.rehovot@ish.example" in page


def test_own_consent_is_recorded_once(applicant, db, world):
    post_form(applicant, "/applicant", "/applicant/consent", {"agree": "yes", "consent_name": "Noa Cohen"})
    first = fresh(db).get(Nomination, world[1].id).applicant_consent_at
    post_form(applicant, "/applicant", "/applicant/consent", {"agree": "yes", "consent_name": "Noa Cohen"})
    assert first is not None
    assert fresh(db).get(Nomination, world[1].id).applicant_consent_at == first
    assert "Your consent to the processing" not in applicant.get("/applicant").text


PROFILE = {"phone": "+972 8 123 4567", "working_languages": ["en", "he"],
           "emergency_contact_name": "Miriam Cohen", "emergency_contact_phone": "+972 50 123 4567",
           "dietary_needs": "vegetarian", "medical_notes": "asthma inhaler", "nationality": "IL",
           "passport_number": "12345678", "passport_expiry": "2031-01-31"}


def test_profile_is_saved_and_sensitive_values_stay_out_of_the_audit_log(applicant, db, world):
    response = post_form(applicant, "/applicant/profile", "/applicant/profile", PROFILE, follow_redirects=False)
    assert response.status_code == 303
    stored = fresh(db).get(Nomination, world[1].id)
    assert (stored.medical_notes, stored.passport_number, stored.working_languages) == (
        "asthma inhaler", "12345678", ["en", "he"])
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "profile_changed")).one()
    assert event.changes["medical_notes"] == ["…", "…"]
    assert event.changes["passport_number"] == ["…", "…"]
    assert "asthma" not in json.dumps(event.changes)


def test_profile_errors_are_explained_and_values_kept(applicant):
    response = post_form(applicant, "/applicant/profile", "/applicant/profile",
                         {**PROFILE, "passport_expiry": "2020-01-01", "emergency_contact_phone": "ring me"})
    assert response.status_code == 400
    assert "This passport has expired." in response.text
    assert "Enter a phone number with the country code" in response.text
    assert 'value="Miriam Cohen"' in response.text


def test_profile_dates_must_fit_the_summer(applicant, db, world):
    # ISH 2027 runs from 12 July to 7 August 2027 (the world's edition).
    refused = post_form(applicant, "/applicant/profile", "/applicant/profile",
                        {**PROFILE, "arrival_on": "2027-09-30", "passport_expiry": "2027-07-20"})
    assert refused.status_code == 400
    assert "choose an arrival day between 28 June 2027 and 7 August 2027." in refused.text
    assert "The passport must be valid after the programme&#39;s last day, 7 August 2027" in refused.text
    assert 'value="2027-09-30"' in refused.text  # what was typed stays, to be corrected
    assert fresh(db).get(Nomination, world[1].id).passport_expiry is None
    saved = post_form(applicant, "/applicant/profile", "/applicant/profile",
                      {**PROFILE, "arrival_on": "2027-07-11", "passport_expiry": "2027-08-08"}, follow_redirects=False)
    assert saved.status_code == 303


def test_coordinator_never_sees_medical_notes_or_passport_number(applicant, app, db, world):
    from fastapi.testclient import TestClient
    post_form(applicant, "/applicant/profile", "/applicant/profile", PROFILE)
    with TestClient(app, base_url="http://testserver") as coordinator:
        post_form(coordinator, "/login", "/login", {"email": "coordinator.rehovot@ish.example", "password": PASSWORD})
        page = coordinator.get(f"/coordinator/nominations/{world[1].id}").text
    assert "Noa Cohen" in page
    assert "asthma" not in page and "12345678" not in page


def add(client, lab):
    return post_form(client, "/applicant/labs", "/applicant/labs", {"action": "add", "lab_id": str(lab.id)})


def ranking(db, nomination) -> list[int]:
    rows = fresh(db).exec(select(LabPreference).where(LabPreference.nomination_id == nomination.id)
                          .order_by(LabPreference.rank)).all()
    return [row.lab_id for row in rows]


def test_labs_the_applicant_cannot_take_show_the_reason_and_cannot_be_ranked(applicant, db, world):
    edition, nomination, labs = world
    page = applicant.get("/applicant/labs").text
    assert "This lab takes students from 18; you will be 17 on the first day." in page
    assert "This lab works in German, which is not among your working languages." in page
    refused = add(applicant, labs["dkfz"])
    assert refused.status_code == 400
    assert "This lab takes students from 18" in refused.text
    assert ranking(db, nomination) == []


def test_ranking_add_move_and_remove_without_javascript(applicant, db, world):
    edition, nomination, labs = world
    for key in ("embl", "mpia", "hits"):
        assert add(applicant, labs[key]).status_code == 200  # followed the redirect back to the page
    assert ranking(db, nomination) == [labs["embl"].id, labs["mpia"].id, labs["hits"].id]
    post_form(applicant, "/applicant/labs", "/applicant/labs", {"action": "up", "lab_id": str(labs["hits"].id)})
    assert ranking(db, nomination) == [labs["embl"].id, labs["hits"].id, labs["mpia"].id]
    post_form(applicant, "/applicant/labs", "/applicant/labs", {"action": "down", "lab_id": str(labs["embl"].id)})
    assert ranking(db, nomination) == [labs["hits"].id, labs["embl"].id, labs["mpia"].id]
    post_form(applicant, "/applicant/labs", "/applicant/labs", {"action": "remove", "lab_id": str(labs["embl"].id)})
    assert ranking(db, nomination) == [labs["hits"].id, labs["mpia"].id]


def test_ranking_is_limited_to_the_editions_number(applicant, db, world, make):
    edition, nomination, labs = world
    for key in ("embl", "mpia", "hits"):
        add(applicant, labs[key])
    extra = make.lab(db, edition, group_name="One too many")
    page = applicant.get("/applicant/labs").text
    # With as many as the edition allows, the page says why no lab can be added any more.
    assert "You can rank at most 3 labs. Remove one first." in page and "Add to my ranking" not in page
    refused = add(applicant, extra)
    assert refused.status_code == 400
    assert "You can rank at most 3 labs. Remove one first." in refused.text


def test_ranking_cannot_be_changed_once_the_nomination_moved_on(applicant, db, world):
    # Rejected while the preferences are still open: the ranking stays as it was, without buttons.
    edition, nomination, labs = world
    add(applicant, labs["embl"])
    add(applicant, labs["mpia"])
    stored = fresh(db).get(Nomination, nomination.id)
    stored.status = "rejected"
    db.add(stored)
    db.commit()
    page = applicant.get("/applicant/labs").text
    assert "Your ranking can no longer be changed." in page
    for button in ("Move up", "Move down", "Remove", "Add to my ranking"):
        assert f">{button}</button>" not in page


def test_ranking_locks_when_the_organisers_close_it(applicant, db, world):
    edition, nomination, labs = world
    add(applicant, labs["embl"])
    fresh(db)
    edition.preferences_locked_at = utcnow() - timedelta(minutes=1)
    db.add(edition)
    db.commit()
    page = applicant.get("/applicant/labs").text
    assert "The preferences are closed" in page
    assert "Move up" not in page and "Add to my ranking" not in page
    refused = add(applicant, labs["mpia"])
    assert refused.status_code == 400
    assert ranking(db, nomination) == [labs["embl"].id]


def offer(db, nomination, lab, hours=48, consents=True):
    row = Offer(nomination_id=nomination.id, lab_id=lab.id, response_deadline=utcnow() + timedelta(hours=hours),
                released_at=utcnow())
    fresh(db)
    nomination = db.get(Nomination, nomination.id)
    nomination.status = "offered"
    db.add_all([row, nomination])
    db.commit()
    if consents:
        factories.consented(db, nomination, applicant=utcnow(), guardian=utcnow())
    return row


def test_offer_accepted_after_confirmation_and_both_are_told(applicant, db, world, smtp, deliver):
    edition, nomination, labs = world
    offer(db, nomination, labs["embl"])
    page = applicant.get("/applicant").text
    assert "You are offered a place" in page and "<bdi>Structural Biology, EMBL</bdi>" in page
    confirm = applicant.get("/applicant/offer/accept").text
    assert "Accept your place?" in confirm
    post_form(applicant, "/applicant/offer/accept", "/applicant/offer/accept", {})
    assert fresh(db).get(Nomination, nomination.id).status == "accepted"
    assert db.exec(select(Offer)).one().status == "accepted"
    deliver()
    assert smtp.to("noa@example.org")[0]["Subject"] == "Welcome to ISH 2027: your place is confirmed"
    assert smtp.to("coordinator.rehovot@ish.example")[0]["Subject"] == "Noa Cohen has accepted a place in ISH 2027"


def test_offer_cannot_be_accepted_before_the_consents_are_recorded(applicant, db, world):
    edition, nomination, labs = world
    row = offer(db, nomination, labs["embl"], consents=False)
    page = applicant.get("/applicant/offer").text
    assert "Before you can accept the place, we need your own consent" in page
    assert 'href="/applicant/offer/accept"' not in page
    refused = post_form(applicant, "/applicant/offer/accept", "/applicant/offer/accept", {})
    assert refused.status_code == 409
    assert "your own consent to the processing of your data" in refused.text
    assert fresh(db).get(Offer, row.id).status == "pending"

    post_form(applicant, "/applicant/offer", "/applicant/consent", {"agree": "yes", "consent_name": "Noa Cohen", "next": "/applicant/offer"})
    page = applicant.get("/applicant/offer").text
    if is_minor(fresh(db).get(Nomination, nomination.id), edition):
        assert "your parent's or guardian's consent" in html.unescape(page)
        factories.consented(db, db.get(Nomination, nomination.id), guardian=utcnow())
    assert 'href="/applicant/offer/accept"' in applicant.get("/applicant/offer").text
    post_form(applicant, "/applicant/offer/accept", "/applicant/offer/accept", {})
    assert fresh(db).get(Offer, row.id).status == "accepted"


def test_offer_declined_with_a_reason(applicant, db, world, smtp, deliver):
    edition, nomination, labs = world
    offer(db, nomination, labs["embl"])
    post_form(applicant, "/applicant/offer/decline", "/applicant/offer/decline",
              {"reason": "I start university in July"})
    stored = fresh(db).exec(select(Offer)).one()
    assert (stored.status, stored.decline_reason) == ("declined", "I start university in July")
    assert db.get(Nomination, nomination.id).status == "declined"
    deliver()
    assert "I start university in July" in smtp.text_of(smtp.to("coordinator.rehovot@ish.example")[0])


def test_offer_past_its_deadline_cannot_be_answered_and_expires_on_its_own(applicant, db, world):
    edition, nomination, labs = world
    row = offer(db, nomination, labs["embl"], hours=-1)
    response = post_form(applicant, "/applicant", "/applicant/offer/accept", {})
    assert response.status_code == 409
    assert "The time to answer this offer has passed." in response.text
    assert expire_overdue_offers(fresh(db)) == 1
    assert fresh(db).get(Offer, row.id).status == "expired"
    assert db.get(Nomination, nomination.id).status == "expired"
    assert expire_overdue_offers(fresh(db)) == 0
    assert applicant.get("/applicant/offer/accept").status_code == 404


def test_data_download_holds_everything_with_the_files(applicant, db, world):
    post_form(applicant, "/applicant/profile", "/applicant/profile", PROFILE)
    response = applicant.get("/applicant/data.zip")
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    data = json.loads(archive.read("data.json"))
    assert data["nomination"]["given_name"] == "Noa"
    assert data["nomination"]["medical_notes"] == "asthma inhaler"
    assert data["sending_organisation"] == "Rehovot"
    files = [d["file"] for d in data["documents"]]
    assert len(files) == 4
    assert all(archive.read(name).startswith(b"%PDF") for name in files)


def test_deletion_is_asked_by_the_applicant_and_confirmed_by_an_organiser(applicant, app, db, world, make):
    from fastapi.testclient import TestClient
    from ish_portal.notifications.catalog import Reader
    from ish_portal.notifications.service import enqueue
    edition, nomination, labs = world
    sent = enqueue(db, "withdrawal", Reader(nomination.email, "Noa"), {"nomination": nomination.id},
                   edition_id=edition.id, nomination_id=nomination.id)
    db.commit()
    post_form(applicant, "/applicant/data", "/applicant/deletion", {"confirm": "yes"})
    assert "You asked for deletion on" in applicant.get("/applicant/data").text
    organiser = make.organiser(db)
    with TestClient(app, base_url="http://testserver") as staff:
        post_form(staff, "/login", "/login", {"email": organiser.email, "password": PASSWORD})
        assert "Noa Cohen" in staff.get("/organiser/deletions").text
        post_form(staff, "/organiser/deletions", f"/organiser/deletions/{nomination.id}", {"confirm": "yes"})
        assert "No open deletion requests." in staff.get("/organiser/deletions").text
    erased = fresh(db).get(Nomination, nomination.id)
    assert (erased.given_name, erased.family_name, erased.medical_notes, erased.status) == (
        "(deleted)", "", "", "withdrawn")
    # The emails written to and about the applicant before are emptied too.
    from ish_portal.notifications.models import OutboxMessage
    earlier = fresh(db).get(OutboxMessage, sent.id)
    assert (earlier.subject, earlier.body_text, earlier.recipient) == ("(deleted)", "", f"deleted-{sent.id}@invalid")
    assert applicant.get("/applicant/data.zip").status_code == 200  # the session still works, the data is gone


def test_language_choice_is_remembered_for_pages_and_emails(applicant, db, world, smtp, deliver):
    edition, nomination, labs = world
    post_form(applicant, "/applicant", "/language", {"language": "de", "next": "/applicant"})
    assert "Hallo <bdi>Noa</bdi>" in applicant.get("/applicant").text
    assert fresh(db).get(Nomination, nomination.id).language == "de"
    offer(db, nomination, labs["embl"])
    post_form(applicant, "/applicant/offer/accept", "/applicant/offer/accept", {})
    deliver()
    assert smtp.to("noa@example.org")[0]["Subject"] == "Willkommen bei ISH 2027: dein Platz ist bestätigt"


def test_applicant_pages_refuse_staff_and_strangers(client):
    assert client.get("/applicant/profile", follow_redirects=False).headers["location"] == "/access?next=/applicant/profile"


def test_status_follows_the_stage_and_the_dates(applicant, db, world):
    from ish_portal.nominations.models import Interview
    edition, nomination, labs = world
    db.add(Interview(nomination_id=nomination.id, scheduled_at=utcnow() + timedelta(days=3),
                     interviewer="Dr. Anna Schmidt", outcome="passed"))  # recorded early by mistake
    db.commit()
    page = applicant.get("/applicant").text
    interviewed = re.search(r'<li class="(\w+)">\s*<span class="mark"[^>]*>[^<]*</span>\s*<span class="sr-only">[^<]*</span>\s*'
                            r'<strong>Interviewed</strong>', page)
    assert interviewed and interviewed.group(1) == "open"  # a future interview is not done
    assert "Interview planned for" in page
    assert "Choose my labs" in page

    offer(db, nomination, labs["embl"])
    post_form(applicant, "/applicant/offer/accept", "/applicant/offer/accept", {})
    page = applicant.get("/applicant").text
    assert "Choose my labs" not in page and "Your lab preferences" not in page
    assert "You will work in <bdi>Structural Biology, EMBL</bdi>." in page


@pytest.mark.parametrize("passport", [True, False])
def test_offer_accepted_email_says_which_letters_it_carries(applicant, db, world, smtp, deliver, passport):
    edition, nomination, labs = world
    offer(db, nomination, labs["embl"])
    row = fresh(db).get(Nomination, nomination.id)
    row.passport_name, row.nationality = "COHEN NOA", "IL"
    row.passport_number = "12345678" if passport else ""
    db.add(row)
    db.commit()
    post_form(applicant, "/applicant/offer/accept", "/applicant/offer/accept", {})
    deliver()
    [message] = smtp.to("noa@example.org")
    text = smtp.text_of(message)
    attached = sorted(part.get_filename().split("-letter")[0] for part in message.iter_attachments())
    if passport:
        assert attached == ["acceptance", "visa"]
        assert "Your acceptance letter and your invitation letter for the visa are attached" in text
    else:
        assert attached == ["acceptance"]
        assert "Your acceptance letter is attached" in text
        assert "add your passport details to your profile" in text and "invitation letter" in text


@pytest.mark.parametrize("status, heading, last_step", [
    ("rejected", "Your nomination did not go further", "Not selected this year"),
    ("withdrawn", "Your nomination was withdrawn", "Nomination withdrawn"),
    ("declined", "You declined the place", "Declined"),
    ("expired", "The offer has lapsed", "Offer expired"),
])
def test_a_nomination_that_is_over_says_so_and_asks_for_nothing_more(applicant, db, world, status, heading,
                                                                       last_step):
    # Noa still owes her consent, her guardian's, her profile and her labs: none of it matters any
    # more once the nomination is over, and the page says first how it ended.
    _edition, nomination, _labs = world
    stored = fresh(db).get(Nomination, nomination.id)
    stored.status = status
    db.add(stored)
    db.commit()
    page = applicant.get("/applicant").text
    assert f'<h2 id="outcome-heading">{heading}</h2>' in page
    assert "You can still download the data we hold about you" in page
    assert "Still to do" not in page and "Your consent to the processing of your data" not in page
    assert "Complete my profile" not in page and "Choose my labs" not in page
    steps = re.findall(r"<strong>([^<]+)</strong>", page.split('class="timeline"')[1].split("</ol>")[0])
    assert steps[-1] == last_step
    assert "Offer made" not in steps  # never made (the world has no offer): not waited for either
    assert applicant.get("/applicant/data").status_code == 200  # their data stays theirs to take


def test_the_answer_by_time_is_in_the_applicants_zone_as_in_their_email(applicant, db, world):
    # Noa lives in Rehovot (Israel); the offer email wrote her deadline in Israel's time with
    # Heidelberg's beside, and the pages say the same.
    from datetime import UTC, datetime
    _edition, nomination, labs = world
    row = offer(db, nomination, labs["embl"])
    row = fresh(db).get(Offer, row.id)
    row.response_deadline = datetime(2027, 5, 20, 21, 59, tzinfo=UTC)
    rehovot = db.get(Organisation, nomination.organisation_id)
    rehovot.time_zone = "Asia/Jerusalem"
    db.add_all([row, rehovot])
    db.commit()
    for page in ("/applicant", "/applicant/offer"):
        text = applicant.get(page).text
        assert "21 May 2027, 00:59" in text and "20 May 2027, 23:59 CEST in Heidelberg" in text, page
