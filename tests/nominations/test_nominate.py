"""A coordinator's nominations over HTTP: drafts, validation, documents, submission, withdrawal."""

import re
from datetime import date, timedelta

import pytest
from sqlmodel import select

from ish_portal.audit.models import AuditEvent
from ish_portal.db import utcnow
from ish_portal.nominations.models import Document, DocumentBlob, Nomination
from tests.conftest import fresh, post_form
from tests.factories import JPEG, PASSWORD, PDF, PNG


@pytest.fixture
def world(db, make):
    """An open edition with a lab, Kumamoto with two places, and its signed-in coordinator."""
    edition = make.edition(db, title="ISH 2027", year=2027)
    make.lab(db, edition, subject_area="Biology")
    make.lab(db, edition, subject_area="Physics")
    kumamoto = make.organisation(db, name="Kumamoto", slug="kumamoto")
    quota = make.quota(db, edition, kumamoto, places=2)
    coordinator = make.coordinator(db, kumamoto, email="cora@kumamoto.example")
    return edition, kumamoto, quota, coordinator


@pytest.fixture
def signed_in(client, world):
    post_form(client, "/login", "/login", {"email": "cora@kumamoto.example", "password": PASSWORD})
    return client


CANDIDATE = {
    "given_name": "春斗", "family_name": "中村", "passport_name": "NAKAMURA HARUTO",
    "date_of_birth": "2008-05-14", "email": "Haruto@Example.org", "phone": "+81 96 123 4567",
    "nationality": "JP", "school": "Kumamoto Science School", "school_leaving_year": "2027",
    "subjects": ["Biology"], "english_level": "C1", "german_level": "none",
    "statement": "I build telescopes.", "guardian_name": "", "guardian_email": "",
}


def create(client, **changes):
    return post_form(client, "/coordinator/nominations/new", "/coordinator/nominations",
                     {**CANDIDATE, **changes}, follow_redirects=False)


def upload(client, nomination_id, kind, data, filename="file.pdf"):
    return post_form(client, f"/coordinator/nominations/{nomination_id}",
                     f"/coordinator/nominations/{nomination_id}/documents", {"kind": kind},
                     files={"file": (filename, data, "application/octet-stream")}, follow_redirects=False)


def submit(client, nomination_id):
    return post_form(client, f"/coordinator/nominations/{nomination_id}",
                     f"/coordinator/nominations/{nomination_id}/submit", {}, follow_redirects=False)


def the_nomination(db) -> Nomination:
    return fresh(db).exec(select(Nomination)).one()


def test_nominate_draft_keeps_names_in_any_script(signed_in, db):
    response = create(signed_in)
    nomination = the_nomination(db)
    assert response.headers["location"] == f"/coordinator/nominations/{nomination.id}"
    assert (nomination.given_name, nomination.family_name, nomination.status) == ("春斗", "中村", "draft")
    assert nomination.email == "haruto@example.org"
    page = signed_in.get(f"/coordinator/nominations/{nomination.id}")
    assert "中村春斗" in page.text
    assert "中村" in signed_in.get("/coordinator").text


@pytest.mark.parametrize("given, family", [("Łukasz", "Żółć"), ("Noémie", "Laurent"), ("Jürgen", "Öztürk"),
                                           ("נועה", "כהן")])
def test_nominate_names_of_partner_countries_round_trip(signed_in, db, given, family):
    create(signed_in, given_name=given, family_name=family)
    nomination = the_nomination(db)
    assert (nomination.given_name, nomination.family_name) == (given, family)
    assert f"{given} {family}" in signed_in.get(f"/coordinator/nominations/{nomination.id}").text


def test_nominate_errors_are_shown_beside_fields_and_values_survive(signed_in, db):
    response = create(signed_in, passport_name="中村春斗", email="not-an-email", phone="call me",
                      date_of_birth="14.05.2008", given_name="Łukasz")
    assert response.status_code == 400
    html = response.text
    assert "In Latin letters" in html and "Enter an email address like name@example.org." in html
    assert "Enter a phone number with the country code" in html
    assert "Enter a date as YYYY-MM-DD." in html
    assert 'value="Łukasz"' in html and 'value="not-an-email"' in html
    assert 'href="#f-passport_name"' in html  # the summary links to the field
    assert fresh(db).exec(select(Nomination)).all() == []


