"""Writing email to the outbox. Callers pass their open session: the message commits together with
the change that causes it, or not at all.

Also here: the organisers' own wording per edition, bulk messages as drafts that an organiser
reviews before they go out, failed messages and their retry, the reminders the worker sends, and
the letters attached to the messages that carry them."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, update
from sqlmodel import Session, select

from ish_portal.errors import DomainError
from ish_portal.accounts.models import Role, User
from ish_portal.audit.service import SYSTEM, Actor, record
from ish_portal.db import transaction, utcnow
from ish_portal.labs.models import Lab
from ish_portal.nominations.models import Nomination, NominationStatus
from ish_portal.notifications.catalog import KINDS, kind as kind_of
from ish_portal.notifications.models import (
    MessageTemplate,
    OutboxAttachment,
    OutboxMessage,
    OutboxStatus,
)
from ish_portal.notifications.render import (
    RenderedEmail,
    Wording,
    assemble,
    check_wording,
    default_wording,
    render_email,
)
from ish_portal.placement.models import Offer, OfferStatus
from ish_portal.programme.models import Edition, Organisation, Quota
from ish_portal.web import i18n
from ish_portal.web.i18n import gettext as _
from ish_portal.web.timefmt import format_date, format_datetime, local

log = logging.getLogger("ish_portal.notifications")

PAGE_SIZE = 50
# Coordinators hear about incomplete drafts this many days before their nomination deadline.
MISSING_DOCUMENTS_DAYS_BEFORE = 5






# -- the outbox -------------------------------------------------------------------------------

def enqueue(session: Session, *, kind: str, to: str, context: dict[str, Any], language: str = "en",
            edition_id: int | None = None, nomination_id: int | None = None,
            batch: str | None = None, draft: bool = False,
            attachments: list[tuple[str, str, bytes]] = ()) -> OutboxMessage:
    """Render the message now (so what is sent is what was true at the time of the change) and
    queue it; with draft=True it waits for an organiser's review instead. The edition's own wording
    is used when the organisers wrote one; kinds that carry letters get them attached."""
    rendered = render_email(kind, language, context, _override(session, edition_id, kind, language))
    message = OutboxMessage(
        message_id=uuid.uuid4().hex, kind=kind, language=language, recipient=to.strip().lower(),
        subject=rendered.subject, body_text=rendered.text, body_html=rendered.html,
        context=json.loads(json.dumps(context, default=str)),
        status=OutboxStatus.DRAFT if draft else OutboxStatus.QUEUED, batch=batch,
        edition_id=edition_id, nomination_id=nomination_id)
    session.add(message)
    session.flush()
    if not attachments and nomination_id is not None and kind in KINDS and KINDS[kind].letters:
        attachments = letters_for(session, session.get(Nomination, nomination_id), KINDS[kind].letters)
    for filename, content_type, data in attachments:
        session.add(OutboxAttachment(outbox_message_id=message.id, filename=filename,
                                     content_type=content_type, data=data))
    return message


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


def template_overview(session: Session, edition: Edition) -> dict[str, dict[str, bool]]:
    """For each kind and language: whether the edition has its own wording."""
    own = {(row.kind, row.language) for row in session.exec(
        select(MessageTemplate).where(MessageTemplate.edition_id == edition.id))}
    return {name: {lang: (name, lang) in own for lang in i18n.LANGUAGES} for name in KINDS}


def template_state(session: Session, edition: Edition, kind: str, language: str) -> TemplateState:
    _check_kind(kind, language)
    row = _template_row(session, edition.id, kind, language)
    if row is None:
        return TemplateState(kind, language, default_wording(kind, language), False, None)
    return TemplateState(kind, language, Wording(row.subject, row.body), True, row.updated_at)


def save_template(session: Session, organiser: User, edition: Edition, kind: str, language: str,
                  subject: str, body: str) -> MessageTemplate:
    _check_kind(kind, language)
    wording = Wording(subject.strip(), body.replace("\r\n", "\n").strip() + "\n")
    errors = check_wording(kind, wording)
    if len(wording.subject) > 300:
        errors.setdefault("subject", _("Keep the subject under 300 characters."))
    if errors:
        raise DomainError(_("Please correct the marked fields."), fields=errors)
    with transaction(session):
        row = _template_row(session, edition.id, kind, language)
        before = {"subject": row.subject, "body": row.body} if row else default_wording(kind, language).__dict__
        if row is None:
            row = MessageTemplate(edition_id=edition.id, kind=kind, language=language,
                                  subject=wording.subject, body=wording.body)
        row.subject, row.body = wording.subject, wording.body
        row.updated_by_id, row.updated_at = organiser.id, utcnow()
        session.add(row)
        session.flush()
        record(session, Actor.of_user(organiser), "message_template_saved", "message_template", row.id,
               edition_id=edition.id, changes={"kind": kind, "language": language,
                                               "subject": [before["subject"], wording.subject],
                                               "body": [before["body"], wording.body]})
    return row


def reset_template(session: Session, organiser: User, edition: Edition, kind: str, language: str) -> None:
    _check_kind(kind, language)
    with transaction(session):
        row = _template_row(session, edition.id, kind, language)
        if row is None:
            return
        record(session, Actor.of_user(organiser), "message_template_reset", "message_template", row.id,
               edition_id=edition.id, changes={"kind": kind, "language": language,
                                               "subject": [row.subject, None], "body": [row.body, None]})
        session.delete(row)


def _check_kind(kind: str, language: str) -> None:
    if kind not in KINDS or language not in i18n.LANGUAGES:
        raise DomainError(_("There is no such message."))


def preview_candidates(session: Session, edition: Edition) -> list[Nomination]:
    """Candidates whose data a preview may use: everyone past the draft stage, by name."""
    return list(session.exec(select(Nomination).where(
        Nomination.edition_id == edition.id, Nomination.status != NominationStatus.DRAFT)
        .order_by(Nomination.family_name, Nomination.given_name).limit(500)).all())


def preview(session: Session, edition: Edition, kind: str, language: str, wording: Wording,
            nomination_id: int | None) -> RenderedEmail:
    """The message as it would read for one real candidate of the edition (example values where
    the candidate has none, such as a personal link)."""
    nomination = session.get(Nomination, nomination_id) if nomination_id else None
    if nomination is not None and nomination.edition_id != edition.id:
        nomination = None
    context = kind_of(kind).example_context()
    if nomination is not None:
        facts = facts_of(session, nomination, language)
        context.update({name: facts[name] for name in context if name in facts})
    return render_email(kind, language, context, wording)


def facts_of(session: Session, nomination: Nomination, language: str) -> dict[str, str]:
    """What the messages say about a candidate, formatted in the message's language."""
    edition = session.get(Edition, nomination.edition_id)
    organisation = session.get(Organisation, nomination.organisation_id)
    offer = _offer_of(session, nomination)
    lab = session.get(Lab, offer.lab_id) if offer else None
    with i18n.language(language):
        return {"name": nomination.given_name, "candidate": nomination.display_name,
                "guardian": nomination.guardian_name, "organisation": organisation.name,
                "edition": edition.title, "starts_on": format_date(edition.starts_on),
                "ends_on": format_date(edition.ends_on), "lab": lab.label if lab else "",
                "subject_area": lab.subject_area if lab else "",
                "deadline": format_datetime(offer.response_deadline) if offer else ""}


