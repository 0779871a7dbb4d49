"""The organisers' audit log page: filtered, newest first, paged in SQL, and told in names.

An audit event keeps ids (of the organisation, lab, student, account, edition or matching run it
concerns, and some inside its changes); this page looks up their names when it is shown, in one
query per kind of thing for the whole page, never one per row. The audit package itself only
records events and imports no area; reading them with every area's names belongs here."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func
from sqlmodel import Session, select

from ish_portal.db import as_page
from ish_portal.accounts.models import User
from ish_portal.applicants.service import ERASED
from ish_portal.audit.models import AuditEvent
from ish_portal.labs.models import Lab
from ish_portal.nominations.models import Nomination
from ish_portal.nominations.review import clean_text, lower_function, outcome_label
from ish_portal.nominations.service import field_label, status_label
from ish_portal.notifications.catalog import kind_title
from ish_portal.placement.models import MatchRun, Offer
from ish_portal.programme.models import Edition, Organisation
from ish_portal.mailings.service import group_label as mailing_group_label
from ish_portal.nominations.consent import method_label
from ish_portal.retention.service import BY_KEY, FINAL_DECISION, PROGRAMME_END, class_label, event_label
from ish_portal.text import timefmt
from ish_portal.text.i18n import language_name
from ish_portal.text.names import written_name
from ish_portal.text.i18n import gettext as _, ngettext

PAGE_SIZE = 50


# -- what happened, in words --------------------------------------------------------------------------

def _action_words() -> dict[str, str]:
    return {
        "status_changed": _("status changed"), "nomination_created": _("nomination created"),
        "retention_purged": _("personal data deleted as scheduled"),
        "retention_schedule_changed": _("retention schedule changed"),
        "nomination_changed": _("nomination changed"), "document_uploaded": _("document uploaded"),
        "document_replaced": _("document replaced"), "document_removed": _("document removed"),
        "review_score_changed": _("review score changed"),
        "eligibility_reason_changed": _("eligibility reason changed"),
        "interview_scheduled": _("interview scheduled"), "interview_updated": _("interview updated"),
        "exported": _("list exported"),
        "profile_changed": _("applicant's details changed"), "applicant_consented": _("applicant consented"),
        "deletion_requested": _("deletion requested"), "preferences_changed": _("lab preferences changed"),
        "personal_data_erased": _("personal data deleted"), "guardian_consented": _("guardian consented"),
        "guardian_consented_on_paper": _("guardian's consent on paper recorded"),
        "consent_withdrawn": _("consent withdrawn"),
        "applicant_signed_in": _("applicant signed in"),
        "message_template_saved": _("message wording saved"),
        "message_template_reset": _("message wording reset"), "offer_reminder_sent": _("offer reminder sent"),
        "draft_edited": _("draft message edited"), "draft_discarded": _("draft message discarded"),
        "batch_sent": _("message batch sent"), "batch_regenerated": _("message batch regenerated"),
        "batch_created": _("message batch created"), "message_retried": _("message sent again"),
        "offer_expired": _("offer expired"), "preferences_locked": _("lab preferences locked"),
        "preferences_reopened": _("lab preferences reopened"), "match_run_created": _("matching run made"),
        "pin_set": _("student pinned to a lab"), "pin_removed": _("pin removed"),
        "lab_capacity_changed": _("lab seats changed"), "offer_made": _("offer made"),
        "offer_proposed": _("offer proposed"), "offer_pending": _("offer sent"),
        "offer_accepted": _("offer accepted"), "offer_declined": _("offer declined"),
        "offer_withdrawn": _("offer withdrawn"), "draft_dropped": _("draft message dropped"),
        "message_resent": _("message written again and sent"),
        "match_run_published": _("matching run published"), "run_drafts_sent": _("offer messages sent"),
        "waitlist_rematch_failed": _("waitlist re-matching failed"),
        "organisation_added": _("sending organisation added"),
        "guardian_request_sent_again": _("consent link sent to the guardian again"),
        "waitlist_offer_proposed": _("waitlist offer proposed"),
        "waitlist_offer_discarded": _("waitlist offer discarded"), "edition_updated": _("edition changed"),
        "edition_created": _("edition created"), "edition_changed": _("edition changed"),
        "places_changed": _("places changed"), "places_transferred": _("places moved"),
        "lab_created": _("lab created"), "lab_changed": _("lab changed"), "lab_retired": _("lab retired"),
        "lab_reinstated": _("lab reinstated"), "lab_ranking_changed": _("lab's ranking changed"),
        "password_reset": _("password reset"), "organiser_created": _("organiser account created"),
        "coordinator_invited": _("coordinator invited"), "invitation_accepted": _("invitation accepted"),
        "coordinator_activated": _("coordinator reactivated"),
        "coordinator_deactivated": _("coordinator deactivated"),
        "mailing_written": _("message to a group written"), "mailing_scheduled": _("message to a group scheduled"),
        "mailing_cancelled": _("message to a group cancelled"),
        "mailing_released": _("message to a group released at its time"),
        "batch_discarded": _("message batch discarded"), "batch_failures_retried": _("failed messages of a batch retried"),
        "ranking_reminder_sent": _("reminder to rank labs sent"),
        "panel_member_added": _("added to the panel"), "panel_member_removed": _("removed from the panel"),
        "panel_duties_changed": _("panel duties changed"), "panel_conflicts_changed": _("conflicts of interest declared"),
        "review_settings_changed": _("review settings changed"), "rubric_changed": _("rubric changed"),
        "reviews_assigned": _("reviewers assigned"), "reviewer_added": _("reviewer added"),
        "reviewer_removed": _("reviewer removed"), "review_submitted": _("review submitted"),
        "review_changed": _("review changed"), "panel_score_overridden": _("panel's score overridden"),
        "panel_override_removed": _("panel's score counts again"),
        "review_reminders_sent": _("reminders of open reviews sent"),
        "host_invited": _("lab host invited"), "host_removed": _("lab host removed"),
        "lab_confirmed": _("lab confirmed by its host"),
        "lab_confirmation_reminded": _("hosts reminded to confirm their labs"),
        "cv_seen_by_host": _("CV seen by a lab host"), "attendance_confirmed": _("attendance confirmed"),
        "interview_slots_published": _("interview slots published"),
        "interview_slot_deleted": _("interview slot deleted"),
        "interview_booking_invited": _("invited to book an interview"),
        "interview_booked": _("interview booked"), "interview_rescheduled": _("interview moved"),
        "interview_cancelled": _("interview cancelled"), "interview_outcome_recorded": _("interview outcome recorded"),
        "interview_reminder_sent": _("interview reminder sent"),
        "interview_cutoff_changed": _("interview cut-off changed"),
        "calendar_feed_created": _("calendar address made"), "calendar_feed_revoked": _("calendar address stopped"),
    }


def action_label(action: str) -> str:
    """Known actions in words; others as recorded, with underscores as spaces."""
    return _action_words().get(action) or action.replace("_", " ")


def actor_text(label: str) -> str:
    """Who acted, in the reader's words. The portal records its own actors in fixed English words
    ("system", "applicant", "demo data", "guardian <name> <address>", or "guardian" once retention
    took the name); people as they are named, which stay as recorded."""
    words = {"system": _("the portal"), "applicant": _("the applicant"), "guardian": _("a guardian"),
             "demo data": _("demo data")}
    if label in words:
        return words[label]
    if label.startswith("guardian "):
        return _("guardian %(person)s", person=label.removeprefix("guardian "))
    return label


# -- the filters --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditFilters:
    who: str = ""
    action: str = ""
    entity: str = ""
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1

    def query(self, **override: Any) -> str:
        values = {"who": self.who, "action": self.action, "entity": self.entity,
                  "from": self.date_from.isoformat() if self.date_from else "",
                  "to": self.date_to.isoformat() if self.date_to else "", "page": self.page} | override
        return urlencode({k: str(v) for k, v in values.items() if v not in ("", None) and not (k == "page" and v == 1)})

    def url(self, **override: Any) -> str:
        query = self.query(**override)
        return "/organiser/audit" + (f"?{query}" if query else "")


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def parse_filters(params: Mapping[str, str]) -> AuditFilters:
    """Lenient: a value that cannot be read is ignored rather than refused."""
    return AuditFilters(who=clean_text(params.get("who"), 200),
                        action=clean_text(params.get("action"), 60),
                        entity=clean_text(params.get("entity"), 40),
                        date_from=_date(params.get("from")), date_to=_date(params.get("to")),
                        page=as_page(params.get("page")))


def _start_of(day: date) -> datetime:
    # A local calendar day begins at local midnight, whatever UTC says.
    return timefmt.from_local_input(day, time(0, 0))


def _conditions(session: Session, filters: AuditFilters) -> list:
    conditions = []
    if filters.who:
        escaped = filters.who.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(lower_function(session)(AuditEvent.actor_label).like(f"%{escaped}%", escape="\\"))
    if filters.action:
        conditions.append(AuditEvent.action == filters.action)
    if filters.entity:
        conditions.append(AuditEvent.entity == filters.entity)
    if filters.date_from:
        conditions.append(AuditEvent.occurred_at >= _start_of(filters.date_from))
    if filters.date_to:
        conditions.append(AuditEvent.occurred_at < _start_of(filters.date_to + timedelta(days=1)))
    return conditions


# -- the names of what the events concern ---------------------------------------------------------

def _ids(values: Iterable[Any]) -> set[int]:
    ids = set()
    for value in values:
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            ids.add(value)
        elif isinstance(value, str) and value.isdigit():
            ids.add(int(value))
    return ids


def _pair_or_one(value: Any) -> list[Any]:
    """A change is [before, after] or one value; ids in either form."""
    return list(value) if isinstance(value, list) else [value]


@dataclass
class Names:
    """Names by id for one page of events; an id no longer found reads as '(deleted)'."""

    organisations: dict[int, str] = field(default_factory=dict)
    labs: dict[int, str] = field(default_factory=dict)
    students: dict[int, str] = field(default_factory=dict)
    accounts: dict[int, str] = field(default_factory=dict)
    editions: dict[int, str] = field(default_factory=dict)
    runs: dict[int, str] = field(default_factory=dict)
    offer_labs: dict[int, int] = field(default_factory=dict)

    @staticmethod
    def _of(table: dict[int, str], key: Any) -> str:
        try:
            return table.get(int(key)) or _("(deleted)")
        except (TypeError, ValueError):
            return str(key)

    def organisation(self, key: Any) -> str:
        return self._of(self.organisations, key)

    def lab(self, key: Any) -> str:
        return self._of(self.labs, key)

    def student(self, key: Any) -> str:
        return self._of(self.students, key)

    def account(self, key: Any) -> str:
        return self._of(self.accounts, key)

    def edition(self, key: Any) -> str:
        return self._of(self.editions, key)

    def run(self, key: Any) -> str:
        return self._of(self.runs, key)


def lab_label(group_name: str, institute: str) -> str:
    return f"{group_name}, {institute}"


def student_label(given_name: str, family_name: str, order: str | None = None) -> str:
    """The name as its owner writes it; an erased nomination keeps no name and reads as '(deleted)'."""
    name = written_name(given_name, family_name, order)
    return _("(deleted)") if not name or name == ERASED else name


def resolve_names(session: Session, events: list[AuditEvent]) -> Names:
    """Everything the page's events name, read with one query per kind of thing."""
    organisation_ids, lab_ids, nomination_ids, user_ids, edition_ids, run_ids, offer_ids = (
        set(), set(), set(), set(), set(), set(), set())
    by_entity = {"lab": lab_ids, "nomination": nomination_ids, "user": user_ids, "edition": edition_ids,
                 "match_run": run_ids, "offer": offer_ids}
    for event in events:
        organisation_ids |= _ids([event.organisation_id])
        nomination_ids |= _ids([event.nomination_id])
        if event.entity in by_entity:
            by_entity[event.entity].update(_ids([event.entity_id]))
        changes = event.changes or {}
        if event.action == "places_transferred":
            organisation_ids |= _ids([changes.get("from"), changes.get("to")])
        if event.action == "lab_ranking_changed":
            nomination_ids |= _ids(changes)
        lab_ids |= _ids(_pair_or_one(changes.get("lab_id")))
        if event.action == "preferences_changed":
            lab_ids |= _ids(changes.get("ranking") or [])
        run_ids |= _ids(_pair_or_one(changes.get("match_run_id")))
    names = Names()
    if offer_ids:
        names.offer_labs = dict(session.exec(select(Offer.id, Offer.lab_id).where(Offer.id.in_(offer_ids))).all())
        lab_ids |= set(names.offer_labs.values())
    if organisation_ids:
        names.organisations = dict(session.exec(select(Organisation.id, Organisation.name)
                                                .where(Organisation.id.in_(organisation_ids))).all())
    if lab_ids:
        rows = session.exec(select(Lab.id, Lab.group_name, Lab.institute).where(Lab.id.in_(lab_ids))).all()
        names.labs = {lid: lab_label(group, institute) for lid, group, institute in rows}
    if nomination_ids:
        rows = session.exec(select(Nomination.id, Nomination.given_name, Nomination.family_name,
                                   Nomination.name_order).where(Nomination.id.in_(nomination_ids))).all()
        names.students = {nid: student_label(given, family, order) for nid, given, family, order in rows}
    if user_ids:
        rows = session.exec(select(User.id, User.full_name, User.email).where(User.id.in_(user_ids))).all()
        names.accounts = {uid: f"{full_name} <{email}>" for uid, full_name, email in rows}
    if edition_ids:
        names.editions = dict(session.exec(select(Edition.id, Edition.title)
                                           .where(Edition.id.in_(edition_ids))).all())
    if run_ids:
        rows = session.exec(select(MatchRun.id, MatchRun.created_at, MatchRun.mode)
                            .where(MatchRun.id.in_(run_ids))).all()
        names.runs = {rid: f"{timefmt.format_datetime(made)} ({_mode_word(mode)})" for rid, made, mode in rows}
    return names


