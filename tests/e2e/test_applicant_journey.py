"""An applicant on a phone: enters through the emailed link, gives consent, completes the
profile, ranks labs with buttons only, and accepts the offer after a confirmation step."""

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from ish_portal.db import utcnow
from ish_portal.placement.models import Offer
from tests.conftest import fresh

PHONE = {"width": 390, "height": 844}


def test_applicant_journey_on_a_phone(browser, live_server, db, make, smtp, wait_for_mail):
    edition = make.edition(db, title="ISH 2027", year=2027, starts_on=date(2027, 7, 12))
    montpellier = make.organisation(db, name="Montpellier", country="FR")
    nomination = make.complete_draft(db, edition, montpellier, given_name="Noémie", family_name="Laurent",
                                     email="noemie@example.org", status="submitted")
    make.lab(db, edition, institute="EMBL", group_name="Structural Biology")
    mpia = make.lab(db, edition, institute="MPIA", group_name="Galaxies and Cosmology")
    make.lab(db, edition, institute="Haus der Astronomie", group_name="Astronomy Education", languages=["de"])

    context = browser.new_context(base_url=live_server, viewport=PHONE, is_mobile=True, has_touch=True,
                                  locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto("/access")
    page.get_by_label("Email address").fill("noemie@example.org")
    page.get_by_role("button", name="Send my link").click()
    [message] = wait_for_mail("noemie@example.org")
    page.goto(re.search(r"http://127\.0\.0\.1:\d+/access/\S+", smtp.text_of(message)).group(0))
    page.get_by_role("button", name="Continue to my application").click()
    page.get_by_role("heading", name="Hello Noémie").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing sticks out

    page.get_by_label(re.compile("I agree that the City of Heidelberg")).check()
    page.get_by_label("Your full name").fill("Noémie Laurent")
    page.get_by_role("button", name="Give my consent").click()
    page.get_by_text("Thank you: your consent is recorded.").wait_for()

    page.get_by_role("link", name="Complete my profile").click()
    page.get_by_role("textbox", name="Phone", exact=True).fill("+33 4 67 00 00 00")
    page.get_by_label("Emergency contact: name").fill("Claire Laurent")
    page.get_by_label("Emergency contact: phone").fill("+33 6 12 34 56 78")
    page.get_by_label("Nationality").select_option("FR")
    page.get_by_label("Passport number").fill("19AB12345")
    page.get_by_label("Passport valid until").fill("2032-05-31")
    page.get_by_role("button", name="Save my profile").click()
    page.get_by_text("Your profile is saved.").wait_for()

    page.goto("/applicant/labs")
    assert "This lab works in German, which is not among your working languages." in page.content()
    page.get_by_role("button", name="Add to my ranking: Structural Biology").click()
    page.get_by_role("button", name="Add to my ranking: Galaxies and Cosmology").click()
    page.get_by_role("button", name="Move up: Galaxies and Cosmology").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")  # the keyboard alone is enough
    ranked = page.locator("ol.ranking li strong").all_inner_texts()
    assert ranked == ["Galaxies and Cosmology", "Structural Biology"]
    assert page.locator("ol.ranking .rank").all_inner_texts() == ["1", "2"]
    # The move is said in the live region once the page has loaded, and focus is on the moved lab.
    expect(page.locator("#ranking-status")).to_have_text("Galaxies and Cosmology moved to position 1 of 2.")
    expect(page.locator("ol.ranking li").first).to_be_focused()

    fresh(db)
    db.add(Offer(nomination_id=nomination.id, lab_id=mpia.id, response_deadline=utcnow() + timedelta(days=7)))
    nomination.status = "offered"
    db.add(nomination)
    db.commit()
    page.goto("/applicant")
    page.get_by_role("heading", name="You are offered a place").wait_for()
    page.get_by_role("link", name="Answer the offer").click()
    page.get_by_role("link", name="Accept the place").click()
    page.get_by_role("heading", name="Accept your place?").wait_for()
    page.get_by_role("button", name="Yes, accept the place").click()
    page.get_by_text("Welcome to the ISH! Your place is confirmed.").wait_for()
    assert fresh(db).get(type(nomination), nomination.id).status == "accepted"
    wait_for_mail("noemie@example.org", count=2)
    context.close()



def test_a_guardian_consents_on_a_phone_for_a_name_in_another_script(browser, live_server, db, make):
    # The agreement names the candidate (in <bdi>, as every name is): it must read as one sentence
    # beside its box, not as columns with the name one character a line.
    from tests.applicants.test_consent_records import guardian_link

    edition = make.edition(db, title="ISH 2027", year=2027, starts_on=date(2027, 7, 12))
    nomination = make.nomination(db, edition, make.organisation(db, name="Kumamoto", country="JP"),
                                 given_name="蓮", family_name="鈴木", date_of_birth=date(2010, 5, 1),
                                 guardian_name="鈴木 美咲", guardian_email="misaki@example.org")
    context = browser.new_context(base_url=live_server, viewport=PHONE, is_mobile=True, has_touch=True,
                                  locale="de-DE")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(guardian_link(db, nomination))
    page.locator("[data-language-switch] button[value=de]").first.click()
    agreement = page.locator('label[for="f-agree"]')
    box, name = agreement.bounding_box(), agreement.locator("bdi").first.bounding_box()
    assert name["width"] > name["height"]  # the name runs along its line
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert box["x"] + box["width"] <= PHONE["width"]
    page.locator("#f-agree").tap()
    page.get_by_label("Ihr vollständiger Name").fill("鈴木 美咲")
    page.get_by_role("button", name="Einwilligung erteilen").tap()
    page.get_by_text(re.compile("Vielen Dank|Danke")).first.wait_for()
    context.close()
