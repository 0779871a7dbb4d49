"""An organiser writes to a filtered group in a real browser: chooses the group and filters, sees
who would read it, writes in English and German, previews one recipient's message, schedules the
batch for a time in Heidelberg; at that time the worker releases it and the email arrives."""

from datetime import date, timedelta

from sqlmodel import select

from ish_portal.db import utcnow
from ish_portal.mailings import service
from ish_portal.mailings.models import Mailing
from ish_portal.text.timefmt import local
from tests.conftest import fresh
from tests.factories import PASSWORD


def test_organiser_composes_previews_and_schedules_a_message_to_a_group(page, live_server, db, make, smtp,
                                                                        wait_for_mail, settings):
    edition = make.edition(db, title="ISH 2027", starts_on=date(2027, 7, 12), ends_on=date(2027, 8, 7))
    bautzen = make.organisation(db, name="Bautzen", slug="bautzen", country="DE")
    lyon = make.organisation(db, name="Lyon", slug="lyon", country="FR")
    for organisation in (bautzen, lyon):
        make.quota(db, edition, organisation, places=2)
    make.nomination(db, edition, bautzen, given_name="Anna", family_name="Weber", email="anna@example.org",
                    status="approved", language="de")
    make.nomination(db, edition, bautzen, given_name="Tom", family_name="Baker", email="tom@example.org",
                    status="approved")
    make.nomination(db, edition, lyon, given_name="Noémie", family_name="Laurent", email="noemie@example.org",
                    status="approved", language="fr")
    make.organiser(db, email="olga@ish.example")

    page.goto("/login")
    page.get_by_label("Email address").fill("olga@ish.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/organiser/messages")
    page.get_by_role("link", name="Write to a group").first.click()

    # Whom: Bautzen's candidates. The count and the list come before any writing.
    page.get_by_label("Organisation").select_option(label="Bautzen")
    page.get_by_label("Write to").select_option(label="the candidates")
    page.get_by_role("button", name="Show recipients").click()
    page.get_by_text("2 recipients: the candidates").wait_for()
    assert page.get_by_role("cell", name="anna@example.org").is_visible()
    assert page.get_by_role("cell", name="noemie@example.org").count() == 0

    page.locator("#f-subject_en").fill("Arrival on {{ starts_on }}")
    page.locator("#f-body_en").fill("Dear {{ name }},\n\nwe meet you at the station.\n")
    page.locator("#f-subject_de").fill("Anreise am {{ starts_on }}")
    page.locator("#f-body_de").fill("Hallo {{ name }},\n\nwir holen dich am Bahnhof ab.\n")
    page.get_by_role("button", name="Write 2 drafts").click()
    page.get_by_text("The 2 drafts are ready").wait_for()

    # Anna's message as she will read it.
    page.get_by_role("link", name="Anreise am 12. Juli 2027").click()
    page.get_by_text("Hallo Anna,").wait_for()
    page.go_back()

    when = local(utcnow() + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    page.get_by_label("Send on").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Schedule").click()
    page.get_by_text("The message goes out on").wait_for()
    assert "Europe/Berlin" in page.content()
    assert page.locator("#mailing-state").inner_text() == "scheduled"

    mailing = fresh(db).exec(select(Mailing)).one()
    assert mailing.scheduled_at == when
    assert smtp.messages == []
    # Its time comes: the worker's step releases it and the portal's sender delivers it.
    assert service.release_due(fresh(db), live_server, now=when) == 2
    [anna] = wait_for_mail("anna@example.org")
    [tom] = wait_for_mail("tom@example.org")
    assert anna["Subject"] == "Anreise am 12. Juli 2027" and tom["Subject"] == "Arrival on 12 July 2027"
    assert smtp.to("noemie@example.org") == []
    page.goto("/organiser/messages/mailings")
    page.get_by_role("cell", name="Olga Organiser").wait_for()
    assert page.locator(".status-sent").inner_text() == "sent"
