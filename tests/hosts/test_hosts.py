"""The lab hosts' side: invitations, the lab's confirmation, candidates and their ranking (which
the engine uses), the roster and its files, attendance and certificates, each scoped to the
host's own labs (another lab's answer 404)."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from ish_portal.audit.service import Actor
from ish_portal.errors import DomainError
from ish_portal.hosts import service
from ish_portal.labs.models import Lab, LabHost, LabRanking
from ish_portal.nominations.models import Document, DocumentBlob
from ish_portal.notifications.models import OutboxMessage
from ish_portal.placement import offers, runs
from ish_portal.placement.messages import create_certificate_batch, letter_data
from ish_portal.placement.models import Offer
from tests.conftest import csrf_of, fresh, post_form, sign_in

LINK = re.compile(r"http://testserver(/\S+)")


def as_host(client, host):
    client.cookies.clear()
    return sign_in(client, host.email)


def placed(db, make, nomination, lab):
    """The nomination accepted a place in the lab."""
    nomination.status = "accepted"
    db.add(nomination)
    db.commit()
    return make.offer(db, nomination, lab)


def outbox(db, kind):
    return fresh(db).exec(select(OutboxMessage).where(OutboxMessage.kind == kind)).all()


# -- invitations --------------------------------------------------------------------------------

def test_hosts_organiser_invites_a_host_who_chooses_a_password_and_sees_the_lab(as_organiser, client, db, world, smtp, deliver):
    response = post_form(client, f"/organiser/labs/{world.embl.id}/hosts", f"/organiser/labs/{world.embl.id}/hosts",
                         {"full_name": "Dana Deputy", "email": "Dana@EMBL.example"}, follow_redirects=False)
    assert response.status_code == 303
    deliver()
    [message] = smtp.to("dana@embl.example")
    assert "Cell Biology, EMBL" in smtp.text_of(message)
    link = LINK.search(smtp.text_of(message)).group(1)
    client.cookies.clear()
    page = client.get(link)
    answer = client.post(link, data={"password": "a long new password 42", "password_again": "a long new password 42",
                                     "confirm": "a long new password 42", "csrf_token": csrf_of(page.text)},
                         follow_redirects=True)
    assert answer.status_code == 200, answer.text
    assert "Cell Biology" in client.get("/host").text
    assert "Exoplanets" not in client.get("/host").text


def test_hosts_a_host_of_two_labs_sees_each(client, db, world):
    db.add(LabHost(lab_id=world.mpia.id, user_id=world.embl_host.id))
    db.commit()
    page = as_host(client, world.embl_host).get("/host").text
    assert "Cell Biology" in page and "Exoplanets" in page


def test_hosts_an_address_of_another_role_cannot_be_invited(as_organiser, client, db, world):
    response = post_form(client, f"/organiser/labs/{world.embl.id}/hosts", f"/organiser/labs/{world.embl.id}/hosts",
                         {"full_name": "Olga", "email": world.organiser.email})
    assert response.status_code == 400
    assert "already belongs to another account" in response.text


def test_hosts_removing_the_last_lab_signs_the_host_out(as_organiser, client, db, world):
    post_form(client, f"/organiser/labs/{world.embl.id}/hosts", f"/organiser/labs/{world.embl.id}/hosts/{world.embl_host.id}/remove", {})
    assert fresh(db).get(type(world.embl_host), world.embl_host.id).is_active is False


# -- confirmation --------------------------------------------------------------------------------

def test_hosts_confirm_the_lab_and_organisers_see_it(client, db, world, make, organiser):
    as_host(client, world.embl_host)
    page = f"/host/labs/{world.embl.id}/confirm"
    refused = post_form(client, page, page, {"capacity": "two", "subject_area": "Biology", "languages": "en"})
    assert refused.status_code == 400
    assert "Enter a whole number" in refused.text and "Choose the weeks the lab can host" in refused.text
    done = post_form(client, page, page, {"capacity": "3", "subject_area": "Cell biology", "languages": ["en", "de"],
                                          "description": "Microscopy of living cells", "min_age": "17",
                                          "weeks": ["2", "3"]}, follow_redirects=False)
    assert done.status_code == 303
    lab = fresh(db).get(Lab, world.embl.id)
    assert (lab.capacity, lab.languages, lab.min_age, lab.host_weeks) == (3, ["en", "de"], 17, [2, 3])
    assert lab.confirmed_at is not None and lab.confirmed_by_id == world.embl_host.id
    client.cookies.clear()
    listing = sign_in(client, organiser.email).get("/organiser/labs").text
    assert "1 lab has not been confirmed by its hosts." in listing


def test_hosts_cannot_take_away_seats_that_students_hold(client, db, world, make):
    placed(db, make, world.ada, world.embl)
    placed(db, make, world.ben, world.embl)
    as_host(client, world.embl_host)
    page = f"/host/labs/{world.embl.id}/confirm"
    fields = {"subject_area": "Biology", "languages": "en", "weeks": ["1"]}
    refused = post_form(client, page, page, {"capacity": "1", **fields})
    assert refused.status_code == 400
    assert "2 students already hold a place in this lab: it needs at least that many seats." in refused.text
    assert fresh(db).get(Lab, world.embl.id).confirmed_at is None
    assert post_form(client, page, page, {"capacity": "2", **fields}, follow_redirects=False).status_code == 303


def test_hosts_organisers_remind_only_the_unconfirmed_labs(as_organiser, client, db, world):
    world.embl.confirmed_at = datetime.now(UTC)
    db.add(world.embl)
    db.commit()
    post_form(client, "/organiser/labs", "/organiser/hosts/remind", {})
    reminders = outbox(db, "lab_confirmation_reminder")
    assert [m.recipient for m in reminders] == ["max@mpia.example"]
    assert f"/host/labs/{world.mpia.id}/confirm" in reminders[0].body_text


# -- candidates and ranking -----------------------------------------------------------------------

def test_hosts_see_only_what_a_host_may_see_of_their_candidates(client, db, world):
    page = as_host(client, world.embl_host).get(f"/host/labs/{world.embl.id}/candidates").text
    assert "Ada" in page and "I love cells." in page and "C1" in page and "90" in page
    assert "Ben" in page and "Cem" not in page
    for hidden in (world.ada.family_name, world.ada.email, "Asthma", "X1234567"):
        assert hidden not in page


def test_hosts_cv_only_when_the_candidate_agreed(client, db, world):
    document = Document(nomination_id=world.ada.id, kind="cv", original_filename="cv.pdf", content_type="application/pdf",
                        size_bytes=4, sha256="0" * 64)
    db.add(document)
    db.flush()
    db.add(DocumentBlob(document_id=document.id, data=b"%PDF"))
    db.commit()
    as_host(client, world.embl_host)
    url = f"/host/labs/{world.embl.id}/candidates/{world.ada.id}/cv"
    assert client.get(url).status_code == 404
    world.ada.cv_for_hosts = True
    db.add(world.ada)
    db.commit()
    assert client.get(url).content == b"%PDF"
    assert url in client.get(f"/host/labs/{world.embl.id}/candidates").text


def test_hosts_ranking_writes_the_labs_ranking_and_decides_the_run(client, db, world):
    as_host(client, world.embl_host)
    page = f"/host/labs/{world.embl.id}/candidates"
    twice = post_form(client, page, page, {f"rank-{world.ada.id}": "1", f"rank-{world.ben.id}": "1"})
    assert twice.status_code == 400 and "Rank 1 is given twice." in twice.text
    post_form(client, page, page, {f"rank-{world.ben.id}": "1", f"rank-{world.ada.id}": "2"})
    rows = fresh(db).exec(select(LabRanking.nomination_id, LabRanking.rank).where(LabRanking.lab_id == world.embl.id)
                          .order_by(LabRanking.rank)).all()
    assert rows == [(world.ben.id, 1), (world.ada.id, 2)]
    # The engine follows the lab's order (Ben over Ada, whose panel score is higher), the
    # verifier finds the run stable, and the preview says the lab's ranking decided.
    run = runs.create_run(db, world.organiser, world.edition.id, "stable", seed=1)
    assert run.result["assignments"][runs.student_key(world.ben.id)] == runs.lab_key(world.embl.id)
    assert run.result["verification"]["blocking_pairs"] == []
    assert run.result["verification"]["violations"] == []
    view = runs.run_view(db, run)
    ada = next(s for s in view.students if s.nomination_id == world.ada.id)
    assert [c.why for c in ada.higher] == ["full: the lab ranked others higher"]


def test_hosts_ranking_is_locked_after_preferences_close(client, db, world):
    runs.lock_preferences(db, world.organiser, world.edition.id)
    as_host(client, world.embl_host)
    page = f"/host/labs/{world.embl.id}/candidates"
    assert "the ranking is locked" in client.get(page).text
    response = post_form(client, page, page, {f"rank-{world.ada.id}": "1"})
    assert response.status_code == 400
    assert "Lab preferences are closed" in response.text
    assert fresh(db).exec(select(LabRanking)).all() == []


# -- isolation ---------------------------------------------------------------------------------

def test_hosts_another_labs_pages_files_and_actions_are_not_found(client, db, world, make):
    offer = make.offer(db, world.cem, world.mpia)
    as_host(client, world.embl_host)
    other = world.mpia.id
    for url in (f"/host/labs/{other}", f"/host/labs/{other}/confirm", f"/host/labs/{other}/candidates",
                f"/host/labs/{other}/candidates/{world.cem.id}/cv", f"/host/labs/{other}/roster",
                f"/host/labs/{other}/roster.csv", f"/host/labs/{other}/roster.xlsx", f"/host/labs/{other}/placement"):
        assert client.get(url).status_code == 404, url
    token = csrf_of(client.get("/host").text)
    for url, data in ((f"/host/labs/{other}/confirm", {"capacity": "1"}),
                      (f"/host/labs/{other}/candidates", {f"rank-{world.cem.id}": "1"}),
                      (f"/host/labs/{other}/roster/{offer.id}/attendance", {"attended": "yes", "project_title": "X"}),
                      # an offer of another lab through one's own lab's address
                      (f"/host/labs/{world.embl.id}/roster/{offer.id}/attendance", {"attended": "yes", "project_title": "X"})):
        assert client.post(url, data=data | {"csrf_token": token}).status_code == 404, url
    assert fresh(db).get(Offer, offer.id).attended is None
    assert fresh(db).exec(select(LabRanking)).all() == []


# -- roster, news of students, attendance, certificates ---------------------------------------

def test_hosts_roster_shows_what_students_let_hosts_see_and_downloads(client, db, world, make):
    world.ada.dietary_needs, world.ada.dietary_for_hosts = "Vegetarian", True
    world.ada.arrival_on = date(2027, 7, 11)
    world.ada.working_languages = ["en", "ja"]
    world.ben.dietary_needs = "No nuts"  # not agreed
    db.add_all([world.ada, world.ben])
    db.commit()
    placed(db, make, world.ada, world.embl)
    placed(db, make, world.ben, world.embl)
    as_host(client, world.embl_host)
    page = client.get(f"/host/labs/{world.embl.id}/roster").text
    assert world.ada.display_name in page and world.ada.email in page and "Vegetarian" in page
    assert "No nuts" not in page and "Asthma" not in page and "X1234567" not in page
    csv_text = client.get(f"/host/labs/{world.embl.id}/roster.csv").content.decode("utf-8-sig")
    assert "Vegetarian" in csv_text and "2027-07-11" in csv_text and "No nuts" not in csv_text
    assert "X1234567" not in csv_text
    xlsx = client.get(f"/host/labs/{world.embl.id}/roster.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_hosts_are_told_when_a_student_accepts_and_withdraws(db, world, make):
    world.ada.status = "offered"
    db.add(world.ada)
    db.commit()
    offer = make.offer(db, world.ada, world.embl, status="pending")
    offers.respond(db, world.ada.id, offer.id, accept=True)
    [accepted] = outbox(db, "host_student_accepted")
    assert accepted.recipient == "emma@embl.example" and world.ada.display_name in accepted.body_text
    from ish_portal.nominations.models import NominationStatus
    from ish_portal.nominations.service import change_status
    from ish_portal.db import transaction
    with transaction(db):
        change_status(db, fresh(db).get(type(world.ada), world.ada.id), NominationStatus.WITHDRAWN,
                      Actor.of_user(world.organiser), reason="illness")
    [withdrew] = outbox(db, "host_student_withdrew")
    assert withdrew.recipient == "emma@embl.example"
    assert outbox(db, "host_student_accepted") == [accepted]


def test_hosts_attendance_gives_the_certificate_its_title_and_only_attended_get_one(client, db, world, make):
    world.edition.starts_on, world.edition.ends_on = date.today() - timedelta(days=30), date.today() - timedelta(days=1)
    db.add(world.edition)
    db.commit()
    ada_offer = placed(db, make, world.ada, world.embl)
    ben_offer = placed(db, make, world.ben, world.embl)
    as_host(client, world.embl_host)
    roster = f"/host/labs/{world.embl.id}/roster"
    missing = post_form(client, roster, f"{roster}/{ada_offer.id}/attendance", {"attended": "yes", "project_title": " "})
    assert missing.status_code == 400 and "Enter the title of the" in missing.text
    post_form(client, roster, f"{roster}/{ada_offer.id}/attendance", {"attended": "yes", "project_title": "Imaging mitosis"})
    post_form(client, roster, f"{roster}/{ben_offer.id}/attendance", {"attended": "no", "project_title": ""})
    db = fresh(db)
    assert (db.get(Offer, ada_offer.id).attended, db.get(Offer, ada_offer.id).project_title) == (True, "Imaging mitosis")
    ada = db.get(type(world.ada), world.ada.id)
    assert letter_data(db, ada, offers.accepted_offer(db, ada)).project_title == "Imaging mitosis"
    batch = create_certificate_batch(db, Actor.of_user(world.organiser), world.edition)
    rows = fresh(db).exec(select(OutboxMessage).where(OutboxMessage.batch == batch)).all()
    assert [r.nomination_id for r in rows] == [world.ada.id]


def test_hosts_certificates_wait_for_a_confirmed_attendance(db, world, make):
    world.edition.starts_on, world.edition.ends_on = date.today() - timedelta(days=30), date.today() - timedelta(days=1)
    db.add(world.edition)
    db.commit()
    placed(db, make, world.ada, world.embl)
    with pytest.raises(DomainError, match="certificates go only to students who took part"):
        create_certificate_batch(db, Actor.of_user(world.organiser), world.edition)


def test_hosts_attendance_opens_on_the_first_day(db, world, make):
    offer = placed(db, make, world.ada, world.embl)
    with pytest.raises(DomainError, match="from the programme's first day"):
        service.confirm_attendance(db, world.embl_host, world.embl.id, offer.id, True, "T", date(2027, 7, 11))


# -- statistics ----------------------------------------------------------------------------------

def test_hosts_and_organisers_see_the_runs_figures_as_charts(client, db, world, organiser):
    run = runs.create_run(db, world.organiser, world.edition.id, "stable", seed=1)
    page = as_host(client, world.mpia_host).get(f"/host/labs/{world.mpia.id}/placement").text
    assert page.count("<svg") >= 3 and "<title" in page and "<desc" in page and "<table" in page
    assert "Cem" in page and "full with students of higher priority" in page  # Cem is kept out of the full MPIA
    assert world.cem.family_name not in page
    client.cookies.clear()
    sign_in(client, organiser.email)
    preview = client.get(f"/organiser/matching/runs/{run.id}").text
    assert "Statistics of this run" in preview and preview.count("<svg") >= 4
    second = runs.create_run(db, world.organiser, world.edition.id, "welfare", seed=2)
    compare = client.get(f"/organiser/matching/compare?a={run.id}&b={second.id}").text
    assert "Statistics side by side" in compare and compare.count("<svg") >= 8


# -- the applicant's consent to what hosts see -------------------------------------------------

def test_hosts_the_applicant_chooses_what_hosts_see_on_the_profile(client, db, world):
    from datetime import timedelta as days
    from ish_portal.accounts.models import TokenPurpose
    from ish_portal.accounts.service import issue_token
    raw = issue_token(db, TokenPurpose.APPLICANT_ACCESS, world.ada.email, days(days=1), nomination_id=world.ada.id)
    db.commit()
    post_form(client, f"/access/{raw}", f"/access/{raw}", {})
    post_form(client, "/applicant/profile", "/applicant/profile", {
        "phone": "+81 96 123 4567", "working_languages": "en", "emergency_contact_name": "Mum",
        "emergency_contact_phone": "+81 96 765 4321", "nationality": "JP", "language": "en",
        "dietary_needs": "Vegan", "dietary_for_hosts": "yes", "cv_for_hosts": "yes", "arrival_on": "2027-07-11"})
    saved = fresh(db).get(type(world.ada), world.ada.id)
    assert (saved.dietary_for_hosts, saved.cv_for_hosts, saved.arrival_on) == (True, True, date(2027, 7, 11))
    post_form(client, "/applicant/profile", "/applicant/profile", {
        "phone": "+81 96 123 4567", "working_languages": "en", "emergency_contact_name": "Mum",
        "emergency_contact_phone": "+81 96 765 4321", "nationality": "JP", "language": "en"})
    saved = fresh(db).get(type(world.ada), world.ada.id)
    assert (saved.dietary_for_hosts, saved.cv_for_hosts, saved.arrival_on) == (False, False, None)
