"""Each role signs in and out in a real browser."""

import re

from tests.factories import PASSWORD


def sign_in(page, email, password=PASSWORD):
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You have signed out.").wait_for()


def test_organiser_signs_in_and_out(page, db, make):
    organiser = make.organiser(db)
    edition = make.edition(db, title="ISH 2027")
    make.quota(db, edition, make.organisation(db, name="Kumamoto"), places=2)
    sign_in(page, organiser.email)
    page.get_by_role("heading", name="Dashboard").wait_for()
    assert page.get_by_role("cell", name="Kumamoto").is_visible()
    sign_out(page)
    page.goto("/organiser")
    assert page.url.endswith("/login?next=/organiser")


def test_coordinator_signs_in_and_out(page, db, make):
    coordinator = make.coordinator(db, make.organisation(db, name="Montpellier"))
    sign_in(page, coordinator.email)
    page.get_by_role("heading", name="Montpellier").wait_for()
    assert page.url.endswith("/coordinator")
    sign_out(page)


def test_wrong_password_shows_the_error_and_keeps_the_address(page, db, make):
    organiser = make.organiser(db)
    sign_in(page, organiser.email, "not the password")
    summary = page.get_by_role("alert")
    assert "The email address or the password is not right." in summary.inner_text()
    assert page.get_by_label("Email address").input_value() == organiser.email


def test_applicant_enters_through_the_emailed_link_and_signs_out(page, db, make, smtp, wait_for_mail):
    edition = make.edition(db, title="ISH 2027")
    organisation = make.organisation(db, name="Jelenia Góra")
    make.nomination(db, edition, organisation, given_name="Łukasz", email="lukasz@example.org")
    page.goto("/")
    page.get_by_role("link", name="Get my personal link").click()
    page.get_by_label("Email address").fill("lukasz@example.org")
    page.get_by_role("button", name="Send my link").click()
    page.get_by_role("heading", name="Check your email").wait_for()

    [message] = wait_for_mail("lukasz@example.org")
    link = re.search(r"http://127\.0\.0\.1:\d+/access/\S+", smtp.text_of(message)).group(0)
    page.goto(link)
    page.get_by_role("button", name="Continue to my application").click()
    page.get_by_role("heading", name="Hello Łukasz").wait_for()
    assert "Jelenia Góra" in page.content()
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="You have signed out").wait_for()
    page.goto(link)
    assert "This link has already been used." in page.content()


def test_language_switch_in_the_browser(page):
    page.goto("/login")
    page.get_by_role("button", name="Deutsch").click()
    page.get_by_role("heading", name="Anmelden").wait_for()
    page.goto("/access")
    assert page.locator("html").get_attribute("lang") == "de"
