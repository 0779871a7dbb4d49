"""Organisers set the nomination rules and the places of each sending organisation."""

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from ish_portal.audit.models import AuditEvent
from ish_portal.programme.models import Edition, Organisation, PlaceTransfer, Quota
from tests.conftest import fresh, post_form
from tests.factories import PASSWORD


@pytest.fixture
def organiser_client(client, db, make):
    organiser = make.organiser(db, email="olga@ish.example")
    post_form(client, "/login", "/login", {"email": organiser.email, "password": PASSWORD})
    return client


SETTINGS = {"title": "ISH 2027", "starts_on": "2027-07-12", "ends_on": "2027-08-07",
            "nomination_opens_at": "2026-10-01T00:00", "nomination_closes_at": "2027-03-15T23:59",
            "min_age": "16", "max_age": "21", "guardian_consent_below_age": "18", "upload_limit_mb": "4",
            "required_documents": ["cv", "school_report"], "max_preferences": "5",
            "offer_response_days": "7", "reminder_days_before": "2"}


def test_rules_window_is_typed_in_heidelberg_time_and_stored_in_utc(organiser_client, db, make):
    edition = make.edition(db)
    response = post_form(organiser_client, "/organiser/edition", "/organiser/edition",
                         {**SETTINGS, "auto_promote_waitlist": "yes"}, follow_redirects=False)
    assert response.status_code == 303
    stored = fresh(db).get(Edition, edition.id)
    assert stored.nomination_opens_at == datetime(2026, 9, 30, 22, 0, tzinfo=UTC)   # CEST
    assert stored.nomination_closes_at == datetime(2027, 3, 15, 22, 59, tzinfo=UTC)  # CET
    assert (stored.upload_limit_mb, stored.required_documents) == (4, ["cv", "school_report"])
    assert (stored.offer_response_days, stored.auto_promote_waitlist) == (7, True)
    page = organiser_client.get("/organiser/edition").text
    assert 'value="2027-03-15T23:59"' in page


def test_rules_close_before_open_is_refused(organiser_client, db, make):
    make.edition(db)
    response = post_form(organiser_client, "/organiser/edition", "/organiser/edition", {
        **SETTINGS, "nomination_opens_at": "2027-03-15T23:59", "nomination_closes_at": "2027-03-01T00:00"})
    assert response.status_code == 400
    assert "The nominations must close after they open." in response.text
    assert 'value="2027-03-15T23:59"' in response.text


def test_rules_a_reminder_before_the_offer_itself_is_refused(organiser_client, db, make):
    make.edition(db)
    response = post_form(organiser_client, "/organiser/edition", "/organiser/edition", {
        **SETTINGS, "offer_response_days": "3", "reminder_days_before": "5"})
    assert response.status_code == 400
    assert "The reminder must come fewer days before the deadline than the 3 days to answer." in response.text


def test_places_can_be_set_and_an_organisation_made_dormant(organiser_client, db, make):
    edition = make.edition(db)
    simferopol = make.organisation(db, name="Simferopol")
    quota = make.quota(db, edition, simferopol, places=2)
    post_form(organiser_client, "/organiser/places", f"/organiser/places/{simferopol.id}",
              {"places": "2", "dormant": "yes", "deadline_extended_to": "", "reason": "No candidates this year"})
    stored = fresh(db).get(Quota, quota.id)
    assert (stored.places, stored.dormant) == (0, True)
    assert "dormant" in organiser_client.get("/organiser/places").text


def test_places_cannot_drop_below_those_in_use(organiser_client, db, make):
    edition = make.edition(db)
    kumamoto = make.organisation(db, name="Kumamoto")
    make.quota(db, edition, kumamoto, places=2)
    make.nomination(db, edition, kumamoto, status="submitted")
    make.nomination(db, edition, kumamoto, status="approved")
    response = post_form(organiser_client, "/organiser/places", f"/organiser/places/{kumamoto.id}",
                         {"places": "1", "deadline_extended_to": ""})
    assert response.status_code == 400
    assert "Kumamoto already uses 2 places" in response.text


def test_deadline_extension_for_one_organisation(organiser_client, db, make):
    edition = make.edition(db)
    mostar = make.organisation(db, name="Mostar")
    quota = make.quota(db, edition, mostar, places=1)
    post_form(organiser_client, "/organiser/places", f"/organiser/places/{mostar.id}",
              {"places": "1", "deadline_extended_to": "2027-03-22T12:00", "reason": "Their post was on strike"})
    assert fresh(db).get(Quota, quota.id).deadline_extended_to == datetime(2027, 3, 22, 11, 0, tzinfo=UTC)
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "places_changed")).one()
    assert event.changes == {"deadline_extended_to": [None, "2027-03-22T11:00:00+00:00"]}