@pytest.mark.parametrize("born, message", [("2030-01-01", "The date of birth cannot be in the future."),
                                            ("1900-05-14", "Check the year of birth: 14 May 1900 is too long ago.")])
def test_nominate_an_impossible_date_of_birth_says_what_is_wrong_with_it(signed_in, db, born, message):
    # Typed as YYYY-MM-DD: being told to type it so would send the coordinator looking in vain.
    response = create(signed_in, date_of_birth=born)
    assert response.status_code == 400
    assert message in response.text and "Enter the date of birth as YYYY-MM-DD." not in response.text


def test_nominate_age_outside_the_range_is_explained(signed_in, db):
    response = create(signed_in, date_of_birth="2015-01-01")
    assert response.status_code == 400
    assert "Candidates must be 16 to 21 years old on the first day of the programme (12 July 2027); " \
           "this candidate would be 12." in response.text


def test_nominate_subject_not_among_the_labs_is_refused(signed_in, db):
    response = create(signed_in, subjects=["Astrology"])
    assert response.status_code == 400
    assert "Choose subjects from the list." in response.text


def test_submit_refused_lists_what_is_missing(signed_in, db):
    create(signed_in, phone="", statement="")
    nomination = the_nomination(db)
    response = submit(signed_in, nomination.id)
    assert response.status_code == 400
    for missing in ("Phone", "Short statement", "Document: CV", "Document: Motivation letter (English)",
                    "Document: Latest school report"):
        assert f"<li>{missing}</li>" in response.text
    assert "Document: Guardian" not in response.text  # an adult on the first day needs no consent
    assert the_nomination(db).status == "draft"


def test_submit_minor_needs_guardian_and_signed_consent(signed_in, db):
    create(signed_in, date_of_birth="2009-09-21")
    response = submit(signed_in, the_nomination(db).id)
    for missing in ("Guardian&#39;s name", "Guardian&#39;s email address",
                    "Document: Guardian&#39;s consent (signed form)"):
        assert f"<li>{missing}</li>" in response.text


def test_documents_are_recognised_by_content_not_name(signed_in, db):
    create(signed_in)
    nomination = the_nomination(db)
    assert upload(signed_in, nomination.id, "cv", PDF, "lebenslauf.pdf").status_code == 303
    assert upload(signed_in, nomination.id, "school_report", PNG, "report.pdf").status_code == 303
    assert upload(signed_in, nomination.id, "motivation_letter", JPEG, "letter").status_code == 303
    refused = upload(signed_in, nomination.id, "other", b"MZ\x90\x00 not really a pdf", "virus.pdf")
    assert refused.status_code == 400
    assert "Only PDF, JPEG and PNG files are accepted" in refused.text
    stored = {d.kind: d.content_type for d in fresh(db).exec(select(Document)).all()}
    assert stored == {"cv": "application/pdf", "school_report": "image/png", "motivation_letter": "image/jpeg"}


def test_document_over_the_editions_limit_is_refused(signed_in, db, world):
    edition = world[0]
    fresh(db)
    edition.upload_limit_mb = 1
    db.add(edition)
    db.commit()
    create(signed_in)
    response = upload(signed_in, the_nomination(db).id, "cv", PDF + b"0" * (1024 * 1024))
    assert response.status_code == 400
    assert "The file is larger than 1 MB." in response.text
    assert fresh(db).exec(select(Document)).all() == []


