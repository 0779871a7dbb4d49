"""The rules of nominations. change_status is the one door through which a nomination's status
moves: it checks the move against ALLOWED_TRANSITIONS and records the audit event, in the
caller's transaction. Every query for a coordinator is scoped to their own organisation, so a
candidate of another organisation is simply not found."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, BinaryIO

from sqlalchemy import bindparam
from sqlmodel import Session, select

from ish_portal.errors import DomainError, NotFound
from ish_portal.accounts.models import User
from ish_portal.audit.models import AuditEvent
from ish_portal.audit.service import Actor, record
from ish_portal.db import transaction, utcnow
from ish_portal.labs.models import Lab
from ish_portal.nominations.forms import CandidateForm, country_name
from ish_portal.nominations.models import (
    ALLOWED_TRANSITIONS,
    Document,
    DocumentBlob,
    Nomination,
    NominationStatus,
)
from ish_portal.nominations import messages
from ish_portal.notifications.service import enqueue
from ish_portal.programme.models import DocumentKind, Edition, Quota
from ish_portal.nominations.places import places_used
from ish_portal.programme.service import deadline_of, has_ended
from ish_portal.text.i18n import gettext as _
from ish_portal.text.timefmt import format_date, format_datetime

S = NominationStatus
CHUNK = 64 * 1024
# What a file's first bytes must be for each accepted type: content decides, never the name.
SIGNATURES = {"application/pdf": b"%PDF-", "image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}








# -- words ------------------------------------------------------------------------------------

def status_label(status: str) -> str:
    return {
        S.DRAFT: _("draft"), S.SUBMITTED: _("submitted"), S.APPROVED: _("approved"),
        S.REJECTED: _("not accepted"), S.OFFERED: _("offered a place"), S.ACCEPTED: _("accepted"),
        S.DECLINED: _("declined"), S.EXPIRED: _("offer expired"), S.WITHDRAWN: _("withdrawn"),
    }[NominationStatus(status)]


def document_label(kind: str) -> str:
    return {
        DocumentKind.CV: _("CV"), DocumentKind.MOTIVATION_LETTER: _("Motivation letter (English)"),
        DocumentKind.SCHOOL_REPORT: _("Latest school report"),
        DocumentKind.GUARDIAN_CONSENT: _("Guardian's consent (signed form)"), DocumentKind.OTHER: _("Other"),
    }.get(kind, kind)


FIELD_LABELS = {
    "given_name": "Given name", "family_name": "Family name", "name_order": "Name order", "passport_name": "Name as in the passport",
    "date_of_birth": "Date of birth", "email": "Email address", "phone": "Phone", "nationality": "Nationality",
    "school": "School", "school_leaving_year": "School-leaving year", "subjects": "Subjects of interest",
    "english_level": "English level", "german_level": "German level", "statement": "Short statement",
    "guardian_name": "Guardian's name", "guardian_email": "Guardian's email address",
    "review_score": "Review score", "language": "Language of the candidate's emails",
    "guardian_language": "Language of the guardian's emails",
}


def field_label(field: str) -> str:
    return _(FIELD_LABELS.get(field, field))


# -- the state machine ------------------------------------------------------------------------

# What must follow a status move in another area, in the same transaction: placement ends the offer
# of a withdrawn candidate and frees the seat. Areas that build on nominations register here when
# they are imported (the application imports them all), so nominations imports none of them.
Follower = Callable[[Session, Nomination, NominationStatus, Actor], None]
_followers: list[Follower] = []


def when_status_changes(follower: Follower) -> Follower:
    _followers.append(follower)
    return follower


# The moves forward that a withdrawn consent holds back (nominations/consent.py); moves back, out
# or to a refusal stay open, so an offer can still be taken back or the candidate withdrawn.
HELD_BY_A_WITHDRAWN_CONSENT = frozenset({(S.SUBMITTED, S.APPROVED), (S.REJECTED, S.APPROVED),
                                         (S.APPROVED, S.OFFERED), (S.OFFERED, S.ACCEPTED)})


def change_status(session: Session, nomination: Nomination, to: NominationStatus, actor: Actor,
                  reason: str = "") -> None:
    """The one door of a nomination's status: checks the move against ALLOWED_TRANSITIONS, records
    it, and lets the areas that registered with when_status_changes do what must follow."""
    current = NominationStatus(nomination.status)
    if to not in ALLOWED_TRANSITIONS[current]:
        raise DomainError(_("A nomination that is %(current)s cannot become %(to)s.",
                                current=status_label(current), to=status_label(to)))
    if nomination.consent_withdrawn_at is not None and (current, to) in HELD_BY_A_WITHDRAWN_CONSENT:
        raise DomainError(_("A consent has been withdrawn: the nomination cannot move on until it is given again."))
    nomination.status = to
    nomination.updated_at = utcnow()
    if to == S.SUBMITTED:
        nomination.submitted_at = nomination.updated_at
    session.add(nomination)
    record(session, actor, "status_changed", "nomination", nomination.id, from_state=current,
           to_state=to, reason=reason, edition_id=nomination.edition_id,
           organisation_id=nomination.organisation_id, nomination_id=nomination.id)
    for follower in _followers:
        follower(session, nomination, to, actor)


# -- reading, scoped ----------------------------------------------------------------------------

def nominations_of_organisation(session: Session, coordinator: User, edition_id: int) -> list[Nomination]:
    """A coordinator's candidates: the query itself is scoped to their organisation."""
    return list(session.exec(select(Nomination).where(
        Nomination.organisation_id == coordinator.organisation_id,
        Nomination.edition_id == edition_id).order_by(Nomination.created_at, Nomination.id)).all())


