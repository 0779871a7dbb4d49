"""The command line: `python -m ish_portal.matching` and the `match` Typer sub-application."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ish_portal.matching import solve
from ish_portal.matching.cli import match_app

REPOSITORY = Path(__file__).resolve().parents[2]

INSTANCE = {
    "seed": 7,
    "priority": ["s2", "s1"],
    "pins": {"s3": "lab-b"},
    "students": [
        {"id": "s1", "organisation": "kumamoto", "age": 17, "languages": ["en"], "preferences": ["lab-a", "lab-b"]},
        {"id": "s2", "organisation": "kumamoto", "age": 18, "languages": ["en"], "preferences": ["lab-a", "lab-b"]},
        {"id": "s3", "organisation": "lyon", "age": 16, "languages": ["fr"], "preferences": ["lab-a"]},
        {"id": "s4", "organisation": "porto", "age": 18, "languages": ["en"], "preferences": ["lab-a"]},
        {"id": "s5", "organisation": "lyon", "age": 18, "languages": ["en"], "preferences": ["lab-a", "lab-b"]},
    ],
    "labs": [
        {"id": "lab-a", "capacity": 2, "organisation_cap": 1, "min_age": 18, "languages": ["en"], "ranking": ["s2", "s1"]},
        {"id": "lab-b", "capacity": 2},
    ],
}


def run_module(*arguments, env_overrides=None):
    environment = {**os.environ, **(env_overrides or {})}
    return subprocess.run(
        [sys.executable, "-m", "ish_portal.matching", *map(str, arguments)],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )


@pytest.fixture
def instance_file(tmp_path):
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(INSTANCE))
    return path


def test_module_solve_prints_the_result_as_json(instance_file):
    completed = run_module(instance_file)
    assert (completed.returncode, completed.stderr) == (0, "")
    assert json.loads(completed.stdout) == solve(INSTANCE)


def test_module_passes_mode_and_seed_to_solve(instance_file):
    completed = run_module(instance_file, "--mode", "welfare", "--seed", "3")
    assert completed.returncode == 0
    assert json.loads(completed.stdout) == solve(INSTANCE, mode="welfare", seed=3)


def test_module_output_is_the_same_whatever_the_hash_seed(instance_file):
    first = run_module(instance_file, env_overrides={"PYTHONHASHSEED": "1"})
    second = run_module(instance_file, env_overrides={"PYTHONHASHSEED": "2"})
    assert first.returncode == 0
    assert first.stdout == second.stdout


def test_module_bad_instance_exits_2_with_one_line_per_problem(tmp_path):
    bad = json.loads(json.dumps(INSTANCE))
    bad["students"][3]["preferences"] = ["lab-a", "lab-x"]
    bad["labs"][1]["capacity"] = -2
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    completed = run_module(path)
    assert (completed.returncode, completed.stdout) == (2, "")
    assert completed.stderr == (
        "labs[1].capacity: must not be negative, got -2\n"
        "students[3].preferences[1]: unknown lab 'lab-x'\n"
    )


def test_module_missing_file_exits_2(tmp_path):
    path = tmp_path / "missing.json"
    completed = run_module(path)
    assert (completed.returncode, completed.stdout, completed.stderr) == (2, "", f"{path}: no such file\n")


def test_module_malformed_json_exits_2_with_the_position(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"students": [],\n "labs": [}\n')
    completed = run_module(path)
    assert (completed.returncode, completed.stdout) == (2, "")
    assert completed.stderr == f"{path}: malformed JSON at line 2, column 11: Expecting value\n"


def test_module_unknown_mode_exits_2(instance_file):
    completed = run_module(instance_file, "--mode", "fair")
    assert (completed.returncode, completed.stdout) == (2, "")


def test_match_app_solve_command_prints_the_result(instance_file):
    result = CliRunner().invoke(match_app, ["solve", str(instance_file), "--mode", "welfare"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == solve(INSTANCE, mode="welfare")


def test_match_app_solve_command_exits_2_for_a_bad_instance(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"students": [], "labs": [{"id": "lab-a", "capacity": 1.5}]}))
    result = CliRunner().invoke(match_app, ["solve", str(path)])
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        "labs[0].capacity: expected an integer, got number 1.5\n",
    )


def test_match_app_solve_command_exits_2_for_a_student_missing_fields_and_an_unknown_lab(tmp_path):
    # Issue 13: this instance crashed `ish-portal match solve` with a TypeError traceback.
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps({"students": [{"id": "a", "organisation": "x", "preferences": ["nope"]}], "labs": []})
    )
    result = CliRunner().invoke(match_app, ["solve", str(path)])
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        "students[0]: missing field 'age'\n"
        "students[0]: missing field 'languages'\n"
        "students[0].preferences[0]: unknown lab 'nope'\n",
    )


def test_match_app_solve_command_exits_2_for_json_nested_too_deeply(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    result = CliRunner().invoke(match_app, ["solve", str(path)])
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"{path}: JSON nested too deeply to read\n")


def test_match_app_solve_command_exits_2_for_a_number_too_long_to_read(tmp_path):
    path = tmp_path / "digits.json"
    path.write_text('{"seed": ' + "9" * 5000 + ', "students": [], "labs": []}')
    result = CliRunner().invoke(match_app, ["solve", str(path)])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith(f"{path}: cannot read the JSON: ")


def test_match_app_solve_command_takes_a_capacity_beyond_64_bits_in_welfare_mode(tmp_path):
    instance = json.loads(json.dumps(INSTANCE))
    instance["labs"][1]["capacity"] = 10**30
    path = tmp_path / "large.json"
    path.write_text(json.dumps(instance))
    result = CliRunner().invoke(match_app, ["solve", str(path), "--mode", "welfare"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == solve(instance, mode="welfare")


def test_importing_the_matching_command_line_imports_no_solver_library():
    # The portal's `ish-portal` command imports this module on every start; OR-Tools and numpy
    # load only when a welfare placement is computed.
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, ish_portal.matching, ish_portal.matching.cli; "
            "print(sorted({name.split('.')[0] for name in sys.modules} & {'numpy', 'ortools'}))",
        ],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (completed.returncode, completed.stdout, completed.stderr) == (0, "[]\n", "")


def test_match_app_solve_command_exits_2_for_an_id_with_a_lone_surrogate_escape(tmp_path):
    # Valid JSON, but the id is not Unicode text: the result naming it could not be printed.
    path = tmp_path / "surrogate.json"
    path.write_text(
        '{"students": [{"id": "s\\ud800", "organisation": "x", "age": 17, "languages": [], "preferences": []}],'
        ' "labs": []}'
    )
    result = CliRunner().invoke(match_app, ["solve", str(path)])
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        "students[0].id: contains a lone surrogate escape, which is not Unicode text\n",
    )
