"""The offer's one door: every move follows OFFER_MOVES and carries its consequences. Each defect
issue 10 names is reproduced here: a withdrawal that left the offer and its seat behind, a discarded
email that left a silent offer, and a run published on inputs that had changed."""

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from ish_portal.audit.service import Actor
from ish_portal.db import transaction
from ish_portal.errors import DomainError
from ish_portal.nominations.models import Nomination
from ish_portal.nominations.service import withdraw
from ish_portal.notifications import service as outbox
from ish_portal.notifications.models import OutboxMessage, OutboxStatus
from ish_portal.placement import offers, runs, waitlist
from ish_portal.placement.models import Offer, OfferStatus, Pin
from tests.conftest import fresh, post_form


def publish(db, world, send=True, auto=True):
    world.edition.auto_promote_waitlist = auto
    db.add(world.edition)
    db.commit()
    run = runs.create_run(db, world.organiser, world.edition.id, "stable", 1)
    runs.publish_run(db, world.organiser, world.edition.id, run.id, now=datetime(2027, 5, 3, 10, tzinfo=UTC))
    if send:
        runs.send_run_drafts(db, world.organiser, world.edition.id, run.id)
    return run


def offer_of(db, nomination) -> Offer | None:
    return fresh(db).exec(select(Offer).where(Offer.nomination_id == nomination.id).order_by(Offer.id.desc())).first()


def status(db, nomination) -> str:
    return fresh(db).get(Nomination, nomination.id).status


def no_silent_offers(db) -> bool:
    """Every offer that is out (pending) has its email queued or sent."""
    for offer in fresh(db).exec(select(Offer).where(Offer.status == OfferStatus.PENDING)).all():
        mails = db.exec(select(OutboxMessage).where(OutboxMessage.nomination_id == offer.nomination_id,
                                                    OutboxMessage.kind.in_(["offer_made", "waitlist_offer"]),
                                                    OutboxMessage.status != OutboxStatus.DRAFT)).all()
        if not mails:
            return False
    return True


def coordinator_of(db, make, nomination):
    organisation_id = fresh(db).get(Nomination, nomination.id).organisation_id
    from ish_portal.programme.models import Organisation
    return make.coordinator(db, db.get(Organisation, organisation_id))


def test_offer_door_withdrawing_a_candidate_with_a_pending_offer_frees_the_seat_for_the_waitlist(db, make, world):
    publish(db, world)
    assert offer_of(db, world.ben).status == "pending"
    coordinator = coordinator_of(db, make, world.ben)

    withdraw(db, coordinator, world.ben.id, "Changed schools")

    assert (offer_of(db, world.ben).status, status(db, world.ben)) == ("withdrawn", "withdrawn")
    cem = offer_of(db, world.cem)
    assert (cem.lab_id, cem.status, status(db, world.cem)) == (world.mpia.id, "pending", "offered")
    assert no_silent_offers(db)


def test_offer_door_withdrawing_a_candidate_after_acceptance_frees_the_seat_too(db, make, world):
    publish(db, world)
    offers.respond(db, world.ben.id, offer_of(db, world.ben).id, accept=True)
    assert status(db, world.ben) == "accepted"
    coordinator = coordinator_of(db, make, world.ben)

    withdraw(db, coordinator, world.ben.id, "Broke a leg")

    assert offer_of(db, world.ben).status == "withdrawn"
    assert (offer_of(db, world.cem).lab_id, offer_of(db, world.cem).status) == (world.mpia.id, "pending")


def test_offer_door_the_applicants_confirmed_erasure_ends_an_accepted_offer(db, make, world):
    from ish_portal.applicants.service import erase, request_deletion
    publish(db, world, auto=False)
    offers.respond(db, world.ben.id, offer_of(db, world.ben).id, accept=True)
    request_deletion(db, world.ben.id)

    erase(db, world.organiser, world.ben.id)

    assert offer_of(db, world.ben).status == "withdrawn"
    # Without automatic promotion the freed seat waits for the organisers as a proposal.
    assert [(o.nomination_id, o.lab_id) for o, _n, _l in waitlist.proposed_offers(fresh(db), world.edition.id)] == [
        (world.cem.id, world.mpia.id)]


