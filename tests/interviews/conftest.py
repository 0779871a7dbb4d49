"""A world for the interviews: an edition, a sending organisation in Kumamoto, two submitted
nominees, an interviewer with slots in the coming days."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from ish_portal.accounts.models import User
from ish_portal.interviews import service
from ish_portal.interviews.models import InterviewSlot
from ish_portal.nominations.models import Nomination
from ish_portal.programme.models import Edition

from tests.staff import as_organiser, organiser  # noqa: F401

BASE = "http://testserver"


@dataclass
class World:
    edition: Edition
    interviewer: User
    other_interviewer: User
    haruto: Nomination
    noa: Nomination
    slots: list[InterviewSlot]


def in_days(days: float, hour: int = 9) -> datetime:
    moment = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=days)
    return moment.replace(hour=hour)


@pytest.fixture
def world(db, make, organiser) -> World:
    edition = make.edition(db, title="ISH 2027")
    kumamoto = make.organisation(db, name="City of Kumamoto", country="JP", time_zone="Asia/Tokyo")
    rehovot = make.organisation(db, name="Rehovot", country="IL", time_zone="Asia/Jerusalem")
    haruto = make.nomination(db, edition, kumamoto, given_name="Haruto", family_name="Nakamura",
                             email="haruto@example.org", name_order="family_first", phone="+81 96 000 0000")
    noa = make.nomination(db, edition, rehovot, given_name="Noa", family_name="Cohen", email="noa@example.org")
    interviewer = make.panel_member(db, edition, reviews=False, interviews=True, full_name="Dr. Anna Schmidt")
    other = make.panel_member(db, edition, reviews=False, interviews=True, full_name="Prof. Jonas Weber")
    form = service.SlotsForm(interviewer_id=interviewer.id, first_start=in_days(5), count=3, minutes=30,
                             join_kind="phone", join_how="+49 6221 58 10580")
    slots = service.publish_slots(db, interviewer, edition.id, form)
    service.publish_slots(db, other, edition.id, service.SlotsForm(
        interviewer_id=other.id, first_start=in_days(6), count=1, minutes=45, join_kind="video",
        join_how="https://meet.example.org/ish-weber"))
    service.invite_to_book(db, organiser, edition.id, [haruto.id, noa.id], BASE)
    return World(edition, interviewer, other, haruto, noa, slots)
