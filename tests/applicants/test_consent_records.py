"""Consents as records: who gave which text, how, when and from where; withdrawal through the
consent link, which holds the nomination (no offer accepted, left out of matching) and tells the
coordinators; a changed text asks again; a guardian's consent on paper entered by an organiser."""

import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from ish_portal.accounts.models import AccessToken, TokenPurpose
from ish_portal.accounts.service import issue_token
from ish_portal.audit.models import AuditEvent
from ish_portal.audit.service import SYSTEM, Actor
from ish_portal.db import utcnow
from ish_portal.errors import DomainError
from ish_portal.nominations import consent
from ish_portal.nominations.models import (ConsentRecord, ConsentText, Document, LabPreference, Nomination,
                                           NominationStatus)
from ish_portal.nominations.service import change_status
from ish_portal.placement import runs
from ish_portal.placement.models import Offer
from ish_portal.placement.offers import respond
from tests import factories
from tests.conftest import csrf_of, fresh, post_form
from tests.factories import PASSWORD

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def world(db, make):
    edition = make.edition(db, title="ISH 2027", year=2027, starts_on=date(2027, 7, 12))
    rehovot = make.organisation(db, name="Rehovot", slug="rehovot", country="IL")
    make.quota(db, edition, rehovot, places=3)
    make.coordinator(db, rehovot, email="coordinator.rehovot@ish.example", full_name="Dana Levi")
    organiser = make.organiser(db, email="olga@ish.example", full_name="Olga Organiser")
    lab = make.lab(db, edition, institute="EMBL", group_name="Structural Biology", capacity=2)
    # Noa is 17 on the first day: her guardian's consent is needed.
    noa = make.nomination(db, edition, rehovot, given_name="Noa", family_name="Cohen", email="noa@example.org",
                          date_of_birth=date(2009, 11, 5), status="approved", guardian_name="Miriam Cohen",
                          guardian_email="miriam@example.org", applicant_consent_at=utcnow())
    db.add(LabPreference(nomination_id=noa.id, lab_id=lab.id, rank=1))
    db.commit()
    return edition, noa, lab, organiser


def guardian_link(db, nomination) -> str:
    raw = issue_token(db, TokenPurpose.GUARDIAN_CONSENT, nomination.guardian_email, timedelta(days=30),
                      nomination_id=nomination.id)
    db.commit()
    return f"/consent/{raw}"


def signed_in_organiser(app, organiser):
    client = TestClient(app, base_url="http://testserver")
    post_form(client, "/login", "/login", {"email": organiser.email, "password": PASSWORD})
    return client


def test_guardian_consent_records_who_which_text_how_when_and_from_where(client, db, world):
    edition, noa, _lab, _organiser = world
    path = guardian_link(db, noa)
    page = client.get(path).text
    shown = consent.current_text("guardian", "en")
    assert f'value="{shown.sha256}"' in page
    done = post_form(client, path, path, {"guardian_name": "Miriam Cohen", "agree": "yes"})
    assert "has been recorded" in done.text

    [record] = fresh(db).exec(select(ConsentRecord).where(ConsentRecord.kind == "guardian")).all()
    text = db.get(ConsentText, record.text_id)
    assert (record.given_by, record.method, record.nomination_id) == ("Miriam Cohen", "online", noa.id)
    assert record.address == "testclient" and record.token_id is not None and record.given_at is not None
    # The very words shown are kept, under their hash.
    assert text.sha256 == shown.sha256 and text.language == "en"
    assert consent.text_hash(text.kind, text.language, text.body, text.statement) == text.sha256
    assert "Miriam Cohen" not in text.body and "%(name)s has been nominated" in text.body
    stored = db.get(Nomination, noa.id)
    assert stored.guardian_consent_name == "Miriam Cohen" and stored.guardian_consent_at == record.given_at


def test_a_guardian_is_asked_for_nothing_once_the_nomination_is_withdrawn(client, db, world):
    _edition, noa, _lab, organiser = world
    link = guardian_link(db, noa)
    change_status(db, fresh(db).get(Nomination, noa.id), "withdrawn", Actor.of_user(organiser), reason="Exams")
    db.commit()
    page = client.get(link).text
    assert "No consent is needed any more" in page and "Give my consent" not in page
    answered = post_form(client, link, link, {"agree": "yes", "guardian_name": "Miriam Cohen"})
    assert "No consent is needed any more" in answered.text
    assert fresh(db).exec(select(ConsentRecord).where(ConsentRecord.nomination_id == noa.id,
                                                      ConsentRecord.kind == "guardian")).first() is None


