from datetime import timedelta

from sqlmodel import select

from ish_portal.accounts.models import SignInThrottle
from ish_portal.db import utcnow
from tests.conftest import post_form
from tests.factories import PASSWORD


def sign_in(client, email, password=PASSWORD, **kwargs):
    return post_form(client, "/login", "/login", {"email": email, "password": password},
                     follow_redirects=False, **kwargs)


def test_sign_in_organiser_lands_on_organiser_dashboard(client, db, make):
    user = make.organiser(db)
    response = sign_in(client, user.email)
    assert (response.status_code, response.headers["location"]) == (303, "/organiser")
    assert client.get("/organiser").status_code == 200


def test_sign_in_coordinator_lands_on_coordinator_dashboard(client, db, make):
    user = make.coordinator(db, make.organisation(db, name="Kumamoto"))
    response = sign_in(client, user.email.upper())  # addresses are case-insensitive
    assert (response.status_code, response.headers["location"]) == (303, "/coordinator")
    page = client.get("/coordinator")
    assert page.status_code == 200
    assert "Kumamoto" in page.text


def test_sign_in_cookie_is_httponly_and_samesite_lax(client, db, make):
    user = make.organiser(db)
    response = sign_in(client, user.email)
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


def test_sign_in_wrong_password_and_unknown_address_get_the_same_answer(client, db, make):
    user = make.organiser(db)
    wrong = sign_in(client, user.email, "not the password")
    unknown = sign_in(client, "nobody@example.org", "not the password")
    message = "The email address or the password is not right."
    assert (wrong.status_code, unknown.status_code) == (400, 400)
    assert message in wrong.text and message in unknown.text


def test_sign_in_after_five_failures_is_slowed_down_even_with_the_right_password(client, db, make):
    user = make.organiser(db)
    for _ in range(5):
        sign_in(client, user.email, "not the password")
    response = sign_in(client, user.email)
    assert response.status_code == 400
    assert "Too many failed sign-ins" in response.text
    throttle = db.get(SignInThrottle, f"account:{user.email}")
    assert throttle.failures == 5


def test_sign_in_block_ends_and_success_clears_the_account_count(client, db, make):
    user = make.organiser(db)
    for _ in range(5):
        sign_in(client, user.email, "not the password")
    throttle = db.get(SignInThrottle, f"account:{user.email}")
    throttle.blocked_until = utcnow() - timedelta(seconds=1)
    db.add(throttle)
    db.commit()
    assert sign_in(client, user.email).status_code == 303
    db.expire_all()
    assert db.get(SignInThrottle, f"account:{user.email}") is None


def test_sign_in_many_accounts_from_one_address_is_slowed_down(client, db, make):
    for n in range(20):
        sign_in(client, f"guess{n}@example.org", "not the password")
    user = make.organiser(db)
    response = sign_in(client, user.email)
    assert "Too many failed sign-ins" in response.text
    assert db.exec(select(SignInThrottle).where(SignInThrottle.key == "address:testclient")).one().failures == 20


def test_sign_in_next_stays_on_this_site(client, db, make):
    user = make.organiser(db)
    response = post_form(client, "/login", "/login", {"email": user.email, "password": PASSWORD,
                                                      "next": "https://evil.example/"},
                         follow_redirects=False)
    assert response.headers["location"] == "/organiser"


def test_sign_in_returns_to_the_page_asked_for(client, db, make):
    user = make.organiser(db)
    assert client.get("/organiser/coordinators", follow_redirects=False).headers["location"] == \
        "/login?next=/organiser/coordinators"
    response = post_form(client, "/login?next=/organiser/coordinators", "/login",
                         {"email": user.email, "password": PASSWORD, "next": "/organiser/coordinators"},
                         follow_redirects=False)
    assert response.headers["location"] == "/organiser/coordinators"


def test_sign_out_ends_the_session(client, db, make):
    user = make.organiser(db)
    sign_in(client, user.email)
    response = post_form(client, "/organiser", "/logout", {}, follow_redirects=False)
    assert response.headers["location"] == "/login"
    assert client.get("/organiser", follow_redirects=False).status_code == 303


def test_coordinator_on_an_organiser_page_is_refused(client, db, make):
    user = make.coordinator(db, make.organisation(db))
    sign_in(client, user.email)
    response = client.get("/organiser")
    assert response.status_code == 403
    assert "This page belongs to another role" in response.text


def test_deactivated_coordinator_is_signed_out_and_cannot_sign_in(client, db, make):
    user = make.coordinator(db, make.organisation(db))
    sign_in(client, user.email)
    user.is_active = False
    user.session_version += 1
    db.add(user)
    db.commit()
    assert client.get("/coordinator", follow_redirects=False).status_code == 303
    assert sign_in(client, user.email).status_code == 400
