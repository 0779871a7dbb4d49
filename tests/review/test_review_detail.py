"""One nomination under review: what the organiser sees, and the decisions with their audit events
and the interview invitation with its calendar file."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from ish_portal.audit.models import AuditEvent
from ish_portal.db import utcnow
from ish_portal.nominations.models import ConsentRecord, Interview, Nomination
from icalendar import Calendar
from ish_portal.text.timefmt import from_local_input
from tests.conftest import fresh, post_form


@pytest.fixture
def nomination(db, make, edition):
    kumamoto = make.organisation(db, name="Kumamoto")
    return make.nomination(db, edition, kumamoto, given_name="Haruto", family_name="Nakamura",
                           email="haruto@example.org", phone="+81 96 123 4567", medical_notes="Peanut allergy",
                           passport_number="TK1234567", passport_expiry=date(2031, 1, 31),
                           dietary_needs="Vegetarian")


def url(nomination, tail=""):
    return f"/organiser/nominations/{nomination.id}{tail}"


def post(client, nomination, tail, data):
    return post_form(client, url(nomination), url(nomination, tail), data, follow_redirects=False)


def events(db, action):
    return fresh(db).exec(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_review_detail_shows_profile_with_medical_and_passport_details(as_organiser, nomination):
    page = as_organiser.get(url(nomination))
    assert page.status_code == 200
    for text in ("Haruto Nakamura", "Kumamoto", "Peanut allergy", "TK1234567", "31 January 2031", "Vegetarian",
                 "haruto@example.org"):
        assert text in page.text


def test_review_detail_unknown_nomination_is_404(as_organiser, edition):
    assert as_organiser.get("/organiser/nominations/999999").status_code == 404


def test_review_not_eligible_needs_a_reason(as_organiser, db, nomination):
    response = post(as_organiser, nomination, "/eligibility", {"decision": "rejected", "reason": " "})
    assert response.status_code == 400
    assert "Give the reason why the candidate is not eligible." in response.text
    assert fresh(db).get(Nomination, nomination.id).status == "submitted"


def test_review_not_eligible_records_reason_and_audit_event(as_organiser, db, nomination, organiser):
    response = post(as_organiser, nomination, "/eligibility", {"decision": "rejected", "reason": "Too old"})
    assert response.status_code == 303
    saved = fresh(db).get(Nomination, nomination.id)
    assert (saved.status, saved.eligibility_reason) == ("rejected", "Too old")
    [event] = events(db, "status_changed")
    assert (event.from_state, event.to_state, event.reason, event.actor_id) == ("submitted", "rejected", "Too old",
                                                                              organiser.id)
    again = post(as_organiser, nomination, "/eligibility", {"decision": "approved", "reason": ""})
    assert again.status_code == 303
    saved = fresh(db).get(Nomination, nomination.id)
    assert (saved.status, saved.eligibility_reason) == ("approved", "")
    assert [(e.from_state, e.to_state) for e in events(db, "status_changed")] == [
        ("submitted", "rejected"), ("rejected", "approved")]


def test_review_eligibility_of_a_withdrawn_nomination_is_refused(as_organiser, db, nomination):
    nomination.status = "withdrawn"
    db.add(nomination)
    db.commit()
    response = post(as_organiser, nomination, "/eligibility", {"decision": "approved"})
    assert response.status_code == 400
    assert "A nomination that is withdrawn cannot become approved." in response.text


@pytest.mark.parametrize("value, message", [("101", "Enter a number of at most 100."),
                                            ("-1", "Enter a number of at least 0."),
                                            ("7.5", "Enter a whole number.")])
def test_review_score_out_of_range_is_refused(as_organiser, db, nomination, value, message):
    response = post(as_organiser, nomination, "/score", {"review_score": value})
    assert response.status_code == 400
    assert message in response.text
    assert fresh(db).get(Nomination, nomination.id).review_score is None


def test_review_score_is_saved_and_audited(as_organiser, db, nomination):
    assert post(as_organiser, nomination, "/score", {"review_score": "85"}).status_code == 303
    assert post(as_organiser, nomination, "/score", {"review_score": ""}).status_code == 303
    assert fresh(db).get(Nomination, nomination.id).review_score is None
    assert [e.changes for e in events(db, "review_score_changed")] == [{"review_score": [None, 85]},
                                                                       {"review_score": [85, None]}]


def test_review_interview_invitation_carries_a_calendar_file(as_organiser, db, nomination, smtp, deliver):
    when = datetime.now(UTC).date() + timedelta(days=10)
    response = post(as_organiser, nomination, "/interviews", {
        "scheduled_at": f"{when.isoformat()}T10:30", "interviewer": "Dr. Anna Schmidt, Büro; ISH", "notes": "call"})
    assert response.status_code == 303
    interview = fresh(db).exec(select(Interview)).one()
    start = from_local_input(when, datetime.strptime("10:30", "%H:%M").time())
    assert (interview.scheduled_at, interview.interviewer, interview.outcome) == (start, "Dr. Anna Schmidt, Büro; ISH",
                                                                                  "pending")
    [event] = events(db, "interview_scheduled")
    assert (event.entity, event.entity_id, event.nomination_id) == ("interview", interview.id, nomination.id)
    assert deliver() == 1
    [message] = smtp.to("haruto@example.org")
    assert message["Subject"].startswith("Your interview in English for ISH 2027: ")
    text = smtp.text_of(message)
    assert "Dr. Anna Schmidt, Büro; ISH will call you" in text
    [attachment] = [part for part in message.iter_attachments()]
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == "interview.ics"
    raw = attachment.get_payload(decode=True)
    # Text in any script, declared as UTF-8: a text part without a charset is US-ASCII to a mail
    # program, which would garble a name in Chinese or an ü when the file is opened.
    assert attachment.get_content_charset() == "utf-8"
    assert attachment.get_content() == raw.decode("utf-8") and "Büro" in raw.decode("utf-8")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    [event] = Calendar.from_ical(raw).walk("VEVENT")
    assert Calendar.from_ical(raw)["METHOD"] == "PUBLISH"
    assert event.decoded("DTSTART") == start
    assert event.decoded("DURATION") == timedelta(minutes=30)
    assert str(event["UID"]) == f"interview-{interview.id}@testserver"
    assert str(event["SUMMARY"]) == "ISH interview in English (ISH 2027)"
    assert "Dr. Anna Schmidt, Büro; ISH" in str(event["DESCRIPTION"])
    assert b"Dr. Anna Schmidt\\, B\xc3\xbcro\\; ISH" in raw.replace(b"\r\n ", b"")
    assert event.decoded("DTSTAMP").tzinfo is not None


def test_review_interview_invitation_in_german_says_du(as_organiser, db, nomination, smtp, deliver):
    nomination.language = "de"
    db.add(nomination)
    db.commit()
    when = (datetime.now(UTC) + timedelta(days=20)).date()
    post(as_organiser, nomination, "/interviews", {"scheduled_at": f"{when.isoformat()}T09:00", "interviewer": "Anna"})
    deliver()
    [message] = smtp.to("haruto@example.org")
    assert message["Subject"].startswith("Dein Interview auf Englisch für ISH 2027: ")
    assert "Anna ruft dich unter der Telefonnummer an" in smtp.text_of(message)


def test_review_interview_in_the_past_or_without_interviewer_is_refused(as_organiser, db, nomination):
    past = post(as_organiser, nomination, "/interviews", {"scheduled_at": "2020-01-01T10:00", "interviewer": "Anna"})
    assert past.status_code == 400
    assert "Choose a time in the future." in past.text
    nobody = post(as_organiser, nomination, "/interviews", {"scheduled_at": "2099-01-01T10:00", "interviewer": ""})
    assert nobody.status_code == 400
    assert "This field is required." in nobody.text
    garbled = post(as_organiser, nomination, "/interviews", {"scheduled_at": "soon", "interviewer": "Anna"})
    assert garbled.status_code == 400
    assert fresh(db).exec(select(Interview)).all() == []


def test_review_interview_outcome_is_saved_and_audited(as_organiser, db, nomination):
    db.add(Interview(nomination_id=nomination.id, scheduled_at=datetime.now(UTC), interviewer="Anna"))
    db.commit()
    interview = db.exec(select(Interview)).one()
    response = post(as_organiser, nomination, f"/interviews/{interview.id}",
                    {"interviewer": "Anna", "notes": "Fluent", "outcome": "passed"})
    assert response.status_code == 303
    saved = fresh(db).get(Interview, interview.id)
    assert (saved.outcome, saved.notes) == ("passed", "Fluent")
    [event] = events(db, "interview_updated")
    assert (event.from_state, event.to_state, event.changes) == (
        "pending", "passed", {"notes": ["", "Fluent"], "outcome": ["pending", "passed"]})
    wrong = post(as_organiser, nomination, f"/interviews/{interview.id}",
                 {"interviewer": "Anna", "outcome": "maybe"})
    assert wrong.status_code == 400
    assert "Choose one of the options." in wrong.text
    history = as_organiser.get(url(nomination)).text
    assert "interview updated" in history and "pending <span class=\"flip\">→</span> passed" in history




@pytest.fixture
def last_summer(db, make):
    """Kumamoto's candidate of ISH 2026, over since August: approved, with a score and an interview
    held, never offered a place. The guardian's consent never came."""
    past = make.edition(db, title="ISH 2026", year=2026, starts_on=date(2026, 7, 13), ends_on=date(2026, 8, 8),
                        nomination_opens_at=datetime(2025, 10, 1, tzinfo=UTC),
                        nomination_closes_at=datetime(2026, 3, 15, tzinfo=UTC))
    kumamoto = make.organisation(db, name="Kumamoto")
    candidate = make.nomination(db, past, kumamoto, status="approved", review_score=61, given_name="Yui",
                                family_name="Matsumoto", email="yui@example.org", date_of_birth=date(2009, 5, 1),
                                guardian_email="matsumoto@example.org")
    db.add(Interview(nomination_id=candidate.id, scheduled_at=datetime(2026, 2, 2, 9, tzinfo=UTC),
                     interviewer="Dr. Weber", notes="Clear answers", outcome="passed"))
    db.commit()
    return candidate


