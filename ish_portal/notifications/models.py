"""The outbox: every email the portal sends is first a row here, written in the same transaction
as the change that causes it, then delivered by the sender."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from typing import Any

from sqlalchemy import DDL, JSON, Index, LargeBinary, Text, UniqueConstraint, event, text
from sqlmodel import Field, SQLModel

from ish_portal.db import UTCDateTime, utcnow


class OutboxStatus(StrEnum):
    DRAFT = "draft"        # a bulk message awaiting an organiser's review; never sent as it is
    QUEUED = "queued"      # waiting for the sender (again, after a temporary failure)
    SENDING = "sending"    # claimed by one sender until claim_expires_at
    SENT = "sent"          # accepted by the SMTP server (or written to var/mail); final
    FAILED = "failed"      # refused for good, or out of retries; an organiser can retry it


# The rows a sender may claim: those not yet delivered, failed or held as drafts. The claim says
# so in these very words, so that either database sees this partial index answer it.
PENDING = f"status IN ('{OutboxStatus.QUEUED}', '{OutboxStatus.SENDING}')"


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"
    # A sender claims the oldest pending rows: through this index it finds them without walking
    # past every message ever sent.
    __table_args__ = (Index("ix_outbox_message_pending", "id", postgresql_where=text(PENDING),
                            sqlite_where=text(PENDING)),)

    id: int | None = Field(default=None, primary_key=True)
    # Fixed when the row is written, so every attempt carries the same Message-ID.
    message_id: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=50, index=True)
    language: str = Field(default="en", max_length=5)
    recipient: str = Field(max_length=254, index=True)
    subject: str = Field(max_length=300)
    body_text: str
    body_html: str
    # What the message was rendered from: {"facts": {...}, "reader": {...}}, so a draft can be
    # written again after its wording or its facts change (an offer's deadline set on release).
    context: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, sa_column_kwargs={"server_default": "{}"})
    # An organiser's own wording of this one draft (with the kind's placeholders); None: the kind's.
    own_subject: str | None = Field(default=None, max_length=300)
    own_body: str | None = Field(default=None, sa_type=Text)
    status: str = Field(default=OutboxStatus.QUEUED, max_length=20, index=True)
    batch: str | None = Field(default=None, max_length=100, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    claimed_by: str | None = Field(default=None, max_length=100)
    claim_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str = Field(default="", max_length=1000)
    edition_id: int | None = Field(default=None, foreign_key="edition.id", index=True)
    nomination_id: int | None = Field(default=None, foreign_key="nomination.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# Every way a row becomes queued (written by enqueue, a draft batch released, a failed message
# retried) notifies the channel the senders LISTEN on, inside the transaction that does it, so a
# sender hears of it exactly when it commits, and never of a change rolled back. A row a sender
# puts back after a temporary failure is due only later, so it is not announced. Equal
# notifications within one transaction are delivered once: a bulk change costs one wake-up.
# SQLite has no notifications; senders poll there. (Migration 0005 added it to existing
# databases; this is how a new one gets it.)
event.listen(OutboxMessage.__table__, "after_create", DDL("""
CREATE FUNCTION outbox_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'queued' THEN
        IF TG_OP = 'INSERT' THEN
            PERFORM pg_notify('ish_outbox', '');
        ELSIF OLD.status <> 'sending' THEN
            PERFORM pg_notify('ish_outbox', '');
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER outbox_announce AFTER INSERT OR UPDATE OF status ON outbox_message
    FOR EACH ROW EXECUTE FUNCTION outbox_announce();
""").execute_if(dialect="postgresql"))


class OutboxAttachment(SQLModel, table=True):
    __tablename__ = "outbox_attachment"

    id: int | None = Field(default=None, primary_key=True)
    outbox_message_id: int = Field(foreign_key="outbox_message.id", index=True)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    # None until the message is sent, for a letter: it is rendered then, outside the transaction
    # that queued the message (see catalog.LETTERS).
    data: bytes | None = Field(default=None, sa_type=LargeBinary)
    letter: str | None = Field(default=None, max_length=30)


class DeliveryAttempt(SQLModel, table=True):
    """Every try to hand a message to the SMTP server, with the server's answer."""

    __tablename__ = "delivery_attempt"

    id: int | None = Field(default=None, primary_key=True)
    outbox_message_id: int = Field(foreign_key="outbox_message.id", index=True)
    attempted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sender: str = Field(max_length=100)
    succeeded: bool
    smtp_code: int | None = None
    detail: str = Field(default="", max_length=1000)


class MessageTemplate(SQLModel, table=True):
    """An organiser's own wording of one message type for one edition and language."""

    __tablename__ = "message_template"
    __table_args__ = (UniqueConstraint("edition_id", "kind", "language"),)

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", index=True)
    kind: str = Field(max_length=50)
    language: str = Field(max_length=5)
    subject: str = Field(max_length=300)
    body: str
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
