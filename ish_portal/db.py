"""Database engine, the column types every table shares, and the transaction helpers."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TypeVar

from pydantic import Field
from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine

T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC)


# The largest id a row can have: the tables' ids are INTEGER, which PostgreSQL keeps in 32 bits.
MAX_ID = 2**31 - 1


# A form's field that names a row: a number some row could have (pydantic refuses others with
# the field's message, before any query sees them).
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


def as_id(value: object) -> int | None:
    """A row's id from text people send (an address, a form, a link's parameter): None unless it
    is a whole number some row could have. A larger number is an id of nothing, like any unknown
    one; handed to the database, it would make the driver fail instead (out of range)."""
    number = whole_number(value)
    return number if number is not None and 0 < number <= MAX_ID else None


# The furthest page of a list a link may ask for: its rows are skipped with an OFFSET, which must
# stay a number the databases take (a list past its end shows its last page, or none).
MAX_PAGE = 10**6


def as_page(value: object) -> int:
    """The page of a list asked for in a link: 1 unless it says a whole number; at most MAX_PAGE."""
    number = whole_number(value)
    return 1 if number is None else max(1, min(number, MAX_PAGE))


def whole_number(value: object) -> int | None:
    """The whole number a text says ("12", " 12 "), else None (empty, "1.5", "abc")."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


class UTCDateTime(TypeDecorator):
    """Stores instants in UTC and always gives back aware datetimes, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _sqlite_engine(url: str) -> Engine:
    database = url.split("///", 1)[-1]
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        # Reading transactions begin DEFERRED and never block anyone (WAL). Writing ones, opened
        # by transaction() below, begin IMMEDIATE: they take SQLite's single write lock up front,
        # which makes "read the count, then write" (quotas, outbox claims) atomic across threads
        # and processes, the way SELECT ... FOR UPDATE does on PostgreSQL.
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """One unit of work: commit when the block succeeds, roll everything back when it raises.
    Every change is made inside such a block; reads before it are not part of it."""
    if session.get_bind().dialect.name == "sqlite":
        if session.in_transaction():
            # End the read snapshot: a write must start from the newest state, holding the lock.
            session.commit()
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def read_once(session: Session, key: Hashable, read: Callable[[], T]) -> T:
    """What `read()` gives, read once in this session (a request's or a job's): for a read that
    several parts of one page make alike, such as the labs of an edition by id. Only for what the
    session does not change meanwhile, or forgets (forget_read) when it does."""
    kept = session.info.setdefault("read_once", {})
    if key not in kept:
        kept[key] = read()
    return kept[key]


def forget_read(session: Session, key: Hashable) -> None:
    """The next read_once of `key` reads again: for the code that changes what was read."""
    session.info.get("read_once", {}).pop(key, None)


@contextmanager
def holding_what_is_read(session: Session) -> Iterator[Session]:
    """Keeps every row the session reads as an object alive until the block ends. The session
    holds its objects by weak reference only, so a loop that looks up the same edition and
    organisation for each of thousands of messages reads them again every time once nothing else
    holds them; inside this block each is read once, and `session.get` finds it."""
    held: list[object] = []

    def hold(_session, instance) -> None:
        held.append(instance)

    event.listen(session, "loaded_as_persistent", hold)
    try:
        yield session
    finally:
        event.remove(session, "loaded_as_persistent", hold)
