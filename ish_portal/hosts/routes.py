"""The lab hosts' pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ish_portal.hosts import service
from ish_portal.web.deps import DB, Host
from ish_portal.web.templating import render

router = APIRouter()


@router.get("/host", response_class=HTMLResponse)
def dashboard(request: Request, db: DB, user: Host):
    return render(request, "hosts/dashboard.html", {"labs": service.labs_of(db, user)})
