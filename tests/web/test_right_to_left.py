"""Hebrew pages read right to left; what people typed keeps its own direction; the language switch
returns to the same page with its filters and never leaves the site."""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from ish_portal.accounts.models import TokenPurpose
from ish_portal.accounts.routes import _safe_next
from ish_portal.accounts.service import issue_token
from ish_portal.settings import PROJECT_ROOT
from tests.conftest import post_form
from tests.factories import PASSWORD

HEBREW_NAME = ("נועה", "כהן")


class Fields(HTMLParser):
    """Every control a person types into (text inputs of any kind and textareas), with its attributes."""
    NOT_TYPED = {"hidden", "checkbox", "radio", "file", "submit", "button", "image", "reset"}

    def __init__(self):
        super().__init__()
        self.fields: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "textarea" or (tag == "input" and attributes.get("type", "text") not in self.NOT_TYPED):
            self.fields.append({"tag": tag, **attributes})


def typed_fields(html: str) -> list[dict]:
    parser = Fields()
    parser.feed(html)
    return parser.fields


def in_hebrew(client, page="/"):
    post_form(client, page, "/language", {"language": "he", "next": page})
    return client


@pytest.fixture
def world(db, make):
    edition = make.edition(db, title="ISH 2027", year=2027)
    make.lab(db, edition, subject_area="Biology")
    rehovot = make.organisation(db, name="רחובות", slug="rehovot", country="IL")
    make.quota(db, edition, rehovot, places=3)
    make.coordinator(db, rehovot, email="dana@rehovot.example", full_name="דנה לוי")
    make.organiser(db, email="olga@ish.example", full_name="Olga Organiser")
    noa = make.complete_draft(db, edition, rehovot, given_name=HEBREW_NAME[0], family_name=HEBREW_NAME[1],
                              email="noa@example.org", status="submitted")
    return edition, rehovot, noa


def signed_in(app, email):
    client = TestClient(app, base_url="http://testserver")
    post_form(client, "/login", "/login", {"email": email, "password": PASSWORD})
    return client


def test_a_hebrew_page_is_laid_out_right_to_left_and_an_english_one_left_to_right(client):
    assert '<html lang="en" dir="ltr">' in client.get("/login").text
    page = in_hebrew(client, "/login").get("/login").text
    assert '<html lang="he" dir="rtl">' in page
    # The switch names each language in its own direction.
    assert 'lang="he" dir="rtl"' in page and 'lang="ja" dir="ltr"' in page


def test_every_field_of_the_nomination_form_takes_its_direction_from_what_is_typed(app, world):
    coordinator = in_hebrew(signed_in(app, "dana@rehovot.example"), "/coordinator/nominations/new")
    fields = typed_fields(coordinator.get("/coordinator/nominations/new").text)
    names = {field["name"] for field in fields}
    assert {"given_name", "family_name", "passport_name", "email", "phone", "school", "statement",
            "guardian_name", "guardian_email"} <= names
    assert [field["name"] for field in fields if field.get("dir") != "auto"] == []


def test_a_form_shown_again_with_its_errors_keeps_dir_auto_and_the_typed_hebrew(app, world):
    coordinator = signed_in(app, "dana@rehovot.example")
    page = post_form(coordinator, "/coordinator/nominations/new", "/coordinator/nominations",
                     {"given_name": "שירה", "family_name": ""})
    assert page.status_code == 400
    given = next(field for field in typed_fields(page.text) if field["name"] == "given_name")
    assert (given["dir"], given["value"]) == ("auto", "שירה")


def test_every_field_of_the_profile_form_takes_its_direction_from_what_is_typed(client, db, world):
    raw = issue_token(db, TokenPurpose.APPLICANT_ACCESS, "noa@example.org", timedelta(days=1),
                      nomination_id=world[2].id)
    db.commit()
    post_form(client, f"/access/{raw}", f"/access/{raw}", {})
    fields = typed_fields(in_hebrew(client, "/applicant/profile").get("/applicant/profile").text)
    assert {"phone", "emergency_contact_name", "emergency_contact_phone", "dietary_needs", "medical_notes",
            "passport_number"} <= {field["name"] for field in fields}
    assert [field["name"] for field in fields if field.get("dir") != "auto"] == []


