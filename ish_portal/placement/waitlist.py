"""The waitlist: approved students without a seat, and the re-matching that offers them the seats
freed by declined, expired or withdrawn offers. Every offer it makes goes through the offers door."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, func, select

from ish_portal.accounts.models import User
from ish_portal.audit.service import Actor, record
from ish_portal.db import transaction, utcnow
from ish_portal.errors import DomainError
from ish_portal.labs.models import Lab
from ish_portal.matching import api as engine
from ish_portal.matching.errors import InstanceError
from ish_portal.nominations.messages import candidate_reader
from ish_portal.nominations.models import Nomination, NominationStatus
from ish_portal.notifications.service import enqueue
from ish_portal.placement import offers
from ish_portal.placement.models import HOLDING, Offer, OfferStatus
from ish_portal.placement.runs import (
    _instance,
    _labs_by_id,
    _names,
    _organisation_names,
    _preferences,
    _priority_key,
    approved_nominations,
    matchable,
    instance_error_message,
    lab_id_of,
    lab_key,
    nomination_id_of,
    published_run,
    student_key,
)
from ish_portal.programme.models import Edition
from ish_portal.text.i18n import gettext as _


@dataclass
class WaitlistRow:
    nomination: Nomination
    organisation: str
    preferences: list[str]


def waitlist(session: Session, edition_id: int) -> list[WaitlistRow]:
    """Approved students without an offer that holds a seat, in the order the engine reviews them."""
    holding = select(Offer.nomination_id).where(Offer.status.in_(HOLDING))
    nominations = session.exec(select(Nomination).where(
        Nomination.edition_id == edition_id, matchable(), Nomination.id.not_in(holding))).all()
    nominations = sorted(nominations, key=_priority_key)
    labs = _labs_by_id(session, edition_id)
    organisation_names = _organisation_names(session)
    preferences = _preferences(session, [n.id for n in nominations], set(labs))
    return [WaitlistRow(n, organisation_names.get(n.organisation_id, ""),
                        [labs[lab_id].label for lab_id in preferences[n.id]]) for n in nominations]


def proposed_offers(session: Session, edition_id: int) -> list[tuple[Offer, Nomination, Lab]]:
    """Waitlist offers waiting for an organiser's confirmation (those of a published run wait as
    drafts on the messages page instead)."""
    return list(session.exec(select(Offer, Nomination, Lab).join(Nomination, Nomination.id == Offer.nomination_id)
                             .join(Lab, Lab.id == Offer.lab_id)
                             .where(Nomination.edition_id == edition_id, Offer.status == OfferStatus.PROPOSED,
                                    Offer.match_run_id.is_(None))
                             .order_by(Offer.created_at, Offer.id)).all())


def _discarded_labs(session: Session, edition_id: int) -> dict[int, set[int]]:
    """Labs the organisers took away from a student by discarding the offer's email unsent: the
    re-matching does not offer them that lab again."""
    rows = session.exec(select(Offer.nomination_id, Offer.lab_id).join(Nomination, Nomination.id == Offer.nomination_id)
                        .where(Nomination.edition_id == edition_id, Offer.status == OfferStatus.WITHDRAWN,
                               Offer.released_at.is_(None))).all()
    found: dict[int, set[int]] = {}
    for nomination_id, lab_id in rows:
        found.setdefault(nomination_id, set()).add(lab_id)
    return found


def fill_freed_places(session: Session, edition_id: int, actor: Actor, now: datetime | None = None) -> list[Offer]:
    """Match again after a seat was freed and offer the free seats to the waitlist.

    Runs inside the caller's transaction (an answer, an expiry, a withdrawal, an organiser's
    request). Students holding an accepted, pending or proposed offer stay exactly where they are;
    everyone on the waitlist is matched again by the engine's rematch for the seats that are free.
    With auto_promote_waitlist the new offers go out at once; otherwise they wait for an organiser.
    """
    now = now or utcnow()
    run = published_run(session, edition_id, lock=True)  # one re-match at a time per edition
    if run is None:
        return []
    edition = session.get(Edition, edition_id)
    holding = session.exec(select(Offer).join(Nomination, Nomination.id == Offer.nomination_id).where(
        Nomination.edition_id == edition_id, Offer.status.in_(HOLDING))).all()
    holders = {offer.nomination_id: offer for offer in holding}
    candidates = list(session.exec(select(Nomination).where(
        Nomination.edition_id == edition_id,
        Nomination.id.in_(list(holders)) | matchable())).all()) \
        if holders else approved_nominations(session, edition_id)
    # Every seat someone holds is pinned where it is, whatever the pins or preferences say now.
    instance = _instance(session, edition, candidates, run.seed,
                         extra_pins={n: offer.lab_id for n, offer in holders.items()},
                         excluded=_discarded_labs(session, edition_id))
    previous: dict[str, str | None] = {student_key(n): lab_key(offer.lab_id) for n, offer in holders.items()}
    waiting = [s["id"] for s in instance["students"] if s["id"] not in previous]
    if not waiting:
        return []
    try:
        # Everyone holding a place is passed as settled, so no seat anyone holds changes hands.
        result = engine.rematch(instance, previous, accepted=list(previous), declined=[], mode=run.mode,
                                seed=run.seed)
    except InstanceError as error:
        record(session, actor, "waitlist_rematch_failed", "match_run", run.id,
               reason=instance_error_message(error)[:1000], edition_id=edition_id)
        return []
    labs = _labs_by_id(session, edition_id)
    nominations = _names(session, [nomination_id_of(key) for key in waiting])
    made = []
    for moved in result["moved"]:
        if moved["from"] is not None or moved["to"] is None:
            continue
        nomination = nominations[nomination_id_of(moved["student"])]
        offer = offers.propose(session, nomination, labs[lab_id_of(moved["to"])], None, actor, now, waitlist=True)
        if edition.auto_promote_waitlist:
            _send(session, offer, actor, now)
        made.append(offer)
    return made


def _send(session: Session, offer: Offer, actor: Actor, now: datetime) -> None:
    """Releases a waitlist offer and queues its email, which carries the link to answer it."""
    offers.move(session, offer, OfferStatus.PENDING, actor, now=now)
    nomination = session.get(Nomination, offer.nomination_id)
    enqueue(session, "waitlist_offer", candidate_reader(session, nomination), {"offer": offer.id},
            edition_id=nomination.edition_id, nomination_id=nomination.id)


def _proposed(session: Session, edition_id: int, offer_id: int) -> tuple[Offer, Nomination]:
    offer = session.exec(select(Offer).where(Offer.id == offer_id).with_for_update()
                         .execution_options(populate_existing=True)).first()
    nomination = session.get(Nomination, offer.nomination_id, populate_existing=True) if offer else None
    if offer is None or nomination is None or nomination.edition_id != edition_id \
            or offer.status != OfferStatus.PROPOSED or offer.match_run_id is not None:
        raise DomainError(_("This proposal has already been dealt with."))
    return offer, nomination


def confirm_proposed_offer(session: Session, user: User, edition_id: int, offer_id: int) -> Offer:
    with transaction(session):
        offer, nomination = _proposed(session, edition_id, offer_id)
        if nomination.status != NominationStatus.APPROVED:
            raise DomainError(_("%(name)s is no longer approved.", name=nomination.display_name))
        if nomination.consent_withdrawn_at is not None:
            raise DomainError(_("%(name)s: a consent has been withdrawn.", name=nomination.display_name))
        _send(session, offer, Actor.of_user(user), utcnow())
    return offer


def discard_proposed_offer(session: Session, user: User, edition_id: int, offer_id: int) -> Offer:
    with transaction(session):
        offer, _nomination = _proposed(session, edition_id, offer_id)
        offers.move(session, offer, OfferStatus.WITHDRAWN, Actor.of_user(user),
                    reason=_("the waitlist proposal was discarded"))
    return offer


def fill_now(session: Session, user: User, edition_id: int) -> list[Offer]:
    """An organiser asks for the free seats to be offered to the waitlist (e.g. after adding seats)."""
    with transaction(session):
        if published_run(session, edition_id) is None:
            raise DomainError(_("Publish a run first: the waitlist starts with the published placements."))
        return fill_freed_places(session, edition_id, Actor.of_user(user))


def set_auto_promote(session: Session, user: User, edition_id: int, on: bool) -> None:
    with transaction(session):
        edition = session.get(Edition, edition_id, populate_existing=True)
        before = edition.auto_promote_waitlist
        edition.auto_promote_waitlist = on
        session.add(edition)
        record(session, Actor.of_user(user), "edition_updated", "edition", edition.id,
               changes={"auto_promote_waitlist": [before, on]}, edition_id=edition.id)


def offer_counts(session: Session, edition_id: int) -> dict[str, int]:
    rows = session.exec(select(Offer.status, func.count()).join(Nomination, Nomination.id == Offer.nomination_id)
                        .where(Nomination.edition_id == edition_id).group_by(Offer.status)).all()
    return Counter({status: count for status, count in rows})
