"""The panel members' pages (reviewers and interviewers, organisers among them)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ish_portal.db import utcnow
from ish_portal.interviews import service as interviews
from ish_portal.panel import service
from ish_portal.web.deps import DB, PanelUser
from ish_portal.web.templating import render

router = APIRouter()


@router.get("/panel", response_class=HTMLResponse)
def dashboard(request: Request, db: DB, user: PanelUser):
    return render(request, "panel/dashboard.html", {"memberships": service.memberships(db, user),
                                                    "agenda": interviews.agenda(db, user, upcoming_from=utcnow()),
                                                    "user_is_organiser": user.is_organiser})
