"""A small edition to write to: two organisations whose people read different languages,
candidates at several stages (some placed in a lab), guardians, coordinators, an organiser."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from ish_portal.accounts.models import User
from ish_portal.labs.models import Lab
from ish_portal.nominations.models import Nomination
from ish_portal.programme.models import Edition, Organisation
from tests.conftest import sign_in


@dataclass
class Group:
    edition: Edition
    bautzen: Organisation
    kumamoto: Organisation
    organiser: User
    jana: User        # Bautzen's coordinator, German
    kenji: User       # Kumamoto's coordinator, Japanese
    lab: Lab
    anna: Nomination  # Bautzen, accepted in the lab, German, a minor with a guardian
    tom: Nomination   # Bautzen, accepted in the lab, English
    lena: Nomination  # Bautzen, approved, no place, German
    yui: Nomination   # Kumamoto, accepted in the lab, Japanese
    sora: Nomination  # Kumamoto, rejected, Japanese



@pytest.fixture
def group(db, make) -> Group:
    edition = make.edition(db, title="ISH 2027", starts_on=date(2027, 7, 12), ends_on=date(2027, 8, 7))
    bautzen = make.organisation(db, name="Bautzen", slug="bautzen", country="DE")
    kumamoto = make.organisation(db, name="Kumamoto", slug="kumamoto", country="JP", time_zone="Asia/Tokyo")
    make.quota(db, edition, bautzen, places=3)
    make.quota(db, edition, kumamoto, places=3)
    organiser = make.organiser(db, email="olga@ish.example")
    jana = make.coordinator(db, bautzen, email="jana@bautzen.example", full_name="Jana Krause", language="de")
    kenji = make.coordinator(db, kumamoto, email="kenji@kumamoto.example", full_name="Kenji Sato", language="ja")
    lab = make.lab(db, edition, institute="EMBL", group_name="Structural Biology")
    anna = make.nomination(db, edition, bautzen, given_name="Anna", family_name="Weber", email="anna@example.org",
                           status="accepted", language="de", guardian_name="Petra Weber",
                           guardian_email="petra@example.org", guardian_language="de")
    tom = make.nomination(db, edition, bautzen, given_name="Tom", family_name="Baker", email="tom@example.org",
                          status="accepted", language="en")
    lena = make.nomination(db, edition, bautzen, given_name="Lena", family_name="Schulz", email="lena@example.org",
                           status="approved", language="de")
    yui = make.nomination(db, edition, kumamoto, given_name="Yui", family_name="Nakamura", email="yui@example.org",
                          status="accepted", language="ja", name_order="family_first")
    sora = make.nomination(db, edition, kumamoto, given_name="Sora", family_name="Ito", email="sora@example.org",
                           status="rejected", language="ja")
    for nomination in (anna, tom, yui):
        make.offer(db, nomination, lab)
    return Group(edition, bautzen, kumamoto, organiser, jana, kenji, lab, anna, tom, lena, yui, sora)


@pytest.fixture
def organiser(client, group):
    return sign_in(client, group.organiser.email)
