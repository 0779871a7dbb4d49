"""The organisers' review of nominations: the filtered, sorted, paged list (built entirely in SQL so
it stays fast with tens of thousands of nominations), bulk decisions, and the decisions on one
nomination (eligibility, the English interview with its calendar invitation, the review score).
Every status change goes through nominations.service.change_status."""

from __future__ import annotations

import math
import unicodedata
from functools import lru_cache
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from sqlalchemy import Integer, String, and_, bindparam, cast, exists, func, literal, not_, null, or_, true, union_all
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Session, select

from ish_portal.errors import DomainError, NotFound
from ish_portal.accounts.models import User
from ish_portal.audit.models import AuditEvent
from ish_portal.audit.service import DOWNLOADED_LETTER, VIEWED_DETAILS, Actor, record, saw_sensitive
from ish_portal.db import as_id, as_page, transaction, utcnow
from ish_portal.labs.models import Lab
from ish_portal.nominations.models import (
    Document,
    Interview,
    LabPreference,
    Nomination,
    NominationStatus,
)
from ish_portal.nominations.service import (FIELD_LABELS, change_status, field_label, refuse_when_closed, status_label,
                                            withdraw_candidate)
from ish_portal.nominations.messages import candidate_reader
from ish_portal.notifications.service import enqueue
from ish_portal.programme.forms import FutureLocalTime
from ish_portal.programme.models import DocumentKind, Edition, Organisation
from ish_portal.text import ics
from ish_portal.text.i18n import gettext as _
from ish_portal.text.names import written_name

S = NominationStatus
PAGE_SIZE = 50
SORTS = ("name", "organisation", "status", "submitted", "score")
REVIEWABLE = [s.value for s in S if s != S.DRAFT]
INTERVIEW_MINUTES = 30
OUTCOMES = ("pending", "passed", "failed")


# -- the list's parameters ----------------------------------------------------------------------

@dataclass(frozen=True)
class ReviewFilters:
    """What the organiser asked the list for; built leniently from GET parameters, so a hand-typed
    or stale link shows the default list rather than an error."""

    organisation_id: int | None = None
    status: str = ""
    completeness: str = ""  # "", "complete", "incomplete"
    subject: str = ""
    q: str = ""
    sort: str = "submitted"
    direction: str = "desc"
    page: int = 1

    def params(self, **override: Any) -> dict[str, str]:
        """The non-default parameters, for links that keep the filters."""
        values = {"organisation": self.organisation_id or "", "status": self.status,
                  "complete": self.completeness, "subject": self.subject, "q": self.q,
                  "sort": self.sort, "dir": self.direction, "page": self.page} | override
        defaults = {"sort": "submitted", "dir": default_direction(str(values["sort"])), "page": 1}
        return {key: str(value) for key, value in values.items()
                if value not in ("", None) and defaults.get(key) != value}

    def query(self, **override: Any) -> str:
        return urlencode(self.params(**override))

    def url(self, **override: Any) -> str:
        query = self.query(**override)
        return "/organiser/nominations" + (f"?{query}" if query else "")

    def sort_url(self, key: str) -> str:
        """A column heading's link: the first click sorts ascending, the next one descending."""
        if self.sort == key:
            direction = "desc" if self.direction == "asc" else "asc"
        else:
            direction = default_direction(key)
        return self.url(sort=key, dir=direction, page=1)


def default_direction(sort: str) -> str:
    """Newest and best first; names, organisations and statuses from A."""
    return "desc" if sort in ("submitted", "score") else "asc"


def clean_text(value: Any, limit: int) -> str:
    """Typed search text without control characters (PostgreSQL refuses NUL in text at all),
    with runs of spaces made one."""
    text = "".join(char for char in str(value or "") if unicodedata.category(char)[0] != "C" or char == " ")
    return " ".join(text.split())[:limit]


