"""The interviews over HTTP: the nominee's booking page in their zone, the interviewer's agenda,
outcome and feed, slots and invitations, each reachable only by whom it belongs to; and two
nominees booking the same slot at the same moment (on PostgreSQL in CI's second run)."""

import re
import threading
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx2 as httpx
from icalendar import Calendar
from sqlmodel import select

from ish_portal.accounts.models import TokenPurpose
from ish_portal.accounts.service import issue_token
from ish_portal.interviews import service
from ish_portal.db import utcnow
from ish_portal.interviews.models import InterviewBooking, InterviewSlot
from tests.applicants.test_applicant import enter
from tests.conftest import csrf_of, fresh, post_form, sign_in
from tests.factories import PASSWORD
from tests.interviews.conftest import BASE, in_days


def test_booking_page_lists_slots_in_the_nominees_zone_and_changes_zone_by_get(client, db, world):
    enter(client, db, world.haruto)
    page = client.get("/applicant/interview")
    assert page.status_code == 200
    tokyo = world.slots[0].starts_at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert f"{tokyo:%H:%M} Japan Standard Time" in page.text
    assert "All times on this page are in Japan Time." in page.text
    other = client.get("/applicant/interview", params={"zone": "America/Los_Angeles"})
    la = world.slots[0].starts_at.astimezone(ZoneInfo("America/Los_Angeles"))
    assert f"{la:%H:%M} Pacific Standard Time" in other.text or f"{la:%H:%M} Pacific Daylight Time" in other.text


def test_booking_over_http_books_and_shows_the_booked_time(client, db, world):
    enter(client, db, world.haruto)
    response = post_form(client, "/applicant/interview", "/applicant/interview",
                         {"slot_id": str(world.slots[1].id), "zone": "Asia/Tokyo"})
    assert response.status_code == 200 and "Your interview is booked" in response.text
    assert "Dr. Anna Schmidt" in response.text
    taken = post_form(client, "/applicant/interview", "/applicant/interview",
                      {"slot_id": "999999", "zone": "Asia/Tokyo"})
    assert taken.status_code == 404


def test_a_nominee_not_invited_gets_404_and_sees_no_one_elses_booking(client, db, world, make):
    service.book(db, world.noa, world.slots[0].id, "", BASE)
    stranger = make.nomination(db, world.edition, make.organisation(db), email="stranger@example.org")
    enter(client, db, stranger)
    assert client.get("/applicant/interview").status_code == 404
    client.cookies.clear()
    enter(client, db, world.haruto)
    page = client.get("/applicant/interview").text
    assert "Noa" not in page and "Your interview is booked" not in page
    # Noa's slot is not offered to Haruto; the next one is.
    assert service.when_in(world.slots[0].starts_at, "Asia/Tokyo") not in page
    assert service.when_in(world.slots[1].starts_at, "Asia/Tokyo") in page


def test_cancel_needs_the_confirmation(client, db, world):
    service.book(db, world.haruto, world.slots[0].id, "", BASE)
    enter(client, db, world.haruto)
    refused = post_form(client, "/applicant/interview", "/applicant/interview/cancel", {})
    assert "Tick the box" in refused.text
    done = post_form(client, "/applicant/interview", "/applicant/interview/cancel", {"confirm": "yes"})
    assert "Your interview is cancelled" in done.text
    assert fresh(db).exec(select(InterviewBooking.slot_id).where(
        InterviewBooking.nomination_id == world.haruto.id)).one() is None


