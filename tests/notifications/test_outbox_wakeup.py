"""An idle sender hears of new mail as soon as it commits: the outbox trigger notifies on
PostgreSQL and the sender LISTENs; on SQLite the sender polls."""

import threading
import time

import psycopg
import pytest
from sqlmodel import select

from ish_portal.db import transaction
from ish_portal.notifications.models import OutboxMessage, OutboxStatus
from ish_portal.notifications.catalog import Reader
from ish_portal.notifications.service import enqueue
from tests import factories
from ish_portal.notifications.sender import Sender
from ish_portal.worker import Worker
from tests.conftest import fresh

# Far longer than the tests take: a worker polling this rarely is woken only by a notification
# (or, after a minute, for its housekeeping; see below).
NEVER = 3600.0
# A wait that ends with True got its notification; without one it would end False, after this.
ANNOUNCED = 60.0


def facts(db) -> dict:
    """The facts of an applicant's personal link: a real nomination, made before the change."""
    nomination = factories.nomination(db, factories.edition(db), factories.organisation(db))
    return {"nomination": nomination.id, "days": 14}


def queue(db, to="noemie@example.org", **options):
    about = facts(db)
    with transaction(db):
        return enqueue(db, "applicant_access", Reader(to, "Noémie"), about, **options)


def until(condition, seconds=30.0):
    """Wait for something the worker does in the background; only a bound against hanging."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.01)


@pytest.fixture
def postgresql(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("notifications exist on PostgreSQL only")


def test_worker_sends_a_new_message_when_its_commit_wakes_it(db, engine, settings, smtp):
    worker = Worker(engine, settings)
    stop = threading.Event()
    listens = engine.dialect.name == "postgresql"
    # On PostgreSQL the poll never comes in the test's time: only the notification can wake it.
    thread = threading.Thread(target=worker.run_forever, args=(stop, NEVER if listens else 0.05))
    thread.start()
    try:
        # Idle means it has listened (on PostgreSQL), claimed nothing and now waits.
        until(worker.waiting.is_set)
        queue(db)
        until(lambda: len(smtp.messages) == 1)
        until(lambda: fresh(db).exec(select(OutboxMessage.status)).one() == OutboxStatus.SENT)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    if listens:
        # Woken by the notification, never by the end of a wait (housekeeping would end its
        # first wait only after a minute, and the poll never).
        assert worker.sender.wakeups["notified"] >= 1
        assert worker.sender.wakeups["timeout"] == 0
    else:
        assert worker.sender.wakeups["notified"] == 0


def test_sender_hears_of_mail_that_became_due_and_of_nothing_else(postgresql, db, engine, settings, smtp):
    sender = Sender(engine, settings)
    try:
        assert sender.listen() is True
        assert sender.wait_for_work(0.5) is False  # nothing happened

        draft = queue(db, to="draft@example.org", draft=True, batch="b1")
        assert sender.wait_for_work(0.5) is False  # a draft is not due

        draft.status = OutboxStatus.QUEUED  # released, as an organiser does
        with transaction(db):
            db.add(draft)
        assert sender.wait_for_work(ANNOUNCED) is True

        smtp.answer = "451 4.3.0 Try again later"
        assert sender.run_until_idle() == 1  # put back to the queue, due only in 30 s
        assert sender.wait_for_work(0.5) is False

        about = facts(db)
        with pytest.raises(RuntimeError):
            with transaction(db):
                enqueue(db, "applicant_access", Reader("rolled@example.org", "Noémie"), about)
                raise RuntimeError("the change failed")
        assert sender.wait_for_work(0.5) is False  # nothing committed, nothing announced

        queue(db, to="new@example.org")
        assert sender.wait_for_work(ANNOUNCED) is True
    finally:
        sender.close()


def test_sender_listening_again_after_losing_its_connection_says_to_look(postgresql, engine, settings):
    sender = Sender(engine, settings)
    try:
        assert sender.wait_for_work(ANNOUNCED) is True  # just started listening: look first
        with engine.begin() as connection:  # the listening connection ends, as in a restart
            assert connection.exec_driver_sql(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND query = 'LISTEN ish_outbox'").scalar() >= 1
        with pytest.raises(psycopg.OperationalError):
            sender.wait_for_work(ANNOUNCED)
        assert sender.wait_for_work(ANNOUNCED) is True  # listening again: look first
        assert sender.wakeups["listening"] == 2
    finally:
        sender.close()
