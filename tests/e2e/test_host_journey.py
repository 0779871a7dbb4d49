"""A lab's host in a real browser: invited by email, chooses a password, confirms the lab, ranks
the candidates with the keyboard alone, sees the student who accepted on the roster (and is told
by email), and at the end confirms the attendance and the project's title."""

import re
from datetime import date, timedelta

from sqlmodel import select

from ish_portal.db import utcnow
from ish_portal.labs.models import Lab, LabRanking
from ish_portal.nominations.models import LabPreference
from ish_portal.placement import offers
from ish_portal.placement.models import Offer
from tests.conftest import fresh
from tests.factories import PASSWORD

LINK = re.compile(r"(https?://\S+/invitation/\S+)")


def test_host_from_invitation_to_ranking_to_roster_to_attendance(page, live_server, db, make, smtp, wait_for_mail):
    edition = make.edition(db, title="ISH 2027", starts_on=date.today() - timedelta(days=2),
                           ends_on=date.today() + timedelta(days=25))
    lab = make.lab(db, edition, institute="EMBL", group_name="Structural Biology", capacity=1)
    organisations = [make.organisation(db, name=f"City {i}") for i in range(2)]
    ada, ben = (make.nomination(db, edition, organisation, status="approved", given_name=name, review_score=score,
                                statement=f"{name} wants to see proteins.", english_level="B2",
                                applicant_consent_at=utcnow())
                for organisation, name, score in ((organisations[0], "Ada", 90), (organisations[1], "Ben", 80)))
    for nomination in (ada, ben):
        db.add(LabPreference(nomination_id=nomination.id, lab_id=lab.id, rank=1))
    db.commit()
    make.organiser(db, email="olga@ish.example")

    # The organiser invites the tutor from the lab's page.
    page.goto("/login")
    page.get_by_label("Email address").fill("olga@ish.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/organiser/labs/{lab.id}")
    page.get_by_role("link", name="Hosts of this lab").click()
    page.get_by_role("textbox", name="Name").fill("Sofia Marquez")
    page.get_by_role("textbox", name="Email").fill("sofia@embl.example")
    page.get_by_role("button", name="Send the invitation").click()
    page.get_by_text("Invitation sent to sofia@embl.example").wait_for()
    page.context.clear_cookies()

    # The tutor follows the link and chooses a password.
    [message] = wait_for_mail("sofia@embl.example")
    link = LINK.search(smtp.text_of(message)).group(1)
    page.goto(link)
    page.locator("#f-password").fill("structural biology 2027")
    page.locator("#f-password_again").fill("structural biology 2027")
    page.get_by_role("button", name="Save the password").click()
    page.get_by_role("heading", name="My labs").wait_for()

    # Confirms the lab for the edition.
    page.get_by_role("link", name="Confirm the lab").first.click()
    page.get_by_role("spinbutton", name="Seats").fill("1")
    page.get_by_label("week 1", exact=False).check()
    page.get_by_label("week 2", exact=False).check()
    page.get_by_role("button", name="Confirm the lab").click()
    page.get_by_text("is confirmed for ISH 2027").wait_for()
    assert fresh(db).get(Lab, lab.id).host_weeks == [1, 2]

    # Ranks Ben above Ada with the keyboard only: Tab to each rank field, type, Enter submits.
    page.goto(f"/host/labs/{lab.id}/candidates")
    assert "Ada wants to see proteins." in page.content()
    page.get_by_label("Rank of Ada").focus()
    page.keyboard.type("2")
    page.get_by_label("Rank of Ben").focus()
    page.keyboard.type("1")
    page.keyboard.press("Enter")
    page.get_by_text("The ranking is saved: 2 candidates ranked.").wait_for()
    ranks = fresh(db).exec(select(LabRanking.nomination_id).where(LabRanking.lab_id == lab.id)
                           .order_by(LabRanking.rank)).all()
    assert ranks == [ben.id, ada.id]

    # Ben accepts his offer: the host is told and sees him on the roster.
    ben.status = "offered"
    db.add(ben)
    db.commit()
    offer = make.offer(db, ben, lab, status="pending")
    offers.respond(fresh(db), ben.id, offer.id, accept=True)
    news = wait_for_mail("sofia@embl.example", count=2)[-1]
    assert "Ben" in smtp.text_of(news)
    page.goto(f"/host/labs/{lab.id}/roster")
    assert ben.email in page.content()

    # At the end: attendance and the project's title.
    page.get_by_label("yes, took part").check()
    page.get_by_label("Title of the project").fill("Cryo-EM of a membrane pump")
    page.get_by_role("button", name=re.compile("Save the attendance")).click()
    page.get_by_text("Attendance saved.").wait_for()
    saved = fresh(db).get(Offer, offer.id)
    assert (saved.attended, saved.project_title) == (True, "Cryo-EM of a membrane pump")
