"""Fixtures shared by the tests of organisers' pages: an edition, an organiser and a coordinator,
signed in. Each folder's conftest.py imports them."""

import pytest

from tests.conftest import post_form
from tests.factories import PASSWORD


@pytest.fixture
def edition(db, make):
    return make.edition(db, title="ISH 2027", year=2027)


@pytest.fixture
def organiser(db, make):
    return make.organiser(db, email="olga@ish.example", full_name="Olga Organiser")


@pytest.fixture
def as_organiser(client, organiser):
    post_form(client, "/login", "/login", {"email": organiser.email, "password": PASSWORD})
    return client


@pytest.fixture
def as_coordinator(client, db, make):
    organisation = make.organisation(db, name="Coordinating City")
    coordinator = make.coordinator(db, organisation, email="cora@city.example")
    post_form(client, "/login", "/login", {"email": coordinator.email, "password": PASSWORD})
    return client
