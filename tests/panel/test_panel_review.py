"""The panel's review, through its pages and doors: who sees what (only their own assignments;
blind review hides the name, organisation and country; never medical or passport fields), the
deadline, assignment without conflicts, the combined score that the matching uses, overrides,
the organisers' management of the panel, the reminder before the deadline and retention."""

import re
from datetime import date, timedelta

import pytest
from sqlmodel import select

from ish_portal.accounts.models import PanelMember, Role, User
from ish_portal.applicants.service import strip_personal_data
from ish_portal.audit.models import AuditEvent
from ish_portal.db import transaction, utcnow
from ish_portal.nominations.models import Document, DocumentBlob
from ish_portal.notifications.models import OutboxMessage
from ish_portal.panel import service
from ish_portal.panel.models import PanelScore, Review, ReviewScore, ReviewSettings, RubricCriterion
from ish_portal.placement.runs import build_instance, student_key
from ish_portal.programme.forms import NewEdition
from ish_portal.programme.service import create_edition
from tests.conftest import fresh, post_form
from tests.factories import PASSWORD


def sign_in(client, email):
    response = post_form(client, "/login", "/login", {"email": email, "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response


def member_of(db, user, edition):
    return db.exec(select(PanelMember).where(PanelMember.user_id == user.id,
                                             PanelMember.edition_id == edition.id)).one()


@pytest.fixture
def panel(db, make):
    """An edition with a rubric (motivation counts twice), two organisations, three submitted
    nominations and two reviewers, one in conflict with Kumamoto."""
    edition = make.edition(db)
    kumamoto = make.organisation(db, name="City of Kumamoto", country="JP")
    bautzen = make.organisation(db, name="Stadt Bautzen", country="DE")
    organiser = make.organiser(db)
    rita = make.panel_member(db, edition, full_name="Rita Reviewer")
    rolf = make.panel_member(db, edition, full_name="Rolf Reviewer", conflicts=[kumamoto])
    haruto = make.nomination(db, edition, kumamoto, given_name="Haruto", family_name="Nakamura",
                             statement="I want to study crystal structures.", subjects=["biology"],
                             school_leaving_year=2027, medical_notes="asthma inhaler",
                             passport_number="TK1234567", passport_name="NAKAMURA HARUTO")
    jonas = make.nomination(db, edition, bautzen, given_name="Jonas", family_name="Müller",
                            statement="Lasers and optics.")
    lena = make.nomination(db, edition, bautzen, given_name="Lena", family_name="Schulz", statement="Stars.")
    motivation = RubricCriterion(edition_id=edition.id, position=1, name="Motivation", scale_max=5, weight=2.0)
    english = RubricCriterion(edition_id=edition.id, position=2, name="English", scale_max=5, weight=1.0)
    db.add_all([motivation, english, ReviewSettings(edition_id=edition.id, reviews_per_nomination=1,
                                                     blind_review=True)])
    db.commit()
    return {"edition": edition, "kumamoto": kumamoto, "bautzen": bautzen, "organiser": organiser,
            "rita": rita, "rolf": rolf, "haruto": haruto, "jonas": jonas, "lena": lena,
            "motivation": motivation, "english": english}


def assign(db, p, user, nomination):
    review = Review(panel_member_id=member_of(db, user, p["edition"]).id, nomination_id=nomination.id)
    db.add(review)
    db.commit()
    return review


def test_panel_reviewer_lists_only_their_own_nominations_and_others_answer_404(client, db, panel):
    p = panel
    assign(db, p, p["rita"], p["haruto"])
    assign(db, p, p["rolf"], p["jonas"])
    sign_in(client, p["rita"].email)
    listing = client.get("/panel/reviews")
    assert f"/panel/reviews/{p['haruto'].id}" in listing.text
    assert f"/panel/reviews/{p['jonas'].id}" not in listing.text
    assert client.get(f"/panel/reviews/{p['jonas'].id}").status_code == 404
    assert client.get(f"/panel/reviews/{p['lena'].id}").status_code == 404
    refused = post_form(client, f"/panel/reviews/{p['haruto'].id}", f"/panel/reviews/{p['jonas'].id}",
                        {f"c{p['motivation'].id}": "5", f"c{p['english'].id}": "5"})
    assert refused.status_code == 404
    assert fresh(db).exec(select(Review).where(Review.nomination_id == p["jonas"].id)).one().submitted_at is None


def test_panel_blind_review_hides_name_organisation_country_and_never_shows_sensitive_fields(client, db, panel):
    p = panel
    assign(db, p, p["rita"], p["haruto"])
    sign_in(client, p["rita"].email)
    html = client.get(f"/panel/reviews/{p['haruto'].id}").text
    assert "I want to study crystal structures." in html and "2027" in html
    for hidden in ("Haruto", "Nakamura", "Kumamoto", "JP", "asthma", "TK1234567", "NAKAMURA HARUTO"):
        assert hidden not in html, hidden
    assert "Haruto" not in client.get("/panel/reviews").text
    assert "Kumamoto" not in client.get("/panel/reviews").text


def test_panel_open_review_shows_the_name_but_no_sensitive_fields(client, db, panel):
    p = panel
    db.get(ReviewSettings, p["edition"].id).blind_review = False
    db.commit()
    assign(db, p, p["rita"], p["haruto"])
    sign_in(client, p["rita"].email)
    html = client.get(f"/panel/reviews/{p['haruto'].id}").text
    assert "Haruto" in html and "City of Kumamoto" in html
    assert "asthma" not in html and "TK1234567" not in html


def test_panel_document_downloads_only_through_an_assignment_and_blind_without_its_name(client, db, panel):
    p = panel
    assign(db, p, p["rita"], p["haruto"])
    document = Document(nomination_id=p["haruto"].id, kind="cv", original_filename="Haruto_Nakamura_CV.pdf",
                        content_type="application/pdf", size_bytes=8, sha256="0" * 64)
    other = Document(nomination_id=p["jonas"].id, kind="cv", original_filename="cv.pdf",
                     content_type="application/pdf", size_bytes=8, sha256="0" * 64)
    db.add_all([document, other])
    db.flush()
    db.add_all([DocumentBlob(document_id=document.id, data=b"%PDF-1.4"), DocumentBlob(document_id=other.id, data=b"%PDF-1.4")])
    db.commit()
    sign_in(client, p["rita"].email)
    page = client.get(f"/panel/reviews/{p['haruto'].id}").text
    assert "Haruto_Nakamura_CV.pdf" not in page
    response = client.get(f"/panel/reviews/{p['haruto'].id}/documents/{document.id}")
    assert response.status_code == 200 and response.content == b"%PDF-1.4"
    assert "Nakamura" not in response.headers["content-disposition"]
    assert client.get(f"/panel/reviews/{p['haruto'].id}/documents/{other.id}").status_code == 404
    assert client.get(f"/panel/reviews/{p['jonas'].id}/documents/{other.id}").status_code == 404
    # The documents' general address stays closed to the panel.
    assert client.get(f"/documents/{document.id}").status_code == 404


def test_panel_review_is_saved_and_its_weighted_score_becomes_the_review_score(client, db, panel):
    p = panel
    assign(db, p, p["rita"], p["haruto"])
    sign_in(client, p["rita"].email)
    response = post_form(client, f"/panel/reviews/{p['haruto'].id}", f"/panel/reviews/{p['haruto'].id}",
                         {f"c{p['motivation'].id}": "5", f"c{p['english'].id}": "2", "comment": "Keen."},
                         follow_redirects=False)
    assert response.status_code == 303
    fresh(db)
    # (2 * 5/5 + 1 * 2/5) / 3 = 0.8
    assert db.get(PanelScore, p["haruto"].id).combined == pytest.approx(80)
    assert db.refresh(p["haruto"]) is None and p["haruto"].review_score == 80
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "review_submitted")).one()
    # Opened again to change it, the form shows the scores given and the comment.
    again = client.get(f"/panel/reviews/{p['haruto'].id}")
    assert again.status_code == 200
    chosen = re.search(rf'name="c{p["motivation"].id}" value="(\d)"[^>]*checked', again.text)
    assert chosen and chosen.group(1) == "5" and "Keen." in again.text


