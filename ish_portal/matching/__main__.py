"""Standalone use:

    python -m ish_portal.matching INSTANCE.json [--mode stable|welfare] [--seed N]
"""

import typer

from .cli import solve_command


def main() -> None:
    app = typer.Typer(add_completion=False)
    app.command()(solve_command)
    app(prog_name="python -m ish_portal.matching")


if __name__ == "__main__":
    main()
