"""The retention schedule: defaults and validation, what the settings page says will go when, the
dry run that changes nothing, and the purge that deletes each class when (and only when) it is due,
keeps an anonymous record, writes one audit event per edition and class and tells the organisers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import select

from ish_portal.accounts.models import AccessToken, TokenPurpose
from ish_portal.audit.models import AuditEvent
from ish_portal.audit.service import Actor, record
from ish_portal.nominations.models import Document, DocumentBlob, Interview, Nomination
from ish_portal.notifications.catalog import Reader
from ish_portal.notifications.models import OutboxAttachment, OutboxMessage
from ish_portal.notifications.service import enqueue
from ish_portal.retention import service
from ish_portal.retention.models import RetentionPeriod, RetentionRun
from ish_portal.worker import Worker
from tests.conftest import fresh, post_form
from tests.factories import PASSWORD, PDF

# An edition that ended on 9 August 2025, looked at on 1 March 2026 (Heidelberg): 6 months and 20
# days after the end, so medical (1), passport (3), documents (6) and contacts (6) are due,
# interview notes and review comments (12) are not.
ENDED = date(2025, 8, 9)
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _decided(db, nomination, status, when):
    """The nomination's status, reached at `when` as the audit log tells it."""
    nomination.status = status
    db.add(nomination)
    event = record(db, Actor("test"), "status_changed", "nomination", nomination.id, from_state="approved",
                   to_state=status, edition_id=nomination.edition_id, nomination_id=nomination.id)
    event.occurred_at = when
    db.commit()


def _document(db, nomination):
    document = Document(nomination_id=nomination.id, kind="cv", original_filename="cv.pdf",
                        content_type="application/pdf", size_bytes=len(PDF), sha256="0" * 64)
    db.add(document)
    db.flush()
    db.add(DocumentBlob(document_id=document.id, data=PDF))
    db.commit()
    return document


def _full(make, db, edition, organisation, **fields):
    values = dict(passport_name="NAKAMURA HARUTO", passport_number="TK1234567", passport_expiry=date(2030, 1, 1),
                  medical_notes="asthma, carries an inhaler", dietary_needs="no peanuts",
                  guardian_name="Yui Nakamura", guardian_email="yui.parent@example.org",
                  emergency_contact_name="Ken Nakamura", emergency_contact_phone="+81 96 000 0000",
                  eligibility_reason="excellent interview", status="accepted", nationality="JP")
    nomination = make.nomination(db, edition, organisation, **(values | fields))
    _document(db, nomination)
    db.add(Interview(nomination_id=nomination.id, scheduled_at=NOW - timedelta(days=300),
                     notes="talked about neutrinos", outcome="passed"))
    db.commit()
    return nomination


def _world(db, make):
    organisation = make.organisation(db, name="Kumamoto")
    past = make.edition(db, year=2025, title="ISH 2025", starts_on=date(2025, 7, 14), ends_on=ENDED)
    current = make.edition(db, year=2026, title="ISH 2026", starts_on=date(2026, 7, 13), ends_on=date(2026, 8, 8))
    participant = _full(make, db, past, organisation)
    withdrawn = _full(make, db, past, organisation, given_name="Amira", family_name="Hadzic",
                      email="amira@example.org")
    _decided(db, withdrawn, "withdrawn", datetime(2025, 5, 1, 10, 0, tzinfo=UTC))   # due 1 Nov 2025
    rejected = _full(make, db, past, organisation, given_name="Thabo", email="thabo@example.org")
    _decided(db, rejected, "rejected", datetime(2025, 4, 1, 10, 0, tzinfo=UTC))     # counted from 9 Aug: due 9 Feb 2026
    declined = _full(make, db, past, organisation, given_name="Zofia", email="zofia@example.org")
    _decided(db, declined, "declined", datetime(2025, 10, 1, 10, 0, tzinfo=UTC))    # due 1 Apr 2026
    this_year = _full(make, db, current, organisation, given_name="Noemie", email="noemie@example.org")
    return organisation, past, current, participant, withdrawn, rejected, declined, this_year


def _counts(outcome):
    return {(entry.edition.year, entry.data_class): entry.count for entry in outcome.entries}


def _snapshot(db):
    db = fresh(db)
    return ([n.model_dump() for n in db.exec(select(Nomination).order_by(Nomination.id))],
            db.exec(select(func.count()).select_from(Document)).one(),
            [i.notes for i in db.exec(select(Interview).order_by(Interview.id))],
            db.exec(select(func.count()).select_from(AuditEvent)).one(),
            db.exec(select(func.count()).select_from(OutboxMessage)).one())