def test_panel_review_form_names_each_missing_score(client, db, panel):
    p = panel
    assign(db, p, p["rita"], p["haruto"])
    sign_in(client, p["rita"].email)
    response = post_form(client, f"/panel/reviews/{p['haruto'].id}", f"/panel/reviews/{p['haruto'].id}",
                         {f"c{p['motivation'].id}": "9"})
    assert response.status_code == 400
    assert "Give Motivation a score from 1 to 5." in response.text
    assert "Give English a score from 1 to 5." in response.text


def test_panel_review_after_the_deadline_is_read_only(client, db, panel):
    p = panel
    review = assign(db, p, p["rita"], p["haruto"])
    db.add(ReviewScore(review_id=review.id, criterion_id=p["motivation"].id, score=3))
    db.get(ReviewSettings, p["edition"].id).review_deadline = utcnow() - timedelta(minutes=1)
    db.commit()
    sign_in(client, p["rita"].email)
    page = client.get(f"/panel/reviews/{p['haruto'].id}").text
    assert "The review deadline has passed" in page and 'name="comment"' not in page
    response = post_form(client, "/panel/reviews", f"/panel/reviews/{p['haruto'].id}",
                         {f"c{p['motivation'].id}": "5", f"c{p['english'].id}": "5"})
    assert response.status_code == 400 and "The review deadline has passed" in response.text
    assert fresh(db).exec(select(ReviewScore.score).where(ReviewScore.review_id == review.id)).one() == 3


