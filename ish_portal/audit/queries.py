"""Reading the audit log for organisers: filtered, newest first, paged in SQL."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func
from sqlmodel import Session, select

from ish_portal.audit.models import AuditEvent
from ish_portal.nominations.review import clean_text, lower_function
from ish_portal.text import timefmt
from ish_portal.text.i18n import gettext as _

PAGE_SIZE = 50

ACTION_LABELS = {
    "status_changed": "status changed", "nomination_created": "nomination created",
    "nomination_changed": "nomination changed", "document_uploaded": "document uploaded",
    "document_replaced": "document replaced", "document_removed": "document removed",
    "review_score_changed": "review score changed", "eligibility_reason_changed": "eligibility reason changed",
    "interview_scheduled": "interview scheduled", "interview_updated": "interview updated",
    "exported": "list exported",
}


def action_label(action: str) -> str:
    """Known actions in words; others as recorded, with underscores as spaces."""
    return _(ACTION_LABELS[action]) if action in ACTION_LABELS else action.replace("_", " ")


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
    try:
        page = int(params.get("page", "1"))
    except ValueError:
        page = 1
    return AuditFilters(who=clean_text(params.get("who"), 200),
                        action=clean_text(params.get("action"), 60),
                        entity=clean_text(params.get("entity"), 40),
                        date_from=_date(params.get("from")), date_to=_date(params.get("to")),
                        page=max(1, min(page, 10**6)))


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


@dataclass
class AuditPage:
    filters: AuditFilters
    events: list[AuditEvent]
    total: int
    page: int
    pages: int
    actions: list[str]
    entities: list[str]


def audit_page(session: Session, filters: AuditFilters) -> AuditPage:
    conditions = _conditions(session, filters)
    total = session.exec(select(func.count()).select_from(AuditEvent).where(*conditions)).one()
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(filters.page, pages)
    events = list(session.exec(select(AuditEvent).where(*conditions)
                               .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
                               .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all())
    actions = sorted(session.exec(select(AuditEvent.action).distinct()).all())
    entities = sorted(session.exec(select(AuditEvent.entity).distinct()).all())
    return AuditPage(filters, events, total, page, pages, actions, entities)
