"""Delivering the outbox. Any number of senders may run at once (a thread inside each
`ish-portal serve` process, or `ish-portal outbox work`): each claims a batch of due rows with
SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL (SQLite takes its single write lock), marks them
'sending' with a lease, delivers them, and records every attempt. A row is marked 'sent' only by the
sender that still holds its claim, so no row is sent twice once marked sent; a sender that crashes
mid-batch loses nothing, as its lease runs out and another sender takes the rows over."""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr

import emails
from emails.backend.smtp import SMTPBackend
from sqlalchemy import and_, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from ish_portal.db import transaction, utcnow
from ish_portal.notifications.models import (
    DeliveryAttempt,
    OutboxAttachment,
    OutboxMessage,
    OutboxStatus,
)
from ish_portal.notifications.service import render_missing_attachments
from ish_portal.settings import Settings

log = logging.getLogger("ish_portal.sender")

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 30
LONGEST_RETRY_SECONDS = 3600


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    permanent: bool = False
    smtp_code: int | None = None
    detail: str = ""


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: 30 s, 1 min, 2 min, 4 min ... at most an hour."""
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** (attempts - 1), LONGEST_RETRY_SECONDS))


class Sender:
    def __init__(self, engine: Engine, settings: Settings, name: str | None = None,
                 batch_size: int = 20, clock=time.monotonic, sleep=time.sleep) -> None:
        self.engine = engine
        # The clock and the pause are parameters so the rate limit can be checked without waiting.
        self._clock = clock
        self._sleep = sleep
        self.settings = settings
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.batch_size = batch_size
        self._last_sent_at: float | None = None
        self._backend: SMTPBackend | None = None

    # -- claiming -------------------------------------------------------------------------
    def claim(self) -> tuple[str, list[int]]:
        """Take up to batch_size due rows for this sender; returns the claim and the row ids."""
        claim = f"{self.name}/{uuid.uuid4().hex[:8]}"
        now = utcnow()
        with Session(self.engine) as session, transaction(session):
            due = or_(
                and_(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now),
                and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claim_expires_at < now),
            )
            query = select(OutboxMessage.id).where(due).order_by(OutboxMessage.id).limit(self.batch_size)
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = list(session.exec(query).all())
            if ids:
                session.exec(update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(
                    status=OutboxStatus.SENDING, claimed_by=claim, claim_expires_at=now + LEASE))
        return claim, ids

    # -- delivering -----------------------------------------------------------------------
    def run_once(self) -> int:
        """Deliver one batch of due messages; returns how many were tried."""
        claim, ids = self.claim()
        try:
            for message_id in ids:
                self._deliver_one(message_id, claim)
        finally:
            self._close_backend()
        return len(ids)

    def run_until_idle(self, max_batches: int = 1000) -> int:
        total = 0
        for _ in range(max_batches):
            tried = self.run_once()
            total += tried
            if not tried:
                break
        return total

    def _deliver_one(self, message_id: int, claim: str) -> None:
        # Letters are rendered now, not in the transaction that queued the message.
        with Session(self.engine, info={"base_url": self.settings.base_url}) as session, transaction(session):
            message = session.get(OutboxMessage, message_id)
            if message is not None and message.claimed_by == claim:
                render_missing_attachments(session, message)
        # Read, then close the session: no lock is held while talking to the mail server.
        with Session(self.engine) as session:
            message = session.get(OutboxMessage, message_id)
            attachments = list(session.exec(select(OutboxAttachment).where(
                OutboxAttachment.outbox_message_id == message_id)).all())
        if message is None or message.claimed_by != claim:
            return
        self._respect_rate_limit()
        try:
            outcome = self._hand_over(message, attachments)
        except Exception as exc:  # an unexpected failure counts as temporary, and is recorded
            log.exception("outbox sender %s: message %s", self.name, message_id)
            outcome = Outcome(delivered=False, detail=f"{type(exc).__name__}: {exc}")
        self._record(message, claim, outcome)

    def _hand_over(self, message: OutboxMessage, attachments: list[OutboxAttachment]) -> Outcome:
        email = self._build(message, attachments)
        if not self.settings.smtp_host:
            return self._write_eml(message, email)
        response = email.send(to=message.recipient, smtp=self._smtp())
        if response is not None and response.success:
            return Outcome(delivered=True, smtp_code=response.status_code,
                           detail=_text(response.status_text))
        code = getattr(response, "status_code", None)
        error = getattr(response, "error", None)
        detail = _text(getattr(response, "status_text", b"")) or (str(error) if error else "no answer")
        refused = getattr(response, "refused_recipients", {}) or {}
        if refused:
            code, text = next(iter(refused.values()))
            detail = _text(text)
        self._close_backend()  # start the next message on a fresh connection
        permanent = code is not None and 500 <= code < 600
        return Outcome(delivered=False, permanent=permanent, smtp_code=code, detail=detail)

    def _build(self, message: OutboxMessage, attachments: list[OutboxAttachment]) -> emails.Message:
        name, address = parseaddr(self.settings.mail_from)
        domain = address.rpartition("@")[2] or "ish-portal"
        email = emails.html(html=message.body_html, text=message.body_text, subject=message.subject,
                            mail_from=(name, address), message_id=f"<{message.message_id}@{domain}>",
                            headers={"Auto-Submitted": "auto-generated", "Content-Language": message.language})
        for attachment in attachments:
            email.attach(data=attachment.data, filename=attachment.filename,
                         content_disposition="attachment", mime_type=attachment.content_type)
        return email

    def _write_eml(self, message: OutboxMessage, email: emails.Message) -> Outcome:
        """Without an SMTP server (the demo), mail goes to var/mail so every flow can be tried."""
        email.set_mail_to(message.recipient)
        folder = self.settings.mail_dir
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{message.id:07d}-{message.kind}.eml"
        path.write_bytes(email.as_string().encode("utf-8"))
        return Outcome(delivered=True, detail=f"written to {path.name}")

    def _smtp(self) -> SMTPBackend:
        if self._backend is None:
            s = self.settings
            self._backend = SMTPBackend(
                host=s.smtp_host, port=s.smtp_port, tls=s.smtp_tls and s.smtp_port != 465,
                ssl=s.smtp_port == 465, user=s.smtp_user,
                password=s.smtp_password.get_secret_value() if s.smtp_password else None,
                timeout=s.smtp_timeout, local_hostname="ish-portal")
        return self._backend

    def _close_backend(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None

    @property
    def gap_seconds(self) -> float:
        """The least time between two messages: ISH_MAIL_PER_MINUTE spread evenly over a minute."""
        return 60.0 / self.settings.mail_per_minute

    def _respect_rate_limit(self) -> None:
        if self._last_sent_at is not None:
            wait = self._last_sent_at + self.gap_seconds - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last_sent_at = self._clock()

    def _record(self, message: OutboxMessage, claim: str, outcome: Outcome) -> None:
        now = utcnow()
        attempts = message.attempts + 1
        if outcome.delivered:
            values = dict(status=OutboxStatus.SENT, sent_at=now, last_error="")
        elif outcome.permanent or attempts >= MAX_ATTEMPTS:
            values = dict(status=OutboxStatus.FAILED, last_error=outcome.detail[:1000])
        else:
            values = dict(status=OutboxStatus.QUEUED, next_attempt_at=now + retry_delay(attempts),
                          last_error=outcome.detail[:1000])
        with Session(self.engine) as session, transaction(session):
            result = session.exec(update(OutboxMessage).where(
                OutboxMessage.id == message.id, OutboxMessage.claimed_by == claim,
                OutboxMessage.status == OutboxStatus.SENDING,
            ).values(attempts=attempts, claimed_by=None, claim_expires_at=None, **values))
            session.add(DeliveryAttempt(outbox_message_id=message.id, sender=self.name,
                                        succeeded=outcome.delivered, smtp_code=outcome.smtp_code,
                                        detail=outcome.detail[:1000]))
            if result.rowcount == 0:
                log.warning("outbox sender %s lost its claim on message %s", self.name, message.id)


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
