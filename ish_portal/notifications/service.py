"""Writing email to the outbox. Callers pass their open session: the message commits together with
the change that causes it, or not at all. A caller says which kind of message, to whom (a Reader)
and about what (facts: ids and plain values); the kind computes its placeholders from those facts
in the reader's language and time zone (see catalog.py), so no caller formats or translates
anything for someone else.

Also here: the organisers' own wording per edition, bulk messages as drafts that an organiser
reviews before they go out (releasing or discarding a draft carries the consequences its kind
declares), failed messages and their retry, and a person's messages with a resend. This module is
infrastructure: it imports no area of the business."""

from __future__ import annotations

import logging
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import Session, select

from ish_portal.audit.service import Actor, record
from ish_portal.db import transaction, utcnow
from ish_portal.errors import DomainError
from ish_portal.notifications.catalog import KINDS, LETTERS, PREVIEWS, Occasion, Reader, kind as kind_of
from ish_portal.notifications.models import (
    MessageTemplate,
    OutboxAttachment,
    OutboxMessage,
    OutboxStatus,
)
from ish_portal.notifications.render import (
    RenderedEmail,
    Wording,
    check_wording,
    default_wording,
    render_email,
)
from ish_portal.text import i18n, timefmt
from ish_portal.text.i18n import gettext as _

log = logging.getLogger("ish_portal.notifications")
PAGE_SIZE = 50
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


# -- the outbox -------------------------------------------------------------------------------

def base_url_of(session: Session, message: OutboxMessage | None = None) -> str:
    """Where the portal is, for links in messages: given by the caller, else set on every session
    the web layer and the worker open (web.deps.get_db, worker)."""
    given = (message.context or {}).get("base_url") if message is not None else None
    return given or session.info.get("base_url", DEFAULT_BASE_URL)


def enqueue(session: Session, kind: str, reader: Reader, facts: dict[str, Any] | None = None, *,
            edition_id: int | None = None, nomination_id: int | None = None,
            batch: str | None = None, draft: bool = False, base_url: str | None = None,
            attachments: list[tuple[str, str, bytes]] = ()) -> OutboxMessage:
    """Render the message now, from the facts, in the reader's language and zone (so what is sent
    is what was true at the time of the change) and queue it; with draft=True it waits for an
    organiser's review instead. The edition's own wording is used when the organisers wrote one.
    The kind's letters are attached as placeholders and rendered when the message is sent."""
    facts = dict(facts or {})
    message = OutboxMessage(
        message_id=uuid.uuid4().hex, kind=kind, language=_language(reader.language),
        recipient=reader.email.strip().lower(), subject="", body_text="", body_html="",
        context={"facts": facts, "reader": reader.as_json(), **({"base_url": base_url} if base_url else {})},
        status=OutboxStatus.DRAFT if draft else OutboxStatus.QUEUED, batch=batch,
        edition_id=edition_id, nomination_id=nomination_id)
    _render(session, message)
    session.add(message)
    session.flush()
    for filename, content_type, data in attachments:
        session.add(OutboxAttachment(outbox_message_id=message.id, filename=filename,
                                     content_type=content_type, data=data))
    for letter in kind_of(kind).letters:
        if LETTERS[letter].problem(session, facts) is None:
            session.add(OutboxAttachment(outbox_message_id=message.id, filename=LETTERS[letter].filename(session, facts),
                                         content_type="application/pdf", data=None, letter=letter))
    return message


def _language(language: str) -> str:
    return language if language in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE


def facts_of(message: OutboxMessage) -> dict[str, Any]:
    return dict((message.context or {}).get("facts", {}))


def reader_of(message: OutboxMessage) -> Reader:
    data = (message.context or {}).get("reader") or {"email": message.recipient, "language": message.language}
    return Reader.from_json(data)


def _render(session: Session, message: OutboxMessage) -> None:
    """(Re)writes subject and text of a message from its facts, its own wording if an organiser
    edited it, else the edition's wording, else the standard one."""
    reader = reader_of(message)
    rendered = render_for(session, message.kind, reader, facts_of(message), _wording_of(session, message),
                          base_url=base_url_of(session, message))
    message.subject, message.body_text, message.body_html = rendered.subject, rendered.text, rendered.html


