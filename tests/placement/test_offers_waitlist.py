"""Publishing a run as offers, and the waitlist that fills places freed by declines and expiries."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from ish_portal.db import utcnow
from ish_portal.errors import DomainError
from ish_portal.audit.models import AuditEvent
from ish_portal.nominations.models import Nomination
from ish_portal.notifications.models import OutboxMessage
from ish_portal.placement import offers as service, runs, waitlist
from ish_portal.placement.models import MatchRun, Offer

from tests.conftest import fresh, post_form


def _published(db, world, send=True):
    """A published run whose offer emails (unless send=False) are released: the offers are out."""
    run = runs.create_run(db, world.organiser, world.edition.id, "stable", 1)
    runs.publish_run(db, world.organiser, world.edition.id, run.id,
                     now=datetime(2027, 5, 3, 10, 0, tzinfo=UTC))
    if send:
        runs.send_run_drafts(db, world.organiser, world.edition.id, run.id)
    return run


def _offer(db, nomination):
    return fresh(db).exec(select(Offer).where(Offer.nomination_id == nomination.id)
                          .order_by(Offer.id.desc())).first()


def test_publish_proposes_offers_whose_draft_emails_release_them(db, world, organiser_client):
    run = runs.create_run(db, world.organiser, world.edition.id, "stable", 1)
    response = post_form(organiser_client, f"/organiser/matching/runs/{run.id}/publish",
                         f"/organiser/matching/runs/{run.id}/publish", {"confirm": "yes"}, follow_redirects=False)
    assert response.status_code == 303

    fresh(db)
    offers = db.exec(select(Offer).order_by(Offer.nomination_id)).all()
    # Not yet out: an offer exists for the student only once its email is released.
    assert [(o.nomination_id, o.lab_id, o.status, o.match_run_id, o.released_at) for o in offers] == [
        (world.ada.id, world.embl.id, "proposed", run.id, None), (world.ben.id, world.mpia.id, "proposed", run.id, None)]
    assert [db.get(Nomination, n.id).status for n in (world.ada, world.ben, world.cem)] == [
        "approved", "approved", "approved"]
    mails = db.exec(select(OutboxMessage).order_by(OutboxMessage.nomination_id)).all()
    assert [(m.kind, m.status, m.batch, m.recipient) for m in mails] == [
        ("offer_made", "draft", f"run-{run.id}", world.ada.email), ("offer_made", "draft", f"run-{run.id}", world.ben.email)]
    assert mails[0].subject.startswith("[Action required]")
    assert db.get(MatchRun, run.id).published_at is not None
    assert [r.nomination.id for r in waitlist.waitlist(db, world.edition.id)] == [world.cem.id]

    post_form(organiser_client, "/organiser/matching", f"/organiser/matching/runs/{run.id}/send-drafts", {})
    fresh(db)
    assert db.exec(select(OutboxMessage.status)).all() == ["queued", "queued"]
    assert [o.status for o in db.exec(select(Offer).order_by(Offer.nomination_id))] == ["pending", "pending"]
    assert [db.get(Nomination, n.id).status for n in (world.ada, world.ben)] == ["offered", "offered"]


def test_offer_deadline_runs_from_the_release_and_ends_at_midnight_in_heidelberg(db, world):
    run = _published(db, world, send=False)
    released_on = utcnow()
    runs.send_run_drafts(db, world.organiser, world.edition.id, run.id)
    offer = _offer(db, world.ada)
    assert offer.released_at >= released_on
    local = offer.response_deadline.astimezone(ZoneInfo("Europe/Berlin"))
    assert (local.hour, local.minute) == (23, 59)
    assert local.date() == released_on.astimezone(ZoneInfo("Europe/Berlin")).date() + timedelta(days=7)
    mail = db.exec(select(OutboxMessage).where(OutboxMessage.nomination_id == world.ada.id)).one()
    assert f"{local.day} {local:%B} {local.year}, 23:59" in mail.subject  # the draft was written again


def test_german_offer_addresses_the_applicant_with_du(db, world):
    world.ada.language = "de"
    db.add(world.ada)
    db.commit()
    _published(db, world)
    mail = fresh(db).exec(select(OutboxMessage).where(OutboxMessage.nomination_id == world.ada.id)).one()
    assert mail.subject.startswith("[Antwort erforderlich]")
    assert "23:59 ME" in mail.subject or ", 23:59 CE" in mail.subject  # a German date, Heidelberg's clock
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
    with pytest.raises(DomainError) as refused:
        runs.publish_run(db, world.organiser, world.edition.id, run.id)
    assert any("is no longer approved" in detail for detail in refused.value.details)
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
    assert actions == ["waitlist_offer_proposed", "offer_pending", "status_changed"]


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

    later = _offer(db, world.ben).response_deadline + timedelta(minutes=1)
    expired = service.expire_overdue_offers(db, now=later)

    assert expired == 1
    assert _offer(db, world.ben).status == "expired"
    offer = _offer(db, world.cem)
    assert (offer.lab_id, offer.status) == (world.mpia.id, "pending")
    assert offer.response_deadline == service.response_deadline(world.edition, later)


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
