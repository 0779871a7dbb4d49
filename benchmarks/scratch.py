"""A database of a benchmark's own: a SQLite file in a temporary folder, or a database created on
a PostgreSQL server for the run and dropped at its end, whatever happens in between."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url


@contextmanager
def scratch_database(server: str | None, filename: str = "bench.sqlite3") -> Iterator[str]:
    """Yields the URL of an empty database: on `server` (a PostgreSQL URL) when given, else SQLite."""
    if not server:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / filename}"
        return
    base = make_url(server).set(drivername="postgresql+psycopg")
    name = f"ish_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