def test_a_page_opened_before_the_text_changed_records_nothing(client, db, world):
    _edition, noa, _lab, _organiser = world
    path = guardian_link(db, noa)
    refused = post_form(client, path, path, {"guardian_name": "Miriam Cohen", "agree": "yes",
                                             "consent_text": "0" * 64})
    assert refused.status_code == 400 and "The consent text has changed" in refused.text
    assert fresh(db).exec(select(ConsentRecord).where(ConsentRecord.kind == "guardian")).all() == []


def test_withdrawn_through_the_link_holds_the_nomination_and_tells_coordinator_and_organisers(
        app, client, db, world, smtp, deliver):
    edition, noa, lab, organiser = world
    path = guardian_link(db, noa)
    post_form(client, path, path, {"guardian_name": "Miriam Cohen", "agree": "yes"})
    # Later, the same link from the consent email: the consent as recorded, and a way to withdraw it.
    page = client.get(path).text
    assert "was recorded: given by <bdi>Miriam Cohen</bdi>" in page and f'href="{path}/withdraw"' in page
    confirm = client.get(f"{path}/withdraw").text
    assert "Withdraw your consent?" in confirm
    unconfirmed = post_form(client, f"{path}/withdraw", f"{path}/withdraw", {})
    assert unconfirmed.status_code == 400 and fresh(db).get(Nomination, noa.id).consent_withdrawn_at is None
    done = post_form(client, f"{path}/withdraw", f"{path}/withdraw", {"confirm": "yes"})
    assert "Your consent is withdrawn" in done.text

    stored = fresh(db).get(Nomination, noa.id)
    assert stored.consent_withdrawn_at is not None and stored.guardian_consent_at is None
    record = db.exec(select(ConsentRecord).where(ConsentRecord.kind == "guardian")).one()
    assert record.withdrawn_at is not None and record.withdrawn_address == "testclient"
    assert consent.standing(db, stored, "guardian").state == consent.State.WITHDRAWN
    # The coordinator is emailed; the organisers see it on the dashboard, the review list and
    # detail, and in the audit log.
    deliver()
    [mail] = smtp.to("coordinator.rehovot@ish.example")
    assert mail["Subject"] == "Consent withdrawn: Noa Cohen"
    assert "The parent or guardian of Noa Cohen (ISH 2027) has withdrawn their consent." in smtp.text_of(mail)
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "consent_withdrawn")).one().nomination_id == noa.id
    staff = signed_in_organiser(app, organiser)
    assert "Consent withdrawn" in staff.get("/organiser").text
    assert "consent withdrawn" in staff.get("/organiser/nominations").text
    detail = staff.get(f"/organiser/nominations/{noa.id}").text
    assert 'id="consent-withdrawn"' in detail and "withdrawn" in detail
    assert "consent withdrawn" in staff.get("/organiser/audit").text

    # Given again through the same link, the nomination moves on again.
    again = client.get(path).text
    assert "You withdrew your consent" in again
    post_form(client, path, path, {"guardian_name": "Miriam Cohen", "agree": "yes"})
    stored = fresh(db).get(Nomination, noa.id)
    assert stored.consent_withdrawn_at is None and stored.guardian_consent_at is not None
    assert len(db.exec(select(ConsentRecord).where(ConsentRecord.kind == "guardian")).all()) == 2