def _offer_of(session: Session, nomination: Nomination) -> Offer | None:
    """The accepted offer, else the newest one that was sent."""
    offers = session.exec(select(Offer).where(Offer.nomination_id == nomination.id,
                                              Offer.status != OfferStatus.PROPOSED)
                          .order_by(Offer.created_at.desc(), Offer.id.desc())).all()
    accepted = [offer for offer in offers if offer.status == OfferStatus.ACCEPTED]
    return (accepted or offers or [None])[0]


# -- letters ----------------------------------------------------------------------------------

LETTER_FILES = {"acceptance": "acceptance-letter", "visa": "visa-letter", "certificate": "certificate"}


def letter_pdf(session: Session, nomination: Nomination, letter: str) -> bytes | None:
    """One letter of this candidate as PDF, or None when their data cannot make it (no passport
    details for a visa letter, for instance)."""
    from ish_portal import letters
    language = nomination.language if nomination.language in letters.LANGUAGES else "en"
    if letter == "visa" and not (nomination.passport_number and nomination.passport_name
                                 and nomination.date_of_birth and nomination.nationality):
        return None
    edition = session.get(Edition, nomination.edition_id)
    offer = _offer_of(session, nomination)
    lab = session.get(Lab, offer.lab_id) if offer and offer.status == OfferStatus.ACCEPTED else None
    try:
        data = letters.LetterData(
            language=language, full_name=nomination.display_name, passport_name=nomination.passport_name,
            date_of_birth=nomination.date_of_birth,
            nationality=letters.country_name(nomination.nationality, language) if nomination.nationality else "",
            passport_number=nomination.passport_number, passport_expiry=nomination.passport_expiry,
            edition_title=edition.title, starts_on=edition.starts_on, ends_on=edition.ends_on,
            lab_group=lab.group_name if lab else "", institute=lab.institute if lab else "",
            tutor_name=lab.tutor_name if lab else "", issued_on=local(utcnow()).date(),
            reference=f"ISH-{edition.year}-{nomination.id:04d}")
        make = {"acceptance": letters.acceptance_letter, "visa": letters.visa_letter,
                "certificate": letters.certificate}[letter]
        return make(data)
    except (letters.LetterDataError, letters.MarkupError):
        log.warning("the %s letter of nomination %s cannot be made", letter, nomination.id, exc_info=True)
        return None


