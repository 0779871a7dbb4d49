"""Explanations per student and statistics of the whole placement."""

from hypothesis import given
from hypothesis import strategies as st

from ish_portal.matching import solve
from matching_helpers import instances, property_settings, rank


def student(student_id, preferences, organisation="kumamoto", age=18, languages=("en",)):
    return {"id": student_id, "organisation": organisation, "age": age, "languages": list(languages), "preferences": preferences}


EXAMPLE = {
    "priority": ["top", "s2", "s1", "s3", "young"],
    "pins": {"p": "lab-full"},
    "students": [
        student("top", ["lab-full"], organisation="lyon"),
        student("s1", ["lab-old", "lab-de", "lab-both", "lab-full", "lab-capped", "lab-open"]),
        student("s2", ["lab-capped"]),
        student("s3", ["lab-full", "lab-capped"], organisation="porto"),
        student("young", ["lab-capped"], organisation="porto"),
        student("p", ["lab-open"], organisation="porto"),
    ],
    "labs": [
        {"id": "lab-old", "capacity": 5, "min_age": 19},
        {"id": "lab-de", "capacity": 5, "languages": ["de"]},
        {"id": "lab-both", "capacity": 5, "min_age": 19, "languages": ["de"]},
        {"id": "lab-full", "capacity": 2},
        {"id": "lab-capped", "capacity": 3, "organisation_cap": 1},
        {"id": "lab-open", "capacity": 5},
    ],
}


def test_explanations_give_the_reason_for_each_higher_choice():
    explanations = solve(EXAMPLE)["explanations"]
    assert explanations["s1"] == {
        "status": "placed",
        "lab": "lab-open",
        "rank": 6,
        "higher_choices": [
            {"lab": "lab-old", "rank": 1, "reasons": ["min_age"]},
            {"lab": "lab-de", "rank": 2, "reasons": ["language"]},
            {"lab": "lab-both", "rank": 3, "reasons": ["min_age", "language"]},
            {"lab": "lab-full", "rank": 4, "reasons": ["full"]},
            {"lab": "lab-capped", "rank": 5, "reasons": ["organisation_cap"]},
        ],
    }


def test_explanations_mark_pinned_placed_and_unplaced_students():
    explanations = solve(EXAMPLE)["explanations"]
    assert explanations["p"] == {"status": "pinned", "lab": "lab-full", "rank": None, "higher_choices": []}
    assert explanations["s2"] == {"status": "placed", "lab": "lab-capped", "rank": 1, "higher_choices": []}
    assert explanations["young"] == {
        "status": "unplaced",
        "lab": None,
        "rank": None,
        "higher_choices": [{"lab": "lab-capped", "rank": 1, "reasons": ["organisation_cap"]}],
    }


def test_statistics_count_places_ranks_and_lab_fill():
    assert solve(EXAMPLE)["stats"] == {
        "students": 6,
        "placed": 5,
        "unplaced": 1,
        "declined": 0,
        "ranks": {"1": 2, "2": 1, "6": 1, "unranked": 1},
        "labs": {
            "lab-old": {"capacity": 5, "filled": 0, "organisations": 0},
            "lab-de": {"capacity": 5, "filled": 0, "organisations": 0},
            "lab-both": {"capacity": 5, "filled": 0, "organisations": 0},
            "lab-full": {"capacity": 2, "filled": 2, "organisations": 2},
            "lab-capped": {"capacity": 3, "filled": 2, "organisations": 2},
            "lab-open": {"capacity": 5, "filled": 1, "organisations": 1},
        },
    }


@property_settings
@given(instances(), st.sampled_from(["stable", "welfare"]))
def test_explanations_give_a_reason_for_every_higher_choice_in_both_modes(instance, mode):
    result = solve(instance, mode=mode)
    for student_id, explanation in result["explanations"].items():
        placed = result["assignments"][student_id]
        assert explanation["lab"] == placed
        assert explanation["rank"] == rank(instance, student_id, placed)
        if explanation["status"] == "pinned":
            assert explanation["higher_choices"] == []
            continue
        preferences = next(s["preferences"] for s in instance["students"] if s["id"] == student_id)
        higher = preferences if placed is None else preferences[: preferences.index(placed)]
        assert [choice["lab"] for choice in explanation["higher_choices"]] == higher
        assert all(choice["reasons"] for choice in explanation["higher_choices"])


@property_settings
@given(instances(), st.sampled_from(["stable", "welfare"]))
def test_statistics_add_up_to_the_assignments(instance, mode):
    result = solve(instance, mode=mode)
    stats = result["stats"]
    placed = [lab for lab in result["assignments"].values() if lab is not None]
    assert (stats["students"], stats["placed"], stats["unplaced"]) == (
        len(instance["students"]),
        len(placed),
        len(instance["students"]) - len(placed),
    )
    assert sum(stats["ranks"].values()) == len(placed)
    assert {lab_id: figures["filled"] for lab_id, figures in stats["labs"].items()} == {
        lab["id"]: placed.count(lab["id"]) for lab in instance["labs"]
    }
