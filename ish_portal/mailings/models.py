"""An organiser's message to a filtered group: one row per batch written through the composer,
holding what was asked for (the edition's filters, the group), the words per language, and when
the batch goes out (now, at a set time, or never once cancelled). The messages themselves are
drafts in the outbox under the row's batch name."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from ish_portal.db import UTCDateTime, utcnow


class Mailing(SQLModel, table=True):
    __tablename__ = "mailing"

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", index=True)
    # The outbox batch its messages carry.
    batch: str = Field(max_length=100, unique=True)
    # "organiser_message" (the organiser's own words) or another kind written to a group.
    kind: str = Field(max_length=50)
    # The group written to (candidates, guardians, coordinators, ...; see mailings.groups).
    recipients: str = Field(max_length=30)
    # The filters as the composer's query string keeps them: organisation, status, lab, placed.
    filters: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # The English subject as written (with its placeholders), for the list; empty for a catalogue kind.
    subject: str = Field(default="", max_length=300)
    # language -> {"subject": ..., "body": ...}; English always, other languages as written.
    texts: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # The attachments' names and sizes, as shown in the list (each message carries its copy).
    files: list[Any] = Field(default_factory=list, sa_type=JSON)
    written_to: int = 0
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_by_name: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Set: the worker releases the drafts from then on; cleared when sent now or cancelled.
    scheduled_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    released_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