def own_nomination(session: Session, coordinator: User, nomination_id: int, *, fresh: bool = False) -> Nomination:
    query = select(Nomination).where(Nomination.id == nomination_id,
                                     Nomination.organisation_id == coordinator.organisation_id)
    if fresh:  # read again from the database, not from the session's memory
        query = query.execution_options(populate_existing=True)
    nomination = session.exec(query).first()
    if nomination is None:
        raise NotFound()
    return nomination


def documents_of(session: Session, nomination: Nomination) -> list[Document]:
    return list(session.exec(_DOCUMENTS_OF, params={"nomination_id": nomination.id}).all())


# Built once, as the statements the applicant's status page sends on every request are (see
# docs/performance.md): building a statement and its cache key costs about as much CPU as running it.
_DOCUMENTS_OF = (select(Document).where(Document.nomination_id == bindparam("nomination_id"))
                 .order_by(Document.kind, Document.uploaded_at))


# What the selection did inside Heidelberg (scores, the panel's reviews and their assignment):
# recorded with the nomination, but not shown in its coordinator's history. The panel adds its own.
SELECTION_ACTIONS: set[str] = {"review_score_changed"}


def history_of(session: Session, nomination: Nomination, *, for_coordinator: bool = False) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.nomination_id == nomination.id)
    if for_coordinator:
        query = query.where(AuditEvent.action.not_in(sorted(SELECTION_ACTIONS)))
    return list(session.exec(query.order_by(AuditEvent.occurred_at, AuditEvent.id)).all())


def subject_areas(session: Session, edition_id: int) -> list[str]:
    """The subjects candidates can choose: the subject areas of the edition's labs."""
    return sorted(set(session.exec(select(Lab.subject_area).where(Lab.edition_id == edition_id,
                                                                 Lab.retired == False)).all()))  # noqa: E712


# -- what is still missing ----------------------------------------------------------------------

REQUIRED_FIELDS = ["passport_name", "date_of_birth", "email", "phone", "nationality", "school",
                   "school_leaving_year", "subjects", "english_level", "german_level", "statement"]


def is_minor(nomination: Nomination, edition: Edition) -> bool:
    age = nomination.age_on(edition.starts_on)
    return age is not None and age < edition.guardian_consent_below_age


def required_documents(nomination: Nomination, edition: Edition) -> list[str]:
    return [kind for kind in edition.required_documents
            if kind != DocumentKind.GUARDIAN_CONSENT or is_minor(nomination, edition)]


