"""Organisers keep the edition's host labs: list, add, edit, retire and reinstate."""

import pytest
from sqlmodel import select

from ish_portal.audit.models import AuditEvent
from ish_portal.labs.models import Lab
from ish_portal.labs.service import active_labs
from tests.conftest import fresh, post_form
from tests.factories import PASSWORD

GOOD = {"institute": "Max Planck Institute for Nuclear Physics", "group_name": "Neutrino physics",
        "tutor_name": "Jürgen Weiß", "tutor_email": "J.Weiss@mpi-hd.example", "subject_area": "Physics",
        "description": "Detector calibration.", "capacity": "2", "min_age": "16",
        "languages": ["de", "en"], "organisation_cap": "1"}


def events(db, action):
    return fresh(db).exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def test_labs_list_is_empty_at_first(organiser_client, edition):
    page = organiser_client.get("/organiser/labs").text
    assert "No labs yet for this edition." in page


def test_labs_list_shows_active_labs_with_seats_and_retired_apart(organiser_client, db, make, edition):
    make.lab(db, edition, institute="DKFZ", group_name="Tumour immunology", capacity=3, languages=["en", "de"])
    make.lab(db, edition, institute="EMBL", group_name="Cell biology", capacity=2, organisation_cap=7)
    make.lab(db, edition, institute="HITS", group_name="Old group", capacity=4, retired=True)
    make.lab(db, make.edition(db, year=2030), institute="MPIA", group_name="Other year", capacity=9)
    page = organiser_client.get("/organiser/labs").text
    assert "2 labs offered to applicants" in page
    assert "5 seats in all" in page
    assert "Tumour immunology" in page and "Cell biology" in page
    assert "German" in page
    active, retired = page.split("Retired labs")
    assert "Old group" in retired and "Old group" not in active
    assert "Other year" not in page


def test_lab_created_with_every_field_and_audited(organiser_client, db, edition, organiser):
    response = post_form(organiser_client, "/organiser/labs/new", "/organiser/labs/new", GOOD,
                         follow_redirects=False)
    assert response.status_code == 303
    lab = fresh(db).exec(select(Lab)).one()
    assert response.headers["location"] == f"/organiser/labs/{lab.id}"
    assert (lab.edition_id, lab.institute, lab.group_name, lab.tutor_name, lab.tutor_email) == (
        edition.id, "Max Planck Institute for Nuclear Physics", "Neutrino physics", "Jürgen Weiß",
        "j.weiss@mpi-hd.example")
    assert (lab.capacity, lab.min_age, lab.languages, lab.organisation_cap, lab.retired) == (
        2, 16, ["en", "de"], 1, False)
    [event] = events(db, "lab_created")
    assert (event.entity, event.entity_id, event.edition_id, event.actor_id) == ("lab", lab.id, edition.id, organiser.id)
    assert event.changes["capacity"] == [None, 2]
    assert event.changes["languages"] == [None, ["en", "de"]]


def test_lab_form_errors_are_shown_beside_fields_and_values_kept(organiser_client, db, edition):
    bad = GOOD | {"capacity": "2.5", "min_age": "9", "tutor_email": "weiss-at-mpi", "organisation_cap": "0",
                  "group_name": "x" * 201, "languages": []}
    response = post_form(organiser_client, "/organiser/labs/new", "/organiser/labs/new", bad)
    assert response.status_code == 400
    page = response.text
    assert '<p class="error" id="e-capacity">Enter a whole number.</p>' in page
    assert '<p class="error" id="e-min_age">Enter a number of at least 10.</p>' in page
    assert '<p class="error" id="e-tutor_email">Enter an email address like name@example.org.</p>' in page
    assert '<p class="error" id="e-organisation_cap">Enter a number of at least 1.</p>' in page
    assert '<p class="error" id="e-group_name">Use at most 200 characters.</p>' in page
    assert "Choose at least one language the lab works in." in page
    assert 'value="2.5"' in page and 'value="weiss-at-mpi"' in page and 'value="Jürgen Weiß"' in page
    assert fresh(db).exec(select(Lab)).all() == []


@pytest.mark.parametrize(("field", "value", "message"), [
    ("capacity", "51", "Enter a number of at most 50."),
    ("capacity", "-1", "Enter a number of at least 0."),
    ("capacity", "", "This field is required."),
    ("min_age", "100", "Enter a number of at most 99."),
    ("institute", "  ", "This field is required."),
    ("languages", ["en", "tlh"], "Choose languages from the list (not known: tlh)."),
])
def test_lab_form_refuses_out_of_range_values(organiser_client, edition, field, value, message):
    response = post_form(organiser_client, "/organiser/labs/new", "/organiser/labs/new", GOOD | {field: value})
    assert response.status_code == 400
    assert message in response.text


def test_lab_form_empty_min_age_and_cap_mean_none(organiser_client, db, edition):
    post_form(organiser_client, "/organiser/labs/new", "/organiser/labs/new",
              GOOD | {"min_age": "", "organisation_cap": "", "capacity": "0"})
    lab = fresh(db).exec(select(Lab)).one()
    assert (lab.min_age, lab.organisation_cap, lab.capacity) == (None, None, 0)
    assert "no cap" in organiser_client.get("/organiser/labs").text


def test_lab_same_institute_and_group_twice_is_refused(organiser_client, db, make, edition):
    make.lab(db, edition, institute="Max Planck Institute for Nuclear Physics", group_name="Neutrino Physics")
    response = post_form(organiser_client, "/organiser/labs/new", "/organiser/labs/new", GOOD)
    assert response.status_code == 400
    assert ("Max Planck Institute for Nuclear Physics already has a lab of the group Neutrino Physics "
            "in this edition.") in response.text
    assert len(fresh(db).exec(select(Lab)).all()) == 1


