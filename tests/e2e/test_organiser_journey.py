"""The organisers' year in a real browser: from no edition at all to published offers; the student
answers through the link in her email; her withdrawal frees the place and the waitlist's next
student is offered it, by an email whose link opens the offer."""

import re
from contextlib import contextmanager

from sqlmodel import select

from ish_portal.nominations.models import LabPreference
from ish_portal.placement.models import Offer
from ish_portal.programme.models import Edition
from tests.conftest import fresh
from tests.factories import PASSWORD


def test_organiser_sets_up_the_year_matches_publishes_and_promotes_the_waitlist(page, browser, live_server, db, make,
                                                                                smtp, wait_for_mail):
    make.organiser(db, email="olga@ish.example")
    page.goto("/login")
    page.get_by_label("Email address").fill("olga@ish.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("There is no edition yet.").wait_for()

    # An edition from nothing.
    page.get_by_role("link", name="Create the first edition").click()
    page.get_by_role("spinbutton", name="Year").fill("2027")
    page.get_by_role("textbox", name="Title").fill("ISH 2027")
    page.get_by_label("First day").fill("2027-07-12")
    page.get_by_label("Last day").fill("2027-08-07")
    page.get_by_label("Nominations open").fill("2026-10-01T00:00")
    page.get_by_label("Nominations close").fill("2027-03-15T23:59")
    page.get_by_role("button", name="Create the edition").click()
    page.get_by_text("ISH 2027 is created").wait_for()

    # One lab with one seat: two students want it.
    page.goto("/organiser/labs")
    page.get_by_role("link", name="Add a lab").first.click()
    page.get_by_role("textbox", name="Institute").fill("European Molecular Biology Laboratory (EMBL)")
    page.get_by_role("textbox", name="Group").fill("Structural Biology")
    page.get_by_role("textbox", name="Subject area").fill("Biology")
    page.get_by_role("spinbutton", name="Seats").fill("1")
    page.get_by_role("button", name="Add the lab").click()
    page.get_by_text("Structural Biology").first.wait_for()

    # Two coordinators nominated one student each (their journey has its own test).
    edition = fresh(db).exec(select(Edition).where(Edition.year == 2027)).one()
    lab = edition_lab(db, edition)
    nominations = []
    for name, email, slug in (("Noémie", "noemie@example.org", "montpellier"), ("Emily", "emily@example.org", "palo-alto")):
        organisation = make.organisation(db, name=slug.title(), slug=slug)
        make.quota(db, edition, organisation, places=1)
        nomination = make.complete_draft(db, edition, organisation, given_name=name, family_name="Test",
                                         email=email, status="submitted")
        db.add(LabPreference(nomination_id=nomination.id, lab_id=lab.id, rank=1))
        db.commit()
        nominations.append(nomination)
    noemie, emily = nominations

    # Review: approve both at once; Noémie's score puts her first.
    page.goto("/organiser/nominations")
    for nomination in nominations:
        page.locator(f"input[type=checkbox][value='{nomination.id}']").check()
    page.get_by_role("button", name="Approve (eligible)").click()
    page.goto(f"/organiser/nominations/{noemie.id}")
    page.get_by_label("Score (0–100)").fill("90")
    page.get_by_role("button", name="Save the score").click()

    # Matching: close the preferences, run, look, publish.
    page.goto("/organiser/matching")
    page.get_by_label("Close the lab preferences of all applicants now").check()
    page.get_by_role("button", name="Close the preferences").click()
    page.get_by_role("button", name="Run the matching").first.click()
    page.get_by_text("is ready to review").wait_for()
    assert "No violations" in page.content()
    page.get_by_role("link", name=re.compile("Publish this run")).click()
    page.get_by_label("Yes, make these offers").check()
    page.get_by_role("button", name="Publish the run").click()

    # The offer email waits as a draft until the organiser sends it.
    page.goto("/organiser/messages")
    page.get_by_role("link", name=re.compile("run-")).first.click()
    page.get_by_role("link", name=re.compile("Send")).first.click()
    page.get_by_role("button", name="Send now").click()
    [offer_mail] = wait_for_mail("noemie@example.org")
    assert offer_mail["Subject"].startswith("[Action required]")
    assert smtp.to("emily@example.org") == []

    # Noémie answers through the link in her email, in a browser that knows nothing of her.
    with answering(browser, live_server, personal_link(smtp, offer_mail)) as applicant:
        applicant.get_by_role("heading", name="You are offered a place").wait_for()
        applicant.get_by_label("I agree that the City of Heidelberg processes my personal data").check()
        applicant.get_by_label("Your full name").fill("Noémie Laurent")
        applicant.get_by_role("button", name="Give my consent").click()
        applicant.get_by_role("link", name="Accept the place").click()
        applicant.get_by_role("button", name="Yes, accept the place").click()
        applicant.get_by_text("Welcome to the ISH! Your place is confirmed.").wait_for()
    offer = fresh(db).exec(select(Offer).where(Offer.nomination_id == noemie.id)).one()
    assert offer.status == "accepted"

    # She cannot come after all: the organiser withdraws her, and her seat goes to the waitlist.
    page.goto(f"/organiser/nominations/{noemie.id}")
    page.get_by_role("textbox", name="Reason").last.fill("Cannot travel in July")
    page.get_by_label("Yes, withdraw").check()
    page.get_by_role("button", name="Withdraw the candidate").click()
    page.get_by_text("The candidate is withdrawn").wait_for()
    assert fresh(db).get(Offer, offer.id).status == "withdrawn"

    page.goto("/organiser/matching/waitlist")
    page.get_by_role("button", name="Confirm and send").click()
    [promotion] = wait_for_mail("emily@example.org")
    assert "Structural Biology" in smtp.text_of(promotion)
    assert fresh(db).exec(select(Offer).where(Offer.nomination_id == emily.id)).one().status == "pending"
    with answering(browser, live_server, personal_link(smtp, promotion)) as applicant:
        applicant.get_by_role("heading", name="You are offered a place").wait_for()
        assert "Structural Biology" in applicant.content()


def personal_link(smtp, message) -> str:
    match = re.search(r"https?://\S+/access/[\w-]+", smtp.text_of(message))
    assert match, "the offer email carries no personal link"
    return match.group(0)


@contextmanager
def answering(browser, live_server, link):
    """A fresh browser (no cookies, no session) that opens an emailed personal link."""
    context = browser.new_context(base_url=live_server, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(link)
    page.get_by_role("button", name="Continue to my application").click()
    try:
        yield page
    finally:
        context.close()


def edition_lab(db, edition):
    from ish_portal.labs.models import Lab
    return db.exec(select(Lab).where(Lab.edition_id == edition.id)).one()