def test_a_place_moves_to_another_organisation_with_its_reason(organiser_client, db, make):
    edition = make.edition(db)
    bautzen = make.organisation(db, name="Bautzen")
    jablonec = make.organisation(db, name="Jablonec")
    make.quota(db, edition, bautzen, places=3)
    response = post_form(organiser_client, "/organiser/places", "/organiser/places/transfer", {
        "from_organisation_id": str(bautzen.id), "to_organisation_id": str(jablonec.id), "places": "1",
        "reason": "Bautzen passes one of its places to its partner Jablonec"}, follow_redirects=False)
    assert response.status_code == 303
    fresh(db)
    places = {q.organisation_id: q.places for q in db.exec(select(Quota)).all()}
    assert places == {bautzen.id: 2, jablonec.id: 1}
    transfer = db.exec(select(PlaceTransfer)).one()
    assert (transfer.places, transfer.reason) == (1, "Bautzen passes one of its places to its partner Jablonec")
    assert "1 place from <bdi>Bautzen</bdi> to <bdi>Jablonec</bdi>" in organiser_client.get("/organiser/places").text


def test_only_free_places_can_move(organiser_client, db, make):
    edition = make.edition(db)
    bautzen, jablonec = make.organisation(db, name="Bautzen"), make.organisation(db, name="Jablonec")
    make.quota(db, edition, bautzen, places=1)
    make.nomination(db, edition, bautzen, status="submitted")
    response = post_form(organiser_client, "/organiser/places", "/organiser/places/transfer", {
        "from_organisation_id": str(bautzen.id), "to_organisation_id": str(jablonec.id), "places": "1",
        "reason": "x"})
    assert response.status_code == 400
    assert "Bautzen has only 0 free places to pass on." in response.text


# -- reasons and sanity for changes of places (issue 10, point 6) ---------------------------------

def _row(organiser_client, organisation, follow_redirects=True, **data):
    return post_form(organiser_client, "/organiser/places", f"/organiser/places/{organisation.id}",
                     {"places": "2", "deadline_extended_to": "", "reason": "", **data},
                     follow_redirects=follow_redirects)


def test_a_change_of_places_needs_a_reason_naming_the_field(organiser_client, db, make):
    edition = make.edition(db)
    mostar = make.organisation(db, name="Mostar")
    quota = make.quota(db, edition, mostar, places=2)
    for change in ({"places": "3"}, {"dormant": "yes"}, {"deadline_extended_to": "2027-06-01T12:00"}):
        response = _row(organiser_client, mostar, **change)
        assert response.status_code == 400, change
        assert "Enter a reason for changing the places of Mostar." in response.text
        stored = fresh(db).get(Quota, quota.id)
        assert (stored.places, stored.dormant, stored.deadline_extended_to) == (2, False, None)
    assert db.exec(select(AuditEvent)).all() == []


def test_saving_a_row_with_nothing_changed_needs_no_reason_and_records_nothing(organiser_client, db, make):
    edition = make.edition(db)
    mostar = make.organisation(db, name="Mostar")
    make.quota(db, edition, mostar, places=2)
    response = _row(organiser_client, mostar, follow_redirects=False)
    assert response.status_code == 303
    assert "Nothing changed for Mostar." in organiser_client.get("/organiser/places").text
    assert fresh(db).exec(select(AuditEvent)).all() == []


def test_the_reason_of_a_change_of_places_is_recorded_and_shown_with_the_organisation(organiser_client, db, make):
    edition = make.edition(db)
    mostar = make.organisation(db, name="Mostar")
    make.quota(db, edition, mostar, places=2)
    response = _row(organiser_client, mostar, places="2", dormant="yes",
                    reason="Mostar sends nobody this year", follow_redirects=False)
    assert response.status_code == 303
    event = fresh(db).exec(select(AuditEvent).where(AuditEvent.action == "places_changed")).one()
    assert (event.reason, event.organisation_id) == ("Mostar sends nobody this year", mostar.id)
    assert event.changes == {"places": [2, 0], "dormant": [False, True]}
    log = organiser_client.get("/organiser/audit").text
    assert "Places of Mostar" in log
    assert "Reason: <bdi>Mostar sends nobody this year</bdi>" in log


