"""The rules of the applicant's side: profile, consent, lab preferences, their data; and of their
guardian's consent. Every function is given the applicant's own nomination, taken from their
session, so an applicant can never reach another's data."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, select

from ish_portal.errors import DomainError
from ish_portal.accounts.models import AccessToken, PublicForm, TokenPurpose, User
from ish_portal.accounts.service import (
    LinkSettings,
    consume_token,
    find_token,
    hash_token,
    normalise_email,
    organisation_and_coordinators,
    replace_applicant_links,
    when_public_request,
)
from ish_portal.applicants.forms import ProfileForm
from ish_portal.audit.service import Actor, access_label, record, sensitive_access_of
from ish_portal.db import transaction, utcnow
from ish_portal.labs.models import Lab
from ish_portal.labs.service import active_labs, why_not_eligible
from ish_portal.interviews.models import InterviewBooking
from ish_portal.nominations import consent
from ish_portal.nominations.models import (
    ALLOWED_TRANSITIONS,
    ConsentKind,
    Document,
    DocumentBlob,
    Interview,
    LabPreference,
    ConsentRecord,
    Nomination,
    NominationStatus as S,
)
from ish_portal.nominations.service import (
    delete_document_with_bytes,
    documents_of,
    history_of,
    is_minor,
    change_status,
    required_documents,
)
from ish_portal.nominations.messages import candidate_reader
from ish_portal.notifications.service import enqueue, forget_messages
from ish_portal.panel.service import erase_reviews
from ish_portal.placement.models import Offer, OfferStatus
from ish_portal.programme.models import Edition, Organisation
from ish_portal.text.i18n import gettext as _
from ish_portal.text.timefmt import format_date, format_datetime

APPLICANT = Actor("applicant")
# Never written to the audit log in clear: the log is read by more people than these fields.
SENSITIVE = {"medical_notes", "passport_number", "passport_expiry"}


def _fresh(session: Session, nomination_id: int) -> Nomination:
    return session.exec(select(Nomination).where(Nomination.id == nomination_id)
                        .execution_options(populate_existing=True)).one()


# -- where they stand ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Stage:
    name: str
    done: bool
    when: datetime | None = None
    note: str = ""


@dataclass(frozen=True)
class Standing:
    """Everything the status page shows, each fetched once: the offer alone feeds the highlight,
    the timeline and the to-do list, and the documents both the timeline and the list of files."""

    organisation: Organisation
    coordinators: list[User]
    offer: Offer | None  # the newest offer the applicant was told about
    offer_lab: Lab | None
    documents: list[Document]
    stages: list[Stage]
    pending: list[str]
    consent_missing: list[str]
    consents: dict[str, consent.Standing]
    outcome: tuple[str, str] | None  # the heading and the words for a nomination that is over


# The nomination goes no further: nothing more is asked of the applicant or their guardian.
OVER = (S.REJECTED, S.DECLINED, S.EXPIRED, S.WITHDRAWN)


def outcome(nomination: Nomination) -> tuple[str, str] | None:
    """What the applicant is told first when their nomination is over; None while it is not."""
    after = _("You can still download the data we hold about you, or ask us to delete it, under Your data.")
    words = {
        S.REJECTED: (_("Your nomination did not go further"),
                     _("Thank you for applying. You were not selected this year; your coordinator can tell you more.")),
        S.WITHDRAWN: (_("Your nomination was withdrawn"),
                      _("It takes no further part in this edition. If you think this is a mistake, contact your coordinator.")),
        S.DECLINED: (_("You declined the place"), _("Thank you for letting us know. Nothing more is needed from you.")),
        S.EXPIRED: (_("The offer has lapsed"), _("It was not answered by its deadline. Your coordinator can tell you more.")),
    }.get(S(nomination.status))
    return (words[0], f"{words[1]} {after}") if words else None


def standing(session: Session, nomination: Nomination, edition: Edition) -> Standing:
    offers = session.exec(_OFFERS_TOLD, params={"nomination_id": nomination.id}).all()
    offer, offer_lab = offers[0] if offers else (None, None)
    open_offer = next((o for o, _lab in offers if o.status == OfferStatus.PENDING), None)
    interview = session.exec(_NEWEST_INTERVIEW, params={"nomination_id": nomination.id}).first()
    documents = documents_of(session, nomination)
    uploaded = {document.kind for document in documents}
    documents_complete = all(kind in uploaded for kind in required_documents(nomination, edition))
    ranked = can_rank(nomination, edition) and bool(preferences_of(session, nomination))
    consents = consent.standings(session, nomination, edition)
    organisation, coordinators = organisation_and_coordinators(session, nomination.organisation_id)
    return Standing(
        organisation=organisation, coordinators=coordinators,
        offer=offer, offer_lab=offer_lab, documents=documents,
        stages=timeline(nomination, edition, interview, offer, documents_complete),
        pending=pending_items(nomination, edition, ranked, open_offer is not None, consents),
        consent_missing=consent.missing(session, nomination, consents), consents=consents,
        outcome=outcome(nomination))


# Built once, as every statement of the status page is: building a statement and its cache key
# costs about as much CPU as running it (docs/performance.md).
# The offers a candidate was told of, newest first: the newest one and the open one are both among
# them (the same choices as placement.offers.latest_offer and open_offer make).
_OFFERS_TOLD = (select(Offer, Lab).join(Lab, Lab.id == Offer.lab_id)
                .where(Offer.nomination_id == bindparam("nomination_id"), Offer.status != OfferStatus.PROPOSED)
                .order_by(Offer.created_at.desc(), Offer.id.desc()))
_NEWEST_INTERVIEW = (select(Interview).where(Interview.nomination_id == bindparam("nomination_id"))
                     .order_by(Interview.scheduled_at.desc()))


def timeline(nomination: Nomination, edition: Edition, interview: Interview | None, offer: Offer | None,
             documents_complete: bool) -> list[Stage]:
    # An interview counts as done once it has happened and its outcome is recorded.
    now = utcnow()
    interviewed = interview is not None and interview.outcome != "pending" and interview.scheduled_at <= now
    planned = interview is not None and not interviewed and interview.scheduled_at > now
    stages = [
        Stage(_("Nominated"), nomination.submitted_at is not None, nomination.submitted_at),
        Stage(_("Documents complete"), documents_complete),
        Stage(_("Interviewed"), interviewed, interview.scheduled_at if interview else None,
              _("Interview planned for %(when)s", when=format_datetime(interview.scheduled_at)) if planned else ""),
        Stage(_("Offer made"), offer is not None, offer.created_at if offer else None),
    ]
    if nomination.status == S.REJECTED:
        stages.append(Stage(_("Not selected this year"), True))
    elif nomination.status == S.WITHDRAWN:
        stages.append(Stage(_("Nomination withdrawn"), True))
    elif nomination.status == S.DECLINED:
        stages.append(Stage(_("Declined"), True, offer.responded_at if offer else None))
    elif nomination.status == S.EXPIRED:
        stages.append(Stage(_("Offer expired"), True, offer.response_deadline if offer else None))
    else:
        stages.append(Stage(_("Accepted"), nomination.status == S.ACCEPTED, offer.responded_at if offer else None))
    if nomination.status in OVER:
        # What was reached and how it ended; the steps never taken are not waiting any more.
        stages = [stage for stage in stages if stage.done]
    return stages


def pending_items(nomination: Nomination, edition: Edition, ranked: bool, offer_open: bool,
                  consents: dict[str, consent.Standing]) -> list[str]:
    """What is still to be done by the applicant or their guardian: nothing once it is over."""
    if nomination.status in OVER:
        return []
    items = []
    own, guardian = consents[ConsentKind.APPLICANT], consents[ConsentKind.GUARDIAN]
    if own.state == consent.State.OUTDATED:
        items.append(_("Your consent, needed again: the consent text has changed"))
    elif own.needed:
        items.append(_("Your consent to the processing of your data"))
    if guardian.state == consent.State.OUTDATED:
        items.append(_("Your guardian's consent, needed again: the consent text has changed (they can use the link we emailed them)"))
    elif guardian.state == consent.State.WITHDRAWN:
        items.append(_("Your guardian has withdrawn their consent: nothing can move on until it is given again"))
    elif guardian.needed:
        items.append(_("Your guardian's consent (we emailed them a link)"))
    if not profile_complete(nomination):
        items.append(_("Your profile: emergency contact and passport details"))
    if can_rank(nomination, edition) and not ranked:
        items.append(_("Your lab preferences"))
    if offer_open:
        items.append(_("Your answer to the offer"))
    return items


def can_rank(nomination: Nomination, edition: Edition) -> bool:
    """Lab preferences matter while the nomination is under review and the preferences are open."""
    return preferences_open(edition) and nomination.status in (S.SUBMITTED, S.APPROVED)


# The earliest arrival the programme plans for: a few days to settle in, not a month.
EARLIEST_ARRIVAL_DAYS = 14


def dates_outside_the_programme(profile: ProfileForm, edition: Edition) -> dict[str, str]:
    """The profile's dates that cannot be right for this summer, by field: an arrival after the
    programme ends or weeks before it starts, a passport that runs out before the stay is over."""
    problems = {}
    earliest = edition.starts_on - timedelta(days=EARLIEST_ARRIVAL_DAYS)
    if profile.arrival_on is not None and not earliest <= profile.arrival_on <= edition.ends_on:
        problems["arrival_on"] = _("The programme runs from %(start)s to %(end)s: choose an arrival day between "
                                   "%(earliest)s and %(end)s.", start=format_date(edition.starts_on),
                                   end=format_date(edition.ends_on), earliest=format_date(earliest))
    if profile.passport_expiry is not None and profile.passport_expiry <= edition.ends_on:
        problems["passport_expiry"] = _("The passport must be valid after the programme's last day, %(end)s: enter "
                                        "the details of a passport valid for the whole stay.",
                                        end=format_date(edition.ends_on))
    return problems


def profile_complete(nomination: Nomination) -> bool:
    return all([nomination.emergency_contact_name, nomination.emergency_contact_phone,
                nomination.passport_number, nomination.passport_expiry])


# -- profile and consent ------------------------------------------------------------------------

def update_profile(session: Session, nomination_id: int, form: ProfileForm) -> Nomination:
    with transaction(session):
        nomination = _fresh(session, nomination_id)
        changes = {}
        for field, new in form.model_dump().items():
            old = getattr(nomination, field)
            if old != new:
                changes[field] = ["…", "…"] if field in SENSITIVE else [_json(old), _json(new)]
                setattr(nomination, field, new)
        if changes:
            nomination.updated_at = utcnow()
            session.add(nomination)
            record(session, APPLICANT, "profile_changed", "nomination", nomination.id, changes=changes,
                   edition_id=nomination.edition_id, organisation_id=nomination.organisation_id,
                   nomination_id=nomination.id)
    return nomination


def _stamp_once(session: Session, nomination_id: int, field: str, action: str) -> Nomination:
    """Sets a moment the applicant declared something (a deletion request), once."""
    with transaction(session):
        nomination = _fresh(session, nomination_id)
        if getattr(nomination, field) is None:
            setattr(nomination, field, utcnow())
            session.add(nomination)
            record(session, APPLICANT, action, "nomination", nomination.id,
                   edition_id=nomination.edition_id, organisation_id=nomination.organisation_id,
                   nomination_id=nomination.id)
    return nomination


def give_own_consent(session: Session, nomination_id: int, name: str, shown: str, address: str) -> Nomination:
    """The applicant's own consent to the text they were shown (its hash), in the name they typed.
    Giving it again when it stands changes nothing; when the text changed or it was withdrawn, a
    new record is made."""
    with transaction(session):
        nomination = _fresh(session, nomination_id)
        if consent.standing(session, nomination, ConsentKind.APPLICANT).state != consent.State.GIVEN:
            consent.give(session, nomination, ConsentKind.APPLICANT, name, shown, APPLICANT, address=address)
    return nomination


def withdraw_own_consent(session: Session, nomination_id: int, address: str) -> Nomination:
    with transaction(session):
        nomination = _fresh(session, nomination_id)
        consent.withdraw(session, nomination, ConsentKind.APPLICANT, APPLICANT, address=address)
    return nomination


def email_of(session: Session, nomination_id: object) -> str:
    nomination = session.get(Nomination, nomination_id) if isinstance(nomination_id, int) else None
    return nomination.email if nomination is not None else ""


def language_of(session: Session, nomination_id: object) -> str:
    """The language the applicant reads the portal's emails in ("" for no such nomination)."""
    nomination = session.get(Nomination, nomination_id) if isinstance(nomination_id, int) else None
    return nomination.language if nomination is not None else ""


