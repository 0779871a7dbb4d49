"""The yearly edition, the sending organisations and the places each one has in an edition."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from ish_portal.db import UTCDateTime, utcnow

# "guardian_consent" applies only to candidates under guardian_consent_below_age on the first day.
DEFAULT_REQUIRED_DOCUMENTS = ["cv", "motivation_letter", "school_report", "guardian_consent"]


class DocumentKind(StrEnum):
    CV = "cv"
    MOTIVATION_LETTER = "motivation_letter"
    SCHOOL_REPORT = "school_report"
    GUARDIAN_CONSENT = "guardian_consent"
    OTHER = "other"


class OrganisationKind(StrEnum):
    PARTNER_CITY = "partner_city"
    FRIENDLY_CITY = "friendly_city"
    OTHER = "other"


class Organisation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=60, unique=True, index=True)
    name: str = Field(max_length=200)
    country: str = Field(default="", max_length=2)  # ISO 3166-1 alpha-2; empty when unknown
    kind: str = Field(default=OrganisationKind.OTHER, max_length=20)
    # Where its people live: the time zone emails to its coordinators and candidates use.
    time_zone: str = Field(default="Europe/Berlin", max_length=60, sa_column_kwargs={"server_default": "Europe/Berlin"})
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Edition(SQLModel, table=True):
    """One summer of the programme and every rule the organisers set for it."""

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(unique=True, index=True)
    title: str = Field(max_length=200)
    starts_on: date
    ends_on: date
    nomination_opens_at: datetime = Field(sa_type=UTCDateTime)
    nomination_closes_at: datetime = Field(sa_type=UTCDateTime)
    min_age: int = 16
    max_age: int = 21
    # Anyone younger than this on the first day needs a guardian's consent.
    guardian_consent_below_age: int = 18
    required_documents: list[str] = Field(default_factory=lambda: list(DEFAULT_REQUIRED_DOCUMENTS),
                                          sa_type=JSON)
    upload_limit_mb: int = 5
    max_preferences: int = 5
    preferences_locked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When a matching run was published as offers (set by placement): the edition's offers phase.
    offers_published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    offer_response_days: int = 7
    reminder_days_before: int = 2
    # When a place frees up: send the waitlist offer at once, or wait for an organiser to confirm.
    auto_promote_waitlist: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Quota(SQLModel, table=True):
    """The places of one sending organisation in one edition. Its row is also the lock taken when a
    nomination is submitted, so that concurrent submissions cannot exceed the places."""

    __table_args__ = (UniqueConstraint("edition_id", "organisation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    places: int = Field(default=0, ge=0)
    dormant: bool = False
    # An organiser may give one organisation more time than the edition's nomination window.
    deadline_extended_to: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PlaceTransfer(SQLModel, table=True):
    """A place passed from one organisation to another (Bautzen -> Jablonec in 2010)."""

    __tablename__ = "place_transfer"

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", index=True)
    from_organisation_id: int = Field(foreign_key="organisation.id")
    to_organisation_id: int = Field(foreign_key="organisation.id")
    places: int = 1
    reason: str = Field(max_length=500)
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