def _mode_word(mode: str) -> str:
    return {"stable": _("Stable"), "welfare": _("Welfare")}.get(mode, mode)


mode_word = _mode_word


EVENTS = (PROGRAMME_END, FINAL_DECISION)


def _change_words() -> dict[str, str]:
    """What the keys of events' changes are called, where they are not a nomination's field."""
    return {
        "mode": _("mode"), "seed": _("seed"), "placed": _("placed"), "unplaced": _("unplaced"),
        "offers": _("offers"), "attempts": _("attempts"), "auto_promote_waitlist": _("waitlist moves up by itself"),
        "batch": _("batch"), "capacity": _("capacity"), "email": _("email"), "file": _("file"),
        "format": _("format"), "guardian": _("guardian"), "interviewer": _("interviewer"),
        "kind": _("message"), "lab": _("lab"), "last_error": _("last error"), "list": _("list"),
        "messages": _("messages"), "original": _("original message"),
        "preferences_locked_at": _("lab choices locked"), "recipient": _("recipient"),
        "rows": _("rows"), "run": _("matching run"), "scheduled_at": _("scheduled for"),
        "sensitive": _("sensitive columns"), "review_score": _("review score"),
        "added": _("added"), "per_nomination": _("reviews per nomination"), "criterion": _("criterion"),
        "reviews_per_nomination": _("reviews per nomination"), "blind_review": _("blind review"),
        "review_deadline": _("review deadline"), "standardise": _("scores standardised"),
        "organisations": _("organisations"), "open_reviews_removed": _("open reviews taken away"),
        "reviews_removed": _("reviews removed"), "reviewers": _("reviewers"), "reviews": _("reviews"),
        "interviews": _("interviews"), "deleted": _("deleted"),
        "by": _("given by"), "text": _("text version"), "language": _("language"), "method": _("how"),
        "address": _("network address"), "candidates": _("candidates"), "months": _("months"),
        "medical": class_label("medical"), "passport": class_label("passport"),
        "documents": class_label("documents"), "contacts": class_label("contacts"),
        "review": class_label("review"), "not_accepted": class_label("not_accepted"),
    }


