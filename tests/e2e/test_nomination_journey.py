"""A coordinator nominates a candidate in a real browser, from an empty list to a submitted
nomination, and the candidate's email arrives."""

import re

from playwright.sync_api import expect

from tests.factories import PASSWORD, PDF


def test_coordinator_nominates_uploads_and_submits(page, db, make, smtp, wait_for_mail, tmp_path):
    edition = make.edition(db, title="ISH 2027", year=2027)
    make.lab(db, edition, subject_area="Physics")
    jelenia = make.organisation(db, name="Jelenia Góra", slug="jelenia-gora", country="PL")
    make.quota(db, edition, jelenia, places=1)
    make.coordinator(db, jelenia, email="coordinator.jelenia-gora@ish.example")
    files = {}
    for kind in ("cv", "motivation_letter", "school_report"):
        files[kind] = tmp_path / f"{kind}.pdf"
        files[kind].write_bytes(PDF)

    page.goto("/login")
    page.get_by_label("Email address").fill("coordinator.jelenia-gora@ish.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("You have not nominated anyone yet.").wait_for()
    page.get_by_role("link", name="Nominate a candidate").click()

    page.get_by_label("Given name").fill("Łukasz")
    page.get_by_label("Family name").fill("Kowalski")
    page.get_by_label("Name as in the passport").fill("KOWALSKI LUKASZ")
    page.get_by_label("Date of birth").fill("2008-03-02")
    page.get_by_label("Nationality").select_option("PL")
    page.get_by_role("textbox", name="Email address", exact=True).fill("lukasz@example.org")
    page.get_by_label("Phone").fill("+48 75 123 45 67")
    page.get_by_role("textbox", name="School", exact=True).fill("I Liceum Ogólnokształcące")
    page.get_by_label("School-leaving year").fill("2027")
    page.get_by_label("Physics").check()
    page.get_by_label("English level").select_option("B2")
    page.get_by_label("German level").select_option("A2")
    page.get_by_label("Short statement").fill("Ich möchte Quantenphysik verstehen.")
    page.get_by_role("button", name="Save the draft").click()
    page.get_by_role("heading", name=re.compile("^Łukasz Kowalski")).wait_for()
    assert "Document: CV" in page.content()

    for kind, label in (("cv", "CV"), ("motivation_letter", "Motivation letter (English)"),
                        ("school_report", "Latest school report")):
        page.get_by_label("Which document").select_option(kind)
        page.get_by_label("File").set_input_files(str(files[kind]))
        page.get_by_role("button", name="Upload").click()
        page.get_by_text(f"{kind}.pdf uploaded.").wait_for()
    assert "Everything is there." in page.content()

    page.get_by_role("button", name="Submit the nomination").click()
    page.get_by_text("Łukasz Kowalski is nominated.").wait_for()
    [message] = wait_for_mail("lukasz@example.org")
    assert message["Subject"] == "You have been nominated for ISH 2027"
    assert re.search(r"http://127\.0\.0\.1:\d+/access/\S+", smtp.text_of(message))
    wait_for_mail("coordinator.jelenia-gora@ish.example")

    page.get_by_role("link", name="My candidates").first.click()
    row = page.get_by_role("row", name=re.compile("Łukasz Kowalski"))
    assert "submitted" in row.inner_text()
    assert "1 of 1 used, 0 left" in page.content()


def test_empty_nomination_moves_focus_to_the_error_summary(page, db, make):
    edition = make.edition(db, title="ISH 2027", year=2027)
    make.lab(db, edition, subject_area="Physics")
    mostar = make.organisation(db, name="Mostar", slug="mostar", country="BA")
    make.quota(db, edition, mostar, places=1)
    make.coordinator(db, mostar, email="coordinator.mostar@ish.example")

    page.goto("/login")
    page.get_by_label("Email address").fill("coordinator.mostar@ish.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Nominate a candidate").click()
    page.get_by_role("button", name="Save the draft").click()

    summary = page.locator(".error-summary")
    summary.wait_for()
    expect(summary).to_be_focused()
    assert page.title() == "3 errors: Nominate a candidate · ISH Heidelberg"
    assert summary.get_attribute("aria-labelledby")
    assert page.get_by_role("link", name="Given name: This field is required.").is_visible()
    # The summary's link leads to the field, which says what is wrong with it.
    page.get_by_role("link", name="Email address: This field is required.").click()
    field = page.locator("#f-email")
    expect(field).to_be_focused()
    assert field.get_attribute("aria-invalid") == "true"
    expect(field).to_have_accessible_description(
        "The candidate's own address: their personal link goes there. This field is required.")
