"""Delivering the outbox. Any number of senders may run at once (a thread inside each
`ish-portal serve` process, or `ish-portal outbox work`): each claims a batch of due rows with
SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL (SQLite takes its single write lock), marks them
'sending' with a lease, reads the batch, delivers it message by message, and records every attempt.
A row is marked 'sent' only by the sender that still holds its claim, so no row is sent twice once
marked sent; a sender that crashes mid-batch loses nothing, as its lease runs out and another
sender takes the rows over.

An idle sender waits for work: on PostgreSQL it LISTENs on OUTBOX_CHANNEL, which the outbox
trigger (migration 0004) notifies in every transaction that makes a row due, so a new message is
picked up as soon as it commits; on SQLite, which cannot notify, it polls."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from base64 import b64encode, encodebytes
from email.encoders import encode_base64
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.policy import Compat32
from email.utils import format_datetime, formataddr, parseaddr
from typing import TYPE_CHECKING

from sqlalchemy import and_, insert, or_, text, update
from sqlalchemy.engine import Engine, Row
from sqlmodel import Session, select

from ish_portal.db import transaction, utcnow
from ish_portal.notifications.models import (
    PENDING,
    DeliveryAttempt,
    OutboxAttachment,
    OutboxMessage,
    OutboxStatus,
)
from ish_portal.notifications.service import render_missing_attachments
from ish_portal.settings import Settings
from ish_portal.text import i18n

# The SMTP backend (the emails package, with dkim and dnspython) is imported at the first email
# and psycopg when a sender starts to LISTEN: starting the portal needs neither.
if TYPE_CHECKING:
    from emails.backend.smtp import SMTPBackend

log = logging.getLogger("ish_portal.sender")

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 30
LONGEST_RETRY_SECONDS = 3600
# Outcomes are recorded once per batch, but at least this often, so that with a slow rate limit a
# crash cannot leave more than about a second of delivered mail unrecorded (to be sent again).
RECORD_EVERY_SECONDS = 1.0
OUTBOX_CHANNEL = "ish_outbox"
# An idle sender looks for due rows this often even without a notification: on SQLite that is how
# it finds new mail; on PostgreSQL only retries coming due and expired leases depend on it.
POLL_SECONDS = 1.0
LISTENING_POLL_SECONDS = 10.0
# The sender reads and writes its tables as rows, without the ORM (see claim).
MESSAGES = OutboxMessage.__table__
ATTACHMENTS = OutboxAttachment.__table__
DELIVERY_ATTEMPTS = DeliveryAttempt.__table__


class MimePolicy(Compat32):
    """compat32, the standard library's fast path for building MIME, with CRLF as SMTP wants, and
    one shortcut: a header that is already one short line of ASCII is written as it is. compat32
    runs every header through email.header.Header to fold it, which cost more than building the
    rest of the message, only to give such a line back unchanged (a test holds the two equal)."""

    def _fold(self, name: str, value, sanitize: bool) -> str:
        line = f"{name}: {value}" if isinstance(value, str) else None
        if line is not None and line.isascii() and line.isprintable() and len(line) <= self.max_line_length:
            return f"{line}{self.linesep}"
        return super()._fold(name, value, sanitize)


MIME_POLICY = MimePolicy(linesep="\r\n")


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
        self._listener = None  # psycopg connection LISTENing on OUTBOX_CHANNEL, once opened
        # How each wait for work ended ("notified", "timeout", "listening", "stopped"): for tests.
        self.wakeups: Counter[str] = Counter()
        display_name, address = parseaddr(settings.mail_from)
        self._from = mailbox(display_name, address)
        self._from_address = address
        self._domain = address.rpartition("@")[2] or "ish-portal"

    # -- claiming -------------------------------------------------------------------------
    def claim(self) -> tuple[str, list[tuple[Row, list[Row]]]]:
        """Take up to batch_size due rows for this sender; returns the claim and the claimed
        messages, each with its attachments. One transaction, two statements for the whole batch:
        the rows are chosen (skipping those another sender has locked), marked and read back in
        one UPDATE ... RETURNING, then their attachments are read. The session is closed before
        delivery, so no lock is held while talking to the mail server. Messages and attachments
        come as plain rows (their columns by name), not as ORM objects: nothing in delivery changes
        them, and an identity map for each batch cost a sender more than its own queries."""
        claim = f"{self.name}/{uuid.uuid4().hex[:8]}"
        now = utcnow()
        with Session(self.engine) as session, transaction(session):
            due = or_(
                and_(MESSAGES.c.status == OutboxStatus.QUEUED, MESSAGES.c.next_attempt_at <= now),
                and_(MESSAGES.c.status == OutboxStatus.SENDING, MESSAGES.c.claim_expires_at < now),
            )
            # PENDING in its literal words (not as bound values) lets the planner use the partial
            # index ix_outbox_message_pending, in a prepared statement too.
            chosen = (select(MESSAGES.c.id).where(text(PENDING), due).order_by(MESSAGES.c.id)
                      .limit(self.batch_size))
            if session.get_bind().dialect.name == "postgresql":
                chosen = chosen.with_for_update(skip_locked=True)
            messages = sorted(session.execute(
                update(MESSAGES).where(MESSAGES.c.id.in_(chosen.scalar_subquery()))
                .values(status=OutboxStatus.SENDING, claimed_by=claim, claim_expires_at=now + LEASE)
                .returning(*MESSAGES.c)).all(), key=lambda message: message.id)
            attachments: dict[int, list[Row]] = {m.id: [] for m in messages}
            if messages:
                for attachment in session.execute(select(*ATTACHMENTS.c).where(
                        ATTACHMENTS.c.outbox_message_id.in_(attachments)).order_by(ATTACHMENTS.c.id)):
                    attachments[attachment.outbox_message_id].append(attachment)
        return claim, [(message, attachments[message.id]) for message in messages]

    # -- delivering -----------------------------------------------------------------------
    def run_once(self) -> int:
        """Deliver one batch of due messages; returns how many were tried. The SMTP connection
        stays open for the next batch: close() (or idle()) ends it."""
        claim, batch = self.claim()
        if not batch:
            return 0
        done: list[tuple[Row, Outcome]] = []  # outcomes not yet recorded
        oldest = 0.0  # when the first of them came
        try:
            for message, attachments in batch:
                # Record first if the next message, with its pause for the rate limit, would keep
                # an outcome unrecorded for longer than RECORD_EVERY_SECONDS.
                if done and self._clock() + self._pause() - oldest >= RECORD_EVERY_SECONDS:
                    self._record(claim, done)
                    done = []
                outcome = self._deliver_one(message, attachments)
                if not done:
                    oldest = self._clock()
                done.append((message, outcome))
        except BaseException:
            self._close_backend()  # in an unknown state: the next message starts afresh
            raise
        finally:
            if done:  # also when interrupted: what was handed over is recorded, not sent again
                self._record(claim, done)
        return len(batch)

    def run_until_idle(self, max_batches: int = 1000) -> int:
        total = 0
        try:
            for _ in range(max_batches):
                tried = self.run_once()
                total += tried
                if not tried:
                    break
        finally:
            self.idle()
        return total

    def _deliver_one(self, message: Row, attachments: list[Row]) -> Outcome:
        """One message of the batch, read with its attachments: hand it over at the allowed pace.
        Whatever happens is an outcome to record; nothing here touches the database."""
        self._respect_rate_limit()
        try:
            if any(attachment.data is None for attachment in attachments):
                attachments = self._render_letters(message)
            return self._hand_over(message, attachments)
        except Exception as exc:  # an unexpected failure counts as temporary, and is recorded
            log.exception("outbox sender %s: message %s", self.name, message.id)
            self._close_backend()
            return Outcome(delivered=False, detail=f"{type(exc).__name__}: {exc}")

    def _render_letters(self, message: Row) -> list[Row]:
        """The one step of delivery that uses the database: letters are rendered now, when their
        message goes out, not in the transaction of the change that queued it, and kept with it."""
        with Session(self.engine, info={"base_url": self.settings.base_url}) as session, transaction(session):
            render_missing_attachments(session, session.get(OutboxMessage, message.id))
        with Session(self.engine) as session:
            return list(session.execute(select(*ATTACHMENTS.c).where(
                ATTACHMENTS.c.outbox_message_id == message.id).order_by(ATTACHMENTS.c.id)).all())

    def _hand_over(self, message: Row, attachments: list[Row]) -> Outcome:
        mime = self._build(message, attachments)
        if not self.settings.smtp_host:
            return self._write_eml(message, mime)
        response = self._smtp().sendmail(from_addr=self._from_address, to_addrs=[message.recipient],
                                         msg=mime)
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

    def _build(self, message: Row, attachments: list[Row]) -> Message:
        """Text and HTML as alternatives (inside multipart/mixed when there are attachments),
        built with the standard library's compat32 classes: the cheapest correct MIME it offers.
        Both parts are UTF-8 in base64; a subject or name in any script goes in RFC 2047 encoded
        words, which every server and client reads, so no SMTPUTF8 is needed."""
        body = MIMEMultipart("alternative", boundary=_boundary(), policy=MIME_POLICY)
        body.attach(_text_part(message.body_text, "plain"))
        body.attach(_text_part(message.body_html, "html"))
        mime = body
        if attachments:
            mime = MIMEMultipart("mixed", boundary=_boundary(), policy=MIME_POLICY)
            mime.attach(body)
            for attachment in attachments:
                part = _attachment_part(attachment.content_type)
                part.set_payload(attachment.data)
                encode_base64(part)
                part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
                mime.attach(part)
        mime["From"] = self._from
        mime["To"] = mailbox(((message.context or {}).get("reader") or {}).get("name", ""), message.recipient)
        mime["Subject"] = unstructured(message.subject)
        mime["Date"] = format_datetime(utcnow())
        mime["Message-ID"] = f"<{message.message_id}@{self._domain}>"
        mime["Auto-Submitted"] = "auto-generated"
        mime["Content-Language"] = i18n.html_lang(message.language)
        return mime

    def _write_eml(self, message: Row, mime: Message) -> Outcome:
        """Without an SMTP server (the demo), mail goes to var/mail so every flow can be tried."""
        folder = self.settings.mail_dir
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{message.id:07d}-{message.kind}.eml"
        path.write_bytes(mime.as_bytes())
        return Outcome(delivered=True, detail=f"written to {path.name}")

    def _smtp(self) -> SMTPBackend:
        # One connection for as long as work keeps coming; the backend reconnects once by itself
        # when the server has dropped it in the meantime.
        if self._backend is None:
            from emails.backend.smtp import SMTPBackend

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

    def idle(self) -> None:
        """Nothing is due: let go of the SMTP connection rather than keep it open while idle."""
        self._close_backend()

    def close(self) -> None:
        self._close_backend()
        self._close_listener()

    @property
    def gap_seconds(self) -> float:
        """The least time between two messages: ISH_MAIL_PER_MINUTE spread evenly over a minute."""
        return 60.0 / self.settings.mail_per_minute

    def _pause(self) -> float:
        """How long the rate limit holds the next message back."""
        if self._last_sent_at is None:
            return 0.0
        return max(self._last_sent_at + self.gap_seconds - self._clock(), 0.0)

    def _respect_rate_limit(self) -> None:
        wait = self._pause()
        if wait > 0:
            self._sleep(wait)
        self._last_sent_at = self._clock()

    # -- recording ------------------------------------------------------------------------
    def _record(self, claim: str, done: list[tuple[Row, Outcome]]) -> None:
        """The outcomes of (part of) a batch in one transaction. Every update is conditional on
        the claim, so a sender that lost its claim (its lease ran out) changes nothing but the log
        of attempts."""
        now = utcnow()
        held = and_(MESSAGES.c.claimed_by == claim, MESSAGES.c.status == OutboxStatus.SENDING)
        released = dict(claimed_by=None, claim_expires_at=None)
        delivered = [message.id for message, outcome in done if outcome.delivered]
        with Session(self.engine) as session, transaction(session):
            marked: set[int] = set()
            if delivered:  # the common case: one statement for all of them
                marked.update(session.execute(update(MESSAGES).where(
                    MESSAGES.c.id.in_(delivered), held).values(
                    status=OutboxStatus.SENT, sent_at=now, last_error="",
                    attempts=MESSAGES.c.attempts + 1, **released)
                    .returning(MESSAGES.c.id)).scalars())
            for message, outcome in done:
                if outcome.delivered:
                    continue
                attempts = message.attempts + 1
                if outcome.permanent or attempts >= MAX_ATTEMPTS:
                    values = dict(status=OutboxStatus.FAILED)
                else:
                    values = dict(status=OutboxStatus.QUEUED, next_attempt_at=now + retry_delay(attempts))
                marked.update(session.execute(update(MESSAGES).where(
                    MESSAGES.c.id == message.id, held).values(
                    attempts=attempts, last_error=outcome.detail[:1000], **released, **values)
                    .returning(MESSAGES.c.id)).scalars())
            session.execute(insert(DELIVERY_ATTEMPTS), [dict(
                outbox_message_id=message.id, attempted_at=now, sender=self.name,
                succeeded=outcome.delivered, smtp_code=outcome.smtp_code,
                detail=outcome.detail[:1000]) for message, outcome in done])
        for message, _ in done:
            if message.id not in marked:
                log.warning("outbox sender %s lost its claim on message %s", self.name, message.id)

    # -- waiting for work -----------------------------------------------------------------
    @property
    def listens(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @property
    def poll_seconds(self) -> float:
        return LISTENING_POLL_SECONDS if self.listens else POLL_SECONDS

    def listen(self) -> bool:
        """Start listening for announced mail (PostgreSQL only); True if it has only just started.
        Whatever was committed before that was never announced to us, so a caller must then look
        for due rows with a claim before it waits."""
        if not self.listens or self._listener is not None:
            return False
        # A connection of its own, outside the engine's pool, as it stays in LISTEN for good.
        import psycopg

        url = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._listener = psycopg.connect(url, autocommit=True)
        self._listener.execute(f"LISTEN {OUTBOX_CHANNEL}")
        return True

    def wait_for_work(self, timeout: float, stop: threading.Event | None = None) -> bool:
        """Block until a message may be due. True when the database announced one (on PostgreSQL),
        or when listening has only just started (see listen); False when the timeout ran out or
        stop was set. On SQLite this is a plain pause: the caller polls."""
        stop = stop or threading.Event()
        if not self.listens:
            self.wakeups["stopped" if stop.wait(timeout) else "timeout"] += 1
            return False
        if self.listen():
            self.wakeups["listening"] += 1
            return True
        deadline = time.monotonic() + timeout
        try:
            while not stop.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                # Short slices, so that stop is noticed within half a second.
                notified = next(self._listener.notifies(timeout=min(remaining, 0.5), stop_after=1), None)
                if notified is not None:
                    for _ in self._listener.notifies(timeout=0):
                        pass  # several commits announced while we were busy need one look only
                    self.wakeups["notified"] += 1
                    return True
            self.wakeups["stopped" if stop.is_set() else "timeout"] += 1
            return False
        except Exception:
            self._close_listener()  # the next call listens afresh (and says to look once)
            raise

    def _close_listener(self) -> None:
        if self._listener is not None:
            try:
                self._listener.close()
            finally:
                self._listener = None


# Bytes of UTF-8 per encoded word: 56 characters of base64, so "=?utf-8?b?...?=" is 68 long and
# even after "Subject: " a line stays within the 78 that RFC 5322 asks for (RFC 2047: at most 75).
WORD_BYTES = 42


class Folded:
    """A header value already made of RFC 2047 encoded words, folded between them. The compat32
    policy writes such a value as it is (it takes it for a Header), where its own folding of a
    long subject in Japanese or Chinese would leave one line of hundreds of characters."""

    __slots__ = ("parts",)

    def __init__(self, parts: list[str]) -> None:
        self.parts = parts

    def encode(self, linesep: str = "\n", maxlinelen: int | None = None) -> str:
        return (linesep + " ").join(self.parts)

    def __str__(self) -> str:
        return " ".join(self.parts)


def encoded_words(text: str) -> list[str]:
    """The text as encoded words of UTF-8 in base64, split between characters (never inside one,
    so each word decodes by itself) and at most WORD_BYTES bytes each."""
    words, start, size = [], 0, 0
    for index, char in enumerate(text):
        length = 1 if char < "\x80" else len(char.encode("utf-8"))
        if size + length > WORD_BYTES:
            words.append(text[start:index])
            start, size = index, 0
        size += length
    words.append(text[start:])
    return [f"=?utf-8?b?{b64encode(word.encode('utf-8')).decode('ascii')}?=" for word in words]


def unstructured(text: str) -> str | Folded:
    """A Subject: ASCII as it is (compat32 folds it between words), any other text encoded, and
    so is ASCII that would read as an encoded word ("=?...?=")."""
    return text if text.isascii() and "=?" not in text else Folded(encoded_words(text))


def mailbox(name: str, address: str) -> str | Folded:
    """A From or To header's value: the display name (on one line) and the address. A name in
    ASCII is quoted where it must be; any other is sent as encoded words."""
    name = " ".join((name or "").split())
    if not name:
        return address
    if name.isascii() and "=?" not in name:
        return formataddr((name, address))
    return Folded([*encoded_words(name), f"<{address}>"])


def _text_part(text: str, subtype: str) -> Message:
    """A text part in UTF-8 and base64, as email.mime.text.MIMEText writes it, built directly:
    MIMEText encodes with a loop in Python where binascii does the same in C."""
    part = Message(policy=MIME_POLICY)
    part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload(encodebytes(text.encode("utf-8")).decode("ascii"))
    return part


def _attachment_part(content_type: str) -> MIMEBase:
    """The MIME part of an attachment of this type ("text/calendar; method=REQUEST"). The portal
    writes text in UTF-8 and says so: a text part without a charset is US-ASCII to a mail program,
    which would garble a name in Chinese or an umlaut when the file is opened."""
    kind, *parameters = (piece.strip() for piece in content_type.split(";"))
    maintype, _, subtype = kind.partition("/")
    part = MIMEBase(maintype, subtype or "octet-stream", policy=MIME_POLICY)
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        part.set_param(name.strip(), value.strip().strip('"'))
    if maintype == "text" and part.get_param("charset") is None:
        part.set_param("charset", "utf-8")
    return part


def _boundary() -> str:
    # Every part is base64, whose alphabet has no "_" and "=" only as padding at a line's end: a
    # boundary starting "=_" cannot occur in the content, so none has to be searched for.
    return f"=_{uuid.uuid4().hex}"


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
