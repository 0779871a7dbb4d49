"""Which language a page speaks when someone arrives: the page a personal link leads to speaks the
email's language (the reader's, not the browser's), and a language picked with the switcher just
before signing in or entering stays theirs; a language left behind by someone who signed out does
not pass to the next person."""

import re
from datetime import timedelta

from sqlmodel import select

from ish_portal.accounts.models import TokenPurpose, User
from ish_portal.accounts.service import issue_token
from ish_portal.nominations.models import Nomination
from tests.conftest import fresh, post_form
from tests.factories import PASSWORD
from tests.staff import edition  # noqa: F401

ENGLISH_BROWSER = {"Accept-Language": "en-GB,en;q=0.9"}


def page_language(html: str) -> str:
    return re.search(r'<html lang="([\w-]+)"', html).group(1)


def access_link(db, nomination) -> str:
    raw = issue_token(db, TokenPurpose.APPLICANT_ACCESS, nomination.email, timedelta(days=1),
                      nomination_id=nomination.id)
    db.commit()
    return f"/access/{raw}"


def guardian_link(db, nomination) -> str:
    raw = issue_token(db, TokenPurpose.GUARDIAN_CONSENT, nomination.guardian_email, timedelta(days=30),
                      nomination_id=nomination.id)
    db.commit()
    return f"/consent/{raw}"


def test_a_personal_link_opens_in_the_language_of_its_email(client, db, make, edition):
    kumamoto = make.organisation(db, name="Kumamoto", country="JP")
    yui = make.nomination(db, edition, kumamoto, given_name="結衣", language="ja", email="yui@example.org")
    link = access_link(db, yui)
    landing = client.get(link, headers=ENGLISH_BROWSER)
    assert page_language(landing.text) == "ja"
    post_form(client, link, link, {}, headers=ENGLISH_BROWSER)
    assert page_language(client.get("/applicant", headers=ENGLISH_BROWSER).text) == "ja"


def test_a_language_picked_on_the_landing_page_is_the_applicants_from_then_on(client, db, make, edition):
    rehovot = make.organisation(db, name="Rehovot", country="IL")
    noa = make.nomination(db, edition, rehovot, given_name="Noa", language="en", email="noa@example.org")
    link = access_link(db, noa)
    client.get(link)
    post_form(client, link, "/language", {"language": "he", "next": link})
    assert page_language(client.get(link).text) == "he"
    post_form(client, link, link, {})
    assert page_language(client.get("/applicant").text) == "he"
    assert fresh(db).get(Nomination, noa.id).language == "he"  # and their emails follow


def test_a_guardians_page_speaks_the_guardians_language_until_they_pick_another(client, db, make, edition):
    bautzen = make.organisation(db, name="Bautzen", country="DE")
    lena = make.nomination(db, edition, bautzen, given_name="Lena", guardian_name="Eva Schulz",
                           guardian_email="eva@example.org", guardian_language="de")
    link = guardian_link(db, lena)
    page = client.get(link, headers=ENGLISH_BROWSER)
    assert page_language(page.text) == "de"
    refused = post_form(client, link, link, {"guardian_name": ""}, headers=ENGLISH_BROWSER)
    assert refused.status_code == 400 and page_language(refused.text) == "de"
    post_form(client, link, "/language", {"language": "fr", "next": link})
    assert page_language(client.get(link, headers=ENGLISH_BROWSER).text) == "fr"


def test_a_language_picked_on_the_sign_in_page_stays_after_signing_in(client, db, make):
    organiser = make.organiser(db, email="olga@ish.example", language="en")
    post_form(client, "/login", "/language", {"language": "he", "next": "/login"})
    post_form(client, "/login", "/login", {"email": "olga@ish.example", "password": PASSWORD})
    assert page_language(client.get("/organiser").text) == "he"
    assert fresh(db).get(User, organiser.id).language == "he"


def test_the_language_of_someone_who_signed_out_does_not_pass_to_the_next(client, db, make):
    make.organiser(db, email="olga@ish.example", language="de")
    ada = make.organiser(db, email="ada@ish.example", language="en")
    post_form(client, "/login", "/login", {"email": "olga@ish.example", "password": PASSWORD})
    post_form(client, "/organiser", "/logout", {})
    assert page_language(client.get("/login").text) == "de"  # the sign-in page stays in Olga's language
    post_form(client, "/login", "/login", {"email": "ada@ish.example", "password": PASSWORD})
    assert page_language(client.get("/organiser").text) == "en"
    assert fresh(db).exec(select(User.language).where(User.id == ada.id)).one() == "en"
