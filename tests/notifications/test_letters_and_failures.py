"""Letters go with the emails that carry them, in every script, and can be downloaded after
acceptance; a letter that would lose a character no font prints is not attached, and the organiser
sees why; failed messages are shown to organisers and retried; the sender keeps its pace per
minute."""

import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlmodel import select

from ish_portal.accounts.models import TokenPurpose
from ish_portal.accounts.service import issue_token
from ish_portal.audit.service import Actor
from ish_portal.db import transaction, utcnow
from ish_portal.notifications.models import OutboxAttachment, OutboxMessage, OutboxStatus
from ish_portal.notifications.sender import Sender
from ish_portal.notifications.catalog import Reader
from ish_portal.notifications.service import enqueue
from ish_portal.placement.messages import create_certificate_batch
from ish_portal.placement.models import Offer, OfferStatus
from ish_portal.placement.offers import respond
from tests.conftest import fresh, post_form


def offered(db, world, nomination) -> Offer:
    nomination.status = "offered"
    db.add(nomination)
    offer = Offer(nomination_id=nomination.id, lab_id=world.lab.id, status=OfferStatus.PENDING,
                  response_deadline=utcnow() + timedelta(days=5))
    db.add(offer)
    db.commit()
    return offer


def pdf_names(message) -> list[str]:
    return [part.get_filename() for part in message.iter_attachments() if part.get_content().startswith(b"%PDF")]


def test_letters_acceptance_carries_acceptance_and_visa_letters(db, world, smtp, deliver):
    nomination = world.submitted
    nomination.passport_name, nomination.passport_number = "SCHULZ LENA", "C01X00T47"
    nomination.nationality = "DE"
    offer = offered(db, world, nomination)
    respond(db, nomination.id, offer.id, accept=True)
    deliver()
    [message] = smtp.to("lena@example.org")
    assert message["Subject"] == "Welcome to ISH 2027: your place is confirmed"
    assert pdf_names(message) == [f"acceptance-letter-{nomination.id}.pdf", f"visa-letter-{nomination.id}.pdf"]
    [to_coordinator] = smtp.to("koordination@bautzen.example")
    assert list(to_coordinator.iter_attachments()) == []


def test_letters_acceptance_without_passport_details_has_no_visa_letter(db, world, smtp, deliver):
    offer = offered(db, world, world.submitted)
    respond(db, world.submitted.id, offer.id, accept=True)
    deliver()
    [message] = smtp.to("lena@example.org")
    assert pdf_names(message) == [f"acceptance-letter-{world.submitted.id}.pdf"]


def enter(client, db, nomination):
    raw = issue_token(db, TokenPurpose.APPLICANT_ACCESS, nomination.email, timedelta(days=1),
                      nomination_id=nomination.id)
    db.commit()
    post_form(client, f"/access/{raw}", f"/access/{raw}", {})


def test_letters_download_after_acceptance(client, db, world):
    enter(client, db, world.accepted)
    acceptance = client.get("/applicant/letters/acceptance.pdf")
    assert acceptance.status_code == 200
    assert acceptance.headers["content-type"] == "application/pdf"
    assert acceptance.content.startswith(b"%PDF")
    assert client.get("/applicant/letters/visa.pdf").content.startswith(b"%PDF")
    assert client.get("/applicant/letters/certificate.pdf").status_code == 404


def test_letters_not_before_acceptance_nor_visa_without_passport(client, db, world):
    enter(client, db, world.submitted)
    assert client.get("/applicant/letters/acceptance.pdf").status_code == 404
    client.cookies.clear()
    enter(client, db, world.accepted_en)
    assert client.get("/applicant/letters/acceptance.pdf").status_code == 200
    assert client.get("/applicant/letters/visa.pdf").status_code == 404


def test_failures_are_listed_and_retried_with_attempts_kept(organiser, db, world, smtp, deliver):
    with transaction(db):
        enqueue(db, "applicant_access", Reader("nobody@example.org", "Nobody"),
                {"nomination": world.submitted.id, "days": 14})
    smtp.answer = "550 5.1.1 No such user here"
    deliver()
    page = organiser.get("/organiser/messages/failed").text
    assert "nobody@example.org" in page and "5.1.1 No such user here" in page
    failed = fresh(db).exec(select(OutboxMessage)).one()
    post_form(organiser, "/organiser/messages/failed", f"/organiser/messages/failed/{failed.id}/retry", {})
    retried = fresh(db).get(OutboxMessage, failed.id)
    assert (retried.status, retried.attempts) == (OutboxStatus.QUEUED, 1)
    smtp.answer = None
    deliver()
    assert [smtp.address_of(m) for m in smtp.messages] == ["nobody@example.org"]
    assert (fresh(db).get(OutboxMessage, failed.id).attempts) == 2
    assert "No message has failed." in organiser.get("/organiser/messages/failed").text


def test_failures_retry_of_a_sent_message_is_refused(organiser, db, world, smtp, deliver):
    with transaction(db):
        enqueue(db, "applicant_access", Reader("tom@example.org", "Tom"),
                {"nomination": world.accepted_en.id, "days": 14})
    deliver()
    sent = fresh(db).exec(select(OutboxMessage)).one()
    response = post_form(organiser, "/organiser/messages/failed", f"/organiser/messages/failed/{sent.id}/retry", {})
    assert "This message has not failed, so there is nothing to retry." in response.text
    assert len(smtp.messages) == 1


