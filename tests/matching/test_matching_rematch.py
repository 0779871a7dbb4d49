"""Re-matching after students answer a published placement."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ish_portal.matching import InstanceError, rematch, solve
from matching_helpers import blocking_pairs, instances, is_feasible, property_settings, review_order, weakly_prefers


def student(student_id, preferences, organisation="kumamoto"):
    return {"id": student_id, "organisation": organisation, "age": 18, "languages": ["en"], "preferences": preferences}


CHAIN = {
    "priority": ["s1", "s2", "s3"],
    "students": [
        student("s1", ["lab-a"]),
        student("s2", ["lab-a", "lab-b"], "lyon"),
        student("s3", ["lab-b"], "porto"),
    ],
    "labs": [{"id": "lab-a", "capacity": 1}, {"id": "lab-b", "capacity": 1}],
}


@st.composite
def answered_placements(draw, mode):
    """An instance, its published placement, and the students' answers to it."""
    instance = draw(instances())
    previous = solve(instance, mode=mode)["assignments"]
    placed = [s for s, lab in previous.items() if lab is not None]
    accepted = draw(st.lists(st.sampled_from(placed), unique=True)) if placed else []
    others = [s for s in previous if s not in accepted]
    declined = draw(st.lists(st.sampled_from(others), unique=True)) if others else []
    return instance, previous, accepted, declined


def remaining_market(instance, previous, accepted, declined):
    """The market re-matching is defined on: declined gone, accepted pinned, same order."""
    pins = {s: lab for s, lab in instance.get("pins", {}).items() if s not in declined}
    pins.update({s: previous[s] for s in accepted})
    return {
        "priority": [s for s in review_order(instance) if s not in declined],
        "pins": pins,
        "students": [s for s in instance["students"] if s["id"] not in declined],
        "labs": [
            {**lab, "ranking": [s for s in lab.get("ranking", []) if s not in declined]} for lab in instance["labs"]
        ],
    }


def test_rematch_moves_a_student_up_and_gives_the_waitlist_the_freed_seat():
    previous = solve(CHAIN)["assignments"]
    assert previous == {"s1": "lab-a", "s2": "lab-b", "s3": None}
    result = rematch(CHAIN, previous, accepted=[], declined=["s1"])
    assert result["assignments"] == {"s1": None, "s2": "lab-a", "s3": "lab-b"}
    assert result["moved"] == [
        {"student": "s2", "from": "lab-b", "to": "lab-a"},
        {"student": "s3", "from": None, "to": "lab-b"},
    ]
    assert result["explanations"]["s1"] == {"status": "declined", "lab": None, "rank": None, "higher_choices": []}
    assert (result["stats"]["students"], result["stats"]["placed"], result["stats"]["declined"]) == (3, 2, 1)


def test_rematch_keeps_an_accepted_student_even_when_a_better_seat_frees():
    previous = solve(CHAIN)["assignments"]
    result = rematch(CHAIN, previous, accepted=["s2"], declined=["s1"])
    assert result["assignments"] == {"s1": None, "s2": "lab-b", "s3": None}
    assert result["explanations"]["s2"]["status"] == "accepted"
    assert result["moved"] == []


@pytest.mark.parametrize(
    ("previous", "accepted", "declined", "problems"),
    [
        ({"ghost": "lab-a"}, [], [], ["previous['ghost']: unknown student 'ghost'"]),
        ({"s1": "lab-x"}, [], [], ["previous['s1']: unknown lab 'lab-x'"]),
        ({"s3": "lab-a"}, [], [], ["previous['s3']: student 's3' did not rank lab 'lab-a'"]),
        ({}, ["s1"], [], ["accepted[0]: student 's1' has no place in previous to accept"]),
        ({"s1": "lab-a"}, ["s1"], ["s1"], ["declined[0]: student 's1' is also in accepted"]),
        ({}, [], ["nobody"], ["declined[0]: unknown student 'nobody'"]),
        ([], [], [], ["previous: expected an object mapping student ids to lab ids or None"]),
    ],
)
def test_rematch_rejects_answers_that_do_not_fit_the_instance(previous, accepted, declined, problems):
    with pytest.raises(InstanceError) as raised:
        rematch(CHAIN, previous, accepted, declined)
    assert raised.value.problems == problems


@property_settings
@given(st.sampled_from(["stable", "welfare"]).flatmap(lambda mode: st.tuples(st.just(mode), answered_placements(mode))))
def test_rematch_keeps_accepted_students_and_places_no_declined_one(case):
    mode, (instance, previous, accepted, declined) = case
    assignments = rematch(instance, previous, accepted, declined, mode=mode)["assignments"]
    assert {s: assignments[s] for s in accepted} == {s: previous[s] for s in accepted}
    assert [assignments[s] for s in declined] == [None] * len(declined)


@property_settings
@given(st.sampled_from(["stable", "welfare"]).flatmap(lambda mode: st.tuples(st.just(mode), answered_placements(mode))))
def test_rematch_never_moves_an_open_offer_to_a_worse_place(case):
    mode, (instance, previous, accepted, declined) = case
    assignments = rematch(instance, previous, accepted, declined, mode=mode)["assignments"]
    by_id = {s["id"]: s for s in instance["students"]}
    pins = instance.get("pins", {})
    for student_id, offer in previous.items():
        if offer is not None and student_id not in accepted and student_id not in declined and student_id not in pins:
            assert weakly_prefers(by_id[student_id], assignments[student_id], offer) is True


@property_settings
@given(st.sampled_from(["stable", "welfare"]).flatmap(lambda mode: st.tuples(st.just(mode), answered_placements(mode))))
def test_rematch_result_is_valid_in_the_remaining_market_and_lists_who_moved(case):
    mode, (instance, previous, accepted, declined) = case
    result = rematch(instance, previous, accepted, declined, mode=mode)
    market = remaining_market(instance, previous, accepted, declined)
    remaining = {s: lab for s, lab in result["assignments"].items() if s not in declined}
    assert is_feasible(market, remaining) is True
    if mode == "stable":
        assert blocking_pairs(market, remaining) == []
    assert result["verification"]["violations"] == []
    assert result["moved"] == [
        {"student": s, "from": previous[s], "to": lab}
        for s, lab in remaining.items()
        if s not in accepted and lab != previous[s]
    ]