# -- one event as a line of text --------------------------------------------------------------------

def _entity_words() -> dict[str, str]:
    return {"quota": _("Places"), "place_transfer": _("Place move"), "organisation": _("Organisation"), "offer": _("Offer"),
            "document": _("Document"), "interview": _("Interview"), "outbox_message": _("Message"),
            "outbox_batch": _("Message batch"), "mailing": _("Message to a group"), "message_template": _("Message wording"),
            "export": _("Export"), "lab": _("Lab"), "user": _("Account"), "edition": _("Edition"),
            "match_run": _("Matching run"), "nomination": _("Nomination"), "panel_member": _("Panel member"),
            "review": _("Review"), "criterion": _("Rubric criterion"),
            "interview_slot": _("Interview slot"), "interview_booking": _("Interview booking")}


def entity_text(event: AuditEvent, names: Names) -> str:
    """What the event concerns, by name (the student is shown beside it, as a link)."""
    entity, key = event.entity, event.entity_id
    if entity == "quota":
        return _("Places of %(name)s", name=names.organisation(event.organisation_id))
    if entity == "lab" and key is not None:
        return _("Lab: %(name)s", name=names.lab(key))
    if entity == "user" and key is not None:
        return _("Account: %(name)s", name=names.account(key))
    if entity == "edition" and key is not None:
        return _("Edition: %(name)s", name=names.edition(key))
    if entity == "match_run" and key is not None:
        return _("Matching run: %(name)s", name=names.run(key))
    if entity == "offer" and key in names.offer_labs:
        return _("Offer: %(name)s", name=names.lab(names.offer_labs[key]))
    if entity == "nomination" and (event.nomination_id == key or key is None):
        return ""
    return _entity_words().get(entity, entity.replace("_", " "))


