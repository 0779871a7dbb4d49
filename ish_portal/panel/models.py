"""The panel's review: each edition's rubric and review settings, the reviews (an assignment is a
review not yet submitted), their scores per criterion, and the panel's combined score per
nomination with an organiser's override."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from ish_portal.db import UTCDateTime, utcnow


class RubricCriterion(SQLModel, table=True):
    """One criterion of an edition's rubric (motivation, scientific curiosity, English, ...): a
    reviewer gives it a whole number from 1 to scale_max; weight says how much it counts."""

    __tablename__ = "panel_criterion"

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", index=True)
    position: int = 0
    name: str = Field(max_length=100)
    description: str = Field(default="", max_length=1000)
    scale_max: int = 5
    weight: float = 1.0


class ReviewSettings(SQLModel, table=True):
    """How an edition's panel reviews. Missing row: the defaults below."""

    __tablename__ = "panel_review_settings"

    edition_id: int = Field(foreign_key="edition.id", primary_key=True)
    reviews_per_nomination: int = 2
    blind_review: bool = True
    # Reviews can be written and changed until then (None: no deadline yet).
    review_deadline: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Each reviewer's scores standardised (z-scores per reviewer) before they are combined.
    standardise: bool = False
    # When the reviewers with open reviews were reminded of the deadline (once per edition).
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Review(SQLModel, table=True):
    """One panel member's review of one nomination: made when the nomination is assigned to them,
    done once submitted_at is set. The comment is personal data (retention class "review")."""

    __tablename__ = "panel_review"
    __table_args__ = (UniqueConstraint("panel_member_id", "nomination_id"),)

    id: int | None = Field(default=None, primary_key=True)
    panel_member_id: int = Field(foreign_key="panel_member.id", index=True)
    nomination_id: int = Field(foreign_key="nomination.id", index=True)
    comment: str = Field(default="", max_length=4000)
    assigned_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReviewScore(SQLModel, table=True):
    __tablename__ = "panel_review_score"
    __table_args__ = (UniqueConstraint("review_id", "criterion_id"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="panel_review.id", index=True)
    criterion_id: int = Field(foreign_key="panel_criterion.id", index=True)
    score: int


class PanelScore(SQLModel, table=True):
    """What the panel's reviews add up to for one nomination (0-100), how many there are and how
    far apart; an organiser's override wins, with its reason. Nomination.review_score carries the
    result to the matching."""

    __tablename__ = "panel_score"

    nomination_id: int = Field(foreign_key="nomination.id", primary_key=True)
    combined: float | None = None
    reviews: int = 0
    spread: float = 0.0
    override: int | None = None
    override_reason: str = Field(default="", max_length=1000)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
