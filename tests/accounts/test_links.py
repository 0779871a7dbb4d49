"""Password resets, invitations and applicants' access links: emailed, single-use, expiring."""

import re
from datetime import timedelta

from sqlmodel import select

from ish_portal.accounts.models import AccessToken, User
from ish_portal.db import utcnow
from tests.conftest import post_form
from tests.factories import PASSWORD

LINK = re.compile(r"http://testserver(/\S+)")


def link_in(smtp, address) -> str:
    messages = smtp.to(address)
    assert len(messages) == 1
    return LINK.search(smtp.text_of(messages[0])).group(1)


def expire_all_tokens(db):
    for token in db.exec(select(AccessToken)).all():
        token.expires_at = utcnow() - timedelta(seconds=1)
        db.add(token)
    db.commit()


# -- password reset -----------------------------------------------------------------------------

def test_password_reset_link_sets_a_new_password_once(client, db, make, smtp, deliver):
    user = make.organiser(db, email="olga@ish.example")
    response = post_form(client, "/password/forgot", "/password/forgot", {"email": "Olga@ish.example"})
    assert "Check your email" in response.text
    deliver()
    path = link_in(smtp, "olga@ish.example")
    assert smtp.to("olga@ish.example")[0]["Subject"] == "Choose a new password for the ISH portal"

    form = {"password": "a much better password", "password_again": "a much better password"}
    changed = post_form(client, path, path, form, follow_redirects=False)
    assert changed.headers["location"] == "/login"
    reused = post_form(client, "/password/forgot", path, form)
    assert reused.status_code == 400
    assert "This link has already been used." in reused.text
    assert post_form(client, "/login", "/login", {"email": user.email, "password": "a much better password"},
                     follow_redirects=False).status_code == 303


def test_password_reset_unknown_address_gets_the_same_answer_and_no_mail(client, db, make, smtp, deliver):
    make.organiser(db, email="olga@ish.example")
    known = post_form(client, "/password/forgot", "/password/forgot", {"email": "olga@ish.example"})
    unknown = post_form(client, "/password/forgot", "/password/forgot", {"email": "nobody@ish.example"})
    assert known.text.replace("olga@ish.example", "X") == unknown.text.replace("nobody@ish.example", "X")
    deliver()
    assert [smtp.address_of(m) for m in smtp.messages] == ["olga@ish.example"]


def test_password_reset_expired_link_is_refused(client, db, make, smtp, deliver):
    make.organiser(db, email="olga@ish.example")
    post_form(client, "/password/forgot", "/password/forgot", {"email": "olga@ish.example"})
    deliver()
    path = link_in(smtp, "olga@ish.example")
    expire_all_tokens(db)
    page = client.get(path)
    assert page.status_code == 410
    assert "This link has expired." in page.text


def test_password_reset_signs_out_other_sessions(client, app, db, make, smtp, deliver):
    from fastapi.testclient import TestClient
    user = make.organiser(db, email="olga@ish.example")
    with TestClient(app, base_url="http://testserver") as other:
        post_form(other, "/login", "/login", {"email": user.email, "password": PASSWORD})
        assert other.get("/organiser", follow_redirects=False).status_code == 200
        post_form(client, "/password/forgot", "/password/forgot", {"email": user.email})
        deliver()
        path = link_in(smtp, user.email)
        post_form(client, path, path, {"password": "a much better password",
                                       "password_again": "a much better password"})
        assert other.get("/organiser", follow_redirects=False).status_code == 303


def test_password_reset_weak_password_is_explained_and_link_stays_valid(client, db, make, smtp, deliver):
    make.organiser(db, email="olga@ish.example")
    post_form(client, "/password/forgot", "/password/forgot", {"email": "olga@ish.example"})
    deliver()
    path = link_in(smtp, "olga@ish.example")
    response = post_form(client, path, path, {"password": "short", "password_again": "short"})
    assert response.status_code == 400
    assert "Use at least 10 characters." in response.text
    assert client.get(path).status_code == 200


# -- invitations --------------------------------------------------------------------------------

def invite(client, email="cora@kumamoto.example", organisation_id=None):
    return post_form(client, "/organiser/coordinators", "/organiser/coordinators",
                     {"email": email, "full_name": "Cora Coordinator",
                      "organisation_id": str(organisation_id)}, follow_redirects=False)


def test_invitation_lets_the_coordinator_choose_a_password_once(client, app, db, make, smtp, deliver):
    from fastapi.testclient import TestClient
    organiser = make.organiser(db)
    kumamoto = make.organisation(db, name="Kumamoto")
    post_form(client, "/login", "/login", {"email": organiser.email, "password": PASSWORD})
    assert invite(client, organisation_id=kumamoto.id).status_code == 303
    deliver()
    message = smtp.to("cora@kumamoto.example")[0]
    assert message["Subject"] == "Your coordinator account for the ISH portal"
    assert "coordinator for Kumamoto" in smtp.text_of(message)
    path = LINK.search(smtp.text_of(message)).group(1)

    with TestClient(app, base_url="http://testserver") as invited:
        page = invited.get(path)
        assert "cora@kumamoto.example" in page.text
        form = {"password": "kumamoto science 2027", "password_again": "kumamoto science 2027"}
        accepted = post_form(invited, path, path, form, follow_redirects=False)
        assert accepted.headers["location"] == "/coordinator"
        assert "Kumamoto" in invited.get("/coordinator").text
        again = post_form(invited, "/coordinator", path, form)
        assert again.status_code == 400
        assert "This link has already been used." in again.text


