"""Sessions end on the server: a cookie copied before sign-out (or before a deactivation, or before
a newer personal link) opens nothing afterwards."""

import re

from fastapi.testclient import TestClient

from tests.conftest import post_form
from tests.factories import PASSWORD

LINK = re.compile(r"http://testserver(/access/\S+)")


def copy_of(app, client) -> TestClient:
    """Another browser holding a copy of the client's session cookie."""
    copy = TestClient(app, base_url="http://testserver")
    copy.cookies.set("ish_session", client.cookies.get("ish_session"))
    return copy


def sign_in(client, email):
    return post_form(client, "/login", "/login", {"email": email, "password": PASSWORD}, follow_redirects=False)


def links_to(smtp, address) -> list[str]:
    return [LINK.search(smtp.text_of(message)).group(1) for message in smtp.to(address)]


def enter(client, path):
    return post_form(client, path, path, {}, follow_redirects=False)


def test_sign_out_staff_replayed_cookie_is_refused(client, app, db, make):
    user = make.organiser(db)
    sign_in(client, user.email)
    with copy_of(app, client) as thief:
        assert thief.get("/organiser", follow_redirects=False).status_code == 200
        post_form(client, "/organiser", "/logout", {})
        replay = thief.get("/organiser", follow_redirects=False)
        assert replay.status_code == 303
        assert replay.headers["location"].startswith("/login")
    # Signing in again works as before.
    assert sign_in(client, user.email).headers["location"] == "/organiser"
    assert client.get("/organiser", follow_redirects=False).status_code == 200


def test_sign_out_coordinator_replayed_cookie_cannot_change_anything(client, app, db, make):
    coordinator = make.coordinator(db, make.organisation(db))
    sign_in(client, coordinator.email)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/coordinator").text).group(1)
    with copy_of(app, client) as thief:
        post_form(client, "/coordinator", "/logout", {})
        # The copied cookie still carries the CSRF token, but no identity the server accepts.
        response = thief.post("/language", data={"language": "de", "csrf_token": token}, follow_redirects=False)
        assert response.status_code == 303
        assert thief.get("/coordinator", follow_redirects=False).headers["location"].startswith("/login")
    db.refresh(coordinator)
    assert coordinator.language == "en"


def test_deactivated_coordinator_live_session_is_refused(client, app, db, make):
    organiser = make.organiser(db)
    coordinator = make.coordinator(db, make.organisation(db))
    with TestClient(app, base_url="http://testserver") as cora:
        sign_in(cora, coordinator.email)
        assert cora.get("/coordinator", follow_redirects=False).status_code == 200
        sign_in(client, organiser.email)
        post_form(client, "/organiser/coordinators", f"/organiser/coordinators/{coordinator.id}/active",
                  {"active": "0"})
        refused = cora.get("/coordinator", follow_redirects=False)
        assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
        again = sign_in(cora, coordinator.email)
        assert again.status_code == 400


def applicant_signed_in(client, db, make, smtp, deliver, email="noemie@example.org"):
    edition, organisation = make.edition(db), make.organisation(db)
    nomination = make.nomination(db, edition, organisation, email=email, given_name="Noémie")
    post_form(client, "/access", "/access", {"email": email})
    deliver()
    [path] = links_to(smtp, email)
    assert enter(client, path).headers["location"] == "/applicant"
    return nomination


def test_sign_out_applicant_replayed_cookie_is_refused(client, app, db, make, smtp, deliver):
    applicant_signed_in(client, db, make, smtp, deliver)
    with copy_of(app, client) as thief:
        assert thief.get("/applicant", follow_redirects=False).status_code == 200
        signed_out = post_form(client, "/applicant", "/applicant/sign-out", {})
        assert signed_out.status_code == 200
        replay = thief.get("/applicant", follow_redirects=False)
        assert replay.status_code == 303
        assert replay.headers["location"] == "/access?next=/applicant"
        assert thief.get("/applicant/data.zip", follow_redirects=False).status_code == 303
    assert client.get("/applicant", follow_redirects=False).status_code == 303


def test_sign_out_applicant_through_the_common_sign_out_ends_the_session_too(client, app, db, make, smtp, deliver):
    applicant_signed_in(client, db, make, smtp, deliver)
    with copy_of(app, client) as thief:
        post_form(client, "/", "/logout", {})
        assert thief.get("/applicant", follow_redirects=False).status_code == 303


def test_older_personal_link_refused_after_a_newer_one_is_issued(client, db, make, smtp, deliver):
    edition, organisation = make.edition(db), make.organisation(db)
    make.nomination(db, edition, organisation, email="noemie@example.org", given_name="Noémie")
    post_form(client, "/access", "/access", {"email": "noemie@example.org"})
    deliver()
    post_form(client, "/access", "/access", {"email": "noemie@example.org"})
    deliver()
    older, newer = links_to(smtp, "noemie@example.org")
    page = client.get(older)
    assert page.status_code == 410
    assert "A newer personal link has been sent to you, so this one no longer works." in page.text
    assert 'href="/access"' in page.text
    refused = enter(client, older)
    assert refused.status_code == 410 and "A newer personal link" in refused.text
    assert enter(client, newer).headers["location"] == "/applicant"


def test_newer_personal_link_ends_the_session_opened_with_an_older_one(client, app, db, make, smtp, deliver):
    applicant_signed_in(client, db, make, smtp, deliver)
    with TestClient(app, base_url="http://testserver") as owner:
        post_form(owner, "/access", "/access", {"email": "noemie@example.org"})
        deliver()
        refused = client.get("/applicant", follow_redirects=False)
        assert refused.status_code == 303 and refused.headers["location"] == "/access?next=/applicant"
        newest = links_to(smtp, "noemie@example.org")[-1]
        assert enter(owner, newest).headers["location"] == "/applicant"
        assert owner.get("/applicant", follow_redirects=False).status_code == 200


def test_applicant_session_ends_when_the_personal_data_is_erased(client, app, db, make, smtp, deliver):
    nomination = applicant_signed_in(client, db, make, smtp, deliver)
    nomination.email = f"erased-{nomination.id}@invalid"
    db.add(nomination)
    db.commit()
    assert client.get("/applicant", follow_redirects=False).status_code == 303