def test_the_review_of_an_edition_that_has_ended_is_a_record(as_organiser, db, last_summer, smtp, deliver):
    page = as_organiser.get(url(last_summer))
    assert "ISH 2026 has ended: what was decided and recorded for its candidates stays as it was." in page.text
    for door in ("/eligibility", "/score", "/interviews", "/consent/paper"):
        assert f'action="{url(last_summer, door)}' not in page.text
    assert "61" in page.text and "Dr. Weber" in page.text and "Clear answers" in page.text
    assert "The applicant ranked no lab." in page.text
    [interview] = fresh(db).exec(select(Interview)).all()
    in_ten_days = (datetime.now(UTC) + timedelta(days=10)).strftime("%Y-%m-%dT10:00")
    for tail, data in (("/eligibility", {"decision": "rejected", "reason": "Late"}),
                       ("/score", {"review_score": "90"}),
                       ("/interviews", {"scheduled_at": in_ten_days, "interviewer": "Dr. Weber"}),
                       (f"/interviews/{interview.id}", {"interviewer": "Dr. Weber", "outcome": "failed"})):
        refused = post(as_organiser, last_summer, tail, data)
        assert refused.status_code == 400, tail
        assert "ISH 2026 has ended: what was decided and recorded for its candidates stays as it was." in refused.text, tail
    saved = fresh(db).get(Nomination, last_summer.id)
    assert (saved.status, saved.review_score) == ("approved", 61)
    assert [(i.outcome, i.interviewer) for i in fresh(db).exec(select(Interview)).all()] == [("passed", "Dr. Weber")]
    paper = post_form(as_organiser, url(last_summer), url(last_summer, "/consent/paper"),
                      {"paper_name": "Aoi Matsumoto", "confirm": "yes"},
                      files={"paper_file": ("consent.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")})
    assert paper.status_code == 400
    assert "ISH 2026 has ended: what was decided and recorded for its candidates stays as it was." in paper.text
    assert fresh(db).exec(select(ConsentRecord)).all() == []
    assert events(db, "status_changed") == [] and events(db, "review_score_changed") == []
    deliver()
    assert smtp.to("yui@example.org") == [] and smtp.to("matsumoto@example.org") == []


