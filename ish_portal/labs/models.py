"""Host labs of an edition: a group at an institute, with a tutor, that takes a few students."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from ish_portal.db import UTCDateTime, utcnow


class Lab(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", index=True)
    institute: str = Field(max_length=200)
    group_name: str = Field(max_length=200)
    tutor_name: str = Field(default="", max_length=200)
    tutor_email: str = Field(default="", max_length=254)
    subject_area: str = Field(max_length=100, index=True)
    description: str = Field(default="", max_length=2000)
    capacity: int = Field(default=1, ge=0)
    min_age: int | None = None
    languages: list[str] = Field(default_factory=lambda: ["en"], sa_type=JSON)
    # ISH wants international teams: by default at most one student per organisation in a lab.
    # None means no cap; the default lives on the model only, because a column default would
    # replace an explicit None on insert.
    organisation_cap: int | None = Field(default=1, ge=1, sa_column_kwargs={"default": None})
    retired: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The host's confirmation for the edition (hosts/service.confirm_lab): when and by whom, and
    # the weeks of the programme (1 is the first) the lab can host; a reminder sent meanwhile.
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    confirmed_by_id: int | None = None
    host_weeks: list[int] = Field(default_factory=list, sa_type=JSON, sa_column_kwargs={"server_default": "[]"})
    confirmation_reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def label(self) -> str:
        return f"{self.group_name}, {self.institute}"


class LabRanking(SQLModel, table=True):
    """A lab's own ranking of candidates (from the tutors' feedback); rank 1 is the favourite."""

    __tablename__ = "lab_ranking"
    __table_args__ = (UniqueConstraint("lab_id", "nomination_id"),)

    id: int | None = Field(default=None, primary_key=True)
    lab_id: int = Field(foreign_key="lab.id", index=True)
    nomination_id: int = Field(foreign_key="nomination.id", index=True)
    rank: int = Field(ge=1)


class LabHost(SQLModel, table=True):
    """A host account's access to one lab (the tutor, a deputy). A host of several labs has a row
    for each, and sees only those labs."""

    __tablename__ = "lab_host"
    __table_args__ = (UniqueConstraint("lab_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    lab_id: int = Field(foreign_key="lab.id", index=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
