"""Matching runs, organisers' pins and the offers that published runs turn into."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from ish_portal.db import UTCDateTime, utcnow


class MatchRun(SQLModel, table=True):
    """One run of the placement engine, stored with exactly what went in and what came out."""

    __tablename__ = "match_run"

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", index=True)
    mode: str = Field(max_length=20)  # stable, welfare
    seed: int = 0
    instance: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    result: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Pin(SQLModel, table=True):
    """An organiser's fixed placement of a student in a lab, honoured by every run."""

    nomination_id: int = Field(foreign_key="nomination.id", primary_key=True)
    lab_id: int = Field(foreign_key="lab.id", index=True)
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OfferStatus(StrEnum):
    PROPOSED = "proposed"    # its email waits as a draft, or for an organiser's confirmation
    PENDING = "pending"      # its email is released; awaiting the applicant's answer
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"  # discarded before it was sent, or ended by a withdrawal


O = OfferStatus

# The only moves an offer's status can make; placement.offers.move is the one door.
OFFER_MOVES: dict[OfferStatus, frozenset[OfferStatus]] = {
    O.PROPOSED: frozenset({O.PENDING, O.WITHDRAWN}),       # released, or discarded unsent
    O.PENDING: frozenset({O.ACCEPTED, O.DECLINED, O.EXPIRED, O.WITHDRAWN}),
    O.ACCEPTED: frozenset({O.WITHDRAWN}),                  # the candidate withdrew after accepting
    O.DECLINED: frozenset(),
    O.EXPIRED: frozenset(),
    O.WITHDRAWN: frozenset(),
}
# Offers that hold a lab seat: the applicant may still take it, or has.
HOLDING = (O.PROPOSED, O.PENDING, O.ACCEPTED)


class Offer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    nomination_id: int = Field(foreign_key="nomination.id", index=True)
    lab_id: int = Field(foreign_key="lab.id", index=True)
    match_run_id: int | None = Field(default=None, foreign_key="match_run.id")
    status: str = Field(default=OfferStatus.PENDING, max_length=20, index=True)
    # Provisional while proposed; set again when the offer is released (its email queued).
    response_deadline: datetime = Field(sa_type=UTCDateTime)
    released_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decline_reason: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the reminder before the response deadline went out, so it goes out once.
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Confirmed by the lab's host at the end (hosts/service.confirm_attendance): whether the
    # student took part, and the title of their project, which the certificate shows.
    attended: bool | None = None
    project_title: str = Field(default="", max_length=300, sa_column_kwargs={"server_default": ""})
    attendance_confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