def test_document_file_name_is_shown_but_never_used_as_a_path(signed_in, db):
    create(signed_in)
    nomination = the_nomination(db)
    upload(signed_in, nomination.id, "cv", PDF, "../../etc/passwd.pdf")
    document = fresh(db).exec(select(Document)).one()
    assert document.original_filename == "passwd.pdf"
    download = signed_in.get(f"/documents/{document.id}")
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"] == "attachment; filename=\"passwd.pdf\"; filename*=UTF-8''passwd.pdf"
    upload(signed_in, nomination.id, "school_report", PDF, "C:\\Users\\Łukasz\\Świadectwo 2026.pdf")
    report = fresh(db).exec(select(Document).where(Document.kind == "school_report")).one()
    assert report.original_filename == "Świadectwo 2026.pdf"
    assert signed_in.get(f"/documents/{report.id}").headers["content-disposition"] == \
        "attachment; filename=\"_wiadectwo 2026.pdf\"; filename*=UTF-8''%C5%9Awiadectwo%202026.pdf"


def test_document_replaced_while_draft_keeps_only_the_new_one(signed_in, db):
    create(signed_in)
    nomination = the_nomination(db)
    upload(signed_in, nomination.id, "cv", PDF, "old.pdf")
    upload(signed_in, nomination.id, "cv", PDF + b"new", "new.pdf")
    assert [d.original_filename for d in fresh(db).exec(select(Document)).all()] == ["new.pdf"]
    assert len(fresh(db).exec(select(DocumentBlob)).all()) == 1


def complete_and_submit(client, db, **changes):
    create(client, **changes)
    nomination = fresh(db).exec(select(Nomination).order_by(Nomination.id.desc())).first()
    for kind in ("cv", "motivation_letter", "school_report"):
        upload(client, nomination.id, kind, PDF)
    return nomination, submit(client, nomination.id)


def test_submit_takes_a_place_and_sends_the_three_emails(signed_in, db, smtp, deliver):
    nomination, response = complete_and_submit(signed_in, db, date_of_birth="2009-09-21",
                                               guardian_name="Aiko Nakamura", guardian_email="aiko@example.org")
    upload(signed_in, nomination.id, "guardian_consent", PDF)  # still a draft: refused above, add it
    response = submit(signed_in, nomination.id)
    assert response.status_code == 303
    assert the_nomination(db).status == "submitted"
    assert "1 of 2 used, 1 left" in signed_in.get("/coordinator").text
    deliver()
    [candidate] = smtp.to("haruto@example.org")
    [guardian] = smtp.to("aiko@example.org")
    [confirmation] = smtp.to("cora@kumamoto.example")
    assert candidate["Subject"] == "You have been nominated for ISH 2027"
    assert re.search(r"http://testserver/access/\S+", smtp.text_of(candidate))
    assert guardian["Subject"] == "Your consent for 中村春斗 to take part in the ISH"
    assert re.search(r"http://testserver/consent/\S+", smtp.text_of(guardian))
    assert confirmation["Subject"] == "Nomination submitted: 中村春斗"
    assert "now uses 1 of its 2 places" in smtp.text_of(confirmation)


def test_the_coordinator_emails_the_guardian_a_new_consent_link_once_in_a_while(signed_in, db, smtp, deliver):
    # The first email was lost in a spam folder: the coordinator sends another, not two at once.
    nomination, _ = complete_and_submit(signed_in, db, date_of_birth="2009-09-21",
                                        guardian_name="Aiko Nakamura", guardian_email="aiko@example.org")
    upload(signed_in, nomination.id, "guardian_consent", PDF)
    submit(signed_in, nomination.id)
    page = f"/coordinator/nominations/{nomination.id}"
    assert "Email the guardian a new consent link" in signed_in.get(page).text
    sent = post_form(signed_in, page, f"{page}/guardian-request", {}, follow_redirects=True)
    assert "A new consent link is on its way to aiko@example.org." in sent.text
    again = post_form(signed_in, page, f"{page}/guardian-request", {}, follow_redirects=True)
    assert "give them a little time before sending another" in again.text
    deliver()
    first, second = smtp.to("aiko@example.org")
    links = [re.search(r"/consent/\S+", smtp.text_of(m)).group(0) for m in (first, second)]
    assert links[0] != links[1] and "consent link sent to the guardian again" in signed_in.get(page).text


