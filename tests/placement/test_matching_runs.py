"""Matching runs: the instance built from the database, stored runs, previews, pins, capacities, comparisons."""

from datetime import date

from sqlmodel import select

from ish_portal.audit.models import AuditEvent
from ish_portal.labs.models import LabRanking
from ish_portal.placement import runs
from ish_portal.placement.models import MatchRun, Pin
from tests.conftest import fresh, post_form
from tests.placement.conftest import approved


def test_build_instance_reflects_preferences_eligibility_priority_pins_and_caps(db, make, world):
    world.dkfz.min_age, world.dkfz.languages, world.dkfz.organisation_cap = 18, ["de"], 2
    retired = make.lab(db, world.edition, retired=True)
    db.add(world.dkfz)
    # Dora has no score: she comes last; she ranks a retired lab, which drops out.
    dora = approved(db, make, world.edition, world.orgs[3], [retired, world.dkfz], score=None, given_name="Dora",
                    date_of_birth=date(2010, 7, 13), working_languages=["en", "de"])
    make.nomination(db, world.edition, world.orgs[3], status="submitted")  # not approved: left out
    db.add(Pin(nomination_id=world.ben.id, lab_id=world.mpia.id))
    db.add(LabRanking(lab_id=world.embl.id, nomination_id=world.cem.id, rank=1))
    db.commit()

    instance = runs.build_instance(db, world.edition, seed=5)

    assert instance["seed"] == 5
    assert instance["priority"] == [f"n{world.ada.id}", f"n{world.ben.id}", f"n{world.cem.id}", f"n{dora.id}"]
    assert instance["pins"] == {f"n{world.ben.id}": f"lab{world.mpia.id}"}
    assert instance["students"][3] == {"id": f"n{dora.id}", "organisation": f"org{world.orgs[3].id}", "age": 16,
                                       "languages": ["de", "en"], "preferences": [f"lab{world.dkfz.id}"]}
    assert instance["students"][0]["preferences"] == [f"lab{world.embl.id}", f"lab{world.mpia.id}"]
    labs = {lab["id"]: lab for lab in instance["labs"]}
    assert set(labs) == {f"lab{world.embl.id}", f"lab{world.mpia.id}", f"lab{world.dkfz.id}"}
    assert labs[f"lab{world.dkfz.id}"] == {"id": f"lab{world.dkfz.id}", "capacity": 1, "organisation_cap": 2,
                                           "min_age": 18, "languages": ["de"]}
    assert labs[f"lab{world.embl.id}"]["ranking"] == [f"n{world.cem.id}"]


def test_run_is_stored_with_its_exact_input_and_result(db, world, organiser_client):
    response = post_form(organiser_client, "/organiser/matching", "/organiser/matching/runs",
                         {"mode": "stable", "seed": "42"}, follow_redirects=False)

    assert response.status_code == 303
    run = fresh(db).exec(select(MatchRun)).one()
    assert response.headers["location"] == f"/organiser/matching/runs/{run.id}"
    assert (run.mode, run.seed, run.created_by_id) == ("stable", 42, world.organiser.id)
    assert run.instance == runs.build_instance(db, world.edition, seed=42)
    assert run.result["assignments"] == {f"n{world.ada.id}": f"lab{world.embl.id}",
                                         f"n{world.ben.id}": f"lab{world.mpia.id}", f"n{world.cem.id}": None}
    assert db.exec(select(AuditEvent.action).where(AuditEvent.entity == "match_run")).all() == ["match_run_created"]


def test_a_run_gives_no_seat_someone_already_holds(db, make, world, organiser_client):
    # Dan accepted EMBL's one seat before this run (an offer made outside it): the run must not
    # give that seat to Ada too, nor count a declined offer's seat as taken.
    dan = make.nomination(db, world.edition, world.orgs[3], given_name="Dan", status="accepted")
    make.offer(db, dan, world.embl, status="accepted")
    eve = make.nomination(db, world.edition, world.orgs[3], given_name="Eve", status="declined")
    make.offer(db, eve, world.mpia, status="declined")
    labs = {lab["id"]: lab for lab in runs.build_instance(db, world.edition)["labs"]}
    assert (labs[f"lab{world.embl.id}"]["capacity"], labs[f"lab{world.mpia.id}"]["capacity"]) == (0, 1)
    post_form(organiser_client, "/organiser/matching", "/organiser/matching/runs", {"mode": "stable", "seed": "1"})
    run = fresh(db).exec(select(MatchRun)).one()
    assert f"lab{world.embl.id}" not in run.result["assignments"].values()
    assert run.result["assignments"][f"n{world.ada.id}"] == f"lab{world.mpia.id}"
    # Why Ada did not get her first choice: no seat was free there, not that others came first.
    page = organiser_client.get(f"/organiser/matching/runs/{run.id}").text
    assert "no seat: the lab has none free in this run" in page


def test_run_with_bad_seed_keeps_values_and_says_why(db, world, organiser_client):
    response = post_form(organiser_client, "/organiser/matching", "/organiser/matching/runs",
                         {"mode": "stable", "seed": "soon"})

    assert response.status_code == 400
    assert 'value="soon"' in response.text
    assert fresh(db).exec(select(MatchRun)).all() == []


def test_engine_refusal_becomes_a_clear_message(db, world, organiser_client):
    # Two pins to a one-seat lab: the engine refuses the instance.
    db.add(Pin(nomination_id=world.ada.id, lab_id=world.dkfz.id))
    db.add(Pin(nomination_id=world.ben.id, lab_id=world.dkfz.id))
    db.commit()

    response = post_form(organiser_client, "/organiser/matching", "/organiser/matching/runs",
                         {"mode": "welfare", "seed": "1"})

    assert response.status_code == 400
    assert "The matching engine refused the input" in response.text
    assert f"2 students pinned to lab &#39;lab{world.dkfz.id}&#39;, which has capacity 1" in response.text