def test_lab_edit_records_from_and_to(organiser_client, db, make, edition):
    lab = make.lab(db, edition, institute="EMBL", group_name="Cell biology", subject_area="Biology",
                   capacity=2, languages=["en"])
    page = organiser_client.get(f"/organiser/labs/{lab.id}/edit").text
    assert 'value="Cell biology"' in page
    response = post_form(organiser_client, f"/organiser/labs/{lab.id}/edit", f"/organiser/labs/{lab.id}/edit", {
        "institute": "EMBL", "group_name": "Cell biology", "subject_area": "Biology", "capacity": "3",
        "min_age": "", "languages": ["en", "fr"], "organisation_cap": "2"}, follow_redirects=False)
    assert response.status_code == 303
    stored = fresh(db).get(Lab, lab.id)
    assert (stored.capacity, stored.languages, stored.organisation_cap) == (3, ["en", "fr"], 2)
    [event] = events(db, "lab_changed")
    assert event.changes == {"capacity": [2, 3], "languages": [["en"], ["en", "fr"]], "organisation_cap": [1, 2]}
    assert (event.entity, event.entity_id, event.edition_id) == ("lab", lab.id, edition.id)


def test_lab_edit_with_errors_keeps_the_lab_unchanged(organiser_client, db, make, edition):
    lab = make.lab(db, edition, capacity=2)
    response = post_form(organiser_client, f"/organiser/labs/{lab.id}/edit", f"/organiser/labs/{lab.id}/edit",
                         GOOD | {"capacity": "many"})
    assert response.status_code == 400
    assert 'value="many"' in response.text
    assert fresh(db).get(Lab, lab.id).capacity == 2
    assert events(db, "lab_changed") == []


def test_lab_edit_without_changes_records_nothing(organiser_client, db, make, edition):
    lab = make.lab(db, edition, institute="EMBL", group_name="G", subject_area="Biology", capacity=2,
                   languages=["en"], organisation_cap=1)
    post_form(organiser_client, f"/organiser/labs/{lab.id}/edit", f"/organiser/labs/{lab.id}/edit", {
        "institute": "EMBL", "group_name": "G", "subject_area": "Biology", "capacity": "2", "min_age": "",
        "languages": "en", "organisation_cap": "1"})
    assert events(db, "lab_changed") == []


def test_lab_retire_asks_first_then_hides_it_from_applicants(organiser_client, db, make, edition):
    lab = make.lab(db, edition, group_name="Neutrino physics")
    page = organiser_client.get(f"/organiser/labs/{lab.id}/retire").text
    assert "Retire <bdi>Neutrino physics, EMBL</bdi>?" in page
    assert fresh(db).get(Lab, lab.id).retired is False
    response = post_form(organiser_client, f"/organiser/labs/{lab.id}/retire", f"/organiser/labs/{lab.id}/retire",
                         {}, follow_redirects=False)
    assert response.status_code == 303
    assert fresh(db).get(Lab, lab.id).retired is True
    assert active_labs(db, edition.id) == []
    [event] = events(db, "lab_retired")
    assert (event.from_state, event.to_state, event.entity_id, event.edition_id) == ("active", "retired", lab.id, edition.id)


def test_lab_reinstate_offers_it_again(organiser_client, db, make, edition):
    lab = make.lab(db, edition, retired=True)
    assert "Reinstate" in organiser_client.get(f"/organiser/labs/{lab.id}/reinstate").text
    post_form(organiser_client, f"/organiser/labs/{lab.id}/reinstate", f"/organiser/labs/{lab.id}/reinstate", {})
    assert [found.id for found in active_labs(fresh(db), edition.id)] == [lab.id]
    [event] = events(db, "lab_reinstated")
    assert (event.from_state, event.to_state) == ("retired", "active")


def test_lab_of_another_edition_is_not_found(organiser_client, db, make, edition):
    old = make.lab(db, make.edition(db, year=2029))
    assert organiser_client.get(f"/organiser/labs/{old.id}").status_code == 404
    assert organiser_client.get(f"/organiser/labs/{old.id}/edit").status_code == 404


@pytest.mark.parametrize("path", ["/organiser/labs", "/organiser/labs/new", "/organiser/labs/export.csv",
                                  "/organiser/labs/import", "/organiser/labs/{id}", "/organiser/labs/{id}/edit",
                                  "/organiser/labs/{id}/retire"])
def test_labs_pages_refuse_a_coordinator(client, db, make, edition, path):
    lab = make.lab(db, edition)
    coordinator = make.coordinator(db, make.organisation(db))
    post_form(client, "/login", "/login", {"email": coordinator.email, "password": PASSWORD})
    assert client.get(path.format(id=lab.id)).status_code == 403


def test_labs_changes_refuse_a_coordinator(client, db, make, edition):
    lab = make.lab(db, edition, capacity=2)
    coordinator = make.coordinator(db, make.organisation(db))
    post_form(client, "/login", "/login", {"email": coordinator.email, "password": PASSWORD})
    for action in (f"/organiser/labs/{lab.id}/edit", f"/organiser/labs/{lab.id}/retire", "/organiser/labs/new"):
        response = post_form(client, "/coordinator", action, GOOD | {"capacity": "9"})
        assert response.status_code == 403
    stored = fresh(db).get(Lab, lab.id)
    assert (stored.capacity, stored.retired) == (2, False)
    assert len(fresh(db).exec(select(Lab)).all()) == 1