def test_an_extension_must_end_after_the_general_deadline(organiser_client, db, make):
    edition = make.edition(db, nomination_closes_at=datetime(2027, 3, 15, 22, 59, tzinfo=UTC))
    mostar = make.organisation(db, name="Mostar")
    quota = make.quota(db, edition, mostar, places=2)
    for typed in ("2027-03-01T12:00", "2027-03-15T23:59"):
        response = _row(organiser_client, mostar, places="3", deadline_extended_to=typed, reason="Late post")
        assert response.status_code == 400
        assert "An extension must end after the general deadline, 15 March 2027, 23:59 CET." in response.text
        assert f'value="{typed}"' in response.text
        assert 'value="Late post"' in response.text
        assert 'value="3"' in response.text
        assert fresh(db).get(Quota, quota.id).deadline_extended_to is None
    response = _row(organiser_client, mostar, deadline_extended_to="2027-03-16T00:00", reason="Late post",
                    follow_redirects=False)
    assert response.status_code == 303
    assert fresh(db).get(Quota, quota.id).deadline_extended_to == datetime(2027, 3, 15, 23, 0, tzinfo=UTC)


def test_a_wrongly_typed_extension_is_refused_on_its_field_not_with_an_error_page(organiser_client, db, make):
    edition = make.edition(db)
    mostar = make.organisation(db, name="Mostar")
    make.quota(db, edition, mostar, places=2)
    response = _row(organiser_client, mostar, deadline_extended_to="next week", reason="x")
    assert response.status_code == 400
    assert "Enter a date and time like 2027-03-15 23:59." in response.text
    assert 'value="next week"' in response.text


def test_a_transfer_names_both_organisations_in_the_audit_log(organiser_client, db, make):
    edition = make.edition(db)
    bautzen, jablonec = make.organisation(db, name="Bautzen"), make.organisation(db, name="Jablonec")
    make.quota(db, edition, bautzen, places=3)
    post_form(organiser_client, "/organiser/places", "/organiser/places/transfer", {
        "from_organisation_id": str(bautzen.id), "to_organisation_id": str(jablonec.id), "places": "1",
        "reason": "Partner city"})
    log = organiser_client.get("/organiser/audit").text
    assert log.count("from Bautzen to Jablonec") == 2
    assert "Reason: <bdi>Partner city</bdi>" in log
    assert f"from: {bautzen.id}" not in log and f"to: {jablonec.id}" not in log


def test_a_row_of_an_unknown_organisation_is_not_found(organiser_client, db, make):
    make.edition(db)
    response = post_form(organiser_client, "/organiser/places", "/organiser/places/999999",
                         {"places": "1", "reason": "x"})
    assert response.status_code == 404


def test_an_organiser_adds_a_sending_organisation_with_its_places(organiser_client, db, make):
    edition = make.edition(db)
    make.organisation(db, name="Jelenia Góra", slug="jelenia-gora")
    page = organiser_client.get("/organiser/places").text
    assert "Add a sending organisation" in page
    refused = post_form(organiser_client, "/organiser/places", "/organiser/organisations",
                        {"name": " ", "country": "XX", "time_zone": "Mars/Olympus", "places": "-1"})
    assert refused.status_code == 400
    for message in ("This field is required.", "Choose a country from the list.", "Choose a time zone from the list."):
        assert message in refused.text
    twice = post_form(organiser_client, "/organiser/places", "/organiser/organisations",
                      {"name": "jelenia góra", "country": "PL", "places": "1"})
    assert twice.status_code == 400 and "There is already an organisation called jelenia góra." in twice.text
    assert 'value="jelenia góra"' in twice.text  # what was typed stays

    added = post_form(organiser_client, "/organiser/places", "/organiser/organisations",
                      {"name": "Jelenia Góra Science Club", "country": "pl", "time_zone": "", "places": "2"},
                      follow_redirects=True)
    assert "Jelenia Góra Science Club is added with 2 places." in added.text
    organisation = fresh(db).exec(select(Organisation).where(Organisation.name == "Jelenia Góra Science Club")).one()
    assert (organisation.slug, organisation.country, organisation.time_zone) == (
        "jelenia-gora-science-club", "PL", "Europe/Warsaw")
    quota = db.exec(select(Quota).where(Quota.organisation_id == organisation.id)).one()
    assert (quota.edition_id, quota.places) == (edition.id, 2)
    assert db.exec(select(AuditEvent.action).where(AuditEvent.entity == "organisation")).all() == ["organisation_added"]
    # Its coordinators can be invited at once.
    assert "Jelenia Góra Science Club" in organiser_client.get("/organiser/coordinators").text
