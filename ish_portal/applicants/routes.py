"""The applicant's side: where they stand."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ish_portal.accounts.service import AccountError
from ish_portal.applicants import service
from ish_portal.nominations.service import status_label
from ish_portal.programme.models import Edition, Organisation
from ish_portal.web.deps import DB, Applicant, Form, public
from ish_portal.web.i18n import gettext as _
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


# -- a guardian's consent, through their own link --------------------------------------------------

@router.get("/consent/{token}", response_class=HTMLResponse)
@public
def consent_page(request: Request, db: DB, token: str):
    try:
        nomination, edition = service.consent_request(db, token)
    except AccountError as exc:
        return render(request, "applicants/consent_done.html", {"message": str(exc), "failed": True},
                      status_code=410)
    return render(request, "applicants/consent.html", {"nomination": nomination, "edition": edition,
                                                       "token": token})


@router.post("/consent/{token}", response_class=HTMLResponse)
@public
def give_consent(request: Request, db: DB, form: Form, token: str):
    name = str(form.get("guardian_name", ""))
    errors = {}
    if form.get("agree") != "yes":
        errors["agree"] = _("Tick the box to give your consent.")
    if not name.strip():
        errors["guardian_name"] = _("Enter your full name as your signature.")
    if not errors:
        try:
            nomination = service.give_guardian_consent(db, token, name)
        except AccountError as exc:
            return render(request, "applicants/consent_done.html", {"message": str(exc), "failed": True},
                          status_code=410)
        return render(request, "applicants/consent_done.html", {"nomination": nomination})
    try:
        nomination, edition = service.consent_request(db, token)
    except AccountError as exc:
        return render(request, "applicants/consent_done.html", {"message": str(exc), "failed": True},
                      status_code=410)
    return render(request, "applicants/consent.html", {"nomination": nomination, "edition": edition,
                                                       "token": token, "errors": errors,
                                                       "values": {"guardian_name": name}}, status_code=400)