def parse_filters(params: Mapping[str, str]) -> ReviewFilters:
    status = params.get("status", "")
    completeness = params.get("complete", "")
    sort = params.get("sort", "submitted")
    direction = params.get("dir", "")
    return ReviewFilters(
        organisation_id=as_id(params.get("organisation")),
        status=status if status in REVIEWABLE else "",
        completeness=completeness if completeness in ("complete", "incomplete") else "",
        subject=clean_text(params.get("subject"), 100),
        q=clean_text(params.get("q"), 200),
        sort=sort if sort in SORTS else "submitted",
        direction=direction if direction in ("asc", "desc") else default_direction(sort if sort in SORTS else ""),
        page=as_page(params.get("page")),
    )


# -- SQL pieces -----------------------------------------------------------------------------------

def consent_cutoff(edition: Edition) -> date:
    """Born after this day = younger than guardian_consent_below_age on the first day (the same
    arithmetic as Nomination.age_on; 29 February falls back to the 28th in common years)."""
    start = edition.starts_on
    year = start.year - edition.guardian_consent_below_age
    try:
        return start.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def completeness_expression(edition: Edition):
    """True when every document the edition requires of this candidate is uploaded; the guardian's
    consent counts only for candidates under the consent age (an unknown birth date counts as
    adult, as nominations.service.is_minor does)."""
    return _completeness(tuple(dict.fromkeys(edition.required_documents)), consent_cutoff(edition))


@lru_cache(maxsize=32)
def _completeness(kinds: tuple[str, ...], cutoff: date):
    """The expression for these kinds and this cut-off, built once: building it takes longer than
    the database takes to answer it for a page of rows (an expression is immutable, so one serves
    every request)."""
    conditions = []
    for kind in kinds:
        uploaded = exists().where(Document.nomination_id == Nomination.id, Document.kind == kind)
        if kind == DocumentKind.GUARDIAN_CONSENT:
            conditions.append(or_(Nomination.date_of_birth.is_(None), Nomination.date_of_birth <= cutoff,
                                  uploaded))
        else:
            conditions.append(uploaded)
    return and_(*conditions) if conditions else true()


