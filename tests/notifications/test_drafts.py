"""Bulk messages as drafts: written for review, previewed in a sandbox, edited, discarded, rendered
again after a wording change, sent all at once, and delivered once each even through an outage."""

from datetime import date, timedelta

from sqlmodel import select

from ish_portal.audit.service import Actor
from ish_portal.errors import DomainError
from ish_portal.audit.models import AuditEvent
from ish_portal.db import utcnow
from ish_portal.notifications.models import OutboxAttachment, OutboxMessage, OutboxStatus
from ish_portal.placement.messages import create_certificate_batch, create_welcome_batch
from tests.conftest import fresh, post_form

import pytest


def without_footer(text: str) -> str:
    """A message's text without the portal's footer, which follows the signature line "-- "."""
    return text.split("\n\n-- \n")[0] + "\n"


def drafts(db):
    return list(fresh(db).exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())


def welcome(organiser) -> str:
    response = post_form(organiser, "/organiser/messages", "/organiser/messages/new/welcome_information", {},
                         follow_redirects=False)
    assert response.status_code == 303
    return response.headers["location"]


def test_drafts_welcome_goes_to_every_accepted_student_as_drafts(organiser, db, world, smtp, deliver):
    batch_url = welcome(organiser)
    rows = drafts(db)
    assert sorted((r.recipient, r.status, r.language) for r in rows) == [
        ("tom@example.org", "draft", "en"), ("zofia@example.org", "draft", "de")]
    assert batch_url == f"/organiser/messages/batches/{rows[0].batch}"
    assert deliver() == 0  # drafts are never sent as they are
    page = organiser.get(batch_url).text
    assert "Send all 2 drafts" in page and "tom@example.org" in page


def test_drafts_html_part_is_served_in_a_sandbox(organiser, db, world):
    welcome(organiser)
    message = drafts(db)[0]
    page = organiser.get(f"/organiser/messages/{message.id}").text
    assert f'<iframe sandbox src="/organiser/messages/{message.id}/html"' in page
    html = organiser.get(f"/organiser/messages/{message.id}/html")
    assert html.headers["content-security-policy"].startswith("sandbox;")
    assert html.headers["x-frame-options"] == "SAMEORIGIN"
    assert html.text == message.body_html


def test_drafts_edit_is_kept_and_sent(organiser, db, world, smtp, deliver):
    welcome(organiser)
    tom = next(r for r in drafts(db) if r.recipient == "tom@example.org")
    page = f"/organiser/messages/{tom.id}"
    response = post_form(organiser, page, page, {"subject": "See you soon, Tom",
                                                 "body": "Dear Tom,\r\n\r\nbring a raincoat.\r\n"},
                         follow_redirects=False)
    assert response.status_code == 303
    edited = fresh(db).get(OutboxMessage, tom.id)
    assert (edited.subject, without_footer(edited.body_text), edited.status) == (
        "See you soon, Tom", "Dear Tom,\n\nbring a raincoat.\n", "draft")
    assert "<p>bring a raincoat.</p>" in edited.body_html
    post_form(organiser, f"/organiser/messages/batches/{tom.batch}/send",
              f"/organiser/messages/batches/{tom.batch}/send", {})
    deliver()
    [message] = smtp.to("tom@example.org")
    assert message["Subject"] == "See you soon, Tom"
    assert without_footer(smtp.text_of(message)) == "Dear Tom,\n\nbring a raincoat.\n"


def test_drafts_empty_edit_is_refused_beside_the_field(organiser, db, world):
    welcome(organiser)
    tom = drafts(db)[0]
    response = post_form(organiser, f"/organiser/messages/{tom.id}", f"/organiser/messages/{tom.id}",
                         {"subject": "", "body": "text"})
    assert response.status_code == 422
    assert 'id="e-subject">Enter a subject.</p>' in response.text
    assert fresh(db).get(OutboxMessage, tom.id).subject == tom.subject


def test_drafts_discard_asks_first_then_deletes_only_that_draft(organiser, db, world, smtp, deliver):
    welcome(organiser)
    first, second = drafts(db)
    batch, second_id, second_to = first.batch, second.id, second.recipient
    confirm = organiser.get(f"/organiser/messages/{first.id}/discard").text
    assert "Discard the draft?" in confirm and first.recipient in confirm
    post_form(organiser, f"/organiser/messages/{first.id}/discard", f"/organiser/messages/{first.id}/discard", {})
    assert [r.id for r in drafts(db)] == [second_id]
    post_form(organiser, f"/organiser/messages/batches/{batch}/send", f"/organiser/messages/batches/{batch}/send", {})
    deliver()
    assert [smtp.address_of(m) for m in smtp.messages] == [second_to]
    assert fresh(db).exec(select(AuditEvent.action).where(AuditEvent.action.in_(["draft_discarded", "batch_sent"]))
                   .order_by(AuditEvent.id)).all() == ["draft_discarded", "batch_sent"]


