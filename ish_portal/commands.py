"""The `ish-portal` command's entry point and its table of top-level commands.

`ish-portal` and `ish-portal --help` only print the list of commands. Typer (with its copy of
click, `inspect`, `typing` and more) costs about three times a bare interpreter's start just to be
imported, so this module, which needs nothing beyond `os` and `sys`, prints that list itself when
it can lay it out exactly as click would; everything else, and any help it cannot lay out exactly,
goes to the Typer application in `ish_portal.cli`. Both take the program's description and each
command's one-line help from the table below, so the two listings cannot drift apart
(tests/test_cli.py compares them)."""

from __future__ import annotations

import os
import sys

DESCRIPTION = "Admissions portal of the International Summer Science School Heidelberg."

# Every top-level command and group of `ish-portal`, in the order Typer lists them (commands
# before groups, `match` last), with its one-line help.
COMMANDS: dict[str, str] = {
    "serve": "Run the portal, with an outbox sender in each process.",
    "create-organiser": "Create an organiser account (the first one, or another).",
    "demo": "Load the demo edition and accounts (safe to run again).",
    "db": "The database schema.",
    "retention": "Deleting personal data on the retention schedule.",
    "outbox": "The email outbox.",
    "match": "Place students in labs (stable or welfare-optimal).",
}

# click lays help out to the terminal's width less 2, at most 78 and at least 50 columns; the
# fast listing is made only at the full 78, where the table's lines are known to fit unwrapped.
WIDTH = 78


def terminal_columns() -> int:
    """The terminal's width as shutil.get_terminal_size (which click asks) finds it: $COLUMNS,
    else the terminal of standard output, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def help_text(prog: str) -> str | None:
    """The top-level help exactly as click prints it at width 78, or None when some line would
    need click's wrapping or shortening (then click itself must lay it out)."""
    name_width = max(len(name) for name in COMMANDS)
    # click shortens a command's help beyond this many characters (Group.format_commands).
    limit = WIDTH - 6 - name_width
    if (len(DESCRIPTION) + 2 > WIDTH
            or any(len(text) > limit or "\n" in text or not text for text in COMMANDS.values())):
        return None
    lines = [f"Usage: {prog} [OPTIONS] COMMAND [ARGS]...", "", f"  {DESCRIPTION}", "",
             "Options:", "  --help  Show this message and exit.", "", "Commands:"]
    lines += [f"  {name:<{name_width}}  {text}" for name, text in COMMANDS.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None, prog: str | None = None) -> None:
    """The console script: the list of commands without Typer when that is all that is asked
    (no arguments: on standard error with status 2, as click does; `--help`: on standard output),
    otherwise the Typer application."""
    args = sys.argv[1:] if argv is None else argv
    prog = prog or os.path.basename(sys.argv[0]) or "ish-portal"
    if args in ([], ["--help"]) and terminal_columns() >= WIDTH + 2:
        text = help_text(prog)
        if text is not None:
            stream = sys.stdout if args else sys.stderr
            stream.write(text)
            stream.flush()
            sys.exit(0 if args else 2)
    from ish_portal.cli import app

    sys.exit(app(args=args, prog_name=prog))
