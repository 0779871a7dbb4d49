"""The rules of signing in: passwords, single-use links, throttling of failed attempts, invitations
and applicants' access links. Every function takes the caller's session; those that change
something commit through db.transaction so the change, its audit event and its email go together."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from pwdlib import PasswordHash
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ish_portal.errors import DomainError
from ish_portal.accounts.models import AccessToken, Role, SignInThrottle, TokenPurpose, User
from ish_portal.audit.service import SYSTEM, Actor, record
from ish_portal.db import transaction, utcnow
from ish_portal.notifications.catalog import Reader
from ish_portal.notifications.service import enqueue
from ish_portal.programme.models import Organisation
from ish_portal.text.i18n import gettext as _

password_hash = PasswordHash.recommended()  # argon2id


@cache
def _dummy_hash() -> str:
    """Verified when the account does not exist, so that an unknown address takes as long as a
    known one. Made at the first sign-in, not at import: importing the application hashes nothing."""
    return password_hash.hash("not-a-real-password")


MIN_PASSWORD_LENGTH = 10
# (failures allowed before slowing down, window in which failures add up)
ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20
FAILURE_WINDOW = timedelta(minutes=15)
LONGEST_BLOCK = timedelta(minutes=15)




def normalise_email(email: str) -> str:
    return email.strip().lower()


def password_problem(password: str, email: str = "") -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Use at least %(count)d characters.", count=MIN_PASSWORD_LENGTH)
    if len(password) > 200:
        return _("Use at most %(count)d characters.", count=200)
    if email and password.strip().lower() == normalise_email(email):
        return _("Do not use your email address as your password.")
    if len(set(password)) < 4:
        return _("This password is too easy to guess.")
    return None


# -- single-use links -----------------------------------------------------------------------

def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def issue_token(session: Session, purpose: TokenPurpose, email: str, valid_for: timedelta | None = None,
                user_id: int | None = None, nomination_id: int | None = None, *,
                until: datetime | None = None, target: str = "") -> str:
    """A new link token: 256 random bits, of which only the hash is stored. It expires after
    `valid_for` or at `until`, and leads to `target` once used (single-purpose links)."""
    raw = secrets.token_urlsafe(32)
    expires = until if until is not None else utcnow() + (valid_for or timedelta(days=1))
    session.add(AccessToken(purpose=purpose, token_hash=hash_token(raw), email=normalise_email(email),
                            user_id=user_id, nomination_id=nomination_id, expires_at=expires,
                            target=target))
    return raw


def active_coordinators(session: Session, organisation_id: int) -> list[User]:
    """The coordinators of one organisation who can sign in, in the order they were added."""
    return list(session.exec(select(User).where(User.organisation_id == organisation_id,
                                                User.role == Role.COORDINATOR, User.is_active)
                             .order_by(User.id)).all())


def reader_of(user: User) -> Reader:
    """A staff member as the reader of a message: organisers read in Heidelberg's zone."""
    return Reader(user.email, user.full_name, user.language, None)


def find_token(session: Session, raw: str, purpose: TokenPurpose) -> AccessToken:
    """The token if it can still be used; otherwise DomainError saying why not."""
    token = session.exec(select(AccessToken).where(AccessToken.token_hash == hash_token(raw),
                                                   AccessToken.purpose == purpose)).first()
    if token is None:
        raise DomainError(_("This link is not valid. Check that you copied all of it, or ask for a new one."))
    if token.used_at is not None:
        raise DomainError(_("This link has already been used. Ask for a new one."))
    if token.expires_at <= utcnow():
        raise DomainError(_("This link has expired. Ask for a new one."))
    return token


def consume_token(session: Session, raw: str, purpose: TokenPurpose) -> AccessToken:
    """Find and use up a token. The conditional UPDATE makes sure that of two requests racing
    with the same link, only one gets through."""
    token = find_token(session, raw, purpose)
    result = session.exec(update(AccessToken).where(AccessToken.id == token.id,
                                                    AccessToken.used_at.is_(None))
                          .values(used_at=utcnow()))
    if result.rowcount != 1:
        raise DomainError(_("This link has already been used. Ask for a new one."))
    return token


# -- signing in -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ThrottleKey:
    key: str
    limit: int


def _throttle_keys(email: str, address: str) -> list[ThrottleKey]:
    return [ThrottleKey(f"account:{normalise_email(email)}", ACCOUNT_LIMIT),
            ThrottleKey(f"address:{address}", ADDRESS_LIMIT)]


def blocked_for(session: Session, email: str, address: str, now: datetime | None = None) -> timedelta | None:
    now = now or utcnow()
    longest = None
    for throttle_key in _throttle_keys(email, address):
        row = session.get(SignInThrottle, throttle_key.key)
        if row is not None and row.blocked_until is not None and row.blocked_until > now:
            remaining = row.blocked_until - now
            longest = max(longest or remaining, remaining)
    return longest


def _record_failure(session: Session, email: str, address: str) -> None:
    now = utcnow()
    for throttle_key in _throttle_keys(email, address):
        row = session.get(SignInThrottle, throttle_key.key)
        if row is None:
            row = SignInThrottle(key=throttle_key.key, failures=0, last_failure_at=now)
            try:
                with session.begin_nested():
                    session.add(row)
            except IntegrityError:  # another process created it at the same moment
                row = session.get(SignInThrottle, throttle_key.key)
        if now - row.last_failure_at > FAILURE_WINDOW:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        excess = row.failures - throttle_key.limit
        if excess >= 0:
            # Doubling delays from 30 seconds, at most 15 minutes.
            row.blocked_until = now + min(timedelta(seconds=30 * 2 ** excess), LONGEST_BLOCK)
        session.add(row)


