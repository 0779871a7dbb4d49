"""The organisers' review list: filters, sorting, search, paging, completeness, bulk decisions."""

import re
from datetime import date

import pytest
from sqlmodel import select

from ish_portal.audit.models import AuditEvent
from ish_portal.nominations.models import Document, Nomination
from tests.conftest import fresh, post_form


def documents(db, nomination, *kinds):
    for kind in kinds:
        db.add(Document(nomination_id=nomination.id, kind=kind, original_filename=f"{kind}.pdf",
                        content_type="application/pdf", size_bytes=5, sha256="0" * 64))
    db.commit()


def names_on(page_html: str) -> list[str]:
    return re.findall(r'<a href="/organiser/nominations/\d+"><bdi>([^<]+)</bdi></a>', page_html)


@pytest.fixture
def two_cities(db, make, edition):
    kumamoto = make.organisation(db, name="Kumamoto", slug="kumamoto")
    rehovot = make.organisation(db, name="Rehovot", slug="rehovot")
    return kumamoto, rehovot


def test_review_list_shows_everything_but_drafts(as_organiser, db, make, edition, two_cities):
    kumamoto, _ = two_cities
    make.nomination(db, edition, kumamoto, given_name="Sent", family_name="One")
    make.nomination(db, edition, kumamoto, given_name="Still", family_name="Draft", status="draft")
    make.nomination(db, edition, kumamoto, given_name="Was", family_name="Approved", status="approved")
    page = as_organiser.get("/organiser/nominations")
    assert page.status_code == 200
    assert sorted(names_on(page.text)) == ["Sent One", "Was Approved"]


def test_review_list_filters_by_organisation_and_status(as_organiser, db, make, edition, two_cities):
    kumamoto, rehovot = two_cities
    make.nomination(db, edition, kumamoto, given_name="Aoi", family_name="K", status="submitted")
    make.nomination(db, edition, kumamoto, given_name="Ren", family_name="K", status="approved")
    make.nomination(db, edition, rehovot, given_name="Noa", family_name="R", status="submitted")
    page = as_organiser.get(f"/organiser/nominations?organisation={kumamoto.id}&status=submitted")
    assert names_on(page.text) == ["Aoi K"]
    page = as_organiser.get("/organiser/nominations?status=submitted&sort=name")
    assert names_on(page.text) == ["Aoi K", "Noa R"]


SEARCHES = [
    ("łukasz", ["Łukasz Żółć"]), ("ŻÓŁĆ", ["Łukasz Żółć"]), ("иван", ["Иван Петров"]),
    ("ПЕТР", ["Иван Петров"]), ("中村", ["春斗 中村"]), ("IVAN@EXAMPLE", ["Иван Петров"]),
    ("noémie laurent", ["Noémie Laurent"]), ("100%", []), ("_", []),
]


def test_review_list_search_is_case_insensitive_in_any_script(as_organiser, db, make, edition, two_cities):
    kumamoto, _ = two_cities
    make.nomination(db, edition, kumamoto, given_name="Łukasz", family_name="Żółć")
    make.nomination(db, edition, kumamoto, given_name="Иван", family_name="Петров", email="ivan@example.org")
    make.nomination(db, edition, kumamoto, given_name="春斗", family_name="中村")
    make.nomination(db, edition, kumamoto, given_name="Noémie", family_name="Laurent")
    found = {query: names_on(as_organiser.get("/organiser/nominations", params={"q": query}).text)
             for query, _ in SEARCHES}
    assert found == dict(SEARCHES)


def test_review_list_sorts_by_name_both_ways_and_by_score_unscored_last(as_organiser, db, make, edition,
                                                                         two_cities):
    kumamoto, _ = two_cities
    make.nomination(db, edition, kumamoto, given_name="A", family_name="Berg", review_score=50)
    make.nomination(db, edition, kumamoto, given_name="B", family_name="Adler", review_score=None)
    make.nomination(db, edition, kumamoto, given_name="C", family_name="Cohen", review_score=90)
    assert names_on(as_organiser.get("/organiser/nominations?sort=name&dir=asc").text) == ["B Adler", "A Berg", "C Cohen"]
    assert names_on(as_organiser.get("/organiser/nominations?sort=name&dir=desc").text) == ["C Cohen", "A Berg", "B Adler"]
    assert names_on(as_organiser.get("/organiser/nominations?sort=score&dir=desc").text) == ["C Cohen", "A Berg", "B Adler"]
    assert names_on(as_organiser.get("/organiser/nominations?sort=score&dir=asc").text) == ["A Berg", "C Cohen", "B Adler"]


