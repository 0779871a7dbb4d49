from sqlmodel import select

from ish_portal.accounts.models import User
from tests.conftest import post_form
from tests.factories import PASSWORD


def test_csrf_missing_token_is_refused_with_a_clear_page_and_changes_nothing(client, db, make):
    organiser = make.organiser(db)
    organisation = make.organisation(db)
    post_form(client, "/login", "/login", {"email": organiser.email, "password": PASSWORD})
    response = client.post("/organiser/coordinators", data={
        "email": "cora@example.org", "full_name": "Cora", "organisation_id": str(organisation.id)})
    assert response.status_code == 403
    assert "This form has expired" in response.text
    assert "Nothing was changed." in response.text
    assert db.exec(select(User).where(User.email == "cora@example.org")).first() is None


def test_csrf_token_of_another_session_is_refused(app, client, db, make):
    from fastapi.testclient import TestClient
    organiser = make.organiser(db)
    with TestClient(app, base_url="http://testserver") as attacker:
        foreign_token = __import__("tests.conftest", fromlist=["csrf_of"]).csrf_of(attacker.get("/login").text)
    client.get("/login")
    response = client.post("/login", data={"email": organiser.email, "password": PASSWORD,
                                           "csrf_token": foreign_token})
    assert response.status_code == 403
    assert client.get("/organiser", follow_redirects=False).status_code == 303


def test_csrf_header_token_is_accepted(client, db, make):
    organiser = make.organiser(db)
    token = __import__("tests.conftest", fromlist=["csrf_of"]).csrf_of(client.get("/login").text)
    response = client.post("/login", data={"email": organiser.email, "password": PASSWORD},
                           headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert response.status_code == 303