def missing_items(session: Session, nomination: Nomination, edition: Edition) -> list[str]:
    """Everything that must be there before the nomination can be submitted, in words."""
    missing = [field_label(field) for field in REQUIRED_FIELDS if not getattr(nomination, field)]
    if is_minor(nomination, edition):
        missing += [field_label(field) for field in ("guardian_name", "guardian_email")
                    if not getattr(nomination, field)]
    uploaded = {document.kind for document in documents_of(session, nomination)}
    missing += [_("Document: %(kind)s", kind=document_label(kind))
                for kind in required_documents(nomination, edition) if kind not in uploaded]
    return missing


# -- the nomination window ----------------------------------------------------------------------

def _quota(session: Session, nomination_or_ids, lock: bool = False) -> Quota | None:
    edition_id, organisation_id = nomination_or_ids
    query = select(Quota).where(Quota.edition_id == edition_id, Quota.organisation_id == organisation_id)
    if lock:
        # Serialises every submission of one organisation (PostgreSQL row lock; SQLite already
        # holds its write lock inside transaction()).
        query = query.with_for_update()
    return session.exec(query).first()


def check_window(edition: Edition, quota: Quota | None, now: datetime, for_submission: bool) -> None:
    if quota is None or quota.dormant or quota.places == 0:
        raise DomainError(_("Your organisation has no places in %(edition)s.", edition=edition.title))
    if for_submission and now < edition.nomination_opens_at:
        raise DomainError(_("Nominations open on %(when)s.", when=format_datetime(edition.nomination_opens_at)))
    deadline = deadline_of(edition, quota)
    if now > deadline:
        raise DomainError(_("The deadline for nominations passed on %(when)s. Please contact the organisers.",
                                when=format_datetime(deadline)))


# -- coordinators' changes ----------------------------------------------------------------------

def check_against_edition(form: CandidateForm, edition: Edition, subjects: list[str]) -> dict[str, str]:
    """{field: message} for the values that do not fit the edition (age, school-leaving year,
    subjects); a route also asks it about a form refused for other fields, to report all at once."""
    errors = {}
    if form.date_of_birth is not None:
        age = Nomination(date_of_birth=form.date_of_birth, given_name="", family_name="",
                         email="").age_on(edition.starts_on)
        if not edition.min_age <= age <= edition.max_age:
            errors["date_of_birth"] = _(
                "Candidates must be %(low)d to %(high)d years old on the first day of the programme "
                "(%(day)s); this candidate would be %(age)d.", low=edition.min_age, high=edition.max_age,
                day=format_date(edition.starts_on), age=age)
    if form.school_leaving_year is not None and not edition.year - 3 <= form.school_leaving_year <= edition.year + 1:
        errors["school_leaving_year"] = _("Enter a year between %(low)d and %(high)d.",
                                          low=edition.year - 3, high=edition.year + 1)
    unknown = [subject for subject in form.subjects if subject not in subjects]
    if unknown:
        errors["subjects"] = _("Choose subjects from the list.")
    return errors


def _changes(nomination: Nomination, form: CandidateForm) -> dict[str, list[Any]]:
    changes = {}
    for field, new in form.model_dump().items():
        old = getattr(nomination, field)
        if old != new:
            changes[field] = [_jsonable(old), _jsonable(new)]
    return changes


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def save_draft(session: Session, coordinator: User, edition: Edition, form: CandidateForm,
               nomination_id: int | None = None) -> Nomination:
    """Creates a draft (nomination_id None) or changes one. Raises DomainError with the fields for values that do
    not fit the edition."""
    with transaction(session):
        quota = _quota(session, (edition.id, coordinator.organisation_id))
        check_window(edition, quota, utcnow(), for_submission=False)
        errors = check_against_edition(form, edition, subject_areas(session, edition.id))
        if errors:
            raise DomainError(_("Please correct the marked fields."), fields=errors)
        actor = Actor.of_user(coordinator)
        if nomination_id is None:
            nomination = Nomination(edition_id=edition.id, organisation_id=coordinator.organisation_id,
                                    created_by_id=coordinator.id, **form.model_dump())
            session.add(nomination)
            session.flush()
            record(session, actor, "nomination_created", "nomination", nomination.id, to_state=S.DRAFT,
                   changes={k: [None, _jsonable(v)] for k, v in form.model_dump().items() if v},
                   edition_id=edition.id, organisation_id=nomination.organisation_id,
                   nomination_id=nomination.id)
            return nomination
        nomination = own_nomination(session, coordinator, nomination_id, fresh=True)
        if nomination.status != S.DRAFT:
            raise DomainError(_("Only a draft can be changed. Write to the organisers to correct a submitted nomination."))
        changes = _changes(nomination, form)
        if changes:
            for field, (_old, new) in changes.items():
                setattr(nomination, field, getattr(form, field))
            nomination.updated_at = utcnow()
            session.add(nomination)
            record(session, actor, "nomination_changed", "nomination", nomination.id, changes=changes,
                   edition_id=edition.id, organisation_id=nomination.organisation_id,
                   nomination_id=nomination.id)
        return nomination




