"""Organisers see a nomination's letters and emails from their side: letters previewed and downloaded
as they are made now (after a passport correction too), every email that person was sent with its
status, and a resend that writes the message again with a fresh personal link."""

import re
from datetime import date, timedelta

from pypdf import PdfReader
import io

from sqlmodel import select

from ish_portal.db import utcnow
from ish_portal.notifications.models import OutboxMessage
from ish_portal.placement.models import Offer, OfferStatus
from tests.conftest import fresh, post_form


def accepted(db, make, edition, **fields):
    organisation = make.organisation(db, name="Bautzen", country="DE")
    lab = make.lab(db, edition, institute="EMBL", group_name="Structural Biology")
    values = {"given_name": "Zofia", "family_name": "Nowak", "status": "accepted", "passport_name": "NOWAK ZOFIA",
              "passport_number": "EK 4711023", "nationality": "PL", "date_of_birth": date(2008, 3, 14)} | fields
    nomination = make.nomination(db, edition, organisation, **values)
    db.add(Offer(nomination_id=nomination.id, lab_id=lab.id, status=OfferStatus.ACCEPTED,
                 response_deadline=utcnow() + timedelta(days=2), released_at=utcnow(), responded_at=utcnow()))
    db.commit()
    return nomination


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_review_letters_show_the_corrected_passport_number(as_organiser, db, make, edition):
    nomination = accepted(db, make, edition)
    page = as_organiser.get(f"/organiser/nominations/{nomination.id}").text
    assert "Acceptance letter" in page and "Visa invitation letter" in page
    inline = as_organiser.get(f"/organiser/nominations/{nomination.id}/letters/visa.pdf?view=inline")
    assert inline.headers["content-disposition"].startswith("inline")
    assert "EK 4711023" in pdf_text(inline.content)

    fresh(db)
    stored = db.get(type(nomination), nomination.id)
    stored.passport_number = "EK 4711099"
    db.add(stored)
    db.commit()
    download = as_organiser.get(f"/organiser/nominations/{nomination.id}/letters/visa.pdf")
    assert download.headers["content-disposition"].startswith("attachment")
    assert "EK 4711099" in pdf_text(download.content)


def test_review_letters_say_why_one_cannot_be_made(as_organiser, db, make, edition):
    nomination = accepted(db, make, edition, passport_number="")
    page = as_organiser.get(f"/organiser/nominations/{nomination.id}").text
    assert "The visa letter needs the passport name, number, date of birth and nationality." in page
    assert as_organiser.get(f"/organiser/nominations/{nomination.id}/letters/visa.pdf").status_code == 404


def test_review_messages_are_listed_and_resent_with_a_fresh_link(as_organiser, db, make, edition, smtp, deliver):
    organisation = make.organisation(db, name="Kumamoto")
    nomination = make.nomination(db, edition, organisation, given_name="Haruto", email="haruto@example.org")
    post_form(as_organiser, "/access", "/access", {"email": "haruto@example.org"})
    deliver()
    page = as_organiser.get(f"/organiser/nominations/{nomination.id}").text
    assert "Your personal link to the ISH portal" in page and "haruto@example.org" in page
    [original] = fresh(db).exec(select(OutboxMessage)).all()

    post_form(as_organiser, f"/organiser/nominations/{nomination.id}",
              f"/organiser/nominations/{nomination.id}/messages/{original.id}/resend", {})
    deliver()
    first, second = smtp.to("haruto@example.org")
    links = [re.search(r"/access/([\w-]+)", smtp.text_of(m)).group(1) for m in (first, second)]
    assert links[0] != links[1]
    assert first["Message-ID"] != second["Message-ID"]
    assert as_organiser.get(f"/organiser/nominations/{nomination.id}").text.count("Your personal link to the ISH portal") == 2


def test_review_letters_wait_for_an_accepted_place(as_organiser, db, make, edition):
    # An acceptance letter for a rejected candidate (or one still deciding) would say what is
    # not so: letters come with an accepted place, the certificate with the host's confirmation.
    organisation = make.organisation(db, name="Bautzen", country="DE")
    for status in ("submitted", "rejected", "offered", "declined", "withdrawn"):
        nomination = make.nomination(db, edition, organisation, status=status, passport_name="NOWAK ZOFIA",
                                     passport_number="EK 4711023", nationality="PL")
        page = as_organiser.get(f"/organiser/nominations/{nomination.id}").text
        assert page.count("Letters are made once the applicant has accepted a place.") == 1, status
        assert "letters/acceptance.pdf" not in page
        for letter in ("acceptance", "visa", "certificate"):
            assert as_organiser.get(f"/organiser/nominations/{nomination.id}/letters/{letter}.pdf").status_code == 404

    nomination = accepted(db, make, edition)
    page = as_organiser.get(f"/organiser/nominations/{nomination.id}").text
    assert f"/organiser/nominations/{nomination.id}/letters/acceptance.pdf" in page
    assert f"/organiser/nominations/{nomination.id}/letters/visa.pdf" in page
    assert "The certificate is made once the lab&#39;s host confirms that the student took part." in page
    assert as_organiser.get(f"/organiser/nominations/{nomination.id}/letters/certificate.pdf").status_code == 404

    offer = fresh(db).exec(select(Offer).where(Offer.nomination_id == nomination.id)).one()
    offer.attended = True
    db.add(offer)
    db.commit()
    certificate = as_organiser.get(f"/organiser/nominations/{nomination.id}/letters/certificate.pdf")
    assert certificate.content.startswith(b"%PDF") and "Zofia Nowak" in pdf_text(certificate.content)
