"""The panel's review in a real browser: an organiser sets the rubric (blind review) and assigns; a
reviewer reviews without seeing who the candidates are; the organiser watches the progress and
sees the panel's combined scores set the priority of a matching run."""

import re
from contextlib import contextmanager

from sqlmodel import select

from ish_portal.nominations.models import LabPreference
from ish_portal.placement.models import MatchRun
from ish_portal.placement.runs import student_key
from tests.conftest import fresh
from tests.factories import PASSWORD


def sign_in(page, email):
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/(organiser|panel)$"))


@contextmanager
def another_browser(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        yield page
    finally:
        context.close()


def test_panel_journey_rubric_assignment_blind_review_progress_and_matching_priority(page, browser, live_server,
                                                                                    db, make):
    organiser = make.organiser(db, email="olga@ish.example")
    edition = make.edition(db, title="ISH 2027")
    lab = make.lab(db, edition, institute="EMBL", group_name="Structural Biology", capacity=2)
    reviewer = make.panel_member(db, edition, full_name="Rafael Reviewer")
    candidates = []
    # Emily is first by the order they came in; the panel's scores will put Noémie before her.
    for given, family, slug in (("Emily", "Chen", "palo-alto"), ("Noémie", "Laurent", "montpellier")):
        organisation = make.organisation(db, name=f"City of {slug.title()}", slug=slug)
        make.quota(db, edition, organisation, places=1)
        nomination = make.nomination(db, edition, organisation, given_name=given, family_name=family,
                                     status="approved", statement=f"A statement about proteins, number {len(candidates) + 1}.")
        db.add(LabPreference(nomination_id=nomination.id, lab_id=lab.id, rank=1))
        db.commit()
        candidates.append(nomination)
    emily, noemie = candidates
    assert organiser.id

    # The organiser sets the rubric and blind review, then assigns.
    sign_in(page, "olga@ish.example")
    page.goto("/organiser/panel")
    page.get_by_role("link", name="Rubric and review settings").click()
    page.get_by_role("spinbutton", name="Reviews per nomination").fill("1")
    page.get_by_label("Blind review").check()
    page.get_by_role("button", name="Save the settings").click()
    page.get_by_text("Review settings saved.").wait_for()
    page.get_by_role("textbox", name="Criterion").fill("Motivation")
    page.get_by_role("spinbutton", name="Scale up to").last.fill("5")
    page.get_by_role("spinbutton", name="Weight").last.fill("2")
    page.get_by_role("button", name="Add the criterion").click()
    page.get_by_text("Rubric saved.").wait_for()
    page.get_by_role("link", name="Back to the panel").click()
    page.get_by_role("button", name="Assign reviewers").click()
    page.get_by_text("2 new assignments.").wait_for()
    assert "0 of 2" in page.locator("table").inner_text()

    # The reviewer reviews blind: the statement, never the name or the organisation.
    with another_browser(browser, live_server) as panel:
        sign_in(panel, reviewer.email)
        panel.get_by_role("link", name="Your nominations to review").click()
        listing = panel.content()
        assert "Emily" not in listing and "Noémie" not in listing
        for number, (nomination, score) in enumerate(((emily, "2"), (noemie, "5")), start=1):
            panel.get_by_role("link", name=f"Nomination {nomination.id}").click()
            content = panel.content()
            assert f"A statement about proteins, number {number}." in content
            for hidden in (nomination.given_name, nomination.family_name, "Palo-Alto", "Montpellier"):
                assert hidden not in content, hidden
            panel.locator(f"input[type=radio][value='{score}']").check()
            panel.get_by_label("Comment").fill("Read with care.")
            panel.get_by_role("button", name="Save the review").click()
            panel.get_by_text("Your review is saved.").wait_for()

    # The organiser sees the progress and the panel's scores in the review list.
    page.goto("/organiser/panel")
    assert "2 of 2" in page.locator("table").inner_text()
    # On a phone, the wide table of a nomination's reviews scrolls in its own box; the page does not.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/organiser/panel/nominations/{noemie.id}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/organiser/nominations?sort=score")
    rows = page.locator("tbody tr").all_inner_texts()
    assert "Noémie" in rows[0] and "100" in rows[0] and "1 of 1 reviews" in rows[0]
    assert "Emily" in rows[1] and "40" in rows[1]

    # A matching run takes the panel's order.
    page.goto("/organiser/matching")
    page.get_by_label("Close the lab preferences of all applicants now").check()
    page.get_by_role("button", name="Close the preferences").click()
    page.get_by_role("button", name="Run the matching").first.click()
    page.get_by_text("is ready to review").wait_for()
    run = fresh(db).exec(select(MatchRun).where(MatchRun.edition_id == edition.id)).one()
    assert run.instance["priority"] == [student_key(noemie.id), student_key(emily.id)]
    content = page.content()
    assert content.index("Noémie") < content.index("Emily")