def organisation_text(event: AuditEvent, names: Names) -> str:
    """The organisation beside the entity, unless the entity already names it."""
    if event.organisation_id is None or event.entity in ("quota", "place_transfer"):
        return ""
    return names.organisation(event.organisation_id)


def _state_word(state: str) -> str:
    try:
        return status_label(state)
    except ValueError:
        return outcome_label(state)


def _shown(value: Any) -> str:
    if value in (None, "", []):
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    text = str(value)
    return text if len(text) <= 120 else text[:117] + "…"


def _moment(value: Any) -> str:
    try:
        return timefmt.format_datetime(datetime.fromisoformat(value)) if value else "–"
    except (TypeError, ValueError):
        return _shown(value)


def _change(label: str, value: Any, show) -> str:
    if isinstance(value, list) and len(value) == 2:
        old, new = value
        return f"{label}: “{show(old)}” → “{show(new)}”"
    return f"{label}: {show(value)}"


def _named(lookup):
    return lambda value: "–" if value is None else lookup(value)


def summary(event: AuditEvent, names: Names) -> str:
    """A readable line for an event: its from → to and its changes, every id told as a name."""
    parts = []
    if event.from_state or event.to_state:
        parts.append(f"{_state_word(event.from_state) or '–'} → {_state_word(event.to_state) or '–'}")
    changes = dict(event.changes or {})
    if event.action == "places_transferred":
        count = abs(int(changes.pop("places", 0) or 0))
        giver, taker = names.organisation(changes.pop("from", None)), names.organisation(changes.pop("to", None))
        parts.append(ngettext("%(num)d place from %(giver)s to %(taker)s",
                              "%(num)d places from %(giver)s to %(taker)s", count, giver=giver, taker=taker))
    for key, value in changes.items():
        if event.action == "lab_ranking_changed":
            parts.append(_change(names.student(key), value, _shown))
        elif key == "lab_id":
            parts.append(_change(_("lab"), value, _named(names.lab)))
        elif key == "match_run_id":
            parts.append(_change(_("matching run"), value, _named(names.run)))
        elif key == "ranking" and event.action == "preferences_changed":
            parts.append(f"{_('ranking')}: " + ("; ".join(names.lab(lab) for lab in value or []) or "–"))
        elif key == "places" and event.action == "places_changed":
            parts.append(_change(_("places"), value, _shown))
        elif key == "dormant":
            parts.append(_change(_("dormant"), value, _shown))
        elif key == "deadline_extended_to":
            parts.append(_change(_("deadline extension"), value, _moment))
        elif key == "mode":
            parts.append(_change(_("mode"), value, _mode_word))
        elif key == "kind":
            parts.append(_change(_("message"), value, kind_title))
        elif key == "class":
            parts.append(_change(_("data"), value, lambda v: class_label(v) if v in BY_KEY else _shown(v)))
        elif key == "event":
            parts.append(_change(_("counted from"), value, lambda v: event_label(v) if v in EVENTS else _shown(v)))
        elif key == "method":
            parts.append(_change(_("how"), value, method_label))
        elif key == "language":
            parts.append(_change(_("language"), value, language_name))
        elif key == "languages":
            parts.append(f"{_('languages')}: " + (", ".join(language_name(v) for v in value or []) or "–"))
        elif key == "group":
            parts.append(_change(_("written to"), value, mailing_group_label))
        else:
            parts.append(_change(_change_words().get(key) or field_label(key), value, _shown))
    return "; ".join(parts)


