"""What benchmarks share: a database of a benchmark's own (a SQLite file in a temporary folder, or
a database created on a PostgreSQL server for the run and dropped at its end, whatever happens in
between), and the portal served by uvicorn in a process of its own on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
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


ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served(url: str) -> Iterator[tuple[int, int]]:
    """The portal on `url`'s database, in a uvicorn process of its own (no outbox sender); yields
    its port and process id once it accepts connections."""
    port = _free_port()
    env = os.environ | {"ISH_ENV": "development", "ISH_DATABASE_URL": url, "ISH_RUN_SENDER": "false"}
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "ish_portal.main:create_app", "--factory",
                                "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                               env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the portal did not start") from None
                time.sleep(0.1)
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=15)
