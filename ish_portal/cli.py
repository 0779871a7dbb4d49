"""The `ish-portal` command.

The console script is `ish_portal.commands:main`, which prints the top-level help without importing
this module; the program's description and the top-level commands' help come from its table.
Importing this module stays cheap all the same: the settings (pydantic), the web application, the
database and the placement engine (OR-Tools, numpy) are imported inside the commands that need
them, and help is plain text, so rich is never imported either."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup

from ish_portal.commands import COMMANDS, DESCRIPTION

if TYPE_CHECKING:
    from ish_portal.settings import Settings


class LazyGroup(TyperGroup):
    """A sub-command group that stands in for the Typer app `module:attribute` until it is run:
    the top-level help lists it by its one-line `help` without importing the module."""

    def __init__(self, name: str, target: str, help: str) -> None:
        super().__init__(name=name, help=help, rich_markup_mode=None)
        self.target = target
        self._loaded: TyperGroup | None = None

    def load(self) -> TyperGroup:
        if self._loaded is None:
            from importlib import import_module

            module, attribute = self.target.split(":")
            group = typer.main.get_group(getattr(import_module(module), attribute))
            _plain_help(group)
            self._loaded = group
        return self._loaded

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None,
                     **extra: Any) -> Any:
        return self.load().make_context(info_name, args, parent=parent, **extra)

    def list_commands(self, ctx: Any) -> list[str]:
        return self.load().list_commands(ctx)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return self.load().get_command(ctx, cmd_name)


def _plain_help(command: Any) -> None:
    """Plain help text on a whole command tree, as on the top level (rich stays unimported)."""
    command.rich_markup_mode = None
    for sub in getattr(command, "commands", {}).values():
        _plain_help(sub)


class PortalGroup(TyperGroup):
    """The top-level group, with the placement engine's commands mounted lazily as `match`."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.add_command(LazyGroup("match", "ish_portal.matching.cli:match_app", help=COMMANDS["match"]))


app = typer.Typer(help=DESCRIPTION,
                  cls=PortalGroup, no_args_is_help=True, add_completion=False, rich_markup_mode=None)
db_app = typer.Typer(help=COMMANDS["db"], no_args_is_help=True)
outbox_app = typer.Typer(help=COMMANDS["outbox"], no_args_is_help=True)
retention_app = typer.Typer(help=COMMANDS["retention"], no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(retention_app, name="retention")
app.add_typer(outbox_app, name="outbox")


def load_settings() -> Settings:
    """The settings, or one clear line and exit status 2 when one of them is wrong."""
    from pydantic import ValidationError

    from ish_portal.settings import describe_error, get_settings

    try:
        return get_settings()
    except ValidationError as exc:
        typer.echo(f"ish-portal: {describe_error(exc)}", err=True)
        raise typer.Exit(2) from None


def _logging() -> None:
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@app.command(help=COMMANDS["serve"])
def serve(host: str = typer.Option("127.0.0.1", help="Address to listen on."),
          port: int = typer.Option(8000, help="Port to listen on."),
          workers: int = typer.Option(1, min=1, help="Worker processes (use PostgreSQL for more than one)."),
          upgrade: bool = typer.Option(True, help="Bring the database schema up to date first.")):
    import uvicorn

    settings = load_settings()
    if workers > 1 and settings.sqlalchemy_url.startswith("sqlite"):
        typer.echo("ish-portal: several workers need PostgreSQL (set ISH_DATABASE_URL)", err=True)
        raise typer.Exit(2)
    if upgrade:
        _upgrade(settings)
    uvicorn.run("ish_portal.main:app", host=host, port=port, workers=workers, proxy_headers=True,
                forwarded_allow_ips="127.0.0.1")


def _upgrade(settings: Settings) -> None:
    from ish_portal.db import make_engine
    from ish_portal.migrate import upgrade as run_upgrade

    engine = make_engine(settings.sqlalchemy_url)
    try:
        run_upgrade(engine)
    finally:
        engine.dispose()


@db_app.command("upgrade")
def db_upgrade():
    """Create the database or bring it up to the newest schema."""
    settings = load_settings()
    _upgrade(settings)
    typer.echo("database is up to date")


@app.command("create-organiser", help=COMMANDS["create-organiser"])
def create_organiser(email: str = typer.Option(..., prompt=True),
                     name: str = typer.Option(..., prompt=True),
                     password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True)):
    from sqlmodel import Session

    from ish_portal.errors import DomainError

    from ish_portal.accounts.service import create_organiser as create
    from ish_portal.db import make_engine

    settings = load_settings()
    _upgrade(settings)
    with Session(make_engine(settings.sqlalchemy_url)) as session:
        try:
            user = create(session, email, name, password)
        except DomainError as exc:
            typer.echo(f"ish-portal: {exc}", err=True)
            raise typer.Exit(2) from None
    typer.echo(f"organiser {user.email} created")


@app.command(help=COMMANDS["demo"])
def demo():
    from sqlmodel import Session

    from ish_portal.db import make_engine
    from ish_portal.demo import how_to_sign_in, load_demo

    settings = load_settings()
    _upgrade(settings)
    with Session(make_engine(settings.sqlalchemy_url), expire_on_commit=False) as session:
        summary = load_demo(session, settings)
    typer.echo(summary)
    typer.echo(how_to_sign_in(settings))


@outbox_app.command("work")
def outbox_work(once: bool = typer.Option(False, help="Deliver what is due, then stop.")):
    """Deliver queued email and let unanswered offers expire (alongside or instead of the
    worker inside `serve`)."""
    import signal
    import threading

    from ish_portal.db import make_engine
    from ish_portal.worker import Worker

    _logging()
    settings = load_settings()
    worker = Worker(make_engine(settings.sqlalchemy_url), settings)
    if once:
        worker.housekeeping()
        worker.answer_requests()
        typer.echo(f"{worker.sender.run_until_idle()} message(s) handled")
        return
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    worker.run_forever(stop)


@retention_app.command("run")
def retention_run(dry_run: bool = typer.Option(False, "--dry-run", help="Count what is due; change nothing.")):
    """Delete the personal data whose retention period has ended (the worker does this nightly)."""
    from sqlmodel import Session

    from ish_portal import areas  # noqa: F401  (the summary email's kind)
    from ish_portal.db import make_engine
    from ish_portal.retention.service import run

    settings = load_settings()
    engine = make_engine(settings.sqlalchemy_url)
    with Session(engine, expire_on_commit=False, info={"base_url": settings.base_url}) as session:
        outcome = run(session, dry_run=dry_run, base_url=settings.base_url)
        lines = [f"{entry.edition.title}\t{entry.data_class}\t{entry.count}" for entry in outcome.entries]
    engine.dispose()
    verb = "due (dry run, nothing changed)" if dry_run else "deleted"
    typer.echo(f"edition\tclass\tcandidates {verb}")
    for line in lines:
        typer.echo(line)
    if not lines:
        typer.echo("nothing is due")

