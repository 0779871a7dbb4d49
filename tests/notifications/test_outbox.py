"""The outbox: mail is a row written with the change that causes it, delivered over real SMTP,
retried with backoff, and never sent twice."""

import re
import threading
from collections import Counter
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from ish_portal.db import transaction, utcnow
from ish_portal.notifications.models import DeliveryAttempt, OutboxMessage, OutboxStatus
from ish_portal.notifications.sender import Sender, retry_delay
from ish_portal.notifications.catalog import Reader
from ish_portal.notifications.service import enqueue
from tests import factories
from tests.conftest import free_port, fresh, post_form
from tests.factories import PASSWORD
from tests.smtp import SMTPSink, _Handler


def access_link(db, to: str, name: str = "Noémie") -> None:
    """An applicant's personal link to `to`: a message whose facts are a real nomination."""
    edition = factories.edition(db)
    nomination = factories.nomination(db, edition, factories.organisation(db), given_name=name, email=to)
    enqueue(db, "applicant_access", Reader(to, name), {"nomination": nomination.id, "days": 14})


def queue(db, to="noemie@example.org", count=1):
    for n in range(count):
        access_link(db, to.replace("@", f"+{n}@") if count > 1 else to)
    db.commit()


def row(db) -> OutboxMessage:
    db.expire_all()
    return db.exec(select(OutboxMessage)).one()


def attempts(db) -> list[DeliveryAttempt]:
    return list(db.exec(select(DeliveryAttempt).order_by(DeliveryAttempt.id)).all())


def test_outbox_row_is_written_only_if_the_change_commits(db):
    nomination = factories.nomination(db, factories.edition(db), factories.organisation(db))
    with pytest.raises(RuntimeError):
        with transaction(db):
            enqueue(db, "applicant_access", Reader("noemie@example.org", "Noémie"),
                    {"nomination": nomination.id, "days": 14})
            raise RuntimeError("the change failed")
    assert db.exec(select(OutboxMessage)).all() == []


def test_outbox_sender_delivers_html_and_text_with_a_stable_message_id(db, engine, settings, smtp):
    queue(db)
    assert Sender(engine, settings).run_until_idle() == 1
    [message] = smtp.to("noemie@example.org")
    stored = row(db)
    assert stored.status == OutboxStatus.SENT
    assert message["Message-ID"] == f"<{stored.message_id}@ish.example>"
    assert message["From"] == "ISH Heidelberg <ish@ish.example>"
    assert message["Subject"] == "Your personal link to the ISH portal"
    assert "Dear Noémie," in smtp.text_of(message)
    assert re.search(r'<a href="http://127\.0\.0\.1:8000/access/[\w-]{43}">', smtp.html_of(message))
    assert [(a.succeeded, a.smtp_code) for a in attempts(db)] == [(True, 250)]


def test_outbox_temporary_failure_is_retried_later_with_the_same_message_id(db, engine, settings, smtp):
    queue(db)
    smtp.answer = "451 4.3.0 Mailbox busy, try again later"
    before = utcnow()
    Sender(engine, settings).run_until_idle()
    waiting = row(db)
    assert (waiting.status, waiting.attempts) == (OutboxStatus.QUEUED, 1)
    assert waiting.last_error == "4.3.0 Mailbox busy, try again later"
    assert before + timedelta(seconds=29) < waiting.next_attempt_at < utcnow() + timedelta(seconds=31)
    assert Sender(engine, settings).run_until_idle() == 0  # not due yet

    smtp.answer = None
    waiting.next_attempt_at = utcnow()
    db.add(waiting)
    db.commit()
    Sender(engine, settings).run_until_idle()
    sent = row(db)
    assert (sent.status, sent.attempts) == (OutboxStatus.SENT, 2)
    assert [m["Message-ID"] for m in smtp.messages] == [f"<{sent.message_id}@ish.example>"]
    assert [(a.succeeded, a.smtp_code) for a in attempts(db)] == [(False, 451), (True, 250)]


def test_outbox_permanent_failure_is_marked_with_the_servers_answer(db, engine, settings, smtp):
    queue(db)
    smtp.answer = "550 5.1.1 No such user here"
    Sender(engine, settings).run_until_idle()
    failed = row(db)
    assert (failed.status, failed.attempts) == (OutboxStatus.FAILED, 1)
    assert failed.last_error == "5.1.1 No such user here"
    assert smtp.messages == []


def test_outbox_server_down_then_back_delivers_each_message_exactly_once(db, engine, settings, smtp):
    queue(db, count=3)
    smtp.stop()
    Sender(engine, settings).run_until_idle()
    db.expire_all()
    rows = db.exec(select(OutboxMessage)).all()
    assert [(r.status, r.attempts) for r in rows] == [(OutboxStatus.QUEUED, 1)] * 3
    smtp.start()
    for r in rows:
        r.next_attempt_at = utcnow()
        db.add(r)
    db.commit()
    Sender(engine, settings).run_until_idle()
    Sender(engine, settings).run_until_idle()
    assert sorted(smtp.address_of(m) for m in smtp.messages) == [
        "noemie+0@example.org", "noemie+1@example.org", "noemie+2@example.org"]


