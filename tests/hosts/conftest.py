"""Two labs of one edition, each with its own host, and approved candidates who chose them."""

from datetime import date

import pytest

from tests.placement.conftest import approved  # noqa: F401  (also used by the tests here)
from tests.staff import as_organiser, organiser  # noqa: F401


class World:
    pass


@pytest.fixture
def world(db, make, organiser):  # noqa: F811
    w = World()
    w.organiser = organiser
    w.edition = make.edition(db, title="ISH 2027", starts_on=date(2027, 7, 12), ends_on=date(2027, 8, 7))
    w.orgs = [make.organisation(db, name=f"City {i}") for i in range(3)]
    w.embl = make.lab(db, w.edition, institute="EMBL", group_name="Cell Biology", capacity=1)
    w.mpia = make.lab(db, w.edition, institute="MPIA", group_name="Exoplanets", capacity=1)
    w.embl_host = make.host(db, w.embl, full_name="Emma Host", email="emma@embl.example")
    w.mpia_host = make.host(db, w.mpia, full_name="Max Host", email="max@mpia.example")
    # Ada has the higher panel score; both want EMBL first.
    w.ada = approved(db, make, w.edition, w.orgs[0], [w.embl, w.mpia], score=90, given_name="Ada",
                     statement="I love cells.", subjects=["biology"], english_level="C1")
    w.ben = approved(db, make, w.edition, w.orgs[1], [w.embl, w.mpia], score=80, given_name="Ben",
                     medical_notes="Asthma", passport_number="X1234567")
    # Cem chose only MPIA.
    w.cem = approved(db, make, w.edition, w.orgs[2], [w.mpia], score=70, given_name="Cem")
    return w
