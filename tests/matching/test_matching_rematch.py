"""Re-matching after students answer a published placement."""

import random

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


def test_rematch_gives_a_freed_seat_by_the_original_lottery_order():
    students = [student(f"s{number}", ["lab-a"], organisation=f"o{number}") for number in range(5)]
    ids = [s["id"] for s in students]

    def lottery(seed, among):
        drawn = list(among)
        random.Random(seed).shuffle(drawn)
        return drawn

    # A seed for which drawing again without the first winner would pick someone else.
    seed = next(
        seed
        for seed in range(100)
        if lottery(seed, [s for s in ids if s != lottery(seed, ids)[0]])[0] != lottery(seed, ids)[1]
    )
    instance = {"seed": seed, "students": students, "labs": [{"id": "lab-a", "capacity": 1}]}
    first, second = lottery(seed, ids)[:2]
    previous = solve(instance)["assignments"]
    assert previous[first] == "lab-a"
    result = rematch(instance, previous, accepted=[], declined=[first])
    assert result["moved"] == [{"student": second, "from": None, "to": "lab-a"}]


def test_rematch_welfare_never_moves_an_open_offer_down_to_place_more_students():
    # Placing w at lab-a would place two students, but only by moving p down to lab-b.
    instance = {
        "students": [student("p", ["lab-a", "lab-b"]), student("w", ["lab-a"], "lyon"), student("q", ["lab-b"], "porto")],
        "labs": [{"id": "lab-a", "capacity": 1}, {"id": "lab-b", "capacity": 1}],
    }
    previous = {"p": "lab-a", "w": None, "q": "lab-b"}
    without_q = {**instance, "students": instance["students"][:2]}
    assert solve(without_q, mode="welfare")["assignments"] == {"p": "lab-b", "w": "lab-a"}
    result = rematch(instance, previous, accepted=[], declined=["q"], mode="welfare")
    assert result["assignments"] == {"p": "lab-a", "w": None, "q": None}
    assert result["moved"] == []


def test_rematch_welfare_refuses_open_offers_that_no_longer_fit():
    instance = {
        "students": [student("p", ["lab-a"]), student("r", ["lab-a"], "lyon")],
        "labs": [{"id": "lab-a", "capacity": 1}],
    }
    with pytest.raises(InstanceError) as raised:
        rematch(instance, {"p": "lab-a", "r": "lab-a"}, accepted=[], declined=[], mode="welfare")
    assert raised.value.problems == ["previous: the open offers no longer fit the labs' capacities and caps"]


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