def letters_for(session: Session, nomination: Nomination | None,
                names: tuple[str, ...]) -> list[tuple[str, str, bytes]]:
    if nomination is None:
        return []
    attached = []
    for name in names:
        pdf = letter_pdf(session, nomination, name)
        if pdf is not None:
            attached.append((f"{LETTER_FILES[name]}-{nomination.id}.pdf", "application/pdf", pdf))
    return attached


def applicant_letter(session: Session, nomination: Nomination, letter: str) -> bytes | None:
    """A letter the applicant may download: only once they accepted their place."""
    if letter not in ("acceptance", "visa") or nomination.status != NominationStatus.ACCEPTED:
        return None
    return letter_pdf(session, nomination, letter)


# -- messages caused by other areas ------------------------------------------------------------

def _coordinators(session: Session, organisation_id: int) -> list[User]:
    return list(session.exec(select(User).where(User.organisation_id == organisation_id,
                                                User.role == Role.COORDINATOR, User.is_active)
                             .order_by(User.id)).all())


def notify_withdrawal(session: Session, nomination: Nomination, reason: str) -> None:
    """Tells the candidate (if they ever heard of the nomination) and the organisation's
    coordinators that a nomination was withdrawn. Caller holds the transaction."""
    edition = session.get(Edition, nomination.edition_id)
    organisation = session.get(Organisation, nomination.organisation_id)
    context = {"name": nomination.given_name, "candidate": nomination.display_name,
               "edition": edition.title, "organisation": organisation.name, "reason": reason.strip()}
    if nomination.submitted_at is not None:
        enqueue(session, kind="withdrawal", to=nomination.email, language=nomination.language,
                context=context, edition_id=edition.id, nomination_id=nomination.id)
    for coordinator in _coordinators(session, nomination.organisation_id):
        enqueue(session, kind="withdrawal_coordinator", to=coordinator.email, language=coordinator.language,
                context={**context, "name": coordinator.full_name}, edition_id=edition.id,
                nomination_id=nomination.id)


# -- reminders (the worker's housekeeping) -----------------------------------------------------

