"""The retention schedule and the purge.

Each edition keeps six classes of personal data for a period of whole months, counted from a
named event:

- the programme's end (the edition's last day) for the five classes every candidate of the edition
  has: medical notes and dietary needs, passport details, uploaded documents, contact details of
  guardians and emergency contacts, interview notes and review comments;
- the final decision for everything personal of candidates who were not accepted (rejected,
  withdrawn, declined, expired): the moment the nomination entered the status it still has (the
  newest "status_changed" event of the audit log into that status). A rejected or expired
  candidate can still be taken back while the edition runs, so for them the final decision is
  never earlier than the programme's end. Candidates never decided either way (a draft never
  submitted, one still submitted, approved or offered when the programme ended) were not accepted
  either: their final decision is the programme's end.

A period of N months ends on the same day of the month N months later (the month's last day when
it has no such day); on that day, Heidelberg's date, the data is due. The purge deletes only what
is due, writes one audit event per edition and class and tells the organisers; run again it finds
nothing (what went is gone, so it is not counted twice). It holds a lock for its whole run
(PostgreSQL: an advisory lock; SQLite: the write lock), so two processes starting it at once
purge once; the nightly run also claims its day in retention_run."""

from __future__ import annotations

import calendar
import os
import socket
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, text, type_coerce
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ish_portal.accounts.models import Role, User
from ish_portal.accounts.service import reader_of
from ish_portal.applicants.service import ERASED, is_erased, strip_personal_data
from ish_portal.audit.models import AuditEvent
from ish_portal.audit.service import SYSTEM, Actor, record
from ish_portal.db import UTCDateTime, transaction, utcnow
from ish_portal.errors import DomainError
from ish_portal.interviews.models import InterviewBooking
from ish_portal.nominations.models import ConsentKind, ConsentRecord, Document, Interview, Nomination, NominationStatus as S
from ish_portal.nominations.service import delete_document_with_bytes
from ish_portal.notifications.service import enqueue, forget_messages
from ish_portal.panel.service import forget_review_comments
from ish_portal.programme.models import Edition
from ish_portal.programme.service import when_an_edition_is_copied
from ish_portal.retention.models import RetentionPeriod, RetentionRun
from ish_portal.text.i18n import N_, gettext as _
from ish_portal.text.timefmt import zone

PROGRAMME_END = "programme_end"
FINAL_DECISION = "final_decision"
NOT_ACCEPTED = (S.REJECTED, S.WITHDRAWN, S.DECLINED, S.EXPIRED)
# Not accepted, but can still be taken back until the edition ends.
REVERSIBLE = (S.REJECTED, S.EXPIRED)
# Never decided either way (a draft never submitted, a candidate still under review, waitlisted or
# with an unanswered offer): once the programme is over they were not accepted either, as of its end.
LEFT_OVER = (S.DRAFT, S.SUBMITTED, S.APPROVED, S.OFFERED)
MAX_MONTHS = 120
LOCK_KEY = 0x15_4E_7E  # pg_advisory_xact_lock key of the purge


@dataclass(frozen=True)
class DataClass:
    key: str
    label: str          # N_(...), through _() when shown
    default_months: int
    event: str          # PROGRAMME_END or FINAL_DECISION
    fields: tuple[str, ...] = field(default=())  # the nomination's fields it holds


CLASSES: tuple[DataClass, ...] = (
    DataClass("medical", N_("Medical notes and dietary needs"), 1, PROGRAMME_END,
              ("medical_notes", "dietary_needs")),
    DataClass("passport", N_("Passport details (name in the passport, number, expiry)"), 3, PROGRAMME_END,
              ("passport_name", "passport_number", "passport_expiry")),
    DataClass("documents", N_("Uploaded documents"), 6, PROGRAMME_END),
    DataClass("contacts", N_("Contact details of guardians and emergency contacts"), 6, PROGRAMME_END,
              ("guardian_name", "guardian_email", "guardian_consent_name", "emergency_contact_name",
               "emergency_contact_phone")),
    DataClass("review", N_("Interview notes and review comments"), 12, PROGRAMME_END,
              ("eligibility_reason",)),
    DataClass("not_accepted", N_("Everything personal of candidates who were not accepted"), 6, FINAL_DECISION),
)
BY_KEY = {c.key: c for c in CLASSES}
DEFAULTS = {c.key: c.default_months for c in CLASSES}