def test_guardian_consent_link_records_who_consented_and_when(signed_in, app, db, smtp, deliver):
    from fastapi.testclient import TestClient
    nomination, _ = complete_and_submit(signed_in, db, date_of_birth="2009-09-21",
                                        guardian_name="Aiko Nakamura", guardian_email="aiko@example.org")
    upload(signed_in, nomination.id, "guardian_consent", PDF)
    submit(signed_in, nomination.id)
    deliver()
    path = re.search(r"http://testserver(/consent/\S+)", smtp.text_of(smtp.to("aiko@example.org")[0])).group(1)
    with TestClient(app, base_url="http://testserver") as guardian:
        page = guardian.get(path)
        assert "<bdi>中村春斗</bdi> has been nominated" in page.text
        refused = post_form(guardian, path, path, {"guardian_name": "Aiko Nakamura"})
        assert "Tick the box to give your consent." in refused.text
        before = utcnow()
        done = post_form(guardian, path, path, {"guardian_name": "Aiko Nakamura", "agree": "yes"})
        assert "Your consent for <bdi>中村春斗</bdi> has been recorded." in done.text
        # The used link now shows the consent it recorded, and by whom, with the way to withdraw it.
        again = guardian.get(path)
        assert again.status_code == 200
        assert "was recorded: given by <bdi>Aiko Nakamura</bdi>" in again.text and "/withdraw" in again.text
    stored = the_nomination(db)
    assert stored.guardian_consent_name == "Aiko Nakamura"
    assert before <= stored.guardian_consent_at <= utcnow()
    assert "given by <bdi>Aiko Nakamura</bdi>" in signed_in.get(f"/coordinator/nominations/{stored.id}").text


def test_submit_when_all_places_are_taken_is_refused(signed_in, db, make, world):
    edition, kumamoto, quota, _ = world
    make.nomination(db, edition, kumamoto, status="submitted")
    make.nomination(db, edition, kumamoto, status="accepted")
    nomination, response = complete_and_submit(signed_in, db)
    assert response.status_code == 409
    assert "All 2 places of your organisation are taken." in response.text
    fresh(db)
    assert db.get(Nomination, nomination.id).status == "draft"
    # The draft's page says so before anyone tries, and offers no button that can only be refused.
    page = signed_in.get(f"/coordinator/nominations/{nomination.id}").text
    assert "All 2 places of your organisation are taken." in page
    assert "Submit the nomination" not in page and "Submitting takes one of your places" not in page


def test_submit_after_the_deadline_is_refused_unless_extended(signed_in, db, world):
    edition, _, quota, _ = world
    create(signed_in)
    nomination = the_nomination(db)
    for kind in ("cv", "motivation_letter", "school_report"):
        upload(signed_in, nomination.id, kind, PDF)
    fresh(db)
    edition.nomination_closes_at = utcnow() - timedelta(minutes=1)
    db.add(edition)
    db.commit()
    late = submit(signed_in, nomination.id)
    assert late.status_code == 409
    assert "The deadline for nominations passed on" in late.text
    assert create(signed_in, given_name="Late").status_code == 400  # no new drafts either
    fresh(db)
    quota.deadline_extended_to = utcnow() + timedelta(days=3)
    db.add(quota)
    db.commit()
    assert submit(signed_in, nomination.id).status_code == 303
    assert "extended for you" in signed_in.get("/coordinator").text


def test_submit_before_the_window_opens_is_refused(signed_in, db, world):
    edition = world[0]
    nomination, _ = complete_and_submit(signed_in, db)
    # (submitted above while open; prepare a second draft and move the opening into the future)
    fresh(db)
    edition.nomination_opens_at = utcnow() + timedelta(days=1)
    db.add(edition)
    db.commit()
    second, response = complete_and_submit(signed_in, db, email="second@example.org")
    assert response.status_code == 409
    assert "Nominations open on" in response.text