def test_drafts_regenerate_uses_the_new_wording_and_keeps_recipients(organiser, db, world):
    welcome(organiser)
    batch = drafts(db)[0].batch
    page = "/organiser/messages/templates/welcome_information/en"
    post_form(organiser, page, page, {"subject": "Almost there, {{ name }}", "body": "See you in {{ lab }}.",
                                      "action": "save"})
    post_form(organiser, f"/organiser/messages/batches/{batch}/regenerate",
              f"/organiser/messages/batches/{batch}/regenerate", {})
    rows = {r.recipient: r for r in drafts(db)}
    assert rows["tom@example.org"].subject == "Almost there, Tom"
    assert without_footer(rows["tom@example.org"].body_text) == "See you in Structural Biology, EMBL.\n"
    # The German wording was not changed, so the German draft reads as before.
    assert rows["zofia@example.org"].subject == "ISH 2027: was du vor deiner Ankunft in Heidelberg wissen solltest"
    assert {r.status for r in rows.values()} == {"draft"}


def test_drafts_send_all_queues_every_draft_at_once(organiser, db, world):
    welcome(organiser)
    batch = drafts(db)[0].batch
    confirm = organiser.get(f"/organiser/messages/batches/{batch}/send").text
    assert "Send 2 messages?" in confirm
    post_form(organiser, f"/organiser/messages/batches/{batch}/send", f"/organiser/messages/batches/{batch}/send", {})
    assert [r.status for r in drafts(db)] == ["queued", "queued"]
    again = post_form(organiser, f"/organiser/messages/batches/{batch}/send",
                      f"/organiser/messages/batches/{batch}/send", {}, follow_redirects=True)
    assert "This batch has no drafts left to send." in again.text


def test_drafts_batch_sent_during_an_outage_is_delivered_exactly_once(organiser, db, world, smtp, deliver):
    welcome(organiser)
    batch = drafts(db)[0].batch
    smtp.stop()
    response = post_form(organiser, f"/organiser/messages/batches/{batch}/send",
                         f"/organiser/messages/batches/{batch}/send", {}, follow_redirects=False)
    assert response.status_code == 303
    deliver()
    waiting = drafts(db)
    assert [(r.status, r.attempts) for r in waiting] == [(OutboxStatus.QUEUED, 1)] * 2
    assert all(r.last_error for r in waiting)
    smtp.start()
    assert deliver() == 0  # not due yet: the backoff holds
    for row in waiting:
        row.next_attempt_at = utcnow()
        db.add(row)
    db.commit()
    deliver()
    deliver()
    assert sorted(smtp.address_of(m) for m in smtp.messages) == ["tom@example.org", "zofia@example.org"]
    assert [(r.status, r.attempts) for r in drafts(db)] == [(OutboxStatus.SENT, 2)] * 2


def test_drafts_certificates_wait_for_the_end_of_the_programme(db, world):
    with pytest.raises(DomainError, match="from the last day of the programme, 7 August 2027"):
        create_certificate_batch(db, Actor.of_user(world.organiser), world.edition)
    assert drafts(db) == []


def test_drafts_certificate_carries_the_pdf(db, world, smtp, deliver, organiser):
    world.edition.starts_on, world.edition.ends_on = date.today() - timedelta(days=30), date.today() - timedelta(days=1)
    db.add(world.edition)
    db.commit()
    batch = create_certificate_batch(db, Actor.of_user(world.organiser), world.edition)
    rows = drafts(db)
    assert [(r.kind, r.status, r.batch) for r in rows] == [("certificate", "draft", batch)] * 2
    names = sorted(db.exec(select(OutboxAttachment.filename)).all())
    assert names == sorted(f"certificate-{n.id}.pdf" for n in (world.accepted, world.accepted_en))
    post_form(organiser, f"/organiser/messages/batches/{batch}/send", f"/organiser/messages/batches/{batch}/send", {})
    deliver()
    [message] = smtp.to("tom@example.org")
    assert message["Subject"] == "Your certificate of participation in ISH 2027"
    assert "Thank you for taking part in ISH 2027 and for your work in Structural Biology, EMBL." in smtp.text_of(message)
    [pdf] = list(message.iter_attachments())
    assert pdf.get_filename() == f"certificate-{world.accepted_en.id}.pdf"
    assert pdf.get_content().startswith(b"%PDF")


def test_drafts_welcome_needs_someone_who_accepted(db, make):
    edition = make.edition(db)
    organiser = make.organiser(db)
    with pytest.raises(DomainError, match="No student has accepted a place in this edition yet."):
        create_welcome_batch(db, Actor.of_user(organiser), edition)
