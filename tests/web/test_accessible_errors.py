"""Refused forms as a screen reader meets them: a summary that names each field and links to it, a
title that starts with the number of errors, every error tied to its control (text fields,
selects, checkbox and radio groups, the interview forms), all errors of a form at once; the page
for a too large upload; the lab ranking's numbers and announcements."""

from datetime import UTC, date, datetime, timedelta

import pytest

from ish_portal.nominations.models import Interview
from tests.conftest import csrf_of, post_form
from tests.factories import PASSWORD
from tests.html import Page
from tests.staff import as_organiser, edition, organiser  # noqa: F401


def assert_errors_tied_to_controls(page: Page) -> None:
    """Every control marked invalid is described by its message, every summary entry links to a
    control of the page, and no id is given twice."""
    assert page.invalid_controls(), "no control is marked invalid"
    for control in page.invalid_controls():
        # A box of a group may leave the description to its fieldset (the group's legend and error).
        groups = [e for e in page.find("fieldset") if control.inside(e) and e.attrs.get("aria-describedby")]
        described = page.descriptions(control) or (page.descriptions(groups[-1]) if groups else "")
        assert described.strip(), control.attrs
    for target, _text in page.summary_entries():
        assert target.startswith("#") and target[1:] in page.by_id, target
        assert page.by_id[target[1:]].tag in ("input", "select", "textarea"), target
    assert page.duplicate_ids() == []


# -- the coordinator's nomination form ------------------------------------------------------------

@pytest.fixture
def coordinator(client, db, make):
    edition = make.edition(db, title="ISH 2027", year=2027, starts_on=date(2027, 7, 12))
    make.lab(db, edition, subject_area="Biology")
    kumamoto = make.organisation(db, name="Kumamoto", slug="kumamoto")
    make.quota(db, edition, kumamoto, places=2)
    make.coordinator(db, kumamoto, email="cora@kumamoto.example")
    post_form(client, "/login", "/login", {"email": "cora@kumamoto.example", "password": PASSWORD})
    return client


def nominate(client, data):
    return post_form(client, "/coordinator/nominations/new", "/coordinator/nominations", data)


def test_empty_nomination_summary_names_each_field_and_the_title_counts_them(coordinator):
    response = nominate(coordinator, {})
    assert response.status_code == 400
    page = Page(response.text)
    entries = dict(page.summary_entries())
    assert entries == {"#f-given_name": "Given name: This field is required.",
                       "#f-family_name": "Family name: This field is required.",
                       "#f-email": "Email address: This field is required."}
    assert page.title == "3 errors: Nominate a candidate · ISH Heidelberg"
    summary = page.one("div", **{"class": "error-summary"})
    assert summary.attrs["tabindex"] == "-1"
    assert page.by_id[summary.attrs["aria-labelledby"]].tag == "h2"
    for name in ("given_name", "family_name", "email"):
        control = page.by_id[f"f-{name}"]
        assert control.attrs["aria-invalid"] == "true"
        assert "This field is required." in page.descriptions(control)
    assert "aria-invalid" not in page.by_id["f-phone"].attrs
    assert_errors_tied_to_controls(page)


def test_one_error_is_counted_in_the_singular(coordinator):
    page = Page(nominate(coordinator, {"given_name": "Haruto", "family_name": "Nakamura"}).text)
    assert page.title == "1 error: Nominate a candidate · ISH Heidelberg"


def test_nomination_reports_the_editions_checks_with_the_fields_own_errors(coordinator):
    # A wrong email used to hide the age and the subject until it was put right.
    response = nominate(coordinator, {"given_name": "Haruto", "family_name": "Nakamura", "email": "nope",
                                      "date_of_birth": "2015-01-01", "subjects": ["Astrology"],
                                      "school_leaving_year": "1990"})
    page = Page(response.text)
    entries = [text for _target, text in page.summary_entries()]
    assert entries[0].startswith("Date of birth: Candidates must be 16 to 21 years old")
    assert entries[1:] == ["Email address: Enter an email address like name@example.org.",
                           "School-leaving year: Enter a year between 2024 and 2028.",
                           "Subjects of interest: Choose subjects from the list."]
    assert page.title.startswith("4 errors: ")
    assert_errors_tied_to_controls(page)


