"""Offers: the one door through which an offer's status moves (move), and the steps built on it.

Every move is checked against OFFER_MOVES, recorded in the audit log, and carries what must follow,
in the caller's transaction: the nomination's own status, the emails, and the freed seat going to
the waitlist. An offer is first proposed (its email a draft, or waiting for an organiser's
confirmation); it is released when its email goes out, and only then does its response time run,
ending at 23:59 in Heidelberg."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

from sqlmodel import Session, func, select

from ish_portal.audit.service import SYSTEM, Actor, record
from ish_portal.db import transaction, utcnow
from ish_portal.errors import DomainError
from ish_portal.labs.models import Lab
from ish_portal.nominations import consent
from ish_portal.nominations.models import Nomination, NominationStatus as S
from ish_portal.nominations.service import change_status, when_status_changes
from ish_portal.placement.models import HOLDING, OFFER_MOVES, Offer, OfferStatus as O
from ish_portal.programme.models import Edition
from ish_portal.text.i18n import gettext as _
from ish_portal.text.timefmt import zone


def response_deadline(edition: Edition, now: datetime) -> datetime:
    """The last minute to answer: offer_response_days after today, at 23:59 in Heidelberg."""
    day = now.astimezone(zone()).date() + timedelta(days=edition.offer_response_days)
    return datetime.combine(day, time(23, 59), tzinfo=zone()).astimezone(UTC)


def status_word(status: str) -> str:
    return {O.PROPOSED: _("proposed, not yet sent"), O.PENDING: _("awaiting an answer"),
            O.ACCEPTED: _("accepted"), O.DECLINED: _("declined"), O.EXPIRED: _("expired"),
            O.WITHDRAWN: _("withdrawn")}.get(status, status)


# -- reading ------------------------------------------------------------------------------------

def open_offer(session: Session, nomination: Nomination) -> Offer | None:
    """The offer awaiting this applicant's answer, if any."""
    return session.exec(select(Offer).where(Offer.nomination_id == nomination.id, Offer.status == O.PENDING)
                        .order_by(Offer.created_at.desc())).first()


def latest_offer(session: Session, nomination: Nomination) -> Offer | None:
    """The newest offer the applicant was told about (a proposed one is not out yet)."""
    return session.exec(select(Offer).where(Offer.nomination_id == nomination.id,
                                            Offer.status != O.PROPOSED)
                        .order_by(Offer.created_at.desc(), Offer.id.desc())).first()


def seats_held(session: Session, edition_id: int) -> dict[int, int]:
    """For each lab of the edition, how many of its seats students hold (an offer proposed,
    awaiting an answer or accepted): seats that are nobody else's to take."""
    return dict(session.exec(
        select(Offer.lab_id, func.count()).join(Nomination, Nomination.id == Offer.nomination_id)
        .where(Nomination.edition_id == edition_id, Offer.status.in_(HOLDING)).group_by(Offer.lab_id)).all())


def offers_of(session: Session, nomination: Nomination) -> list[tuple[Offer, Lab]]:
    """Every offer of the nomination with its lab, newest first, proposed ones included: the
    organisers' view of where the candidate stands on a place."""
    return list(session.exec(select(Offer, Lab).join(Lab, Lab.id == Offer.lab_id)
                             .where(Offer.nomination_id == nomination.id)
                             .order_by(Offer.created_at.desc(), Offer.id.desc())).all())


def accepted_offer(session: Session, nomination: Nomination) -> Offer | None:
    return session.exec(select(Offer).where(Offer.nomination_id == nomination.id, Offer.status == O.ACCEPTED)
                        .order_by(Offer.id.desc())).first()


def _locked(session: Session, offer_id: int) -> Offer | None:
    return session.exec(select(Offer).where(Offer.id == offer_id).with_for_update()
                        .execution_options(populate_existing=True)).first()


# -- the door -----------------------------------------------------------------------------------

# (session, offer, from, to, actor): steps of higher areas that follow every move of an offer, in
# its transaction (the lab's hosts are told when a student of theirs accepts or withdraws).
OfferFollower = Callable[[Session, Offer, O, O, Actor], None]
_FOLLOWERS: list[OfferFollower] = []


def when_an_offer_moves(step: OfferFollower) -> OfferFollower:
    """Registers a step that runs after each move of an offer, inside the door's transaction."""
    _FOLLOWERS.append(step)
    return step


def propose(session: Session, nomination: Nomination, lab: Lab, run_id: int | None, actor: Actor,
            now: datetime, waitlist: bool = False) -> Offer:
    """A new offer, not yet sent: the seat is held for the student until it is released or
    discarded. Its deadline is provisional until release."""
    edition = session.get(Edition, nomination.edition_id)
    offer = Offer(nomination_id=nomination.id, lab_id=lab.id, match_run_id=run_id, status=O.PROPOSED,
                  response_deadline=response_deadline(edition, now), created_at=now)
    session.add(offer)
    session.flush()
    record(session, actor, "waitlist_offer_proposed" if waitlist else "offer_proposed", "offer", offer.id,
           to_state=O.PROPOSED, changes={"lab": lab.label, "run": run_id},
           edition_id=nomination.edition_id, organisation_id=nomination.organisation_id,
           nomination_id=nomination.id)
    return offer


