"""Publishing a run as offers, and the waitlist that fills places freed by declines and expiries."""

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from ish_portal.errors import DomainError
from ish_portal.audit.models import AuditEvent
from ish_portal.nominations.models import Nomination
from ish_portal.notifications.models import OutboxMessage
from ish_portal.placement import runs, service
from ish_portal.placement.models import MatchRun, Offer

from tests.conftest import fresh, post_form


def _published(db, world):
    run = runs.create_run(db, world.organiser, world.edition.id, "stable", 1)
    runs.publish_run(db, world.organiser, world.edition.id, run.id,
                     now=datetime(2027, 5, 3, 10, 0, tzinfo=UTC))
    return run


def _offer(db, nomination):
    return fresh(db).exec(select(Offer).where(Offer.nomination_id == nomination.id)
                          .order_by(Offer.id.desc())).first()


def test_publish_makes_pending_offers_draft_emails_and_moves_statuses(db, world, organiser_client):
    run = runs.create_run(db, world.organiser, world.edition.id, "stable", 1)
    response = post_form(organiser_client, f"/organiser/matching/runs/{run.id}/publish",
                         f"/organiser/matching/runs/{run.id}/publish", {"confirm": "yes"}, follow_redirects=False)
    assert response.status_code == 303

    fresh(db)
    offers = db.exec(select(Offer).order_by(Offer.nomination_id)).all()
    assert [(o.nomination_id, o.lab_id, o.status, o.match_run_id) for o in offers] == [
        (world.ada.id, world.embl.id, "pending", run.id), (world.ben.id, world.mpia.id, "pending", run.id)]
    assert [db.get(Nomination, n.id).status for n in (world.ada, world.ben, world.cem)] == [
        "offered", "offered", "approved"]
    mails = db.exec(select(OutboxMessage).order_by(OutboxMessage.nomination_id)).all()
    assert [(m.kind, m.status, m.batch, m.recipient) for m in mails] == [
        ("offer_made", "draft", f"run-{run.id}", world.ada.email), ("offer_made", "draft", f"run-{run.id}", world.ben.email)]
    assert mails[0].subject.startswith("[Action required]")
    assert db.get(MatchRun, run.id).published_at is not None
    assert [r.nomination.id for r in runs.waitlist(db, world.edition.id)] == [world.cem.id]

    post_form(organiser_client, "/organiser/matching", f"/organiser/matching/runs/{run.id}/send-drafts", {})
    assert fresh(db).exec(select(OutboxMessage.status)).all() == ["queued", "queued"]


def test_offer_deadline_is_the_last_minute_of_the_day_in_heidelberg(db, world):
    _published(db, world)
    offer = _offer(db, world.ada)
    # 3 May 2027 + 7 days, 23:59 CEST = 21:59 UTC.
    assert offer.response_deadline == datetime(2027, 5, 10, 21, 59, tzinfo=UTC)
    mail = db.exec(select(OutboxMessage).where(OutboxMessage.nomination_id == world.ada.id)).one()
    assert "10 May 2027, 23:59 CEST" in mail.subject


def test_german_offer_addresses_the_applicant_with_du(db, world):
    world.ada.language = "de"
    db.add(world.ada)
    db.commit()
    _published(db, world)
    mail = fresh(db).exec(select(OutboxMessage).where(OutboxMessage.nomination_id == world.ada.id)).one()
    assert mail.subject.startswith("[Antwort erforderlich]")
    assert "Mai 2027" in mail.subject
    assert "dir einen Platz" in mail.body_text


def test_publishing_twice_is_refused(db, world):
    _published(db, world)
    other = runs.create_run(db, world.organiser, world.edition.id, "welfare", 2)
    with pytest.raises(DomainError, match="already been published"):
        runs.publish_run(db, world.organiser, world.edition.id, other.id)
    assert len(fresh(db).exec(select(Offer)).all()) == 2


def test_publishing_is_refused_when_a_placed_student_is_no_longer_approved(db, world):
    run = runs.create_run(db, world.organiser, world.edition.id, "stable", 1)
    world.ben.status = "withdrawn"
    db.add(world.ben)
    db.commit()
    with pytest.raises(DomainError, match="is no longer approved"):
        runs.publish_run(db, world.organiser, world.edition.id, run.id)
    fresh(db)
    assert db.exec(select(Offer)).all() == []
    assert db.exec(select(OutboxMessage)).all() == []
    assert db.get(Nomination, world.ada.id).status == "approved"