def render_for(session: Session, kind: str, reader: Reader, facts: dict[str, Any],
               wording: Wording | None, preview: bool = False, base_url: str | None = None) -> RenderedEmail:
    occasion = Occasion(session, facts, reader, base_url or base_url_of(session), preview=preview)
    with timefmt.reading(_language(reader.language), reader.zone):
        # A preview shows example values for what the person does not have yet (an offer, a link).
        context = {**(kind_of(kind).example_context() if preview else {}), **kind_of(kind).context(occasion)}
    return render_email(kind, _language(reader.language), context, wording, zone=reader.zone)


def _wording_of(session: Session, message: OutboxMessage) -> Wording | None:
    """A draft's own wording, else what its facts bring (an organiser's message), else the
    edition's wording of its kind; None: the standard one."""
    if message.own_subject is not None and message.own_body is not None:
        return Wording(message.own_subject, message.own_body)
    brought = kind_of(message.kind).wording
    if brought is not None and (words := brought(session, facts_of(message), message.language)) is not None:
        return Wording(*words)
    return _override(session, message.edition_id, message.kind, message.language)


def _override(session: Session, edition_id: int | None, kind: str, language: str) -> Wording | None:
    if edition_id is None:
        return None
    row = _template_row(session, edition_id, kind, language)
    return Wording(row.subject, row.body) if row else None


def _template_row(session: Session, edition_id: int, kind: str, language: str) -> MessageTemplate | None:
    return session.exec(select(MessageTemplate).where(
        MessageTemplate.edition_id == edition_id, MessageTemplate.kind == kind,
        MessageTemplate.language == language)).first()


# -- organisers' wording ----------------------------------------------------------------------

@dataclass(frozen=True)
class TemplateState:
    kind: str
    language: str
    wording: Wording
    overridden: bool
    updated_at: datetime | None


def template_overview(session: Session, edition_id: int) -> dict[str, dict[str, bool]]:
    """For each kind and language: whether the edition has its own wording."""
    own = {(row.kind, row.language) for row in session.exec(
        select(MessageTemplate).where(MessageTemplate.edition_id == edition_id))}
    return {name: {lang: (name, lang) in own for lang in i18n.LANGUAGES} for name in sorted(KINDS)}


def template_state(session: Session, edition_id: int, kind: str, language: str) -> TemplateState:
    _check_kind(kind, language)
    row = _template_row(session, edition_id, kind, language)
    if row is None:
        return TemplateState(kind, language, default_wording(kind, language), False, None)
    return TemplateState(kind, language, Wording(row.subject, row.body), True, row.updated_at)


def _checked_wording(kind: str, subject: str, body: str) -> Wording:
    wording = Wording(" ".join(subject.split()), body.replace("\r\n", "\n").strip() + "\n")
    errors = check_wording(kind, wording)
    if len(wording.subject) > 300:
        errors.setdefault("subject", _("Keep the subject under 300 characters."))
    if errors:
        raise DomainError(_("Please correct the marked fields."), fields=errors)
    return wording


def save_template(session: Session, actor: Actor, edition_id: int, kind: str, language: str,
                  subject: str, body: str) -> MessageTemplate:
    _check_kind(kind, language)
    wording = _checked_wording(kind, subject, body)
    with transaction(session):
        row = _template_row(session, edition_id, kind, language)
        before = {"subject": row.subject, "body": row.body} if row else default_wording(kind, language).__dict__
        if row is None:
            row = MessageTemplate(edition_id=edition_id, kind=kind, language=language,
                                  subject=wording.subject, body=wording.body)
        row.subject, row.body = wording.subject, wording.body
        row.updated_by_id, row.updated_at = actor.user_id, utcnow()
        session.add(row)
        session.flush()
        record(session, actor, "message_template_saved", "message_template", row.id,
               edition_id=edition_id, changes={"kind": kind, "language": language,
                                               "subject": [before["subject"], wording.subject],
                                               "body": [before["body"], wording.body]})
    return row


