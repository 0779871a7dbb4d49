"""Writing to a filtered group: the composer's count and list, the words per language (English for
whoever reads a language nobody wrote), attachments, the drafts, and when the batch goes out: now,
at a set time (the worker releases it then), or never once cancelled. Also the "not selected"
drafts and the list of batches with their delivery counts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from sqlalchemy import exists, func
from sqlmodel import Session, select

from ish_portal.accounts.models import User
from ish_portal.audit.service import SYSTEM, Actor, record
from ish_portal.db import holding_what_is_read, transaction, utcnow
from ish_portal.errors import DomainError
from ish_portal.mailings.groups import GROUPS, PLACED, Filters, Recipient, recipients
from ish_portal.mailings.messages import ORGANISER_MESSAGE
from ish_portal.mailings.models import Mailing
from ish_portal.nominations.messages import candidate_reader
from ish_portal.nominations.models import Nomination, NominationStatus
from ish_portal.nominations.service import read_upload, safe_filename
from ish_portal.notifications import service as outbox
from ish_portal.notifications.catalog import Reader
from ish_portal.notifications.models import OutboxMessage, OutboxStatus
from ish_portal.placement.models import Offer
from ish_portal.programme.models import Edition
from ish_portal.text import i18n
from ish_portal.text.i18n import gettext as _
from ish_portal.text.timefmt import format_datetime

PAGE_SIZE = 50
MB = 1024 * 1024
# All of a batch's files together; each file also within the edition's upload limit.
FILES_LIMIT_MB = 10
MAX_FILES = 5


# -- who would read it ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Audience:
    recipients: list[Recipient]
    languages: Counter  # reader's language -> how many

    @property
    def total(self) -> int:
        return len(self.recipients)

    def page(self, number: int) -> list[Recipient]:
        start = (max(number, 1) - 1) * PAGE_SIZE
        return self.recipients[start:start + PAGE_SIZE]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    def written_languages(self) -> list[str]:
        """The languages to write in: English first, then those of the readers, most readers first."""
        others = [language for language, _count in self.languages.most_common() if language != "en"]
        return ["en", *others]

    def falling_back(self, texts: dict[str, Any]) -> int:
        """How many read a language without a version of their own: they get the English one."""
        return sum(count for language, count in self.languages.items() if language not in texts)


def audience(session: Session, edition: Edition, filters: Filters) -> Audience:
    found = recipients(session, edition, filters)
    return Audience(found, Counter(_language(r.reader.language) for r in found))


def _language(language: str) -> str:
    return language if language in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE


# -- writing the drafts -----------------------------------------------------------------------------------

def clean_texts(form: dict[str, tuple[str, str]]) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """The words per language from the form (language -> (subject, body)): English must be given;
    another language counts once it has a subject or a text, and then needs both. Each is checked
    as any wording is (only the kind's placeholders, it renders). Returns (texts, errors by field)."""
    from ish_portal.notifications.render import Wording, check_wording

    texts: dict[str, dict[str, str]] = {}
    errors: dict[str, str] = {}
    for language, (subject, body) in form.items():
        subject, body = " ".join((subject or "").split()), (body or "").replace("\r\n", "\n").strip()
        if language != "en" and not subject and not body:
            continue
        name = i18n.language_name(language)
        problems = check_wording(ORGANISER_MESSAGE, Wording(subject, body + "\n"))
        if len(subject) > 300:
            problems.setdefault("subject", _("Keep the subject under 300 characters."))
        for field, problem in problems.items():
            errors[f"{field}_{language}"] = f"{name}: {problem}"
        texts[language] = {"subject": subject, "body": body + "\n"}
    if "en" not in form:
        errors["subject_en"] = _("Write the message in English: whoever reads a language you did not write in gets it.")
    return texts, errors


def read_files(uploads: list[tuple[str, BinaryIO]], limit_mb: int) -> list[tuple[str, bytes]]:
    """PDF files only, each read in chunks and refused as soon as it passes the limit, recognised
    by their content (not their name or the browser's word)."""
    if len(uploads) > MAX_FILES:
        raise DomainError(fields={"files": _("Attach at most %(count)d files.", count=MAX_FILES)})
    files, total = [], 0
    for filename, stream in uploads:
        try:
            data, content_type = read_upload(stream, min(limit_mb, FILES_LIMIT_MB) * MB)
        except DomainError as exc:
            raise DomainError(fields={"files": f"{safe_filename(filename)}: {exc.message}"}) from None
        if content_type != "application/pdf":
            raise DomainError(fields={"files": _("%(file)s is not a PDF file. Only PDF files can be attached.",
                                                 file=safe_filename(filename))})
        total += len(data)
        if total > FILES_LIMIT_MB * MB:
            raise DomainError(fields={"files": _("The files together are larger than %(mb)d MB.", mb=FILES_LIMIT_MB)})
        files.append((safe_filename(filename), data))
    return files


def create_mailing(session: Session, organiser: User, edition: Edition, filters: Filters,
                   form: dict[str, tuple[str, str]], files: list[tuple[str, bytes]]) -> Mailing:
    """The message as drafts, one per recipient in their language (English where none was
    written), with the files attached; nothing is sent until the batch is sent or its time comes."""
    texts, errors = clean_texts(form)
    if errors:
        raise DomainError(_("Please correct the marked fields."), fields=errors)
    with transaction(session), holding_what_is_read(session):
        found = recipients(session, edition, filters)
        if not found:
            raise DomainError(_("Nobody matches these filters, so there is no one to write to."))
        mailing = write_drafts(session, organiser, edition, filters, texts, files, found)
    return mailing


def write_drafts(session: Session, organiser: User, edition: Edition, filters: Filters,
                 texts: dict[str, dict[str, str]], files: list[tuple[str, bytes]],
                 found: list[Recipient] | None = None) -> Mailing:
    """The batch's row and its drafts, inside the caller's transaction (create_mailing, the demo)."""
    found = recipients(session, edition, filters) if found is None else found
    batch = f"message-{edition.year}-{utcnow():%Y%m%d-%H%M%S-%f}"
    mailing = Mailing(edition_id=edition.id, batch=batch, kind=ORGANISER_MESSAGE, recipients=filters.group,
                      subject=texts["en"]["subject"][:300], filters=filters.params(), texts=texts, written_to=len(found),
                      files=[{"name": name, "bytes": len(data)} for name, data in files],
                      created_by_id=organiser.id, created_by_name=organiser.full_name[:200])
    session.add(mailing)
    session.flush()
    attachments = [(name, "application/pdf", data) for name, data in files]
    for recipient in found:
        reader = recipient.reader
        if _language(reader.language) not in texts:
            reader = Reader(reader.email, reader.name, "en", reader.zone)
        outbox.enqueue(session, ORGANISER_MESSAGE, reader, {"mailing": mailing.id, **recipient.facts},
                       edition_id=edition.id, nomination_id=recipient.nomination_id, batch=batch, draft=True,
                       attachments=attachments)
    record(session, Actor.of_user(organiser), "mailing_written", "mailing", mailing.id, edition_id=edition.id,
           changes={"batch": batch, "group": filters.group, "messages": len(found), "languages": sorted(texts)})
    return mailing


# -- one batch ----------------------------------------------------------------------------------------

def mailing_of(session: Session, edition_id: int, mailing_id: int, *, lock: bool = False) -> Mailing:
    query = select(Mailing).where(Mailing.id == mailing_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    mailing = session.exec(query).first()
    if mailing is None or mailing.edition_id != edition_id:
        raise DomainError(_("There is no such message."))
    return mailing


def find_mailing(session: Session, mailing_id: int) -> Mailing:
    """A batch of any edition (organisers may write to last year's candidates too)."""
    mailing = session.get(Mailing, mailing_id)
    if mailing is None:
        raise DomainError(_("There is no such message."))
    return mailing


def _home(session: Session, batch: str) -> tuple[str, str] | None:
    """A message to a group is reviewed, scheduled and cancelled on its own page."""
    mailing_id = session.exec(select(Mailing.id).where(Mailing.batch == batch)).first()
    return None if mailing_id is None else (f"/organiser/messages/mailings/{mailing_id}",
                                            _("All recipients of this message"))


outbox.BATCH_HOMES.append(_home)


def state(mailing: Mailing, summary: outbox.BatchSummary | None) -> str:
    """draft, scheduled, sent or cancelled."""
    if mailing.cancelled_at is not None:
        return "cancelled"
    if summary is not None and summary.drafts == 0:
        return "sent"
    return "scheduled" if mailing.scheduled_at is not None else "draft"


def state_label(state_name: str) -> str:
    return {"draft": _("draft"), "scheduled": _("scheduled"), "sent": _("sent"),
            "cancelled": _("cancelled")}.get(state_name, state_name)


def group_label(name: str) -> str:
    return _(GROUPS[name].label) if name in GROUPS else name


def send_now(session: Session, organiser: User, edition_id: int, mailing_id: int) -> int:
    actor = Actor.of_user(organiser)
    with transaction(session):
        mailing = mailing_of(session, edition_id, mailing_id, lock=True)
        if mailing.cancelled_at is not None:
            raise DomainError(_("This message was cancelled, so it cannot be sent."))
        count = outbox.release_batch(session, actor, edition_id, mailing.batch)
        mailing.scheduled_at, mailing.released_at = None, utcnow()
        session.add(mailing)
    return count


# How far ahead a message to a group may be scheduled.
SCHEDULE_AHEAD_DAYS = 366


def schedule(session: Session, organiser: User, edition_id: int, mailing_id: int, when: datetime) -> Mailing:
    """The batch goes out at `when` (UTC), released by the worker; a new time replaces the old."""
    if when <= utcnow():
        raise DomainError(fields={"scheduled_at": _("Choose a time in the future.")})
    if when > utcnow() + timedelta(days=SCHEDULE_AHEAD_DAYS):
        # Its readers and their addresses are this edition's: years ahead is a typing mistake.
        raise DomainError(fields={"scheduled_at": _("Choose a time within the next %(days)d days.",
                                                    days=SCHEDULE_AHEAD_DAYS)})
    with transaction(session):
        mailing = mailing_of(session, edition_id, mailing_id, lock=True)
        if mailing.cancelled_at is not None or mailing.released_at is not None:
            raise DomainError(_("This message has been sent or cancelled, so it cannot be scheduled."))
        if not _drafts_left(session, mailing):
            raise DomainError(_("This batch has no drafts left to send."))
        before = mailing.scheduled_at
        mailing.scheduled_at = when
        session.add(mailing)
        record(session, Actor.of_user(organiser), "mailing_scheduled", "mailing", mailing.id, edition_id=edition_id,
               changes={"batch": mailing.batch,
                        "scheduled_at": [before.isoformat() if before else None, when.isoformat()]})
    return mailing


def cancel(session: Session, organiser: User, edition_id: int, mailing_id: int) -> int:
    """Until it has gone out: the batch's drafts are discarded and it is never sent. Returns how
    many drafts went."""
    actor = Actor.of_user(organiser)
    with transaction(session):
        mailing = mailing_of(session, edition_id, mailing_id, lock=True)
        # A batch whose every draft was dropped by hand can still be closed; one that went out cannot.
        gone_out = not _drafts_left(session, mailing) and _messages_in(session, mailing)
        if mailing.cancelled_at is not None or mailing.released_at is not None or gone_out:
            raise DomainError(_("This message has already gone out or been cancelled."))
        count = outbox.discard_batch(session, actor, edition_id, mailing.batch)
        was = mailing.scheduled_at
        mailing.cancelled_at, mailing.scheduled_at = utcnow(), None
        session.add(mailing)
        record(session, actor, "mailing_cancelled", "mailing", mailing.id, edition_id=edition_id,
               changes={"batch": mailing.batch, "messages": count,
                        "scheduled_at": was.isoformat() if was else None})
    return count


def _messages_in(session: Session, mailing: Mailing) -> int:
    return session.exec(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.batch == mailing.batch)).one()


def _drafts_left(session: Session, mailing: Mailing) -> int:
    return session.exec(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.batch == mailing.batch, OutboxMessage.status == OutboxStatus.DRAFT)).one()


