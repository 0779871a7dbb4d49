"""The audit log for organisers: thin HTTP around audit.queries."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ish_portal.audit import queries
from ish_portal.web.deps import DB, Organiser
from ish_portal.web.templating import render

router = APIRouter()


@router.get("/organiser/audit", response_class=HTMLResponse)
def audit_log(request: Request, db: DB, user: Organiser):
    filters = queries.parse_filters(request.query_params)
    return render(request, "audit/log.html", {"page": queries.audit_page(db, filters), "filters": filters})