# -- the schedule -------------------------------------------------------------------------------------

def test_schedule_defaults_are_the_documented_periods(db, make):
    edition = make.edition(db)
    assert service.periods(db, edition.id) == {"medical": 1, "passport": 3, "documents": 6, "contacts": 6,
                                               "review": 12, "not_accepted": 6}
    assert [c.event for c in service.CLASSES] == ["programme_end"] * 5 + ["final_decision"]


def test_a_period_ends_on_the_same_day_months_later_or_the_months_last_day():
    assert service.add_months(date(2027, 8, 7), 1) == date(2027, 9, 7)
    assert service.add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert service.add_months(date(2027, 8, 7), 0) == date(2027, 8, 7)
    assert service.add_months(date(2027, 8, 7), 120) == date(2037, 8, 7)


def test_final_decision_is_entering_the_status_and_never_before_the_end_for_the_reversible(db, make):
    _org, past, _current, _p, withdrawn, rejected, declined, _t = _world(db, make)
    decided = service.final_decisions(db, past)
    assert decided == {withdrawn.id: date(2025, 5, 1), rejected.id: ENDED, declined.id: date(2025, 10, 1)}
    waitlisted = make.nomination(db, past, _org, status="approved")
    draft = make.nomination(db, past, _org, status="draft")
    decided = service.final_decisions(db, past)
    assert (decided[waitlisted.id], decided[draft.id]) == (ENDED, ENDED)


def _sign_in(client, db, make):
    organiser = make.organiser(db)
    post_form(client, "/login", "/login", {"email": organiser.email, "password": PASSWORD})
    return organiser


def test_settings_page_shows_each_class_its_period_and_what_goes_when(client, db, make):
    organisation = make.organisation(db)
    edition = make.edition(db, year=2027, starts_on=date(2027, 7, 12), ends_on=date(2027, 8, 7))
    for _ in range(12):
        make.nomination(db, edition, organisation, medical_notes="hay fever", status="accepted")
    past = make.edition(db, year=2025, title="ISH 2025", ends_on=ENDED)
    make.nomination(db, past, organisation, passport_number="TK1234567", status="accepted")
    _sign_in(client, db, make)
    page = client.get("/organiser/edition").text
    for data_class in service.CLASSES:
        assert data_class.label in page
        assert f'name="retention_{data_class.key}"' in page
    assert 'name="retention_medical" type="number" min="0" max="120" step="1" required\n                value="1"' in page
    assert "on 7 September 2027: 12 candidates" in page
    # Another edition's data past its period waits for the next run.
    assert "ISH 2025, due now (on 9 November 2025): Passport details (name in the passport, number, expiry), " \
        "1 candidate" in page


def test_settings_page_refuses_a_period_out_of_range_naming_the_field(client, db, make):
    edition = make.edition(db, year=2027)
    _sign_in(client, db, make)
    form = {f"retention_{c.key}": str(c.default_months) for c in service.CLASSES}
    response = post_form(client, "/organiser/edition", "/organiser/edition/retention",
                         {**form, "retention_medical": "121", "retention_passport": "2.5"})
    assert response.status_code == 400
    assert "Medical notes and dietary needs: enter a whole number of months from 0 to 120." in response.text
    assert "Passport details (name in the passport, number, expiry): enter a whole number of months from 0 to 120." \
        in response.text
    assert 'value="121"' in response.text  # what was typed stays
    assert fresh(db).exec(select(RetentionPeriod)).all() == []

    response = post_form(client, "/organiser/edition", "/organiser/edition/retention",
                         {**form, "retention_medical": "0", "retention_review": "24"}, follow_redirects=False)
    assert response.status_code == 303
    assert service.periods(fresh(db), edition.id)["medical"] == 0
    assert service.periods(fresh(db), edition.id)["review"] == 24
    event = fresh(db).exec(select(AuditEvent).where(AuditEvent.action == "retention_schedule_changed")).one()
    assert event.changes == {"medical": [1, 0], "review": [12, 24]}


# -- the dry run and the purge -------------------------------------------------------------------------

def test_dry_run_counts_per_edition_and_class_and_changes_nothing(db, make):
    _world(db, make)
    before = _snapshot(db)
    outcome = service.run(db, dry_run=True, now=NOW)
    assert _counts(outcome) == {(2025, "medical"): 4, (2025, "passport"): 4, (2025, "documents"): 4,
                                (2025, "contacts"): 4, (2025, "not_accepted"): 2}
    assert _snapshot(db) == before


