"""The messages about a nomination, before any offer: who reads them (the candidate, their guardian,
their coordinators) and how each placeholder follows from the facts, in the reader's language and
time zone. Also the notices and reminders of the area: withdrawals, drafts still incomplete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from ish_portal.accounts.models import TokenPurpose, User
from ish_portal.accounts.service import active_coordinators, issue_token
from ish_portal.db import transaction, utcnow
from ish_portal.nominations.models import Interview, Nomination, NominationStatus
from ish_portal.notifications.catalog import APPLICANT, COORDINATOR, GUARDIAN, PREVIEWS, Occasion, Reader, define
from ish_portal.text.i18n import N_
from ish_portal.notifications.models import OutboxMessage
from ish_portal.notifications.service import enqueue
from ish_portal.programme.models import Edition, Organisation, Quota
from ish_portal.text.timefmt import format_date, format_datetime

GUARDIAN_LINK_DAYS = 30
# Coordinators hear about incomplete drafts this many days before their nomination deadline.
MISSING_DOCUMENTS_DAYS_BEFORE = 5
EXAMPLE_TOKEN = "EXAMPLE"


# -- who reads ------------------------------------------------------------------------------------

def _organisation(session: Session, nomination: Nomination) -> Organisation:
    return session.get(Organisation, nomination.organisation_id)


def candidate_reader(session: Session, nomination: Nomination) -> Reader:
    return Reader(nomination.email, nomination.addressed_name, nomination.language,
                  _organisation(session, nomination).time_zone)


def guardian_reader(session: Session, nomination: Nomination) -> Reader:
    return Reader(nomination.guardian_email, nomination.guardian_name, nomination.guardian_language,
                  _organisation(session, nomination).time_zone)


def coordinator_reader(session: Session, coordinator: User) -> Reader:
    organisation = session.get(Organisation, coordinator.organisation_id)
    return Reader(coordinator.email, coordinator.full_name, coordinator.language,
                  organisation.time_zone if organisation else None)


def tell_coordinators(session: Session, kind: str, nomination: Nomination, facts: dict[str, Any]) -> None:
    """The same message to every active coordinator of the nomination's organisation."""
    for coordinator in active_coordinators(session, nomination.organisation_id):
        enqueue(session, kind, coordinator_reader(session, coordinator), facts,
                edition_id=nomination.edition_id, nomination_id=nomination.id)


# -- links ----------------------------------------------------------------------------------------

def applicant_link(occasion: Occasion, nomination: Nomination, target: str = "/applicant", *,
                   valid_for: timedelta | None = None, until: datetime | None = None) -> str:
    """A personal link that signs the applicant in and opens `target` (after a button press, so
    that mail scanners cannot use it up)."""
    if occasion.preview:
        return occasion.link(f"/access/{EXAMPLE_TOKEN}")
    raw = issue_token(occasion.session, TokenPurpose.APPLICANT_ACCESS, nomination.email, valid_for,
                      nomination_id=nomination.id, until=until, target=target)
    return occasion.link(f"/access/{raw}")


# -- the facts every message about a nomination shares ----------------------------------------------

def nomination_facts(occasion: Occasion, nomination_id: int | None = None
                     ) -> tuple[Nomination, Edition, dict[str, str]]:
    """The nomination the occasion is about (the facts', unless the caller found it another way,
    through an offer, say) and what every message may say of it."""
    session = occasion.session
    nomination = session.get(Nomination, nomination_id or occasion.facts["nomination"])
    edition = session.get(Edition, nomination.edition_id)
    organisation = _organisation(session, nomination)
    return nomination, edition, {
        "name": occasion.reader.name, "candidate": nomination.display_name,
        "guardian": nomination.guardian_name, "organisation": organisation.name,
        "edition": edition.title, "starts_on": format_date(edition.starts_on),
        "ends_on": format_date(edition.ends_on), "reason": str(occasion.facts.get("reason", "")),
    }


def _with(*names: str):
    def context(occasion: Occasion) -> dict[str, str]:
        _n, _e, values = nomination_facts(occasion)
        return {name: values[name] for name in names}
    return context