def test_a_hebrew_name_is_isolated_wherever_staff_see_it(app, world):
    noa = world[2]
    coordinator = in_hebrew(signed_in(app, "dana@rehovot.example"), "/coordinator")
    dashboard = coordinator.get("/coordinator").text
    assert f"<bdi>{HEBREW_NAME[0]} {HEBREW_NAME[1]}</bdi>" in dashboard
    assert "<h1><bdi>רחובות</bdi></h1>" in dashboard
    assert '<span class="who"><bdi>דנה לוי</bdi></span>' in dashboard

    organiser = signed_in(app, "olga@ish.example")
    listing = organiser.get("/organiser/nominations").text
    assert re.search(rf'<a href="/organiser/nominations/{noa.id}"><bdi>[^<]*{HEBREW_NAME[0]}[^<]*</bdi></a>', listing)
    assert "<bdi>noa@example.org</bdi>" in listing
    assert '<td data-label="Organisation"><bdi>רחובות</bdi></td>' in listing

    detail = organiser.get(f"/organiser/nominations/{noa.id}").text
    assert re.search(rf"<h1><bdi>[^<]*{HEBREW_NAME[0]}[^<]*</bdi> <span", detail)
    assert f"<dd><bdi>{HEBREW_NAME[0]}</bdi></dd>" in detail and f"<dd><bdi>{HEBREW_NAME[1]}</bdi></dd>" in detail
    assert '<a href="mailto:noa@example.org"><bdi>noa@example.org</bdi></a>' in detail


def test_bdi_escapes_what_it_isolates(app, db, make, world):
    world[2].school = "<script>alert(1)</script> & Co"
    db.add(world[2])
    db.commit()
    detail = signed_in(app, "olga@ish.example").get(f"/organiser/nominations/{world[2].id}").text
    assert "<bdi>&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co</bdi>" in detail
    assert "<script>alert(1)" not in detail


def test_the_language_switch_keeps_the_filters_of_the_page(app, world):
    organiser = signed_in(app, "olga@ish.example")
    page = organiser.get("/organiser/nominations?status=submitted&page=2").text
    assert '<input type="hidden" name="next" value="/organiser/nominations?status=submitted&amp;page=2">' in page
    switched = post_form(organiser, "/organiser/nominations", "/language",
                         {"language": "he", "next": "/organiser/nominations?status=submitted&page=2"},
                         follow_redirects=False)
    assert switched.status_code == 303
    assert switched.headers["location"] == "/organiser/nominations?status=submitted&page=2"
    assert 'dir="rtl"' in organiser.get(switched.headers["location"]).text


def test_a_page_answering_a_form_returns_to_the_form_it_came_from(app, world):
    """A form shown again with its errors has the address it was sent to (POST only): the switch
    goes back to the page the form was on, where the script puts back what was typed."""
    coordinator = signed_in(app, "dana@rehovot.example")
    page = post_form(coordinator, "/coordinator/nominations/new", "/coordinator/nominations", {"given_name": "x"},
                     headers={"referer": "http://testserver/coordinator/nominations/new"})
    assert '<input type="hidden" name="next" value="/coordinator/nominations/new">' in page.text
    foreign = post_form(coordinator, "/coordinator/nominations/new", "/coordinator/nominations", {"given_name": "x"},
                        headers={"referer": "https://evil.example/coordinator/nominations/new"})
    assert '<input type="hidden" name="next" value="/coordinator/nominations">' in foreign.text


OFF_SITE = ["//evil.example", "//evil.example/path?x=1", "https://evil.example/", "http:evil.example",
            "javascript:alert(1)", "/\\evil.example", "\\\\evil.example", "/\t/evil.example", "/\n/evil.example",
            "evil.example", "", " /login"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_safe_next_refuses_anything_but_a_path_on_this_site(target):
    assert _safe_next(target) is None


@pytest.mark.parametrize("target", ["/organiser/nominations?status=submitted&page=2", "/applicant", "/",
                                    "/organiser/audit?who=%2F%2Fevil.example#top"])
def test_safe_next_keeps_a_path_with_its_query_string(target):
    assert _safe_next(target) == target


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example/", "/\\evil.example"])
def test_the_language_switch_never_leaves_the_site(client, target):
    switched = post_form(client, "/login", "/language", {"language": "he", "next": target}, follow_redirects=False)
    assert switched.status_code == 303
    assert switched.headers["location"] == "/"


def test_the_stylesheet_uses_only_logical_directions():
    """left and right would stay put in a Hebrew page; inline-start and inline-end mirror."""
    css = (PROJECT_ROOT / "static" / "style.css").read_text()
    without_comments = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    assert re.findall(r"(?<![-\w])(?:left|right)(?![-\w])|(?:margin|padding|border)-(?:left|right)", without_comments) == []


def test_pages_load_the_script_that_keeps_what_was_typed_from_the_site_itself(client):
    html = client.get("/login").text
    assert '<script src="/static/keep-typed.js" defer></script>' in html
    assert client.get("/static/keep-typed.js").status_code == 200
