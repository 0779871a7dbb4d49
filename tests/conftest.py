"""Fixtures shared by every test: a database of the run's own (SQLite, or PostgreSQL when
ISH_TEST_DATABASE_URL is set) built by the Alembic migrations, a real SMTP server on loopback,
the application, and factories for the things tests need.

`make test` runs the suite in several processes (pytest-xdist, one per CPU): each has its own
database and its own free ports, and the browser tests all run in one of them, with one Chromium.
The property tests run Hypothesis's "dev" profile (few examples) at the desk and the "ci" profile
(many) under CI=true; HYPOTHESIS_PROFILE=ci chooses the full one anywhere."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel

import ish_portal.areas  # noqa: F401  (every area's registrations, as the application has them)
from ish_portal.db import make_engine
from ish_portal.migrate import migrate
from ish_portal.settings import Settings
from tests.smtp import SMTPSink

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"

# Examples per property test: many in CI, few at the desk (HYPOTHESIS_PROFILE=ci asks for CI's
# locally). tests/matching/matching_helpers.py takes its budgets from these, and a test that needs
# more or fewer than the profile gives asks for examples(n).
CI_EXAMPLES = 120
hypothesis_settings.register_profile("ci", max_examples=CI_EXAMPLES, deadline=None, print_blob=True)
hypothesis_settings.register_profile("dev", max_examples=15, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE")
                                 or ("ci" if os.environ.get("CI") == "true" else "dev"))


def examples(in_ci: int) -> int:
    """`in_ci` examples under the CI profile, and as many fewer at the desk as the profile has
    (at least five)."""
    return max(5, in_ci * hypothesis_settings.default.max_examples // CI_EXAMPLES)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def own_database(folder: Path, prefix: str) -> Iterator[str]:
    """A database no other run uses: a SQLite file in `folder`, or, with ISH_TEST_DATABASE_URL, a
    database created on that PostgreSQL server and dropped at the end."""
    server = os.environ.get("ISH_TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{folder / (prefix + '.sqlite3')}"
        return
    url = make_url(server).set(drivername="postgresql+psycopg")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@contextmanager
def scratch_database(database_url: str, folder: Path, name: str = "scratch") -> Iterator[str]:
    """An empty database for a test that builds it its own way (a migration test): a new SQLite
    file in `folder`, or on PostgreSQL a schema of its own in the run's database, dropped at the
    end. A schema rather than a database, as DROP DATABASE makes PostgreSQL write every changed
    page to disk (a checkpoint), which took seconds in the middle of a run."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{folder / (name + '.sqlite3')}"
        return
    schema = f"{name}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield make_url(database_url).update_query_dict(
            {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def scratch_database_url(database_url, tmp_path) -> Iterator[str]:
    with scratch_database(database_url, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """A database for this run (for this worker, under pytest-xdist) only, created here and
    dropped at the end; tmp_path_factory gives every xdist worker a folder of its own."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with own_database(tmp_path_factory.mktemp("db"), f"ish_test_{worker}") as url:
        yield url


@pytest.fixture(scope="session")
def migrated_engine(database_url) -> Iterator[Engine]:
    # Through every migration, not the shortcut a new database takes (ish_portal.migrate): the
    # suite runs on the schema the databases made by earlier versions have.
    engine = make_engine(database_url)
    with engine.begin() as connection:
        migrate(connection)
    yield engine
    engine.dispose()


class Emptier:
    """Empties the tables a test wrote to, so the next test starts from an empty database with
    ids counting from 1 again, as on a new one. One query finds the tables that hold rows, and
    only those are emptied: TRUNCATE of every table costs PostgreSQL about a quarter of a second
    whatever the tables hold, where DELETE of a test's few rows costs milliseconds."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.tables = list(reversed(SQLModel.metadata.sorted_tables))  # children before parents
        self.holds_rows = sa.select(*(sa.exists(sa.select(sa.literal(1)).select_from(table))
                                      .label(table.name) for table in self.tables))
        self.sequences: dict[str, list[str]] = {}
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                for table, sequence in connection.exec_driver_sql(
                        "SELECT table_name, pg_get_serial_sequence(quote_ident(table_name), column_name)"
                        " FROM information_schema.columns WHERE table_schema = current_schema()"
                        " AND pg_get_serial_sequence(quote_ident(table_name), column_name) IS NOT NULL"):
                    self.sequences.setdefault(table, []).append(sequence)

    def __call__(self) -> None:
        with self.engine.begin() as connection:
            held = connection.execute(self.holds_rows).one()._mapping
            written = [table for table in self.tables if held[table.name]]
            for table in written:
                connection.execute(table.delete())
            # SQLite gives the next row max(id) + 1, so its ids start again by themselves.
            restarts = [sequence for table in written for sequence in self.sequences.get(table.name, ())]
            if restarts:
                connection.execute(sa.select(*(sa.func.setval(sequence, 1, False)
                                               for sequence in restarts)))


@pytest.fixture(scope="session")
def emptier(migrated_engine) -> Emptier:
    return Emptier(migrated_engine)


@pytest.fixture
def engine(migrated_engine, emptier) -> Iterator[Engine]:
    """The run's database, emptied after each test."""
    yield migrated_engine
    emptier()


@pytest.fixture
def db(engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        if engine.dialect.name == "sqlite":
            _write_from_the_newest_state(session)
        yield session


def _write_from_the_newest_state(session: Session) -> None:
    """A test reads through its session, then writes through it, in one transaction, where the app
    writes only inside db.transaction(). On SQLite a reading transaction's first write is refused
    at once, with no busy wait, whenever another connection holds the write lock (a live server's
    worker takes it to claim its outbox, every second): so before its first write the session
    ends its read snapshot and takes the lock, waiting for it, as db.transaction() does."""
    writing = False

    @sa.event.listens_for(session, "before_flush")
    def _take_the_write_lock(*_) -> None:
        nonlocal writing
        if not writing and not session.in_nested_transaction():  # a savepoint cannot end its snapshot
            connection = session.connection()
            connection.exec_driver_sql("COMMIT")
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            writing = True

    @sa.event.listens_for(session, "after_transaction_end")
    def _done(_session, transaction) -> None:
        nonlocal writing
        if transaction.parent is None:
            writing = False


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SMTPSink]:
    """One SMTP server on loopback for the run (for this worker); `smtp` hands it to each test."""
    sink = SMTPSink(port=free_port())
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def smtp(smtp_server) -> Iterator[SMTPSink]:
    """The run's SMTP server, as new to each test: nothing received, answering 250, running."""
    smtp_server.reset()
    yield smtp_server
    smtp_server.reset()


@pytest.fixture(scope="session")
def run_settings(database_url, smtp_server, tmp_path_factory) -> Settings:
    return Settings(env="development", database_url=database_url, secret_key=TEST_SECRET,
                    smtp_host="127.0.0.1", smtp_port=smtp_server.port, smtp_tls=False, smtp_timeout=5,
                    mail_dir=tmp_path_factory.mktemp("mail"), mail_per_minute=60000, run_sender=False,
                    # Purges only where a test asks for one: the factories' editions end on fixed dates.
                    retention_nightly=False,
                    base_url="http://testserver")


@pytest.fixture
def settings(run_settings, smtp) -> Iterator[Settings]:
    """The run's settings, which the shared app reads too. A test may change them, for itself and
    the app: what it changed is put back afterwards, and the mail folder emptied."""
    saved = dict(run_settings.__dict__)
    yield run_settings
    run_settings.__dict__.clear()
    run_settings.__dict__.update(saved)
    shutil.rmtree(run_settings.mail_dir, ignore_errors=True)
    run_settings.mail_dir.mkdir()


@pytest.fixture(scope="session")
def shared_app(run_settings):
    from ish_portal.main import create_app
    return create_app(run_settings)


@pytest.fixture
def app(shared_app, settings, engine):
    """One app for the run's tests, as for a server's requests: FastAPI works out the dependencies
    of every route of a router on the router's first request to an app, which cost about a tenth of
    the suite's time when every test had an app of its own. Each test still has its own client
    (cookies), settings as it left them put back, and an empty database afterwards."""
    return shared_app


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture(scope="session")
def live_app(run_settings):
    """The app the live servers of this run serve, at one port: built once, as `shared_app` is
    (about a second for a browser journey's pages otherwise). It reads a copy of the run's settings
    made here, so a setting a test changes does not reach a live server."""
    from ish_portal.main import create_app
    port = free_port()
    return create_app(run_settings.model_copy(update={"run_sender": True,
                                                      "base_url": f"http://127.0.0.1:{port}"})), port


@pytest.fixture
def live_server(live_app, settings, engine) -> Iterator[str]:
    """The portal served by uvicorn on 127.0.0.1, with its outbox sender running, for one test."""
    import uvicorn

    app, port = live_app
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive(), "the portal did not start"
        assert time.monotonic() < deadline, "the portal did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)


@pytest.fixture
def deliver(app, settings):
    """Answers the queued requests of the public forms, then runs the outbox sender until nothing
    is due, as the background worker would."""
    from ish_portal.notifications.sender import Sender
    from ish_portal.worker import Worker

    def run() -> int:
        worker = Worker(app.state.engine, settings)
        while worker.answer_requests():
            pass
        return Sender(app.state.engine, settings, name="test-sender").run_until_idle()
    return run


def fresh(db: Session) -> Session:
    """End the test session's transaction, so its next read sees what the app committed since
    (SQLite keeps a reading transaction's snapshot; both keep loaded objects)."""
    db.rollback()
    db.expire_all()
    return db


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def post_form(client, page: str, action: str, data: dict, **kwargs):
    """Open a page and submit one of its forms with the page's CSRF token, as a browser does."""
    text = client.get(page).text
    token = csrf_of(text)
    # A consent form sends back the version of the text it showed, as a browser would.
    shown = re.search(r'name="consent_text" value="([0-9a-f]{64})"', text)
    extra = {"consent_text": shown.group(1)} if shown and "consent_text" not in data else {}
    return client.post(action, data={**extra, **data, "csrf_token": token}, **kwargs)


def sign_in(client, email: str, password: str | None = None):
    """Sign in through the sign-in form, as a person does; the test accounts share one password."""
    from tests.factories import PASSWORD
    response = post_form(client, "/login", "/login", {"email": email, "password": password or PASSWORD})
    assert response.status_code in (200, 303), response.text
    return client


@pytest.fixture
def make():
    from tests import factories
    return factories


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/e2e/" in str(Path(item.fspath)):
            # Each xdist worker that runs a journey starts a browser of its own (tests/e2e/conftest.py).
            item.add_marker(pytest.mark.e2e)


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: journeys in a real browser")