def _personal_link(occasion: Occasion) -> dict[str, str]:
    nomination, _edition, values = nomination_facts(occasion)
    days = int(occasion.facts.get("days", 14))
    return {**values, "days": str(days),
            "link": applicant_link(occasion, nomination, valid_for=timedelta(days=days))}


def _consent_request(occasion: Occasion) -> dict[str, str]:
    nomination, _edition, values = nomination_facts(occasion)
    if occasion.preview:
        link = occasion.link(f"/consent/{EXAMPLE_TOKEN}")
    else:
        raw = issue_token(occasion.session, TokenPurpose.GUARDIAN_CONSENT, nomination.guardian_email,
                          timedelta(days=GUARDIAN_LINK_DAYS), nomination_id=nomination.id)
        link = occasion.link(f"/consent/{raw}")
    return {**values, "link": link, "days": str(GUARDIAN_LINK_DAYS)}


def _submission_confirmation(occasion: Occasion) -> dict[str, str]:
    from ish_portal.nominations.places import places_used
    nomination, edition, values = nomination_facts(occasion)
    quota = occasion.session.exec(select(Quota).where(Quota.edition_id == edition.id,
                                                      Quota.organisation_id == nomination.organisation_id)).first()
    return {**values, "link": occasion.link(f"/coordinator/nominations/{nomination.id}"),
            "used": str(places_used(occasion.session, edition.id, nomination.organisation_id)),
            "places": str(quota.places if quota else 0)}


def _missing_documents(occasion: Occasion) -> dict[str, str]:
    from ish_portal.nominations.service import missing_items
    from ish_portal.programme.service import deadline_of
    nomination, edition, values = nomination_facts(occasion)
    quota = occasion.session.exec(select(Quota).where(Quota.edition_id == edition.id,
                                                      Quota.organisation_id == nomination.organisation_id)).first()
    missing = missing_items(occasion.session, nomination, edition)
    return {**values, "deadline": format_datetime(deadline_of(edition, quota)),
            "missing": "\n".join(f"- {item}" for item in missing),
            "link": occasion.link(f"/coordinator/nominations/{nomination.id}")}


def _interview(occasion: Occasion) -> dict[str, str]:
    _nomination, _edition, values = nomination_facts(occasion)
    interview = occasion.session.get(Interview, occasion.facts["interview"])
    return {"name": values["name"], "edition": values["edition"],
            "when": format_datetime(interview.scheduled_at), "interviewer": interview.interviewer}


define("applicant_access", N_("Personal link"), N_("A fresh personal link to the portal, asked for by the applicant."),
       APPLICANT, ["name", "link", "days"], _personal_link)
define("nomination_received", N_("Nomination received"), N_("Tells a candidate they were nominated, with their personal link."),
       APPLICANT, ["name", "organisation", "edition", "link", "days"], _personal_link)
define("guardian_consent_request", N_("Consent request to the guardian"), N_("Asks the guardian of a minor for consent, with a personal link."),
       GUARDIAN, ["guardian", "candidate", "organisation", "edition", "starts_on", "ends_on", "link", "days"],
       _consent_request, own={"link": (N_("the guardian's personal consent page"), "https://ish.example/consent/EXAMPLE")})
define("missing_documents_reminder",
       N_("Missing documents reminder"), N_("Reminds coordinators of drafts that still miss items a few days before the nomination deadline."),
       COORDINATOR, ["name", "candidate", "edition", "deadline", "missing", "link"], _missing_documents,
       own={"missing": (N_("the missing items, one line each starting with '- '"),
                        "- Document: CV\n- Document: School report"),
            "deadline": (N_("the organisation's nomination deadline"), datetime(2027, 3, 15, 22, 59, tzinfo=UTC)),
            "link": (N_("the draft in the portal"), "https://ish.example/coordinator/nominations/42")})
define("submission_confirmation", N_("Submission confirmation"), N_("Confirms to the coordinator that a nomination was submitted."),
       COORDINATOR, ["name", "candidate", "edition", "used", "places", "link"], _submission_confirmation,
       own={"used": (N_("places the organisation now uses"), "2"), "places": (N_("places the organisation has"), "3"),
            "link": (N_("the nomination in the portal"), "https://ish.example/coordinator/nominations/42")})
