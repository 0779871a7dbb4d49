"""The schema two ways: through every migration (a database made by an earlier version of the
portal) and in one step from the models (a new database, ish_portal.migrate). Both must be the
same database, down to what autogenerate does not compare: partial indexes' conditions, the
constraints' definitions and PostgreSQL's triggers and their functions. Run against SQLite by
default and against PostgreSQL when ISH_TEST_DATABASE_URL is set."""

import re
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from ish_portal import migrate
from ish_portal.db import make_engine
from ish_portal.migrate import HEAD, schema_differences
from tests.conftest import scratch_database


def test_migrations_match_the_models(migrated_engine):
    assert schema_differences(migrated_engine) == []


def test_head_is_the_newest_migration():
    from alembic.script import ScriptDirectory

    newest = ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_current_head()
    assert HEAD == newest, f"a migration was added: set ish_portal.migrate.HEAD to {newest!r}"


def test_a_new_database_has_the_schema_the_migrations_give(database_url, tmp_path):
    with scratch_database(database_url, tmp_path, "through") as through, \
            scratch_database(database_url, tmp_path, "new") as new:
        through_engine, new_engine = make_engine(through), make_engine(new)
        try:
            with through_engine.begin() as connection:
                migrate.migrate(connection)
            migrate.upgrade(new_engine)
            with through_engine.connect() as a, new_engine.connect() as b:
                assert migrate.current_revision(b) == migrate.current_revision(a) == HEAD
                migrated, created = catalogue(a), catalogue(b)
            assert len(created["tables"]) > 40
            if new_engine.dialect.name == "postgresql":
                assert {"outbox_announce", "public_request_announce"} <= set(created["triggers"])
            for part in migrated:
                assert created[part] == migrated[part], part
        finally:
            through_engine.dispose()
            new_engine.dispose()


def test_a_database_at_the_newest_revision_is_left_alone_without_alembic(scratch_database_url):
    engine = make_engine(scratch_database_url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    # A process of its own: this one has imported Alembic already.
    script = ("import sys; from ish_portal.db import make_engine; from ish_portal.migrate import upgrade; "
              f"upgrade(make_engine({scratch_database_url!r})); print(sorted(m for m in sys.modules if m.startswith('alembic')))")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parent.parent)
    assert run.stdout.strip() == "[]"


def catalogue(connection) -> dict[str, dict]:
    return (_postgresql if connection.dialect.name == "postgresql" else _sqlite)(connection)


def _rows(connection, sql: str) -> list[tuple]:
    return [tuple(row) for row in connection.exec_driver_sql(sql)]


def _sqlite(connection) -> dict[str, dict]:
    tables, indexes, keys = {}, {}, {}
    names = [name for (name,) in _rows(connection, "SELECT name FROM sqlite_master WHERE type = 'table' "
                                                   "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    conditions = {name: _where(sql) for name, sql in _rows(
        connection, "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
    for table in names:
        # Columns by name: rebuilding a table in a migration may put them in another order.
        tables[table] = {name: (kind.upper(), notnull, default, pk)
                         for _, name, kind, notnull, default, pk, _ in _rows(connection, f"PRAGMA table_xinfo('{table}')")}
        found = set()
        for _, name, unique, origin, partial in _rows(connection, f"PRAGMA index_list('{table}')"):
            columns = tuple(column for _, _, column in _rows(connection, f"PRAGMA index_info('{name}')"))
            # Indexes SQLite makes for a UNIQUE or PRIMARY KEY are numbered as made: known by columns.
            label = f"{origin}:{','.join(columns)}" if name.startswith("sqlite_autoindex") else name
            found.add((label, columns, unique, origin, partial, conditions.get(name)))
        indexes[table] = found
        keys[table] = {row[2:] for row in _rows(connection, f"PRAGMA foreign_key_list('{table}')")}
    return {"tables": tables, "indexes": indexes, "foreign keys": keys}


def _where(sql: str) -> str | None:
    match = re.search(r"\bWHERE\b(.*)$", sql, re.IGNORECASE | re.DOTALL)
    return " ".join(match.group(1).split()) if match else None


def _postgresql(connection) -> dict[str, dict]:
    schema = connection.exec_driver_sql("SELECT current_schema()").scalar()
    here = f"(SELECT oid FROM pg_namespace WHERE nspname = '{schema}')"

    def rows(sql: str) -> list[tuple]:
        # Definitions name their schema, and each of the two databases is a schema of its own.
        return [tuple(value.replace(f"{schema}.", "") if isinstance(value, str) else value for value in row)
                for row in _rows(connection, sql)]

    tables: dict[str, dict] = {}
    for table, name, *rest in rows("SELECT table_name, column_name, data_type, character_maximum_length, "
                                   "is_nullable, column_default FROM information_schema.columns "
                                   f"WHERE table_schema = '{schema}'"):
        tables.setdefault(table, {})[name] = tuple(rest)
    return {
        "tables": tables,
        "indexes": dict(rows(f"SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = '{schema}'")),
        "constraints": {(table, name): definition for table, name, definition in rows(
            f"SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            f"WHERE connamespace = {here}")},
        "triggers": dict(rows("SELECT tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                              f"JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT tgisinternal AND c.relnamespace = {here}")),
        "functions": dict(rows(f"SELECT proname, pg_get_functiondef(oid) FROM pg_proc WHERE pronamespace = {here}")),
        "sequences": set(rows("SELECT sequence_name, data_type FROM information_schema.sequences "
                              f"WHERE sequence_schema = '{schema}'")),
    }