def release_due(session: Session, base_url: str, now: datetime | None = None) -> int:
    """The worker's step: every batch whose time has come goes to the outbox, in the transaction
    that marks it released. Rows are locked and skipped when another worker has them, so a batch
    is released once. Returns how many messages were queued."""
    now = now or utcnow()
    queued = 0
    with transaction(session):
        due = session.exec(select(Mailing).where(
            Mailing.scheduled_at.is_not(None), Mailing.scheduled_at <= now,
            Mailing.released_at.is_(None), Mailing.cancelled_at.is_(None))
            .with_for_update(skip_locked=True).execution_options(populate_existing=True)).all()
        for mailing in due:
            try:
                queued += outbox.release_batch(session, SYSTEM, mailing.edition_id, mailing.batch)
            except DomainError:  # every draft was sent or discarded by hand meanwhile
                pass
            mailing.released_at = now
            session.add(mailing)
            record(session, SYSTEM, "mailing_released", "mailing", mailing.id, edition_id=mailing.edition_id,
                   changes={"batch": mailing.batch, "scheduled_at": mailing.scheduled_at.isoformat()})
    return queued


# -- the list of batches ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class MailingRow:
    mailing: Mailing
    summary: outbox.BatchSummary | None
    title: str = ""  # the subject as its first recipient reads it (the one written holds placeholders)

    @property
    def state(self) -> str:
        return state(self.mailing, self.summary)

    def count(self, status: str) -> int:
        return self.summary.counts.get(status, 0) if self.summary else 0

    @property
    def delivered(self) -> int:
        return self.count(OutboxStatus.SENT)

    @property
    def failed(self) -> int:
        return self.count(OutboxStatus.FAILED)

    @property
    def waiting(self) -> int:
        return self.count(OutboxStatus.QUEUED) + self.count(OutboxStatus.SENDING)


