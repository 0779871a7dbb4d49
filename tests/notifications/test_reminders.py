"""The worker's reminders: one per offer before its deadline, and coordinators' drafts still
incomplete before the nomination deadline at most once a day; and the withdrawal notice."""

from datetime import timedelta

from sqlmodel import select

from ish_portal.db import transaction, utcnow
from ish_portal.notifications.models import OutboxMessage
from ish_portal.nominations.messages import notify_withdrawal, send_missing_documents_reminders
from ish_portal.placement.messages import send_offer_reminders
from ish_portal.placement.models import Offer, OfferStatus
from ish_portal.worker import Worker
from tests.conftest import fresh

BASE = "http://testserver"


def pending_offer(db, world, nomination, deadline_in: timedelta) -> Offer:
    nomination.status = "offered"
    db.add(nomination)
    offer = Offer(nomination_id=nomination.id, lab_id=world.lab.id, status=OfferStatus.PENDING,
                  response_deadline=utcnow() + deadline_in)
    db.add(offer)
    db.commit()
    return offer


def test_reminders_offer_is_reminded_once_within_the_edition_window(db, world, smtp, deliver):
    world.edition.reminder_days_before = 2
    db.add(world.edition)
    soon = pending_offer(db, world, world.submitted, timedelta(days=1, hours=20))
    assert send_offer_reminders(db, BASE) == 1
    assert send_offer_reminders(fresh(db), BASE) == 0
    assert fresh(db).get(Offer, soon.id).reminded_at is not None
    deliver()
    [message] = smtp.to("lena@example.org")
    assert message["Subject"].startswith("[Action required] Please answer your offer for ISH 2027 by ")
    text = smtp.text_of(message)
    assert "Dear Lena," in text
    assert "You have been offered a place in Structural Biology, EMBL for ISH 2027" in text
    assert "http://testserver/access" in text


def test_reminders_offer_far_from_its_deadline_is_not_reminded_yet(db, world):
    offer = pending_offer(db, world, world.submitted, timedelta(days=2, hours=1))
    assert send_offer_reminders(db, BASE) == 0
    assert fresh(db).get(Offer, offer.id).reminded_at is None
    assert send_offer_reminders(db, BASE, now=utcnow() + timedelta(hours=2)) == 1


def test_reminders_offer_already_expired_or_answered_gets_none(db, world):
    pending_offer(db, world, world.submitted, timedelta(hours=-1))
    assert send_offer_reminders(db, BASE) == 0  # world's accepted offers are not pending either
    assert fresh(db).exec(select(OutboxMessage)).all() == []


def incomplete_draft(db, make, world, **fields):
    return make.nomination(db, world.edition, world.organisation, status="draft", given_name="Max",
                           family_name="Richter", email="max@example.org", **fields)


def test_reminders_missing_documents_go_to_coordinators_once_a_day(db, make, world, smtp, deliver):
    world.edition.nomination_closes_at = utcnow() + timedelta(days=3)
    db.add(world.edition)
    db.commit()
    draft = incomplete_draft(db, make, world)
    other = make.coordinator(db, world.organisation, email="second@bautzen.example", full_name="Paul Weber")
    assert send_missing_documents_reminders(db, BASE) == 2
    assert send_missing_documents_reminders(fresh(db), BASE, now=utcnow() + timedelta(hours=20)) == 0
    assert send_missing_documents_reminders(fresh(db), BASE, now=utcnow() + timedelta(hours=25)) == 2
    deliver()
    assert len(smtp.to(other.email)) == 2
    german = smtp.to("koordination@bautzen.example")[0]
    assert german["Subject"].startswith("Nominierung von Max Richter unvollständig: Frist ")
    text = smtp.text_of(german)
    assert "Guten Tag Jana Krause," in text
    assert f"http://testserver/coordinator/nominations/{draft.id}" in text
    assert "\n- Dokument: Lebenslauf\n" in text


def test_reminders_missing_documents_not_sent_long_before_the_deadline(db, make, world):
    incomplete_draft(db, make, world)  # the world's deadline is 30 days away
    assert send_missing_documents_reminders(db, BASE) == 0


def test_reminders_run_in_the_workers_housekeeping(db, engine, settings, world):
    pending_offer(db, world, world.submitted, timedelta(days=1))
    Worker(engine, settings).housekeeping()
    assert [m.kind for m in fresh(db).exec(select(OutboxMessage))] == ["offer_reminder"]


def test_reminders_withdrawal_tells_candidate_and_coordinators(db, world, smtp, deliver):
    world.submitted.submitted_at = utcnow()
    with transaction(db):
        notify_withdrawal(db, world.submitted, "Broke a leg")
    deliver()
    [candidate] = smtp.to("lena@example.org")
    assert candidate["Subject"] == "Your nomination for ISH 2027 has been withdrawn"
    assert "Your nomination by Bautzen for ISH 2027 has been withdrawn. The reason given: Broke a leg" in smtp.text_of(candidate)
    [coordinator] = smtp.to("koordination@bautzen.example")
    assert coordinator["Subject"] == "Nominierung zurückgezogen: Lena Schulz"
    assert "Angegebener Grund: Broke a leg" in smtp.text_of(coordinator)


def test_reminders_withdrawn_draft_is_not_announced_to_the_candidate(db, make, world, smtp, deliver):
    draft = incomplete_draft(db, make, world)
    with transaction(db):
        notify_withdrawal(db, draft, "")
    deliver()
    assert smtp.to("max@example.org") == []
    assert len(smtp.to("koordination@bautzen.example")) == 1
