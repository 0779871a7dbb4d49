"""Interview notes are personal data: retention removes them with the nomination's other review
notes, and a deleted nomination's booking keeps no notes."""

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from ish_portal.applicants.service import strip_personal_data
from ish_portal.interviews.models import InterviewBooking, InterviewSlot
from ish_portal.retention import service as retention
from tests.conftest import fresh


def _booked_with_notes(db, make, ends_on):
    edition = make.edition(db, year=2025, starts_on=ends_on - timedelta(days=26), ends_on=ends_on)
    nomination = make.nomination(db, edition, make.organisation(db), status="accepted")
    interviewer = make.panel_member(db, edition, interviews=True)
    slot = InterviewSlot(edition_id=edition.id, interviewer_id=interviewer.id,
                         starts_at=datetime(2025, 4, 2, 8, 0, tzinfo=UTC), join_how="+49 6221 1234")
    db.add(slot)
    db.flush()
    db.add(InterviewBooking(edition_id=edition.id, nomination_id=nomination.id, slot_id=slot.id,
                            outcome="passed", notes="talked about neutrinos"))
    db.commit()
    return nomination


def test_retention_removes_interview_booking_notes_a_year_after_the_end(db, make):
    nomination = _booked_with_notes(db, make, date(2025, 8, 9))
    outcome = retention.run(db, now=datetime(2026, 8, 10, 8, 0, tzinfo=UTC))
    assert [(e.edition.year, e.count) for e in outcome.entries if e.data_class == "review"] == [(2025, 1)]
    booking = fresh(db).exec(select(InterviewBooking).where(InterviewBooking.nomination_id == nomination.id)).one()
    assert booking.notes == "" and booking.outcome == "passed"


def test_deleting_a_nominations_personal_data_removes_its_interview_notes(db, make):
    nomination = _booked_with_notes(db, make, date(2025, 8, 9))
    session = fresh(db)
    strip_personal_data(session, session.get(type(nomination), nomination.id))
    session.commit()
    assert fresh(db).exec(select(InterviewBooking.notes)).one() == ""