def send_offer_reminders(session: Session, base_url: str, now: datetime | None = None) -> int:
    """One reminder per pending offer, once its deadline is within the edition's
    reminder_days_before. The offer row is locked, so two workers never remind twice."""
    now = now or utcnow()
    sent = 0
    with transaction(session):
        query = (select(Offer, Nomination, Edition)
                 .join(Nomination, Nomination.id == Offer.nomination_id)
                 .join(Edition, Edition.id == Nomination.edition_id)
                 .where(Offer.status == OfferStatus.PENDING, Offer.reminded_at.is_(None),
                        Offer.response_deadline > now)
                 .with_for_update(skip_locked=True, of=Offer))
        for offer, nomination, edition in session.exec(query).all():
            if offer.response_deadline > now + timedelta(days=edition.reminder_days_before):
                continue
            lab = session.get(Lab, offer.lab_id)
            with i18n.language(nomination.language):
                deadline = format_datetime(offer.response_deadline)
            enqueue(session, kind="offer_reminder", to=nomination.email, language=nomination.language,
                    edition_id=edition.id, nomination_id=nomination.id,
                    context={"name": nomination.given_name, "edition": edition.title, "lab": lab.label,
                             "deadline": deadline, "link": f"{base_url}/access"})
            offer.reminded_at = now
            session.add(offer)
            record(session, SYSTEM, "offer_reminder_sent", "offer", offer.id, edition_id=edition.id,
                   organisation_id=nomination.organisation_id, nomination_id=nomination.id)
            sent += 1
    return sent


def send_missing_documents_reminders(session: Session, base_url: str, now: datetime | None = None) -> int:
    """Coordinators of drafts that still miss something hear about each such draft in the last
    MISSING_DOCUMENTS_DAYS_BEFORE days before their deadline, at most once a day per draft."""
    from ish_portal.nominations.service import missing_items
    from ish_portal.programme.service import deadline_of

    now = now or utcnow()
    window = timedelta(days=MISSING_DOCUMENTS_DAYS_BEFORE)
    sent = 0
    with transaction(session):
        # Deadlines can be extended per organisation, so the edition's own deadline only bounds the search.
        query = (select(Nomination, Edition).join(Edition, Edition.id == Nomination.edition_id)
                 .where(Nomination.status == NominationStatus.DRAFT,
                        Edition.nomination_closes_at > now - timedelta(days=365))
                 .with_for_update(skip_locked=True, of=Nomination))
        for nomination, edition in session.exec(query).all():
            quota = session.exec(select(Quota).where(Quota.edition_id == edition.id,
                                                     Quota.organisation_id == nomination.organisation_id)).first()
            deadline = deadline_of(edition, quota)
            if not (now < deadline <= now + window):
                continue
            recent = session.exec(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.kind == "missing_documents_reminder",
                OutboxMessage.nomination_id == nomination.id,
                OutboxMessage.created_at > now - timedelta(days=1))).one()
            if recent:
                continue
            for coordinator in _coordinators(session, nomination.organisation_id):
                with i18n.language(coordinator.language):
                    missing = missing_items(session, nomination, edition)
                    when = format_datetime(deadline)
                if not missing:
                    break
                enqueue(session, kind="missing_documents_reminder", to=coordinator.email,
                        language=coordinator.language, edition_id=edition.id, nomination_id=nomination.id,
                        context={"name": coordinator.full_name, "candidate": nomination.display_name,
                                 "edition": edition.title, "deadline": when,
                                 "missing": "\n".join(f"- {item}" for item in missing),
                                 "link": f"{base_url}/coordinator/nominations/{nomination.id}"})
                sent += 1
    return sent


# -- bulk messages as drafts --------------------------------------------------------------------

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


