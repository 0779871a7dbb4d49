"""The interview slots of an edition and the nominees' bookings of them."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from ish_portal.db import UTCDateTime, utcnow

OUTCOMES = ("pending", "passed", "failed")
JOIN_KINDS = ("phone", "video")


class InterviewSlot(SQLModel, table=True):
    """A time an interviewer offers: who, when (UTC), how long, and how to join (the phone
    number the interviewer calls from or the video link)."""

    __tablename__ = "interview_slot"

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", index=True)
    interviewer_id: int = Field(foreign_key="user_account.id", index=True)
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    minutes: int = 30
    join_kind: str = Field(default="phone", max_length=10)
    join_how: str = Field(max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class InterviewBooking(SQLModel, table=True):
    """A nominee invited to book an interview, and the slot they hold. One row per nominee
    (nomination_id is unique) and one nominee per slot (slot_id is unique; NULL while nothing is
    booked): the database itself refuses a second booking, whatever races. Its id gives the
    calendar entry a stable UID; `sequence` rises with every change sent."""

    __tablename__ = "interview_booking"

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", index=True)
    nomination_id: int = Field(foreign_key="nomination.id", unique=True)
    slot_id: int | None = Field(default=None, foreign_key="interview_slot.id", unique=True)
    time_zone: str = Field(default="", max_length=60)  # the zone the nominee chose to read times in
    sequence: int = 0
    invited_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    booked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Recorded by the interviewer.
    outcome: str = Field(default="pending", max_length=20)
    no_show: bool = False
    notes: str = Field(default="", max_length=4000)  # personal data: removed by retention


class InterviewSetting(SQLModel, table=True):
    """An edition's interview rules: until how many hours before its start a booking may be
    moved or cancelled."""

    __tablename__ = "interview_setting"

    edition_id: int = Field(foreign_key="edition.id", primary_key=True)
    cutoff_hours: int = 24


class InterviewerSetting(SQLModel, table=True):
    """An interviewer's own: the zone they read times in and their private calendar feed (only
    the token's hash is kept; None: no feed)."""

    __tablename__ = "interviewer_setting"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    time_zone: str = Field(default="Europe/Berlin", max_length=60)
    feed_token_hash: str | None = Field(default=None, max_length=64, unique=True)
    feed_created_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
