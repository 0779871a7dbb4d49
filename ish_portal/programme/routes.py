"""The organisers' home: the edition at a glance."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ish_portal.programme import service
from ish_portal.web.deps import DB, Organiser
from ish_portal.web.templating import render

router = APIRouter()


@router.get("/organiser", response_class=HTMLResponse)
def organiser_dashboard(request: Request, db: DB, user: Organiser):
    edition = service.current_edition(db)
    places = service.places_by_organisation(db, edition) if edition else []
    return render(request, "programme/organiser_dashboard.html", {"edition": edition, "places": places})