define("interview_invitation", N_("Interview invitation"), N_("Invites a nominee to the English interview by phone."),
       APPLICANT, ["name", "edition", "when", "interviewer"], _interview,
       own={"when": (N_("date and time of the interview, in the reader's time zone"), datetime(2027, 4, 20, 8, 30, tzinfo=UTC)),
            "interviewer": (N_("who will call"), "Dr. Anna Schmidt")})
define("withdrawal", N_("Withdrawal"), N_("Tells the candidate their nomination was withdrawn."),
       APPLICANT, ["name", "edition", "organisation", "reason"], _with("name", "edition", "organisation", "reason"))
define("withdrawal_guardian", N_("Withdrawal, to the guardian"),
       N_("Tells a minor's guardian that the nomination was withdrawn and their consent is no longer needed."),
       GUARDIAN, ["guardian", "candidate", "edition", "organisation", "reason"],
       _with("guardian", "candidate", "edition", "organisation", "reason"))
define("withdrawal_coordinator", N_("Withdrawal, to coordinators"), N_("Tells the coordinators of the organisation a nomination was withdrawn."),
       COORDINATOR, ["name", "candidate", "edition", "reason"], _with("name", "candidate", "edition", "reason"))



def _consent_withdrawn(occasion: Occasion) -> dict[str, str]:
    _nomination, _edition, values = nomination_facts(occasion)
    # A word for the template to choose its sentence by, so each language words it in full.
    return {"name": values["name"], "candidate": values["candidate"], "edition": values["edition"],
            "consent": "guardian" if occasion.facts.get("consent") == "guardian" else "applicant", "link": occasion.link(f"/coordinator/nominations/{occasion.facts['nomination']}")}


define("consent_withdrawn", N_("Consent withdrawn, to coordinators"),
       N_("Tells the coordinators that a candidate's or their guardian's consent was withdrawn, which holds the nomination."),
       COORDINATOR, ["name", "candidate", "edition", "consent", "link"], _consent_withdrawn,
       own={"consent": (N_("whose consent was withdrawn: 'guardian' or 'applicant'"), "guardian"),
            "link": (N_("the nomination in the portal"), "https://ish.example/coordinator/nominations/42")})


def _preview_subjects(session: Session, edition_id: int) -> list[tuple[str, dict[str, Any], str]]:
    rows = session.exec(select(Nomination).where(
        Nomination.edition_id == edition_id, Nomination.status != NominationStatus.DRAFT)
        .order_by(Nomination.family_name, Nomination.given_name).limit(500)).all()
    return [(str(n.id), {"nomination": n.id}, n.display_name, candidate_reader(session, n)) for n in rows]


PREVIEWS.subjects = _preview_subjects


# -- notices and reminders ------------------------------------------------------------------------------

def notify_withdrawal(session: Session, nomination: Nomination, reason: str) -> None:
    """Tells the candidate (if they ever heard of the nomination), a minor's guardian, and the
    organisation's coordinators that a nomination was withdrawn. Caller holds the transaction."""
    from ish_portal.nominations.service import is_minor

    facts = {"nomination": nomination.id, "reason": reason.strip()}
    if nomination.submitted_at is not None:
        enqueue(session, "withdrawal", candidate_reader(session, nomination), facts,
                edition_id=nomination.edition_id, nomination_id=nomination.id)
        # A minor's guardian was asked for consent at submission: they hear that it is not needed.
        edition = session.get(Edition, nomination.edition_id)
        if nomination.guardian_email and is_minor(nomination, edition):
            enqueue(session, "withdrawal_guardian", guardian_reader(session, nomination), facts,
                    edition_id=nomination.edition_id, nomination_id=nomination.id)
    tell_coordinators(session, "withdrawal_coordinator", nomination, facts)


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
            if recent or not missing_items(session, nomination, edition):
                continue
            for coordinator in active_coordinators(session, nomination.organisation_id):
                enqueue(session, "missing_documents_reminder", coordinator_reader(session, coordinator),
                        {"nomination": nomination.id}, edition_id=edition.id, nomination_id=nomination.id,
                        base_url=base_url)
                sent += 1
    return sent