def remember_language(session: Session, nomination_id: int, language: str) -> None:
    """Emails to the applicant follow the language they chose on the portal."""
    with transaction(session):
        nomination = _fresh(session, nomination_id)
        nomination.language = language
        session.add(nomination)


# -- lab preferences ----------------------------------------------------------------------------

def preferences_open(edition: Edition) -> bool:
    return edition.preferences_locked_at is None or edition.preferences_locked_at > utcnow()


def preferences_of(session: Session, nomination: Nomination) -> list[Lab]:
    return list(session.exec(select(Lab).join(LabPreference, LabPreference.lab_id == Lab.id)
                             .where(LabPreference.nomination_id == nomination.id)
                             .order_by(LabPreference.rank)).all())


def lab_choices(session: Session, nomination: Nomination, edition: Edition) -> list[tuple[Lab, str | None]]:
    """Every lab of the edition with the reason this applicant cannot take it (None if they can)."""
    age = nomination.age_on(edition.starts_on)
    return [(lab, why_not_eligible(lab, age, nomination.working_languages))
            for lab in active_labs(session, edition.id)]


def change_preferences(session: Session, nomination_id: int, action: str, lab_id: int) -> list[int]:
    """add, up, down or remove one lab; the whole ranking is rewritten in one transaction."""
    with transaction(session):
        nomination = _fresh(session, nomination_id)
        edition = session.get(Edition, nomination.edition_id)
        if not preferences_open(edition):
            raise DomainError(_("The lab preferences are closed: the organisers are matching students to labs."))
        if nomination.status not in (S.SUBMITTED, S.APPROVED):
            raise DomainError(_("Lab preferences can be changed only while your nomination is under review."))
        ranking = [lab.id for lab in preferences_of(session, nomination)]
        if action == "add":
            lab = session.get(Lab, lab_id)
            if lab is None or lab.edition_id != edition.id or lab.retired:
                raise DomainError(_("This lab is not part of the programme."))
            reason = why_not_eligible(lab, nomination.age_on(edition.starts_on), nomination.working_languages)
            if reason:
                raise DomainError(reason)
            if lab_id in ranking:
                raise DomainError(_("This lab is already in your list."))
            if len(ranking) >= edition.max_preferences:
                raise DomainError(_("You can rank at most %(count)d labs. Remove one first.",
                                        count=edition.max_preferences))
            ranking.append(lab_id)
        elif lab_id not in ranking:
            raise DomainError(_("This lab is not in your list."))
        elif action in ("up", "down"):
            index = ranking.index(lab_id)
            other = index - 1 if action == "up" else index + 1
            if 0 <= other < len(ranking):
                ranking[index], ranking[other] = ranking[other], ranking[index]
        elif action == "remove":
            ranking.remove(lab_id)
        else:
            raise DomainError(_("Unknown change."))
        for old in session.exec(select(LabPreference).where(LabPreference.nomination_id == nomination.id)).all():
            session.delete(old)
        session.flush()
        for rank, lab in enumerate(ranking, start=1):
            session.add(LabPreference(nomination_id=nomination.id, lab_id=lab, rank=rank))
        record(session, APPLICANT, "preferences_changed", "nomination", nomination.id,
               changes={"ranking": [session.get(Lab, lab).label for lab in ranking]}, edition_id=edition.id,
               organisation_id=nomination.organisation_id, nomination_id=nomination.id)
    return ranking


