"""A small edition for the message tests: one organisation with a coordinator, students at each
stage, and an organiser who can sign in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from ish_portal.accounts.models import User
from ish_portal.db import utcnow
from ish_portal.labs.models import Lab
from ish_portal.nominations.models import Nomination
from ish_portal.programme.models import Edition, Organisation
from tests.conftest import sign_in


@dataclass
class World:
    edition: Edition
    organisation: Organisation
    coordinator: User
    organiser: User
    lab: Lab
    accepted: Nomination  # accepted her offer; German-speaking, with passport details
    accepted_en: Nomination
    submitted: Nomination



@pytest.fixture
def world(db, make) -> World:
    edition = make.edition(db, title="ISH 2027", starts_on=date(2027, 7, 12), ends_on=date(2027, 8, 7))
    bautzen = make.organisation(db, name="Bautzen", slug="bautzen", country="DE")
    make.quota(db, edition, bautzen, places=3)
    coordinator = make.coordinator(db, bautzen, email="koordination@bautzen.example", full_name="Jana Krause",
                                   language="de")
    organiser = make.organiser(db, email="olga@ish.example")
    lab = make.lab(db, edition, institute="EMBL", group_name="Structural Biology", tutor_name="Dr. Jürgen Müller")
    accepted = make.nomination(db, edition, bautzen, given_name="Zofia", family_name="Nowak",
                               email="zofia@example.org", status="accepted", language="de",
                               passport_name="NOWAK ZOFIA", passport_number="EK 4711023",
                               nationality="PL", date_of_birth=date(2008, 3, 14))
    accepted_en = make.nomination(db, edition, bautzen, given_name="Tom", family_name="Baker",
                                  email="tom@example.org", status="accepted")
    submitted = make.nomination(db, edition, bautzen, given_name="Lena", family_name="Schulz",
                                email="lena@example.org", status="submitted",
                                applicant_consent_at=utcnow(), guardian_consent_at=utcnow())
    for nomination in (accepted, accepted_en):
        # Their host confirmed that they took part, so a certificate is theirs.
        make.offer(db, nomination, lab, attended=True, project_title="Protein folding")
    return World(edition, bautzen, coordinator, organiser, lab, accepted, accepted_en, submitted)


@pytest.fixture
def organiser(client, world):
    return sign_in(client, world.organiser.email)
