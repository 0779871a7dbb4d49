"""The rules of signing in: passwords, single-use links, throttling of failed attempts, invitations
and applicants' access links. Every function takes the caller's session; those that change
something commit through db.transaction so the change, its audit event and its email go together."""

from __future__ import annotations

import hashlib
import secrets
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from pwdlib import PasswordHash
from sqlalchemy import and_, bindparam, delete, func, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ish_portal.errors import DomainError
from ish_portal.accounts.models import (
    AccessToken,
    PublicForm,
    PublicRequest,
    Role,
    SignInThrottle,
    TokenPurpose,
    User,
)
from ish_portal.audit.service import SYSTEM, Actor, record
from ish_portal.db import transaction, utcnow
from ish_portal.notifications.catalog import Reader
from ish_portal.notifications.service import enqueue
from ish_portal.programme.models import Organisation
from ish_portal.text.i18n import gettext as _

log = logging.getLogger("ish_portal.accounts")
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
# The longest address a form accepts (RFC 5321's limit for a path), and the longest name.
EMAIL_MAX_LENGTH = 254
NAME_MAX_LENGTH = 200


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
    return list(session.exec(select(User).where(_active_coordinator_of(organisation_id))
                             .order_by(User.id)).all())


def organisation_and_coordinators(session: Session, organisation_id: int) -> tuple[Organisation, list[User]]:
    """An organisation and its active_coordinators, in one query."""
    rows = session.exec(_ORGANISATION_AND_COORDINATORS, params={"organisation_id": organisation_id}).all()
    return rows[0][0], [user for _organisation, user in rows if user is not None]


def _active_coordinator_of(organisation_id):
    return and_(User.organisation_id == organisation_id, User.role == Role.COORDINATOR, User.is_active)


# Built once: the applicant's status page sends it on every request (docs/performance.md).
_ORGANISATION_AND_COORDINATORS = (select(Organisation, User)
                                  .outerjoin(User, _active_coordinator_of(Organisation.id))
                                  .where(Organisation.id == bindparam("organisation_id")).order_by(User.id))


def reader_of(user: User) -> Reader:
    """A staff member as the reader of a message: organisers read in Heidelberg's zone."""
    return Reader(user.email, user.full_name, user.language, None)


def find_token(session: Session, raw: str, purpose: TokenPurpose) -> AccessToken:
    """The token if it can still be used; otherwise DomainError saying why not."""
    token = session.exec(select(AccessToken).where(AccessToken.token_hash == hash_token(raw),
                                                   AccessToken.purpose == purpose)).first()
    if token is None:
        raise DomainError(_("This link is not valid. Check that you copied all of it, or ask for a new one."))
    if token.superseded_at is not None:
        raise DomainError(_("A newer personal link has been sent to you, so this one no longer works. "
                            "Use the link in the newest email from us, or ask for a new one."))
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


# -- sessions that end ----------------------------------------------------------------------

def sign_out(session: Session, user_id: int) -> None:
    """Ends the staff member's sessions on the server: a cookie copied before sign-out carries
    the old session version and no longer works (their sessions in other browsers end too)."""
    with transaction(session):
        session.exec(update(User).where(User.id == user_id)
                     .values(session_version=User.session_version + 1))


def applicant_session_is_live(session: Session, token_id: object, nomination_id: int, email: str) -> bool:
    """Whether an applicant's session, opened with the access link `token_id`, still holds: the link
    was used for this nomination and address, and the session was not ended since (signed out,
    or a newer link asked for). An address erased or changed since ends it too."""
    if not isinstance(token_id, int):
        return False
    return applicant_link_holds(session.get(AccessToken, token_id), nomination_id, email)


def applicant_link_holds(token: AccessToken | None, nomination_id: int, email: str) -> bool:
    """applicant_session_is_live, for the access link already read."""
    return (token is not None and token.purpose == TokenPurpose.APPLICANT_ACCESS
            and token.nomination_id == nomination_id and token.used_at is not None
            and token.session_ended_at is None and token.email == normalise_email(email))


def end_applicant_session(session: Session, token_id: object) -> None:
    if not isinstance(token_id, int):
        return
    with transaction(session):
        session.exec(update(AccessToken).where(AccessToken.id == token_id,
                                               AccessToken.session_ended_at.is_(None))
                     .values(session_ended_at=utcnow()))


def replace_applicant_links(session: Session, nomination_id: int) -> None:
    """Caller holds the transaction, and issues the newer link after this: every unused personal
    link of the nomination stops working (its page says a newer one was sent), and every session
    opened with one of them ends."""
    now = utcnow()
    session.exec(update(AccessToken).where(
        AccessToken.nomination_id == nomination_id, AccessToken.purpose == TokenPurpose.APPLICANT_ACCESS,
        AccessToken.used_at.is_(None), AccessToken.superseded_at.is_(None)).values(superseded_at=now))
    session.exec(update(AccessToken).where(
        AccessToken.nomination_id == nomination_id, AccessToken.purpose == TokenPurpose.APPLICANT_ACCESS,
        AccessToken.used_at.is_not(None), AccessToken.session_ended_at.is_(None)).values(session_ended_at=now))


# -- the public forms: queued, rate-limited ---------------------------------------------------

# Per client address and form: a school's network may carry several students asking at once.
REQUESTS_PER_CLIENT = 20
CLIENT_WINDOW = timedelta(hours=1)
# Per recipient: at most this many links (of one kind) an hour, however many are asked for.
EMAILS_PER_RECIPIENT = 3
RECIPIENT_WINDOW = timedelta(hours=1)
# Answered requests are kept this long for the counts, then deleted.
KEEP_REQUESTS = timedelta(days=1)
ANSWER_BATCH = 50

