from datetime import date

from sqlalchemy import func
from sqlmodel import select

from ish_portal.accounts.models import User
from ish_portal.demo import accounts, coming_summer, load_demo
from ish_portal.nominations.models import Nomination
from ish_portal.programme.models import Edition, Organisation, Quota


def test_demo_twice_adds_nothing_the_second_time(db, settings):
    load_demo(db, settings, today=date(2026, 11, 22))
    counts = [db.exec(select(func.count()).select_from(model)).one()
              for model in (Edition, Organisation, User, Nomination)]
    second = load_demo(db, settings, today=date(2026, 11, 22))
    again = [db.exec(select(func.count()).select_from(model)).one()
             for model in (Edition, Organisation, User, Nomination)]
    assert second == "demo data for 2027 is already there; nothing added"
    assert counts == again
    # Two editions, the real organisations, an account for every line the demo prints, 12 + 7 candidates.
    assert counts == [2, 15, len(accounts()), 12 + 7]


def test_demo_panel_sits_on_the_coming_edition(db, settings):
    from ish_portal.accounts.models import PanelConflict, PanelMember

    load_demo(db, settings, today=date(2026, 11, 22))
    edition = db.exec(select(Edition).where(Edition.year == 2027)).one()
    duties = {user.email: (member.reviews, member.interviews) for member, user in db.exec(
        select(PanelMember, User).join(User, PanelMember.user_id == User.id)
        .where(PanelMember.edition_id == edition.id))}
    assert duties == {"reviewer1@ish.example": (True, False), "reviewer2@ish.example": (True, False),
                      "reviewer3@ish.example": (True, True), "interviewer@ish.example": (False, True)}
    conflicted = db.exec(select(Organisation.slug).join(PanelConflict, PanelConflict.organisation_id == Organisation.id)).all()
    assert conflicted == ["kumamoto"]


def test_demo_simferopol_is_dormant_without_places(db, settings):
    load_demo(db, settings, today=date(2026, 11, 22))
    edition = db.exec(select(Edition).where(Edition.year == 2027)).one()
    quota = db.exec(select(Quota).join(Organisation, Quota.organisation_id == Organisation.id)
                    .where(Organisation.slug == "simferopol", Quota.edition_id == edition.id)).one()
    assert (quota.places, quota.dormant) == (0, True)


def test_demo_coordinator_address_follows_the_organisation_slug(db, settings):
    load_demo(db, settings, today=date(2026, 11, 22))
    user = db.exec(select(User).where(User.email == "coordinator.kumamoto@ish.example")).one()
    organisation = db.get(Organisation, user.organisation_id)
    assert organisation.name == "Kumamoto"


def test_coming_summer_after_march_is_next_year():
    assert coming_summer(date(2026, 11, 22)) == 2027
    assert coming_summer(date(2027, 2, 1)) == 2027


def test_demo_last_years_edition_has_data_past_its_retention(db, settings):
    from datetime import UTC, datetime

    from ish_portal.retention.service import run

    load_demo(db, settings, today=date(2026, 11, 22))
    outcome = run(db, dry_run=True, now=datetime(2026, 11, 22, 12, 0, tzinfo=UTC))
    assert {(entry.edition.title, entry.data_class): entry.count for entry in outcome.entries} == {
        ("ISH 2026", "medical"): 5, ("ISH 2026", "passport"): 7, ("ISH 2026", "not_accepted"): 2}


def test_demo_holds_a_sent_and_a_scheduled_message_to_a_group(db, settings):
    from ish_portal.mailings.models import Mailing
    from ish_portal.notifications.models import OutboxMessage

    load_demo(db, settings, today=date(2026, 11, 22))
    rows = {m.recipients: m for m in db.exec(select(Mailing)).all()}
    assert set(rows) == {"candidates", "coordinators"}
    sent, scheduled = rows["candidates"], rows["coordinators"]
    assert sent.released_at is not None and sent.scheduled_at is None and sent.written_to > 0
    statuses = set(db.exec(select(OutboxMessage.status).where(OutboxMessage.batch == sent.batch)).all())
    assert statuses == {"queued"}
    assert scheduled.scheduled_at is not None and scheduled.released_at is None
    assert scheduled.files == [{"name": "welcome-pack.pdf", "bytes": scheduled.files[0]["bytes"]}]
    assert set(db.exec(select(OutboxMessage.status).where(OutboxMessage.batch == scheduled.batch)).all()) == {"draft"}


def test_demo_history_reads_in_order_nominated_before_interviewed(db, settings):
    from ish_portal.nominations.models import Interview

    load_demo(db, settings, today=date(2026, 11, 22))
    edition = db.exec(select(Edition).where(Edition.year == 2027)).one()
    pairs = db.exec(select(Nomination.submitted_at, Interview.scheduled_at)
                    .join(Interview, Interview.nomination_id == Nomination.id)
                    .where(Nomination.edition_id == edition.id)).all()
    assert pairs and all(submitted < interviewed for submitted, interviewed in pairs)


def test_demo_has_a_host_for_every_lab_and_some_have_ranked(db, settings):
    from ish_portal.demo import host_address
    from ish_portal.labs.models import Lab, LabHost, LabRanking

    load_demo(db, settings, today=date(2026, 11, 22))
    edition = db.exec(select(Edition).where(Edition.year == 2027)).one()
    labs = db.exec(select(Lab).where(Lab.edition_id == edition.id)).all()
    hosts = {lab.id: email for lab, email in db.exec(
        select(Lab, User.email).join(LabHost, LabHost.lab_id == Lab.id).join(User, User.id == LabHost.user_id)
        .where(Lab.edition_id == edition.id))}
    assert hosts == {lab.id: host_address(lab.group_name) for lab in labs}
    assert "host.tumour-immunology@ish.example" in hosts.values()
    ranked = set(db.exec(select(LabRanking.lab_id).where(LabRanking.lab_id.in_([lab.id for lab in labs]))).all())
    assert 1 <= len(ranked) < len(labs)
    assert 0 < sum(1 for lab in labs if lab.confirmed_at) < len(labs)


def test_demo_has_interview_slots_in_the_coming_weeks_some_booked(db, settings):
    from ish_portal.interviews.models import InterviewBooking, InterviewSlot

    load_demo(db, settings, today=date(2026, 11, 22))
    interviewer = db.exec(select(User).where(User.email == "interviewer@ish.example")).one()
    slots = db.exec(select(InterviewSlot).where(InterviewSlot.interviewer_id == interviewer.id)).all()
    assert len(slots) >= 8 and all(s.starts_at.date() > date(2026, 11, 22) for s in slots)
    bookings = db.exec(select(InterviewBooking)).all()
    booked = [b for b in bookings if b.slot_id is not None]
    assert len(booked) == 2 and len(bookings) > len(booked)