def test_panel_assign_button_respects_conflicts_and_keeps_assignments(client, db, panel):
    p = panel
    kept = assign(db, p, p["rolf"], p["jonas"])
    sign_in(client, p["organiser"].email)
    post_form(client, "/organiser/panel", "/organiser/panel/assign", {})
    reviews = fresh(db).exec(select(Review)).all()
    rolf = member_of(db, p["rolf"], p["edition"]).id
    by_nomination = {}
    for review in reviews:
        by_nomination.setdefault(review.nomination_id, set()).add(review.panel_member_id)
    assert {n: len(m) for n, m in by_nomination.items()} == {p["haruto"].id: 1, p["jonas"].id: 1, p["lena"].id: 1}
    assert rolf not in by_nomination[p["haruto"].id]
    assert kept.id in {r.id for r in reviews}


def test_panel_reviewer_of_a_coordinators_organisation_counts_as_in_conflict(db, make, panel):
    p = panel
    colleague = make.panel_member(db, p["edition"], full_name="Colleague", organisation_id=p["bautzen"].id)
    with transaction(db):
        db.get(ReviewSettings, p["edition"].id).reviews_per_nomination = 3
    service.assign_all(db, p["organiser"], p["edition"])
    member = member_of(db, colleague, p["edition"]).id
    theirs = {r.nomination_id for r in db.exec(select(Review).where(Review.panel_member_id == member))}
    assert theirs == {p["haruto"].id}


def test_panel_organiser_adds_and_removes_a_reviewer_by_hand_but_never_a_conflicted_one(client, db, panel):
    p = panel
    sign_in(client, p["organiser"].email)
    page = f"/organiser/panel/nominations/{p['haruto'].id}"
    rolf = member_of(db, p["rolf"], p["edition"]).id
    refused = post_form(client, page, f"{page}/reviewers", {"member_id": str(rolf)})
    assert refused.status_code == 400 and "conflict of interest" in refused.text
    rita = member_of(db, p["rita"], p["edition"]).id
    assert post_form(client, page, f"{page}/reviewers", {"member_id": str(rita)}).status_code == 200
    review = fresh(db).exec(select(Review).where(Review.nomination_id == p["haruto"].id)).one()
    assert review.panel_member_id == rita
    post_form(client, page, f"{page}/reviewers/{review.id}/remove", {})
    assert fresh(db).exec(select(Review).where(Review.nomination_id == p["haruto"].id)).first() is None


def test_panel_a_submitted_review_is_removed_only_when_its_loss_is_confirmed(client, db, panel):
    p = panel
    review_id = assign(db, p, p["rita"], p["haruto"]).id
    service.save_review(db, p["rita"], p["haruto"].id,
                        {f"c{p['motivation'].id}": "1", f"c{p['english'].id}": "1"})
    sign_in(client, p["organiser"].email)
    page = f"/organiser/panel/nominations/{p['haruto'].id}"
    assert "Delete the scores and comment this reviewer submitted" in client.get(page).text
    refused = post_form(client, page, f"{page}/reviewers/{review_id}/remove", {}, follow_redirects=True)
    assert "tick the box to confirm that its scores and comment are deleted" in refused.text
    assert fresh(db).get(Review, review_id) is not None
    assert fresh(db).get(type(p["haruto"]), p["haruto"].id).review_score == 20
    post_form(client, page, f"{page}/reviewers/{review_id}/remove", {"confirm": "yes"})
    assert fresh(db).get(Review, review_id) is None