def class_label(key: str) -> str:
    return _(BY_KEY[key].label)


def event_label(event: str) -> str:
    return {PROGRAMME_END: _("after the programme's last day"),
            FINAL_DECISION: _("after the final decision (rejected, withdrawn, declined or expired)")}[event]


def field_name(key: str) -> str:
    """The form field of a class's period."""
    return f"retention_{key}"


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def today_in_heidelberg(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(zone()).date()


# -- the schedule -----------------------------------------------------------------------------------

def periods(session: Session, edition_id: int) -> dict[str, int]:
    """Months per class for one edition: what the organisers set, else the default."""
    chosen = {row.data_class: row.months for row in session.exec(
        select(RetentionPeriod).where(RetentionPeriod.edition_id == edition_id))}
    return {c.key: chosen.get(c.key, c.default_months) for c in CLASSES}


def parse_periods(values: dict[str, Any]) -> dict[str, int]:
    """The months of each class from a form; DomainError naming every wrong field."""
    months, errors = {}, {}
    for data_class in CLASSES:
        raw = str(values.get(field_name(data_class.key), "")).strip()
        if raw.isdigit() and int(raw) <= MAX_MONTHS:
            months[data_class.key] = int(raw)
        else:
            errors[field_name(data_class.key)] = _(
                "%(field)s: enter a whole number of months from 0 to %(max)d.",
                field=class_label(data_class.key), max=MAX_MONTHS)
    if errors:
        raise DomainError(fields=errors)
    return months


def set_periods(session: Session, organiser: User, edition_id: int, values: dict[str, Any]) -> bool:
    """Saves the periods from the settings form; True when one changed. One audit event names
    every change."""
    months = parse_periods(values)
    with transaction(session):
        before = periods(session, edition_id)
        rows = {row.data_class: row for row in session.exec(
            select(RetentionPeriod).where(RetentionPeriod.edition_id == edition_id))}
        changes = {}
        for key, value in months.items():
            if value != before[key]:
                changes[key] = [before[key], value]
            row = rows.get(key) or RetentionPeriod(edition_id=edition_id, data_class=key, months=value)
            if row.id is None or row.months != value:
                row.months, row.updated_by_id, row.updated_at = value, organiser.id, utcnow()
                session.add(row)
        if changes:
            record(session, Actor.of_user(organiser), "retention_schedule_changed", "edition", edition_id,
                   changes=changes, edition_id=edition_id)
    return bool(changes)


# -- what is held, and when it is due ----------------------------------------------------------------

def _holds(key: str):
    """The condition on Nomination that it still holds data of this class."""
    n = Nomination
    if key == "medical":
        return or_(n.medical_notes != "", n.dietary_needs != "")
    if key == "passport":
        return or_(n.passport_number != "", n.passport_expiry.is_not(None), n.passport_name != "")
    if key == "documents":
        return exists().where(Document.nomination_id == n.id)
    if key == "contacts":
        return or_(n.guardian_name != "", n.guardian_email != "", n.guardian_consent_name != "",
                   n.emergency_contact_name != "", n.emergency_contact_phone != "")
    if key == "review":
        return or_(n.eligibility_reason != "",
                   exists().where(Interview.nomination_id == n.id, Interview.notes != ""),
                   exists().where(InterviewBooking.nomination_id == n.id, InterviewBooking.notes != ""))
    if key == "not_accepted":
        return and_(n.status.in_(NOT_ACCEPTED + LEFT_OVER), ~n.email.like("erased-%@invalid"))
    raise KeyError(key)


def final_decisions(session: Session, edition: Edition) -> dict[int, date]:
    """Heidelberg's date of the final decision of every not-accepted candidate of the edition who
    still has personal data (see the module's description)."""
    entered = (select(AuditEvent.nomination_id, type_coerce(func.max(AuditEvent.occurred_at), UTCDateTime).label("at"))
               .join(Nomination, Nomination.id == AuditEvent.nomination_id)
               .where(AuditEvent.action == "status_changed", AuditEvent.to_state == Nomination.status,
                      Nomination.edition_id == edition.id)
               .group_by(AuditEvent.nomination_id).subquery())
    rows = session.exec(select(Nomination.id, Nomination.status, Nomination.updated_at, entered.c.at)
                        .outerjoin(entered, entered.c.nomination_id == Nomination.id)
                        .where(Nomination.edition_id == edition.id, _holds("not_accepted"))).all()
    decided = {}
    for nomination_id, status, updated_at, at in rows:
        moment = at or updated_at
        day = moment.astimezone(zone()).date()
        if status in LEFT_OVER:
            decided[nomination_id] = edition.ends_on
        else:
            decided[nomination_id] = max(day, edition.ends_on) if status in REVERSIBLE else day
    return decided


@dataclass
class Due:
    """The candidates of one edition whose data of one class is due on one day."""

    edition: Edition
    data_class: str
    on: date
    nomination_ids: list[int]

    @property
    def count(self) -> int:
        return len(self.nomination_ids)


def schedule(session: Session, edition: Edition, months: dict[str, int] | None = None) -> list[Due]:
    """Everything of the edition still held, by class and the day it goes, earliest first (by the
    edition's periods, or by `months` when the caller has read them already)."""
    months = periods(session, edition.id) if months is None else months
    found: list[Due] = []
    for data_class in CLASSES:
        if data_class.event == PROGRAMME_END:
            ids = list(session.exec(select(Nomination.id).where(
                Nomination.edition_id == edition.id, _holds(data_class.key)).order_by(Nomination.id)).all())
            if ids:
                found.append(Due(edition, data_class.key, add_months(edition.ends_on, months[data_class.key]), ids))
        else:
            by_day: dict[date, list[int]] = defaultdict(list)
            for nomination_id, decided in sorted(final_decisions(session, edition).items()):
                by_day[add_months(decided, months[data_class.key])].append(nomination_id)
            found += [Due(edition, data_class.key, day, ids) for day, ids in sorted(by_day.items())]
    return sorted(found, key=lambda d: (d.on, [c.key for c in CLASSES].index(d.data_class)))


def due(session: Session, today: date) -> list[Due]:
    """What is due on `today` (or earlier) in every edition, one entry per edition and class."""
    result = []
    for edition in session.exec(select(Edition).order_by(Edition.year)).all():
        merged: dict[str, list[int]] = {}
        for entry in schedule(session, edition):
            if entry.on <= today:
                merged.setdefault(entry.data_class, []).extend(entry.nomination_ids)
        order = [c.key for c in CLASSES]
        result += [Due(edition, key, today, sorted(ids)) for key, ids in
                   sorted(merged.items(), key=lambda item: order.index(item[0]))]
    return result


# -- the purge ---------------------------------------------------------------------------------------

def _scrub_audit(session: Session, nomination_id: int, fields: tuple[str, ...], values: list[str],
                 *, everything: bool = False) -> None:
    """The audit events of a nomination keep what happened, not the data: changes of the given
    fields (or all, with everything=True) and any mention of the given values are replaced."""
    wanted = [v for v in values if v and len(v) >= 3]
    for event in session.exec(select(AuditEvent).where(AuditEvent.nomination_id == nomination_id)).all():
        changes = dict(event.changes or {})
        touched = False
        for key in list(changes):
            if everything or key in fields:
                changes[key] = ERASED
                touched = True
        label, reason = event.actor_label, event.reason
        for value in wanted:
            if label.startswith("guardian ") and value.lower() in label.lower():
                label = "guardian"  # "guardian Yui Nakamura <yui@...>": who it was goes, not that it was
            if value.lower() in reason.lower():
                reason = ERASED
        if everything and event.reason:
            reason = ERASED
        if touched or label != event.actor_label or reason != event.reason:
            event.changes, event.actor_label, event.reason = changes, label, reason
            session.add(event)


def _purge(session: Session, nomination: Nomination, key: str) -> None:
    """Deletes one class of data of one nomination, with the messages and audit details that
    carried it. Caller holds the transaction."""
    data_class = BY_KEY[key]
    values = [str(getattr(nomination, f) or "") for f in data_class.fields]
    if key == "medical":
        nomination.medical_notes = nomination.dietary_needs = ""
        forget_messages(session, nomination.id, values)
    elif key == "passport":
        nomination.passport_name = nomination.passport_number = ""
        nomination.passport_expiry = None
        forget_messages(session, nomination.id, values[1:], letters=("visa",))
    elif key == "documents":
        for document in session.exec(select(Document).where(Document.nomination_id == nomination.id)).all():
            delete_document_with_bytes(session, document)
    elif key == "contacts":
        for name in data_class.fields:
            setattr(nomination, name, "")
        # The consent records keep that the guardian consented, to which text and when; not their
        # name (their signature) nor the network address it came from.
        for given in session.exec(select(ConsentRecord).where(ConsentRecord.nomination_id == nomination.id,
                                                             ConsentRecord.kind == ConsentKind.GUARDIAN)):
            given.given_by, given.address, given.withdrawn_address = ERASED, "", ""
            session.add(given)
        forget_messages(session, nomination.id, values)
    elif key == "review":
        notes = []
        for interview in session.exec(select(Interview).where(Interview.nomination_id == nomination.id)):
            notes.append(interview.notes)
            interview.notes = ""
            session.add(interview)
        for booking in session.exec(select(InterviewBooking).where(InterviewBooking.nomination_id == nomination.id)):
            notes.append(booking.notes)
            booking.notes = ""
            session.add(booking)
        nomination.eligibility_reason = ""
        notes += forget_review_comments(session, nomination.id)
        values += notes
        forget_messages(session, nomination.id, values)
        # A decision's reason is the review comment it was given with.
        for event in session.exec(select(AuditEvent).where(
                AuditEvent.nomination_id == nomination.id, AuditEvent.action == "status_changed",
                AuditEvent.to_state.in_((S.REJECTED, S.APPROVED)), AuditEvent.reason != "")).all():
            event.reason = ERASED
            session.add(event)
    elif key == "not_accepted":
        values = [nomination.given_name, nomination.family_name, nomination.email, nomination.passport_name,
                  nomination.guardian_name, nomination.guardian_email, nomination.guardian_consent_name]
        _scrub_audit(session, nomination.id, (), values, everything=True)
        strip_personal_data(session, nomination)
        return
    _scrub_audit(session, nomination.id, data_class.fields + (("notes",) if key == "review" else ()), values)
    session.add(nomination)


@dataclass
class Outcome:
    """What a run found (dry run) or deleted, per edition and class."""

    dry_run: bool
    entries: list[Due]
    ran: bool = True  # False: another process had already claimed tonight's run

    def lines(self) -> list[str]:
        return [f"{entry.edition.title}\t{entry.data_class}\t{entry.count}" for entry in self.entries]


def _lock(session: Session) -> None:
    """Holds the purge's lock until the transaction ends: on PostgreSQL an advisory lock (a second
    purge waits, then finds nothing left); on SQLite the write lock transaction() already took."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


def run(session: Session, *, dry_run: bool = False, now: datetime | None = None,
        actor: Actor = SYSTEM, base_url: str | None = None) -> Outcome:
    """Purges everything due (or, dry, only counts it), in one transaction."""
    today = today_in_heidelberg(now)
    if dry_run:
        return Outcome(True, due(session, today))
    with transaction(session):
        _lock(session)
        return Outcome(False, _purge_due(session, today, actor, base_url))


def _purge_due(session: Session, today: date, actor: Actor, base_url: str | None) -> list[Due]:
    entries = due(session, today)
    months_by_edition: dict[int, dict[str, int]] = {}
    for entry in entries:
        months = months_by_edition.setdefault(entry.edition.id, periods(session, entry.edition.id))
        for nomination_id in entry.nomination_ids:
            nomination = session.get(Nomination, nomination_id)
            if entry.data_class != "not_accepted" and is_erased(nomination):
                continue
            _purge(session, nomination, entry.data_class)
        session.flush()
        record(session, actor, "retention_purged", "edition", entry.edition.id,
               changes={"class": entry.data_class, "candidates": entry.count,
                        "months": months[entry.data_class], "event": BY_KEY[entry.data_class].event},
               edition_id=entry.edition.id)
    if entries:
        facts = {"purged": [[entry.edition.id, entry.data_class, entry.count] for entry in entries],
                 "day": today.isoformat()}
        for organiser in session.exec(select(User).where(User.role == Role.ORGANISER, User.is_active)
                                      .order_by(User.id)).all():
            enqueue(session, "retention_summary", reader_of(organiser), facts, base_url=base_url)
    return entries


def run_nightly(session: Session, now: datetime | None = None, *, base_url: str | None = None) -> Outcome:
    """The night's purge, once a day whichever process gets there first: the day's claim row is
    written in the purge's own transaction, so a second process waits for the lock, then finds the
    claim and does nothing; a purge that fails leaves no claim, and the next round tries again."""
    today = today_in_heidelberg(now)
    claimant = f"{socket.gethostname()}:{os.getpid()}"
    try:
        with transaction(session):
            _lock(session)
            if session.get(RetentionRun, today) is not None:
                return Outcome(False, [], ran=False)
            claim = RetentionRun(day=today, claimed_by=claimant)
            session.add(claim)
            session.flush()
            entries = _purge_due(session, today, SYSTEM, base_url)
            summary: dict[str, dict[str, int]] = {}
            for entry in entries:
                summary.setdefault(str(entry.edition.year), {})[entry.data_class] = entry.count
            claim.summary, claim.finished_at = summary, utcnow()
            session.add(claim)
    except IntegrityError:  # another process claimed the day between our look and our insert
        return Outcome(False, [], ran=False)
    return Outcome(False, entries)


def claimed_today(session: Session, now: datetime | None = None) -> bool:
    return session.get(RetentionRun, today_in_heidelberg(now)) is not None


# -- what the settings page shows -------------------------------------------------------------------

@dataclass
class ClassRow:
    key: str
    field: str
    label: str
    event: str
    months: int
    default_months: int
    upcoming: list[Due]


def overview(session: Session, edition: Edition, now: datetime | None = None) -> list[ClassRow]:
    """Each class of the edition: its period, the event it counts from, and what will go when."""
    months = periods(session, edition.id)
    planned = schedule(session, edition, months)
    return [ClassRow(c.key, field_name(c.key), _(c.label), event_label(c.event), months[c.key],
                     c.default_months, [d for d in planned if d.data_class == c.key]) for c in CLASSES]


def other_editions(session: Session, edition: Edition) -> list[tuple[Edition, list[Due]]]:
    """The other editions that still hold data, with what will go when."""
    found = []
    for other in session.exec(select(Edition).where(Edition.id != edition.id).order_by(Edition.year.desc())).all():
        planned = schedule(session, other)
        if planned:
            found.append((other, planned))
    return found


@when_an_edition_is_copied
def copy_periods(session: Session, last: Edition, edition: Edition) -> dict[str, int]:
    """A new edition keeps the retention periods the organisers set for the last one."""
    copied = 0
    for row in session.exec(select(RetentionPeriod).where(RetentionPeriod.edition_id == last.id)).all():
        session.add(RetentionPeriod(edition_id=edition.id, data_class=row.data_class, months=row.months))
        copied += 1
    return {"retention periods": copied}
