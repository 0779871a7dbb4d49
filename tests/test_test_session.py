"""The tests' own database session writes the way the app does. A browser journey reads through
it, then writes, while the live server's worker claims its outbox every second: on SQLite the
worker holds the write lock for a moment each time, and SQLite refuses a reading transaction's
write at once ("database is locked", without the busy wait) if another writer holds the lock."""

import threading

from sqlmodel import select

from ish_portal.programme.models import Organisation
from tests.conftest import fresh


def test_a_write_after_a_read_waits_for_another_writer_instead_of_failing(db, engine, make):
    organisation = make.organisation(db, name="Montpellier")
    fresh(db).exec(select(Organisation)).all()  # the session now reads from a snapshot

    holding, release = threading.Event(), threading.Event()

    def another_writer():
        with engine.connect().execution_options(sqlite_begin="IMMEDIATE") as connection:
            with connection.begin():
                holding.set()
                release.wait(10)

    writer = threading.Thread(target=another_writer)
    writer.start()
    assert holding.wait(10)
    threading.Timer(0.3, release.set).start()
    try:
        organisation.name = "Montpellier Méditerranée"
        db.add(organisation)
        db.commit()
    finally:
        release.set()
        writer.join(10)

    assert fresh(db).get(Organisation, organisation.id).name == "Montpellier Méditerranée"