def test_rate_limit_spaces_messages_by_the_configured_rate(db, engine, settings, smtp, world):
    with transaction(db):
        for n in range(3):
            enqueue(db, "applicant_access", Reader(f"s{n}@example.org", "S"),
                    {"nomination": world.submitted.id, "days": 14})
    now = [1000.0]
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        now[0] += seconds

    sender = Sender(engine, settings.model_copy(update={"mail_per_minute": 30}), clock=lambda: now[0], sleep=sleep)
    assert sender.gap_seconds == 2.0
    assert sender.run_until_idle() == 3
    assert pauses == [2.0, 2.0]  # none before the first message
    assert len(smtp.messages) == 3


# -- letters in every script, and a warning for what no font prints --------------------------------------

def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    # pypdf reads the Chinese and Japanese fonts' two-byte codes with a NUL before each character.
    return " ".join(page.extract_text().replace("\x00", "") for page in reader.pages)


@pytest.mark.parametrize("given, family", [("נועה", "כהן"), ("晓明", "王"), ("さくら", "熊本"),
                                           ("Олександра", "Шевченко")])
def test_letters_in_every_script_go_with_the_acceptance(db, world, smtp, deliver, given, family):
    nomination = world.submitted
    nomination.given_name, nomination.family_name = given, family
    offer = offered(db, world, nomination)
    respond(db, nomination.id, offer.id, accept=True)
    deliver()
    [message] = smtp.to("lena@example.org")
    [pdf] = [part for part in message.iter_attachments() if part.get_content().startswith(b"%PDF")]
    assert pdf.get_filename() == f"acceptance-letter-{nomination.id}.pdf"
    text = pdf_text(pdf.get_content())
    for part in (given, family):
        # A Hebrew name comes out of pypdf in the order it is painted, word by word.
        assert part in text


UNPRINTABLE = "Tiziri ⵜⵉⵣⵉⵔⵉ"  # Tifinagh: no font of the letters has it


def unprintable_accepted(db, world):
    nomination = world.submitted
    nomination.given_name = UNPRINTABLE
    nomination.passport_name, nomination.passport_number = "SCHULZ TIZIRI", "C01X00T47"
    nomination.nationality, nomination.date_of_birth = "DE", date(2009, 5, 2)
    offer = offered(db, world, nomination)
    respond(db, nomination.id, offer.id, accept=True)
    offer = db.get(Offer, offer.id)
    offer.attended, offer.project_title = True, "Protein folding"  # as the lab's host confirmed
    db.add(offer)
    db.commit()
    return nomination


def test_letters_a_name_no_font_prints_warns_the_organiser_and_sends_without_that_letter(
        organiser, db, world, smtp, deliver):
    nomination = unprintable_accepted(db, world)
    deliver()
    [message] = smtp.to("lena@example.org")
    # The visa letter prints the passport name, in Latin letters, and goes; the acceptance letter
    # would lose the Tifinagh part of the name, and stays behind.
    assert pdf_names(message) == [f"visa-letter-{nomination.id}.pdf"]
    page = organiser.get(f"/organiser/nominations/{nomination.id}").text
    warning = "The letter&#39;s font cannot print ⵜ ⵉ ⵣ ⵔ, so the letter would lose them."
    assert page.count(warning) == 2  # the acceptance letter and the certificate
    assert organiser.get(f"/organiser/nominations/{nomination.id}/letters/acceptance.pdf").status_code == 404
    assert organiser.get(f"/organiser/nominations/{nomination.id}/letters/visa.pdf").content.startswith(b"%PDF")


def test_letters_certificate_draft_of_a_name_no_font_prints_has_no_pdf(organiser, db, world, smtp, deliver):
    nomination = unprintable_accepted(db, world)
    world.edition.starts_on, world.edition.ends_on = date.today() - timedelta(days=30), date.today() - timedelta(days=1)
    db.add(world.edition)
    db.commit()
    batch = create_certificate_batch(db, Actor.of_user(world.organiser), world.edition)
    draft = fresh(db).exec(select(OutboxMessage).where(OutboxMessage.batch == batch,
                                                       OutboxMessage.recipient == "lena@example.org")).one()
    names = sorted(fresh(db).exec(select(OutboxAttachment.filename).join(OutboxMessage)
                                  .where(OutboxMessage.batch == batch)).all())
    assert names == sorted(f"certificate-{n.id}.pdf" for n in (world.accepted, world.accepted_en))
    warning = "The letter&#39;s font cannot print ⵜ ⵉ ⵣ ⵔ, so the letter would lose them."
    draft_page = organiser.get(f"/organiser/messages/{draft.id}").text
    assert "Attachments" not in draft_page
    assert f"This message goes without its letter: {warning}" in draft_page  # said before sending
    batch_page = organiser.get(f"/organiser/messages/batches/{batch}").text
    assert "1 message of this page goes without its letter:" in batch_page and warning in batch_page
    post_form(organiser, f"/organiser/messages/batches/{batch}/send", f"/organiser/messages/batches/{batch}/send", {})
    deliver()
    [message] = [m for m in smtp.to("lena@example.org") if m["Subject"].startswith("Your certificate")]
    assert pdf_names(message) == []
    [tom] = smtp.to("tom@example.org")
    assert pdf_names(tom) == [f"certificate-{world.accepted_en.id}.pdf"]
