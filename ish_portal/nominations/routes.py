"""The coordinator's side of nominations."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ish_portal.nominations import service
from ish_portal.programme.models import Organisation
from ish_portal.programme.service import current_edition, places_of
from ish_portal.web.deps import DB, Coordinator
from ish_portal.web.templating import render

router = APIRouter()


@router.get("/coordinator", response_class=HTMLResponse)
def coordinator_dashboard(request: Request, db: DB, user: Coordinator):
    edition = current_edition(db)
    organisation = db.get(Organisation, user.organisation_id)
    context = {"edition": edition, "organisation": organisation, "nominations": [], "places": None}
    if edition is not None:
        context["places"] = places_of(db, edition, organisation)
        context["nominations"] = service.nominations_of_organisation(db, user, edition.id)
    context["status_label"] = service.status_label
    return render(request, "nominations/coordinator_dashboard.html", context)
