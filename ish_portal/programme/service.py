"""Editions, sending organisations and their places."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from ish_portal.nominations.models import TAKES_A_PLACE, Nomination
from ish_portal.programme.models import Edition, Organisation, Quota


def current_edition(session: Session) -> Edition | None:
    """The newest edition: the one the portal works on."""
    return session.exec(select(Edition).order_by(Edition.year.desc())).first()


@dataclass(frozen=True)
class Places:
    organisation: Organisation
    quota: Quota | None
    used: int

    @property
    def total(self) -> int:
        return self.quota.places if self.quota else 0

    @property
    def left(self) -> int:
        return max(0, self.total - self.used)


def places_used(session: Session, edition_id: int, organisation_id: int) -> int:
    return session.exec(select(func.count()).select_from(Nomination).where(
        Nomination.edition_id == edition_id, Nomination.organisation_id == organisation_id,
        Nomination.status.in_(TAKES_A_PLACE))).one()


def places_of(session: Session, edition: Edition, organisation: Organisation) -> Places:
    quota = session.exec(select(Quota).where(Quota.edition_id == edition.id,
                                             Quota.organisation_id == organisation.id)).first()
    return Places(organisation, quota, places_used(session, edition.id, organisation.id))


def places_by_organisation(session: Session, edition: Edition) -> list[Places]:
    used = dict(session.exec(
        select(Nomination.organisation_id, func.count()).where(
            Nomination.edition_id == edition.id, Nomination.status.in_(TAKES_A_PLACE))
        .group_by(Nomination.organisation_id)).all())
    quotas = {q.organisation_id: q for q in session.exec(select(Quota).where(Quota.edition_id == edition.id))}
    organisations = session.exec(select(Organisation).order_by(Organisation.name)).all()
    return [Places(o, quotas.get(o.id), used.get(o.id, 0)) for o in organisations]


def organisations(session: Session) -> list[Organisation]:
    return list(session.exec(select(Organisation).order_by(Organisation.name)).all())