def test_the_bulk_decision_is_refused_once_the_current_edition_has_ended(as_organiser, db, last_summer):
    refused = post_form(as_organiser, "/organiser/nominations", "/organiser/nominations/bulk",
                        {"ids": str(last_summer.id), "decision": "reject", "reason": "Late", "confirm": "yes"},
                        follow_redirects=True)
    assert "ISH 2026 has ended: what was decided and recorded for its candidates stays as it was." in refused.text
    assert fresh(db).get(Nomination, last_summer.id).status == "approved"


def test_an_interview_the_applicant_booked_shows_on_their_page(as_organiser, db, make, edition):
    # Booked through the interview slots, it is the candidate's interview as much as one scheduled
    # here: the page must not say that none is scheduled, inviting a second one.
    from ish_portal.interviews.models import InterviewBooking, InterviewSlot

    organisation = make.organisation(db, name="Montpellier", country="FR")
    chloe = make.nomination(db, edition, organisation, given_name="Chloé", status="submitted")
    invited = make.nomination(db, edition, organisation, given_name="Jules", status="submitted")
    interviewer = make.organiser(db, full_name="Ines Interviewer")
    slot = InterviewSlot(edition_id=edition.id, interviewer_id=interviewer.id, join_how="+49 6221 58 0",
                         starts_at=datetime(2031, 3, 14, 13, 0, tzinfo=UTC))
    db.add(slot)
    db.flush()
    db.add(InterviewBooking(edition_id=edition.id, nomination_id=chloe.id, slot_id=slot.id, booked_at=utcnow(),
                            notes="Fluent and curious."))
    db.add(InterviewBooking(edition_id=edition.id, nomination_id=invited.id))
    db.commit()
    page = as_organiser.get(f"/organiser/nominations/{chloe.id}").text
    assert "14 March 2031, 14:00 CET · booked by the applicant" in page
    assert "Ines Interviewer" in page and "Fluent and curious." in page
    assert "No interview scheduled yet." not in page
    waiting = as_organiser.get(f"/organiser/nominations/{invited.id}").text
    assert "to book an interview slot; nothing booked yet." in waiting


