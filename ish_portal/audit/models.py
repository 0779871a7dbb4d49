"""Who changed what, when, from what to what, and why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from ish_portal.db import UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    # "Ada Organiser <ada@...>", "applicant", "guardian", "system": readable even after deletion.
    actor_label: str = Field(max_length=300)
    action: str = Field(max_length=60, index=True)
    entity: str = Field(max_length=40)
    entity_id: int | None = None
    from_state: str = Field(default="", max_length=40)
    to_state: str = Field(default="", max_length=40)
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    reason: str = Field(default="", max_length=1000)
    # Scoping columns, so a coordinator's history query can be filtered to their organisation.
    edition_id: int | None = Field(default=None, foreign_key="edition.id", index=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    nomination_id: int | None = Field(default=None, foreign_key="nomination.id", index=True)
