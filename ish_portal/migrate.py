"""The database's schema: the command line, the demo, the tests and the benchmarks all bring it up
to date through `upgrade`.

Every change of the schema is an Alembic migration (migrations/versions), and a database made by
an earlier version of the portal goes through them. Two cases skip Alembic, as they are what
`ish-portal serve` meets on a new machine and at every restart, and loading and running sixteen
migrations is about half a second of its first request:
- a database with no tables yet is created at the newest schema in one step from the models and
  stamped with the newest revision (Alembic's recipe for a database built from scratch);
  tests/test_migrations.py holds that schema equal to the migrations' own, table by table, index
  by index, constraint by constraint and trigger by trigger (so a column that a migration added
  to a table with rows keeps, in the models too, the server default it gave those rows);
- a database already at the newest revision is left as it is, without importing Alembic."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

import ish_portal.models  # noqa: F401  (registers every table)
from ish_portal.settings import PROJECT_ROOT

MIGRATIONS = PROJECT_ROOT / "migrations"

# The newest migration's revision. A new migration changes it; tests/test_migrations.py says so
# when it is behind Alembic's own head.
HEAD = "0016"

# Alembic's record of a database's revision, as Alembic itself creates it.
_VERSION = sa.Table("alembic_version", sa.MetaData(),
                    sa.Column("version_num", sa.String(32), nullable=False),
                    sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"))

# Several processes may start on one PostgreSQL database at once (ish-portal serve --workers, a
# deployment starting its app processes together): one changes the schema while the others wait
# for it and then find it up to date. The key is this lock's alone (the retention purge's is
# 0x15_4E_7E).
_SCHEMA_LOCK = 0x15_5C_4E


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Brings the database to `revision` (the newest by default) in one transaction."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
        if revision in ("head", HEAD):
            current = current_revision(connection)
            if current == HEAD:
                return
            if current is None and not sa.inspect(connection).get_table_names():
                create_newest(connection)
                return
        migrate(connection, revision)


def current_revision(connection: Connection) -> str | None:
    if not sa.inspect(connection).has_table(_VERSION.name):
        return None
    return connection.execute(sa.select(_VERSION.c.version_num)).scalar()


def create_newest(connection: Connection) -> None:
    """An empty database at the newest schema, straight from the models, stamped as such."""
    SQLModel.metadata.create_all(connection)
    _VERSION.create(connection)
    connection.execute(_VERSION.insert().values(version_num=HEAD))


def migrate(connection: Connection, revision: str = "head") -> None:
    """Runs the migrations from the database's revision to `revision`, in the caller's transaction."""
    from alembic import command

    config = alembic_config(str(connection.engine.url))
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def alembic_config(url: str):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def schema_differences(engine: Engine) -> list:
    """What autogenerate would change: empty when the migrations and the models agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)