def mailings(session: Session, edition_id: int, page: int = 1) -> tuple[list[MailingRow], int]:
    where = Mailing.edition_id == edition_id
    total = session.exec(select(func.count()).select_from(Mailing).where(where)).one()
    rows = session.exec(select(Mailing).where(where).order_by(Mailing.created_at.desc(), Mailing.id.desc())
                        .offset((max(page, 1) - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    summaries = {summary.name: summary for summary in outbox.batches(session, edition_id)} if rows else {}
    titles = _first_subjects(session, [row.batch for row in rows if row.kind == ORGANISER_MESSAGE])
    return [MailingRow(row, summaries.get(row.batch), titles.get(row.batch, "")) for row in rows], total


def _first_subjects(session: Session, batches: list[str]) -> dict[str, str]:
    if not batches:
        return {}
    first = (select(OutboxMessage.batch, func.min(OutboxMessage.id).label("id"))
             .where(OutboxMessage.batch.in_(batches)).group_by(OutboxMessage.batch).subquery())
    return dict(session.exec(select(first.c.batch, OutboxMessage.subject)
                             .join(OutboxMessage, OutboxMessage.id == first.c.id)).all())


def row_of(session: Session, mailing: Mailing) -> MailingRow:
    return MailingRow(mailing, outbox.batch_summary(session, mailing.edition_id, mailing.batch))


def describe_filters(session: Session, mailing_or_filters: Mailing | Filters) -> list[str]:
    """The filters in words, for the list and the batch's page."""
    from ish_portal.labs.models import Lab
    from ish_portal.mailings.groups import parse_filters
    from ish_portal.nominations.service import status_label
    from ish_portal.programme.models import Organisation

    filters = parse_filters(mailing_or_filters.filters) if isinstance(mailing_or_filters, Mailing) else mailing_or_filters
    words = []
    if filters.organisation_id and (organisation := session.get(Organisation, filters.organisation_id)):
        words.append(organisation.name)
    if filters.status:
        words.append(status_label(filters.status))
    if filters.lab_id and (lab := session.get(Lab, filters.lab_id)):
        words.append(lab.label)
    if filters.placed == "yes":
        words.append(_("with a place"))
    elif filters.placed == "no":
        words.append(_("without a place"))
    return words


def scheduled_words(mailing: Mailing) -> str:
    return format_datetime(mailing.scheduled_at) if mailing.scheduled_at else ""


# -- "not selected" ------------------------------------------------------------------------------------

def not_selected(session: Session, edition: Edition) -> list[Nomination]:
    """Candidates Heidelberg did not accept after review, and approved ones still without a place
    once offers have been published; each hears it once (those already written to are left out)."""
    told = exists().where(OutboxMessage.nomination_id == Nomination.id, OutboxMessage.kind == "not_selected")
    statuses = [NominationStatus.REJECTED]
    if edition.offers_published_at is not None:
        statuses.append(NominationStatus.APPROVED)
    holding = exists().where(Offer.nomination_id == Nomination.id, Offer.status.in_(PLACED))
    return list(session.exec(select(Nomination).where(
        Nomination.edition_id == edition.id, Nomination.status.in_(statuses), ~told, ~holding)
        .order_by(Nomination.family_name, Nomination.given_name, Nomination.id)).all())


def create_not_selected_batch(session: Session, organiser: User, edition: Edition) -> Mailing:
    """The "not selected" message as drafts to each of them, a batch like any composed one (sent
    now or at a set time, or cancelled)."""
    chosen = not_selected(session, edition)
    if not chosen:
        raise DomainError(_("Nobody is waiting to hear that they were not selected."))
    batch = f"not_selected-{edition.year}-{utcnow():%Y%m%d-%H%M%S-%f}"
    with transaction(session), holding_what_is_read(session):
        mailing = Mailing(edition_id=edition.id, batch=batch, kind="not_selected", recipients="candidates",
                          filters={"group": "candidates"}, written_to=len(chosen),
                          created_by_id=organiser.id, created_by_name=organiser.full_name[:200])
        session.add(mailing)
        for nomination in chosen:
            outbox.enqueue(session, "not_selected", candidate_reader(session, nomination),
                           {"nomination": nomination.id}, edition_id=edition.id, nomination_id=nomination.id,
                           batch=batch, draft=True)
        record(session, Actor.of_user(organiser), "batch_created", "outbox_batch", None, edition_id=edition.id,
               changes={"batch": batch, "kind": "not_selected", "messages": len(chosen)})
    return mailing
