"""The `ish-portal` entry point: the top-level help it prints without Typer is the one Typer prints,
and everything else still reaches the Typer application."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ish_portal import commands
from ish_portal.cli import app

REPOSITORY = Path(__file__).resolve().parents[1]


def typer_help(args: list[str], columns: int = 100):
    return CliRunner().invoke(app, args, prog_name="ish-portal", env={"COLUMNS": str(columns)})


def run(command: list[str], columns: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *command], cwd=REPOSITORY, capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": str(columns)})


def run_entry(*args: str, columns: int = 100) -> subprocess.CompletedProcess:
    """`python -m ish_portal ...` (the console script's main()) in a process of its own."""
    return run(["-m", "ish_portal", *args], columns)


def run_typer(*args: str, columns: int) -> subprocess.CompletedProcess:
    """The Typer application itself in a process of its own (CliRunner fixes the width at 80)."""
    return run(["-c", f"from ish_portal.cli import app; app(args={list(args)!r}, prog_name='ish-portal')"], columns)


def test_the_fast_help_is_typers_help():
    typer = typer_help(["--help"])
    assert typer.exit_code == 0
    assert commands.help_text("ish-portal") == typer.stdout


def test_the_fast_help_lists_every_command_typer_has():
    listed = typer_help(["--help"]).stdout.split("Commands:\n", 1)[1]
    names = [line.split()[0] for line in listed.splitlines() if line.strip()]
    assert names == list(commands.COMMANDS)


def test_help_and_no_arguments_print_what_typer_prints_with_its_status():
    for args in ([], ["--help"]):
        typer = typer_help(args)
        ours = run_entry(*args)
        assert (ours.returncode, ours.stdout, ours.stderr) == (typer.exit_code, typer.stdout, typer.stderr)
    assert run_entry().returncode == 2 and "Commands:" in run_entry().stderr


def test_the_fast_help_does_not_import_typer():
    probe = ("import sys\nfrom ish_portal.commands import main\ntry:\n    main(['--help'], prog='ish-portal')\n"
             "except SystemExit as exit:\n    print(exit.code, sorted({'typer', 'click', 'pydantic'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPOSITORY, capture_output=True, text=True,
                            env={**os.environ, "COLUMNS": "100"})
    assert result.stdout.endswith("0 []\n"), result.stdout


@pytest.mark.parametrize("columns", [50, 64, 79])
def test_a_narrow_terminal_gets_typers_own_layout(columns):
    """Below 80 columns click wraps and shortens the lines; the entry leaves that to it."""
    typer = run_typer("--help", columns=columns)
    ours = run_entry("--help", columns=columns)
    assert ours.stdout != commands.help_text("ish-portal")
    assert (ours.returncode, ours.stdout) == (0, typer.stdout)


def test_other_arguments_reach_the_typer_application():
    result = run_entry("db", "--help")
    assert result.returncode == 0
    assert result.stdout == typer_help(["db", "--help"]).stdout
    assert "upgrade" in result.stdout
    unknown = run_entry("no-such-command")
    assert unknown.returncode == 2 and "No such command" in unknown.stderr


def test_a_help_text_that_needs_wrapping_is_left_to_click(monkeypatch):
    monkeypatch.setitem(commands.COMMANDS, "demo", "Load the demo edition and accounts " * 3)
    assert commands.help_text("ish-portal") is None