def test_offer_door_discarding_an_offers_draft_withdraws_the_offer_and_leaves_no_silent_one(
        db, world, organiser_client):
    run = publish(db, world, send=False, auto=False)
    draft = fresh(db).exec(select(OutboxMessage).where(OutboxMessage.nomination_id == world.ben.id)).one()

    confirm = organiser_client.get(f"/organiser/messages/{draft.id}/discard").text
    assert "also withdraws the offer of a place in Exoplanets, MPIA" in confirm
    post_form(organiser_client, f"/organiser/messages/{draft.id}/discard", f"/organiser/messages/{draft.id}/discard", {})
    runs.send_run_drafts(fresh(db), world.organiser, world.edition.id, run.id)

    assert (offer_of(db, world.ben).status, status(db, world.ben)) == ("withdrawn", "approved")
    assert world.ben.id in [row.nomination.id for row in waitlist.waitlist(fresh(db), world.edition.id)]
    assert offer_of(db, world.ada).status == "pending"
    assert no_silent_offers(db)
    # The seat Ben's discarded offer held goes to the waitlist, but not to Ben again.
    proposals = [(o.nomination_id, o.lab_id) for o, _n, _l in waitlist.proposed_offers(fresh(db), world.edition.id)]
    assert (world.ben.id, world.mpia.id) not in proposals
    assert proposals == [(world.cem.id, world.mpia.id)]


def test_offer_door_refuses_moves_outside_its_table(db, world):
    publish(db, world)
    offer = offer_of(db, world.ada)
    offers.respond(db, world.ada.id, offer.id, accept=False)
    with pytest.raises(DomainError, match="cannot become"):
        with transaction(fresh(db)):
            offers.move(db, db.get(Offer, offer.id), OfferStatus.ACCEPTED, Actor("test"))
    assert offer_of(db, world.ada).status == "declined"


def test_offer_door_releasing_a_draft_twice_is_refused(db, world):
    run = publish(db, world, send=False)
    runs.send_run_drafts(db, world.organiser, world.edition.id, run.id)
    with pytest.raises(DomainError, match="no drafts left"):
        outbox.release_drafts(fresh(db), Actor.of_user(world.organiser), world.edition.id, runs.run_batch(run.id))


def test_stale_run_capacity_change_is_explained_and_publishing_refused(db, world, organiser_client):
    run = runs.create_run(db, world.organiser, world.edition.id, "stable", 1)
    runs.set_lab_capacity(db, world.organiser, world.edition.id, world.mpia.id, 2)

    page = organiser_client.get(f"/organiser/matching/runs/{run.id}").text
    assert "The edition has changed since this run" in page
    assert "The capacity of Exoplanets, MPIA changed from 1 to 2." in page
    assert f'href="/organiser/matching/runs/{run.id}/publish"' not in page
    with pytest.raises(DomainError) as refused:
        runs.publish_run(fresh(db), world.organiser, world.edition.id, run.id)
    assert "The capacity of Exoplanets, MPIA changed from 1 to 2." in refused.value.details
    assert fresh(db).exec(select(Offer)).all() == []


def test_stale_run_a_pin_or_a_new_approval_is_named(db, make, world):
    run = runs.create_run(db, world.organiser, world.edition.id, "stable", 1)
    db.add(Pin(nomination_id=world.cem.id, lab_id=world.dkfz.id))
    db.commit()
    from tests.placement.conftest import approved
    dora = approved(db, make, world.edition, world.orgs[3], [world.dkfz], given_name="Dora")
    changes = runs.changes_since(fresh(db), db.get(type(run), run.id))
    assert f"Cem {world.cem.family_name} is now pinned to Genomics, DKFZ." in changes
    assert f"Dora {dora.family_name} has been approved since the run." in changes


def test_stale_run_unchanged_edition_publishes(db, world):
    run = runs.create_run(db, world.organiser, world.edition.id, "stable", 1)
    assert runs.changes_since(db, run) == []
    assert runs.publish_run(fresh(db), world.organiser, world.edition.id, run.id) == 2


def test_offer_door_a_candidate_withdrawn_before_the_emails_go_gets_none(db, make, world):
    run = publish(db, world, send=False)
    withdraw(db, coordinator_of(db, make, world.ben), world.ben.id, "Changed schools")

    assert runs.send_run_drafts(fresh(db), world.organiser, world.edition.id, run.id) == 1

    mails = fresh(db).exec(select(OutboxMessage).where(OutboxMessage.kind == "offer_made")).all()
    assert [(m.recipient, m.status) for m in mails] == [(world.ada.email, "queued")]
    assert (offer_of(db, world.ben).status, offer_of(db, world.ada).status) == ("withdrawn", "pending")
    assert no_silent_offers(db)
