"""Command line: `ish-portal match solve INSTANCE.json [--mode stable|welfare] [--seed N]`.

The portal's CLI mounts `match_app` under the name "match"; `python -m ish_portal.matching`
runs the solve command on its own. A bad instance exits with status 2 and one line per problem
on stderr.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from .api import solve
from .errors import InstanceError

BAD_INSTANCE_EXIT_CODE = 2


class Mode(str, Enum):
    stable = "stable"
    welfare = "welfare"


match_app = typer.Typer(
    help="Place students in labs: stable or welfare-optimal matching.", no_args_is_help=True
)


@match_app.callback()
def _match_group() -> None:
    """Place students in labs: stable or welfare-optimal matching."""
    # A callback keeps `solve` a named sub-command even while it is the only command.


@match_app.command("solve")
def solve_command(
    instance_file: Annotated[
        Path, typer.Argument(metavar="INSTANCE.json", help="The instance to match, as JSON.")
    ],
    mode: Annotated[
        Mode, typer.Option(help="stable: student-optimal stable; welfare: most placed, best ranks.")
    ] = Mode.stable,
    seed: Annotated[
        int | None, typer.Option(help="Lottery seed; overrides the instance's seed.")
    ] = None,
) -> None:
    """Match INSTANCE.json and print the result as JSON."""
    try:
        result = solve(load_instance(instance_file), mode=mode.value, seed=seed)
    except InstanceError as error:
        for problem in error.problems:
            typer.echo(problem, err=True)
        raise typer.Exit(BAD_INSTANCE_EXIT_CODE) from None
    typer.echo(json.dumps(result, indent=2, ensure_ascii=False))


def load_instance(path: Path) -> object:
    """The parsed JSON of `path`; an unreadable or malformed file raises InstanceError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InstanceError([f"{path}: no such file"]) from None
    except UnicodeDecodeError:
        raise InstanceError([f"{path}: not UTF-8 text"]) from None
    except OSError as error:
        raise InstanceError([f"{path}: cannot read: {error.strerror}"]) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InstanceError(
            [f"{path}: malformed JSON at line {error.lineno}, column {error.colno}: {error.msg}"]
        ) from None
    except RecursionError:
        raise InstanceError([f"{path}: JSON nested too deeply to read"]) from None
    except ValueError as error:  # a number with more digits than Python converts
        raise InstanceError([f"{path}: cannot read the JSON: {error}"]) from None
