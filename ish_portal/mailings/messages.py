"""The messages of the mailings area: an organiser's own message to a group, the "not selected"
message, and the reminder to rank labs before preferences close.

An organiser's message is built from facts like every other: it is one kind, organiser_message,
whose words are the organiser's, written once per language in the composer and kept on the
batch's row (the kind's `wording` finds them from the message's facts); its placeholders are
computed per reader, like any kind's, in the reader's language and zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import exists
from sqlmodel import Session, select

from ish_portal.accounts.models import User
from ish_portal.audit.service import SYSTEM, record
from ish_portal.db import transaction, utcnow
from ish_portal.labs.models import Lab
from ish_portal.mailings.models import Mailing
from ish_portal.nominations.messages import applicant_link, candidate_reader
from ish_portal.nominations.models import LabPreference, Nomination, NominationStatus
from ish_portal.notifications.catalog import ANYONE, APPLICANT, Occasion, define
from ish_portal.notifications.models import OutboxMessage
from ish_portal.notifications.service import enqueue
from ish_portal.placement.models import Offer
from ish_portal.programme.models import Edition, Organisation
from ish_portal.text.i18n import N_
from ish_portal.text.timefmt import format_date, format_deadline

from ish_portal.mailings.groups import PLACED

ORGANISER_MESSAGE = "organiser_message"
LINK_DAYS = 14


def _placed_lab(session: Session, nomination: Nomination) -> Lab | None:
    offer = session.exec(select(Offer).where(Offer.nomination_id == nomination.id, Offer.status.in_(PLACED))
                         .order_by(Offer.id.desc())).first()
    return session.get(Lab, offer.lab_id) if offer else None


def _organiser_message(occasion: Occasion) -> dict[str, str]:
    """Every placeholder for this reader: about the candidate the message concerns (to them, their
    guardian) or about the staff member it is written to (a coordinator, a lab host)."""
    session, facts = occasion.session, occasion.facts
    mailing = session.get(Mailing, facts.get("mailing")) if facts.get("mailing") else None
    nomination = session.get(Nomination, facts["nomination"]) if facts.get("nomination") else None
    user = session.get(User, facts["user"]) if facts.get("user") else None
    edition_id = mailing.edition_id if mailing else (nomination.edition_id if nomination else None)
    edition = session.get(Edition, edition_id) if edition_id else None
    values = {"name": occasion.reader.name, "candidate": "", "organisation": "", "lab": "",
              "edition": edition.title if edition else "",
              "starts_on": format_date(edition.starts_on) if edition else "",
              "ends_on": format_date(edition.ends_on) if edition else "", "link": occasion.link("/")}
    organisation_id = nomination.organisation_id if nomination else (user.organisation_id if user else None)
    if organisation_id:
        values["organisation"] = session.get(Organisation, organisation_id).name
    if nomination is not None:
        values["candidate"] = nomination.display_name
        lab = _placed_lab(session, nomination)
        values["lab"] = lab.label if lab else ""
        if facts.get("to") != "guardian":
            values["link"] = applicant_link(occasion, nomination, valid_for=timedelta(days=LINK_DAYS))
    elif user is not None:
        labs = [session.get(Lab, lab_id) for lab_id in facts.get("labs") or []]
        values["lab"] = "; ".join(lab.label for lab in labs if lab is not None)
        values["link"] = occasion.link("/login")
    return values


def _mailing_wording(session: Session, facts: dict[str, Any], language: str) -> tuple[str, str] | None:
    mailing = session.get(Mailing, facts.get("mailing")) if facts.get("mailing") else None
    if mailing is None or mailing.kind != ORGANISER_MESSAGE:
        return None
    text = mailing.texts.get(language) or mailing.texts.get("en")
    return (text["subject"], text["body"]) if text else None


def _fresh_on_release(session: Session, facts: dict[str, Any], actor: Any) -> bool:
    """Nothing follows from sending; the message is written again then, so a personal link in it
    counts its days from when it goes out (a batch may wait weeks for its time)."""
    return True


define(ORGANISER_MESSAGE, N_("Message to a group"),
       N_("An organiser's own message to a filtered group (candidates, guardians, coordinators, lab hosts, "
          "reviewers), written per language in the composer."),
       ANYONE, ["name", "candidate", "organisation", "edition", "starts_on", "ends_on", "lab", "link"],
       _organiser_message, wording=_mailing_wording, when_released=_fresh_on_release,
       own={"candidate": (N_("the candidate the message is about (empty for coordinators and lab hosts)"),
                          "Haruto Nakamura"),
            "organisation": (N_("the sending organisation of the candidate or the coordinator"), "City of Kumamoto"),
            "lab": (N_("the candidate's lab once placed, or the lab host's labs (else empty)"),
                    "Structural Biology, EMBL"),
            "link": (N_("a candidate's personal link; for staff the portal's sign-in page"),
                     "https://ish.example/access/EXAMPLE")})


def _not_selected(occasion: Occasion) -> dict[str, str]:
    nomination = occasion.session.get(Nomination, occasion.facts["nomination"])
    edition = occasion.session.get(Edition, nomination.edition_id)
    organisation = occasion.session.get(Organisation, nomination.organisation_id)
    # A word for the template to choose its sentence by, so each language words it in full.
    return {"name": occasion.reader.name, "edition": edition.title, "organisation": organisation.name,
            "why": "review" if nomination.status == NominationStatus.REJECTED else "places"}


define("not_selected", N_("Not selected"),
       N_("Tells a candidate, kindly, that they were not selected: not accepted after review, or without a "
          "place after the last offers; says what comes next."),
       APPLICANT, ["name", "edition", "organisation", "why"], _not_selected,
       own={"why": (N_("why: 'review' (not accepted after review) or 'places' (no place after the last offers)"),
                    "places")})


def _ranking_reminder(occasion: Occasion) -> dict[str, str]:
    nomination = occasion.session.get(Nomination, occasion.facts["nomination"])
    edition = occasion.session.get(Edition, nomination.edition_id)
    return {"name": occasion.reader.name, "edition": edition.title,
            "deadline": format_deadline(edition.preferences_locked_at),
            "link": applicant_link(occasion, nomination, "/applicant/labs",
                                   until=edition.preferences_locked_at)}


define("ranking_reminder", N_("Reminder to rank labs"),
       N_("Reminds an approved applicant who has ranked no lab yet, before lab preferences close."),
       APPLICANT, ["name", "edition", "deadline", "link"], _ranking_reminder,
       own={"deadline": (N_("when lab preferences close, in the reader's time zone"), datetime(2027, 5, 20, 21, 59, tzinfo=UTC)),
            "link": (N_("the personal link that opens the lab ranking"), "https://ish.example/access/EXAMPLE")})


# -- the reminder before preferences close ---------------------------------------------------------

def send_ranking_reminders(session: Session, base_url: str, now: datetime | None = None) -> int:
    """Approved applicants who have ranked no lab hear once, within the edition's
    reminder_days_before of preferences closing (a closing time the organisers set ahead). The
    nomination rows are locked, so two workers never remind twice."""
    now = now or utcnow()
    sent = 0
    with transaction(session):
        ranked = exists().where(LabPreference.nomination_id == Nomination.id)
        reminded = exists().where(OutboxMessage.nomination_id == Nomination.id,
                                  OutboxMessage.kind == "ranking_reminder")
        query = (select(Nomination, Edition).join(Edition, Edition.id == Nomination.edition_id)
                 .where(Nomination.status == NominationStatus.APPROVED, Edition.preferences_locked_at.is_not(None),
                        Edition.preferences_locked_at > now, ~ranked, ~reminded)
                 .with_for_update(skip_locked=True, of=Nomination))
        for nomination, edition in session.exec(query).all():
            if edition.preferences_locked_at > now + timedelta(days=edition.reminder_days_before):
                continue
            enqueue(session, "ranking_reminder", candidate_reader(session, nomination), {"nomination": nomination.id},
                    edition_id=edition.id, nomination_id=nomination.id, base_url=base_url)
            record(session, SYSTEM, "ranking_reminder_sent", "nomination", nomination.id, edition_id=edition.id,
                   organisation_id=nomination.organisation_id, nomination_id=nomination.id)
            sent += 1
    return sent

