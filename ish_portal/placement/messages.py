"""The messages about offers and places, and the letters that go with them: each kind's
placeholders follow from the facts (the offer, the nomination) in the reader's language and time
zone; an offer's email carries the personal link that opens the offer, valid until its deadline.
Also the reminders before a deadline, and the bulk drafts to everyone who accepted."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from ish_portal.audit.service import SYSTEM, Actor, record
from ish_portal.db import transaction, utcnow
from ish_portal.errors import DomainError
from ish_portal.labs.models import Lab
from ish_portal.nominations.messages import (
    applicant_link,
    candidate_reader,
    nomination_facts,
    tell_coordinators,
)
from ish_portal.nominations.models import Nomination, NominationStatus
from ish_portal.notifications.catalog import APPLICANT, COORDINATOR, Occasion, define, define_letter
from ish_portal.notifications.service import enqueue
from ish_portal.placement import offers
from ish_portal.placement.models import Offer, OfferStatus
from ish_portal.programme.models import Edition
from ish_portal.text.i18n import N_, gettext as _
from ish_portal.text.vocabulary import subject_label
from ish_portal.text.timefmt import format_date, format_deadline, local


# -- the facts of an offer ----------------------------------------------------------------------------

def _offer_of(session: Session, facts: dict[str, Any]) -> Offer | None:
    if "offer" in facts:
        return session.get(Offer, facts["offer"])
    nomination = session.get(Nomination, facts["nomination"])
    return offers.accepted_offer(session, nomination) or offers.latest_offer(session, nomination)


def offer_facts(occasion: Occasion) -> dict[str, str]:
    """Everything an offer's messages may say: the nomination's facts, the lab, the deadline."""
    offer = _offer_of(occasion.session, occasion.facts)
    nomination, _edition, values = nomination_facts(occasion, offer.nomination_id if offer else None)
    lab = occasion.session.get(Lab, offer.lab_id) if offer else None
    values.update({"lab": lab.label if lab else "", "subject_area": subject_label(lab.subject_area) if lab else "",
                   "deadline": format_deadline(offer.response_deadline) if offer else "",
                   "reason": str(occasion.facts.get("reason", offer.decline_reason if offer else ""))})
    if offer is not None and offer.status in (OfferStatus.PROPOSED, OfferStatus.PENDING):
        # The link to answer lasts as long as the offer can be answered.
        values["link"] = applicant_link(occasion, nomination, "/applicant/offer", until=offer.response_deadline)
    else:
        values["link"] = applicant_link(occasion, nomination, valid_for=timedelta(days=14))
    return values


def _with(*names: str):
    def context(occasion: Occasion) -> dict[str, str]:
        values = offer_facts(occasion)
        return {name: values[name] for name in names}
    return context


# -- drafts of offers carry their consequences ------------------------------------------------------------

def _release(session: Session, facts: dict[str, Any], actor: Actor) -> bool:
    """Sending an offer's email releases the offer; an offer withdrawn meanwhile (its candidate
    withdrew) is not sent at all."""
    offer = session.get(Offer, facts["offer"])
    if offer is None or offer.status != OfferStatus.PROPOSED:
        return False
    offers.release(session, facts["offer"], actor)
    return True


def _discard(session: Session, facts: dict[str, Any], actor: Actor) -> None:
    offers.discard_unsent(session, facts["offer"], actor)


def _discard_warning(session: Session, facts: dict[str, Any]) -> str:
    offer = session.get(Offer, facts["offer"])
    if offer is None or offer.status != OfferStatus.PROPOSED:
        return ""
    nomination, lab = session.get(Nomination, offer.nomination_id), session.get(Lab, offer.lab_id)
    return _("Discarding this email also withdraws the offer of a place in %(lab)s to %(name)s: the "
             "offer is never sent, and %(name)s goes back to the waitlist (without this lab).",
             lab=lab.label, name=nomination.display_name)


_OFFER = ["name", "edition", "lab", "subject_area", "starts_on", "ends_on", "deadline", "link"]
_LINK = {"link": ("the personal link that opens the offer (valid until the deadline)",
                  "https://ish.example/access/EXAMPLE")}

define("offer_made", N_("Offer"), N_("Offers a lab place; the applicant must answer before the deadline. Its draft is the "
       "offer: sending it starts the response time, discarding it withdraws the offer."),
       APPLICANT, _OFFER, _with(*_OFFER), own=_LINK, when_released=_release, when_discarded=_discard,
       discard_warning=_discard_warning)
define("waitlist_offer", N_("Offer from the waitlist"), N_("Offers a place that became free to a student on the waitlist."),
       APPLICANT, _OFFER, _with(*_OFFER), own=_LINK)
define("offer_reminder", N_("Offer reminder"), N_("Reminds an applicant who has not yet answered their offer, before its deadline."),
       APPLICANT, ["name", "edition", "lab", "deadline", "link"], _with("name", "edition", "lab", "deadline", "link"),
       own=_LINK)
def _accepted(occasion: Occasion) -> dict[str, str]:
    """The place's facts, and whether the visa letter comes with the email: it does when it can be
    made (the passport's facts are known), as the email then says rather than send the applicant
    looking for an attachment that is not there."""
    values = _with("name", "lab", "edition", "starts_on", "ends_on", "link")(occasion)
    # The same question the outbox asks before it attaches the letter (define_letter below).
    visa = letter_problem(occasion.session, _nomination_of(occasion.session, occasion.facts), "visa") is None
    values["visa_letter"] = "yes" if visa else ""
    return values


define("offer_accepted", N_("Offer accepted"), N_("Confirms the applicant's acceptance; carries the acceptance letter "
       "(and the visa letter when passport details are known)."),
       APPLICANT, ["name", "lab", "edition", "starts_on", "ends_on", "link", "visa_letter"], _accepted,
       letters=("acceptance", "visa"),
       own={"visa_letter": (N_("“yes” when the visa letter is attached (the passport details are known), else "
                               "empty: for words that differ between the two"), "yes")})
define("offer_declined", N_("Offer declined"), N_("Confirms the applicant's refusal of the offer."), APPLICANT, ["name", "lab", "edition"],
       _with("name", "lab", "edition"))
define("offer_accepted_coordinator", N_("Offer accepted, to coordinators"), N_("Tells the coordinator their candidate accepted."),
       COORDINATOR, ["name", "candidate", "lab", "edition", "starts_on", "ends_on"],
       _with("name", "candidate", "lab", "edition", "starts_on", "ends_on"))
define("offer_declined_coordinator", N_("Offer declined, to coordinators"), N_("Tells the coordinator their candidate declined."),
       COORDINATOR, ["name", "candidate", "lab", "edition", "reason"],
       _with("name", "candidate", "lab", "edition", "reason"))
define("welcome_information", N_("Welcome information"), N_("Practical information before arrival, to every accepted student."),
       APPLICANT, ["name", "edition", "starts_on", "ends_on", "lab"],
       _with("name", "edition", "starts_on", "ends_on", "lab"))
define("certificate", N_("Certificate"), N_("Thanks after the programme, with the certificate of participation attached."),
       APPLICANT, ["name", "edition", "lab"], _with("name", "edition", "lab"), letters=("certificate",))


def tell_answer(session: Session, nomination: Nomination, offer: Offer) -> None:
    """The applicant's answer, confirmed to them and told to their coordinators. Caller holds the
    transaction (the offers door calls this)."""
    kind = "offer_accepted" if offer.status == OfferStatus.ACCEPTED else "offer_declined"
    facts = {"offer": offer.id}
    enqueue(session, kind, candidate_reader(session, nomination), facts,
            edition_id=nomination.edition_id, nomination_id=nomination.id)
    tell_coordinators(session, f"{kind}_coordinator", nomination, facts)


# -- letters ---------------------------------------------------------------------------------------------

LETTER_FILES = {"acceptance": "acceptance-letter", "visa": "visa-letter", "certificate": "certificate"}


def _letters():
    """The letters package, imported when a letter is made: fpdf2 and fontTools cost a noticeable
    part of a second to load, which a process that never makes a letter should not pay."""
    from ish_portal import letters
    return letters


def letter_data(session: Session, nomination: Nomination, offer: Offer | None):
    """What a letter of this candidate is made from (letters.LetterData), `offer` being their
    accepted offer (offers.accepted_offer): the lab only once a place is accepted."""
    letters = _letters()
    language = nomination.language if nomination.language in letters.LANGUAGES else "en"
    # The country in the language the letter is written in (English until a language's own letters
    # are written).
    wording = letters.wording_language(language)
    edition = session.get(Edition, nomination.edition_id)
    lab = session.get(Lab, offer.lab_id) if offer else None
    return letters.LetterData(
        language=language, full_name=nomination.display_name, passport_name=nomination.passport_name,
        date_of_birth=nomination.date_of_birth,
        nationality=letters.country_name(nomination.nationality, wording) if nomination.nationality else "",
        passport_number=nomination.passport_number, passport_expiry=nomination.passport_expiry,
        edition_title=edition.title, starts_on=edition.starts_on, ends_on=edition.ends_on,
        lab_group=lab.group_name if lab else "", institute=lab.institute if lab else "",
        tutor_name=lab.tutor_name if lab else "", project_title=offer.project_title if offer else "",
        issued_on=local(utcnow()).date(),
        reference=f"ISH-{edition.year}-{nomination.id:04d}")


def letter_problem(session: Session, nomination: Nomination, letter: str) -> str | None:
    """Why this letter cannot be made for the candidate now, in words; None when it can."""
    return letter_problems(session, nomination, [letter])[letter]


def letter_problems(session: Session, nomination: Nomination, letters_asked: list[str]) -> dict[str, str | None]:
    """letter_problem for each letter asked, from one reading of what the letters are made of."""
    letters = _letters()
    # Every letter says the candidate has a place (the certificate, that they took it up): made for
    # anyone else it would say what is not so.
    if nomination.status != NominationStatus.ACCEPTED:
        return dict.fromkeys(letters_asked, _("Letters are made once the applicant has accepted a place."))
    offer = offers.accepted_offer(session, nomination)
    try:
        data = letter_data(session, nomination, offer)
    except letters.LetterDataError as exc:
        data, unreadable = None, str(exc)
    problems: dict[str, str | None] = {}
    for letter in letters_asked:
        if letter == "certificate" and not (offer and offer.attended):
            problems[letter] = _("The certificate is made once the lab's host confirms that the student took part.")
            continue
        if letter == "visa" and not (nomination.passport_number and nomination.passport_name
                                     and nomination.date_of_birth and nomination.nationality):
            problems[letter] = _("The visa letter needs the passport name, number, date of birth and nationality.")
            continue
        if data is None:
            problems[letter] = unreadable
            continue
        # Against every font the letters have (Latin, Cyrillic, Hebrew, Chinese, Japanese), for what
        # this letter prints: the visa letter the passport name, the others the name as written.
        missing = letters.missing_characters(data, letter)
        problems[letter] = _("The letter's font cannot print %(characters)s, so the letter would lose them.",
                             characters=" ".join(missing)) if missing else None
    return problems


def letter_pdf(session: Session, nomination: Nomination, letter: str) -> tuple[str, bytes]:
    letters = _letters()
    make = {"acceptance": letters.acceptance_letter, "visa": letters.visa_letter,
            "certificate": letters.certificate}[letter]
    return f"{LETTER_FILES[letter]}-{nomination.id}.pdf", make(letter_data(session, nomination, offers.accepted_offer(session, nomination)))


def _nomination_of(session: Session, facts: dict[str, Any]) -> Nomination:
    if "nomination" in facts:
        return session.get(Nomination, facts["nomination"])
    return session.get(Nomination, session.get(Offer, facts["offer"]).nomination_id)


for _letter in LETTER_FILES:
    define_letter(_letter,
                  problem=lambda session, facts, name=_letter: letter_problem(session, _nomination_of(session, facts), name),
                  render=lambda session, facts, name=_letter: letter_pdf(session, _nomination_of(session, facts), name),
                  filename=lambda session, facts, name=_letter: f"{LETTER_FILES[name]}-{_nomination_of(session, facts).id}.pdf")


def applicant_letter(session: Session, nomination: Nomination, letter: str) -> tuple[str, bytes] | None:
    """A letter the applicant may download: only once they accepted their place."""
    if letter not in ("acceptance", "visa") or nomination.status != NominationStatus.ACCEPTED \
            or letter_problem(session, nomination, letter):
        return None
    return letter_pdf(session, nomination, letter)


# -- reminders and bulk drafts ---------------------------------------------------------------------------

def send_offer_reminders(session: Session, base_url: str, now: datetime | None = None) -> int:
    """One reminder per pending offer, once its deadline is within the edition's
    reminder_days_before. The offer row is locked, so two workers never remind twice."""
    now = now or utcnow()
    sent = 0
    with transaction(session):
        query = (select(Offer, Nomination, Edition).join(Nomination, Nomination.id == Offer.nomination_id)
                 .join(Edition, Edition.id == Nomination.edition_id)
                 .where(Offer.status == OfferStatus.PENDING, Offer.reminded_at.is_(None),
                        Offer.response_deadline > now)
                 .with_for_update(skip_locked=True, of=Offer))
        for offer, nomination, edition in session.exec(query).all():
            if offer.response_deadline > now + timedelta(days=edition.reminder_days_before):
                continue
            enqueue(session, "offer_reminder", candidate_reader(session, nomination), {"offer": offer.id},
                    edition_id=edition.id, nomination_id=nomination.id, base_url=base_url)
            offer.reminded_at = now
            session.add(offer)
            record(session, SYSTEM, "offer_reminder_sent", "offer", offer.id, edition_id=edition.id,
                   organisation_id=nomination.organisation_id, nomination_id=nomination.id)
            sent += 1
    return sent


def _accepted(session: Session, edition_id: int) -> list[Nomination]:
    return list(session.exec(select(Nomination).where(
        Nomination.edition_id == edition_id, Nomination.status == NominationStatus.ACCEPTED)
        .order_by(Nomination.family_name, Nomination.given_name, Nomination.id)).all())


def _attended(session: Session, edition_id: int) -> list[Nomination]:
    """Accepted students whose lab's host confirmed that they took part."""
    return list(session.exec(select(Nomination).join(Offer, Offer.nomination_id == Nomination.id).where(
        Nomination.edition_id == edition_id, Nomination.status == NominationStatus.ACCEPTED,
        Offer.status == OfferStatus.ACCEPTED, Offer.attended == True)  # noqa: E712
        .order_by(Nomination.family_name, Nomination.given_name, Nomination.id)).all())


def _new_batch(session: Session, actor: Actor, edition: Edition, kind: str) -> str:
    if kind == "certificate":
        # Certificates go only to those whose host confirmed their attendance.
        accepted = _attended(session, edition.id)
        if not accepted:
            raise DomainError(_("No host has confirmed a student's attendance yet: certificates go only to "
                                "students who took part."))
    else:
        accepted = _accepted(session, edition.id)
    if not accepted:
        raise DomainError(_("No student has accepted a place in this edition yet."))
    batch = f"{kind}-{edition.year}-{utcnow():%Y%m%d-%H%M%S}"
    with transaction(session):
        for nomination in accepted:
            enqueue(session, kind, candidate_reader(session, nomination), {"nomination": nomination.id},
                    edition_id=edition.id, nomination_id=nomination.id, batch=batch, draft=True)
        record(session, actor, "batch_created", "outbox_batch", None, edition_id=edition.id,
               changes={"batch": batch, "kind": kind, "messages": len(accepted)})
    return batch


def create_welcome_batch(session: Session, actor: Actor, edition: Edition) -> str:
    """Practical information before arrival, as drafts to every student who accepted."""
    return _new_batch(session, actor, edition, "welcome_information")


def create_certificate_batch(session: Session, actor: Actor, edition: Edition) -> str:
    """The certificates, as drafts with the PDF attached, from the programme's last day on."""
    if local(utcnow()).date() < edition.ends_on:
        raise DomainError(_("Certificates can be prepared from the last day of the programme, %(day)s.",
                            day=format_date(edition.ends_on)))
    return _new_batch(session, actor, edition, "certificate")
