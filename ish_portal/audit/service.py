"""Recording audit events. Callers pass their open session so the event commits (or rolls back)
together with the change it describes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, Select, insert, literal, select as sa_select
from sqlmodel import Session, select

from ish_portal.audit.models import AuditEvent, SensitiveAccess
from ish_portal.db import utcnow


class Actor:
    """Who is acting: a signed-in user, an applicant, a guardian, or the system itself."""

    def __init__(self, label: str, user_id: int | None = None) -> None:
        self.label = label
        self.user_id = user_id

    @classmethod
    def of_user(cls, user) -> "Actor":
        return cls(f"{user.full_name} <{user.email}>", user.id)

    def __repr__(self) -> str:
        return f"Actor({self.label!r})"


SYSTEM = Actor("system")


def record(session: Session, actor: Actor, action: str, entity: str, entity_id: int | None = None,
           *, from_state: str = "", to_state: str = "", changes: dict[str, Any] | None = None,
           reason: str = "", edition_id: int | None = None, organisation_id: int | None = None,
           nomination_id: int | None = None) -> AuditEvent:
    event = AuditEvent(actor_id=actor.user_id, actor_label=actor.label, action=action, entity=entity,
                       entity_id=entity_id, from_state=from_state, to_state=to_state,
                       changes=changes or {}, reason=reason, edition_id=edition_id,
                       organisation_id=organisation_id, nomination_id=nomination_id)
    session.add(event)
    return event


# -- who saw sensitive data -----------------------------------------------------------------------

# What a staff member saw, by code (the words are translated where they are shown).
VIEWED_DETAILS = "viewed_details"        # the review page with medical notes and passport details
DOWNLOADED_LETTER = "downloaded_letter"  # a letter carrying passport details (the visa letter)
EXPORTED = "exported"                    # a list with the sensitive columns


def saw_sensitive(session: Session, user, nomination_id: int, what: str, detail: str = "") -> None:
    """One row for one look at one candidate's sensitive data. The caller commits it (the caller
    holds the transaction, or it is the only write of a read-only request)."""
    session.add(SensitiveAccess(user_id=user.id, user_name=user.full_name[:200], user_role=str(user.role)[:20],
                                nomination_id=nomination_id, what=what, detail=detail[:200]))


def saw_sensitive_in_export(session: Session, user, nominations: Select, detail: str, count: int) -> None:
    """An export with sensitive columns: one row per candidate in it, written by ONE
    INSERT ... SELECT over the export's own query (`nominations` selects their ids), so a list of
    10,000 costs one statement, and each candidate still finds the export among who saw their
    data (one row naming the count would hide who was in it). Every row also says how many
    candidates the list held."""
    ids = nominations.subquery()
    table = SensitiveAccess.__table__
    rows = sa_select(literal(utcnow(), table.c.occurred_at.type), literal(user.id, Integer),
                     literal(user.full_name[:200]), literal(str(user.role)[:20]), ids.c[0],
                     literal(EXPORTED), literal(detail[:200]), literal(count, Integer))
    session.execute(insert(table).from_select(
        ["occurred_at", "user_id", "user_name", "user_role", "nomination_id", "what", "detail", "count"], rows))


def sensitive_access_of(session: Session, nomination_id: int, limit: int | None = None) -> list[SensitiveAccess]:
    """Who saw this candidate's sensitive data, newest first."""
    query = (select(SensitiveAccess).where(SensitiveAccess.nomination_id == nomination_id)
             .order_by(SensitiveAccess.occurred_at.desc(), SensitiveAccess.id.desc()))
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query).all())


def access_label(row: SensitiveAccess) -> str:
    """What was seen, in the reader's language: "viewed medical notes", "downloaded visa letter",
    "exported passport details of 42 candidates"."""
    from ish_portal.text.i18n import gettext as _, ngettext
    parts = set(row.detail.split(",")) if row.what == VIEWED_DETAILS else set()
    if row.what == VIEWED_DETAILS:
        if parts >= {"medical_notes", "passport"}:
            return _("viewed medical notes and passport details")
        return _("viewed medical notes") if "medical_notes" in parts else _("viewed passport details")
    if row.what == DOWNLOADED_LETTER:
        return _("downloaded visa letter")
    if row.what == EXPORTED:
        return ngettext("exported medical notes and passport details of %(num)d candidate",
                        "exported medical notes and passport details of %(num)d candidates", row.count)
    return row.what


def role_label(role: str) -> str:
    from ish_portal.text.i18n import gettext as _
    return {"organiser": _("organiser"), "coordinator": _("coordinator"), "host": _("lab host")}.get(role, role)
