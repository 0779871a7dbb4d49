"""The applicant's side: where they stand."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ish_portal.nominations.service import status_label
from ish_portal.programme.models import Edition, Organisation
from ish_portal.web.deps import DB, Applicant
from ish_portal.web.templating import render

router = APIRouter()


@router.get("/applicant", response_class=HTMLResponse)
def applicant_status(request: Request, db: DB, nomination: Applicant):
    return render(request, "applicants/status.html", {
        "nomination": nomination, "edition": db.get(Edition, nomination.edition_id),
        "organisation": db.get(Organisation, nomination.organisation_id),
        "status_label": status_label})


@router.post("/applicant/sign-out")
def applicant_sign_out(request: Request, nomination: Applicant):
    language = request.session.get("lang")
    request.session.clear()
    if language:
        request.session["lang"] = language
    return render(request, "accounts/signed_out.html")
