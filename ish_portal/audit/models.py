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


class SensitiveAccess(SQLModel, table=True):
    """A staff member saw a candidate's medical notes or passport details (on the review page, in a
    letter, in an export). One row per nomination and occasion; the name and role are kept as they
    were, so the record reads the same after the account is gone."""

    __tablename__ = "sensitive_access"

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    user_name: str = Field(max_length=200)
    user_role: str = Field(max_length=20)
    nomination_id: int = Field(foreign_key="nomination.id", index=True)
    # viewed_details, downloaded_letter, exported: see audit.service.ACCESS_WHAT
    what: str = Field(max_length=30)
    # which letter or list, and for an export how many candidates it held
    detail: str = Field(default="", max_length=200)
    count: int = 1