def batches(session: Session, edition: Edition) -> list[BatchSummary]:
    rows = session.exec(select(OutboxMessage.batch, OutboxMessage.kind, OutboxMessage.status,
                               func.count(), func.min(OutboxMessage.created_at))
                        .where(OutboxMessage.edition_id == edition.id, OutboxMessage.batch.is_not(None))
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


def batch_messages(session: Session, edition: Edition, batch: str, page: int = 1) -> tuple[list[OutboxMessage], int]:
    where = (OutboxMessage.edition_id == edition.id, OutboxMessage.batch == batch)
    total = session.exec(select(func.count()).select_from(OutboxMessage).where(*where)).one()
    rows = session.exec(select(OutboxMessage).where(*where).order_by(OutboxMessage.id)
                        .offset((max(page, 1) - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return list(rows), total


def message_of(session: Session, edition: Edition, message_id: int) -> OutboxMessage:
    message = session.get(OutboxMessage, message_id)
    if message is None or message.edition_id != edition.id:
        raise DomainError(_("There is no such message."))
    return message


def attachments_of(session: Session, message: OutboxMessage) -> list[tuple[int, str, int]]:
    """(id, filename, size) of a message's attachments, without loading their bytes."""
    return [(row[0], row[1], row[2] or 0) for row in session.exec(
        select(OutboxAttachment.id, OutboxAttachment.filename, func.length(OutboxAttachment.data))
        .where(OutboxAttachment.outbox_message_id == message.id).order_by(OutboxAttachment.id)).all()]


def attachment_of(session: Session, edition: Edition, message_id: int, attachment_id: int) -> OutboxAttachment:
    message_of(session, edition, message_id)
    attachment = session.get(OutboxAttachment, attachment_id)
    if attachment is None or attachment.outbox_message_id != message_id:
        raise DomainError(_("There is no such attachment."))
    return attachment


def _draft(session: Session, edition: Edition, message_id: int) -> OutboxMessage:
    message = session.exec(select(OutboxMessage).where(OutboxMessage.id == message_id)
                           .with_for_update().execution_options(populate_existing=True)).first()
    if message is None or message.edition_id != edition.id:
        raise DomainError(_("There is no such message."))
    if message.status != OutboxStatus.DRAFT:
        raise DomainError(_("This message is no longer a draft: it has been sent or discarded."))
    return message


def edit_draft(session: Session, organiser: User, edition: Edition, message_id: int,
               subject: str, body: str) -> OutboxMessage:
    subject, body = " ".join(subject.split()), body.replace("\r\n", "\n").strip()
    errors = {}
    if not subject:
        errors["subject"] = _("Enter a subject.")
    elif len(subject) > 300:
        errors["subject"] = _("Keep the subject under 300 characters.")
    if not body:
        errors["body"] = _("Enter the text of the message.")
    if errors:
        raise DomainError(_("Please correct the marked fields."), fields=errors)
    with transaction(session):
        message = _draft(session, edition, message_id)
        rendered = assemble(subject, body, message.language)
        changes = {"subject": [message.subject, rendered.subject], "body": [message.body_text, rendered.text]}
        message.subject, message.body_text, message.body_html = rendered.subject, rendered.text, rendered.html
        session.add(message)
        record(session, Actor.of_user(organiser), "draft_edited", "outbox_message", message.id,
               edition_id=edition.id, nomination_id=message.nomination_id, changes=changes)
    return message


def discard_draft(session: Session, organiser: User, edition: Edition, message_id: int) -> str | None:
    """Deletes one draft; returns its batch."""
    with transaction(session):
        message = _draft(session, edition, message_id)
        batch = message.batch
        session.exec(delete(OutboxAttachment).where(OutboxAttachment.outbox_message_id == message.id))
        record(session, Actor.of_user(organiser), "draft_discarded", "outbox_message", message.id,
               edition_id=edition.id, nomination_id=message.nomination_id,
               changes={"batch": batch, "kind": message.kind, "recipient": message.recipient})
        session.delete(message)
    return batch


def send_batch(session: Session, organiser: User, edition: Edition, batch: str) -> int:
    """Every draft of the batch goes to the outbox at once, in one transaction."""
    with transaction(session):
        result = session.exec(update(OutboxMessage).where(
            OutboxMessage.edition_id == edition.id, OutboxMessage.batch == batch,
            OutboxMessage.status == OutboxStatus.DRAFT).values(status=OutboxStatus.QUEUED,
                                                                next_attempt_at=utcnow()))
        if result.rowcount == 0:
            raise DomainError(_("This batch has no drafts left to send."))
        record(session, Actor.of_user(organiser), "batch_sent", "outbox_batch", None, edition_id=edition.id,
               changes={"batch": batch, "messages": result.rowcount})
    return result.rowcount


def regenerate_batch(session: Session, organiser: User, edition: Edition, batch: str) -> int:
    """Renders every draft of the batch again from the context it was made from, with the
    wording as it is now. Edits made to single drafts are replaced."""
    with transaction(session):
        drafts = session.exec(select(OutboxMessage).where(
            OutboxMessage.edition_id == edition.id, OutboxMessage.batch == batch,
            OutboxMessage.status == OutboxStatus.DRAFT).with_for_update()).all()
        if not drafts:
            raise DomainError(_("This batch has no drafts left to render again."))
        for message in drafts:
            rendered = render_email(message.kind, message.language, message.context,
                                    _override(session, edition.id, message.kind, message.language))
            message.subject, message.body_text, message.body_html = rendered.subject, rendered.text, rendered.html
            session.add(message)
        record(session, Actor.of_user(organiser), "batch_regenerated", "outbox_batch", None,
               edition_id=edition.id, changes={"batch": batch, "messages": len(drafts)})
    return len(drafts)


def _accepted(session: Session, edition: Edition) -> list[Nomination]:
    return list(session.exec(select(Nomination).where(
        Nomination.edition_id == edition.id, Nomination.status == NominationStatus.ACCEPTED)
        .order_by(Nomination.family_name, Nomination.given_name, Nomination.id)).all())


def _new_batch(session: Session, organiser: User, edition: Edition, kind: str) -> str:
    accepted = _accepted(session, edition)
    if not accepted:
        raise DomainError(_("No student has accepted a place in this edition yet."))
    batch = f"{kind}-{edition.year}-{utcnow():%Y%m%d-%H%M%S}"
    with transaction(session):
        for nomination in accepted:
            facts = facts_of(session, nomination, nomination.language)
            context = {name: facts[name] for name in kind_of(kind).names}
            enqueue(session, kind=kind, to=nomination.email, language=nomination.language, context=context,
                    edition_id=edition.id, nomination_id=nomination.id, batch=batch, draft=True)
        record(session, Actor.of_user(organiser), "batch_created", "outbox_batch", None, edition_id=edition.id,
               changes={"batch": batch, "kind": kind, "messages": len(accepted)})
    return batch


def create_welcome_batch(session: Session, organiser: User, edition: Edition) -> str:
    """Practical information before arrival, as drafts to every student who accepted."""
    return _new_batch(session, organiser, edition, "welcome_information")


def create_certificate_batch(session: Session, organiser: User, edition: Edition) -> str:
    """The certificates, as drafts with the PDF attached, from the programme's last day on."""
    if local(utcnow()).date() < edition.ends_on:
        raise DomainError(_("Certificates can be prepared from the last day of the programme, %(day)s.",
                             day=format_date(edition.ends_on)))
    return _new_batch(session, organiser, edition, "certificate")


# -- failures -----------------------------------------------------------------------------------

def failed_messages(session: Session, page: int = 1) -> tuple[list[OutboxMessage], int]:
    where = OutboxMessage.status == OutboxStatus.FAILED
    total = session.exec(select(func.count()).select_from(OutboxMessage).where(where)).one()
    rows = session.exec(select(OutboxMessage).where(where).order_by(OutboxMessage.created_at.desc(),
                                                                     OutboxMessage.id.desc())
                        .offset((max(page, 1) - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return list(rows), total


def retry_failed(session: Session, organiser: User, message_id: int) -> OutboxMessage:
    """Back to the queue for one more try; the attempts so far stay counted."""
    with transaction(session):
        message = session.exec(select(OutboxMessage).where(OutboxMessage.id == message_id)
                               .with_for_update().execution_options(populate_existing=True)).first()
        if message is None or message.status != OutboxStatus.FAILED:
            raise DomainError(_("This message has not failed, so there is nothing to retry."))
        message.status, message.next_attempt_at = OutboxStatus.QUEUED, utcnow()
        session.add(message)
        record(session, Actor.of_user(organiser), "message_retried", "outbox_message", message.id,
               edition_id=message.edition_id, nomination_id=message.nomination_id,
               from_state=OutboxStatus.FAILED, to_state=OutboxStatus.QUEUED,
               changes={"attempts": message.attempts, "last_error": message.last_error})
    return message