def test_a_checkbox_group_carries_its_error_on_the_fieldset_and_the_boxes(coordinator):
    page = Page(nominate(coordinator, {"given_name": "Haruto", "family_name": "Nakamura",
                                       "email": "h@example.org", "subjects": ["Astrology"]}).text)
    group = [e for e in page.find("fieldset") if page.by_id["f-subjects"].inside(e)][-1]
    assert group.attrs["aria-invalid"] == "true"
    assert page.descriptions(group) == "Choose subjects from the list."
    assert page.by_id["f-subjects"].attrs["aria-invalid"] == "true"
    assert dict(page.summary_entries())["#f-subjects"].startswith("Subjects of interest: ")


# -- organisers' forms ----------------------------------------------------------------------------

def test_edition_settings_report_the_checks_between_fields_with_the_others(as_organiser, edition):
    values = {"title": "", "starts_on": "2027-07-12", "ends_on": "2027-07-01", "max_preferences": "3",
              "offer_response_days": "7", "reminder_days_before": "2", "nomination_opens_at": "2027-01-01T00:00",
              "nomination_closes_at": "2027-08-01T00:00", "min_age": "16", "max_age": "12",
              "guardian_consent_below_age": "18", "upload_limit_mb": "5"}
    response = post_form(as_organiser, "/organiser/edition", "/organiser/edition", values)
    assert response.status_code == 400
    page = Page(response.text)
    assert dict(page.summary_entries()) == {
        "#f-title": "Title: This field is required.",
        "#f-ends_on": "Last day: The programme must end after it starts.",
        "#f-nomination_closes_at": "Nominations close: Nominations must close before the programme starts.",
        "#f-max_age": "Highest age on the first day: The highest age must not be below the lowest."}
    assert page.title.startswith("4 errors: ")
    assert_errors_tied_to_controls(page)


def test_a_radio_group_carries_its_error(as_organiser, edition, make, db):
    nomination = make.nomination(db, edition, make.organisation(db, name="Kumamoto"))
    response = post_form(as_organiser, f"/organiser/nominations/{nomination.id}",
                         f"/organiser/nominations/{nomination.id}/eligibility", {"decision": "maybe"})
    assert response.status_code == 400
    page = Page(response.text)
    group = page.one("fieldset", role="radiogroup")
    assert group.attrs["aria-invalid"] == "true"
    assert page.descriptions(group) == "Choose eligible or not eligible."
    radios = page.find("input", type="radio", name="decision")
    assert len(radios) == 2 and all(r.attrs["aria-invalid"] == "true" for r in radios)
    assert dict(page.summary_entries()) == {"#f-decision": "Decision: Choose eligible or not eligible."}
    assert_errors_tied_to_controls(page)


def test_refusing_without_a_reason_is_reported_with_the_reason_field(as_organiser, edition, make, db):
    nomination = make.nomination(db, edition, make.organisation(db, name="Kumamoto"))
    response = post_form(as_organiser, f"/organiser/nominations/{nomination.id}",
                         f"/organiser/nominations/{nomination.id}/eligibility", {"decision": "rejected"})
    page = Page(response.text)
    assert dict(page.summary_entries()) == {
        "#f-reason": "Reason: Give the reason why the candidate is not eligible."}
    assert_errors_tied_to_controls(page)


def test_scheduling_an_interview_reports_the_past_time_and_the_missing_interviewer_together(
        as_organiser, edition, make, db):
    nomination = make.nomination(db, edition, make.organisation(db, name="Kumamoto"))
    response = post_form(as_organiser, f"/organiser/nominations/{nomination.id}",
                         f"/organiser/nominations/{nomination.id}/interviews",
                         {"scheduled_at": "2020-01-01T10:00", "interviewer": ""})
    page = Page(response.text)
    assert dict(page.summary_entries()) == {
        "#f-scheduled_at": "Date and time (Heidelberg): Choose a time in the future.",
        "#f-interviewer": "Interviewer: This field is required."}
    assert_errors_tied_to_controls(page)


