"""The rules of nominations. change_status is the one door through which a nomination's status
moves: it checks the move against ALLOWED_TRANSITIONS and records the audit event, in the
caller's transaction."""

from __future__ import annotations

from sqlmodel import Session, select

from ish_portal.accounts.models import User
from ish_portal.audit.service import Actor, record
from ish_portal.db import utcnow
from ish_portal.nominations.models import ALLOWED_TRANSITIONS, Nomination, NominationStatus
from ish_portal.web.i18n import gettext as _


class NominationError(Exception):
    """A refused change, with a message for the person who asked for it."""


def change_status(session: Session, nomination: Nomination, to: NominationStatus, actor: Actor,
                  reason: str = "") -> None:
    current = NominationStatus(nomination.status)
    if to not in ALLOWED_TRANSITIONS[current]:
        raise NominationError(_("A nomination that is %(current)s cannot become %(to)s.",
                                current=status_label(current), to=status_label(to)))
    nomination.status = to
    nomination.updated_at = utcnow()
    if to == NominationStatus.SUBMITTED:
        nomination.submitted_at = nomination.updated_at
    session.add(nomination)
    record(session, actor, "status_changed", "nomination", nomination.id, from_state=current,
           to_state=to, reason=reason, edition_id=nomination.edition_id,
           organisation_id=nomination.organisation_id, nomination_id=nomination.id)


def status_label(status: str) -> str:
    return {
        NominationStatus.DRAFT: _("draft"),
        NominationStatus.SUBMITTED: _("submitted"),
        NominationStatus.APPROVED: _("approved"),
        NominationStatus.REJECTED: _("not accepted"),
        NominationStatus.OFFERED: _("offered a place"),
        NominationStatus.ACCEPTED: _("accepted"),
        NominationStatus.DECLINED: _("declined"),
        NominationStatus.EXPIRED: _("offer expired"),
        NominationStatus.WITHDRAWN: _("withdrawn"),
    }[NominationStatus(status)]


def nominations_of_organisation(session: Session, coordinator: User, edition_id: int) -> list[Nomination]:
    """A coordinator's candidates: the query itself is scoped to their organisation."""
    return list(session.exec(select(Nomination).where(
        Nomination.organisation_id == coordinator.organisation_id,
        Nomination.edition_id == edition_id).order_by(Nomination.family_name, Nomination.given_name)).all())