def test_run_purges_each_class_that_is_due_and_only_that(db, make, settings, smtp, app, deliver):
    organiser = make.organiser(db, email="ada@ish.example", full_name="Ada Organiser")
    _org, past, current, participant, withdrawn, rejected, declined, this_year = _world(db, make)
    # Messages that carried the data: the guardian's consent request, a visa letter, a coordinator's notice.
    guardian_mail = enqueue(db, "guardian_consent_request", Reader("yui.parent@example.org", "Yui Nakamura"),
                            {"nomination": participant.id}, edition_id=past.id, nomination_id=participant.id)
    coordinator_mail = enqueue(db, "withdrawal_coordinator", Reader("cora@example.org", "Cora"),
                               {"nomination": participant.id}, edition_id=past.id, nomination_id=participant.id)
    visa = OutboxAttachment(outbox_message_id=coordinator_mail.id, filename="visa-letter.pdf",
                            content_type="application/pdf", data=b"%PDF passport TK1234567", letter="visa")
    db.add(visa)
    db.add(AccessToken(purpose=TokenPurpose.APPLICANT_ACCESS, token_hash="a" * 64, email="amira@example.org",
                       nomination_id=withdrawn.id, expires_at=NOW + timedelta(days=3)))
    withdrawn_mail = enqueue(db, "withdrawal", Reader("amira@example.org", "Amira"), {"nomination": withdrawn.id},
                             edition_id=past.id, nomination_id=withdrawn.id)
    db.commit()

    outcome = service.run(db, now=NOW, base_url="http://testserver")
    assert _counts(outcome) == {(2025, "medical"): 4, (2025, "passport"): 4, (2025, "documents"): 4,
                                (2025, "contacts"): 4, (2025, "not_accepted"): 2}
    db = fresh(db)

    p = db.get(Nomination, participant.id)
    assert (p.medical_notes, p.dietary_needs) == ("", "")
    assert (p.passport_name, p.passport_number, p.passport_expiry) == ("", "", None)
    assert (p.guardian_name, p.guardian_email, p.emergency_contact_name, p.emergency_contact_phone) == ("",) * 4
    assert db.exec(select(Document).where(Document.nomination_id == p.id)).all() == []
    # Not due yet: interview notes and review comments (12 months), the participant's name.
    assert p.eligibility_reason == "excellent interview" and p.given_name == "Haruto"
    assert [i.notes for i in db.exec(select(Interview).where(Interview.nomination_id == p.id))] == \
        ["talked about neutrinos"]
    # The messages that carried the guardian's details are emptied; the visa letter is gone.
    guardian_row = db.get(OutboxMessage, guardian_mail.id)
    assert guardian_row.body_text == "" and "Yui" not in guardian_row.subject
    assert "yui.parent" not in guardian_row.recipient
    assert db.get(OutboxAttachment, visa.id) is None

    # Not accepted and due: nothing personal left, the anonymous record stays with its outcome.
    w = db.get(Nomination, withdrawn.id)
    assert (w.given_name, w.family_name, w.email, w.medical_notes, w.eligibility_reason) == \
        ("(deleted)", "", f"erased-{w.id}@invalid", "", "")
    assert (w.organisation_id, w.edition_id, w.status) == (withdrawn.organisation_id, past.id, "withdrawn")
    r = db.get(Nomination, rejected.id)
    assert (r.given_name, r.status, r.nationality) == ("(deleted)", "rejected", "JP")
    assert db.exec(select(AccessToken).where(AccessToken.nomination_id == w.id)).all() == []
    assert db.get(OutboxMessage, withdrawn_mail.id).recipient.endswith("@invalid")
    assert [i.notes for i in db.exec(select(Interview).where(Interview.nomination_id == w.id))] == [""]
    # Declined on 1 October 2025: not due before 1 April 2026; only the classes counted from the end went.
    d = db.get(Nomination, declined.id)
    assert d.given_name == "Zofia" and d.medical_notes == "" and d.eligibility_reason == "excellent interview"
    # This year's edition has not ended: untouched.
    t = db.get(Nomination, this_year.id)
    assert (t.medical_notes, t.passport_number, t.guardian_name) == \
        ("asthma, carries an inhaler", "TK1234567", "Yui Nakamura")
    assert db.exec(select(func.count()).select_from(Document).where(Document.nomination_id == t.id)).one() == 1

    # One audit event per edition and class.
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "retention_purged")).all()
    assert sorted((e.edition_id, e.changes["class"], e.changes["candidates"]) for e in events) == sorted(
        [(past.id, "medical", 4), (past.id, "passport", 4), (past.id, "documents", 4),
         (past.id, "contacts", 4), (past.id, "not_accepted", 2)])
    # No audit event keeps what went.
    for event in db.exec(select(AuditEvent).where(AuditEvent.nomination_id == withdrawn.id)):
        assert "Amira" not in str(event.changes) + event.actor_label + event.reason

    # The organisers hear what went.
    deliver()
    mail = smtp.to(organiser.email)
    assert len(mail) == 1
    text = smtp.text_of(mail[0])
    assert "ISH 2025: Medical notes and dietary needs, 4 candidates" in text
    assert "ISH 2025: Everything personal of candidates who were not accepted, 2 candidates" in text

    # Run again, nothing is due any more: no event, no email.
    assert service.run(db, now=NOW).entries == []
    assert db.exec(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "retention_purged")).one() == 5


