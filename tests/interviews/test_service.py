"""The doors of the interviews: slots, invitations, booking under the cut-off, one nominee per slot
and one slot per nominee, calendar entries and emails to both sides, outcome, feed, reminders."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from ish_portal.db import utcnow
from ish_portal.errors import DomainError, NotFound
from ish_portal.interviews import service
from ish_portal.interviews.models import InterviewBooking, InterviewSetting, InterviewSlot
from ish_portal.notifications.models import OutboxAttachment, OutboxMessage
from ish_portal.text import i18n
from ish_portal.text.validation import validate
from tests.conftest import fresh
from tests.interviews.conftest import BASE, in_days


def outbox(db, kind):
    return list(fresh(db).exec(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)))


def calendar_of(db, message) -> Calendar:
    [attachment] = fresh(db).exec(select(OutboxAttachment).where(
        OutboxAttachment.outbox_message_id == message.id)).all()
    return Calendar.from_ical(attachment.data)


def test_publish_slots_makes_consecutive_slots_from_heidelberg_time(db, world):
    starts = [slot.starts_at for slot in world.slots]
    assert starts[1] - starts[0] == timedelta(minutes=30) and starts[2] - starts[1] == timedelta(minutes=30)
    form, errors = validate(service.SlotsForm, {"interviewer_id": world.interviewer.id,
                                                "first_start": "2099-01-15T09:00", "count": "2", "minutes": "30",
                                                "pause": "15", "join_kind": "phone", "join_how": "+49 6221 1"})
    # 09:00 in Heidelberg in January is 08:00 UTC.
    assert errors == {} and form.first_start.hour == 8


@pytest.mark.parametrize("kind, how, field", [("phone", "call me", "join_how"), ("video", "meet.example.org", "join_how"),
                                              ("fax", "+49 6221 1", "join_kind")])
def test_publish_slots_refuses_a_wrong_way_to_join_naming_the_field(world, kind, how, field):
    _form, errors = validate(service.SlotsForm, {"interviewer_id": world.interviewer.id,
                                                 "first_start": "2099-01-15T09:00", "join_kind": kind, "join_how": how})
    assert field in errors


def test_an_interviewers_new_slots_may_not_overlap_their_slots(db, world):
    # Anna has 9:00, 9:30 and 10:00 on day 5; a slot at 9:10 would overlap the first.
    def slots(start, count=1, interviewer=world.interviewer):
        return service.SlotsForm(interviewer_id=interviewer.id, first_start=start, count=count, minutes=30,
                                 join_kind="phone", join_how="+49 6221 1234")
    with pytest.raises(DomainError) as refused:
        service.publish_slots(db, world.interviewer, world.edition.id, slots(in_days(5) + timedelta(minutes=10)))
    assert "already has a slot at" in refused.value.form_errors()["first_start"]
    with pytest.raises(DomainError):  # a run that reaches into them from before
        service.publish_slots(db, world.interviewer, world.edition.id, slots(in_days(5) - timedelta(minutes=50), 2))
    db.rollback()
    # Right after the last one, and another interviewer at the same time, are fine.
    assert len(service.publish_slots(db, world.interviewer, world.edition.id,
                                     slots(in_days(5) + timedelta(minutes=90), 2))) == 2
    assert service.publish_slots(db, world.other_interviewer, world.edition.id,
                                 slots(in_days(5), interviewer=world.other_interviewer))


def test_an_interviewer_cannot_publish_for_another_interviewer(db, world):
    form = service.SlotsForm(interviewer_id=world.other_interviewer.id, first_start=in_days(7),
                             join_kind="phone", join_how="+49 6221 1234")
    with pytest.raises(NotFound):
        service.publish_slots(db, world.interviewer, world.edition.id, form)


def test_invite_to_book_emails_each_nominee_once_with_a_personal_link(db, world, organiser):
    assert service.invite_to_book(db, organiser, world.edition.id, [world.haruto.id], BASE) == 0
    messages = outbox(db, "interview_booking")
    assert sorted(m.recipient for m in messages) == ["haruto@example.org", "noa@example.org"]
    assert "http://testserver/access/" in messages[0].body_text


def test_booking_preset_zone_comes_from_the_country(db, world):
    page = service.booking_page(db, world.haruto, None)
    assert page.zone == "Asia/Tokyo" and page.booking.slot_id is None
    assert service.booking_page(db, world.noa, None).zone == "Asia/Jerusalem"
    assert service.preset_zone("US", "America/Los_Angeles") == "America/Los_Angeles"


def test_book_sends_an_invitation_to_both_sides_in_their_own_zones(db, world):
    slot = world.slots[0]
    service.book(db, world.haruto, slot.id, "Asia/Tokyo", BASE)
    [nominee] = outbox(db, "interview_booked")
    [panel] = outbox(db, "interview_booked_panel")
    assert nominee.recipient == "haruto@example.org" and panel.recipient == world.interviewer.email
    tokyo = slot.starts_at.astimezone(ZoneInfo("Asia/Tokyo"))
    berlin = slot.starts_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert f"{tokyo:%H:%M} Japan Standard Time" in nominee.body_text
    assert f"{berlin:%H:%M} CE" in panel.body_text  # CET or CEST
    # A phone slot: the interviewer calls, and the email says where the nominee's number is.
    assert slot.join_kind == "phone" and "their number is on your agenda" in panel.body_text
    assert "/panel/interviews" in panel.body_text
    calendar = calendar_of(db, nominee)
    assert calendar["METHOD"] == "REQUEST"
    [event] = calendar.walk("VEVENT")
    booking = fresh(db).exec(select(InterviewBooking).where(InterviewBooking.nomination_id == world.haruto.id)).one()
    assert str(event["UID"]) == f"interview-booking-{booking.id}@testserver"
    assert event.decoded("DTSTART") == slot.starts_at and event.decoded("DURATION") == timedelta(minutes=30)
    assert int(event["SEQUENCE"]) == 1
    assert str(event["ORGANIZER"]) == f"mailto:{world.interviewer.email}"
    assert str(event["ATTENDEE"]) == "mailto:haruto@example.org"


def test_reschedule_keeps_the_uid_and_raises_the_sequence(db, world):
    service.book(db, world.haruto, world.slots[0].id, "Asia/Tokyo", BASE)
    service.book(db, world.haruto, world.slots[1].id, "Asia/Tokyo", BASE)
    first, second = (calendar_of(db, m).walk("VEVENT")[0] for m in outbox(db, "interview_booked"))
    assert str(first["UID"]) == str(second["UID"])
    assert int(second["SEQUENCE"]) > int(first["SEQUENCE"])
    assert second.decoded("DTSTART") == world.slots[1].starts_at
    booking = fresh(db).exec(select(InterviewBooking).where(InterviewBooking.nomination_id == world.haruto.id)).one()
    assert booking.slot_id == world.slots[1].id
    # The first slot is free again.
    assert world.slots[0].id in [s.id for s in service.booking_page(db, world.noa, None).free]


def test_moving_to_another_interviewer_cancels_the_first_ones_entry(db, world):
    other_slot = fresh(db).exec(select(InterviewSlot).where(InterviewSlot.interviewer_id == world.other_interviewer.id)).one()
    service.book(db, world.haruto, world.slots[0].id, "", BASE)
    service.book(db, world.haruto, other_slot.id, "", BASE)
    [cancelled] = outbox(db, "interview_cancelled_panel")
    assert cancelled.recipient == world.interviewer.email
    assert calendar_of(db, cancelled)["METHOD"] == "CANCEL"


def test_cancel_sends_method_cancel_with_the_same_uid(db, world):
    service.book(db, world.haruto, world.slots[0].id, "", BASE)
    service.cancel(db, world.haruto, BASE)
    [booked] = outbox(db, "interview_booked")
    [cancelled] = outbox(db, "interview_cancelled")
    calendar = calendar_of(db, cancelled)
    assert calendar["METHOD"] == "CANCEL"
    [event] = calendar.walk("VEVENT")
    [first] = calendar_of(db, booked).walk("VEVENT")
    assert str(event["UID"]) == str(first["UID"]) and int(event["SEQUENCE"]) > int(first["SEQUENCE"])
    assert str(event["STATUS"]) == "CANCELLED"
    assert len(outbox(db, "interview_cancelled_panel")) == 1


def test_a_slot_takes_one_nominee(db, world):
    service.book(db, world.haruto, world.slots[0].id, "", BASE)
    with pytest.raises(DomainError, match="Someone else has just booked this slot"):
        service.book(db, world.noa, world.slots[0].id, "", BASE)


def test_the_database_itself_refuses_a_second_booking_of_a_slot(db, world):
    service.book(db, world.haruto, world.slots[0].id, "", BASE)
    session = fresh(db)
    noa = session.exec(select(InterviewBooking).where(InterviewBooking.nomination_id == world.noa.id)).one()
    noa.slot_id = world.slots[0].id
    session.add(noa)
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_a_nominee_holds_one_slot_at_a_time(db, world):
    service.book(db, world.haruto, world.slots[0].id, "", BASE)
    service.book(db, world.haruto, world.slots[2].id, "", BASE)
    held = fresh(db).exec(select(InterviewBooking.slot_id).where(InterviewBooking.slot_id.is_not(None))).all()
    assert held == [world.slots[2].id]


def test_booking_moving_and_cancelling_stop_at_the_cut_off(db, world):
    service.book(db, world.haruto, world.slots[0].id, "", BASE)
    # The slots lie five and six days ahead (at 09:00 UTC, so up to six days and nine hours from
    # now): with a cut-off of seven days, nothing may change whatever the hour the test runs.
    session = fresh(db)
    session.add(InterviewSetting(edition_id=world.edition.id, cutoff_hours=24 * 7))
    session.commit()
    with pytest.raises(DomainError, match="too close to be moved"):
        service.book(db, world.haruto, world.slots[1].id, "", BASE)
    with pytest.raises(DomainError, match="too close to be cancelled"):
        service.cancel(db, world.haruto, BASE)
    with pytest.raises(DomainError, match="too close to be booked"):
        service.book(db, world.noa, world.slots[1].id, "", BASE)
    assert service.booking_page(db, world.noa, None).free == []


def test_a_nominee_not_invited_has_no_booking_page_and_a_slot_of_another_edition_is_not_found(db, world, make):
    other = make.edition(db)
    stranger = make.nomination(db, other, make.organisation(db))
    with pytest.raises(NotFound):
        service.booking_page(db, stranger, None)
    interviewer = make.panel_member(db, other, interviews=True)
    [slot] = service.publish_slots(db, interviewer, other.id, service.SlotsForm(
        interviewer_id=interviewer.id, first_start=in_days(5), join_kind="phone", join_how="+49 6221 1234"))
    with pytest.raises(NotFound):
        service.book(db, world.haruto, slot.id, "", BASE)


def test_a_booked_slot_cannot_be_deleted_a_free_one_can(db, world):
    service.book(db, world.haruto, world.slots[0].id, "", BASE)
    with pytest.raises(DomainError):
        service.delete_slot(db, world.interviewer, world.slots[0].id)
    with pytest.raises(NotFound):
        service.delete_slot(db, world.other_interviewer, world.slots[1].id)
    service.delete_slot(db, world.interviewer, world.slots[1].id)
    assert fresh(db).get(InterviewSlot, world.slots[1].id) is None


def started(db, slot):
    """The interview has begun (its slot moved to ten minutes ago)."""
    stored = fresh(db).get(InterviewSlot, slot.id)
    stored.starts_at = utcnow() - timedelta(minutes=10)
    db.add(stored)
    db.commit()


def test_outcome_is_recorded_by_the_slots_interviewer_only(db, world):
    service.book(db, world.haruto, world.slots[0].id, "", BASE)
    [item] = service.agenda(db, world.interviewer)
    form = service.OutcomeForm(outcome="passed", no_show=False, notes="Curious, clear English.")
    with pytest.raises(NotFound):
        service.record_outcome(db, world.other_interviewer, item.booking.id, form)
    with pytest.raises(DomainError) as early:  # five days before it takes place
        service.record_outcome(db, world.interviewer, item.booking.id, form)
    assert "its outcome can be recorded once it has begun" in early.value.form_errors()["outcome"]
    db.rollback()
    started(db, world.slots[0])
    service.record_outcome(db, world.interviewer, item.booking.id, form)
    booking = fresh(db).get(InterviewBooking, item.booking.id)
    assert (booking.outcome, booking.notes) == ("passed", "Curious, clear English.")


def test_feed_lists_the_interviewers_interviews_and_stops_when_revoked(db, world):
    service.book(db, world.haruto, world.slots[0].id, "", BASE)
    raw = service.new_feed_token(db, world.interviewer)
    [event] = Calendar.from_ical(service.feed(db, raw, BASE)).walk("VEVENT")
    assert event.decoded("DTSTART") == world.slots[0].starts_at
    newer = service.new_feed_token(db, world.interviewer)
    with pytest.raises(NotFound):
        service.feed(db, raw, BASE)
    service.revoke_feed(db, world.interviewer)
    with pytest.raises(NotFound):
        service.feed(db, newer, BASE)


def test_reminder_goes_once_to_both_sides_the_day_before(db, world):
    service.book(db, world.haruto, world.slots[0].id, "", BASE)
    starts = world.slots[0].starts_at
    assert service.send_interview_reminders(db, BASE, now=starts - timedelta(days=2)) == 0
    assert service.send_interview_reminders(db, BASE, now=starts - timedelta(hours=20)) == 2
    assert service.send_interview_reminders(db, BASE, now=starts - timedelta(hours=19)) == 0
    assert [m.recipient for m in outbox(db, "interview_reminder")] == ["haruto@example.org"]
    assert [m.recipient for m in outbox(db, "interview_reminder_panel")] == [world.interviewer.email]


@pytest.mark.parametrize("language", ["en", "de", "he", "ja"])
def test_the_time_zones_to_choose_from_name_each_place_once(language):
    # The tz database keeps old names beside new ones (America/Catamarca beside
    # America/Argentina/Catamarca, Pacific/Samoa beside Pacific/Pago_Pago): both are the same
    # clock, and a list showing "American Samoa Time" twice leaves the reader guessing.
    with i18n.language(language):
        labels = [label for _zone, label in service.zone_options()]
        assert len(labels) == len(set(labels))
        assert len(labels) > 300  # every place is still there
        # A reader whose zone is an old name finds it chosen in the list, under its place's name.
        kept = dict(service.zone_options(keep="America/Catamarca"))
        assert kept["America/Catamarca"] == service.zone_label("America/Argentina/Catamarca")
        assert "America/Argentina/Catamarca" not in kept
    assert {"Europe/Kyiv", "Europe/Oslo", "Asia/Tokyo"} <= set(dict(service.zone_options()))
