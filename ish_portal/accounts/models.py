"""People who sign in with a password (organisers, coordinators, the review and interview panel,
lab hosts), what the panel is scoped to, and the links that stand in for a password (invitations,
password resets, applicants' access links, guardians' consent links)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DDL, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from ish_portal.db import UTCDateTime, utcnow


class Role(StrEnum):
    """What an account is. A person has one account; what a panel account or an organiser may do
    on the panel is said per edition by PanelMember, what a host may see by labs.models.LabHost."""

    ORGANISER = "organiser"
    COORDINATOR = "coordinator"
    PANEL = "panel"    # reviewers and interviewers who are not organisers
    HOST = "host"      # the tutors (and their deputies) of host labs


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
    # Bumped on every password change, sign-out and deactivation, so that sessions signed before
    # it stop working, wherever their cookie went.
    session_version: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def is_organiser(self) -> bool:
        return self.role == Role.ORGANISER

    @property
    def is_coordinator(self) -> bool:
        return self.role == Role.COORDINATOR


class PanelMember(SQLModel, table=True):
    """One person's place on one edition's panel: reviewing nominations, interviewing nominees or
    both. Panel accounts and organisers may hold one; coordinators and hosts never do."""

    __tablename__ = "panel_member"
    __table_args__ = (UniqueConstraint("edition_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", index=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    reviews: bool = True
    interviews: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PanelConflict(SQLModel, table=True):
    """A sending organisation a panel member declared a conflict of interest with (their own
    school, a relative's): they are never given its nominations."""

    __tablename__ = "panel_conflict"
    __table_args__ = (UniqueConstraint("panel_member_id", "organisation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    panel_member_id: int = Field(foreign_key="panel_member.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)


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
    target: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # An applicant's link the applicant replaced by asking for a newer one, before using it.
    superseded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # An applicant's session is the used link it was opened with (its id is in the cookie): the
    # session ends for good when they sign out or ask for a newer link, whoever holds the cookie.
    session_ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PublicForm(StrEnum):
    ACCESS = "access"
    PASSWORD_RESET = "password_reset"
    CONSENT = "consent"


class PublicRequest(SQLModel, table=True):
    """A request sent through a public form (a personal link, a password reset, a guardian's
    consent). The page answers at once, the same for known and unknown addresses; the worker does
    the looking up and the email later (done_at). The rows also count requests per client address
    and per address for the rate limits, and are deleted after a day."""

    __tablename__ = "public_request"

    id: int | None = Field(default=None, primary_key=True)
    form: str = Field(max_length=20)
    email: str = Field(default="", max_length=254, index=True)  # lower-case; empty for consent
    client_address: str = Field(max_length=64, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    # What the worker did: "sent", "unknown" (no such account or nomination), "limited".
    outcome: str = Field(default="", max_length=20)


# A queued request wakes the workers as a queued email does (notifications.models): they LISTEN
# on the outbox's channel on PostgreSQL; on SQLite they poll. (Migration 0007 added it to
# existing databases.)
event.listen(PublicRequest.__table__, "after_create", DDL("""
CREATE FUNCTION public_request_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.done_at IS NULL THEN
        PERFORM pg_notify('ish_outbox', '');
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER public_request_announce AFTER INSERT ON public_request
    FOR EACH ROW EXECUTE FUNCTION public_request_announce();
""").execute_if(dialect="postgresql"))


class SignInThrottle(SQLModel, table=True):
    """Failed sign-ins per account ("account:<email>") and per client address ("address:<ip>"),
    kept in the database so that every app process sees the same count."""

    __tablename__ = "sign_in_throttle"

    key: str = Field(primary_key=True, max_length=300)
    failures: int = 0
    last_failure_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    blocked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
