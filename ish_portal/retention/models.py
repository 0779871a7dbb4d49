"""The retention schedule of an edition (one row per class an organiser set; a class without a row
keeps its default) and the claim that lets exactly one process run the nightly purge."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from ish_portal.db import UTCDateTime, utcnow


class RetentionPeriod(SQLModel, table=True):
    __tablename__ = "retention_period"
    __table_args__ = (UniqueConstraint("edition_id", "data_class"),)

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", index=True)
    data_class: str = Field(max_length=30)
    months: int = Field(ge=0, le=120)
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RetentionRun(SQLModel, table=True):
    """One nightly purge, claimed by the process that runs it: the day (Heidelberg's) is the key,
    so a second process starting the same night finds the claim and does nothing."""

    __tablename__ = "retention_run"

    day: date = Field(primary_key=True)
    claimed_by: str = Field(max_length=100)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # {"<edition year>": {"<class>": count}} of what went.
    summary: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
