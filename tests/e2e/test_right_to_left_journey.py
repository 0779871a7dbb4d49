"""Hebrew pages in a real browser: the layout mirrors (navigation from the right, a table's first
column at the right, on a desktop and on a phone), and switching the language keeps what was typed.
Screenshots of the Hebrew pages go to /tmp/rtl-shots for a person to look at."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ish_portal.audit.models import AuditEvent
from tests.factories import PASSWORD

SHOTS = Path("/tmp/rtl-shots")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def world(db, make):
    edition = make.edition(db, title="ISH 2027", year=2027)
    make.lab(db, edition, subject_area="Physics")
    make.lab(db, edition, subject_area="Biology")
    rehovot = make.organisation(db, name="Rehovot", slug="rehovot", country="IL")
    make.quota(db, edition, rehovot, places=4)
    make.coordinator(db, rehovot, email="dana@rehovot.example", full_name="דנה לוי")
    make.organiser(db, email="olga@ish.example", full_name="Olga Organiser")
    noa = make.complete_draft(db, edition, rehovot, given_name="נועה", family_name="כהן", email="noa@example.org",
                              school="מקיף ע\"ש רבין", statement="אני אוהבת פיזיקה (ובעיקר אופטיקה)!")
    make.complete_draft(db, edition, rehovot, given_name="Yael", family_name="Mizrahi", email="yael@example.org",
                        status="submitted")
    return edition, rehovot, noa


def sign_in(page, email):
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/(coordinator|organiser)$"))


def switch_to(page, language_name, direction):
    page.get_by_role("button", name=language_name, exact=True).click()
    page.locator(f'html[dir="{direction}"]').wait_for(state="attached")
    page.wait_for_load_state("load")


def box(locator):
    found = locator.bounding_box()
    assert found is not None
    return found


def shoot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_hebrew_pages_mirror_on_a_desktop_and_on_a_phone(page, world):
    page.set_viewport_size(DESKTOP)
    sign_in(page, "dana@rehovot.example")
    switch_to(page, "עברית", "rtl")
    assert page.url.endswith("/coordinator")

    # The header bar starts at the right: the portal's name first, the navigation to its left.
    bar, brand, nav = (box(page.locator(s)) for s in ("header .bar", "header .brand", "header nav a"))
    assert brand["x"] + brand["width"] > bar["x"] + bar["width"] - 20
    assert nav["x"] + nav["width"] < brand["x"]
    # The table's first column (the name) is at the right, the status to its left.
    name_head, status_head = box(page.locator("thead th").nth(0)), box(page.locator("thead th").nth(1))
    assert name_head["x"] > status_head["x"]
    # Text in cells starts at the right edge of its cell.
    first_cell = page.locator("tbody tr").first.locator("td").first
    cell, link = box(first_cell), box(first_cell.locator("a"))
    assert cell["x"] + cell["width"] - (link["x"] + link["width"]) < 20
    shoot(page, "coordinator-dashboard-desktop")

    page.locator('a[href="/coordinator/nominations/new"]').click()
    page.locator("#f-given_name").wait_for()
    field, label = box(page.locator("#f-given_name")), box(page.locator('label[for="f-given_name"]'))
    assert abs((field["x"] + field["width"]) - (label["x"] + label["width"])) < 2  # both start at the right
    shoot(page, "nomination-form-desktop")

    page.set_viewport_size(PHONE)
    page.goto("/coordinator")
    # On a phone each row is a card: the column's name (data-label) at the right, its value to the left.
    first_cell = page.locator("tbody tr").first.locator("td").first
    cell, link = box(first_cell), box(first_cell.locator("a"))
    assert link["x"] + link["width"] < cell["x"] + cell["width"] - 100
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "coordinator-dashboard-phone")
    page.goto(f"/coordinator/nominations/{world[2].id}")
    page.get_by_role("heading", level=1).wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "nomination-phone")
    page.goto("/coordinator/nominations/new")
    shoot(page, "nomination-form-phone")


def test_an_organisers_hebrew_pages_mirror(page, db, world):
    db.add(AuditEvent(occurred_at=datetime(2027, 3, 2, 9, 0, tzinfo=UTC), actor_label="דנה לוי <dana@rehovot.example>",
                      action="status_changed", entity="nomination", entity_id=world[2].id, nomination_id=world[2].id,
                      from_state="submitted", to_state="rejected", reason="מעל גיל 21 (Über 21)"))
    db.commit()
    page.set_viewport_size(DESKTOP)
    sign_in(page, "olga@ish.example")
    switch_to(page, "עברית", "rtl")
    page.goto("/organiser/nominations?status=submitted")
    heads = page.locator("thead th")
    assert box(heads.nth(1))["x"] > box(heads.nth(2))["x"]  # name right of organisation
    shoot(page, "review-list-desktop")
    page.goto(f"/organiser/nominations/{world[2].id}")
    page.get_by_role("heading", level=1).wait_for()
    # A change worded in Hebrew ("submitted → rejected") reads right to left: its arrow turns round,
    # and so does the "back" arrow of the page.
    flipped = "e => getComputedStyle(e).transform"
    assert page.locator("#history .flip").first.evaluate(flipped) != "none"
    assert page.locator("main p a .flip").first.evaluate(flipped) != "none"
    shoot(page, "review-detail-desktop")
    switch_to(page, "English", "ltr")
    assert page.locator("#history .flip").first.evaluate(flipped) == "none"
    switch_to(page, "עברית", "rtl")
    page.set_viewport_size(PHONE)
    page.goto("/organiser/nominations?status=submitted")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "review-list-phone")
    page.goto("/organiser/audit")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "audit-log-phone")
    page.set_viewport_size(DESKTOP)
    page.goto("/organiser/audit")
    shoot(page, "audit-log-desktop")


def test_switching_the_language_keeps_what_was_typed_into_the_nomination_form(page, world):
    sign_in(page, "dana@rehovot.example")
    page.goto("/coordinator/nominations/new")
    page.get_by_label("Given name").fill("שירה")
    page.get_by_label("Family name").fill("Levi-Cohen")
    page.get_by_label("Date of birth").fill("2009-04-01")
    page.get_by_label("Nationality").select_option("IL")
    page.get_by_label("Physics").check()
    page.get_by_label("Short statement").fill("שורה ראשונה\nsecond line")

    switch_to(page, "עברית", "rtl")
    assert page.url.endswith("/coordinator/nominations/new")
    assert page.locator("#f-given_name").input_value() == "שירה"
    assert page.locator("#f-family_name").input_value() == "Levi-Cohen"
    assert page.locator("#f-date_of_birth").input_value() == "2009-04-01"
    assert page.locator("#f-nationality").input_value() == "IL"
    assert page.locator("input[name=subjects][value=Physics]").is_checked()
    assert not page.locator("input[name=subjects][value=Biology]").is_checked()
    assert page.locator("#f-statement").input_value() == "שורה ראשונה\nsecond line"
    # What the person left alone takes the new page's default: emails in the language just chosen.
    assert page.locator("#f-language").input_value() == "he"
    # The Hebrew name is laid out right to left, the Latin one left to right, each by itself.
    assert page.locator("#f-given_name").evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert page.locator("#f-family_name").evaluate("e => getComputedStyle(e).direction") == "ltr"
    shoot(page, "nomination-form-typed-desktop")

    # Kept for that one reload only, then forgotten.
    assert page.evaluate("sessionStorage.getItem('ish-typed')") is None
    page.reload()
    assert page.locator("#f-given_name").input_value() == ""


def test_a_form_shown_again_with_errors_keeps_the_typing_across_the_switch(page, world):
    sign_in(page, "dana@rehovot.example")
    page.goto("/coordinator/nominations/new")
    page.get_by_label("Given name").fill("Tamar")
    page.get_by_role("textbox", name="Email address", exact=True).fill("not an address")
    page.get_by_role("button", name="Save the draft").click()
    page.locator(".error-summary").wait_for()
    page.get_by_label("Family name").fill("Ben-David")
    switch_to(page, "Deutsch", "ltr")
    page.locator('html[lang="de"]').wait_for(state="attached")
    assert page.url.endswith("/coordinator/nominations/new")
    assert page.locator("#f-given_name").input_value() == "Tamar"
    assert page.locator("#f-family_name").input_value() == "Ben-David"
    assert page.locator("#f-email").input_value() == "not an address"


def test_the_switch_keeps_an_email_address_but_never_a_password(page, world):
    page.goto("/login")
    page.get_by_label("Email address").fill("dana@rehovot.example")
    page.get_by_label("Password").fill(PASSWORD)
    switch_to(page, "עברית", "rtl")
    assert page.locator("#f-email").input_value() == "dana@rehovot.example"
    assert page.locator("#f-password").input_value() == ""
    shoot(page, "login-desktop")


def test_the_switch_keeps_the_filters_of_a_list(page, world):
    sign_in(page, "olga@ish.example")
    page.goto("/organiser/nominations?status=submitted&sort=name&dir=desc")
    switch_to(page, "עברית", "rtl")
    assert page.url.endswith("/organiser/nominations?status=submitted&sort=name&dir=desc")
    assert page.locator("#f-status").input_value() == "submitted"


def test_the_switch_works_without_javascript(browser, live_server, world):
    context = browser.new_context(base_url=live_server, locale="en-GB", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/login?next=/coordinator")
        page.get_by_role("button", name="עברית", exact=True).click()
        page.locator('html[dir="rtl"]').wait_for(state="attached")
        assert page.url.endswith("/login?next=/coordinator")
    finally:
        context.close()