def test_interviewer_sees_agenda_in_own_zone_and_records_the_outcome(client, db, world):
    service.book(db, world.haruto, world.slots[0].id, "", BASE)
    booking = fresh(db).exec(select(InterviewBooking).where(InterviewBooking.nomination_id == world.haruto.id)).one()
    sign_in(client, world.interviewer.email)
    post_form(client, "/panel/interviews", "/panel/interviews/zone", {"time_zone": "America/New_York"})
    agenda = client.get("/panel/interviews").text
    new_york = world.slots[0].starts_at.astimezone(ZoneInfo("America/New_York"))
    assert f"{new_york:%H:%M} Eastern" in agenda and "Nakamura Haruto" in agenda
    assert "Nakamura Haruto" in client.get("/panel").text
    wrong = post_form(client, f"/panel/interviews/{booking.id}", f"/panel/interviews/{booking.id}", {"outcome": "maybe"})
    assert wrong.status_code == 400 and "Choose one of the options." in wrong.text
    early = post_form(client, f"/panel/interviews/{booking.id}", f"/panel/interviews/{booking.id}",
                      {"outcome": "failed", "no_show": "yes", "notes": ""})
    assert early.status_code == 400 and "its outcome can be recorded once it has begun" in early.text
    slot = fresh(db).get(InterviewSlot, world.slots[0].id)
    slot.starts_at = utcnow() - timedelta(minutes=10)  # now it has begun
    db.add(slot)
    db.commit()
    both = post_form(client, f"/panel/interviews/{booking.id}", f"/panel/interviews/{booking.id}",
                     {"outcome": "passed", "no_show": "yes", "notes": ""})
    assert both.status_code == 400 and "A nominee who did not come cannot have passed" in both.text
    assert fresh(db).get(InterviewBooking, booking.id).outcome == "pending"
    saved = post_form(client, f"/panel/interviews/{booking.id}", f"/panel/interviews/{booking.id}",
                      {"outcome": "failed", "no_show": "yes", "notes": "Did not answer twice."})
    assert saved.status_code == 200 and "The outcome is saved." in saved.text
    row = fresh(db).get(InterviewBooking, booking.id)
    assert (row.outcome, row.no_show, row.notes) == ("failed", True, "Did not answer twice.")


def test_another_interviewers_interview_is_not_found(client, db, world):
    service.book(db, world.haruto, world.slots[0].id, "", BASE)
    booking = fresh(db).exec(select(InterviewBooking).where(InterviewBooking.nomination_id == world.haruto.id)).one()
    sign_in(client, world.other_interviewer.email)
    assert client.get(f"/panel/interviews/{booking.id}").status_code == 404
    token = csrf_of(client.get("/panel/interviews").text)
    assert client.post(f"/panel/interviews/{booking.id}", data={"csrf_token": token, "outcome": "passed"}).status_code == 404
    assert client.get(f"/panel/slots/{world.slots[1].id}/delete").status_code == 404
    assert "Nakamura" not in client.get("/panel/interviews").text


def test_feed_is_served_by_token_and_404_once_revoked(client, db, world):
    service.book(db, world.haruto, world.slots[0].id, "", BASE)
    sign_in(client, world.interviewer.email)
    page = post_form(client, "/panel/interviews", "/panel/interviews/feed", {})
    address = re.search(r"<code>(http://testserver/calendar/[^<]+\.ics)</code>", page.text).group(1)
    client.cookies.clear()
    feed = client.get(address.removeprefix("http://testserver"))
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    [event] = Calendar.from_ical(feed.content).walk("VEVENT")
    assert event.decoded("DTSTART") == world.slots[0].starts_at
    sign_in(client, world.interviewer.email)
    post_form(client, "/panel/interviews", "/panel/interviews/feed/revoke", {})
    client.cookies.clear()
    assert client.get(address.removeprefix("http://testserver")).status_code == 404
    assert client.get("/calendar/not-a-token.ics").status_code == 404


def test_slots_are_published_from_the_form_and_deleted_after_confirming(client, db, world):
    sign_in(client, world.interviewer.email)
    page = f"/panel/slots?edition={world.edition.id}"
    refused = post_form(client, page, "/panel/slots", {
        "edition_id": world.edition.id, "interviewer_id": world.interviewer.id, "first_start": "2099-03-01T09:00",
        "count": "4", "minutes": "20", "pause": "10", "join_kind": "video", "join_how": "zoom"})
    assert refused.status_code == 400 and "Phone number or video link: Enter the video link" in refused.text
    done = post_form(client, page, "/panel/slots", {
        "edition_id": world.edition.id, "interviewer_id": world.interviewer.id, "first_start": "2099-03-01T09:00",
        "count": "4", "minutes": "20", "pause": "10", "join_kind": "video", "join_how": "https://meet.example.org/a"})
    assert "4 slots published." in done.text and "1 March 2099, 09:00 CET" in done.text
    slot_id = fresh(db).exec(select(InterviewSlot.id).where(InterviewSlot.join_how == "https://meet.example.org/a")
                             .order_by(InterviewSlot.starts_at)).first()
    confirm = client.get(f"/panel/slots/{slot_id}/delete")
    assert "Delete the slot?" in confirm.text
    post_form(client, f"/panel/slots/{slot_id}/delete", f"/panel/slots/{slot_id}/delete", {})
    assert fresh(db).get(InterviewSlot, slot_id) is None