def test_a_withdrawn_guardian_consent_stops_matching_and_accepting_for_that_candidate(db, make, world):
    edition, noa, lab, _organiser = world
    other = make.nomination(db, edition, make.organisation(db, name="Lyon"), given_name="Léa", family_name="Martin", status="approved",
                    date_of_birth=date(2007, 1, 1), applicant_consent_at=utcnow())
    db.add(LabPreference(nomination_id=other.id, lab_id=lab.id, rank=1))
    db.commit()
    factories.consented(db, db.get(Nomination, noa.id), guardian=utcnow())
    students = {s["id"] for s in runs.build_instance(db, edition)["students"]}
    assert students == {runs.student_key(noa.id), runs.student_key(other.id)}

    nomination = fresh(db).get(Nomination, noa.id)
    consent.withdraw(db, nomination, "guardian", Actor("guardian Miriam Cohen"))
    db.commit()
    students = {s["id"] for s in runs.build_instance(fresh(db), edition)["students"]}
    assert students == {runs.student_key(other.id)}  # Noa is left out; Léa is not

    # The status door holds her where she is: no move on, though she can still be withdrawn.
    with pytest.raises(DomainError, match="A consent has been withdrawn"):
        change_status(db, fresh(db).get(Nomination, noa.id), NominationStatus.OFFERED, SYSTEM)
    # An offer she already held cannot be accepted while the consent is withdrawn.
    offer = Offer(nomination_id=noa.id, lab_id=lab.id, response_deadline=utcnow() + timedelta(days=2),
                  released_at=utcnow())
    held = fresh(db).get(Nomination, noa.id)
    held.status = "offered"
    db.add_all([offer, held])
    db.commit()
    with pytest.raises(DomainError, match="parent's or guardian's consent"):
        respond(db, noa.id, offer.id, True)
    assert fresh(db).get(Offer, offer.id).status == "pending"


def test_a_changed_text_asks_those_who_agreed_to_the_old_one_again(app, client, db, world):
    edition, noa, _lab, _organiser = world
    # Noa and her guardian agreed to an older version of the texts (kept in the table).
    old = ConsentText(sha256="a" * 64, kind="applicant", language="en", body="", statement="I agree (old words).")
    old_guardian = ConsentText(sha256="b" * 64, kind="guardian", language="en", body="Old.", statement="Yes.")
    db.add_all([old, old_guardian])
    db.commit()
    path = guardian_link(db, noa)
    for record in db.exec(select(ConsentRecord)).all():
        record.text_id = old.id
        db.add(record)
    token = db.exec(select(AccessToken).where(AccessToken.purpose == "guardian_consent")).one()
    token.used_at = utcnow()
    db.add_all([token, ConsentRecord(nomination_id=noa.id, kind="guardian", given_by="Miriam Cohen",
                                     text_id=old_guardian.id, token_id=token.id, given_at=utcnow())])
    db.commit()
    nomination = fresh(db).get(Nomination, noa.id)
    assert consent.standing(db, nomination, "applicant").state == consent.State.OUTDATED
    assert consent.standing(db, nomination, "guardian").state == consent.State.OUTDATED
    assert "your own consent" in " ".join(consent.missing(db, nomination))

    # The applicant's status page asks for it again, and so does the guardian's (used) link.
    raw = issue_token(db, TokenPurpose.APPLICANT_ACCESS, noa.email, timedelta(days=1), nomination_id=noa.id)
    db.commit()
    applicant = TestClient(app, base_url="http://testserver")
    post_form(applicant, f"/access/{raw}", f"/access/{raw}", {})
    status = applicant.get("/applicant").text
    assert "consent needed again" in status and "The consent text has changed" in status
    assert 'action="/applicant/consent"' in status
    guardian_page = client.get(path).text
    assert "Consent needed again" in guardian_page and 'name="consent_text"' in guardian_page

    post_form(applicant, "/applicant", "/applicant/consent", {"agree": "yes", "consent_name": "Noa Cohen"})
    post_form(client, path, path, {"guardian_name": "Miriam Cohen", "agree": "yes"})
    nomination = fresh(db).get(Nomination, noa.id)
    assert consent.standing(db, nomination, "applicant").state == consent.State.GIVEN
    assert consent.standing(db, nomination, "guardian").state == consent.State.GIVEN
    assert consent.missing(db, nomination) == []
    assert len(db.exec(select(ConsentRecord)).all()) == 4  # the old records stay