def lower_function(session: Session):
    """A lower-casing function that knows every script. PostgreSQL's lower() does; SQLite's only
    knows ASCII, so the connection gets Python's str.lower under a name of our own."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        raw = session.connection().connection.dbapi_connection
        raw.create_function("ish_lower", 1, lambda text: text.lower() if isinstance(text, str) else text,
                            deterministic=True)
    return _lower(dialect)


def _lower(dialect: str):
    return func.ish_lower if dialect == "sqlite" else func.lower


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Columns another area adds to every row of the page, worked out in the page's own query: given
# the row's nomination id column, labelled expressions (the panel's progress on it, say). They come
# back in ReviewRow.more under their labels.
MoreColumns = Callable[[Any], list]


@dataclass(frozen=True)
class _Shape:
    """What the list's SQL depends on, apart from the values it compares with: one shape's
    statements are built once and serve every request of that shape, the values going with each
    request as parameters (building the statements cost more of a request than the database took
    to answer them)."""

    dialect: str
    organisation: bool
    status: bool
    completeness: str
    subject: bool
    words: int  # of the search text
    sort: str
    direction: str
    documents: tuple[str, ...]  # the edition's required documents, in order, once each
    cutoff: date  # the edition's consent cut-off
    more: MoreColumns | None


def _shape(session: Session, edition: Edition, filters: ReviewFilters, more: MoreColumns | None = None) -> _Shape:
    return _Shape(session.get_bind().dialect.name, bool(filters.organisation_id), bool(filters.status),
                  filters.completeness, bool(filters.subject), len(filters.q.split()), filters.sort,
                  filters.direction, tuple(dict.fromkeys(edition.required_documents)), consent_cutoff(edition), more)


def _parameters(session: Session, edition: Edition, filters: ReviewFilters, page: int = 1) -> dict[str, Any]:
    """The values of one request, by the names _conditions() gives their parameters."""
    values: dict[str, Any] = {"edition_id": edition.id, "offset": (page - 1) * PAGE_SIZE}
    if filters.organisation_id:
        values["organisation_id"] = filters.organisation_id
    if filters.status:
        values["status"] = filters.status
    if filters.subject:
        values["subject"] = [filters.subject] if session.get_bind().dialect.name == "postgresql" else filters.subject
    if filters.q:
        lower_function(session)  # SQLite: the connection learns the function the statement calls
        for position, word in enumerate(filters.q.lower().split()):
            values[f"word_{position}"] = f"%{_like_escape(word)}%"
    return values


def _conditions(shape: _Shape) -> list:
    conditions = [Nomination.edition_id == bindparam("edition_id", type_=Integer), Nomination.status != S.DRAFT]
    if shape.organisation:
        conditions.append(Nomination.organisation_id == bindparam("organisation_id", type_=Integer))
    if shape.status:
        conditions.append(Nomination.status == bindparam("status", type_=String))
    if shape.completeness == "complete":
        conditions.append(_completeness(shape.documents, shape.cutoff))
    elif shape.completeness == "incomplete":
        conditions.append(not_(_completeness(shape.documents, shape.cutoff)))
    if shape.subject:
        if shape.dialect == "postgresql":
            conditions.append(cast(Nomination.subjects, JSONB).contains(bindparam("subject", type_=JSONB)))
        else:
            each = func.json_each(Nomination.subjects).table_valued("value")
            conditions.append(exists().select_from(each).where(each.c.value == bindparam("subject", type_=String)))
    if shape.words:
        haystack = _lower(shape.dialect)(Nomination.given_name + literal(" ") + Nomination.family_name + literal(" ")
                                         + Nomination.passport_name + literal(" ") + Nomination.email)
        for position in range(shape.words):
            conditions.append(haystack.like(bindparam(f"word_{position}", type_=String), escape="\\"))
    return conditions


def _order(shape: _Shape) -> list:
    def directed(column):
        return column.desc() if shape.direction == "desc" else column.asc()

    if shape.sort == "name":
        keys = [directed(Nomination.family_name), directed(Nomination.given_name)]
    elif shape.sort == "organisation":
        keys = [directed(Organisation.name), Nomination.family_name, Nomination.given_name]
    elif shape.sort == "status":
        keys = [directed(Nomination.status), Nomination.family_name, Nomination.given_name]
    elif shape.sort == "score":
        # Unscored nominations last in either direction: they have not been looked at yet. NULLS
        # LAST (SQLite 3.30+, PostgreSQL) sorts on one key where a CASE would add a second.
        keys = [directed(Nomination.review_score).nulls_last()]
    else:
        keys = [directed(Nomination.submitted_at).nulls_last()]
    return keys + [directed(Nomination.id)]


@lru_cache(maxsize=256)
def _statements(shape: _Shape) -> tuple[Any, Any]:
    """The count and the page of a shape (see _Shape)."""
    conditions = _conditions(shape)
    count = select(func.count()).select_from(Nomination).where(*conditions)
    order = _order(shape)
    # The page's fifty ids first (the database keeps the best fifty as it reads, without sorting
    # every match), then their rows with what is worked out for each: completeness, and the other
    # areas' columns, for these fifty only.
    chosen = (select(Nomination.id).where(*conditions).order_by(*order)
              .offset(bindparam("offset", type_=Integer)).limit(PAGE_SIZE))
    query = (select(Nomination.id, Nomination.given_name, Nomination.family_name, Nomination.email,
                    Nomination.organisation_id, Nomination.status, Nomination.submitted_at,
                    Nomination.review_score, Nomination.name_order, Nomination.consent_withdrawn_at,
                    _completeness(shape.documents, shape.cutoff).label("complete"),
                    *(_more_columns(shape.more) if shape.more else ())))
    if shape.sort == "organisation":
        chosen = chosen.join(Organisation, Organisation.id == Nomination.organisation_id)
        query = query.join(Organisation, Organisation.id == Nomination.organisation_id)
    chosen = chosen.subquery("chosen")
    return count, query.join(chosen, chosen.c.id == Nomination.id).order_by(*order)


@dataclass(frozen=True)
class ReviewRow:
    id: int
    name: str
    email: str
    organisation: str
    status: str
    submitted_at: datetime | None
    review_score: int | None
    complete: bool
    consent_withdrawn: bool = False
    more: dict[str, Any] = field(default_factory=dict)  # the MoreColumns asked for, by label


@dataclass
class ReviewPage:
    filters: ReviewFilters
    rows: list[ReviewRow]
    total: int
    page: int
    pages: int
    organisations: list[Any] = field(default_factory=list)  # rows of (id, name)
    subjects: list[str] = field(default_factory=list)

    @property
    def first_shown(self) -> int:
        return 0 if not self.total else (self.page - 1) * PAGE_SIZE + 1

    @property
    def last_shown(self) -> int:
        return min(self.total, self.page * PAGE_SIZE)


def count_nominations(session: Session, edition: Edition, filters: ReviewFilters) -> int:
    count, _page = _statements(_shape(session, edition, filters))
    return session.connection().execute(count, _parameters(session, edition, filters)).scalar_one()


def review_page(session: Session, edition: Edition, filters: ReviewFilters,
                more: MoreColumns | None = None) -> ReviewPage:
    """One page of the list; a page past the end shows the last one. Every part is read as plain
    rows of the columns it shows (SQLAlchemy Core, through the session's connection): the list
    loads no ORM objects. Three statements, whatever the page shows: the count, the filters'
    choices and the page; each costs the portal a round trip to the database, which on
    PostgreSQL is most of what the page costs."""
    read = session.connection().execute
    count, page_query = _statements(_shape(session, edition, filters, more))
    parameters = _parameters(session, edition, filters)
    total = read(count, parameters).scalar_one()
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(filters.page, pages)
    organisations, subjects = _filter_choices(read, edition)
    # Every row's organisation is among them, so the rows need no join, but to sort by its name.
    names = {organisation.id: organisation.name for organisation in organisations}
    found = read(page_query, parameters | {"offset": (page - 1) * PAGE_SIZE}).all()
    rows = [ReviewRow(id=r[0], name=written_name(r[1], r[2], r[8]), email=r[3], organisation=names[r[4]], status=r[5],
                      submitted_at=r[6], review_score=r[7], complete=bool(r[10]),
                      consent_withdrawn=r[9] is not None, more=dict(r._mapping) if more else {})
            for r in found]
    return ReviewPage(filters=filters, rows=rows, total=total, page=page, pages=pages,
                      organisations=organisations, subjects=subjects)


def _filter_choices(read, edition: Edition) -> tuple[list[Any], list[str]]:
    """The organisations that have nominations in this edition, by name, and the subjects of its
    labs: the filters' choices, in one statement."""
    rows = read(_filter_choices_query(), {"edition_id": edition.id}).all()
    return ([row for row in rows if row.kind == "organisation"],
            sorted({row.name for row in rows if row.kind == "subject"}))


@lru_cache(maxsize=1)
def _filter_choices_query():
    # Built once, with the edition as a parameter: building it costs more than running it. EXISTS
    # finds each organisation's first nomination by index instead of reading every nomination.
    edition_id = bindparam("edition_id", type_=Integer)
    organisations = select(literal("organisation").label("kind"), Organisation.id.label("id"),
                           Organisation.name.label("name")).where(exists().where(
        Nomination.organisation_id == Organisation.id, Nomination.edition_id == edition_id))
    subjects = select(literal("subject"), cast(null(), Integer), Lab.subject_area).where(Lab.edition_id == edition_id)
    return union_all(organisations, subjects).order_by("kind", "name")


@lru_cache(maxsize=8)
def _more_columns(more: MoreColumns) -> tuple:
    return tuple(more(Nomination.id))


# -- bulk decisions --------------------------------------------------------------------------------

def parse_ids(values: list[Any]) -> list[int]:
    """The ticked rows; anything that is not a positive number is ignored."""
    return sorted({number for number in map(as_id, values) if number is not None})


def nominations_by_ids(session: Session, edition: Edition, ids: list[int]) -> list[Nomination]:
    return list(session.exec(select(Nomination).where(Nomination.id.in_(ids), Nomination.edition_id == edition.id)
                             .order_by(Nomination.family_name, Nomination.given_name, Nomination.id)).all())

@dataclass
class BulkResult:
    moved: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (name, why)


def bulk_decide(session: Session, organiser: User, edition: Edition, ids: list[int], decision: str,
                reason: str = "") -> BulkResult:
    """Approves the chosen nominations, or marks them not eligible with one reason for all, in one
    transaction. Those that cannot move are reported, not forced."""
    target = {"approve": S.APPROVED, "reject": S.REJECTED}.get(decision)
    if target is None:
        raise DomainError(_("Choose what to do with the selected nominations."))
    reason = reason.strip()
    if target == S.REJECTED and not reason:
        raise DomainError(_("Give the reason why the selected nominations are not eligible."))
    if not ids:
        raise DomainError(_("Select at least one nomination."))
    refuse_when_closed(edition)
    result = BulkResult()
    actor = Actor.of_user(organiser)
    with transaction(session):
        nominations = session.exec(select(Nomination).where(Nomination.id.in_(ids),
                                                            Nomination.edition_id == edition.id)
                                   .order_by(Nomination.family_name, Nomination.given_name, Nomination.id)
                                   .execution_options(populate_existing=True)).all()
        for nomination in nominations:
            if nomination.status == target:
                result.unchanged.append(nomination.display_name)
                continue
            try:
                change_status(session, nomination, target, actor, reason=reason)
            except DomainError as exc:
                result.refused.append((nomination.display_name, str(exc)))
                continue
            if target == S.REJECTED:
                nomination.eligibility_reason = reason
            elif nomination.eligibility_reason:
                nomination.eligibility_reason = ""
            result.moved.append(nomination.display_name)
    return result


def withdraw(session: Session, organiser: User, nomination_id: int, reason: str) -> Nomination:
    """An organiser withdraws a candidate in any status that allows it; the status door's
    followers end an offer and free its seat."""
    with transaction(session):
        nomination = nomination_for_review(session, nomination_id, fresh=True)
        withdraw_candidate(session, nomination, Actor.of_user(organiser), reason)
    return nomination


# -- one nomination ---------------------------------------------------------------------------------

def _refuse_when_closed(session: Session, nomination: Nomination) -> None:
    refuse_when_closed(session.get(Edition, nomination.edition_id))


def nomination_for_review(session: Session, nomination_id: int, *, fresh: bool = False) -> Nomination:
    query = select(Nomination).where(Nomination.id == nomination_id)
    if fresh:
        query = query.execution_options(populate_existing=True)
    nomination = session.exec(query).first()
    if nomination is None:
        raise NotFound()
    return nomination


@dataclass(frozen=True)
class Preference:
    rank: int
    lab: Lab


def lab_preferences(session: Session, nomination: Nomination) -> list[Preference]:
    rows = session.exec(select(LabPreference.rank, Lab).join(Lab, Lab.id == LabPreference.lab_id)
                        .where(LabPreference.nomination_id == nomination.id).order_by(LabPreference.rank)).all()
    return [Preference(rank, lab) for rank, lab in rows]


def interviews_of(session: Session, nomination: Nomination) -> list[Interview]:
    return list(session.exec(select(Interview).where(Interview.nomination_id == nomination.id)
                             .order_by(Interview.scheduled_at, Interview.id)).all())


def _audit(session, actor, action, nomination, entity="nomination", entity_id=None, **kwargs) -> AuditEvent:
    return record(session, actor, action, entity, entity_id if entity_id is not None else nomination.id,
                  edition_id=nomination.edition_id, organisation_id=nomination.organisation_id,
                  nomination_id=nomination.id, **kwargs)


class EligibilityForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    decision: str
    reason: str = Field(default="", max_length=1000)

    @field_validator("decision")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in ("approved", "rejected"):
            raise ValueError(_("Choose eligible or not eligible."))
        return value

    # Also checked by decide_eligibility; here it is reported with the form's other errors.
    @field_validator("reason")
    @classmethod
    def _reason_for_refusal(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("decision") == "rejected" and not value:
            raise ValueError(_("Give the reason why the candidate is not eligible."))
        return value


def decide_eligibility(session: Session, organiser: User, nomination_id: int, form: EligibilityForm) -> Nomination:
    if form.decision == "rejected" and not form.reason:
        raise DomainError(fields={"reason": _("Give the reason why the candidate is not eligible.")})
    with transaction(session):
        nomination = nomination_for_review(session, nomination_id, fresh=True)
        _refuse_when_closed(session, nomination)
        target = S(form.decision)
        if nomination.status == target:
            # Only the reason changes; no status move to record.
            if form.reason != nomination.eligibility_reason:
                _audit(session, Actor.of_user(organiser), "eligibility_reason_changed", nomination,
                       changes={"eligibility_reason": [nomination.eligibility_reason, form.reason]})
                nomination.eligibility_reason = form.reason
                nomination.updated_at = utcnow()
                session.add(nomination)
            return nomination
        change_status(session, nomination, target, Actor.of_user(organiser), reason=form.reason)
        nomination.eligibility_reason = form.reason
        session.add(nomination)
    return nomination


class ScoreForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    review_score: int | None = Field(default=None, ge=0, le=100)

    @field_validator("review_score", mode="before")
    @classmethod
    def _blank(cls, value):
        return None if isinstance(value, str) and not value.strip() else value


def set_score(session: Session, organiser: User, nomination_id: int, form: ScoreForm) -> Nomination:
    with transaction(session):
        nomination = nomination_for_review(session, nomination_id, fresh=True)
        if nomination.status == S.DRAFT:
            raise DomainError(_("A draft cannot be reviewed yet."))
        _refuse_when_closed(session, nomination)
        write_review_score(session, nomination, form.review_score, Actor.of_user(organiser))
    return nomination


def write_review_score(session: Session, nomination: Nomination, score: int | None, actor: Actor,
                       reason: str = "") -> bool:
    """The one place Nomination.review_score (the matching's priority) is written: by an organiser
    typing it, or by the panel's combined score and its override. Caller holds the transaction;
    records the change. Returns whether it changed."""
    if nomination.review_score == score:
        return False
    _audit(session, actor, "review_score_changed", nomination,
           changes={"review_score": [nomination.review_score, score]}, reason=reason)
    nomination.review_score = score
    nomination.updated_at = utcnow()
    session.add(nomination)
    return True


class InterviewForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    # In the future: also checked by schedule_interview; here it is reported with the form's other errors.
    scheduled_at: FutureLocalTime
    interviewer: str = Field(min_length=1, max_length=200)
    notes: str = Field(default="", max_length=4000)


class InterviewUpdateForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    interviewer: str = Field(min_length=1, max_length=200)
    notes: str = Field(default="", max_length=4000)
    outcome: str

    @field_validator("outcome")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in OUTCOMES:
            raise ValueError(_("Choose one of the options."))
        return value


def outcome_label(outcome: str) -> str:
    return {"pending": _("pending"), "passed": _("passed"), "failed": _("failed")}.get(outcome, outcome)


def schedule_interview(session: Session, organiser: User, nomination_id: int, form: InterviewForm,
                       base_url: str) -> Interview:
    """Records the interview and emails the candidate an invitation with a calendar file."""
    with transaction(session):
        nomination = nomination_for_review(session, nomination_id, fresh=True)
        if nomination.status in (S.DRAFT, S.WITHDRAWN):
            raise DomainError(_("An interview can be scheduled only for a submitted nomination."))
        _refuse_when_closed(session, nomination)
        if form.scheduled_at < utcnow():
            raise DomainError(fields={"scheduled_at": _("Choose a time in the future.")})
        interview = Interview(nomination_id=nomination.id, scheduled_at=form.scheduled_at,
                              interviewer=form.interviewer, notes=form.notes)
        session.add(interview)
        session.flush()
        _audit(session, Actor.of_user(organiser), "interview_scheduled", nomination, entity="interview",
               entity_id=interview.id, to_state="pending",
               changes={"scheduled_at": form.scheduled_at.isoformat(), "interviewer": form.interviewer})
        edition = session.get(Edition, nomination.edition_id)
        _send_invitation(session, nomination, edition, interview, base_url)
    return interview


def _send_invitation(session: Session, nomination: Nomination, edition: Edition, interview: Interview,
                     base_url: str) -> None:
    host = base_url.split("://", 1)[-1].split("/", 1)[0] or "ish-portal"
    calendar = ics.calendar([ics.CalendarEvent(
        uid=f"interview-{interview.id}@{host}", start=interview.scheduled_at,
        duration=timedelta(minutes=INTERVIEW_MINUTES), stamp=utcnow(),
        summary=f"ISH interview in English ({edition.title})",
        description=(f"Phone interview in English with {interview.interviewer} for the International "
                     f"Summer Science School Heidelberg. We will call you on {nomination.phone or 'your phone'}."))])
    enqueue(session, "interview_invitation", candidate_reader(session, nomination),
            {"nomination": nomination.id, "interview": interview.id}, edition_id=edition.id,
            nomination_id=nomination.id, base_url=base_url,
            attachments=[("interview.ics", "text/calendar", calendar)])


def update_interview(session: Session, organiser: User, nomination_id: int, interview_id: int,
                     form: InterviewUpdateForm) -> Interview:
    with transaction(session):
        nomination = nomination_for_review(session, nomination_id, fresh=True)
        _refuse_when_closed(session, nomination)
        interview = session.exec(select(Interview).where(Interview.id == interview_id,
                                                         Interview.nomination_id == nomination.id)
                                 .execution_options(populate_existing=True)).first()
        if interview is None:
            raise NotFound()
        changes = {name: [getattr(interview, name), getattr(form, name)]
                   for name in ("interviewer", "notes", "outcome") if getattr(interview, name) != getattr(form, name)}
        if changes:
            _audit(session, Actor.of_user(organiser), "interview_updated", nomination, entity="interview",
                   entity_id=interview.id, from_state=interview.outcome, to_state=form.outcome,
                   changes=changes)
            interview.interviewer, interview.notes, interview.outcome = form.interviewer, form.notes, form.outcome
            session.add(interview)
    return interview


# -- what the detail page shows ----------------------------------------------------------------------

def history_summary(event: AuditEvent) -> str:
    """A readable line for an audit event: its from -> to and its changes."""
    parts = []
    if event.from_state or event.to_state:
        parts.append(f"{_state_word(event.from_state) or '–'} → {_state_word(event.to_state) or '–'}")
    changes = event.changes or {}
    for key, value in changes.items():
        if isinstance(value, list) and len(value) == 2:
            old, new = value
            parts.append(f"{field_label(key) if key in FIELD_LABELS else key}: “{_shown(old)}” → “{_shown(new)}”")
        else:
            parts.append(f"{key}: {_shown(value)}")
    return "; ".join(parts)


def _state_word(state: str) -> str:
    try:
        return status_label(state)
    except ValueError:
        return outcome_label(state) if state in OUTCOMES else state


def _shown(value: Any) -> str:
    if value in (None, "", []):
        return "–"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    text = str(value)
    return text if len(text) <= 120 else text[:117] + "…"


# -- who saw sensitive data ------------------------------------------------------------------------

def saw_details(session: Session, user: User, nomination: Nomination) -> None:
    """The review page shows the medical notes and passport details: one row records that this
    organiser saw them now (nothing when there are none to see)."""
    parts = [name for name, present in (
        ("medical_notes", bool(nomination.medical_notes)),
        ("passport", bool(nomination.passport_number or nomination.passport_expiry))) if present]
    if not parts:
        return
    nomination_id = nomination.id
    with transaction(session):
        saw_sensitive(session, user, nomination_id, VIEWED_DETAILS, ",".join(parts))


def saw_letter(session: Session, user: User, nomination: Nomination, letter: str) -> None:
    nomination_id = nomination.id
    with transaction(session):
        saw_sensitive(session, user, nomination_id, DOWNLOADED_LETTER, letter)