def test_the_candidates_page_shows_their_offers_with_the_lab_and_the_answer(as_organiser, db, make, edition):
    from ish_portal.placement.models import Offer

    organisation = make.organisation(db, name="Montpellier", country="FR")
    noemie = make.nomination(db, edition, organisation, given_name="Noémie", status="offered")
    assert "No lab place offered yet." in as_organiser.get(f"/organiser/nominations/{noemie.id}").text
    embl = make.lab(db, edition, institute="EMBL", group_name="Structural Biology")
    mpia = make.lab(db, edition, institute="MPIA", group_name="Galaxies")
    db.add(Offer(nomination_id=noemie.id, lab_id=mpia.id, status="declined", decline_reason="too far from home",
                 response_deadline=datetime(2031, 5, 1, 21, 59, tzinfo=UTC), released_at=utcnow(),
                 responded_at=datetime(2031, 4, 20, 8, 0, tzinfo=UTC), created_at=datetime(2031, 4, 10, tzinfo=UTC)))
    db.add(Offer(nomination_id=noemie.id, lab_id=embl.id, status="pending", released_at=utcnow(),
                 response_deadline=datetime(2031, 5, 20, 21, 59, tzinfo=UTC), created_at=datetime(2031, 4, 25, tzinfo=UTC)))
    db.commit()
    page = as_organiser.get(f"/organiser/nominations/{noemie.id}").text
    place = page.split('id="place"')[1].split("</section>")[0]
    assert place.index("Structural Biology, EMBL") < place.index("Galaxies, MPIA")  # the newest first
    assert "awaiting an answer" in place and "20 May 2031, 23:59 CEST" in place
    assert "declined (<bdi>too far from home</bdi>)" in place and "20 April 2031, 10:00 CEST" in place
