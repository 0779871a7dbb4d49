"""Malformed instances through the command line: exit 2 and a message naming the place, never a
traceback.

Each example takes a valid instance and breaks it in one way that the rules of docs/matching.md
forbid: a value of the wrong type or out of range, a missing or unknown field, an unknown or
duplicate reference, a list emptied under the references to it. The message for that break must
be among the lines printed, so a reader that refused the instance for the wrong reason, or said
nothing, would fail as surely as one that crashed.
"""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ish_portal.matching.cli import match_app
from matching_helpers import instances
from tests.conftest import examples

JSON_SCALARS = st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=5)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6,
)


def of_another_type(kind: str, nullable: bool):
    """A JSON value that is not of `kind` ("string", "integer", "array", "object")."""
    wrong = {
        "string": lambda value: not isinstance(value, str),
        "integer": lambda value: type(value) is not int,
        "array": lambda value: not isinstance(value, list),
        "object": lambda value: not isinstance(value, dict),
    }[kind]
    return JSON_VALUES.filter(lambda value: wrong(value) and not (nullable and value is None))


# Per field: its JSON kind, whether null is allowed, and the least value allowed for integers.
STUDENT_FIELDS = {
    "id": ("string", False, None),
    "organisation": ("string", False, None),
    "age": ("integer", False, 0),
    "languages": ("array", False, None),
    "preferences": ("array", False, None),
}
LAB_FIELDS = {
    "id": ("string", False, None),
    "capacity": ("integer", False, 0),
    "organisation_cap": ("integer", True, 1),
    "min_age": ("integer", True, 0),
    "languages": ("array", True, None),
    "ranking": ("array", True, None),
}
TOP_FIELDS = {
    "students": ("array", False, None),
    "labs": ("array", False, None),
    "seed": ("integer", True, None),
    "priority": ("array", True, None),
    "pins": ("object", True, None),
}


@st.composite
def bad_value(draw, kind: str, nullable: bool, minimum: int | None):
    if minimum is not None and draw(st.booleans()):
        return draw(st.integers(minimum - 1000, minimum - 1))
    return draw(of_another_type(kind, nullable))


BREAKS = (
    [("not_an_object", None), ("unknown_top_field", None)]
    + [("top_field_value", name) for name in TOP_FIELDS]
    + [("missing_top_field", name) for name in ("students", "labs")]
    + [("student_field_value", name) for name in STUDENT_FIELDS]
    + [("missing_student_field", name) for name in STUDENT_FIELDS]
    + [("lab_field_value", name) for name in LAB_FIELDS]
    + [("missing_lab_field", name) for name in ("id", "capacity")]
    + [
        (what, None)
        for what in (
            "student_not_an_object",
            "lab_not_an_object",
            "unknown_student_field",
            "unknown_lab_field",
            "duplicate_student_id",
            "duplicate_lab_id",
            "unknown_preferred_lab",
            "duplicate_preferred_lab",
            "preference_not_a_string",
            "labs_emptied",
            "unknown_ranked_student",
            "unknown_priority_student",
            "duplicate_priority_student",
            "unknown_pin_student",
            "unknown_pinned_lab",
            "pinned_lab_not_a_string",
            "lone_surrogate_in_a_name",
        )
    ]
)