def test_the_interview_edit_form_ties_its_errors_with_ids_of_its_own(as_organiser, edition, make, db):
    nomination = make.nomination(db, edition, make.organisation(db, name="Kumamoto"))
    first = Interview(nomination_id=nomination.id, scheduled_at=datetime.now(UTC), interviewer="Anna")
    second = Interview(nomination_id=nomination.id, scheduled_at=datetime.now(UTC) + timedelta(days=1),
                       interviewer="Ben")
    db.add_all([first, second])
    db.commit()
    response = post_form(as_organiser, f"/organiser/nominations/{nomination.id}",
                         f"/organiser/nominations/{nomination.id}/interviews/{first.id}",
                         {"interviewer": "", "outcome": "maybe"})
    assert response.status_code == 400
    page = Page(response.text)
    prefix = f"i{first.id}-"
    assert dict(page.summary_entries()) == {f"#{prefix}f-interviewer": "Interviewer: This field is required.",
                                            f"#{prefix}f-outcome": "Outcome: Choose one of the options."}
    for name in ("interviewer", "outcome"):
        control = page.by_id[f"{prefix}f-{name}"]
        assert control.attrs["aria-invalid"] == "true"
        assert page.by_id[f"{prefix}f-{name}"].attrs["aria-describedby"] == f"{prefix}e-{name}"
    assert "aria-invalid" not in page.by_id[f"i{second.id}-f-interviewer"].attrs
    assert page.title.startswith("2 errors: ")
    assert_errors_tied_to_controls(page)


def test_withdrawing_reports_the_reason_and_the_confirmation_together(as_organiser, edition, make, db):
    nomination = make.nomination(db, edition, make.organisation(db, name="Kumamoto"))
    response = post_form(as_organiser, f"/organiser/nominations/{nomination.id}",
                         f"/organiser/nominations/{nomination.id}/withdraw", {"withdraw_reason": ""})
    page = Page(response.text)
    assert [target for target, _text in page.summary_entries()] == ["#f-withdraw_reason", "#f-confirm"]
    assert page.by_id["f-confirm"].attrs["type"] == "checkbox"
    assert_errors_tied_to_controls(page)


# -- a body over the limit ------------------------------------------------------------------------

def test_too_large_upload_keeps_the_layout_states_the_editions_limit_and_leads_back(coordinator, db, make,
                                                                                    settings):
    from sqlmodel import select

    from ish_portal.nominations.models import Nomination
    nominate(coordinator, {"given_name": "Haruto", "family_name": "Nakamura", "email": "h@example.org"})
    nomination = db.exec(select(Nomination)).one()
    form_page = f"/coordinator/nominations/{nomination.id}"
    post_form(coordinator, form_page, "/language", {"language": "de", "next": form_page})
    too_big = b"x" * (settings.upload_max_mb * 1024 * 1024 + 300 * 1024)
    response = coordinator.post(f"{form_page}/documents", content=too_big,
                                headers={"content-type": "multipart/form-data; boundary=x",
                                         "referer": f"http://testserver{form_page}?tab=documents"})
    assert response.status_code == 413
    page = Page(response.text)
    assert '<html lang="de" dir="ltr">' in response.text
    assert page.find("a", href="/coordinator")  # the coordinator's navigation is there
    assert page.find("form", action="/logout")
    assert "5 MB" in page.one("h1").parent.content  # the edition's limit for documents
    assert page.find("a", href=f"{form_page}?tab=documents")


def test_too_large_upload_from_elsewhere_leads_to_the_form_of_the_upload(coordinator, settings):
    too_big = b"x" * (settings.upload_max_mb * 1024 * 1024 + 300 * 1024)
    response = coordinator.post("/coordinator/nominations/7/documents", content=too_big,
                                headers={"content-type": "multipart/form-data; boundary=x",
                                         "referer": "https://elsewhere.example/coordinator"})
    page = Page(response.text)
    assert page.find("a", href="/coordinator/nominations/7")
    assert not page.find("a", href="https://elsewhere.example/coordinator")
    anonymous = coordinator.post("/login", content=too_big, headers={"content-type": "application/octet-stream"})
    assert Page(anonymous.text).find("a", href="/coordinator/nominations/new")
    assert f"{settings.upload_max_mb} MB" in anonymous.text


def test_too_large_upload_streamed_in_shows_the_same_page(coordinator, settings):
    token = csrf_of(coordinator.get("/coordinator").text)
    boundary = "xyzBOUNDARY"

    def body():
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
               f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\"\r\n"
               f"Content-Type: application/pdf\r\n\r\n").encode()
        for _ in range(settings.upload_max_mb + 2):
            yield b"0" * (1024 * 1024)
        yield f"\r\n--{boundary}--\r\n".encode()

    response = coordinator.post("/coordinator/nominations/7/documents", content=body(),
                                headers={"content-type": f"multipart/form-data; boundary={boundary}",
                                         "referer": "http://testserver/coordinator/nominations/7"})
    assert response.status_code == 413
    page = Page(response.text)
    assert page.find("a", href="/coordinator")
    assert page.find("a", href="/coordinator/nominations/7")
    assert "5 MB" in response.text


