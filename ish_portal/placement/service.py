"""Offers: the applicant's answer, and offers that expire when nobody answers in time. Every
change goes through nominations.service.change_status together with the offer's own state."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from ish_portal.errors import DomainError
from ish_portal.audit.service import SYSTEM, Actor, record
from ish_portal.db import transaction, utcnow
from ish_portal.labs.models import Lab
from ish_portal.nominations.models import Nomination, NominationStatus
from ish_portal.nominations.service import change_status
from ish_portal.notifications.service import enqueue
from ish_portal.placement.models import Offer, OfferStatus
from ish_portal.programme.models import Edition
from ish_portal.accounts.models import Role, User
from ish_portal.web.i18n import gettext as _
from ish_portal.web.timefmt import format_date


def open_offer(session: Session, nomination: Nomination) -> Offer | None:
    """The offer awaiting this applicant's answer, if any."""
    return session.exec(select(Offer).where(Offer.nomination_id == nomination.id,
                                            Offer.status == OfferStatus.PENDING)
                        .order_by(Offer.created_at.desc())).first()


def latest_offer(session: Session, nomination: Nomination) -> Offer | None:
    return session.exec(select(Offer).where(Offer.nomination_id == nomination.id,
                                            Offer.status != OfferStatus.PROPOSED)
                        .order_by(Offer.created_at.desc(), Offer.id.desc())).first()


def respond(session: Session, nomination_id: int, offer_id: int, accept: bool, reason: str = "") -> Offer:
    """The applicant accepts or declines their offer before its deadline."""
    with transaction(session):
        nomination = session.exec(select(Nomination).where(Nomination.id == nomination_id)
                                  .execution_options(populate_existing=True)).one()
        offer = session.exec(select(Offer).where(Offer.id == offer_id, Offer.nomination_id == nomination.id)
                             .with_for_update().execution_options(populate_existing=True)).first()
        if offer is None or offer.status != OfferStatus.PENDING:
            raise DomainError(_("This offer can no longer be answered."))
        if offer.response_deadline <= utcnow():
            raise DomainError(_("The time to answer this offer has passed."))
        offer.status = OfferStatus.ACCEPTED if accept else OfferStatus.DECLINED
        offer.responded_at = utcnow()
        offer.decline_reason = "" if accept else reason.strip()[:1000]
        session.add(offer)
        change_status(session, nomination, NominationStatus.ACCEPTED if accept else NominationStatus.DECLINED,
                      Actor("applicant"), reason=offer.decline_reason)
        _notify_answer(session, nomination, offer, accept)
        if not accept:
            # The freed seat goes to the waitlist in the same transaction as the answer.
            from ish_portal.placement.runs import fill_freed_places
            fill_freed_places(session, nomination.edition_id, Actor("applicant"))
    return offer


def _notify_answer(session: Session, nomination: Nomination, offer: Offer, accept: bool) -> None:
    edition = session.get(Edition, nomination.edition_id)
    lab = session.get(Lab, offer.lab_id)
    kind = "offer_accepted" if accept else "offer_declined"
    context = {"name": nomination.given_name, "candidate": nomination.display_name, "edition": edition.title,
               "lab": lab.label, "starts_on": format_date(edition.starts_on),
               "ends_on": format_date(edition.ends_on), "reason": offer.decline_reason}
    enqueue(session, kind=kind, to=nomination.email, language=nomination.language, context=context,
            edition_id=edition.id, nomination_id=nomination.id)
    for coordinator in session.exec(select(User).where(User.organisation_id == nomination.organisation_id,
                                                       User.role == Role.COORDINATOR, User.is_active)):
        enqueue(session, kind=f"{kind}_coordinator", to=coordinator.email, language=coordinator.language,
                context={**context, "name": coordinator.full_name}, edition_id=edition.id,
                nomination_id=nomination.id)


def expire_overdue_offers(session: Session, now: datetime | None = None) -> int:
    """Offers nobody answered in time expire, and their places go back to the organisers'
    waitlist. Run by every outbox sender loop; safe to run in several processes at once."""
    now = now or utcnow()
    expired = 0
    editions: set[int] = set()
    with transaction(session):
        query = (select(Offer).where(Offer.status == OfferStatus.PENDING, Offer.response_deadline <= now)
                 .with_for_update(skip_locked=True))
        for offer in session.exec(query).all():
            nomination = session.get(Nomination, offer.nomination_id)
            offer.status = OfferStatus.EXPIRED
            session.add(offer)
            if nomination.status == NominationStatus.OFFERED:
                change_status(session, nomination, NominationStatus.EXPIRED, SYSTEM,
                              reason="no answer by the response deadline")
            record(session, SYSTEM, "offer_expired", "offer", offer.id, edition_id=nomination.edition_id,
                   organisation_id=nomination.organisation_id, nomination_id=nomination.id)
            expired += 1
            editions.add(nomination.edition_id)
        from ish_portal.placement.runs import fill_freed_places
        for edition_id in sorted(editions):
            fill_freed_places(session, edition_id, SYSTEM, now)
    return expired