# -- their data ---------------------------------------------------------------------------------

def export_everything(session: Session, nomination: Nomination) -> bytes:
    """A ZIP with everything held about the applicant: data.json and the uploaded files."""
    edition = session.get(Edition, nomination.edition_id)
    organisation = session.get(Organisation, nomination.organisation_id)
    documents = documents_of(session, nomination)
    offers = session.exec(select(Offer).where(Offer.nomination_id == nomination.id)).all()
    interviews = session.exec(select(Interview).where(Interview.nomination_id == nomination.id)).all()
    data: dict[str, Any] = {
        "exported_at": utcnow().isoformat(),
        "edition": edition.title,
        "sending_organisation": organisation.name,
        "nomination": {key: _json(value) for key, value in nomination.model_dump().items()},
        "lab_preferences": [lab.label for lab in preferences_of(session, nomination)],
        "interviews": [{"scheduled_at": _json(i.scheduled_at), "interviewer": i.interviewer,
                        "outcome": i.outcome, "notes": i.notes} for i in interviews],
        "offers": [{"lab": session.get(Lab, o.lab_id).label, "status": o.status,
                    "response_deadline": _json(o.response_deadline), "responded_at": _json(o.responded_at),
                    "decline_reason": o.decline_reason} for o in offers],
        "documents": [{"kind": d.kind, "file": f"documents/{d.id}-{_zip_name(d.original_filename)}",
                       "original_filename": d.original_filename, "uploaded_at": _json(d.uploaded_at),
                       "size_bytes": d.size_bytes} for d in documents],
        "consents": [{"consent": c.kind, "given_by": c.given_by, "how": c.method, "given_at": _json(c.given_at),
                      "address": c.address, "text_sha256": t.sha256, "text_language": t.language,
                      "text": "\n\n".join(consent.stored(t).paragraphs(consent.page_values(nomination, edition))
                                           + [consent.stored(t).agreement(consent.page_values(nomination, edition))]),
                      "withdrawn_at": _json(c.withdrawn_at)}
                     for c, t in consent.records_of(session, nomination.id)],
        # Who saw my sensitive data and when: the staff member's role and name, the time, and what.
        "who_saw_my_sensitive_data": [{"at": _json(row.occurred_at), "role": row.user_role, "name": row.user_name,
                                       "what": access_label(row)}
                                      for row in sensitive_access_of(session, nomination.id)],
        "history": [{"at": _json(e.occurred_at), "by": e.actor_label, "action": e.action,
                     "from": e.from_state, "to": e.to_state, "changes": e.changes, "reason": e.reason}
                    for e in history_of(session, nomination)],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
        for document in documents:
            blob = session.get(DocumentBlob, document.id)
            archive.writestr(f"documents/{document.id}-{_zip_name(document.original_filename)}", blob.data)
    return buffer.getvalue()


def request_deletion(session: Session, nomination_id: int) -> Nomination:
    return _stamp_once(session, nomination_id, "deletion_requested_at", "deletion_requested")


def deletion_requests(session: Session) -> list[Nomination]:
    return list(session.exec(select(Nomination).where(Nomination.deletion_requested_at.is_not(None))
                             .order_by(Nomination.deletion_requested_at)).all())


ERASED = "(deleted)"


# Every personal field of a nomination; what is left after erasure is the anonymous record of the
# place (organisation, edition, status, and the profile's non-identifying answers).
PERSONAL_FIELDS = ("phone", "school", "statement", "guardian_name", "guardian_email",
                   "emergency_contact_name", "emergency_contact_phone", "dietary_needs", "medical_notes",
                   "passport_number", "guardian_consent_name", "eligibility_reason")


def erase(session: Session, organiser: User, nomination_id: int) -> None:
    """Carries out a deletion request: the files and every personal detail go; what remains is an
    anonymous record that the place was used (so quotas and statistics stay right)."""
    with transaction(session):
        nomination = _fresh(session, nomination_id)
        if nomination.deletion_requested_at is None:
            raise DomainError(_("This applicant has not asked for deletion."))
        strip_personal_data(session, nomination)
        if S.WITHDRAWN in ALLOWED_TRANSITIONS[S(nomination.status)]:
            # The status door ends any offer the candidate holds and frees the seat; nobody is
            # written to, as the address is gone.
            change_status(session, nomination, S.WITHDRAWN, Actor.of_user(organiser),
                          reason="personal data deleted on request")
        session.add(nomination)
        record(session, Actor.of_user(organiser), "personal_data_erased", "nomination", nomination.id,
               edition_id=nomination.edition_id, organisation_id=nomination.organisation_id,
               nomination_id=nomination.id)


def is_erased(nomination: Nomination) -> bool:
    return nomination.email == f"erased-{nomination.id}@invalid"


def strip_personal_data(session: Session, nomination: Nomination) -> None:
    """Deletes everything personal of one nomination and keeps its anonymous record (organisation,
    edition, status): files, lab ranking, interview notes, personal details, the messages that
    carried them and the unused links. The status does not move (the retention schedule keeps the
    outcome; a deletion request withdraws on its own). Caller holds the transaction."""
    # The consent records keep that consents were given and to which text, not by whom or from where.
    for given in session.exec(select(ConsentRecord).where(ConsentRecord.nomination_id == nomination.id)):
        given.given_by, given.address, given.withdrawn_address = ERASED, "", ""
        given.document_id = given.token_id = None
        session.add(given)
    session.flush()
    for document in session.exec(select(Document).where(Document.nomination_id == nomination.id)).all():
        delete_document_with_bytes(session, document)
    for preference in session.exec(select(LabPreference).where(LabPreference.nomination_id == nomination.id)):
        session.delete(preference)
    for interview in session.exec(select(Interview).where(Interview.nomination_id == nomination.id)):
        interview.notes = ""
        session.add(interview)
    for booking in session.exec(select(InterviewBooking).where(InterviewBooking.nomination_id == nomination.id)):
        booking.notes = ""
        session.add(booking)
    for token in session.exec(select(AccessToken).where(AccessToken.nomination_id == nomination.id)):
        session.delete(token)
    erase_reviews(session, nomination.id)
    for offer in session.exec(select(Offer).where(Offer.nomination_id == nomination.id)):
        if offer.decline_reason:
            offer.decline_reason = ""
            session.add(offer)
    forget_messages(session, nomination.id, everything=True)
    nomination.given_name, nomination.family_name, nomination.passport_name = ERASED, "", ""
    nomination.email = f"erased-{nomination.id}@invalid"
    for field in PERSONAL_FIELDS:
        setattr(nomination, field, "")
    nomination.date_of_birth = nomination.passport_expiry = nomination.arrival_on = None
    nomination.cv_for_hosts = nomination.dietary_for_hosts = False
    nomination.subjects = []
    nomination.deletion_requested_at = None
    session.add(nomination)


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def _zip_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._- " else "_" for c in name)[:100]


# -- a guardian's consent, through their own link --------------------------------------------------

@dataclass(frozen=True)
class GuardianLink:
    """What a guardian's consent link opens: the nomination, where the guardian's consent stands,
    and whether the link may still give it (it may always withdraw or renew the consent it gave)."""

    nomination: Nomination
    edition: Edition
    token: AccessToken
    consent: consent.Standing

    @property
    def own_consent(self) -> bool:
        """The current consent was given through this very link."""
        return self.consent.record is not None and self.consent.record.token_id == self.token.id


def consent_request(session: Session, raw: str) -> GuardianLink:
    """The nomination a guardian's consent link is for. A link that gave a consent stays the
    guardian's way to withdraw it or give it again (the consent email says so), even once used
    or past its date; an unused link works until it expires. DomainError if it cannot be used."""
    token = session.exec(select(AccessToken).where(AccessToken.token_hash == hash_token(raw),
                                                   AccessToken.purpose == TokenPurpose.GUARDIAN_CONSENT)).first()
    given = token is not None and session.exec(select(ConsentRecord.id).where(
        ConsentRecord.token_id == token.id)).first() is not None
    if not given:
        token = find_token(session, raw, TokenPurpose.GUARDIAN_CONSENT)
    nomination = session.get(Nomination, token.nomination_id)
    edition = session.get(Edition, nomination.edition_id)
    standing = consent.standing(session, nomination, ConsentKind.GUARDIAN, edition)
    if given and token.email != nomination.guardian_email:
        # The coordinator named another guardian since: the old guardian's link no longer works.
        raise DomainError(_("This link has been replaced by a newer one. Use the link in the newest email."))
    return GuardianLink(nomination, edition, token, standing)


def guardian_language_of(session: Session, raw: str) -> str:
    """The language a guardian's consent link was emailed in ("" for no such link): their pages
    speak it, whatever the link's state."""
    return session.exec(select(Nomination.guardian_language).join(AccessToken, AccessToken.nomination_id == Nomination.id)
                        .where(AccessToken.token_hash == hash_token(raw),
                               AccessToken.purpose == TokenPurpose.GUARDIAN_CONSENT)).first() or ""


def _guardian_actor(name: str, email: str) -> Actor:
    return Actor(f"guardian {name.strip()[:200]} <{email}>")


def give_guardian_consent(session: Session, raw: str, guardian_name: str, shown: str, address: str) -> Nomination:
    """Records who consented, to which text, when and from where. The first consent uses the link
    up (of two racing requests one gets through); the same link can renew it later."""
    guardian_name = guardian_name.strip()
    if not guardian_name:
        raise DomainError(_("Enter your full name as your signature."))
    with transaction(session):
        link = consent_request(session, raw)
        if link.consent.state == consent.State.GIVEN:
            return link.nomination
        token = link.token if link.token.used_at is not None else consume_token(session, raw, TokenPurpose.GUARDIAN_CONSENT)
        nomination = _fresh(session, token.nomination_id)
        consent.give(session, nomination, ConsentKind.GUARDIAN, guardian_name, shown,
                     _guardian_actor(guardian_name, token.email), address=address, token_id=token.id)
    return nomination


def withdraw_guardian_consent(session: Session, raw: str, address: str) -> Nomination:
    """Withdrawn through the link that gave it; the coordinators are told."""
    with transaction(session):
        link = consent_request(session, raw)
        if link.consent.state in (consent.State.MISSING, consent.State.NOT_NEEDED, consent.State.WITHDRAWN):
            raise DomainError(_("There is no consent to withdraw."))
        nomination = _fresh(session, link.nomination.id)
        consent.withdraw(session, nomination, ConsentKind.GUARDIAN,
                         _guardian_actor(link.consent.record.given_by, link.token.email), address=address)
    return nomination


# -- applicants' personal links ---------------------------------------------------------------------

APPLICANT_VISIBLE = [s for s in S if s != S.DRAFT]


@when_public_request(PublicForm.ACCESS)
def send_access_link(session: Session, email: str, links: LinkSettings) -> str:
    """Caller holds the transaction (the worker, answering a queued request). Emails a fresh link
    for the newest nomination with this address, which replaces every earlier link of theirs and
    ends the sessions opened with them; silent when there is none, so that nothing, not even the
    time the page takes, tells whether an address is known."""
    nomination = session.exec(
        select(Nomination).where(Nomination.email == normalise_email(email),
                                 Nomination.status.in_(APPLICANT_VISIBLE))
        .order_by(Nomination.edition_id.desc(), Nomination.id.desc())).first()
    if nomination is None:
        return "unknown"
    replace_applicant_links(session, nomination.id)
    enqueue(session, "applicant_access", candidate_reader(session, nomination),
            {"nomination": nomination.id, "days": links.access_link_days}, edition_id=nomination.edition_id,
            nomination_id=nomination.id, base_url=links.base_url)
    return "sent"


def enter_with_access_link(session: Session, raw: str) -> tuple[Nomination, str, int]:
    """Uses up an applicant's link: their nomination, the page the link leads to, and the link's id,
    which the session keeps (applicant_session_is_live, end_applicant_session)."""
    with transaction(session):
        token = consume_token(session, raw, TokenPurpose.APPLICANT_ACCESS)
        nomination = session.get(Nomination, token.nomination_id)
        if nomination is None or nomination.status not in APPLICANT_VISIBLE or nomination.email != token.email:
            raise DomainError(_("This link is no longer valid. Ask for a new one."))
        record(session, Actor("applicant"), "applicant_signed_in", "nomination", nomination.id,
               nomination_id=nomination.id, organisation_id=nomination.organisation_id,
               edition_id=nomination.edition_id)
    target = token.target if token.target.startswith("/applicant") else "/applicant"
    return nomination, target, token.id