def test_interview_notes_and_review_comments_go_a_year_after_the_end(db, make):
    organisation = make.organisation(db)
    past = make.edition(db, year=2025, ends_on=ENDED)
    participant = _full(make, db, past, organisation)
    outcome = service.run(db, now=datetime(2026, 8, 9, 8, 0, tzinfo=UTC))
    assert (2025, "review") in _counts(outcome)
    db = fresh(db)
    assert db.get(Nomination, participant.id).eligibility_reason == ""
    assert [i.notes for i in db.exec(select(Interview))] == [""]
    assert db.get(Nomination, participant.id).given_name == "Haruto"  # an accepted participant's record stays


def test_a_longer_period_keeps_the_data(db, make):
    organisation = make.organisation(db)
    past = make.edition(db, year=2025, ends_on=ENDED)
    participant = _full(make, db, past, organisation)
    db.add(RetentionPeriod(edition_id=past.id, data_class="medical", months=24))
    db.commit()
    assert (2025, "medical") not in _counts(service.run(db, now=NOW))
    assert fresh(db).get(Nomination, participant.id).medical_notes == "asthma, carries an inhaler"


def test_nightly_run_claims_its_day_once_and_waits_for_the_night(db, make, engine, settings):
    organisation = make.organisation(db)
    past = make.edition(db, year=2025, ends_on=ENDED)
    _full(make, db, past, organisation)
    worker = Worker(engine, settings.model_copy(update={"retention_nightly": True}))
    Worker(engine, settings).nightly_retention(datetime(2026, 3, 1, 4, 0, tzinfo=UTC))  # switched off
    worker.nightly_retention(datetime(2026, 3, 1, 0, 30, tzinfo=UTC))  # 01:30 in Heidelberg: not yet
    assert fresh(db).exec(select(RetentionRun)).all() == []
    worker.nightly_retention(datetime(2026, 3, 1, 2, 30, tzinfo=UTC))
    worker.nightly_retention(datetime(2026, 3, 1, 3, 30, tzinfo=UTC))
    runs = fresh(db).exec(select(RetentionRun)).all()
    assert [(r.day, r.summary["2025"]["medical"]) for r in runs] == [(date(2026, 3, 1), 1)]
    assert fresh(db).exec(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.action == "retention_purged")).one() == 4


def test_a_new_edition_keeps_the_last_ones_periods(client, db, make):
    last = make.edition(db, year=2027)
    db.add(RetentionPeriod(edition_id=last.id, data_class="passport", months=2))
    db.commit()
    _sign_in(client, db, make)
    post_form(client, "/organiser/editions", "/organiser/editions",
              {"year": "2028", "title": "ISH 2028", "starts_on": "2028-07-10", "ends_on": "2028-08-05",
               "nomination_opens_at": "2027-10-01T00:00", "nomination_closes_at": "2028-03-15T23:59",
               "copy_from_last": "yes"})
    new = fresh(db).exec(select(RetentionPeriod).where(RetentionPeriod.edition_id != last.id)).one()
    assert (new.data_class, new.months) == ("passport", 2)


def test_erasure_forgets_what_the_applicant_shared_with_the_lab_hosts(db, make):
    from ish_portal.applicants.service import strip_personal_data
    from ish_portal.db import transaction

    edition = make.edition(db)
    organisation = make.organisation(db)
    nomination = make.nomination(db, edition, organisation, status="accepted", arrival_on=date(2027, 7, 11),
                                 cv_for_hosts=True, dietary_for_hosts=True, dietary_needs="vegetarian")
    with transaction(db):
        strip_personal_data(db, db.get(Nomination, nomination.id))
    erased = fresh(db).get(Nomination, nomination.id)
    assert (erased.arrival_on, erased.cv_for_hosts, erased.dietary_for_hosts, erased.dietary_needs) == (
        None, False, False, "")
