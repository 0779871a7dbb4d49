"""The coordinator's side of nominations: thin HTTP around nominations.service."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from ish_portal.errors import DomainError, NotFound
from ish_portal.nominations import service
from ish_portal.nominations.forms import CEFR_LEVELS, GERMAN_LEVELS, CandidateForm, WithdrawForm, countries
from ish_portal.nominations.models import Nomination, NominationStatus

from ish_portal.programme.models import DocumentKind, Edition, Organisation
from ish_portal.nominations.places import places_of
from ish_portal.programme.service import current_edition, deadline_of
from ish_portal.web.deps import DB, Coordinator, Form, NotAuthenticated, SettingsDep, optional_user
from ish_portal.web.flash import flash
from ish_portal.web.forms import form_values, in_field_order, valid_part, validate
from ish_portal.text import i18n
from ish_portal.text.i18n import LANGUAGES, current_language, gettext as _
from ish_portal.web.templating import private_download, redirect, render

router = APIRouter()


def _edition_or_404(db) -> Edition:
    edition = current_edition(db)
    if edition is None:
        raise HTTPException(404)
    return edition


def _own(db, user, nomination_id: int) -> Nomination:
    try:
        return service.own_nomination(db, user, nomination_id)
    except NotFound:
        raise HTTPException(404) from None


@router.get("/coordinator", response_class=HTMLResponse)
def coordinator_dashboard(request: Request, db: DB, user: Coordinator):
    edition = current_edition(db)
    organisation = db.get(Organisation, user.organisation_id)
    context = {"edition": edition, "organisation": organisation, "rows": [], "places": None}
    if edition is not None:
        places = places_of(db, edition, organisation)
        context["places"] = places
        context["deadline"] = deadline_of(edition, places.quota)
        context["rows"] = [(n, service.missing_items(db, n, edition) if n.status == NominationStatus.DRAFT else [])
                           for n in service.nominations_of_organisation(db, user, edition.id)]
    return render(request, "nominations/coordinator_dashboard.html", context)


def _form_context(db, edition: Edition, values: dict, errors: dict) -> dict:
    return {"edition": edition, "values": values, "errors": errors, "languages": [(code, i18n.language_choice(code)) for code in LANGUAGES],
            "subjects": service.subject_areas(db, edition.id), "countries": countries(current_language()),
            "english_levels": CEFR_LEVELS, "german_levels": GERMAN_LEVELS}


@router.get("/coordinator/nominations/new", response_class=HTMLResponse)
def new_nomination(request: Request, db: DB, user: Coordinator):
    edition = _edition_or_404(db)
    # Until the coordinator says otherwise, the family reads in the coordinator's language.
    defaults = {"language": user.language, "guardian_language": user.language}
    return render(request, "nominations/candidate_form.html", _form_context(db, edition, defaults, {}))


@router.post("/coordinator/nominations", response_class=HTMLResponse)
def create_nomination(request: Request, db: DB, user: Coordinator, form: Form):
    edition = _edition_or_404(db)
    return _save(request, db, user, edition, form, None)


@router.get("/coordinator/nominations/{nomination_id}/edit", response_class=HTMLResponse)
def edit_nomination(request: Request, db: DB, user: Coordinator, nomination_id: int):
    nomination = _own(db, user, nomination_id)
    edition = db.get(Edition, nomination.edition_id)
    values = nomination.model_dump()
    values["date_of_birth"] = nomination.date_of_birth.isoformat() if nomination.date_of_birth else ""
    return render(request, "nominations/candidate_form.html",
                  {**_form_context(db, edition, values, {}), "nomination": nomination})


@router.post("/coordinator/nominations/{nomination_id}/edit", response_class=HTMLResponse)
def update_nomination(request: Request, db: DB, user: Coordinator, form: Form, nomination_id: int):
    nomination = _own(db, user, nomination_id)
    return _save(request, db, user, db.get(Edition, nomination.edition_id), form, nomination)


def _save(request, db, user, edition, form, nomination):
    values = form_values(form)
    values["subjects"] = form.getlist("subjects")
    candidate, errors = validate(CandidateForm, values)
    if candidate is None:
        # What is wrong against the edition too, in the same answer.
        part = valid_part(CandidateForm, values, errors)
        errors = in_field_order(CandidateForm, {
            **service.check_against_edition(part, edition, service.subject_areas(db, edition.id)), **errors})
    else:
        try:
            saved = service.save_draft(db, user, edition, candidate, nomination.id if nomination else None)
        except DomainError as exc:
            errors = exc.form_errors()
        else:
            flash(request, _("Saved. The nomination stays a draft until you submit it."))
            return redirect(f"/coordinator/nominations/{saved.id}")
    return render(request, "nominations/candidate_form.html",
                  {**_form_context(db, edition, values, errors), "nomination": nomination}, status_code=400)


@router.get("/coordinator/nominations/{nomination_id}", response_class=HTMLResponse)
def nomination_page(request: Request, db: DB, user: Coordinator, nomination_id: int):
    nomination = _own(db, user, nomination_id)
    return _detail(request, db, nomination)


def _detail(request, db, nomination, status_code=200, **extra):
    edition = db.get(Edition, nomination.edition_id)
    documents = service.documents_of(db, nomination)
    draft = nomination.status == NominationStatus.DRAFT
    # A draft can be submitted only into a free place: said before the coordinator tries.
    places = places_of(db, edition, db.get(Organisation, nomination.organisation_id)) if draft else None
    return render(request, "nominations/nomination.html", {
        "nomination": nomination, "edition": edition, "documents": documents,
        "missing": service.missing_items(db, nomination, edition) if draft else [], "places": places,
        "required": service.required_documents(nomination, edition),
        "document_kinds": [k.value for k in DocumentKind], "history": service.history_of(db, nomination, for_coordinator=True),
        "minor": service.is_minor(nomination, edition),
        "withdrawable": service.withdrawal_refused(nomination, edition) is None,
        "guardian_request": service.guardian_request_refused(nomination, edition) is None, **extra},
        status_code=status_code)


@router.post("/coordinator/nominations/{nomination_id}/documents", response_class=HTMLResponse)
def upload(request: Request, db: DB, user: Coordinator, form: Form, nomination_id: int):
    nomination = _own(db, user, nomination_id)
    file = form.get("file")
    kind = str(form.get("kind", ""))
    if not isinstance(file, UploadFile) or not file.filename:
        return _detail(request, db, nomination, 400, upload_error=_("Choose a file to upload."), upload_kind=kind)
    try:
        document = service.upload_as_coordinator(db, user, nomination.id, kind, file.filename, file.file)
    except DomainError as exc:
        return _detail(request, db, nomination, 400, upload_error=str(exc), upload_kind=kind)
    flash(request, _("%(file)s uploaded.", file=document.original_filename))
    return redirect(f"/coordinator/nominations/{nomination.id}#documents")


@router.post("/coordinator/nominations/{nomination_id}/documents/{document_id}/delete")
def remove_document(request: Request, db: DB, user: Coordinator, nomination_id: int, document_id: int):
    try:
        service.delete_document(db, user, nomination_id, document_id)
    except NotFound:
        raise HTTPException(404) from None
    except DomainError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, _("The document was removed."))
    return redirect(f"/coordinator/nominations/{nomination_id}#documents")


@router.post("/coordinator/nominations/{nomination_id}/submit", response_class=HTMLResponse)
def submit(request: Request, db: DB, user: Coordinator, settings: SettingsDep, nomination_id: int):
    nomination = _own(db, user, nomination_id)
    try:
        service.submit(db, user, nomination.id, settings.base_url, settings.access_link_days)
    except DomainError as exc:
        return _detail(request, db, nomination, 400 if exc.details else 409, submit_error=exc.message,
                       submit_missing=exc.details)
    flash(request, _("%(name)s is nominated. We have emailed the candidate their personal link.",
                     name=nomination.display_name))
    return redirect(f"/coordinator/nominations/{nomination.id}")


@router.post("/coordinator/nominations/{nomination_id}/guardian-request")
def send_guardian_request(request: Request, db: DB, user: Coordinator, settings: SettingsDep, nomination_id: int):
    nomination = _own(db, user, nomination_id)
    try:
        service.send_guardian_request_again(db, user, nomination.id, settings.base_url)
    except DomainError as exc:
        flash(request, exc.message, "error")
    else:
        flash(request, _("A new consent link is on its way to %(address)s.", address=nomination.guardian_email))
    return redirect(f"/coordinator/nominations/{nomination.id}")


@router.get("/coordinator/nominations/{nomination_id}/withdraw", response_class=HTMLResponse)
def withdraw_page(request: Request, db: DB, user: Coordinator, nomination_id: int):
    nomination = _own(db, user, nomination_id)
    refused = service.withdrawal_refused(nomination, db.get(Edition, nomination.edition_id))
    if refused:
        flash(request, refused, "error")
        return redirect(f"/coordinator/nominations/{nomination.id}")
    return render(request, "nominations/withdraw.html", {"nomination": nomination})


@router.post("/coordinator/nominations/{nomination_id}/withdraw", response_class=HTMLResponse)
def withdraw(request: Request, db: DB, user: Coordinator, form: Form, nomination_id: int):
    nomination = _own(db, user, nomination_id)
    values = form_values(form)
    reason, errors = validate(WithdrawForm, values)
    if reason is not None:
        try:
            service.withdraw(db, user, nomination.id, reason.reason)
        except DomainError as exc:
            errors = exc.form_errors()
        else:
            flash(request, _("%(name)s is withdrawn; the place is free again.", name=nomination.display_name))
            return redirect("/coordinator")
    return render(request, "nominations/withdraw.html", {"nomination": nomination, "values": values,
                                                         "errors": errors}, status_code=400)


@router.get("/documents/{document_id}")
def download_document(request: Request, db: DB, document_id: int):
    """For the candidate, their coordinator and the organisers; 404 for everyone else."""
    user = optional_user(request, db)
    applicant_id = request.session.get("applicant")
    applicant = db.get(Nomination, applicant_id) if applicant_id is not None else None
    if user is None and applicant is None:
        raise NotAuthenticated()
    try:
        file = service.download(db, document_id, user=user, applicant=applicant)
    except NotFound:
        raise HTTPException(404) from None
    return private_download(file.data, file.content_type, file.filename)