def test_panel_override_needs_a_reason_and_wins_over_the_panel(client, db, panel):
    p = panel
    review = assign(db, p, p["rita"], p["haruto"])
    service.save_review(db, p["rita"], p["haruto"].id,
                        {f"c{p['motivation'].id}": "1", f"c{p['english'].id}": "1"})
    assert fresh(db).get(type(p["haruto"]), p["haruto"].id).review_score == 20
    sign_in(client, p["organiser"].email)
    page = f"/organiser/panel/nominations/{p['haruto'].id}"
    refused = post_form(client, page, f"{page}/override", {"override": "95", "reason": ""})
    assert refused.status_code == 400 and "Give the reason" in refused.text
    post_form(client, page, f"{page}/override", {"override": "95", "reason": "Olympiad gold medal"})
    nomination = fresh(db).get(type(p["haruto"]), p["haruto"].id)
    assert nomination.review_score == 95
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "panel_score_overridden")).one()
    assert event.reason == "Olympiad gold medal"
    # A later review leaves the override standing; removing the override brings the panel's back.
    service.save_review(db, p["rita"], p["haruto"].id, {f"c{p['motivation'].id}": "5", f"c{p['english'].id}": "5"})
    assert fresh(db).get(type(p["haruto"]), p["haruto"].id).review_score == 95
    post_form(client, page, f"{page}/override", {"override": "", "reason": ""})
    assert fresh(db).get(type(p["haruto"]), p["haruto"].id).review_score == 100
    assert review.id


def test_panel_review_list_shows_reviews_spread_and_disagreement(client, db, make, panel):
    p = panel
    ruth = make.panel_member(db, p["edition"], full_name="Ruth Reviewer")
    assign(db, p, p["rita"], p["jonas"])
    assign(db, p, ruth, p["jonas"])
    service.save_review(db, p["rita"], p["jonas"].id, {f"c{p['motivation'].id}": "5", f"c{p['english'].id}": "5"})
    service.save_review(db, ruth, p["jonas"].id, {f"c{p['motivation'].id}": "1", f"c{p['english'].id}": "1"})
    sign_in(client, p["organiser"].email)
    html = client.get("/organiser/nominations").text
    assert "2 of 2 reviews" in html and "± 80" in html and "disagreement" in html
    detail = client.get(f"/organiser/panel/nominations/{p['jonas'].id}").text
    assert "The reviewers disagree strongly." in detail and "Rita Reviewer" in detail


def test_panel_combined_score_is_the_matchings_priority(db, panel):
    p = panel
    with transaction(db):
        for nomination in (p["jonas"], p["lena"]):
            nomination.status = "approved"
            db.add(nomination)
    assign(db, p, p["rita"], p["jonas"])
    assign(db, p, p["rita"], p["lena"])
    service.save_review(db, p["rita"], p["jonas"].id, {f"c{p['motivation'].id}": "2", f"c{p['english'].id}": "2"})
    service.save_review(db, p["rita"], p["lena"].id, {f"c{p['motivation'].id}": "5", f"c{p['english'].id}": "4"})
    priority = build_instance(fresh(db), p["edition"])["priority"]
    assert priority == [student_key(p["lena"].id), student_key(p["jonas"].id)]


def test_panel_organiser_invites_a_new_reviewer_who_sets_a_password_and_lands_on_the_panel(client, db, panel, deliver, smtp):
    p = panel
    sign_in(client, p["organiser"].email)
    response = post_form(client, "/organiser/panel", "/organiser/panel",
                         {"full_name": "Petra Physicist", "email": "petra@mpik.example", "reviews": "yes"},
                         follow_redirects=False)
    assert response.status_code == 303
    deliver()
    [message] = smtp.to("petra@mpik.example")
    text = smtp.text_of(message)
    assert "review nominations" in text
    link = next(word for word in text.split() if "/invitation/" in word)
    path = link.split("testserver", 1)[-1] if "testserver" in link else "/invitation/" + link.rsplit("/", 1)[1]
    client.cookies.clear()
    if True:
        accepted = post_form(client, path, path, {"password": "a long new password",
                                              "password_again": "a long new password"}, follow_redirects=False)
    assert accepted.headers["location"] == "/panel"
    user = fresh(db).exec(select(User).where(User.email == "petra@mpik.example")).one()
    assert user.role == Role.PANEL and member_of(db, user, p["edition"]).reviews