def reset_template(session: Session, actor: Actor, edition_id: int, kind: str, language: str) -> None:
    _check_kind(kind, language)
    with transaction(session):
        row = _template_row(session, edition_id, kind, language)
        if row is None:
            return
        record(session, actor, "message_template_reset", "message_template", row.id,
               edition_id=edition_id, changes={"kind": kind, "language": language,
                                               "subject": [row.subject, None], "body": [row.body, None]})
        session.delete(row)


def _check_kind(kind: str, language: str) -> None:
    if kind not in KINDS or language not in i18n.LANGUAGES:
        raise DomainError(_("There is no such message."))


def preview_subjects(session: Session, edition_id: int) -> list[tuple[str, dict[str, Any], str, Reader]]:
    """Real people of the edition whose data a preview may use, as (key, facts, label, reader)."""
    return PREVIEWS.subjects(session, edition_id)


def preview(session: Session, edition_id: int, kind: str, language: str, wording: Wording,
            subject: str | None, subjects: list | None = None) -> RenderedEmail:
    """The message as it would read for one real person of the edition (example values when none
    is chosen, or for what they do not have yet), of `subjects` when the caller has read them
    from preview_subjects already. No personal link is issued."""
    if subjects is None:
        subjects = preview_subjects(session, edition_id)
    found = [(facts, reader) for key, facts, _label, reader in subjects if key == subject]
    if not found:
        with timefmt.reading(_language(language)):
            context = kind_of(kind).example_context()
        return render_email(kind, language, context, wording)
    facts, reader = found[0]
    return render_for(session, kind, Reader(reader.email, reader.name, language, reader.zone), facts, wording,
                      preview=True)


# -- drafts -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BatchSummary:
    name: str
    kinds: list[str]
    counts: dict[str, int]
    created_at: datetime

    @property
    def drafts(self) -> int:
        return self.counts.get(OutboxStatus.DRAFT, 0)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def batches(session: Session, edition_id: int, only: str | None = None) -> list[BatchSummary]:
    where = [OutboxMessage.edition_id == edition_id, OutboxMessage.batch.is_not(None)]
    if only is not None:
        where.append(OutboxMessage.batch == only)
    rows = session.exec(select(OutboxMessage.batch, OutboxMessage.kind, OutboxMessage.status,
                               func.count(), func.min(OutboxMessage.created_at))
                        .where(*where)
                        .group_by(OutboxMessage.batch, OutboxMessage.kind, OutboxMessage.status)).all()
    found: dict[str, dict[str, Any]] = {}
    for name, kind, status, count, created in rows:
        entry = found.setdefault(name, {"kinds": set(), "counts": {}, "created_at": created})
        entry["kinds"].add(kind)
        entry["counts"][status] = entry["counts"].get(status, 0) + count
        entry["created_at"] = min(entry["created_at"], created)
    summaries = [BatchSummary(name, sorted(e["kinds"]), e["counts"], e["created_at"]) for name, e in found.items()]
    # Batches still waiting for review first, then the newest.
    return sorted(summaries, key=lambda b: (b.drafts == 0, -b.created_at.timestamp()))


def batch_edition(session: Session, batch: str) -> int | None:
    """The edition a batch was written for (a message to last year's candidates is a batch of last
    year's edition), or None when no message carries that batch."""
    return session.exec(select(OutboxMessage.edition_id).where(
        OutboxMessage.batch == batch, OutboxMessage.edition_id.is_not(None)).limit(1)).first()


# An area that shows some batches on a page of its own (a message to a group has one, with its
# time and its cancelling) registers here where such a batch lives, as (address, link text) or None
# for a batch it does not own; every other batch is shown on the outbox's batch page.
BATCH_HOMES: list[Callable[[Session, str], tuple[str, str] | None]] = []


def batch_home(session: Session, batch: str) -> tuple[str, str]:
    for home in BATCH_HOMES:
        if (found := home(session, batch)) is not None:
            return found
    return f"/organiser/messages/batches/{batch}", _("Batch %(name)s", name=batch)


def batch_summary(session: Session, edition_id: int, batch: str) -> BatchSummary | None:
    return next(iter(batches(session, edition_id, only=batch)), None)