# -- the page -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    event: AuditEvent
    what: str
    entity: str
    organisation: str
    student: str
    summary: str


@dataclass
class AuditPage:
    filters: AuditFilters
    rows: list[Row]
    total: int
    page: int
    pages: int
    actions: list[tuple[str, str]]   # (recorded value, words) for the filter's choices
    entities: list[tuple[str, str]]


def audit_page(session: Session, filters: AuditFilters) -> AuditPage:
    conditions = _conditions(session, filters)
    total = session.exec(select(func.count()).select_from(AuditEvent).where(*conditions)).one()
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(filters.page, pages)
    events = list(session.exec(select(AuditEvent).where(*conditions)
                               .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
                               .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all())
    names = resolve_names(session, events)
    rows = [Row(event, action_label(event.action), entity_text(event, names), organisation_text(event, names),
                names.student(event.nomination_id) if event.nomination_id else "", summary(event, names))
            for event in events]
    actions = sorted(((action, action_label(action)) for action in
                      session.exec(select(AuditEvent.action).distinct()).all()), key=lambda pair: pair[1])
    words = _entity_words()
    entities = sorted(((entity, words.get(entity, entity.replace("_", " "))) for entity in
                       session.exec(select(AuditEvent.entity).distinct()).all()), key=lambda pair: pair[1])
    return AuditPage(filters, rows, total, page, pages, actions, entities)
