"""Editions, sending organisations and their places."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from ish_portal.errors import DomainError
from ish_portal.accounts.models import User
from ish_portal.audit.service import Actor, record
from ish_portal.db import transaction, utcnow
from ish_portal.labs.models import Lab
from ish_portal.placement.models import MatchRun
from ish_portal.text import timefmt
from ish_portal.nominations.models import TAKES_A_PLACE, Nomination
from ish_portal.programme.forms import NewEdition, NominationRules, QuotaForm, TransferForm
from ish_portal.programme.models import Edition, Organisation, PlaceTransfer, Quota
from ish_portal.text.i18n import gettext as _


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


def deadline_of(edition: Edition, quota: Quota | None) -> datetime:
    """The organisation's nomination deadline: the edition's, unless the organisers extended it."""
    extended = quota.deadline_extended_to if quota else None
    return max(edition.nomination_closes_at, extended) if extended else edition.nomination_closes_at


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


def organisation_name(session: Session, organisation_id: int) -> str:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise DomainError(_("No such organisation."))
    return organisation.name


# -- organisers' changes ------------------------------------------------------------------------



def _edition(session: Session, edition_id: int) -> Edition:
    edition = session.get(Edition, edition_id)
    if edition is None:
        raise DomainError(_("No such edition."))
    return edition


def editions(session: Session) -> list[Edition]:
    return list(session.exec(select(Edition).order_by(Edition.year.desc())).all())


def create_edition(session: Session, organiser: User, form: NewEdition) -> Edition:
    """A new edition; by default with the organisations' places, the labs and the rules of the
    newest edition so far (labs are copied, so the new year's changes leave history intact)."""
    with transaction(session):
        if session.exec(select(Edition).where(Edition.year == form.year)).first():
            raise DomainError(_("There is already an edition for %(year)d.", year=form.year))
        last = current_edition(session)
        edition = Edition(year=form.year, title=form.title, starts_on=form.starts_on, ends_on=form.ends_on,
                          nomination_opens_at=form.nomination_opens_at,
                          nomination_closes_at=form.nomination_closes_at)
        if form.copy_from_last and last is not None:
            for field in ("min_age", "max_age", "guardian_consent_below_age", "required_documents",
                          "upload_limit_mb", "max_preferences", "offer_response_days",
                          "reminder_days_before", "auto_promote_waitlist"):
                setattr(edition, field, getattr(last, field))
        session.add(edition)
        session.flush()
        copied = {"places": 0, "labs": 0}
        if form.copy_from_last and last is not None:
            for quota in session.exec(select(Quota).where(Quota.edition_id == last.id)).all():
                session.add(Quota(edition_id=edition.id, organisation_id=quota.organisation_id,
                                  places=quota.places, dormant=quota.dormant))
                copied["places"] += quota.places
            for lab in session.exec(select(Lab).where(Lab.edition_id == last.id, Lab.retired == False)).all():  # noqa: E712
                values = lab.model_dump(exclude={"id", "edition_id", "created_at"})
                session.add(Lab(edition_id=edition.id, **values))
                copied["labs"] += 1
        record(session, Actor.of_user(organiser), "edition_created", "edition", edition.id,
               changes={"year": form.year, "copied_from": last.year if form.copy_from_last and last else None,
                        **copied}, edition_id=edition.id)
    return edition


PHASES = ["set-up", "nominations", "review", "matching", "offers", "programme", "finished"]


def phase(session: Session, edition: Edition, now: datetime | None = None) -> str:
    """Where the edition stands; each phase follows from dates and from what has happened."""
    now = now or utcnow()
    today = now.astimezone(timefmt.zone()).date()
    if today > edition.ends_on:
        return "finished"
    if today >= edition.starts_on:
        return "programme"
    published = session.exec(select(MatchRun.id).where(MatchRun.edition_id == edition.id,
                                                       MatchRun.published_at.is_not(None))).first()
    if published is not None:
        return "offers"
    if edition.preferences_locked_at is not None and edition.preferences_locked_at <= now:
        return "matching"
    extended = session.exec(select(func.max(Quota.deadline_extended_to)).where(Quota.edition_id == edition.id)).one()
    closes = max(edition.nomination_closes_at, extended) if extended else edition.nomination_closes_at
    if now < edition.nomination_opens_at:
        return "set-up"
    if now <= closes:
        return "nominations"
    return "review"


def phase_label(name: str) -> str:
    return {"set-up": _("Setting up"), "nominations": _("Nominations open"), "review": _("Review and interviews"),
            "matching": _("Lab matching"), "offers": _("Offers out"), "programme": _("Programme running"),
            "finished": _("Finished")}[name]


def update_nomination_rules(session: Session, organiser: User, edition_id: int, rules: NominationRules) -> Edition:
    with transaction(session):
        edition = _edition(session, edition_id)
        changes = {}
        for field, new in rules.model_dump().items():
            old = getattr(edition, field)
            if old != new:
                changes[field] = [_jsonable(old), _jsonable(new)]
                setattr(edition, field, new)
        if changes:
            session.add(edition)
            record(session, Actor.of_user(organiser), "edition_changed", "edition", edition.id,
                   changes=changes, edition_id=edition.id)
    return edition


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
            refused["places"] = _("%(name)s already uses %(used)d places; withdraw candidates before "
                                  "lowering its places below that.", name=organisation.name, used=used)
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


def transfers(session: Session, edition: Edition) -> list[PlaceTransfer]:
    return list(session.exec(select(PlaceTransfer).where(PlaceTransfer.edition_id == edition.id)
                             .order_by(PlaceTransfer.created_at.desc())).all())


def _jsonable(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