def test_panel_invitation_refuses_a_coordinators_address_and_no_duty(client, db, make, panel):
    p = panel
    coordinator = make.coordinator(db, p["kumamoto"])
    sign_in(client, p["organiser"].email)
    refused = post_form(client, "/organiser/panel", "/organiser/panel",
                        {"full_name": "K", "email": coordinator.email, "reviews": "yes"})
    assert refused.status_code == 400 and "already belongs to another account" in refused.text
    none = post_form(client, "/organiser/panel", "/organiser/panel", {"full_name": "N", "email": "n@example.org"})
    assert none.status_code == 400 and "review, interview or both" in none.text


def test_panel_organiser_sees_progress_declares_conflicts_and_removes_after_confirming(client, db, panel):
    p = panel
    assign(db, p, p["rita"], p["haruto"])
    assign(db, p, p["rita"], p["jonas"])
    service.save_review(db, p["rita"], p["jonas"].id, {f"c{p['motivation'].id}": "3", f"c{p['english'].id}": "3"})
    sign_in(client, p["organiser"].email)
    assert "1 of 2" in client.get("/organiser/panel").text
    rita = member_of(db, p["rita"], p["edition"]).id
    post_form(client, "/organiser/panel", f"/organiser/panel/members/{rita}/conflicts",
              {"organisation_id": str(p["kumamoto"].id)})
    left = {r.nomination_id for r in fresh(db).exec(select(Review).where(Review.panel_member_id == rita))}
    assert left == {p["jonas"].id}
    confirm = client.get(f"/organiser/panel/members/{rita}/remove")
    assert "Remove Rita Reviewer" in confirm.text
    post_form(client, f"/organiser/panel/members/{rita}/remove", f"/organiser/panel/members/{rita}/remove", {})
    assert fresh(db).get(PanelMember, rita) is None
    assert db.exec(select(Review).where(Review.panel_member_id == rita)).first() is None
    assert db.get(type(p["jonas"]), p["jonas"].id).review_score is None


def test_panel_organiser_edits_rubric_and_settings_with_errors_named(client, db, panel):
    p = panel
    sign_in(client, p["organiser"].email)
    refused = post_form(client, "/organiser/panel/rubric", "/organiser/panel/criteria",
                        {"name": "", "scale_max": "50", "weight": "1"})
    assert refused.status_code == 400 and "Criterion" in refused.text
    post_form(client, "/organiser/panel/rubric", "/organiser/panel/criteria",
              {"name": "Teamwork", "description": "Works with others", "scale_max": "4", "weight": "0.5"})
    assert fresh(db).exec(select(RubricCriterion).where(RubricCriterion.name == "Teamwork")).one().scale_max == 4
    post_form(client, "/organiser/panel/rubric", "/organiser/panel/settings",
              {"reviews_per_nomination": "3", "review_deadline": "2027-04-10T23:59", "blind_review": "1"})
    settings = fresh(db).get(ReviewSettings, p["edition"].id)
    assert settings.reviews_per_nomination == 3 and settings.blind_review and not settings.standardise
    assert settings.review_deadline.isoformat().startswith("2027-04-10T21:59")


def test_panel_rubric_and_settings_are_copied_to_the_next_edition(db, panel):
    p = panel
    with transaction(db):
        p["edition"].year = 2040  # the newest edition, the one a new edition copies
        db.add(p["edition"])
    year = 2041
    edition = create_edition(db, p["organiser"], NewEdition(
        year=year, title="ISH next", starts_on=date(year, 7, 12), ends_on=date(year, 8, 7),
        nomination_opens_at=f"{year - 1}-10-01T00:00", nomination_closes_at=f"{year}-03-15T23:59",
        copy_from_last=True))
    assert [(c.name, c.weight) for c in service.criteria(db, edition.id)] == [("Motivation", 2.0), ("English", 1.0)]
    assert db.get(ReviewSettings, edition.id).reviews_per_nomination == 1


