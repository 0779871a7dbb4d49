"""The organisers' overview of an edition: counts only, each from one grouped query, so the page
stays quick with many thousands of nominations."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from ish_portal.labs.models import Lab
from ish_portal.nominations.models import Nomination, NominationStatus
from ish_portal.notifications.models import OutboxMessage, OutboxStatus
from ish_portal.placement.models import Offer, OfferStatus
from ish_portal.programme.models import Edition, Organisation

SHOWN_STATUSES = [s.value for s in NominationStatus]


@dataclass(frozen=True)
class LabFill:
    lab: Lab
    accepted: int
    pending: int

    @property
    def free(self) -> int:
        return max(0, self.lab.capacity - self.accepted - self.pending)


@dataclass(frozen=True)
class Overview:
    by_organisation: list[tuple[Organisation, dict[str, int]]]
    totals: dict[str, int]
    labs: list[LabFill]
    awaiting: list[tuple[Offer, Nomination, Lab]]
    failed_emails: int
    draft_emails: int
    consent_withdrawn: list[Nomination] = ()


def overview(session: Session, edition: Edition) -> Overview:
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    totals: dict[str, int] = defaultdict(int)
    for organisation_id, status, count in session.exec(
            select(Nomination.organisation_id, Nomination.status, func.count())
            .where(Nomination.edition_id == edition.id)
            .group_by(Nomination.organisation_id, Nomination.status)).all():
        counts[organisation_id][status] = count
        totals[status] += count
    organisations = session.exec(select(Organisation).where(Organisation.id.in_(list(counts)))
                                 .order_by(Organisation.name)).all() if counts else []

    offers: dict[tuple[int, str], int] = {}
    for lab_id, status, count in session.exec(
            select(Offer.lab_id, Offer.status, func.count()).join(Lab, Lab.id == Offer.lab_id)
            .where(Lab.edition_id == edition.id,
                   Offer.status.in_([OfferStatus.ACCEPTED, OfferStatus.PENDING]))
            .group_by(Offer.lab_id, Offer.status)).all():
        offers[(lab_id, status)] = count
    labs = [LabFill(lab, offers.get((lab.id, OfferStatus.ACCEPTED), 0), offers.get((lab.id, OfferStatus.PENDING), 0))
            for lab in session.exec(select(Lab).where(Lab.edition_id == edition.id, Lab.retired == False)  # noqa: E712
                                    .order_by(Lab.institute, Lab.group_name)).all()]

    awaiting = list(session.exec(
        select(Offer, Nomination, Lab).join(Nomination, Nomination.id == Offer.nomination_id)
        .join(Lab, Lab.id == Offer.lab_id)
        .where(Nomination.edition_id == edition.id, Offer.status == OfferStatus.PENDING)
        .order_by(Offer.response_deadline).limit(50)).all())

    mail = dict(session.exec(select(OutboxMessage.status, func.count())
                             .where(OutboxMessage.status.in_([OutboxStatus.FAILED, OutboxStatus.DRAFT]))
                             .group_by(OutboxMessage.status)).all())
    # Withdrawn consents hold their nominations: the organisers see each one (an index finds them).
    withdrawn = list(session.exec(select(Nomination).where(Nomination.edition_id == edition.id,
                                                           Nomination.consent_withdrawn_at.is_not(None))
                                  .order_by(Nomination.consent_withdrawn_at.desc()).limit(50)).all())
    return Overview([(o, counts[o.id]) for o in organisations], dict(totals), labs, awaiting,
                    mail.get(OutboxStatus.FAILED, 0), mail.get(OutboxStatus.DRAFT, 0), withdrawn)