def test_outbox_backoff_doubles_up_to_an_hour():
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 8, 20)] == [30, 60, 120, 3600, 3600]


def test_outbox_two_senders_side_by_side_send_nothing_twice(db, engine, settings, smtp):
    queue(db, count=60)
    senders = [Sender(engine, settings, name=f"sender-{n}", batch_size=5) for n in range(2)]
    threads = [threading.Thread(target=s.run_until_idle) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    counts = Counter(m["Message-ID"] for m in smtp.messages)
    assert len(counts) == 60
    assert set(counts.values()) == {1}
    by_sender = Counter(a.sender for a in attempts(db))
    assert sum(by_sender.values()) == 60


def test_outbox_claim_of_a_crashed_sender_is_taken_over_after_its_lease(db, engine, settings, smtp):
    queue(db)
    crashed = Sender(engine, settings, name="crashed")
    claim, ids = crashed.claim()  # ... and then the process dies before sending
    assert Sender(engine, settings).run_until_idle() == 0  # the lease still holds
    stuck = row(db)
    stuck.claim_expires_at = utcnow() - timedelta(seconds=1)
    db.add(stuck)
    db.commit()
    assert Sender(engine, settings, name="rescuer").run_until_idle() == 1
    assert row(db).status == OutboxStatus.SENT
    assert len(smtp.messages) == 1


def test_outbox_without_smtp_host_writes_eml_files_shown_on_the_sent_mail_page(
        db, engine, settings, smtp, client, make):
    settings.smtp_host = None
    queue(db)
    Sender(engine, settings).run_until_idle()
    files = list(settings.mail_dir.glob("*.eml"))
    assert [f.name for f in files] == [f"{row(db).id:07d}-applicant_access.eml"]
    assert smtp.messages == []

    organiser = make.organiser(db)
    post_form(client, "/login", "/login", {"email": organiser.email, "password": PASSWORD})
    listing = client.get("/organiser/mail")
    assert "Your personal link to the ISH portal" in listing.text
    detail = client.get(f"/organiser/mail/{files[0].name}")
    assert "Dear Noémie," in detail.text
    assert client.get("/organiser/mail/..%2Fsecret.eml").status_code == 404


def test_sent_mail_page_does_not_exist_in_production(db, settings, engine, make):
    from fastapi.testclient import TestClient

    from ish_portal.main import create_app
    production = settings.model_copy(update={"env": "production"})
    organiser = make.organiser(db)
    with TestClient(create_app(production), base_url="https://testserver") as client:
        post_form(client, "/login", "/login", {"email": organiser.email, "password": PASSWORD})
        assert client.get("/organiser/mail").status_code == 404


def test_outbox_values_people_typed_are_escaped_in_html(db, engine, settings, smtp):
    access_link(db, "x@example.org", name="<script>alert(1)</script>")
    db.commit()
    Sender(engine, settings).run_until_idle()
    html = smtp.html_of(smtp.messages[0])
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


class PeerSink(SMTPSink):
    """The tests' SMTP server, also noting the connection (client address) of every message."""

    def start(self) -> None:
        sink = self

        class Handler(_Handler):
            async def handle_DATA(self, server, session, envelope):
                sink.peers.append(session.peer)
                return await super().handle_DATA(server, session, envelope)

        self.peers = []
        self._controller = Controller(Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()


def test_outbox_sender_keeps_one_connection_while_work_keeps_coming(db, engine, settings):
    sink = PeerSink(port=free_port())
    sink.start()
    try:
        queue(db, count=5)
        sender = Sender(engine, settings.model_copy(update={"smtp_port": sink.port}), batch_size=2)
        assert sender.run_until_idle() == 5  # three batches
        assert len(sink.messages) == 5
        assert len(set(sink.peers)) == 1

        queue(db, to="later@example.org")  # idle in between: the connection was let go
        assert sender.run_until_idle() == 1
        assert len(set(sink.peers)) == 2
    finally:
        sink.stop()


def test_outbox_slow_batch_is_recorded_as_it_goes(db, engine, settings, smtp):
    # At 30 messages a minute a batch of three takes four seconds: what was sent is marked sent
    # within about a second, not only at the end, so a crash would not have it sent again.
    queue(db, count=3)
    now = [1000.0]
    sent_before_each_pause = []

    def sleep(seconds: float) -> None:
        sent_before_each_pause.append(len(fresh(db).exec(select(OutboxMessage).where(
            OutboxMessage.status == OutboxStatus.SENT)).all()))
        now[0] += seconds

    sender = Sender(engine, settings.model_copy(update={"mail_per_minute": 30}),
                    clock=lambda: now[0], sleep=sleep)
    assert sender.run_until_idle() == 3
    assert sent_before_each_pause == [1, 2]
    assert [(r.status, r.attempts) for r in fresh(db).exec(select(OutboxMessage))] == [(OutboxStatus.SENT, 1)] * 3
