"""A small edition for matching: three labs, four organisations, approved students with preferences."""

from datetime import date

import pytest

from ish_portal.db import utcnow
from ish_portal.nominations.models import LabPreference
from tests.conftest import post_form
from tests.factories import PASSWORD


def approved(db, make, edition, organisation, labs, score=None, **fields):
    """An approved nomination ranking `labs` in order."""
    fields.setdefault("applicant_consent_at", utcnow())  # so that they may accept a place
    nomination = make.nomination(db, edition, organisation, status="approved", review_score=score, **fields)
    for rank, lab in enumerate(labs, start=1):
        db.add(LabPreference(nomination_id=nomination.id, lab_id=lab.id, rank=rank))
    db.commit()
    return nomination


class World:
    pass


@pytest.fixture
def world(db, make):
    w = World()
    w.edition = make.edition(db, title="ISH 2027", starts_on=date(2027, 7, 12), offer_response_days=7)
    w.orgs = [make.organisation(db, name=f"City {i}") for i in range(4)]
    w.embl = make.lab(db, w.edition, institute="EMBL", group_name="Cell Biology", capacity=1)
    w.mpia = make.lab(db, w.edition, institute="MPIA", group_name="Exoplanets", capacity=1)
    w.dkfz = make.lab(db, w.edition, institute="DKFZ", group_name="Genomics", capacity=1)
    # Ada (highest score) and Ben both want EMBL first; Ada wins it, Ben goes to MPIA.
    w.ada = approved(db, make, w.edition, w.orgs[0], [w.embl, w.mpia], score=90, given_name="Ada")
    w.ben = approved(db, make, w.edition, w.orgs[1], [w.embl, w.mpia], score=80, given_name="Ben")
    # Cem ranks only EMBL and MPIA, both full with students ahead of him: the waitlist.
    w.cem = approved(db, make, w.edition, w.orgs[2], [w.embl, w.mpia], score=70, given_name="Cem")
    w.organiser = make.organiser(db, email="olga@ish.example")
    return w


@pytest.fixture
def organiser_client(client, world):
    post_form(client, "/login", "/login", {"email": "olga@ish.example", "password": PASSWORD})
    return client
