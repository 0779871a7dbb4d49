"""People who sign in with a password (organisers, coordinators) and the links that stand in
for a password (invitations, password resets, applicants' access links, guardians' consent links)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from ish_portal.db import UTCDateTime, utcnow


class Role(StrEnum):
    ORGANISER = "organiser"
    COORDINATOR = "coordinator"


class User(SQLModel, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)  # stored lower-case
    full_name: str = Field(max_length=200)
    role: str = Field(max_length=20)
    # Coordinators belong to exactly one sending organisation; organisers to none.
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    password_hash: str | None = Field(default=None, max_length=255)
    is_active: bool = True
    language: str = Field(default="en", max_length=5)
    # Bumped on every password change so that sessions signed before it stop working.
    session_version: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def is_organiser(self) -> bool:
        return self.role == Role.ORGANISER

    @property
    def is_coordinator(self) -> bool:
        return self.role == Role.COORDINATOR


class TokenPurpose(StrEnum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"
    APPLICANT_ACCESS = "applicant_access"
    GUARDIAN_CONSENT = "guardian_consent"


class AccessToken(SQLModel, table=True):
    """A single-use, expiring link. Only the SHA-256 of the random token is stored."""

    __tablename__ = "access_token"

    id: int | None = Field(default=None, primary_key=True)
    purpose: str = Field(max_length=30)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    # The address the link was sent to; an invitation is bound to it.
    email: str = Field(max_length=254)
    user_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    nomination_id: int | None = Field(default=None, foreign_key="nomination.id", index=True)
    # Where the link leads once used (an applicant's offer page, say); single-purpose links.
    target: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SignInThrottle(SQLModel, table=True):
    """Failed sign-ins per account ("account:<email>") and per client address ("address:<ip>"),
    kept in the database so that every app process sees the same count."""

    __tablename__ = "sign_in_throttle"

    key: str = Field(primary_key=True, max_length=300)
    failures: int = 0
    last_failure_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    blocked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