def batch_messages(session: Session, edition_id: int, batch: str, page: int = 1) -> tuple[list[OutboxMessage], int]:
    where = (OutboxMessage.edition_id == edition_id, OutboxMessage.batch == batch)
    total = session.exec(select(func.count()).select_from(OutboxMessage).where(*where)).one()
    rows = session.exec(select(OutboxMessage).where(*where).order_by(OutboxMessage.id)
                        .offset((max(page, 1) - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return list(rows), total


def letters_left_out(session: Session, messages: list[OutboxMessage]) -> dict[int, list[str]]:
    """For each message whose kind carries letters, why a letter it should carry is not attached
    (a name the fonts cannot print, a passport detail missing): the organiser reads this on the
    draft before sending, and the message goes without that letter."""
    carrying = [message for message in messages if kind_of(message.kind).letters] if messages else []
    if not carrying:
        return {}
    attached = set(session.exec(select(OutboxAttachment.outbox_message_id, OutboxAttachment.letter).where(
        OutboxAttachment.outbox_message_id.in_([message.id for message in carrying]),
        OutboxAttachment.letter.is_not(None))).all())
    left_out: dict[int, list[str]] = {}
    for message in carrying:
        for letter in kind_of(message.kind).letters:
            if (message.id, letter) not in attached:
                problem = LETTERS[letter].problem(session, facts_of(message))
                left_out.setdefault(message.id, []).append(
                    problem or _("The letter is not attached."))
    return left_out


def message_of(session: Session, edition_id: int, message_id: int) -> OutboxMessage:
    message = session.get(OutboxMessage, message_id)
    if message is None or message.edition_id != edition_id:
        raise DomainError(_("There is no such message."))
    return message


def edition_message(session: Session, message_id: int) -> OutboxMessage:
    """A message of any edition, as organisers see them (a message to last year's candidates is
    reviewed like this year's); the later steps check it against its own edition."""
    message = session.get(OutboxMessage, message_id)
    if message is None or message.edition_id is None:
        raise DomainError(_("There is no such message."))
    return message


def attachments_of(session: Session, message: OutboxMessage) -> list[tuple[int, str, int | None]]:
    """(id, filename, size) of a message's attachments, without loading their bytes; the size is
    None for a letter that is rendered only when the message is sent."""
    return [(row[0], row[1], row[2]) for row in session.exec(
        select(OutboxAttachment.id, OutboxAttachment.filename, func.length(OutboxAttachment.data))
        .where(OutboxAttachment.outbox_message_id == message.id).order_by(OutboxAttachment.id)).all()]


def attachment_of(session: Session, edition_id: int, message_id: int, attachment_id: int) -> tuple[str, str, bytes]:
    """(filename, content type, bytes) of an attachment; a letter not yet sent is rendered now,
    as it would be sent, without being stored."""
    message = message_of(session, edition_id, message_id)
    attachment = session.get(OutboxAttachment, attachment_id)
    if attachment is None or attachment.outbox_message_id != message_id:
        raise DomainError(_("There is no such attachment."))
    if attachment.data is None and attachment.letter in LETTERS:
        filename, data = LETTERS[attachment.letter].render(session, facts_of(message))
        return filename, attachment.content_type, data
    return attachment.filename, attachment.content_type, attachment.data or b""


def render_missing_attachments(session: Session, message: OutboxMessage) -> None:
    """Letters are rendered when their message is sent, outside the transaction of the change that
    queued it; the bytes are kept so that what was sent can be looked at again. Called by the
    sender in a transaction of its own."""
    for attachment in session.exec(select(OutboxAttachment).where(
            OutboxAttachment.outbox_message_id == message.id, OutboxAttachment.data.is_(None))).all():
        letter = LETTERS.get(attachment.letter or "")
        if letter is None:
            session.delete(attachment)
            continue
        try:
            filename, data = letter.render(session, facts_of(message))
        except Exception:  # the message still goes, without the letter; the organisers can resend it
            log.exception("the %s letter of message %s cannot be made", attachment.letter, message.id)
            session.delete(attachment)
            continue
        attachment.filename, attachment.data = filename, data
        session.add(attachment)


def _draft(session: Session, edition_id: int, message_id: int) -> OutboxMessage:
    message = session.exec(select(OutboxMessage).where(OutboxMessage.id == message_id)
                           .with_for_update().execution_options(populate_existing=True)).first()
    if message is None or message.edition_id != edition_id:
        raise DomainError(_("There is no such message."))
    if message.status != OutboxStatus.DRAFT:
        raise DomainError(_("This message is no longer a draft: it has been sent or discarded."))
    return message


def draft_wording(session: Session, message: OutboxMessage) -> Wording:
    """What the draft editor starts from: the draft's own wording, else the kind's."""
    return _wording_of(session, message) or default_wording(message.kind, message.language)


def edit_draft(session: Session, actor: Actor, edition_id: int, message_id: int,
               subject: str, body: str) -> OutboxMessage:
    """The organiser words this one draft themselves, with the kind's placeholders; it is written
    again from its facts (so a deadline set when it is released is right)."""
    with transaction(session):
        message = _draft(session, edition_id, message_id)
        wording = _checked_wording(message.kind, subject, body)
        before = {"subject": message.subject, "body": message.body_text}
        message.own_subject, message.own_body = wording.subject, wording.body
        _render(session, message)
        session.add(message)
        record(session, actor, "draft_edited", "outbox_message", message.id,
               edition_id=edition_id, nomination_id=message.nomination_id,
               changes={"subject": [before["subject"], message.subject],
                        "body": [before["body"], message.body_text]})
    return message


def discard_warning(session: Session, message: OutboxMessage) -> str:
    warn = kind_of(message.kind).discard_warning
    return warn(session, facts_of(message)) if warn else ""


def discard_draft(session: Session, actor: Actor, edition_id: int, message_id: int) -> str | None:
    """Deletes one draft, after what its kind says must follow (an offer's draft withdraws the
    offer); returns its batch."""
    with transaction(session):
        message = _draft(session, edition_id, message_id)
        batch = message.batch
        consequence = kind_of(message.kind).when_discarded
        if consequence is not None:
            consequence(session, facts_of(message), actor)
        session.exec(delete(OutboxAttachment).where(OutboxAttachment.outbox_message_id == message.id))
        record(session, actor, "draft_discarded", "outbox_message", message.id,
               edition_id=edition_id, nomination_id=message.nomination_id,
               changes={"batch": batch, "kind": message.kind, "recipient": message.recipient})
        session.delete(message)
    return batch


def release_drafts(session: Session, actor: Actor, edition_id: int, batch: str) -> int:
    """Every draft of the batch goes to the outbox, in one transaction; each first sets in motion
    what its kind says releasing means (an offer's response time starts), then is written again
    from its facts as they now are. Caller-free: opens its own transaction."""
    with transaction(session):
        count = release_batch(session, actor, edition_id, batch)
    return count


def release_batch(session: Session, actor: Actor, edition_id: int, batch: str) -> int:
    """What release_drafts does, inside the caller's transaction (the worker releasing a batch
    scheduled for a time): returns how many drafts were queued."""
    count, handled = _release(session, actor, edition_id, batch)
    if handled == 0:
        raise DomainError(_("This batch has no drafts left to send."))
    record(session, actor, "batch_sent", "outbox_batch", None, edition_id=edition_id,
           changes={"batch": batch, "messages": count})
    return count


def discard_batch(session: Session, actor: Actor, edition_id: int, batch: str) -> int:
    """Deletes every draft of the batch, inside the caller's transaction, each after what its kind
    says must follow; returns how many were discarded."""
    drafts = session.exec(select(OutboxMessage).where(
        OutboxMessage.edition_id == edition_id, OutboxMessage.batch == batch,
        OutboxMessage.status == OutboxStatus.DRAFT).with_for_update()
        .execution_options(populate_existing=True)).all()
    for message in drafts:
        consequence = kind_of(message.kind).when_discarded
        if consequence is not None:
            consequence(session, facts_of(message), actor)
        session.exec(delete(OutboxAttachment).where(OutboxAttachment.outbox_message_id == message.id))
        session.delete(message)
    record(session, actor, "batch_discarded", "outbox_batch", None, edition_id=edition_id,
           changes={"batch": batch, "messages": len(drafts)})
    return len(drafts)


def _release(session: Session, actor: Actor, edition_id: int, batch: str) -> tuple[int, int]:
    """(drafts queued, drafts handled: queued or dropped)."""
    drafts = session.exec(select(OutboxMessage).where(
        OutboxMessage.edition_id == edition_id, OutboxMessage.batch == batch,
        OutboxMessage.status == OutboxStatus.DRAFT).order_by(OutboxMessage.id)
        .with_for_update().execution_options(populate_existing=True)).all()
    now = utcnow()
    released = 0
    for message in drafts:
        consequence = kind_of(message.kind).when_released
        if consequence is not None:
            if consequence(session, facts_of(message), actor) is False:
                session.exec(delete(OutboxAttachment).where(OutboxAttachment.outbox_message_id == message.id))
                record(session, actor, "draft_dropped", "outbox_message", message.id, edition_id=edition_id,
                       nomination_id=message.nomination_id, reason=_("what the draft was for has ended"),
                       changes={"batch": batch, "kind": message.kind, "recipient": message.recipient})
                session.delete(message)
                continue
            _render(session, message)
        message.status, message.next_attempt_at = OutboxStatus.QUEUED, now
        session.add(message)
        released += 1
    return released, len(drafts)


def regenerate_batch(session: Session, actor: Actor, edition_id: int, batch: str) -> int:
    """Renders every draft of the batch again from its facts, with the wording as it is now.
    Wording given to single drafts is dropped."""
    with transaction(session):
        drafts = session.exec(select(OutboxMessage).where(
            OutboxMessage.edition_id == edition_id, OutboxMessage.batch == batch,
            OutboxMessage.status == OutboxStatus.DRAFT).with_for_update()).all()
        if not drafts:
            raise DomainError(_("This batch has no drafts left to render again."))
        for message in drafts:
            message.own_subject = message.own_body = None
            _render(session, message)
            session.add(message)
        record(session, actor, "batch_regenerated", "outbox_batch", None,
               edition_id=edition_id, changes={"batch": batch, "messages": len(drafts)})
    return len(drafts)


# -- failures and a person's messages -------------------------------------------------------------

def status_word(status: str) -> str:
    """A message's status, in words."""
    return {OutboxStatus.DRAFT: _("draft"), OutboxStatus.QUEUED: _("queued"), OutboxStatus.SENDING: _("sending"),
            OutboxStatus.SENT: _("sent"), OutboxStatus.FAILED: _("failed")}.get(status, status)



def failed_messages(session: Session, page: int = 1) -> tuple[list[OutboxMessage], int]:
    where = OutboxMessage.status == OutboxStatus.FAILED
    total = session.exec(select(func.count()).select_from(OutboxMessage).where(where)).one()
    rows = session.exec(select(OutboxMessage).where(where).order_by(OutboxMessage.created_at.desc(),
                                                                     OutboxMessage.id.desc())
                        .offset((max(page, 1) - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return list(rows), total


def retry_failed(session: Session, actor: Actor, message_id: int) -> OutboxMessage:
    """Back to the queue for one more try; the attempts so far stay counted."""
    with transaction(session):
        message = session.exec(select(OutboxMessage).where(OutboxMessage.id == message_id)
                               .with_for_update().execution_options(populate_existing=True)).first()
        if message is None or message.status != OutboxStatus.FAILED:
            raise DomainError(_("This message has not failed, so there is nothing to retry."))
        message.status, message.next_attempt_at = OutboxStatus.QUEUED, utcnow()
        session.add(message)
        record(session, actor, "message_retried", "outbox_message", message.id,
               edition_id=message.edition_id, nomination_id=message.nomination_id,
               from_state=OutboxStatus.FAILED, to_state=OutboxStatus.QUEUED,
               changes={"attempts": message.attempts, "last_error": message.last_error})
    return message


def retry_batch_failures(session: Session, actor: Actor, edition_id: int, batch: str) -> int:
    """Every failed message of a batch back to the queue, in one step; the attempts so far stay
    counted. Returns how many."""
    with transaction(session):
        failed = session.exec(select(OutboxMessage).where(
            OutboxMessage.edition_id == edition_id, OutboxMessage.batch == batch,
            OutboxMessage.status == OutboxStatus.FAILED, OutboxMessage.last_error != FORGOTTEN)
            .with_for_update().execution_options(populate_existing=True)).all()
        if not failed:
            raise DomainError(_("No message of this batch has failed, so there is nothing to retry."))
        now = utcnow()
        for message in failed:
            message.status, message.next_attempt_at = OutboxStatus.QUEUED, now
            session.add(message)
        record(session, actor, "batch_failures_retried", "outbox_batch", None, edition_id=edition_id,
               from_state=OutboxStatus.FAILED, to_state=OutboxStatus.QUEUED,
               changes={"batch": batch, "messages": len(failed)})
    return len(failed)


def messages_about(session: Session, nomination_id: int, limit: int = 200) -> list[OutboxMessage]:
    """Every message about one nomination (to the candidate, their guardian, their coordinators),
    newest first."""
    return list(session.exec(select(OutboxMessage).where(OutboxMessage.nomination_id == nomination_id)
                             .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
                             .limit(limit)).all())


def resend(session: Session, actor: Actor, message_id: int, nomination_id: int) -> OutboxMessage:
    """The same message once more, written again from its facts (so a personal link in it is a
    fresh one), as a new message with its own Message-ID."""
    with transaction(session):
        original = session.get(OutboxMessage, message_id)
        if original is None or original.nomination_id != nomination_id or original.status == OutboxStatus.DRAFT:
            raise DomainError(_("There is no such message to send again."))
        copy = enqueue(session, original.kind, reader_of(original), facts_of(original),
                       edition_id=original.edition_id, nomination_id=original.nomination_id)
        if original.own_subject is not None:
            copy.own_subject, copy.own_body = original.own_subject, original.own_body
            _render(session, copy)
        record(session, actor, "message_resent", "outbox_message", copy.id,
               edition_id=original.edition_id, nomination_id=nomination_id,
               changes={"kind": original.kind, "recipient": original.recipient, "original": original.id})
    return copy


# -- forgetting what messages carried (deletion requests, the retention schedule) ------------------

FORGOTTEN = "(deleted)"


def forget_messages(session: Session, nomination_id: int, values: list[str] = (), *,
                    everything: bool = False, letters: tuple[str, ...] = ()) -> int:
    """Empties the messages about one nomination that carried personal data: those whose address,
    subject or text holds one of `values` (or every one, with everything=True) lose their subject,
    text and the reader they were written for; a message still waiting to go is never sent (an
    empty message would go otherwise). Attachments of such messages go, and so do the given
    letters on any message of the nomination. Caller holds the transaction; returns how many
    messages were emptied."""
    wanted = [value.strip().lower() for value in values if value and len(value.strip()) >= 3]
    emptied = 0
    for message in session.exec(select(OutboxMessage).where(OutboxMessage.nomination_id == nomination_id)).all():
        attachments = session.exec(select(OutboxAttachment)
                                   .where(OutboxAttachment.outbox_message_id == message.id)).all()
        carried = everything or any(
            value in text for value in wanted
            for text in (message.recipient.lower(), message.subject.lower(), message.body_text.lower(),
                         json.dumps((message.context or {}).get("reader", {}), ensure_ascii=False).lower()))
        for attachment in attachments:
            if carried or attachment.letter in letters:
                session.delete(attachment)
        if not carried or message.subject == FORGOTTEN:
            continue
        message.subject, message.body_text, message.body_html = FORGOTTEN, "", ""
        message.own_subject = message.own_body = None
        message.context = {"facts": {}, "reader": {"email": FORGOTTEN, "name": "", "language": message.language}}
        if everything or any(value in message.recipient.lower() for value in wanted):
            message.recipient = f"deleted-{message.id}@invalid"
        if message.status in (OutboxStatus.DRAFT, OutboxStatus.QUEUED, OutboxStatus.SENDING):
            message.status, message.last_error = OutboxStatus.FAILED, FORGOTTEN
        session.add(message)
        emptied += 1
    return emptied
