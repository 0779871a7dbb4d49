"""Recording audit events. Callers pass their open session so the event commits (or rolls back)
together with the change it describes."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from ish_portal.audit.models import AuditEvent


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
