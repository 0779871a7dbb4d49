"""The panel's pages: the members' own (/panel: reviewers and interviewers, organisers among them)
and the organisers' (/organiser/panel: members, rubric and settings, assignment, a nomination's
reviews and the override of its score)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from ish_portal.db import as_id, utcnow
from ish_portal.errors import DomainError, NotFound
from ish_portal.interviews import service as interviews
from ish_portal.nominations.models import Nomination
from ish_portal.nominations.service import status_label
from ish_portal.panel import service
from ish_portal.panel.messages import duties_text
from ish_portal.programme.models import Edition, Organisation
from ish_portal.programme.service import current_edition
from ish_portal.text.timefmt import local
from ish_portal.web.deps import DB, Form, Organiser, PanelUser, SettingsDep
from ish_portal.web.flash import flash
from ish_portal.web.forms import form_values, validate
from ish_portal.web.templating import private_download, redirect, render
from ish_portal.text.i18n import gettext as _
from sqlmodel import select

router = APIRouter()


@router.get("/panel", response_class=HTMLResponse)
def dashboard(request: Request, db: DB, user: PanelUser):
    return render(request, "panel/dashboard.html", {"memberships": service.memberships(db, user),
                                                    "assigned": service.my_reviews(db, user),
                                                    "agenda": interviews.agenda(db, user, upcoming_from=utcnow()),
                                                    "user_is_organiser": user.is_organiser})


# -- the reviewer's pages -----------------------------------------------------------------------

@router.get("/panel/reviews", response_class=HTMLResponse)
def my_reviews(request: Request, db: DB, user: PanelUser):
    return render(request, "panel/reviews.html", {"assigned": service.my_reviews(db, user)})


def _sheet(db, user, nomination_id):
    try:
        return service.review_sheet(db, user, nomination_id)
    except NotFound:
        raise HTTPException(404) from None


def _review_page(request, db, user, nomination_id, errors=None, values=None, status_code=200):
    sheet = _sheet(db, user, nomination_id)
    if values is None:
        values = {f"c{k}": str(v) for k, v in sheet.scores.items()} | {"comment": sheet.review.comment}
    return render(request, "panel/review.html", {"sheet": sheet, "errors": errors or {}, "values": values},
                  status_code=status_code)


@router.get("/panel/reviews/{nomination_id}", response_class=HTMLResponse)
def review_page(request: Request, db: DB, user: PanelUser, nomination_id: int):
    return _review_page(request, db, user, nomination_id)


@router.post("/panel/reviews/{nomination_id}", response_class=HTMLResponse)
def save_review(request: Request, db: DB, user: PanelUser, form: Form, nomination_id: int):
    _sheet(db, user, nomination_id)
    values = form_values(form)
    try:
        service.save_review(db, user, nomination_id, values)
    except DomainError as exc:
        db.rollback()
        return _review_page(request, db, user, nomination_id, exc.form_errors(), values, 400)
    flash(request, _("Your review is saved."))
    return redirect("/panel/reviews")


@router.get("/panel/reviews/{nomination_id}/documents/{document_id}")
def review_document(request: Request, db: DB, user: PanelUser, nomination_id: int, document_id: int):
    try:
        file = service.review_document(db, user, nomination_id, document_id)
    except NotFound:
        raise HTTPException(404) from None
    return private_download(file.data, file.content_type, file.filename)


# -- the organisers' pages ----------------------------------------------------------------------

def _edition(db) -> Edition:
    edition = current_edition(db)
    if edition is None:
        raise HTTPException(404)
    return edition


def _organisations(db) -> list[Organisation]:
    return list(db.exec(select(Organisation).order_by(Organisation.name)).all())


def _members_page(request, db, errors=None, values=None, status_code=200):
    edition = _edition(db)
    return render(request, "panel/members.html", {
        "edition": edition, "members": service.members(db, edition.id), "organisations": _organisations(db),
        "settings": service.settings_of(db, edition.id), "duties_text": duties_text,
        "errors": errors or {}, "values": values or {"reviews": "yes"}}, status_code=status_code)


@router.get("/organiser/panel", response_class=HTMLResponse)
def members_page(request: Request, db: DB, user: Organiser):
    return _members_page(request, db)


@router.post("/organiser/panel", response_class=HTMLResponse)
def invite(request: Request, db: DB, settings: SettingsDep, user: Organiser, form: Form):
    edition = _edition(db)
    values = form_values(form)
    email, name = str(values.get("email", "")).strip(), str(values.get("full_name", "")).strip()
    errors = {}
    if "@" not in email or len(email) > 254:
        errors["email"] = _("Enter an email address like name@example.org.")
    if not name or len(name) > 200:
        errors["full_name"] = _("Enter the person's name.")
    if not errors:
        try:
            service.invite_member(db, user, edition, email=email, full_name=name,
                                  reviews=values.get("reviews") == "yes", interviews=values.get("interviews") == "yes",
                                  base_url=settings.base_url, valid_for=timedelta(days=settings.invitation_days))
        except DomainError as exc:
            db.rollback()
            errors = exc.form_errors()
        else:
            flash(request, _("%(email)s is on the panel and has been told.", email=email))
            return redirect("/organiser/panel")
    return _members_page(request, db, errors, values, 400)


@router.post("/organiser/panel/assign")
def assign(request: Request, db: DB, user: Organiser):
    added = service.assign_all(db, user, _edition(db))
    flash(request, _("%(count)d new assignments.", count=added))
    return redirect("/organiser/panel")


@router.post("/organiser/panel/members/{member_id}/duties")
def set_duties(request: Request, db: DB, user: Organiser, form: Form, member_id: int):
    try:
        service.set_duties(db, user, _edition(db), member_id, reviews=form.get("reviews") == "yes",
                           interviews=form.get("interviews") == "yes")
    except NotFound:
        raise HTTPException(404) from None
    except DomainError as exc:
        flash(request, exc.form_errors().get("duties") or str(exc), "error")
    else:
        flash(request, _("Duties saved."))
    return redirect("/organiser/panel")


@router.post("/organiser/panel/members/{member_id}/conflicts")
def set_conflicts(request: Request, db: DB, user: Organiser, form: Form, member_id: int):
    ids = [number for number in map(as_id, form.getlist("organisation_id")) if number is not None]
    try:
        removed = service.set_conflicts(db, user, _edition(db), member_id, ids)
    except NotFound:
        raise HTTPException(404) from None
    flash(request, _("Conflicts saved; %(count)d open reviews were taken away.", count=removed) if removed
          else _("Conflicts saved."))
    return redirect("/organiser/panel")


def _member_row(db, member_id):
    edition = _edition(db)
    row = next((r for r in service.members(db, edition.id) if r.member.id == member_id), None)
    if row is None:
        raise HTTPException(404)
    return edition, row


@router.get("/organiser/panel/members/{member_id}/remove", response_class=HTMLResponse)
def remove_page(request: Request, db: DB, user: Organiser, member_id: int):
    edition, row = _member_row(db, member_id)
    return render(request, "panel/remove.html", {"edition": edition, "row": row})


@router.post("/organiser/panel/members/{member_id}/remove")
def remove(request: Request, db: DB, user: Organiser, member_id: int):
    edition, _row = _member_row(db, member_id)
    removed = service.remove_member(db, user, edition, member_id)
    flash(request, _("%(name)s is no longer on the panel.", name=removed.full_name))
    return redirect("/organiser/panel")


# -- the rubric and the settings ----------------------------------------------------------------

def _rubric_page(request, db, errors=None, values=None, status_code=200, errors_for=None):
    edition = _edition(db)
    settings = service.settings_of(db, edition.id)
    settings_values = {"reviews_per_nomination": settings.reviews_per_nomination,
                       "blind_review": settings.blind_review, "standardise": settings.standardise,
                       "review_deadline": local(settings.review_deadline).strftime("%Y-%m-%dT%H:%M") if settings.review_deadline else ""}
    if errors_for == "settings":
        settings_values = values
    return render(request, "panel/rubric.html", {
        "edition": edition, "criteria": service.criteria(db, edition.id), "errors": errors or {},
        "errors_for": errors_for, "values": values if errors_for and errors_for != "settings" else {},
        "settings_values": settings_values}, status_code=status_code)


@router.get("/organiser/panel/rubric", response_class=HTMLResponse)
def rubric_page(request: Request, db: DB, user: Organiser):
    return _rubric_page(request, db)


@router.post("/organiser/panel/settings", response_class=HTMLResponse)
def save_settings(request: Request, db: DB, user: Organiser, form: Form):
    values = form_values(form)
    values.setdefault("blind_review", "")
    values.setdefault("standardise", "")
    parsed, errors = validate(service.SettingsForm, values)
    if parsed is not None:
        service.save_settings(db, user, _edition(db), parsed)
        flash(request, _("Review settings saved."))
        return redirect("/organiser/panel/rubric")
    return _rubric_page(request, db, errors, values, 400, "settings")


def _save_criterion(request, db, user, form, criterion_id=None):
    values = form_values(form)
    parsed, errors = validate(service.CriterionForm, values)
    if parsed is not None:
        try:
            service.save_criterion(db, user, _edition(db), parsed, criterion_id)
        except NotFound:
            raise HTTPException(404) from None
        except DomainError as exc:
            db.rollback()
            errors = exc.form_errors()
        else:
            flash(request, _("Rubric saved."))
            return redirect("/organiser/panel/rubric")
    return _rubric_page(request, db, errors, values, 400, str(criterion_id or "new"))


@router.post("/organiser/panel/criteria", response_class=HTMLResponse)
def add_criterion(request: Request, db: DB, user: Organiser, form: Form):
    return _save_criterion(request, db, user, form)


@router.post("/organiser/panel/criteria/{criterion_id}", response_class=HTMLResponse)
def change_criterion(request: Request, db: DB, user: Organiser, form: Form, criterion_id: int):
    return _save_criterion(request, db, user, form, criterion_id)


@router.post("/organiser/panel/criteria/{criterion_id}/delete")
def delete_criterion(request: Request, db: DB, user: Organiser, criterion_id: int):
    try:
        service.delete_criterion(db, user, _edition(db), criterion_id)
    except NotFound:
        raise HTTPException(404) from None
    except DomainError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, _("Criterion deleted."))
    return redirect("/organiser/panel/rubric")


# -- one nomination's reviews -------------------------------------------------------------------

def _nomination(db, nomination_id) -> Nomination:
    nomination = db.get(Nomination, nomination_id)
    if nomination is None:
        raise HTTPException(404)
    return nomination


def _nomination_page(request, db, nomination, errors=None, values=None, status_code=200):
    panel = service.panel_score(db, nomination.id)
    criteria = service.criteria(db, nomination.edition_id)
    reviews = service.nomination_reviews(db, nomination, criteria)
    on = {r.review.panel_member_id for r in reviews}
    candidates = [r for r in service.members(db, nomination.edition_id) if r.member.reviews and r.member.id not in on]
    if values is None:
        values = {"override": "" if not panel or panel.override is None else panel.override,
                  "reason": panel.override_reason if panel else ""}
    return render(request, "panel/nomination.html", {
        "nomination": nomination, "status": status_label(nomination.status), "panel": panel,
        "summary": service.summaries(db, [nomination.id]).get(nomination.id),
        "reviews": reviews, "criteria": criteria,
        "candidates": candidates, "errors": errors or {}, "values": values}, status_code=status_code)


@router.get("/organiser/panel/nominations/{nomination_id}", response_class=HTMLResponse)
def nomination_page(request: Request, db: DB, user: Organiser, nomination_id: int):
    return _nomination_page(request, db, _nomination(db, nomination_id))


@router.post("/organiser/panel/nominations/{nomination_id}/reviewers", response_class=HTMLResponse)
def add_reviewer(request: Request, db: DB, user: Organiser, form: Form, nomination_id: int):
    nomination = _nomination(db, nomination_id)
    member_id = str(form.get("member_id", ""))
    try:
        service.add_reviewer(db, user, nomination, int(member_id) if member_id.isdigit() else 0)
    except DomainError as exc:
        db.rollback()
        return _nomination_page(request, db, _nomination(db, nomination_id), exc.form_errors(), None, 400)
    flash(request, _("Reviewer added."))
    return redirect(f"/organiser/panel/nominations/{nomination_id}")


@router.post("/organiser/panel/nominations/{nomination_id}/reviewers/{review_id}/remove")
def remove_reviewer(request: Request, db: DB, user: Organiser, form: Form, nomination_id: int, review_id: int):
    try:
        service.remove_reviewer(db, user, _nomination(db, nomination_id), review_id, form.get("confirm") == "yes")
    except NotFound:
        raise HTTPException(404) from None
    except DomainError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, _("Reviewer removed."))
    return redirect(f"/organiser/panel/nominations/{nomination_id}")


@router.post("/organiser/panel/nominations/{nomination_id}/override", response_class=HTMLResponse)
def override(request: Request, db: DB, user: Organiser, form: Form, nomination_id: int):
    nomination = _nomination(db, nomination_id)
    values = form_values(form)
    raw = str(values.get("override", "")).strip()
    if raw and not raw.isdigit():
        return _nomination_page(request, db, nomination, {"override": _("Enter a whole number from 0 to 100.")},
                                values, 400)
    try:
        service.override_score(db, user, nomination, int(raw) if raw else None, str(values.get("reason", "")))
    except DomainError as exc:
        db.rollback()
        return _nomination_page(request, db, _nomination(db, nomination_id), exc.form_errors(), values, 400)
    flash(request, _("Score overridden.") if raw else _("The panel's score counts again."))
    return redirect(f"/organiser/panel/nominations/{nomination_id}")