def test_withdraw_frees_the_place_for_a_replacement(signed_in, db, make, world):
    edition, kumamoto, quota, _ = world
    make.nomination(db, edition, kumamoto, status="submitted", email="first@example.org")
    taken = make.nomination(db, edition, kumamoto, status="submitted", email="second@example.org")
    confirm = signed_in.get(f"/coordinator/nominations/{taken.id}/withdraw")
    assert "Withdraw" in confirm.text and "cannot be taken up again" in confirm.text
    no_reason = post_form(signed_in, f"/coordinator/nominations/{taken.id}/withdraw",
                          f"/coordinator/nominations/{taken.id}/withdraw", {"reason": " "})
    assert no_reason.status_code == 400
    assert "This field is required." in no_reason.text
    post_form(signed_in, f"/coordinator/nominations/{taken.id}/withdraw",
              f"/coordinator/nominations/{taken.id}/withdraw", {"reason": "Exams moved to July"})
    fresh(db)
    assert db.get(type(taken), taken.id).status == "withdrawn"
    replacement, response = complete_and_submit(signed_in, db, email="replacement@example.org")
    assert response.status_code == 303
    event = fresh(db).exec(select(AuditEvent).where(AuditEvent.nomination_id == taken.id,
                                             AuditEvent.to_state == "withdrawn")).one()
    assert (event.from_state, event.reason) == ("submitted", "Exams moved to July")


def test_withdraw_tells_the_candidate_and_the_coordinator(signed_in, db, make, world, smtp, deliver):
    edition, kumamoto, _, _ = world
    taken = make.nomination(db, edition, kumamoto, status="submitted", email="taken@example.org",
                            submitted_at=utcnow())
    post_form(signed_in, f"/coordinator/nominations/{taken.id}/withdraw",
              f"/coordinator/nominations/{taken.id}/withdraw", {"reason": "Family reasons"})
    deliver()
    [told] = smtp.to("taken@example.org")
    assert "Family reasons" in smtp.text_of(smtp.to("cora@kumamoto.example")[0])
    # Their data stays theirs to take or have deleted, through a personal link they can still ask for.
    assert "no longer gives access" not in smtp.text_of(told)
    assert "You can still ask for a personal link to the portal" in smtp.text_of(told)


def test_withdrawing_a_minor_tells_their_guardian_in_the_guardians_language(signed_in, db, make, world, smtp,
                                                                             deliver):
    edition, kumamoto, _, _ = world
    minor = make.nomination(db, edition, kumamoto, status="submitted", email="yui@example.org", submitted_at=utcnow(),
                            date_of_birth=date(2011, 3, 1), guardian_name="Aiko Matsumoto",
                            guardian_email="aiko@example.org", guardian_language="de")
    post_form(signed_in, f"/coordinator/nominations/{minor.id}/withdraw",
              f"/coordinator/nominations/{minor.id}/withdraw", {"reason": "Exams moved to July"})
    deliver()
    [told] = smtp.to("aiko@example.org")
    assert told["Subject"].startswith("Die Nominierung von") and "Exams moved to July" in smtp.text_of(told)
    assert "Ihre Einwilligung wird nicht mehr benötigt" in smtp.text_of(told)


def _last_summer(db, make, kumamoto):
    """ISH 2026, over since August, and Kumamoto's candidate who took part in it."""
    from datetime import UTC, datetime
    past = make.edition(db, title="ISH 2026", year=2026, starts_on=date(2026, 7, 13), ends_on=date(2026, 8, 8),
                        nomination_opens_at=datetime(2025, 10, 1, tzinfo=UTC),
                        nomination_closes_at=datetime(2026, 3, 15, tzinfo=UTC))
    make.quota(db, past, kumamoto, places=2)
    return make.nomination(db, past, kumamoto, status="accepted", email="sakura@example.org")