def test_preview_explains_each_placement_in_words(db, make, world, organiser_client):
    world.dkfz.min_age = 18
    db.add(world.dkfz)
    db.commit()
    approved(db, make, world.edition, world.orgs[3], [world.dkfz, world.embl], score=10,
             given_name="Eva", date_of_birth=date(2010, 1, 1))
    run = runs.create_run(db, world.organiser, world.edition.id, "stable", 3)

    page = organiser_client.get(f"/organiser/matching/runs/{run.id}").text

    assert "Choice 1, <bdi>Cell Biology, EMBL</bdi>: full with students of higher priority" in page
    assert "Choice 1, <bdi>Genomics, DKFZ</bdi>: not eligible: below the lab&#39;s minimum age of 18" in page
    assert "Choice 2, <bdi>Exoplanets, MPIA</bdi>: full with students of higher priority" in page  # Cem, unplaced
    assert "No violations" in page
    assert '<meter min="0" max="1" value="1">1 / 1</meter>' in page
    view = runs.run_view(db, run)
    assert [(s.name.split()[0], s.rank) for s in view.students] == [("Ada", 1), ("Ben", 2), ("Cem", None), ("Eva", None)]
    assert view.histogram == [("1", 1), ("2", 1)]


def test_pin_then_run_again_honours_the_pin(db, world, organiser_client):
    first = runs.create_run(db, world.organiser, world.edition.id, "stable", 1)
    post_form(organiser_client, f"/organiser/matching/runs/{first.id}", "/organiser/matching/pins",
              {"nomination_id": world.cem.id, "lab_id": world.embl.id, "run_id": first.id})

    assert fresh(db).get(Pin, world.cem.id).lab_id == world.embl.id
    second = runs.create_run(db, world.organiser, world.edition.id, "stable", 1)
    assert second.result["assignments"][f"n{world.cem.id}"] == f"lab{world.embl.id}"
    assert second.result["explanations"][f"n{world.cem.id}"]["status"] == "pinned"
    assert second.result["assignments"][f"n{world.ada.id}"] == f"lab{world.mpia.id}"

    post_form(organiser_client, f"/organiser/matching/runs/{second.id}",
              f"/organiser/matching/pins/{world.cem.id}/delete", {"run_id": second.id})
    assert fresh(db).get(Pin, world.cem.id) is None


def test_capacity_change_from_the_preview_is_used_by_the_next_run(db, world, organiser_client):
    first = runs.create_run(db, world.organiser, world.edition.id, "stable", 1)
    response = post_form(organiser_client, f"/organiser/matching/runs/{first.id}",
                         f"/organiser/matching/labs/{world.embl.id}/capacity", {"capacity": "3", "run_id": first.id},
                         follow_redirects=False)
    assert response.headers["location"] == f"/organiser/matching/runs/{first.id}"

    second = runs.create_run(fresh(db), world.organiser, world.edition.id, "stable", 1)
    assert second.result["stats"]["labs"][f"lab{world.embl.id}"] == {"capacity": 3, "filled": 3, "organisations": 3}
    assert second.result["stats"]["placed"] == 3


def test_capacity_below_zero_is_refused_beside_the_field(db, world, organiser_client):
    first = runs.create_run(db, world.organiser, world.edition.id, "stable", 1)
    response = post_form(organiser_client, f"/organiser/matching/runs/{first.id}",
                         f"/organiser/matching/labs/{world.embl.id}/capacity", {"capacity": "-1", "run_id": first.id})
    assert response.status_code == 400
    assert 'value="-1"' in response.text
    assert fresh(db).get(type(world.embl), world.embl.id).capacity == 1


def test_compare_runs_shows_who_moved_and_both_histograms(db, world, organiser_client):
    first = runs.create_run(db, world.organiser, world.edition.id, "stable", 1)
    runs.set_lab_capacity(db, world.organiser, world.edition.id, world.embl.id, 2)
    second = runs.create_run(db, world.organiser, world.edition.id, "stable", 1)

    comparison = runs.compare_runs(db, first, second)

    assert [(m.name.split()[0], m.before, m.after) for m in comparison.moved] == [
        ("Ben", "Exoplanets, MPIA", "Cell Biology, EMBL"), ("Cem", "unplaced", "Exoplanets, MPIA")]
    assert comparison.ranks == [("1", 1, 2), ("2", 1, 1)]
    page = organiser_client.get(f"/organiser/matching/compare?a={first.id}&b={second.id}").text
    assert "2 placed, 1 unplaced" in page and "3 placed, 0 unplaced" in page


def test_close_and_reopen_preferences(db, world, organiser_client):
    post_form(organiser_client, "/organiser/matching", "/organiser/matching/preferences/close", {"confirm": "yes"})
    assert fresh(db).get(type(world.edition), world.edition.id).preferences_locked_at is not None
    post_form(organiser_client, "/organiser/matching", "/organiser/matching/preferences/reopen", {})
    assert fresh(db).get(type(world.edition), world.edition.id).preferences_locked_at is None


def test_matching_pages_are_forbidden_to_coordinators(db, make, world, client):
    coordinator = make.coordinator(db, world.orgs[0], email="cora@city.example")
    run = runs.create_run(db, world.organiser, world.edition.id, "stable", 1)
    from tests.factories import PASSWORD
    post_form(client, "/login", "/login", {"email": coordinator.email, "password": PASSWORD})

    for path in ["/organiser/matching", f"/organiser/matching/runs/{run.id}", "/organiser/matching/waitlist",
                 f"/organiser/matching/runs/{run.id}/publish"]:
        assert client.get(path).status_code == 403
