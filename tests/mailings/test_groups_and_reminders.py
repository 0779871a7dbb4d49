"""The lab hosts and reviewers as groups to write to, the "not selected" message and the reminder
to rank labs before preferences close."""

from datetime import timedelta

from sqlmodel import select

from ish_portal.accounts.models import PanelMember, Role, User
from ish_portal.db import utcnow
from ish_portal.labs.models import LabHost
from ish_portal.mailings.messages import send_ranking_reminders
from ish_portal.mailings.models import Mailing
from ish_portal.nominations.models import LabPreference
from ish_portal.notifications.models import OutboxMessage
from tests.conftest import fresh, post_form
from tests.factories import hash_password
from tests.mailings.test_mailings import mailing_of, send_now, without_footer, write


def account(db, email, name, role, language="en") -> User:
    user = User(email=email, full_name=name, role=role, language=language, password_hash=hash_password())
    db.add(user)
    db.commit()
    return user


def test_mailings_lab_hosts_of_the_filtered_lab_or_of_every_lab(organiser, db, make, group, smtp, deliver):
    other = make.lab(db, group.edition, institute="DKFZ", group_name="Imaging")
    mia = account(db, "mia@embl.example", "Mia Hoffmann", Role.HOST, "de")
    ravi = account(db, "ravi@dkfz.example", "Ravi Patel", Role.HOST)
    db.add_all([LabHost(lab_id=group.lab.id, user_id=mia.id), LabHost(lab_id=other.id, user_id=ravi.id)])
    db.commit()
    every = organiser.get("/organiser/messages/compose?group=hosts").text
    assert "2 recipients: lab hosts" in every and "Imaging, DKFZ" in every
    mailing = mailing_of(db, write(organiser, f"group=hosts&lab={group.lab.id}", {
        "en": ("Your students", "Dear {{ name }}, students for {{ lab }}.\n"),
        "de": ("Ihre Studierenden", "Guten Tag {{ name }}, Studierende für {{ lab }}.\n")}))
    send_now(organiser, mailing)
    deliver()
    [message] = smtp.messages
    assert smtp.address_of(message) == "mia@embl.example"
    assert without_footer(smtp.text_of(message)) == "Guten Tag Mia Hoffmann, Studierende für Structural Biology, EMBL.\n"


def test_mailings_reviewers_are_the_panel_members_who_review(organiser, db, group, smtp, deliver):
    reader = account(db, "reader@panel.example", "Dr. Eva Klein", Role.PANEL)
    caller = account(db, "caller@panel.example", "Dr. Max Roth", Role.PANEL)
    db.add_all([PanelMember(edition_id=group.edition.id, user_id=reader.id, reviews=True),
                PanelMember(edition_id=group.edition.id, user_id=caller.id, reviews=False, interviews=True)])
    db.commit()
    mailing = mailing_of(db, write(organiser, "group=reviewers", {"en": ("Reviews open", "Dear {{ name }}.\n")}))
    send_now(organiser, mailing)
    deliver()
    assert [smtp.address_of(m) for m in smtp.messages] == ["reader@panel.example"]


def test_mailings_not_selected_goes_to_the_rejected_and_after_offers_to_those_without_a_place(
        organiser, db, group, smtp, deliver):
    response = post_form(organiser, "/organiser/messages", "/organiser/messages/not-selected", {},
                         follow_redirects=False)
    first = mailing_of(db, response)
    rows = fresh(db).exec(select(OutboxMessage).where(OutboxMessage.batch == first.batch)).all()
    assert [(r.recipient, r.kind, r.status) for r in rows] == [("sora@example.org", "not_selected", "draft")]
    # Offers are out: Lena, approved and without a place, hears too; Sora is not written to twice.
    session = fresh(db)
    edition = session.get(type(group.edition), group.edition.id)
    edition.offers_published_at = utcnow()
    session.add(edition)
    session.commit()
    second = mailing_of(db, post_form(organiser, "/organiser/messages", "/organiser/messages/not-selected", {},
                                      follow_redirects=False))
    send_now(organiser, first)
    send_now(organiser, second)
    deliver()
    [sora] = smtp.to("sora@example.org")
    [lena] = smtp.to("lena@example.org")
    assert sora["Subject"] == "ISH 2027：推薦についての結果のお知らせ"
    assert "慎重に拝見しましたが" in smtp.text_of(sora)  # not accepted after review
    assert lena["Subject"] == "ISH 2027: unsere Entscheidung über deine Nominierung"
    assert "Alle Laborplätze von ISH 2027 sind inzwischen vergeben" in smtp.text_of(lena)
    assert "Wie es weitergeht" in smtp.text_of(lena)
    again = post_form(organiser, "/organiser/messages", "/organiser/messages/not-selected", {})
    assert "Nobody is waiting to hear that they were not selected." in again.text


def test_mailings_ranking_reminder_once_to_approved_applicants_without_a_ranking(db, make, group, smtp, deliver, settings):
    session = fresh(db)
    edition = session.get(type(group.edition), group.edition.id)
    closes = utcnow() + timedelta(days=5)
    edition.preferences_locked_at, edition.reminder_days_before = closes, 2
    session.add(edition)
    ranked = make.nomination(db, group.edition, group.bautzen, email="ranked@example.org", status="approved")
    db.add(LabPreference(nomination_id=ranked.id, lab_id=group.lab.id, rank=1))
    db.commit()
    session.commit()
    # Five days ahead is outside the two days before closing.
    assert send_ranking_reminders(fresh(db), settings.base_url, now=utcnow()) == 0
    assert send_ranking_reminders(fresh(db), settings.base_url, now=closes - timedelta(days=1)) == 1
    assert send_ranking_reminders(fresh(db), settings.base_url, now=closes - timedelta(hours=2)) == 0  # once
    assert send_ranking_reminders(fresh(db), settings.base_url, now=closes + timedelta(hours=1)) == 0
    deliver()
    [message] = smtp.messages
    assert smtp.address_of(message) == "lena@example.org"
    assert message["Subject"] == "ISH 2027: Bitte wähle deine Labore"
    text = smtp.text_of(message)
    assert "http://testserver/access/" in text and "Die Laborwünsche schließen am" in text


def test_mailings_worker_housekeeping_releases_what_is_due(db, group, organiser, smtp, settings, engine):
    from ish_portal.mailings import service
    from ish_portal.worker import Worker
    mailing = mailing_of(db, write(organiser, "status=approved", {"en": ("Now", "Hello.\n")}))
    session = fresh(db)
    row = session.get(Mailing, mailing.id)
    row.scheduled_at = utcnow() - timedelta(seconds=1)  # its time has just come
    session.add(row)
    session.commit()
    worker = Worker(engine, settings)
    worker.housekeeping()
    worker.sender.run_until_idle()
    assert [smtp.address_of(m) for m in smtp.messages] == ["lena@example.org"]
    assert fresh(db).get(Mailing, mailing.id).released_at is not None
    assert service.release_due(fresh(db), settings.base_url) == 0