def move(session: Session, offer: Offer, to: O, actor: Actor, *, reason: str = "",
         now: datetime | None = None) -> None:
    """The one door of an offer's status. Carries, in the caller's transaction:
      proposed -> pending    the response time starts now; the nomination becomes 'offered'
      pending -> accepted    the nomination is accepted; applicant and coordinators are told
      pending -> declined    the nomination is declined; they are told; the seat goes to the waitlist
      pending -> expired     the nomination's offer expired; the seat goes to the waitlist
      any -> withdrawn       the seat goes to the waitlist; an unsent or pending offer returns an
                             approved student to the waitlist (unless the nomination itself is
                             being withdrawn, which its own door records)."""
    now = now or utcnow()
    current = O(offer.status)
    if to not in OFFER_MOVES[current]:
        raise DomainError(_("An offer that is %(current)s cannot become %(to)s.",
                            current=status_word(current), to=status_word(to)))
    nomination = session.exec(select(Nomination).where(Nomination.id == offer.nomination_id)
                              .execution_options(populate_existing=True)).one()
    edition = session.get(Edition, nomination.edition_id)
    lab = session.get(Lab, offer.lab_id)
    offer.status = to
    if to == O.PENDING:
        offer.released_at = now
        offer.response_deadline = response_deadline(edition, now)
    if to in (O.ACCEPTED, O.DECLINED):
        offer.responded_at = now
        offer.decline_reason = "" if to == O.ACCEPTED else reason.strip()[:1000]
    session.add(offer)
    record(session, actor, f"offer_{to}", "offer", offer.id, from_state=current, to_state=to, reason=reason,
           changes={"lab": lab.label}, edition_id=edition.id, organisation_id=nomination.organisation_id,
           nomination_id=nomination.id)

    from ish_portal.placement import messages  # the offer's emails; they build on this module
    if to == O.PENDING and nomination.status == S.APPROVED:
        change_status(session, nomination, S.OFFERED, actor, reason=_("offered a place in %(lab)s", lab=lab.label))
    elif to in (O.ACCEPTED, O.DECLINED):
        change_status(session, nomination, S.ACCEPTED if to == O.ACCEPTED else S.DECLINED, actor,
                      reason=offer.decline_reason)
        messages.tell_answer(session, nomination, offer)
    elif to == O.EXPIRED and nomination.status == S.OFFERED:
        change_status(session, nomination, S.EXPIRED, actor, reason=_("no answer by the response deadline"))
    elif to == O.WITHDRAWN and nomination.status == S.OFFERED:
        change_status(session, nomination, S.APPROVED, actor, reason=reason)
    if to in (O.DECLINED, O.EXPIRED, O.WITHDRAWN):
        from ish_portal.placement.waitlist import fill_freed_places  # builds on this module
        fill_freed_places(session, edition.id, actor, now)
    for step in _FOLLOWERS:
        step(session, offer, current, to, actor)


def release(session: Session, offer_id: int, actor: Actor, now: datetime | None = None) -> Offer:
    """The offer's email goes out: the offer becomes pending and its response time starts."""
    offer = _locked(session, offer_id)
    if offer is None or offer.status != O.PROPOSED:
        raise DomainError(_("This offer has already been sent or withdrawn."))
    move(session, offer, O.PENDING, actor, now=now)
    return offer


def discard_unsent(session: Session, offer_id: int, actor: Actor) -> Offer:
    """An offer whose email an organiser discarded: withdrawn, the student back on the waitlist
    (without this lab, which the organisers took away from them)."""
    offer = _locked(session, offer_id)
    if offer is None or offer.status != O.PROPOSED:
        raise DomainError(_("This offer has already been sent or withdrawn."))
    move(session, offer, O.WITHDRAWN, actor, reason=_("its email was discarded before it was sent"))
    return offer


def consent_missing(session: Session, nomination: Nomination) -> list[str]:
    """The consents still missing before the applicant may accept a place: not given, given to an
    older version of the text, or withdrawn (nominations/consent.py)."""
    return consent.missing(session, nomination)


def respond(session: Session, nomination_id: int, offer_id: int, accept: bool, reason: str = "") -> Offer:
    """The applicant accepts or declines their offer before its deadline. A place can be accepted
    only once the applicant's consent, and a minor's guardian's, are recorded."""
    with transaction(session):
        nomination = session.exec(select(Nomination).where(Nomination.id == nomination_id)
                                  .execution_options(populate_existing=True)).one()
        offer = _locked(session, offer_id)
        if offer is None or offer.nomination_id != nomination.id or offer.status != O.PENDING:
            raise DomainError(_("This offer can no longer be answered."))
        if offer.response_deadline <= utcnow():
            raise DomainError(_("The time to answer this offer has passed."))
        missing = consent_missing(session, nomination) if accept else []
        if missing:
            raise DomainError(_("Before you can accept the place, we need %(missing)s.",
                                missing=_(" and ").join(missing)), details=missing)
        move(session, offer, O.ACCEPTED if accept else O.DECLINED, Actor("applicant"), reason=reason)
    return offer


def expire_overdue_offers(session: Session, now: datetime | None = None) -> int:
    """Offers nobody answered in time expire, and their seats go to the waitlist. Run by every
    worker; safe in several processes at once (the rows are locked, skipping those taken)."""
    now = now or utcnow()
    expired = 0
    with transaction(session):
        query = (select(Offer).where(Offer.status == O.PENDING, Offer.response_deadline <= now)
                 .with_for_update(skip_locked=True))
        for offer in session.exec(query).all():
            move(session, offer, O.EXPIRED, SYSTEM, reason=_("no answer by the response deadline"), now=now)
            expired += 1
    return expired


@when_status_changes
def _end_offers_of_withdrawn(session: Session, nomination: Nomination, to: S, actor: Actor) -> None:
    """A withdrawn candidate (by the coordinator, an organiser, or their own erasure) holds no
    seat any more, in whatever state their offer was."""
    if to != S.WITHDRAWN:
        return
    for offer in session.exec(select(Offer).where(Offer.nomination_id == nomination.id,
                                                  Offer.status.in_(HOLDING))
                              .with_for_update().execution_options(populate_existing=True)).all():
        move(session, offer, O.WITHDRAWN, actor, reason=_("the candidate was withdrawn"))