def test_organiser_invites_and_sets_the_cut_off(as_organiser, db, world, make):
    late = make.nomination(db, world.edition, make.organisation(db), given_name="Emma", family_name="Dubois",
                           email="emma@example.org")
    page = as_organiser.get(f"/organiser/interviews?edition={world.edition.id}")
    assert page.status_code == 200 and "invited, not booked" in page.text and "Dubois" in page.text
    done = post_form(as_organiser, f"/organiser/interviews?edition={world.edition.id}", "/organiser/interviews/invite",
                     {"edition_id": world.edition.id, "nomination_id": str(late.id)})
    assert "1 nominee invited to book an interview." in done.text
    post_form(as_organiser, f"/organiser/interviews?edition={world.edition.id}", "/organiser/interviews/cutoff",
              {"edition_id": world.edition.id, "cutoff_hours": "48"})
    assert service.cutoff_hours(fresh(db), world.edition.id) == 48


def test_parallel_bookings_of_one_slot_let_exactly_one_win(db, world, make, live_server):
    nominees = [world.haruto, world.noa] + [
        make.nomination(db, world.edition, make.organisation(db), email=f"racer{n}@example.org") for n in range(4)]
    service.invite_to_book(db, make.organiser(db), world.edition.id, [n.id for n in nominees], BASE)
    slot = world.slots[0]
    sessions = []
    for nominee in nominees:
        raw = issue_token(db, TokenPurpose.APPLICANT_ACCESS, nominee.email, timedelta(days=1), nomination_id=nominee.id)
        db.commit()
        browser = httpx.Client(base_url=live_server, timeout=60)
        token = csrf_of(browser.get(f"/access/{raw}").text)
        browser.post(f"/access/{raw}", data={"csrf_token": token})
        sessions.append((browser, csrf_of(browser.get("/applicant/interview").text)))

    barrier = threading.Barrier(len(sessions))
    answers: list[tuple[int, str]] = []

    def book(browser, token) -> None:
        barrier.wait()
        response = browser.post("/applicant/interview", data={"csrf_token": token, "slot_id": str(slot.id),
                                                              "zone": "Asia/Tokyo"})
        answers.append((response.status_code, response.text))

    threads = [threading.Thread(target=book, args=pair) for pair in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for browser, _token in sessions:
        browser.close()

    assert sorted(code for code, _text in answers) == [303] + [409] * (len(nominees) - 1)
    assert all("Someone else has just booked this slot" in text for code, text in answers if code == 409)
    holders = fresh(db).exec(select(InterviewBooking).where(InterviewBooking.slot_id == slot.id)).all()
    assert len(holders) == 1


def test_status_page_leads_to_the_booking_and_then_shows_the_booked_time(client, db, world, make):
    enter(client, db, world.haruto)
    assert "Book your interview" in client.get("/applicant").text
    service.book(db, world.haruto, world.slots[0].id, "Asia/Tokyo", BASE)
    page = client.get("/applicant").text
    assert f"Booked for {service.when_in(world.slots[0].starts_at, 'Asia/Tokyo')}." in page
    client.cookies.clear()
    stranger = make.nomination(db, world.edition, make.organisation(db), email="nobody@example.org")
    enter(client, db, stranger)
    assert "Your interview in English" not in client.get("/applicant").text


def test_slots_for_an_interviewer_past_any_id_are_refused_not_an_error(client, db, world):
    sign_in(client, world.interviewer.email)
    page = f"/panel/slots?edition={world.edition.id}"
    refused = post_form(client, page, "/panel/slots", {
        "edition_id": world.edition.id, "interviewer_id": "99999999999999999999999", "first_start": "2099-03-01T09:00",
        "count": "1", "minutes": "20", "pause": "0", "join_kind": "video", "join_how": "https://meet.example.org/a"})
    assert refused.status_code == 400
    assert fresh(db).exec(select(InterviewSlot).where(InterviewSlot.join_how == "https://meet.example.org/a")).first() is None
