"""Emails are built from facts in the reader's language: every kind of message, sent to an English
and to a German reader while the person who caused it works in the other language, reads wholly in
the reader's language, dates included, with the footer and the Content-Language of that language."""

import re
from datetime import date, timedelta

import pytest
from babel.dates import get_month_names

from sqlmodel import select

from ish_portal.accounts.models import PanelMember
from ish_portal.interviews.models import InterviewBooking, InterviewSlot
from ish_portal.db import transaction, utcnow
from ish_portal.nominations.models import Interview
from ish_portal.notifications.catalog import KINDS, Reader
from ish_portal.notifications.service import enqueue
from ish_portal.panel.models import ReviewSettings
from ish_portal.placement.models import Offer, OfferStatus
from ish_portal.text import i18n

# Words that only one of the two languages uses in running text.
ENGLISH = {"the", "your", "you", "and", "please", "dear", "has", "have", "with", "this", "our", "will"}
GERMAN = {"und", "der", "die", "das", "dein", "deine", "bitte", "hallo", "liebe", "lieber", "wir", "ist", "für"}
# Month names as each language writes them in full (Babel's, the same data the portal formats with).
ENGLISH_MONTHS = set(get_month_names("wide", locale="en_GB").values())
GERMAN_MONTHS = set(get_month_names("wide", locale="de_DE").values())


@pytest.fixture
def facts(db, make):
    """One nomination with everything a message may speak of: an accepted offer, a pending one,
    an interview, and a coordinator's account."""
    edition = make.edition(db, title="ISH 2027", starts_on=date(2027, 7, 12), ends_on=date(2027, 8, 7))
    kumamoto = make.organisation(db, name="Kumamoto", time_zone="Asia/Tokyo")
    make.quota(db, edition, kumamoto, places=2)
    coordinator = make.coordinator(db, kumamoto, full_name="Keiko Sato")
    lab = make.lab(db, edition, institute="EMBL", group_name="Structural Biology")
    nomination = make.nomination(db, edition, kumamoto, given_name="Haruto", family_name="Nakamura",
                                 guardian_name="Yui Nakamura", guardian_email="yui@example.org",
                                 status="accepted", passport_name="NAKAMURA HARUTO", passport_number="TK1234567",
                                 nationality="JP")
    accepted = Offer(nomination_id=nomination.id, lab_id=lab.id, status=OfferStatus.ACCEPTED,
                     response_deadline=utcnow() + timedelta(days=3), released_at=utcnow())
    pending = Offer(nomination_id=nomination.id, lab_id=lab.id, status=OfferStatus.PENDING,
                    response_deadline=utcnow() + timedelta(days=5), released_at=utcnow())
    interview = Interview(nomination_id=nomination.id, scheduled_at=utcnow() + timedelta(days=10),
                          interviewer="Dr. Anna Schmidt")
    db.add_all([accepted, pending, interview])
    db.commit()
    reviewer = make.panel_member(db, edition, full_name="Rafael Reviewer")
    member = db.exec(select(PanelMember).where(PanelMember.user_id == reviewer.id)).one()
    db.add(ReviewSettings(edition_id=edition.id, review_deadline=utcnow() + timedelta(days=2)))
    db.commit()
    interviewer = make.panel_member(db, edition, reviews=False, interviews=True, full_name="Dr. Anna Schmidt")
    slot = InterviewSlot(edition_id=edition.id, interviewer_id=interviewer.id, starts_at=utcnow() + timedelta(days=12),
                         join_kind="phone", join_how="+49 6221 58 10580")
    db.add(slot)
    db.flush()
    booking = InterviewBooking(edition_id=edition.id, nomination_id=nomination.id, slot_id=slot.id)
    db.add(booking)
    db.commit()
    return {"member": member.id, "edition": edition.id, "open": 3, "slot": slot.id, "booking": booking.id,
            "nomination": nomination.id, "interview": interview.id, "user": coordinator.id, "days": 14,
            "hours": 2, "inviter": "Olga Organiser", "reason": "",
            "offer": pending.id, "accepted_offer": accepted.id, "lab": lab.id}


def _words(text: str) -> set[str]:
    # Proper names stay as they are in any language; they are not the message's words.
    for name in ("International Summer Science School Heidelberg", "Structural Biology", "Haruto", "Nakamura",
                 "Yui", "Keiko Sato", "Olga Organiser", "Anna Schmidt", "ISH"):
        text = text.replace(name, " ")
    text = re.sub(r"https?://\S+|\S+@\S+", " ", text)
    return {word.lower() for word in re.findall(r"[^\W\d_]+", text)}


def _months(text: str) -> set[str]:
    return {token.strip(",") for token in text.split()} & (ENGLISH_MONTHS | GERMAN_MONTHS)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_message_languages_every_kind_reads_in_its_readers_language(db, facts, kind):
    offer = facts["accepted_offer"] if kind in ("offer_accepted", "certificate", "welcome_information",
                                                 "offer_accepted_coordinator") else facts["offer"]
    written = {}
    for language, acting in (("en", "de"), ("de", "en")):
        with i18n.language(acting), transaction(db):
            message = enqueue(db, kind, Reader(f"{language}@example.org", "Haruto", language, "Asia/Tokyo"),
                              {**facts, "offer": offer}, nomination_id=facts["nomination"])
        written[language] = f"{message.subject}\n{message.body_text}"
    english, german = _words(written["en"]), _words(written["de"])
    assert not english & GERMAN, f"{kind} in English has German words: {english & GERMAN}"
    assert not german & ENGLISH, f"{kind} in German has English words: {german & ENGLISH}"
    assert not _months(written["en"]) & GERMAN_MONTHS - ENGLISH_MONTHS
    assert not _months(written["de"]) & ENGLISH_MONTHS - GERMAN_MONTHS
    assert "This message was sent by the ISH admissions portal." in written["en"]
    assert "Diese Nachricht hat das Zulassungsportal des ISH verschickt." in written["de"]


def test_message_languages_times_are_in_the_readers_zone_with_heidelbergs_beside(db, facts):
    with transaction(db):
        message = enqueue(db, "offer_reminder", Reader("h@example.org", "Haruto", "en", "Asia/Tokyo"), facts)
    assert re.search(r"\d{2}:\d{2} Japan Standard Time \(\d+ \w+ \d{4}, \d{2}:\d{2} CES?T in Heidelberg\)", message.body_text)


def test_message_languages_a_zone_on_heidelbergs_clock_says_the_time_once(db, facts):
    # Montpellier keeps Heidelberg's clock: "23:59 CET (23:59 CET in Heidelberg)" says nothing twice.
    with transaction(db):
        message = enqueue(db, "offer_reminder", Reader("c@example.org", "Chloé", "en", "Europe/Paris"), facts)
    assert "in Heidelberg)" not in message.body_text
    assert re.search(r"\d+ \w+ \d{4}, \d{2}:\d{2} CES?T", message.body_text)


def test_message_languages_email_carries_content_language(db, facts, engine, settings, smtp):
    from ish_portal.notifications.sender import Sender
    with transaction(db):
        enqueue(db, "applicant_access", Reader("de@example.org", "Haruto", "de"), facts)
    Sender(engine, settings).run_until_idle()
    [message] = smtp.messages
    assert message["Content-Language"] == "de"
    assert 'lang="de"' in smtp.html_of(message)