def test_review_list_sorts_by_organisation(as_organiser, db, make, edition, two_cities):
    kumamoto, rehovot = two_cities
    make.nomination(db, edition, rehovot, given_name="Noa", family_name="R")
    make.nomination(db, edition, kumamoto, given_name="Aoi", family_name="K")
    assert names_on(as_organiser.get("/organiser/nominations?sort=organisation&dir=desc").text) == ["Noa R", "Aoi K"]


BAD_PARAMETERS = ["page=abc", "sort=password", "dir=sideways", "organisation=x", "status=nonsense",
                  "complete=maybe", "page=-3", "page=99999999999999", "q=%00", "subject=%FF",
                  "organisation=99999999999999999999999"]


def test_review_list_bad_parameters_fall_back_to_defaults(as_organiser, db, make, edition, two_cities):
    make.nomination(db, edition, two_cities[0], given_name="Aoi", family_name="K")
    answers = {query: as_organiser.get(f"/organiser/nominations?{query}") for query in BAD_PARAMETERS}
    assert {query: response.status_code for query, response in answers.items()} == dict.fromkeys(BAD_PARAMETERS, 200)
    assert [query for query, response in answers.items() if names_on(response.text) != ["Aoi K"]] == ["subject=%FF"]


def test_review_list_pages_by_fifty_and_links_keep_the_filters(as_organiser, db, make, edition, two_cities):
    kumamoto, _ = two_cities
    for n in range(51):
        db.add(Nomination(edition_id=edition.id, organisation_id=kumamoto.id, status="submitted",
                          given_name="Student", family_name=f"{n:03d}", email=f"s{n}@example.org"))
    db.add(Nomination(edition_id=edition.id, organisation_id=kumamoto.id, status="approved",
                      given_name="Other", family_name="Status", email="o@example.org"))
    db.commit()
    first = as_organiser.get("/organiser/nominations?status=submitted&sort=name&dir=asc")
    assert len(names_on(first.text)) == 50
    assert names_on(first.text)[0] == "Student 000"
    assert "Page 1 of 2" in first.text
    assert 'href="/organiser/nominations?status=submitted&amp;sort=name&amp;page=2"' in first.text
    second = as_organiser.get("/organiser/nominations?status=submitted&sort=name&dir=asc&page=2")
    assert names_on(second.text) == ["Student 050"]
    beyond = as_organiser.get("/organiser/nominations?status=submitted&sort=name&dir=asc&page=7")
    assert names_on(beyond.text) == ["Student 050"]
    assert "Showing 51–51 of 51 nominations." in beyond.text


def test_review_list_without_matches_says_so(as_organiser, db, make, edition, two_cities):
    page = as_organiser.get("/organiser/nominations?q=nobody")
    assert page.status_code == 200
    assert "No nomination matches these filters." in page.text


def test_review_list_completeness_counts_consent_only_for_minors(as_organiser, db, make, edition, two_cities):
    kumamoto, _ = two_cities
    # The edition starts on 12 July 2027 and needs consent below 18.
    minor = make.nomination(db, edition, kumamoto, given_name="Minor", family_name="NoConsent",
                            date_of_birth=date(2009, 7, 13))
    turns_18 = make.nomination(db, edition, kumamoto, given_name="Adult", family_name="Eighteen",
                               date_of_birth=date(2009, 7, 12))
    minor_with = make.nomination(db, edition, kumamoto, given_name="Minor", family_name="WithConsent",
                                 date_of_birth=date(2010, 1, 1))
    no_cv = make.nomination(db, edition, kumamoto, given_name="Adult", family_name="NoCV",
                            date_of_birth=date(2008, 1, 1))
    documents(db, minor, "cv", "motivation_letter", "school_report")
    documents(db, turns_18, "cv", "motivation_letter", "school_report")
    documents(db, minor_with, "cv", "motivation_letter", "school_report", "guardian_consent")
    documents(db, no_cv, "motivation_letter", "school_report", "guardian_consent")
    complete = as_organiser.get("/organiser/nominations?complete=complete&sort=name")
    assert names_on(complete.text) == ["Adult Eighteen", "Minor WithConsent"]
    incomplete = as_organiser.get("/organiser/nominations?complete=incomplete&sort=name")
    assert names_on(incomplete.text) == ["Adult NoCV", "Minor NoConsent"]


