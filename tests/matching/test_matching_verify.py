"""The verifier against the plain definitions, on any placement, valid or not."""

import ast
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from ish_portal.matching import verify
from matching_helpers import blocking_pairs, instances, is_feasible, property_settings

PACKAGE = Path(__file__).resolve().parents[2] / "ish_portal" / "matching"


@st.composite
def instances_with_any_placement(draw):
    """An instance and a placement drawn without regard to any rule."""
    instance = draw(instances())
    lab_ids = [None] + [lab["id"] for lab in instance["labs"]]
    assignments = {s["id"]: draw(st.sampled_from(lab_ids)) for s in instance["students"]}
    return instance, assignments


@property_settings
@given(instances_with_any_placement())
def test_verify_blocking_pairs_equal_the_definition_on_any_placement(case):
    instance, assignments = case
    reported = [(pair["student"], pair["lab"]) for pair in verify(instance, assignments)["blocking_pairs"]]
    assert sorted(reported) == sorted(blocking_pairs(instance, assignments))


@property_settings
@given(instances_with_any_placement())
def test_verify_finds_violations_exactly_when_a_rule_is_broken(case):
    instance, assignments = case
    assert (verify(instance, assignments)["violations"] == []) == is_feasible(instance, assignments)


def test_verify_names_every_broken_rule():
    instance = {
        "pins": {"p": "lab-b"},
        "students": [
            {"id": "p", "organisation": "lyon", "age": 18, "languages": ["en"], "preferences": []},
            {"id": "s1", "organisation": "kumamoto", "age": 16, "languages": ["fr"], "preferences": ["lab-a"]},
            {"id": "s2", "organisation": "kumamoto", "age": 18, "languages": ["en"], "preferences": ["lab-b"]},
            {"id": "s3", "organisation": "kumamoto", "age": 18, "languages": ["en"], "preferences": ["lab-a"]},
        ],
        "labs": [
            {"id": "lab-a", "capacity": 1, "organisation_cap": 1, "min_age": 17, "languages": ["en"]},
            {"id": "lab-b", "capacity": 2},
        ],
    }
    assignments = {"p": None, "s1": "lab-a", "s2": "lab-a", "s3": "lab-x", "ghost": None}
    assert verify(instance, assignments)["violations"] == [
        "student 'ghost' is not in the instance",
        "student 's3' is placed at unknown lab 'lab-x'",
        "student 'p' is pinned to lab 'lab-b' but unplaced",
        "student 's1' is placed at lab 'lab-a' whose minimum age is 17 (student's age: 16)",
        "student 's1' is placed at lab 'lab-a' without a common working language",
        "student 's2' is placed at lab 'lab-a', which they did not rank",
        "lab 'lab-a' holds 2 students but has capacity 1",
        "lab 'lab-a' holds 2 students from 'kumamoto' but its organisation_cap is 1",
    ]


def test_verify_reports_a_student_missing_from_the_assignments():
    instance = {
        "students": [{"id": "s1", "organisation": "lyon", "age": 18, "languages": ["en"], "preferences": ["lab-a"]}],
        "labs": [{"id": "lab-a", "capacity": 1}],
    }
    assert verify(instance, {}) == {
        "blocking_pairs": [{"student": "s1", "lab": "lab-a"}],
        "violations": ["student 's1' is missing from the assignments"],
    }


def test_verify_module_imports_nothing_from_the_solvers():
    tree = ast.parse((PACKAGE / "verify.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert imported == {"__future__", "math", "random", "collections"}


def test_matching_package_imports_no_web_or_database_library():
    forbidden = {"fastapi", "sqlmodel", "sqlalchemy", "starlette", "pydantic"}
    found = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            found += [f"{path.name}: {name}" for name in names if name.split(".")[0] in forbidden]
    assert found == []
