"""The lab hosts' pages (/host): their labs, the confirmation, the candidates and their ranking,
the roster with its files, attendance, the placement figures of their lab; and the organisers'
page of each lab's hosts (invitations) and the reminder to confirm."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from ish_portal.errors import DomainError, NotFound
from ish_portal.hosts import files, service
from ish_portal.placement.figures import latest_run, run_figures
from ish_portal.labs.forms import LAB_LANGUAGES, LabForm, rank_form
from ish_portal.labs.service import get_lab, lab_values
from ish_portal.programme.service import current_edition
from ish_portal.text.i18n import gettext as _, language_name, ngettext
from ish_portal.text.timefmt import format_date, local
from ish_portal.db import utcnow
from ish_portal.web.deps import DB, Form, Host, Organiser, SettingsDep
from ish_portal.web.flash import flash
from ish_portal.web.forms import form_values, validate
from ish_portal.web.templating import private_download, redirect, render

router = APIRouter()


def _hosted(db, user, lab_id: int):
    try:
        return service.hosted_lab(db, user, lab_id)
    except NotFound:
        raise HTTPException(404) from None


def _languages():
    return [(code, language_name(code)) for code in LAB_LANGUAGES]


@router.get("/host", response_class=HTMLResponse)
def dashboard(request: Request, db: DB, user: Host):
    labs = service.labs_of(db, user)
    return render(request, "hosts/dashboard.html", {
        "labs": [(lab, edition, service.ranking_locked(edition)) for lab, edition in labs]})


@router.get("/host/labs/{lab_id}", response_class=HTMLResponse)
def lab_page(request: Request, db: DB, user: Host, lab_id: int):
    lab, edition = _hosted(db, user, lab_id)
    return render(request, "hosts/lab.html", {
        "lab": lab, "edition": edition, "locked": service.ranking_locked(edition),
        "candidates": service.candidates(db, lab), "roster": service.roster(db, lab),
        "weeks": service.programme_weeks(edition)})


# -- confirming the lab ------------------------------------------------------------------------------

def _confirm_page(request, lab, edition, values, errors, status_code=200):
    return render(request, "hosts/confirm.html", {
        "lab": lab, "edition": edition, "values": values, "errors": errors, "languages": _languages(),
        "weeks": [(str(w.number), _("week %(number)d (%(start)s – %(end)s)", number=w.number,
                                    start=format_date(w.starts_on), end=format_date(w.ends_on)))
                  for w in service.programme_weeks(edition)]}, status_code=status_code)


@router.get("/host/labs/{lab_id}/confirm", response_class=HTMLResponse)
def confirm_page(request: Request, db: DB, user: Host, lab_id: int):
    lab, edition = _hosted(db, user, lab_id)
    return _confirm_page(request, lab, edition, service.confirmation_values(lab), {})


@router.post("/host/labs/{lab_id}/confirm", response_class=HTMLResponse)
def confirm(request: Request, db: DB, user: Host, form: Form, lab_id: int):
    lab, edition = _hosted(db, user, lab_id)
    typed = form_values(form)
    typed["languages"] = form.getlist("languages")
    typed["weeks"] = form.getlist("weeks")
    values = lab_values(lab) | {name: typed.get(name, "") for name in
                                ("capacity", "min_age", "languages", "subject_area", "description")}
    lab_form, errors = validate(LabForm, values)
    weeks = [int(w) for w in typed["weeks"] if str(w).isdigit()]
    if not weeks:
        errors["weeks"] = _("Choose the weeks the lab can host.")
    if lab_form is not None and not errors:
        try:
            service.confirm_lab(db, user, lab.id, lab_form, weeks)
        except DomainError as exc:
            errors = exc.form_errors()
        else:
            flash(request, _("Thank you: %(lab)s is confirmed for %(edition)s.", lab=lab.label, edition=edition.title))
            return redirect(f"/host/labs/{lab.id}")
    return _confirm_page(request, lab, edition, values | {"weeks": typed["weeks"]}, errors, 400)


# -- candidates and ranking ------------------------------------------------------------------------

def _candidates_page(request, db, user, lab, edition, status_code=200, **extra):
    candidates = service.candidates(db, lab)
    context = {"lab": lab, "edition": edition, "candidates": candidates, "locked": service.ranking_locked(edition),
               "rank_values": {f"rank-{c.nomination_id}": c.rank for c in candidates if c.rank is not None},
               "rank_errors": {}, "problems": []}
    return render(request, "hosts/candidates.html", context | extra, status_code=status_code)


@router.get("/host/labs/{lab_id}/candidates", response_class=HTMLResponse)
def candidates_page(request: Request, db: DB, user: Host, lab_id: int):
    lab, edition = _hosted(db, user, lab_id)
    return _candidates_page(request, db, user, lab, edition)


@router.post("/host/labs/{lab_id}/candidates", response_class=HTMLResponse)
def save_ranking(request: Request, db: DB, user: Host, form: Form, lab_id: int):
    lab, edition = _hosted(db, user, lab_id)
    values = form_values(form)
    ids = [c.nomination_id for c in service.candidates(db, lab)]
    ranks, errors = rank_form(values, ids)
    if errors:
        return _candidates_page(request, db, user, lab, edition, 400, rank_values=values, rank_errors=errors)
    try:
        service.save_ranking(db, user, lab.id, ranks)
    except DomainError as exc:
        return _candidates_page(request, db, user, lab, edition, 400, rank_values=values, problems=[str(exc)])
    flash(request, ngettext("The ranking is saved: %(num)d candidate ranked.",
                            "The ranking is saved: %(num)d candidates ranked.", len(ranks)))
    return redirect(f"/host/labs/{lab.id}/candidates")


@router.get("/host/labs/{lab_id}/candidates/{nomination_id}/cv")
def candidate_cv(db: DB, user: Host, lab_id: int, nomination_id: int):
    try:
        document, data = service.candidate_cv(db, user, lab_id, nomination_id)
    except NotFound:
        raise HTTPException(404) from None
    return private_download(data, document.content_type, f"cv-{nomination_id}.pdf")


# -- roster and attendance --------------------------------------------------------------------

def _roster_page(request, db, user, lab, edition, status_code=200, errors=None, values=None):
    return render(request, "hosts/roster.html", {
        "lab": lab, "edition": edition, "roster": service.roster(db, lab),
        "attendance_open": service.attendance_open(edition, local(utcnow()).date()),
        "errors": errors or {}, "values": values or {}}, status_code=status_code)


@router.get("/host/labs/{lab_id}/roster", response_class=HTMLResponse)
def roster_page(request: Request, db: DB, user: Host, lab_id: int):
    lab, edition = _hosted(db, user, lab_id)
    return _roster_page(request, db, user, lab, edition)


@router.get("/host/labs/{lab_id}/roster.{fmt}")
def roster_file(db: DB, user: Host, lab_id: int, fmt: str):
    lab, edition = _hosted(db, user, lab_id)
    if fmt not in files.FORMATS:
        raise HTTPException(404)
    file = files.roster_file(db, user, lab, edition, fmt)
    return StreamingResponse(file.chunks, media_type=file.content_type, headers={
        "Content-Disposition": f"attachment; filename=\"{file.filename}\"", "Cache-Control": "private, no-store"})


@router.post("/host/labs/{lab_id}/roster/{offer_id}/attendance", response_class=HTMLResponse)
def attendance(request: Request, db: DB, user: Host, form: Form, lab_id: int, offer_id: int):
    lab, edition = _hosted(db, user, lab_id)
    values = form_values(form)
    attended = values.get("attended") == "yes"
    title = str(values.get("project_title", ""))
    try:
        service.confirm_attendance(db, user, lab.id, offer_id, attended, title, local(utcnow()).date())
    except NotFound:
        raise HTTPException(404) from None
    except DomainError as exc:
        errors = {f"{offer_id}-{name}": message for name, message in (exc.fields or {"attended": str(exc)}).items()}
        return _roster_page(request, db, user, lab, edition, 400, errors,
                            {f"{offer_id}-project_title": title, f"{offer_id}-attended": values.get("attended")})
    flash(request, _("Attendance saved."))
    return redirect(f"/host/labs/{lab.id}/roster")


# -- the placement's figures for the lab ------------------------------------------------------

@router.get("/host/labs/{lab_id}/placement", response_class=HTMLResponse)
def placement_page(request: Request, db: DB, user: Host, lab_id: int):
    lab, edition = _hosted(db, user, lab_id)
    run = latest_run(db, edition.id)
    return render(request, "hosts/placement.html", {
        "lab": lab, "edition": edition, "figures": run_figures(db, run, lab) if run else None})


# -- the organisers' side: each lab's hosts --------------------------------------------------------

def _organiser_lab(db, lab_id: int):
    edition = current_edition(db)
    if edition is None:
        raise HTTPException(404)
    try:
        return get_lab(db, edition.id, lab_id)
    except NotFound:
        raise HTTPException(404) from None


def _hosts_page(request, db, lab, values=None, errors=None, status_code=200):
    return render(request, "hosts/organiser_hosts.html", {
        "lab": lab, "hosts": service.hosts_of(db, lab.id), "values": values or {}, "errors": errors or {}},
        status_code=status_code)


@router.get("/organiser/labs/{lab_id}/hosts", response_class=HTMLResponse)
def hosts_page(request: Request, db: DB, user: Organiser, lab_id: int):
    return _hosts_page(request, db, _organiser_lab(db, lab_id))


@router.post("/organiser/labs/{lab_id}/hosts", response_class=HTMLResponse)
def invite(request: Request, db: DB, settings: SettingsDep, user: Organiser, form: Form, lab_id: int):
    lab = _organiser_lab(db, lab_id)
    values = {key: str(form.get(key, "")).strip() for key in ("email", "full_name")}
    errors = {}
    if "@" not in values["email"] or len(values["email"]) > 254:
        errors["email"] = _("Enter an email address like name@example.org.")
    if not values["full_name"] or len(values["full_name"]) > 200:
        errors["full_name"] = _("Enter the host's name (at most 200 characters).")
    if not errors:
        try:
            invited = service.invite_host(db, user, lab.id, email=values["email"], full_name=values["full_name"],
                                          base_url=settings.base_url,
                                          valid_for=timedelta(days=settings.invitation_days))
        except DomainError as exc:
            errors = exc.form_errors()
        else:
            flash(request, _("Invitation sent to %(email)s.", email=invited.email))
            return redirect(f"/organiser/labs/{lab.id}/hosts")
    return _hosts_page(request, db, lab, values, errors, 400)


@router.post("/organiser/labs/{lab_id}/hosts/{user_id}/remove")
def remove(request: Request, db: DB, user: Organiser, lab_id: int, user_id: int):
    lab = _organiser_lab(db, lab_id)
    try:
        removed = service.remove_host(db, user, lab.id, user_id)
    except NotFound:
        raise HTTPException(404) from None
    flash(request, _("%(name)s no longer hosts %(lab)s.", name=removed.full_name, lab=lab.label))
    return redirect(f"/organiser/labs/{lab.id}/hosts")


@router.post("/organiser/hosts/remind")
def remind(request: Request, db: DB, settings: SettingsDep, user: Organiser):
    edition = current_edition(db)
    if edition is None:
        raise HTTPException(404)
    count = service.remind_unconfirmed(db, user, edition.id, settings.base_url)
    flash(request, ngettext("A reminder went to the hosts of %(num)d lab.",
                            "A reminder went to the hosts of %(num)d labs.", count))
    return redirect("/organiser/labs")