def test_decline_offers_the_seat_at_once_with_auto_promotion(db, world):
    world.edition.auto_promote_waitlist = True
    db.add(world.edition)
    db.commit()
    _published(db, world)
    service.respond(db, world.ben.id, _offer(db, world.ben).id, accept=False, reason="other plans")

    offer = _offer(db, world.cem)
    assert (offer.lab_id, offer.status) == (world.mpia.id, "pending")
    assert db.get(Nomination, world.cem.id).status == "offered"
    mail = db.exec(select(OutboxMessage).where(OutboxMessage.kind == "waitlist_offer")).one()
    assert (mail.recipient, mail.status) == (world.cem.email, "queued")
    assert mail.subject.startswith("[Action required]")
    actions = db.exec(select(AuditEvent.action).where(AuditEvent.nomination_id == world.cem.id)
                      .order_by(AuditEvent.id)).all()
    assert actions == ["waitlist_offer_proposed", "status_changed", "offer_made"]


def test_decline_proposes_the_seat_for_confirmation_without_auto_promotion(db, world, organiser_client):
    _published(db, world)
    service.respond(db, world.ben.id, _offer(db, world.ben).id, accept=False)

    offer = _offer(db, world.cem)
    assert (offer.lab_id, offer.status) == (world.mpia.id, "proposed")
    assert db.get(Nomination, world.cem.id).status == "approved"
    assert db.exec(select(OutboxMessage).where(OutboxMessage.kind == "waitlist_offer")).all() == []
    assert "Confirm and send" in organiser_client.get("/organiser/matching/waitlist").text

    post_form(organiser_client, "/organiser/matching/waitlist", f"/organiser/matching/offers/{offer.id}/confirm", {})

    assert _offer(db, world.cem).status == "pending"
    assert db.get(Nomination, world.cem.id).status == "offered"
    assert db.exec(select(OutboxMessage.recipient).where(OutboxMessage.kind == "waitlist_offer")).all() == [world.cem.email]


def test_expiry_fills_the_freed_seat_from_the_waitlist(db, world):
    world.edition.auto_promote_waitlist = True
    db.add(world.edition)
    db.commit()
    _published(db, world)
    service.respond(db, world.ada.id, _offer(db, world.ada).id, accept=True)

    expired = service.expire_overdue_offers(db, now=datetime(2027, 5, 11, tzinfo=UTC))

    assert expired == 1
    assert _offer(db, world.ben).status == "expired"
    offer = _offer(db, world.cem)
    assert (offer.lab_id, offer.status) == (world.mpia.id, "pending")
    assert offer.response_deadline == datetime(2027, 5, 18, 21, 59, tzinfo=UTC)


def test_accepted_offers_never_move(db, make, world):
    world.edition.auto_promote_waitlist = True
    db.add(world.edition)
    db.commit()
    _published(db, world)
    service.respond(db, world.ben.id, _offer(db, world.ben).id, accept=True)
    # Ada declines EMBL; Ben (accepted at MPIA, EMBL his first choice) stays; Cem gets EMBL.
    service.respond(db, world.ada.id, _offer(db, world.ada).id, accept=False)

    assert (_offer(db, world.ben).lab_id, _offer(db, world.ben).status) == (world.mpia.id, "accepted")
    assert (_offer(db, world.cem).lab_id, _offer(db, world.cem).status) == (world.embl.id, "pending")
    assert len(db.exec(select(Offer)).all()) == 3


def test_discarding_a_proposal_needs_confirmation(db, world, organiser_client):
    _published(db, world)
    service.respond(db, world.ben.id, _offer(db, world.ben).id, accept=False)
    offer = _offer(db, world.cem)

    post_form(organiser_client, "/organiser/matching/waitlist", f"/organiser/matching/offers/{offer.id}/discard", {})
    assert _offer(db, world.cem).status == "proposed"
    post_form(organiser_client, "/organiser/matching/waitlist", f"/organiser/matching/offers/{offer.id}/discard",
              {"confirm": "yes"})
    assert _offer(db, world.cem).status == "withdrawn"