# What the worker does with a queued request of each form: the handler looks the address up and,
# if it is known, queues the email, in the caller's transaction; it returns "sent" or "unknown".
# Registered by the area that owns the form (the applicants register "access").
PublicRequestHandler = Callable[[Session, str, "LinkSettings"], str]
PUBLIC_REQUEST_HANDLERS: dict[str, PublicRequestHandler] = {}


@dataclass(frozen=True)
class LinkSettings:
    base_url: str
    access_link_days: int
    password_reset_hours: int


def when_public_request(form: PublicForm) -> Callable[[PublicRequestHandler], PublicRequestHandler]:
    def register(handler: PublicRequestHandler) -> PublicRequestHandler:
        PUBLIC_REQUEST_HANDLERS[form] = handler
        return handler
    return register


def client_wait(session: Session, form: PublicForm, address: str, now: datetime | None = None) -> timedelta | None:
    """How long this client address must wait before it may use the form again; None: it may."""
    now = now or utcnow()
    since = now - CLIENT_WINDOW
    count, oldest = session.exec(select(func.count(), func.min(PublicRequest.created_at)).where(
        PublicRequest.client_address == address[:64], PublicRequest.form == form,
        PublicRequest.created_at > since)).one()
    if count < REQUESTS_PER_CLIENT:
        return None
    return max(oldest + CLIENT_WINDOW - now, timedelta(seconds=1))


def queue_public_request(session: Session, form: PublicForm, address: str, email: str = "", *,
                         done: bool = False) -> timedelta | None:
    """Counts a request through a public form and, unless `done`, queues it for the worker; the
    same few statements whether or not the address is known. Returns how long to wait instead when
    the client address has used the form too often (nothing is queued then)."""
    with transaction(session):
        waiting = client_wait(session, form, address)
        if waiting is not None:
            return waiting
        now = utcnow()
        session.add(PublicRequest(form=form, email=normalise_email(email)[:EMAIL_MAX_LENGTH],
                                  client_address=address[:64], created_at=now,
                                  done_at=now if done else None, outcome="done" if done else ""))
    return None


def pending_public_requests(session: Session) -> bool:
    return session.exec(select(PublicRequest.id).where(PublicRequest.done_at.is_(None)).limit(1)).first() is not None


def _recipient_limited(session: Session, request: PublicRequest, now: datetime) -> bool:
    sent = session.exec(select(func.count()).where(
        PublicRequest.email == request.email, PublicRequest.form == request.form,
        PublicRequest.outcome == "sent", PublicRequest.done_at > now - RECIPIENT_WINDOW)).one()
    return sent >= EMAILS_PER_RECIPIENT


def answer_one_public_request(session: Session, links: LinkSettings) -> bool:
    """Answers the oldest queued request, in one transaction: no two workers take the same one
    (SKIP LOCKED on PostgreSQL, the write lock on SQLite), and requests for one address are
    answered one at a time, so the per-recipient limit holds with any number of workers.
    Returns False when none was waiting."""
    with transaction(session):
        chosen = select(PublicRequest).where(PublicRequest.done_at.is_(None)).order_by(PublicRequest.id).limit(1)
        postgres = session.get_bind().dialect.name == "postgresql"
        if postgres:
            chosen = chosen.with_for_update(skip_locked=True)
        request = session.exec(chosen.execution_options(populate_existing=True)).first()
        if request is None:
            return False
        if postgres:
            session.exec(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                         params={"key": f"public_request:{request.form}:{request.email}"})
        now = utcnow()
        handler = PUBLIC_REQUEST_HANDLERS.get(request.form)
        if handler is None or not request.email:
            outcome = "unknown"
        elif _recipient_limited(session, request, now):
            outcome = "limited"
        else:
            try:
                with session.begin_nested():
                    outcome = handler(session, request.email, links)
            except Exception:  # one bad request must not stop the queue behind it
                log.exception("public request %s (%s) failed", request.id, request.form)
                outcome = "failed"
        request.done_at, request.outcome = utcnow(), outcome
        session.add(request)
    return True


def answer_public_requests(session: Session, links: LinkSettings, limit: int = ANSWER_BATCH) -> int:
    """Answers queued requests until none is left (or `limit`), and forgets old ones."""
    answered = 0
    while answered < limit and pending_public_requests(session) and answer_one_public_request(session, links):
        answered += 1
        session.rollback()  # the next look sees what other workers committed meanwhile
    return answered


def forget_old_public_requests(session: Session) -> int:
    with transaction(session):
        result = session.exec(delete(PublicRequest).where(PublicRequest.created_at < utcnow() - KEEP_REQUESTS))
    return result.rowcount or 0


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


@when_public_request(PublicForm.PASSWORD_RESET)
def send_password_reset(session: Session, email: str, links: LinkSettings) -> str:
    """Caller holds the transaction (the worker, answering a queued request). Emails a reset link
    if an active account has this address; silent otherwise."""
    user = session.exec(select(User).where(User.email == normalise_email(email), User.is_active)).first()
    if user is None or user.password_hash is None:
        return "unknown"
    enqueue(session, "password_reset", reader_of(user),
            {"user": user.id, "hours": links.password_reset_hours}, base_url=links.base_url)
    return "sent"


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