# -- the applicant's lab ranking ------------------------------------------------------------------

@pytest.fixture
def ranking_applicant(client, db, make):
    from tests.applicants.test_applicant import enter
    edition = make.edition(db, title="ISH 2027", year=2027, starts_on=date(2027, 7, 12), max_preferences=5)
    rehovot = make.organisation(db, name="Rehovot", slug="rehovot", country="IL")
    make.quota(db, edition, rehovot, places=2)
    nomination = make.complete_draft(db, edition, rehovot, given_name="Noa", family_name="Cohen",
                                     email="noa@example.org", date_of_birth=date(2008, 11, 5), status="submitted")
    labs = [make.lab(db, edition, group_name=name, languages=["en"])
            for name in ("Galaxies", "Structural Biology", "Astroinformatics")]
    enter(client, db, nomination)
    return client, labs


def change(client, action, lab):
    return post_form(client, "/applicant/labs", "/applicant/labs", {"action": action, "lab_id": str(lab.id)})


def test_ranking_shows_numbers_and_announces_each_move(ranking_applicant):
    client, (galaxies, structural, astro) = ranking_applicant
    added = Page(change(client, "add", galaxies).text)
    assert added.one(id="ranking-status").content == "Galaxies added at position 1 of 1."
    change(client, "add", structural)
    change(client, "add", astro)
    response = change(client, "up", astro)
    page = Page(response.text)
    status = page.one(id="ranking-status")
    assert status.attrs["role"] == "status" and status.attrs["aria-live"] == "polite"
    assert status.content == "Astroinformatics moved to position 2 of 3."
    assert status.attrs["data-announce"] == status.content  # put in again once loaded, to be read out
    # Not also at the top of the page.
    assert not [e for e in page.find("div") if "flash" in e.attrs.get("class", "") and "moved" in e.content]
    entries = page.find("li", tabindex="-1")
    assert [e.attrs["id"] for e in entries] == [f"ranked-{galaxies.id}", f"ranked-{astro.id}",
                                                f"ranked-{structural.id}"]
    assert [next(x for x in page.elements if x.inside(e) and x.attrs.get("class") == "rank").content
            for e in entries] == ["1", "2", "3"]
    assert "Position 2 of 3: Astroinformatics" in entries[1].content
    assert page.duplicate_ids() == []
    removed = Page(change(client, "remove", galaxies).text)
    assert removed.one(id="ranking-status").content == "Galaxies removed from your ranking."
    assert Page(client.get("/applicant/labs").text).one(id="ranking-status").content == ""


def test_ranking_redirects_to_the_entry_that_moved(ranking_applicant):
    client, (galaxies, structural, _astro) = ranking_applicant
    change(client, "add", galaxies)
    change(client, "add", structural)
    token = csrf_of(client.get("/applicant/labs").text)
    response = client.post("/applicant/labs", data={"action": "up", "lab_id": str(structural.id), "csrf_token": token},
                           follow_redirects=False)
    assert response.headers["location"] == f"/applicant/labs#ranked-{structural.id}"


def test_asking_for_deletion_without_the_box_ties_the_error_to_it(ranking_applicant):
    client, _labs = ranking_applicant
    response = post_form(client, "/applicant/data", "/applicant/deletion", {})
    assert response.status_code == 400
    page = Page(response.text)
    assert dict(page.summary_entries()) == {
        "#f-confirm": "Confirmation: Tick the box to confirm that you want your data deleted."}
    assert page.title.startswith("1 error: ")
    assert_errors_tied_to_controls(page)


def test_erasing_without_the_box_ties_the_error_to_that_rows_box(as_organiser, edition, make, db):
    organisation = make.organisation(db, name="Kumamoto")
    asked = [make.nomination(db, edition, organisation, deletion_requested_at=datetime.now(UTC)) for _ in range(2)]
    response = post_form(as_organiser, "/organiser/deletions", f"/organiser/deletions/{asked[1].id}", {})
    assert response.status_code == 400
    page = Page(response.text)
    assert dict(page.summary_entries()) == {f"#d{asked[1].id}-f-confirm": "Confirmation: Tick the box to confirm the deletion."}
    assert "aria-invalid" not in page.by_id[f"d{asked[0].id}-f-confirm"].attrs
    assert_errors_tied_to_controls(page)