def test_a_candidate_of_an_edition_that_has_ended_cannot_be_withdrawn(signed_in, db, make, world, smtp, deliver):
    _, kumamoto, _, _ = world
    sakura = _last_summer(db, make, kumamoto)
    assert "/withdraw" not in signed_in.get(f"/coordinator/nominations/{sakura.id}").text
    asked = signed_in.get(f"/coordinator/nominations/{sakura.id}/withdraw", follow_redirects=True)
    assert "ISH 2026 has ended: its candidates can no longer be withdrawn." in asked.text
    refused = post_form(signed_in, f"/coordinator/nominations/{sakura.id}",
                        f"/coordinator/nominations/{sakura.id}/withdraw", {"reason": "Testing"})
    assert refused.status_code == 400
    assert "ISH 2026 has ended: its candidates can no longer be withdrawn." in refused.text
    assert fresh(db).get(Nomination, sakura.id).status == "accepted"
    deliver()
    assert smtp.to("sakura@example.org") == []


def test_an_organiser_cannot_withdraw_a_candidate_of_an_edition_that_has_ended(client, db, make, world):
    from tests.conftest import sign_in
    _, kumamoto, _, _ = world
    sakura = _last_summer(db, make, kumamoto)
    organiser = sign_in(client, make.organiser(db).email)
    assert 'id="withdraw"' not in organiser.get(f"/organiser/nominations/{sakura.id}").text
    refused = post_form(organiser, f"/organiser/nominations/{sakura.id}",
                        f"/organiser/nominations/{sakura.id}/withdraw", {"withdraw_reason": "Testing", "confirm": "yes"})
    assert "ISH 2026 has ended: its candidates can no longer be withdrawn." in refused.text
    assert fresh(db).get(Nomination, sakura.id).status == "accepted"


def test_history_records_each_change_from_and_to(signed_in, db):
    create(signed_in)
    nomination = the_nomination(db)
    post_form(signed_in, f"/coordinator/nominations/{nomination.id}/edit",
              f"/coordinator/nominations/{nomination.id}/edit", {**CANDIDATE, "phone": "+81 96 765 4321"})
    changed = fresh(db).exec(select(AuditEvent).where(AuditEvent.action == "nomination_changed")).one()
    assert changed.changes == {"phone": ["+81 96 123 4567", "+81 96 765 4321"]}
    assert changed.actor_label == "Cora Coordinator <cora@kumamoto.example>"
    page = signed_in.get(f"/coordinator/nominations/{nomination.id}")
    assert "Phone “<bdi>+81 96 123 4567</bdi>” <span class=\"flip\" aria-hidden=\"true\">→</span> “<bdi>+81 96 765 4321</bdi>”" in page.text


def test_submitted_nomination_can_no_longer_be_edited(signed_in, db):
    nomination, _ = complete_and_submit(signed_in, db)
    response = post_form(signed_in, f"/coordinator/nominations/{nomination.id}",
                         f"/coordinator/nominations/{nomination.id}/edit", {**CANDIDATE, "phone": "+81 1 000 0000"})
    assert response.status_code == 400
    assert "Only a draft can be changed." in response.text
    assert upload(signed_in, nomination.id, "other", PDF).status_code == 400


def test_dormant_organisation_cannot_nominate(signed_in, db, world):
    quota = world[2]
    fresh(db)
    quota.dormant = True
    db.add(quota)
    db.commit()
    response = create(signed_in)
    assert response.status_code == 400
    assert "Your organisation has no places in ISH 2027." in response.text


def test_date_of_birth_today_check_uses_the_first_day(db, make):
    from ish_portal.nominations.service import is_minor
    edition = make.edition(db, starts_on=date(2027, 7, 12))
    organisation = make.organisation(db)
    turns_18_on_day_one = make.nomination(db, edition, organisation, date_of_birth=date(2009, 7, 12))
    turns_18_a_day_later = make.nomination(db, edition, organisation, date_of_birth=date(2009, 7, 13))
    assert (is_minor(turns_18_on_day_one, edition), is_minor(turns_18_a_day_later, edition)) == (False, True)