@st.composite
def broken_instances(draw, what: str, name: str | None):
    """(a malformed instance, the start of one line its message must have)."""
    instance = copy.deepcopy(draw(instances(max_students=6, max_labs=3, min_students=2)))
    students, labs = instance["students"], instance["labs"]
    ranking_students = [s for s in students if s["preferences"]]
    if not ranking_students:
        students[0]["preferences"] = [labs[0]["id"]]
        ranking_students = [students[0]]

    def pick_index(items):
        return draw(st.integers(0, len(items) - 1))

    if what == "not_an_object":
        return draw(of_another_type("object", nullable=False)), "instance: expected an object"
    if what == "top_field_value":
        kind, nullable, minimum = TOP_FIELDS[name]
        instance[name] = draw(bad_value(kind, nullable, minimum))
        return instance, f"{name}: "
    if what == "missing_top_field":
        del instance[name]
        return instance, f"instance: missing field '{name}'"
    if what == "unknown_top_field":
        instance["options"] = draw(JSON_VALUES)
        return instance, "instance: unknown field 'options'"
    if what in ("student_field_value", "lab_field_value"):
        entries, fields, collection = (
            (students, STUDENT_FIELDS, "students") if what == "student_field_value" else (labs, LAB_FIELDS, "labs")
        )
        index = pick_index(entries)
        kind, nullable, minimum = fields[name]
        entries[index][name] = draw(bad_value(kind, nullable, minimum))
        return instance, f"{collection}[{index}].{name}: "
    if what in ("student_not_an_object", "lab_not_an_object"):
        entries, collection = (students, "students") if what == "student_not_an_object" else (labs, "labs")
        index = pick_index(entries)
        entries[index] = draw(of_another_type("object", nullable=False))
        return instance, f"{collection}[{index}]: expected an object"
    if what in ("missing_student_field", "missing_lab_field"):
        entries, collection = (students, "students") if what == "missing_student_field" else (labs, "labs")
        index = pick_index(entries)
        del entries[index][name]
        return instance, f"{collection}[{index}]: missing field '{name}'"
    if what in ("unknown_student_field", "unknown_lab_field"):
        entries, collection = (students, "students") if what == "unknown_student_field" else (labs, "labs")
        index = pick_index(entries)
        entries[index]["organization_cap"] = draw(JSON_VALUES)
        return instance, f"{collection}[{index}]: unknown field 'organization_cap'"
    if what == "duplicate_student_id":
        first, second = sorted(draw(st.lists(st.integers(0, len(students) - 1), min_size=2, max_size=2, unique=True)))
        students[second]["id"] = students[first]["id"]
        return instance, f"students[{second}].id: duplicate student '{students[first]['id']}' (first at students[{first}])"
    if what == "duplicate_lab_id":
        labs.append({"id": labs[0]["id"], "capacity": 1})
        return instance, f"labs[{len(labs) - 1}].id: duplicate lab '{labs[0]['id']}' (first at labs[0])"
    if what == "unknown_preferred_lab":
        index = students.index(draw(st.sampled_from(ranking_students)))
        position = pick_index(students[index]["preferences"])
        students[index]["preferences"][position] = "no-such-lab"
        return instance, f"students[{index}].preferences[{position}]: unknown lab 'no-such-lab'"
    if what == "duplicate_preferred_lab":
        index = students.index(draw(st.sampled_from(ranking_students)))
        preferences = students[index]["preferences"]
        preferences.append(preferences[0])
        return instance, f"students[{index}].preferences[{len(preferences) - 1}]: duplicate lab '{preferences[0]}'"
    if what == "preference_not_a_string":
        index = students.index(draw(st.sampled_from(ranking_students)))
        position = pick_index(students[index]["preferences"])
        students[index]["preferences"][position] = draw(of_another_type("string", nullable=False))
        return instance, f"students[{index}].preferences[{position}]: expected a string"
    if what == "labs_emptied":
        index = students.index(draw(st.sampled_from(ranking_students)))
        instance["labs"] = []
        instance.pop("pins", None)  # pins to the labs would be refused too; keep to one break
        return instance, f"students[{index}].preferences[0]: unknown lab"
    if what == "unknown_ranked_student":
        index = pick_index(labs)
        labs[index]["ranking"] = [*(labs[index].get("ranking") or []), "nobody"]
        return instance, f"labs[{index}].ranking[{len(labs[index]['ranking']) - 1}]: unknown student 'nobody'"
    if what == "unknown_priority_student":
        instance["priority"] = [*(instance.get("priority") or []), "nobody"]
        return instance, f"priority[{len(instance['priority']) - 1}]: unknown student 'nobody'"
    if what == "duplicate_priority_student":
        instance["priority"] = [students[0]["id"], students[0]["id"]]
        return instance, f"priority[1]: duplicate student '{students[0]['id']}' (already at priority[0])"
    if what == "lone_surrogate_in_a_name":
        # Valid JSON ("\\ud800"), but not Unicode text: a result naming it could not be printed.
        entries, collection, field = draw(
            st.sampled_from([(students, "students", "id"), (students, "students", "organisation"), (labs, "labs", "id")])
        )
        index = pick_index(entries)
        entries[index][field] = entries[index][field] + "\ud800"
        return instance, f"{collection}[{index}].{field}: contains a lone surrogate escape"
    if what == "unknown_pin_student":
        instance["pins"] = {**(instance.get("pins") or {}), "nobody": labs[0]["id"]}
        return instance, "pins['nobody']: unknown student 'nobody'"
    pinned = draw(st.sampled_from(students))["id"]
    if what == "unknown_pinned_lab":
        instance["pins"] = {pinned: "no-such-lab"}
        return instance, f"pins['{pinned}']: unknown lab 'no-such-lab'"
    assert what == "pinned_lab_not_a_string", what
    instance["pins"] = {pinned: draw(of_another_type("string", nullable=False))}
    return instance, f"pins['{pinned}']: expected a string"


@pytest.mark.parametrize(("what", "name"), BREAKS)
@settings(max_examples=examples(15), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data(), mode=st.sampled_from(["stable", "welfare"]))
def test_cli_refuses_a_malformed_instance_with_exit_2_and_the_message_naming_it(what, name, data, mode):
    instance, expected_start = data.draw(broken_instances(what, name))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "instance.json"
        path.write_text(json.dumps(instance))
        result = CliRunner().invoke(match_app, ["solve", str(path), "--mode", mode])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert (result.exit_code, result.stdout) == (2, "")
    lines = result.stderr.splitlines()
    assert any(line.startswith(expected_start) for line in lines), (expected_start, lines)