def test_panel_reminder_goes_once_to_reviewers_with_open_reviews(db, panel, deliver, smtp):
    p = panel
    assign(db, p, p["rita"], p["haruto"])
    assign(db, p, p["rolf"], p["jonas"])
    service.save_review(db, p["rolf"], p["jonas"].id, {f"c{p['motivation'].id}": "3", f"c{p['english'].id}": "3"})
    with transaction(db):
        db.get(ReviewSettings, p["edition"].id).review_deadline = utcnow() + timedelta(days=10)
    assert service.send_review_reminders(db, "http://testserver") == 0
    with transaction(db):
        db.get(ReviewSettings, p["edition"].id).review_deadline = utcnow() + timedelta(days=2)
    assert service.send_review_reminders(db, "http://testserver") == 1
    assert service.send_review_reminders(db, "http://testserver") == 0
    [message] = fresh(db).exec(select(OutboxMessage).where(OutboxMessage.kind == "review_reminder")).all()
    assert message.recipient == p["rita"].email


def test_panel_reviews_of_an_erased_nomination_are_deleted(db, panel):
    p = panel
    assign(db, p, p["rita"], p["haruto"])
    service.save_review(db, p["rita"], p["haruto"].id,
                        {f"c{p['motivation'].id}": "3", f"c{p['english'].id}": "3", "comment": "Mentions his sister"})
    with transaction(db):
        strip_personal_data(db, db.get(type(p["haruto"]), p["haruto"].id))
    assert fresh(db).exec(select(Review).where(Review.nomination_id == p["haruto"].id)).first() is None
    assert db.exec(select(ReviewScore)).first() is None


def test_panel_retention_of_review_comments_empties_them(db, panel):
    from ish_portal.retention.service import _purge
    p = panel
    assign(db, p, p["rita"], p["haruto"])
    service.save_review(db, p["rita"], p["haruto"].id,
                        {f"c{p['motivation'].id}": "3", f"c{p['english'].id}": "3", "comment": "Mentions his sister"})
    with transaction(db):
        _purge(db, db.get(type(p["haruto"]), p["haruto"].id), "review")
    review = fresh(db).exec(select(Review).where(Review.nomination_id == p["haruto"].id)).one()
    assert review.comment == "" and review.submitted_at is not None


def test_panel_standardised_scores_count_a_strict_and_a_lenient_reviewer_alike(db, make, panel):
    p = panel
    with transaction(db):
        settings = db.get(ReviewSettings, p["edition"].id)
        settings.standardise = True
    strict, lenient = p["rita"], make.panel_member(db, p["edition"], full_name="Lena Lenient")
    harsh = {"haruto": ("2", "2"), "jonas": ("1", "1")}
    for name, (m, e) in harsh.items():
        assign(db, p, strict, p[name])
        service.save_review(db, strict, p[name].id, {f"c{p['motivation'].id}": m, f"c{p['english'].id}": e})
    assign(db, p, lenient, p["lena"])
    assign(db, p, lenient, p["jonas"])
    service.save_review(db, lenient, p["lena"].id, {f"c{p['motivation'].id}": "5", f"c{p['english'].id}": "5"})
    service.save_review(db, lenient, p["jonas"].id, {f"c{p['motivation'].id}": "4", f"c{p['english'].id}": "4"})
    fresh(db)
    score = {name: db.get(PanelScore, p[name].id).combined for name in ("haruto", "jonas", "lena")}
    # Each reviewer's better nomination scores alike, though the strict one gave 2 and the lenient 5.
    assert score["haruto"] == pytest.approx(score["lena"])
    assert score["jonas"] < score["haruto"]


def test_panel_reminder_is_sent_by_the_workers_housekeeping(app, settings, db, panel):
    from ish_portal.worker import Worker
    p = panel
    assign(db, p, p["rita"], p["haruto"])
    with transaction(db):
        db.get(ReviewSettings, p["edition"].id).review_deadline = utcnow() + timedelta(days=1)
    Worker(app.state.engine, settings).housekeeping()
    sent = fresh(db).exec(select(OutboxMessage).where(OutboxMessage.kind == "review_reminder")).all()
    assert [m.recipient for m in sent] == [p["rita"].email]