def test_the_applicant_gives_and_withdraws_their_own_consent(app, db, world, smtp, deliver):
    edition, noa, _lab, _organiser = world
    raw = issue_token(db, TokenPurpose.APPLICANT_ACCESS, noa.email, timedelta(days=1), nomination_id=noa.id)
    db.commit()
    applicant = TestClient(app, base_url="http://testserver")
    post_form(applicant, f"/access/{raw}", f"/access/{raw}", {})
    post_form(applicant, "/applicant", "/applicant/consent/withdraw", {"confirm": "yes"})
    assert fresh(db).get(Nomination, noa.id).applicant_consent_at is None
    assert "Your consent to the processing of your data" in applicant.get("/applicant").text
    nameless = post_form(applicant, "/applicant", "/applicant/consent", {"agree": "yes"}, follow_redirects=True)
    assert "Enter your full name as your signature." in nameless.text
    post_form(applicant, "/applicant", "/applicant/consent", {"agree": "yes", "consent_name": "Noa Cohen"})
    newest = fresh(db).exec(select(ConsentRecord).where(ConsentRecord.kind == "applicant")
                            .order_by(ConsentRecord.id.desc())).first()
    assert newest.given_by == "Noa Cohen" and newest.withdrawn_at is None and newest.address == "testclient"
    deliver()
    assert smtp.to("coordinator.rehovot@ish.example")[0]["Subject"] == "Consent withdrawn: Noa Cohen"


def test_an_organiser_records_a_guardian_consent_on_paper(app, db, world):
    edition, noa, _lab, organiser = world
    staff = signed_in_organiser(app, organiser)
    detail = f"/organiser/nominations/{noa.id}"
    action = f"{detail}/consent/paper"
    assert f'action="{action}"' in staff.get(detail).text
    csrf = csrf_of(staff.get(detail).text)
    missing = staff.post(action, data={"csrf_token": csrf, "paper_name": "Miriam Cohen", "confirm": "yes"})
    assert missing.status_code == 400 and "Choose the scan of the signed form." in missing.text
    done = staff.post(action, data={"csrf_token": csrf, "paper_name": "Miriam Cohen", "confirm": "yes"},
                      files={"paper_file": ("consent.pdf", io.BytesIO(PDF), "application/pdf")},
                      follow_redirects=False)
    assert done.status_code == 303, done.text
    record = fresh(db).exec(select(ConsentRecord).where(ConsentRecord.kind == "guardian")).one()
    assert (record.method, record.acting_user_id, record.given_by) == ("paper", organiser.id, "Miriam Cohen")
    assert db.get(Document, record.document_id).kind == "guardian_consent"
    assert db.get(ConsentText, record.text_id).sha256 == consent.current_text("guardian", "en").sha256
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "guardian_consented_on_paper")).one().actor_id \
        == organiser.id
    page = staff.get(detail).text
    assert "on paper, entered by an organiser" in page and f'href="/documents/{record.document_id}"' in page


def test_the_applicants_data_export_holds_their_consent_records(app, db, world):
    edition, noa, _lab, _organiser = world
    raw = issue_token(db, TokenPurpose.APPLICANT_ACCESS, noa.email, timedelta(days=1), nomination_id=noa.id)
    db.commit()
    applicant = TestClient(app, base_url="http://testserver")
    post_form(applicant, f"/access/{raw}", f"/access/{raw}", {})
    data = json.loads(zipfile.ZipFile(io.BytesIO(applicant.get("/applicant/data.zip").content)).read("data.json"))
    [own] = data["consents"]
    assert own["consent"] == "applicant" and own["text_sha256"] == consent.current_text("applicant", "en").sha256
    assert "I agree that the City of Heidelberg" in own["text"]


def test_erasure_keeps_that_consents_were_given_but_not_by_whom_or_from_where(app, db, world):
    from ish_portal.applicants.service import ERASED, erase
    edition, noa, _lab, organiser = world
    staff = signed_in_organiser(app, organiser)
    csrf = csrf_of(staff.get(f"/organiser/nominations/{noa.id}").text)
    staff.post(f"/organiser/nominations/{noa.id}/consent/paper",
               data={"csrf_token": csrf, "paper_name": "Miriam Cohen", "confirm": "yes"},
               files={"paper_file": ("consent.pdf", io.BytesIO(PDF), "application/pdf")})
    stored = fresh(db).get(Nomination, noa.id)
    stored.deletion_requested_at = utcnow()
    db.add(stored)
    db.commit()
    erase(db, organiser, noa.id)
    records = fresh(db).exec(select(ConsentRecord).where(ConsentRecord.nomination_id == noa.id)).all()
    assert len(records) == 2 and {r.kind for r in records} == {"applicant", "guardian"}
    assert all(r.given_by == ERASED and r.address == "" and r.document_id is None for r in records)
    assert db.exec(select(Document).where(Document.nomination_id == noa.id)).all() == []