def test_review_list_filters_by_subject_of_interest(as_organiser, db, make, edition, two_cities):
    make.lab(db, edition, subject_area="Physics")
    make.nomination(db, edition, two_cities[0], given_name="Phys", family_name="A", subjects=["Physics", "Biology"])
    make.nomination(db, edition, two_cities[0], given_name="Bio", family_name="B", subjects=["Biology"])
    make.nomination(db, edition, two_cities[0], given_name="Astro", family_name="C", subjects=["Astrophysics"])
    assert names_on(as_organiser.get("/organiser/nominations?subject=Physics").text) == ["Phys A"]


def bulk(client, data):
    return post_form(client, "/organiser/nominations", "/organiser/nominations/bulk", data, follow_redirects=False)


def test_review_bulk_approve_moves_submitted_and_reports_a_draft(as_organiser, db, make, edition, two_cities):
    kumamoto, _ = two_cities
    first = make.nomination(db, edition, kumamoto, given_name="Aoi", family_name="Ito")
    second = make.nomination(db, edition, kumamoto, given_name="Ren", family_name="Sato")
    draft = make.nomination(db, edition, kumamoto, given_name="Dai", family_name="Draft", status="draft")
    response = bulk(as_organiser, {"ids": [first.id, second.id, draft.id], "decision": "approve",
                                   "back": "status=submitted&sort=name"})
    assert response.status_code == 303
    assert response.headers["location"] == "/organiser/nominations?status=submitted&sort=name"
    statuses = {n.id: n.status for n in fresh(db).exec(select(Nomination)).all()}
    assert statuses == {first.id: "approved", second.id: "approved", draft.id: "draft"}
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "status_changed")).all()
    assert sorted((e.nomination_id, e.from_state, e.to_state) for e in events) == [
        (first.id, "submitted", "approved"), (second.id, "submitted", "approved")]
    page = as_organiser.get(response.headers["location"]).text
    assert "2 nominations approved: Aoi Ito, Ren Sato." in page
    assert "1 could not be changed: Dai Draft: A nomination that is draft cannot become approved." in page


def test_review_bulk_reject_needs_a_reason_and_a_confirmation(as_organiser, db, make, edition, two_cities):
    one = make.nomination(db, edition, two_cities[0], given_name="Aoi", family_name="Ito")
    refused = bulk(as_organiser, {"ids": [one.id], "decision": "reject", "reason": ""})
    assert refused.status_code == 303
    assert "Give the reason" in as_organiser.get(refused.headers["location"]).text
    confirm = bulk(as_organiser, {"ids": [one.id], "decision": "reject", "reason": "Too old"})
    assert confirm.status_code == 200
    assert "Mark 1 nomination not eligible?" in confirm.text
    assert fresh(db).get(Nomination, one.id).status == "submitted"
    done = bulk(as_organiser, {"ids": [one.id], "decision": "reject", "reason": "Too old", "confirm": "yes"})
    assert done.status_code == 303
    nomination = fresh(db).get(Nomination, one.id)
    assert (nomination.status, nomination.eligibility_reason) == ("rejected", "Too old")
    event = db.exec(select(AuditEvent).where(AuditEvent.nomination_id == one.id)).one()
    assert (event.action, event.to_state, event.reason) == ("status_changed", "rejected", "Too old")


def test_review_bulk_back_link_cannot_leave_the_list(as_organiser, db, make, edition, two_cities):
    one = make.nomination(db, edition, two_cities[0])
    response = bulk(as_organiser, {"ids": [one.id], "decision": "approve", "back": "//evil.example/?x=1"})
    assert response.headers["location"] == "/organiser/nominations"


REVIEW_PAGES = [
    ("get", "/organiser/nominations"), ("post", "/organiser/nominations/bulk"),
    ("get", "/organiser/nominations/{id}"), ("post", "/organiser/nominations/{id}/eligibility"),
    ("post", "/organiser/nominations/{id}/score"), ("post", "/organiser/nominations/{id}/interviews"),
    ("post", "/organiser/nominations/{id}/interviews/1"),
]


def test_review_pages_refuse_a_coordinator(as_coordinator, db, make, edition):
    nomination = make.nomination(db, edition, make.organisation(db))
    token = re.search(r'name="csrf_token" value="([^"]+)"', as_coordinator.get("/coordinator").text).group(1)
    answers = {}
    for method, path in REVIEW_PAGES:
        url = path.format(id=nomination.id)
        response = (as_coordinator.get(url) if method == "get" else as_coordinator.post(
            url, data={"csrf_token": token, "decision": "approved", "ids": nomination.id, "review_score": "5"}))
        answers[url] = response.status_code
    assert set(answers.values()) == {403}
    assert fresh(db).get(Nomination, nomination.id).status == "submitted"