def test_candidate_not_accepted_frees_the_place_for_a_replacement(signed_in, db, make, world):
    edition, kumamoto, _, _ = world
    make.nomination(db, edition, kumamoto, status="submitted", email="first@example.org")
    make.nomination(db, edition, kumamoto, status="rejected", email="second@example.org")
    replacement, response = complete_and_submit(signed_in, db, email="replacement@example.org")
    assert response.status_code == 303
    assert "2 of 2 used, 0 left" in signed_in.get("/coordinator").text


def test_submit_each_family_member_reads_their_own_language_whatever_the_coordinator_works_in(
        signed_in, db, smtp, deliver):
    # The coordinator works in German; the candidate reads English and the guardian German.
    post_form(signed_in, "/coordinator", "/language", {"language": "de", "next": "/coordinator"})
    assert 'value="de" selected' in signed_in.get("/coordinator/nominations/new").text  # the default
    nomination, _ = complete_and_submit(signed_in, db, date_of_birth="2009-09-21", language="en",
                                        guardian_language="de", guardian_name="Aiko Nakamura",
                                        guardian_email="aiko@example.org")
    upload(signed_in, nomination.id, "guardian_consent", PDF)
    assert submit(signed_in, nomination.id).status_code == 303
    deliver()
    [candidate] = smtp.to("haruto@example.org")
    [guardian] = smtp.to("aiko@example.org")
    assert candidate["Subject"] == "You have been nominated for ISH 2027"
    assert candidate["Content-Language"] == "en"
    assert guardian["Content-Language"] == "de"
    text = smtp.text_of(guardian)
    assert text.startswith("Guten Tag Aiko Nakamura,")
    assert re.search(r"\d+\. Juli 2027 bis \d+\. August 2027", text)  # German dates, not the coordinator's choice


def test_submit_refuses_a_language_the_portal_does_not_write(signed_in, db):
    response = create(signed_in, language="xx")
    assert response.status_code == 400
    assert "Choose one of the languages." in response.text


def test_the_coordinators_history_puts_every_event_into_words(signed_in, db, make, world):
    # A language change shows the languages' names, an answer to an offer its words, never codes.
    edition, kumamoto, _, _ = world
    nomination = make.nomination(db, edition, kumamoto, status="accepted")
    for action, changes in (("nomination_changed", {"guardian_language": ["en", "ja"]}), ("offer_accepted", {})):
        db.add(AuditEvent(actor_label="applicant", action=action, entity="nomination", entity_id=nomination.id,
                          nomination_id=nomination.id, organisation_id=kumamoto.id, changes=changes))
    db.commit()
    page = signed_in.get(f"/coordinator/nominations/{nomination.id}").text
    assert ("Language of the guardian&#39;s emails “<bdi>English</bdi>” <span class=\"flip\" aria-hidden=\"true\">→</span>"
            " “<bdi>Japanese</bdi>”") in page
    assert "offer accepted" in page
    assert "offer_accepted" not in page and "guardian_language" not in page


def test_removing_a_document_asks_first_and_then_deletes_it(signed_in, db):
    create(signed_in)
    nomination = fresh(db).exec(select(Nomination).order_by(Nomination.id.desc())).first()
    upload(signed_in, nomination.id, "cv", PDF)
    [document] = fresh(db).exec(select(Document).where(Document.nomination_id == nomination.id)).all()
    page = signed_in.get(f"/coordinator/nominations/{nomination.id}").text
    # The removal is behind a question: no single click deletes the file.
    asked = page.split('<details class="confirm"><summary>Remove…</summary>')[1].split("</details>")[0]
    assert "The file is deleted; to use it again, upload it again." in asked
    assert f'action="/coordinator/nominations/{nomination.id}/documents/{document.id}/delete"' in asked
    post_form(signed_in, f"/coordinator/nominations/{nomination.id}",
              f"/coordinator/nominations/{nomination.id}/documents/{document.id}/delete", {})
    assert fresh(db).exec(select(Document).where(Document.nomination_id == nomination.id)).all() == []
