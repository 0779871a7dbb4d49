"""The places of each sending organisation in an edition: how many it has (programme's Quota)
and how many its nominations use; the organisers' changes of places, dormant marks, deadline
extensions and place moves. Here, not in programme, because counting places counts nominations."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from ish_portal.accounts.models import User
from ish_portal.audit.service import Actor, record
from ish_portal.db import transaction
from ish_portal.errors import DomainError
from ish_portal.nominations.models import TAKES_A_PLACE, Nomination
from ish_portal.programme.forms import QuotaForm, TransferForm
from ish_portal.programme.models import Edition, Organisation, PlaceTransfer, Quota
from ish_portal.programme.service import _edition, _jsonable
from ish_portal.text import timefmt
from ish_portal.text.i18n import gettext as _, ngettext


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


def places_by_organisation(session: Session, edition: Edition,
                           organisations: list[Organisation] | None = None) -> list[Places]:
    """Every organisation's places (of `organisations`, sorted by name, when the caller has read
    them already)."""
    used = dict(session.exec(
        select(Nomination.organisation_id, func.count()).where(
            Nomination.edition_id == edition.id, Nomination.status.in_(TAKES_A_PLACE))
        .group_by(Nomination.organisation_id)).all())
    quotas = {q.organisation_id: q for q in session.exec(select(Quota).where(Quota.edition_id == edition.id))}
    if organisations is None:
        organisations = session.exec(select(Organisation).order_by(Organisation.name)).all()
    return [Places(o, quotas.get(o.id), used.get(o.id, 0)) for o in organisations]


def _locked_quota(session: Session, edition_id: int, organisation_id: int) -> Quota:
    quota = session.exec(select(Quota).where(Quota.edition_id == edition_id,
                                             Quota.organisation_id == organisation_id)
                         .with_for_update()).first()
    if quota is None:
        if session.get(Organisation, organisation_id) is None:
            raise DomainError(_("No such organisation."))
        quota = Quota(edition_id=edition_id, organisation_id=organisation_id, places=0)
        session.add(quota)
        session.flush()
    return quota


def set_quota(session: Session, organiser: User, edition_id: int, organisation_id: int,
              form: QuotaForm) -> bool:
    """Saves one organisation's places, dormant mark and deadline extension; True when anything
    changed. A change needs a reason, recorded with it; an extension must end after the edition's
    deadline (an earlier one would be ignored by deadline_of)."""
    with transaction(session):
        edition = _edition(session, edition_id)
        quota = _locked_quota(session, edition.id, organisation_id)
        used = places_used(session, edition.id, organisation_id)
        organisation = session.get(Organisation, organisation_id)
        places = 0 if form.dormant else form.places
        before = {"places": quota.places, "dormant": quota.dormant,
                  "deadline_extended_to": _jsonable(quota.deadline_extended_to)}
        after = {"places": places, "dormant": form.dormant,
                 "deadline_extended_to": _jsonable(form.deadline_extended_to)}
        changes = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
        if not changes:
            return False
        refused = {}
        if places < used:
            refused["places"] = ngettext("%(name)s already uses %(num)d place; withdraw candidates before "
                                         "lowering its places below that.",
                                         "%(name)s already uses %(num)d places; withdraw candidates before "
                                         "lowering its places below that.", used, name=organisation.name)
        extended = form.deadline_extended_to
        if "deadline_extended_to" in changes and extended is not None and extended <= edition.nomination_closes_at:
            refused["deadline_extended_to"] = _(
                "An extension must end after the general deadline, %(deadline)s.",
                deadline=timefmt.format_datetime(edition.nomination_closes_at))
        if not form.reason:
            refused["reason"] = _("Enter a reason for changing the places of %(name)s.", name=organisation.name)
        if refused:
            raise DomainError(fields=refused)
        quota.places, quota.dormant, quota.deadline_extended_to = places, form.dormant, extended
        session.add(quota)
        record(session, Actor.of_user(organiser), "places_changed", "quota", quota.id, changes=changes,
               reason=form.reason, edition_id=edition.id, organisation_id=organisation_id)
    return True


def transfer_places(session: Session, organiser: User, edition_id: int, form: TransferForm) -> PlaceTransfer:
    """Passes places from one organisation to another, as Bautzen passed one to Jablonec in 2010."""
    with transaction(session):
        edition = _edition(session, edition_id)
        # Lock both rows in a fixed order so two opposite transfers cannot deadlock.
        first, second = sorted([form.from_organisation_id, form.to_organisation_id])
        quotas = {oid: _locked_quota(session, edition.id, oid) for oid in (first, second)}
        giver, taker = quotas[form.from_organisation_id], quotas[form.to_organisation_id]
        giver_name = session.get(Organisation, form.from_organisation_id).name
        free = giver.places - places_used(session, edition.id, form.from_organisation_id)
        if form.places > free:
            raise DomainError(_("%(name)s has only %(free)d free places to pass on.", name=giver_name, free=free))
        giver.places -= form.places
        taker.places += form.places
        taker.dormant = False
        transfer = PlaceTransfer(edition_id=edition.id, from_organisation_id=form.from_organisation_id,
                                 to_organisation_id=form.to_organisation_id, places=form.places,
                                 reason=form.reason, created_by_id=organiser.id)
        session.add_all([giver, taker, transfer])
        session.flush()
        for quota, sign in ((giver, -1), (taker, 1)):
            record(session, Actor.of_user(organiser), "places_transferred", "place_transfer", transfer.id,
                   changes={"places": sign * form.places, "from": form.from_organisation_id,
                            "to": form.to_organisation_id}, reason=form.reason, edition_id=edition.id,
                   organisation_id=quota.organisation_id)
    return transfer
