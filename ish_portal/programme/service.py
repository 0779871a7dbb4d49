"""Editions and sending organisations: the ground every other area stands on, so it imports none
of them. Counting the places used belongs to nominations (nominations/places.py)."""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from collections.abc import Callable
from typing import TYPE_CHECKING

from ish_portal.audit.service import Actor, record
from ish_portal.db import transaction, utcnow
from ish_portal.errors import DomainError
from ish_portal.programme.forms import NewEdition, NominationRules, OrganisationForm
from ish_portal.programme.models import Edition, Organisation, PlaceTransfer, Quota
from ish_portal.text import timefmt
from ish_portal.text.i18n import gettext as _

if TYPE_CHECKING:
    from ish_portal.accounts.models import User


# Where a web request's session keeps the newest edition once it is known: web.deps reads it in
# the statement that reads the signed-in person, as nearly every page asks for both.
CURRENT_EDITION = "current_edition"


def current_edition(session: Session) -> Edition | None:
    """The newest edition: the one the portal works on."""
    if CURRENT_EDITION in session.info:
        return session.info[CURRENT_EDITION]
    return session.exec(_newest_edition()).first()


def newest_edition_id():
    """The newest edition's id, as a subquery for a statement that reads it with something else."""
    return select(Edition.id).order_by(Edition.year.desc()).limit(1).scalar_subquery()


@functools.cache
def _newest_edition():
    # Nearly every page asks for it: one statement serves them all, built once (a statement is
    # immutable, and building it again costs more than SQLAlchemy's reuse of its compiled form).
    return select(Edition).order_by(Edition.year.desc()).limit(1)


def deadline_of(edition: Edition, quota: Quota | None) -> datetime:
    """The organisation's nomination deadline: the edition's, unless the organisers extended it."""
    extended = quota.deadline_extended_to if quota else None
    return max(edition.nomination_closes_at, extended) if extended else edition.nomination_closes_at


def organisations(session: Session) -> list[Organisation]:
    return list(session.exec(select(Organisation).order_by(Organisation.name)).all())


def add_organisation(session: Session, organiser: User, edition: Edition, form: OrganisationForm) -> Organisation:
    """A new sending organisation, with its places in `edition` (its time zone already chosen).
    Its name must be new: two organisations of one name could not be told apart anywhere."""
    with transaction(session):
        taken = session.exec(select(Organisation.id).where(
            func.lower(Organisation.name) == form.name.lower())).first()
        if taken is not None:
            raise DomainError(fields={"name": _("There is already an organisation called %(name)s.", name=form.name)})
        organisation = Organisation(slug=_free_slug(session, form.name), name=form.name, country=form.country,
                                    time_zone=form.time_zone)
        session.add(organisation)
        session.flush()
        session.add(Quota(edition_id=edition.id, organisation_id=organisation.id, places=form.places))
        record(session, Actor.of_user(organiser), "organisation_added", "organisation", organisation.id,
               changes={"name": form.name, "country": form.country, "time_zone": form.time_zone,
                        "places": form.places}, edition_id=edition.id, organisation_id=organisation.id)
    return organisation


def _free_slug(session: Session, name: str) -> str:
    """A short ASCII name for addresses ("jelenia-gora"), made unique with a number if need be."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    base = "-".join(re.findall(r"[a-z0-9]+", ascii_name))[:50] or "organisation"
    taken = set(session.exec(select(Organisation.slug).where(Organisation.slug.startswith(base))).all())
    return next(slug for slug in (base if n == 1 else f"{base}-{n}" for n in range(1, len(taken) + 2))
                if slug not in taken)


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


# What else a new edition takes over from the last one (labs copies its labs). The areas that
# build on editions register here when imported; programme imports none of them.
EditionCopy = Callable[[Session, Edition, Edition], dict[str, int]]
_copies: list[EditionCopy] = []


def when_an_edition_is_copied(copy: EditionCopy) -> EditionCopy:
    _copies.append(copy)
    return copy


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
        copied = {"places": 0}
        if form.copy_from_last and last is not None:
            for quota in session.exec(select(Quota).where(Quota.edition_id == last.id)).all():
                session.add(Quota(edition_id=edition.id, organisation_id=quota.organisation_id,
                                  places=quota.places, dormant=quota.dormant))
                copied["places"] += quota.places
            for copy in _copies:
                copied.update(copy(session, last, edition))
        record(session, Actor.of_user(organiser), "edition_created", "edition", edition.id,
               changes={"year": form.year, "copied_from": last.year if form.copy_from_last and last else None,
                        **copied}, edition_id=edition.id)
    session.info.pop(CURRENT_EDITION, None)  # the newest may be this one now
    return edition


PHASES = ["set-up", "nominations", "review", "matching", "offers", "programme", "finished"]


def has_ended(edition: Edition, now: datetime | None = None) -> bool:
    """Whether the programme's last day is past in Heidelberg. From then on what happened to its
    candidates is a record: the doors that would change a decision, a score or a status refuse."""
    return (now or utcnow()).astimezone(timefmt.zone()).date() > edition.ends_on


def phase(session: Session, edition: Edition, now: datetime | None = None) -> str:
    """Where the edition stands; each phase follows from dates and from what has happened."""
    now = now or utcnow()
    today = now.astimezone(timefmt.zone()).date()
    if has_ended(edition, now):
        return "finished"
    if today >= edition.starts_on:
        return "programme"
    if edition.offers_published_at is not None:
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


def transfers(session: Session, edition: Edition) -> list[PlaceTransfer]:
    return list(session.exec(select(PlaceTransfer).where(PlaceTransfer.edition_id == edition.id)
                             .order_by(PlaceTransfer.created_at.desc())).all())


def _jsonable(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
