"""A bad instance is refused whole, with one line per problem saying what and where."""

import copy

import pytest

from ish_portal.matching import InstanceError, rematch, solve


def valid_instance():
    def student(student_id, organisation, age, preferences):
        return {"id": student_id, "organisation": organisation, "age": age, "languages": ["en"], "preferences": preferences}

    return {
        "seed": 7,
        "priority": ["s1", "s0"],
        "students": [
            student("s0", "kumamoto", 17, ["lab-a", "lab-b"]),
            student("s1", "kumamoto", 18, ["lab-a", "lab-b"]),
            student("s2", "lyon", 16, ["lab-b"]),
            student("s3", "lyon", 19, ["lab-b", "lab-a"]),
        ],
        "labs": [
            {"id": "lab-a", "capacity": 2, "organisation_cap": 1, "min_age": 18, "languages": ["en"], "ranking": ["s3"]},
            {"id": "lab-b", "capacity": 1},
        ],
    }


def changed(change):
    instance = valid_instance()
    change(instance)
    return instance


def set_path(path, value):
    """A change that sets instance[path[0]][path[1]]... to value."""

    def change(instance):
        target = instance
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


CASES = {
    "unknown_lab_in_preferences": (
        set_path(["students", 3, "preferences", 1], "lab-x"),
        ["students[3].preferences[1]: unknown lab 'lab-x'"],
    ),
    "duplicate_lab_in_preferences": (
        set_path(["students", 0, "preferences", 1], "lab-a"),
        ["students[0].preferences[1]: duplicate lab 'lab-a' (already at students[0].preferences[0])"],
    ),
    "duplicate_student_id": (
        set_path(["students", 2, "id"], "s0"),
        ["students[2].id: duplicate student 's0' (first at students[0])"],
    ),
    "duplicate_lab_id": (
        set_path(["labs", 1, "id"], "lab-a"),
        # lab-b no longer exists, so every preference for it is reported as well.
        [
            "labs[1].id: duplicate lab 'lab-a' (first at labs[0])",
            "students[0].preferences[1]: unknown lab 'lab-b'",
            "students[1].preferences[1]: unknown lab 'lab-b'",
            "students[2].preferences[0]: unknown lab 'lab-b'",
            "students[3].preferences[0]: unknown lab 'lab-b'",
        ],
    ),
    "negative_capacity": (set_path(["labs", 1, "capacity"], -1), ["labs[1].capacity: must not be negative, got -1"]),
    "boolean_capacity": (set_path(["labs", 1, "capacity"], True), ["labs[1].capacity: expected an integer, got true"]),
    "zero_organisation_cap": (
        set_path(["labs", 0, "organisation_cap"], 0),
        ["labs[0].organisation_cap: must be at least 1, got 0"],
    ),
    "misspelt_lab_field": (
        lambda instance: instance["labs"][1].update(organization_cap=1),
        ["labs[1]: unknown field 'organization_cap'"],
    ),
    "missing_student_field": (
        lambda instance: instance["students"][2].pop("age"),
        ["students[2]: missing field 'age'"],
    ),
    "age_as_text": (set_path(["students", 1, "age"], "18"), ["students[1].age: expected an integer, got string '18'"]),
    "fractional_age": (set_path(["students", 1, "age"], 17.5), ["students[1].age: expected an integer, got number 17.5"]),
    "empty_organisation": (set_path(["students", 1, "organisation"], ""), ["students[1].organisation: must not be empty"]),
    "languages_not_a_list": (
        set_path(["students", 0, "languages"], "en"),
        ["students[0].languages: expected an array, got string 'en'"],
    ),
    "student_not_an_object": (set_path(["students", 2], "s2"), ["students[2]: expected an object, got string 's2'"]),
    "unknown_student_in_ranking": (
        set_path(["labs", 0, "ranking"], ["s3", "s9"]),
        ["labs[0].ranking[1]: unknown student 's9'"],
    ),
    "duplicate_student_in_priority": (
        set_path(["priority"], ["s1", "s0", "s1"]),
        ["priority[2]: duplicate student 's1' (already at priority[0])"],
    ),
    "seed_as_text": (set_path(["seed"], "seven"), ["seed: expected an integer, got string 'seven'"]),
    "unknown_top_level_field": (set_path(["preferences"], {}), ["instance: unknown field 'preferences'"]),
    "missing_labs": (lambda instance: instance.pop("labs"), ["instance: missing field 'labs'"]),
    "labs_not_a_list": (set_path(["labs"], {"lab-a": 1}), ["labs: expected an array, got an object"]),
    "pin_of_unknown_student": (set_path(["pins"], {"s9": "lab-b"}), ["pins['s9']: unknown student 's9'"]),
    "pin_to_unknown_lab": (set_path(["pins"], {"s2": "lab-z"}), ["pins['s2']: unknown lab 'lab-z'"]),
    "pin_below_minimum_age": (
        set_path(["pins"], {"s2": "lab-a"}),
        ["pins['s2']: student 's2' cannot take lab 'lab-a': age 16 is below its minimum age 18"],
    ),
    "pins_over_capacity": (
        set_path(["pins"], {"s2": "lab-b", "s3": "lab-b"}),
        ["pins: 2 students pinned to lab 'lab-b', which has capacity 1"],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_solve_refuses_an_instance_with_one_problem_naming_it(case):
    change, problems = CASES[case]
    with pytest.raises(InstanceError) as raised:
        solve(changed(change))
    assert raised.value.problems == problems


def test_solve_refuses_a_pin_to_a_lab_without_a_common_language():
    def change(instance):
        instance["students"][3]["languages"] = ["fr"]
        instance["pins"] = {"s3": "lab-a"}

    with pytest.raises(InstanceError) as raised:
        solve(changed(change))
    assert raised.value.problems == [
        "pins['s3']: student 's3' cannot take lab 'lab-a': no common working language (lab: en)"
    ]


def test_solve_refuses_pins_over_the_organisation_cap():
    def change(instance):
        instance["students"][3]["organisation"] = "kumamoto"
        instance["pins"] = {"s1": "lab-a", "s3": "lab-a"}

    with pytest.raises(InstanceError) as raised:
        solve(changed(change))
    assert raised.value.problems == [
        "pins: 2 students from 'kumamoto' pinned to lab 'lab-a', which has organisation_cap 1"
    ]


def test_solve_accepts_a_pin_to_an_eligible_lab_the_student_did_not_rank():
    instance = changed(set_path(["pins"], {"s2": "lab-b", "s3": "lab-a"}))
    instance["students"][3]["preferences"] = ["lab-b"]
    assert solve(instance)["assignments"]["s3"] == "lab-a"


def test_solve_reports_every_problem_of_an_instance_in_order():
    def change(instance):
        instance["students"][0]["age"] = -1
        instance["students"][3]["preferences"][1] = "lab-x"
        instance["labs"][1]["capacity"] = "one"

    with pytest.raises(InstanceError) as raised:
        solve(changed(change))
    assert raised.value.problems == [
        "labs[1].capacity: expected an integer, got string 'one'",
        "students[0].age: must not be negative, got -1",
        "students[3].preferences[1]: unknown lab 'lab-x'",
    ]
    assert str(raised.value) == "\n".join(raised.value.problems)


def test_solve_refuses_an_instance_that_is_not_an_object():
    with pytest.raises(InstanceError) as raised:
        solve([])
    assert raised.value.problems == ["instance: expected an object, got an array"]


def test_instance_error_is_a_value_error():
    assert issubclass(InstanceError, ValueError) is True


def test_solve_leaves_the_instance_unchanged():
    instance = valid_instance()
    solve(instance, mode="welfare")
    rematch(instance, {"s1": "lab-a"}, accepted=["s1"], declined=["s0"])
    assert instance == valid_instance()


def test_solve_accepts_left_out_and_null_optional_fields():
    instance = {
        "seed": None,
        "priority": None,
        "pins": None,
        "students": [{"id": "s1", "organisation": "lyon", "age": 17, "languages": [], "preferences": ["lab-a"]}],
        "labs": [{"id": "lab-a", "capacity": 1, "organisation_cap": None, "min_age": None, "languages": None, "ranking": None}],
    }
    assert solve(copy.deepcopy(instance))["assignments"] == {"s1": "lab-a"}


def test_solve_refuses_an_unknown_mode():
    with pytest.raises(ValueError) as raised:
        solve(valid_instance(), mode="fair")
    assert str(raised.value) == "mode must be one of stable, welfare, got 'fair'"