def test_invitation_is_bound_to_the_invited_address(client, db, make, smtp, deliver):
    organiser = make.organiser(db)
    organisation = make.organisation(db)
    post_form(client, "/login", "/login", {"email": organiser.email, "password": PASSWORD})
    invite(client, organisation_id=organisation.id)
    deliver()
    path = link_in(smtp, "cora@kumamoto.example")
    user = db.exec(select(User).where(User.email == "cora@kumamoto.example")).one()
    user.email = "someone.else@example.org"
    db.add(user)
    db.commit()
    response = post_form(client, path, path, {"password": "kumamoto science 2027",
                                              "password_again": "kumamoto science 2027"})
    assert response.status_code == 400
    assert "This invitation is no longer valid." in response.text


def test_invitation_form_errors_keep_the_values(client, db, make):
    organiser = make.organiser(db)
    post_form(client, "/login", "/login", {"email": organiser.email, "password": PASSWORD})
    response = post_form(client, "/organiser/coordinators", "/organiser/coordinators",
                         {"email": "not-an-address", "full_name": "Łucja Żółć", "organisation_id": ""})
    assert response.status_code == 400
    assert 'value="Łucja Żółć"' in response.text
    assert 'id="e-email"' in response.text and "Enter an email address like name@example.org." in response.text
    assert 'href="#f-organisation_id"' in response.text


# -- applicants' access links -------------------------------------------------------------------

def test_access_link_same_answer_whether_or_not_the_address_is_known(client, db, make, smtp, deliver):
    edition, organisation = make.edition(db), make.organisation(db)
    make.nomination(db, edition, organisation, email="noemie@example.org", given_name="Noémie")
    known = post_form(client, "/access", "/access", {"email": "noemie@example.org"})
    unknown = post_form(client, "/access", "/access", {"email": "nobody@example.org"})
    assert known.text.replace("noemie@example.org", "X") == unknown.text.replace("nobody@example.org", "X")
    deliver()
    assert [smtp.address_of(m) for m in smtp.messages] == ["noemie@example.org"]
    assert smtp.messages[0]["Subject"] == "Your personal link to the ISH portal"


def test_access_link_opens_the_application_once(client, app, db, make, smtp, deliver):
    from fastapi.testclient import TestClient
    edition, organisation = make.edition(db), make.organisation(db, name="Montpellier")
    make.nomination(db, edition, organisation, email="noemie@example.org", given_name="Noémie")
    post_form(client, "/access", "/access", {"email": "noemie@example.org"})
    deliver()
    path = link_in(smtp, "noemie@example.org")
    # Opening the link (as a mail scanner might) does not use it up.
    assert client.get(path).status_code == 200
    entered = post_form(client, path, path, {}, follow_redirects=False)
    assert entered.headers["location"] == "/applicant"
    page = client.get("/applicant")
    assert "Hello <bdi>Noémie</bdi>" in page.text and "Montpellier" in page.text
    with TestClient(app, base_url="http://testserver") as someone_else:
        reused = post_form(someone_else, "/access", path, {})
        assert reused.status_code == 410
        assert "This link has already been used." in reused.text
        assert someone_else.get("/applicant", follow_redirects=False).headers["location"] == "/access?next=/applicant"


def test_access_link_expired_is_refused(client, db, make, smtp, deliver):
    edition, organisation = make.edition(db), make.organisation(db)
    make.nomination(db, edition, organisation, email="noemie@example.org")
    post_form(client, "/access", "/access", {"email": "noemie@example.org"})
    deliver()
    path = link_in(smtp, "noemie@example.org")
    expire_all_tokens(db)
    response = post_form(client, "/access", path, {})
    assert response.status_code == 410
    assert "This link has expired." in response.text


def test_access_link_token_is_stored_only_as_a_hash(client, db, make, smtp, deliver):
    edition, organisation = make.edition(db), make.organisation(db)
    make.nomination(db, edition, organisation, email="noemie@example.org")
    post_form(client, "/access", "/access", {"email": "noemie@example.org"})
    deliver()
    raw = link_in(smtp, "noemie@example.org").rsplit("/", 1)[1]
    stored = db.exec(select(AccessToken)).one()
    assert len(raw) >= 43  # 32 random bytes, URL-safe base64: 256 bits
    assert stored.token_hash != raw and raw not in stored.token_hash


def test_access_link_for_a_draft_nomination_is_not_sent(client, db, make, smtp, deliver):
    edition, organisation = make.edition(db), make.organisation(db)
    make.nomination(db, edition, organisation, email="draft@example.org", status="draft")
    post_form(client, "/access", "/access", {"email": "draft@example.org"})
    assert deliver() == 0
