"""The background work of the portal: answering what was asked through the public forms (a
personal link, a password reset: the page answered at once, the looking up and the email are done
here), delivering the outbox and, once a minute, letting offers
that nobody answered in time expire, releasing the organisers' messages whose set time has come,
and sending the reminders (offers about to expire, drafts still incomplete before the nomination
deadline, labs not ranked before preferences close, reviews still open before the review deadline,
interviews the day before) and, once a night on one process, the retention
purge. Runs as a thread in each `ish-portal serve` process and as
`ish-portal outbox work` on its own; any number may run at once."""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.engine import Engine
from sqlmodel import Session

from ish_portal import areas  # noqa: F401  (every message kind and letter, for rendering at send time)
from ish_portal.accounts.service import LinkSettings, answer_public_requests, forget_old_public_requests
from ish_portal.interviews.service import send_interview_reminders
from ish_portal.mailings.messages import send_ranking_reminders
from ish_portal.mailings.service import release_due
from ish_portal.nominations.messages import send_missing_documents_reminders
from ish_portal.notifications.sender import Sender
from ish_portal.panel.service import send_review_reminders
from ish_portal.placement.messages import send_offer_reminders
from ish_portal.placement.offers import expire_overdue_offers
from ish_portal.retention.service import claimed_today, run_nightly
from ish_portal.settings import Settings
from ish_portal.db import holding_what_is_read, utcnow
from ish_portal.text.timefmt import zone

log = logging.getLogger("ish_portal.worker")
HOUSEKEEPING_SECONDS = 60
# A process's first housekeeping waits this long after it starts. Its statements run (and are
# compiled) for the first time then, and in the same interpreter as the first pages, which have
# theirs to compile too: the reminders and expiries can wait a few seconds, the first visitor not.
FIRST_HOUSEKEEPING_AFTER_SECONDS = 5
# The nightly retention purge runs in the first housekeeping round from this hour (Heidelberg).
RETENTION_HOUR = 2
POLL_AFTER_FAILURE_SECONDS = 1.0


class Worker:
    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.sender = Sender(engine, settings)
        self._next_housekeeping = time.monotonic() + FIRST_HOUSEKEEPING_AFTER_SECONDS
        # Set while the worker waits for work (nothing due), for anyone who needs to know it is
        # idle, such as the test that a notification and not the poll wakes it.
        self.waiting = threading.Event()

    def session(self) -> Session:
        """A session whose messages link to the portal's public address."""
        return Session(self.engine, info={"base_url": self.settings.base_url})

    def answer_requests(self) -> int:
        """Answers the queued requests of the public forms (their emails go to the outbox)."""
        links = LinkSettings(self.settings.base_url, self.settings.access_link_days,
                             self.settings.password_reset_hours)
        with self.session() as session:
            return answer_public_requests(session, links)

    def housekeeping(self) -> None:
        with self.session() as session:
            forget_old_public_requests(session)
        with self.session() as session:
            expired = expire_overdue_offers(session)
        if expired:
            log.info("%d offer(s) expired", expired)
        # Each job runs on its own, so a failure in one does not hold back the others.
        try:
            self.nightly_retention()
        except Exception:
            log.exception("worker %s: the retention purge failed", self.sender.name)
        for job in (release_due, send_offer_reminders, send_missing_documents_reminders, send_ranking_reminders,
                    send_review_reminders, send_interview_reminders):
            try:
                with self.session() as session, holding_what_is_read(session):  # a message to each of many
                    sent = job(session, self.settings.base_url)
                if sent:
                    log.info("%s: %d message(s)", job.__name__, sent)
            except Exception:
                log.exception("worker %s: %s failed", self.sender.name, job.__name__)

    def nightly_retention(self, now=None) -> None:
        """The retention purge, once a Heidelberg night (from RETENTION_HOUR on): every process
        asks, the first to claim the day runs it (see retention.service.run_nightly)."""
        now = now or utcnow()
        if not self.settings.retention_nightly or now.astimezone(zone()).hour < RETENTION_HOUR:
            return
        with self.session() as session:
            if claimed_today(session, now):
                return
            outcome = run_nightly(session, now, base_url=self.settings.base_url)
            if outcome.ran:
                log.info("retention: %s", "; ".join(outcome.lines()) or "nothing due")

    def run_forever(self, stop: threading.Event, poll_seconds: float | None = None) -> None:
        """Batch after batch while mail is due; when none is, wait for the sender's wake-up (a
        notification on PostgreSQL) or the poll, and for the next housekeeping at the latest."""
        poll_seconds = poll_seconds or self.sender.poll_seconds
        log.info("worker %s started", self.sender.name)
        while not stop.is_set():
            try:
                self.sender.listen()  # before the claim: then no commit after it goes unheard
                if time.monotonic() >= self._next_housekeeping:
                    self._next_housekeeping = time.monotonic() + HOUSEKEEPING_SECONDS
                    self.housekeeping()
                answered = self.answer_requests()
                if self.sender.run_once() or answered:
                    continue
                self.sender.idle()
                self.waiting.set()
                try:
                    self.sender.wait_for_work(
                        min(poll_seconds, max(self._next_housekeeping - time.monotonic(), 0)), stop)
                finally:
                    self.waiting.clear()
            except Exception:  # a database hiccup must not end the worker for good
                log.exception("worker %s: round failed", self.sender.name)
                stop.wait(POLL_AFTER_FAILURE_SECONDS)
        self.sender.close()
        log.info("worker %s stopped", self.sender.name)


def start_background_worker(engine: Engine, settings: Settings) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=Worker(engine, settings).run_forever, args=(stop,),
                              name="ish-worker", daemon=True)
    thread.start()
    return thread, stop