def sign_in(session: Session, email: str, password: str, address: str) -> User:
    """The user behind a correct email and password, or DomainError with the same message for a
    wrong password and an unknown address."""
    email = normalise_email(email)
    with transaction(session):
        waiting = blocked_for(session, email, address)
        if waiting is not None:
            minutes = max(1, round(waiting.total_seconds() / 60))
            raise DomainError(_("Too many failed sign-ins. Try again in %(minutes)d minutes, or reset "
                                 "your password.", minutes=minutes))
        user = session.exec(select(User).where(User.email == email)).first()
        stored = user.password_hash if user and user.password_hash else _dummy_hash()
        correct = password_hash.verify(password, stored)
        if user is None or not correct or not user.is_active or not user.password_hash:
            _record_failure(session, email, address)
            failed = True
        else:
            failed = False
            throttle = session.get(SignInThrottle, f"account:{email}")
            if throttle is not None:
                session.delete(throttle)
            user.last_login_at = utcnow()
            session.add(user)
    if failed:
        raise DomainError(_("The email address or the password is not right."))
    return user


# -- passwords ------------------------------------------------------------------------------

def set_password(session: Session, user: User, password: str) -> None:
    """Caller holds the transaction. Signs every other session of this user out."""
    problem = password_problem(password, user.email)
    if problem:
        raise DomainError(problem)
    user.password_hash = password_hash.hash(password)
    user.session_version += 1
    session.add(user)


def request_password_reset(session: Session, email: str, base_url: str, valid_for: timedelta) -> None:
    """Emails a reset link if an active account has this address; silent otherwise."""
    email = normalise_email(email)
    with transaction(session):
        user = session.exec(select(User).where(User.email == email, User.is_active)).first()
        if user is None or user.password_hash is None:
            return
        enqueue(session, "password_reset", reader_of(user),
                {"user": user.id, "hours": int(valid_for.total_seconds() // 3600)}, base_url=base_url)


def reset_password(session: Session, raw: str, password: str) -> User:
    with transaction(session):
        token = find_token(session, raw, TokenPurpose.PASSWORD_RESET)
        user = session.get(User, token.user_id)
        if user is None or not user.is_active:
            raise DomainError(_("This link is not valid. Check that you copied all of it, or ask for a new one."))
        set_password(session, user, password)
        consume_token(session, raw, TokenPurpose.PASSWORD_RESET)
        record(session, Actor.of_user(user), "password_reset", "user", user.id)
    return user


# -- accounts -------------------------------------------------------------------------------

def create_organiser(session: Session, email: str, full_name: str, password: str) -> User:
    email = normalise_email(email)
    with transaction(session):
        if session.exec(select(User).where(User.email == email)).first():
            raise DomainError(_("An account with this email address already exists."))
        user = User(email=email, full_name=full_name.strip(), role=Role.ORGANISER)
        set_password(session, user, password)
        session.add(user)
        session.flush()
        record(session, SYSTEM, "organiser_created", "user", user.id)
    return user


def invite_coordinator(session: Session, organiser: User, *, email: str, full_name: str,
                       organisation_id: int, base_url: str, valid_for: timedelta) -> User:
    """Creates (or re-invites) a coordinator of one sending organisation and emails them a link
    that lets them choose a password."""
    email = normalise_email(email)
    with transaction(session):
        organisation = session.get(Organisation, organisation_id)
        if organisation is None:
            raise DomainError(_("Choose a sending organisation."))
        user = session.exec(select(User).where(User.email == email)).first()
        if user is not None and (user.role != Role.COORDINATOR or user.organisation_id != organisation_id):
            raise DomainError(_("This email address already belongs to another account."))
        if user is None:
            user = User(email=email, full_name=full_name.strip(), role=Role.COORDINATOR,
                        organisation_id=organisation_id)
            session.add(user)
            session.flush()
        user.is_active = True
        enqueue(session, "coordinator_invitation",
                Reader(user.email, user.full_name, user.language, organisation.time_zone),
                {"user": user.id, "inviter": organiser.full_name, "days": valid_for.days}, base_url=base_url)
        record(session, Actor.of_user(organiser), "coordinator_invited", "user", user.id,
               organisation_id=organisation_id, changes={"email": email})
    return user


def accept_invitation(session: Session, raw: str, password: str) -> User:
    with transaction(session):
        token = find_token(session, raw, TokenPurpose.INVITATION)
        user = session.get(User, token.user_id)
        # The link is bound to the address it was sent to.
        if user is None or user.email != token.email or not user.is_active:
            raise DomainError(_("This invitation is no longer valid. Ask the organisers for a new one."))
        set_password(session, user, password)
        consume_token(session, raw, TokenPurpose.INVITATION)
        user.last_login_at = utcnow()
        record(session, Actor.of_user(user), "invitation_accepted", "user", user.id,
               organisation_id=user.organisation_id)
    return user


def set_active(session: Session, organiser: User, user_id: int, active: bool) -> User:
    with transaction(session):
        user = session.get(User, user_id)
        if user is None or user.role != Role.COORDINATOR:
            raise DomainError(_("No such coordinator."))
        user.is_active = active
        user.session_version += 1  # signs a deactivated coordinator out at once
        session.add(user)
        record(session, Actor.of_user(organiser), "coordinator_activated" if active else "coordinator_deactivated",
               "user", user.id, organisation_id=user.organisation_id)
    return user


def remember_language(session: Session, user: User, language: str) -> None:
    with transaction(session):
        user.language = language
        session.add(user)


def coordinators(session: Session) -> list[tuple[User, Organisation]]:
    return list(session.exec(select(User, Organisation).join(Organisation, User.organisation_id == Organisation.id)
                             .where(User.role == Role.COORDINATOR)
                             .order_by(Organisation.name, User.full_name)).all())