def safe_filename(name: str) -> str:
    """The name shown for an upload: the last path part, without control characters."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C").strip()
    return name[:200] or "document"


def read_upload(stream: BinaryIO, limit_bytes: int) -> tuple[bytes, str]:
    """The file's bytes and its recognised type, read in chunks and refused as soon as it passes
    the limit."""
    chunks, size = [], 0
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > limit_bytes:
            raise DomainError(_("The file is larger than %(mb)d MB. Please make it smaller.",
                                    mb=limit_bytes // (1024 * 1024)))
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise DomainError(_("The file is empty. Choose the file again."))
    for content_type, signature in SIGNATURES.items():
        if data.startswith(signature):
            return data, content_type
    raise DomainError(_("Only PDF, JPEG and PNG files are accepted; this file is none of them."))


def upload_document(session: Session, actor: Actor, nomination: Nomination, edition: Edition,
                    kind: str, filename: str, stream: BinaryIO) -> Document:
    """Adds a document, replacing an earlier one of the same kind (not for "other")."""
    if kind not in set(DocumentKind):
        raise DomainError(_("Choose which document this is."))
    data, content_type = read_upload(stream, edition.upload_limit_mb * 1024 * 1024)
    with transaction(session):
        replaced = []
        if kind != DocumentKind.OTHER:
            replaced = list(session.exec(select(Document).where(Document.nomination_id == nomination.id,
                                                                Document.kind == kind)).all())
            for old in replaced:
                delete_document_with_bytes(session, old)
        document = Document(nomination_id=nomination.id, kind=kind, original_filename=safe_filename(filename),
                            content_type=content_type, size_bytes=len(data),
                            sha256=hashlib.sha256(data).hexdigest(), uploaded_by=actor.label)
        session.add(document)
        session.flush()
        session.add(DocumentBlob(document_id=document.id, data=data))
        record(session, actor, "document_replaced" if replaced else "document_uploaded", "document",
               document.id, changes={"kind": kind, "file": document.original_filename,
                                     "bytes": len(data)},
               edition_id=nomination.edition_id, organisation_id=nomination.organisation_id,
               nomination_id=nomination.id)
    return document


def upload_as_coordinator(session: Session, coordinator: User, nomination_id: int, kind: str,
                          filename: str, stream: BinaryIO) -> Document:
    nomination = own_nomination(session, coordinator, nomination_id, fresh=True)
    edition = session.get(Edition, nomination.edition_id)
    if nomination.status != S.DRAFT:
        raise DomainError(_("Documents can be changed only while the nomination is a draft."))
    check_window(edition, _quota(session, (edition.id, nomination.organisation_id)), utcnow(), False)
    return upload_document(session, Actor.of_user(coordinator), nomination, edition, kind, filename, stream)


def delete_document(session: Session, coordinator: User, nomination_id: int, document_id: int) -> None:
    with transaction(session):
        nomination = own_nomination(session, coordinator, nomination_id, fresh=True)
        document = session.exec(select(Document).where(Document.id == document_id,
                                                       Document.nomination_id == nomination.id)).first()
        if document is None:
            raise NotFound()
        if nomination.status != S.DRAFT:
            raise DomainError(_("Documents can be changed only while the nomination is a draft."))
        delete_document_with_bytes(session, document)
        record(session, Actor.of_user(coordinator), "document_removed", "document", document.id,
               changes={"kind": document.kind, "file": document.original_filename},
               edition_id=nomination.edition_id, organisation_id=nomination.organisation_id,
               nomination_id=nomination.id)


def delete_document_with_bytes(session: Session, document: Document) -> None:
    """Removes a document and its bytes; the caller holds the transaction."""
    # The bytes first: the database refuses to orphan them.
    session.delete(session.get(DocumentBlob, document.id))
    session.flush()
    session.delete(document)
    session.flush()


@dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    data: bytes


def download(session: Session, document_id: int, *, user: User | None = None,
             applicant: Nomination | None = None) -> Download:
    """A document for its candidate, their coordinator, or an organiser; NotFound for anyone else."""
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound()
    nomination = session.get(Nomination, document.nomination_id)
    allowed = ((applicant is not None and applicant.id == nomination.id)
               or (user is not None and user.is_organiser)
               or (user is not None and user.is_coordinator and user.organisation_id == nomination.organisation_id))
    if not allowed:
        raise NotFound()
    blob = session.get(DocumentBlob, document.id)
    return Download(document.original_filename, document.content_type, blob.data)


def submit(session: Session, coordinator: User, nomination_id: int, base_url: str,
           access_link_days: int) -> Nomination:
    """Sends a complete draft to Heidelberg. It takes one place: the organisation's quota row is
    locked first, so that concurrent submissions are counted one after the other."""
    with transaction(session):
        scoped = own_nomination(session, coordinator, nomination_id)
        quota = _quota(session, (scoped.edition_id, scoped.organisation_id), lock=True)
        nomination = own_nomination(session, coordinator, nomination_id, fresh=True)
        edition = session.get(Edition, nomination.edition_id)
        if nomination.status != S.DRAFT:
            raise DomainError(_("This nomination has already been submitted."))
        check_window(edition, quota, utcnow(), for_submission=True)
        missing = missing_items(session, nomination, edition)
        if missing:
            raise DomainError(_("The nomination cannot be submitted yet. Still missing:"), details=missing)
        used = places_used(session, edition.id, nomination.organisation_id)
        if used >= quota.places:
            raise DomainError(_("All %(places)d places of your organisation are taken. Withdraw a "
                                    "candidate first, or ask the organisers for another place.",
                                    places=quota.places))
        change_status(session, nomination, S.SUBMITTED, Actor.of_user(coordinator))
        _notify_submission(session, nomination, edition, coordinator, base_url, access_link_days)
    return nomination


def _notify_submission(session: Session, nomination: Nomination, edition: Edition, coordinator: User,
                       base_url: str, access_link_days: int) -> None:
    """The candidate's personal link, the guardian's consent request for a minor, and the
    coordinator's confirmation, each in its reader's language."""
    facts = {"nomination": nomination.id}
    enqueue(session, "nomination_received", messages.candidate_reader(session, nomination),
            {**facts, "days": access_link_days}, edition_id=edition.id, nomination_id=nomination.id,
            base_url=base_url)
    if is_minor(nomination, edition) and nomination.guardian_email:
        enqueue(session, "guardian_consent_request", messages.guardian_reader(session, nomination), facts,
                edition_id=edition.id, nomination_id=nomination.id, base_url=base_url)
    enqueue(session, "submission_confirmation", messages.coordinator_reader(session, coordinator), facts,
            edition_id=edition.id, nomination_id=nomination.id, base_url=base_url)


# Between two consent requests to one guardian: a second click is not a second email.
GUARDIAN_REQUEST_PAUSE = timedelta(minutes=15)


def guardian_request_refused(nomination: Nomination, edition: Edition) -> str | None:
    """Why the guardian's consent request cannot be sent again now, or None when it can: it is for
    a submitted minor whose guardian has an address and has not consented yet."""
    if not is_minor(nomination, edition) or not nomination.guardian_email:
        return _("Only the guardian of a minor with an email address is asked for consent.")
    if nomination.guardian_consent_at is not None:
        return _("The guardian has already given their consent.")
    if nomination.status not in (S.SUBMITTED, S.APPROVED, S.OFFERED):
        return _("This nomination asks nothing more of the guardian.")
    return None


def send_guardian_request_again(session: Session, coordinator: User, nomination_id: int, base_url: str) -> Nomination:
    """Emails the guardian a new consent link, as at submission (when the first email was lost, or
    went to an address since corrected)."""
    with transaction(session):
        nomination = own_nomination(session, coordinator, nomination_id, fresh=True)
        edition = session.get(Edition, nomination.edition_id)
        if (refused := guardian_request_refused(nomination, edition)) is not None:
            raise DomainError(refused)
        last = session.exec(select(AuditEvent.occurred_at).where(
            AuditEvent.nomination_id == nomination.id, AuditEvent.action == "guardian_request_sent_again")
            .order_by(AuditEvent.occurred_at.desc())).first()
        if last is not None and last > utcnow() - GUARDIAN_REQUEST_PAUSE:
            raise DomainError(_("The link went to the guardian at %(when)s: give them a little time before sending "
                                "another.", when=format_datetime(last)))
        enqueue(session, "guardian_consent_request", messages.guardian_reader(session, nomination),
                {"nomination": nomination.id}, edition_id=edition.id, nomination_id=nomination.id, base_url=base_url)
        record(session, Actor.of_user(coordinator), "guardian_request_sent_again", "nomination", nomination.id,
               edition_id=edition.id, organisation_id=nomination.organisation_id, nomination_id=nomination.id)
    return nomination


def withdraw(session: Session, coordinator: User, nomination_id: int, reason: str) -> Nomination:
    """Withdraws a candidate; their place is free again at once."""
    with transaction(session):
        nomination = own_nomination(session, coordinator, nomination_id, fresh=True)
        withdraw_candidate(session, nomination, Actor.of_user(coordinator), reason)
    return nomination


def record_closed(edition: Edition) -> str | None:
    """Why what was decided and recorded for this edition's candidates can no longer change, or
    None while it can. After the programme's last day, eligibility, scores, interviews and consents
    are what happened: a change then would send a candidate news about a summer that is over."""
    if has_ended(edition):
        return _("%(edition)s has ended: what was decided and recorded for its candidates stays as it was.",
                 edition=edition.title)
    return None


def refuse_when_closed(edition: Edition) -> None:
    """The doors that would change what record_closed keeps refuse with its reason."""
    if (closed := record_closed(edition)) is not None:
        raise DomainError(closed)


def withdrawal_refused(nomination: Nomination, edition: Edition) -> str | None:
    """Why the candidate cannot be withdrawn, or None when they can. Once the programme's last day
    is past (in Heidelberg), what happened stays as it happened: a withdrawal then would tell the
    candidate they are out of a summer they spent, free a seat nobody can take, and change how long
    their data is kept."""
    if S.WITHDRAWN not in ALLOWED_TRANSITIONS[NominationStatus(nomination.status)]:
        return _("This nomination can no longer be withdrawn.")
    if has_ended(edition):
        return _("%(edition)s has ended: its candidates can no longer be withdrawn.", edition=edition.title)
    return None


def withdraw_candidate(session: Session, nomination: Nomination, actor: Actor, reason: str) -> None:
    """Withdraws a candidate in any status that allows it, and tells them and their coordinators.
    Whatever else follows (an offer ended, a seat offered to the waitlist) the status door's
    followers do. Caller holds the transaction."""
    refused = withdrawal_refused(nomination, session.get(Edition, nomination.edition_id))
    if refused:
        raise DomainError(refused)
    change_status(session, nomination, S.WITHDRAWN, actor, reason=reason)
    messages.notify_withdrawal(session, nomination, reason)


def nationality_name(nomination: Nomination) -> str:
    return country_name(nomination.nationality) if nomination.nationality else ""
