import pytest

from tests.conftest import post_form
from tests.factories import PASSWORD


@pytest.fixture
def organiser(db, make):
    return make.organiser(db, email="olga@ish.example", full_name="Olga Organiser")


@pytest.fixture
def organiser_client(client, organiser):
    post_form(client, "/login", "/login", {"email": organiser.email, "password": PASSWORD})
    return client


@pytest.fixture
def edition(db, make):
    return make.edition(db, title="ISH 2031", year=2031)
