"""Interviews across time zones in a real browser: an interviewer publishes slots in Heidelberg
time, an organiser invites a nominee in Kumamoto to book, the nominee books and then moves the
interview, seeing every time in Japan's zone with the zone named, and the interviewer records the
outcome in their agenda (shown in their own zone)."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from ish_portal.interviews import service
from ish_portal.db import utcnow
from ish_portal.interviews.models import InterviewBooking, InterviewSlot
from tests.conftest import fresh
from tests.factories import PASSWORD

BERLIN = ZoneInfo("Europe/Berlin")


def sign_in(page, email):
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_interview_journey_across_time_zones(browser, live_server, db, make, smtp, wait_for_mail):
    edition = make.edition(db, title="ISH 2027")
    kumamoto = make.organisation(db, name="City of Kumamoto", country="JP", time_zone="Asia/Tokyo")
    haruto = make.nomination(db, edition, kumamoto, given_name="Haruto", family_name="Nakamura",
                             email="haruto@example.org", name_order="family_first")
    interviewer = make.panel_member(db, edition, reviews=False, interviews=True, full_name="Dr. Anna Schmidt")
    make.organiser(db, email="olga@ish.example")
    day = (datetime.now(BERLIN) + timedelta(days=6)).date()

    # The interviewer publishes three slots, typed in Heidelberg time.
    staff = browser.new_context(base_url=live_server, locale="en-GB").new_page()
    staff.set_default_timeout(15000)
    sign_in(staff, interviewer.email)
    staff.goto("/panel/slots")
    staff.get_by_label("First start").fill(f"{day.isoformat()}T09:00")
    staff.get_by_label("Number of slots").fill("3")
    staff.get_by_label("Phone", exact=True).check()
    staff.get_by_label("Phone number or video link").fill("+49 6221 58 10580")
    staff.get_by_role("button", name="Publish").click()
    staff.get_by_text("3 slots published.").wait_for()
    first, second, _third = fresh(db).exec(select(InterviewSlot).order_by(InterviewSlot.starts_at)).all()
    assert first.starts_at == datetime(day.year, day.month, day.day, 9, 0, tzinfo=BERLIN).astimezone(UTC)

    # The organiser invites the nominee to book.
    organiser = browser.new_context(base_url=live_server, locale="en-GB").new_page()
    organiser.set_default_timeout(15000)
    sign_in(organiser, "olga@ish.example")
    organiser.goto("/organiser/interviews")
    organiser.get_by_label("Invite Nakamura Haruto").check()
    organiser.get_by_role("button", name="Invite the chosen nominees").click()
    organiser.get_by_text("1 nominee invited to book an interview.").wait_for()

    # The nominee follows the emailed link: the times are in Japan's zone, named.
    [invitation] = wait_for_mail("haruto@example.org")
    nominee = browser.new_context(base_url=live_server, locale="ja-JP").new_page()
    nominee.set_default_timeout(15000)
    nominee.goto(re.search(r"http://127\.0\.0\.1:\d+/access/\S+", smtp.text_of(invitation)).group(0))
    nominee.locator("form button[type=submit]").first.click()
    nominee.wait_for_url(re.compile(r"/applicant/interview"))
    # The page follows the nominee's language (English, as their coordinator set it).
    nominee.get_by_text("All times on this page are in Japan Time.").wait_for()
    expect_first = service.when_in(first.starts_at, "Asia/Tokyo")
    expect_second = service.when_in(second.starts_at, "Asia/Tokyo")
    assert "Japan Standard Time" in expect_first
    assert f"{first.starts_at.astimezone(ZoneInfo('Asia/Tokyo')):%H:%M}" in expect_first
    nominee.get_by_label(re.compile(re.escape(expect_first))).check()
    nominee.get_by_role("button", name="Book this time").click()
    nominee.get_by_text("Your interview is booked", exact=True).wait_for()
    assert expect_first in nominee.locator("section.highlight").inner_text()

    # Choosing another zone from the list, without JavaScript, and back to Tokyo.
    nominee.get_by_label("Show the times in this time zone").select_option("America/Los_Angeles")
    nominee.get_by_role("button", name="Show").click()
    assert service.when_in(first.starts_at, "America/Los_Angeles") in nominee.locator("section.highlight").inner_text()
    nominee.get_by_label("Show the times in this time zone").select_option("Asia/Tokyo")
    nominee.get_by_role("button", name="Show").click()

    # Rescheduling: the second slot, still in Tokyo time.
    nominee.get_by_label(re.compile(re.escape(expect_second))).check()
    nominee.get_by_role("button", name="Move my interview to this time").click()
    nominee.get_by_text("Your interview is booked", exact=True).wait_for()
    assert expect_second in nominee.locator("section.highlight").inner_text()
    mails = wait_for_mail("haruto@example.org", count=3)
    assert expect_second in smtp.text_of(mails[-1])
    booking = fresh(db).exec(select(InterviewBooking).where(InterviewBooking.nomination_id == haruto.id)).one()
    assert booking.slot_id == second.id

    # The interviewer sees it in Heidelberg time and records the outcome.
    for agenda in ("/panel/slots", "/panel/interviews"):  # on a phone too, without widening the page
        staff.set_viewport_size({"width": 390, "height": 844})
        staff.goto(agenda)
        assert staff.evaluate("document.documentElement.scrollWidth") <= 390, agenda
    staff.set_viewport_size({"width": 1280, "height": 900})
    # The outcome is recorded once the interview has begun: its time comes (the slot moves to now).
    slot = fresh(db).get(type(second), second.id)
    slot.starts_at = utcnow().replace(second=0, microsecond=0) - timedelta(minutes=5)
    db.add(slot)
    db.commit()
    staff.goto("/panel/interviews")
    in_berlin = service.when_in(slot.starts_at, "Europe/Berlin")
    staff.get_by_role("link", name=in_berlin).click()
    staff.get_by_label("passed").check()
    staff.get_by_label("Notes").fill("Clear English, curious about neutrinos.")
    staff.get_by_role("button", name="Save the outcome").click()
    staff.get_by_text("The outcome is saved.").wait_for()
    booking = fresh(db).get(InterviewBooking, booking.id)
    assert (booking.outcome, booking.notes) == ("passed", "Clear English, curious about neutrinos.")
