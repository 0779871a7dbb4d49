"""The organisers' pages for the edition's host labs: list, form, retire and reinstate, CSV export
and import, and each lab's own ranking of candidates."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from ish_portal.errors import DomainError, NotFound
from ish_portal.placement import rankings
from ish_portal.labs import csv_io, service
from ish_portal.labs.forms import FIELDS, LAB_LANGUAGES, LabForm, rank_form
from ish_portal.text.i18n import language_name
from ish_portal.programme.service import current_edition
from ish_portal.web.deps import DB, Form, Organiser
from ish_portal.web.flash import flash
from ish_portal.web.forms import form_values, validate
from ish_portal.text.i18n import gettext as _
from ish_portal.text.i18n import ngettext
from ish_portal.web.templating import redirect, render

router = APIRouter()

PAGE_SIZE = 50


def _edition(db):
    edition = current_edition(db)
    if edition is None:
        raise HTTPException(404)
    return edition


def _lab(db, edition, lab_id: int):
    try:
        return service.get_lab(db, edition.id, lab_id)
    except NotFound:
        raise HTTPException(404) from None


def _languages():
    return [(code, language_name(code)) for code in LAB_LANGUAGES]


@router.get("/organiser/labs", response_class=HTMLResponse)
def labs_page(request: Request, db: DB, user: Organiser, page: int = 1):
    edition = _edition(db)
    labs = service.edition_labs(db, edition.id)
    pages = max(1, -(-len(labs.active) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    return render(request, "labs/list.html", {
        "edition": edition, "labs": labs, "page": page, "pages": pages,
        "shown": labs.active[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]})


@router.get("/organiser/labs/new", response_class=HTMLResponse)
def new_lab(request: Request, db: DB, user: Organiser):
    edition = _edition(db)
    return _form(request, edition, None, {"capacity": 2, "organisation_cap": 1, "languages": ["en"]}, {})


def _form(request, edition, lab, values, errors, status_code=200):
    return render(request, "labs/form.html", {
        "edition": edition, "lab": lab, "values": values, "errors": errors,
        "languages": _languages()}, status_code=status_code)


def _lab_form_values(form) -> dict:
    values = form_values(form)
    values["languages"] = form.getlist("languages")
    return {name: values.get(name, "") for name in FIELDS}


@router.post("/organiser/labs/new", response_class=HTMLResponse)
def create_lab(request: Request, db: DB, user: Organiser, form: Form):
    edition = _edition(db)
    values = _lab_form_values(form)
    lab_form, errors = validate(LabForm, values)
    if lab_form is not None:
        try:
            lab = service.create_lab(db, user, edition.id, lab_form)
        except DomainError as exc:
            errors = exc.form_errors()
        else:
            flash(request, _("The lab %(lab)s is added.", lab=lab.label))
            return redirect(f"/organiser/labs/{lab.id}")
    return _form(request, edition, None, values, errors, 400)


@router.get("/organiser/labs/export.csv")
def export_labs(db: DB, user: Organiser):
    edition = _edition(db)
    return Response(service.export_labs(db, edition.id), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="labs-{edition.year}.csv"'})


@router.get("/organiser/labs/import", response_class=HTMLResponse)
def import_page(request: Request, db: DB, user: Organiser):
    return _import(request, _edition(db), [])


def _import(request, edition, problems, status_code=200):
    return render(request, "labs/import.html", {
        "edition": edition, "problems": problems, "columns": csv_io.LAB_COLUMNS,
        "max_rows": csv_io.MAX_ROWS, "max_kb": csv_io.MAX_BYTES // 1024}, status_code=status_code)


def _upload(form) -> bytes:
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        raise csv_io.CSVError(_("Choose a CSV file to upload."))
    return csv_io.read_upload(file.file)


@router.post("/organiser/labs/import", response_class=HTMLResponse)
def import_labs(request: Request, db: DB, user: Organiser, form: Form):
    edition = _edition(db)
    try:
        table = csv_io.read_table(_upload(form), csv_io.LAB_COLUMNS, FIELDS)
        rows, problems = csv_io.parse_labs(table)
        if problems:
            raise DomainError(details=problems)
        result = service.import_labs(db, user, edition.id, rows)
    except DomainError as exc:
        return _import(request, edition, exc.details or [exc.message], 400)
    except csv_io.CSVError as exc:
        return _import(request, edition, [str(exc)], 400)
    flash(request, _("Import done: %(added)s, %(changed)s, %(unchanged)s.",
                     added=ngettext("%(num)d lab added", "%(num)d labs added", result.added),
                     changed=ngettext("%(num)d changed", "%(num)d changed", result.changed),
                     unchanged=ngettext("%(num)d unchanged", "%(num)d unchanged", result.unchanged)))
    if table.ignored_columns:
        flash(request, _("These columns were not read: %(columns)s.", columns=", ".join(table.ignored_columns)),
              "error")
    return redirect("/organiser/labs")


@router.get("/organiser/labs/{lab_id}", response_class=HTMLResponse)
def lab_page(request: Request, db: DB, user: Organiser, lab_id: int):
    edition = _edition(db)
    return _detail(request, db, edition, _lab(db, edition, lab_id))


def _detail(request, db, edition, lab, status_code=200, **extra):
    candidates = rankings.ranking_candidates(db, edition.id, lab.id)
    context = {"edition": edition, "lab": lab, "candidates": candidates,
               "ranked": sum(1 for c in candidates if c.rank is not None),
               "rank_values": {f"rank-{c.nomination.id}": c.rank for c in candidates if c.rank is not None},
               "rank_errors": {}, "ranking_problems": []}
    context.update(extra)
    return render(request, "labs/detail.html", context, status_code=status_code)


@router.get("/organiser/labs/{lab_id}/edit", response_class=HTMLResponse)
def edit_lab(request: Request, db: DB, user: Organiser, lab_id: int):
    edition = _edition(db)
    lab = _lab(db, edition, lab_id)
    return _form(request, edition, lab, service.lab_values(lab), {})


@router.post("/organiser/labs/{lab_id}/edit", response_class=HTMLResponse)
def save_lab(request: Request, db: DB, user: Organiser, form: Form, lab_id: int):
    edition = _edition(db)
    lab = _lab(db, edition, lab_id)
    values = _lab_form_values(form)
    lab_form, errors = validate(LabForm, values)
    if lab_form is not None:
        try:
            service.update_lab(db, user, edition.id, lab.id, lab_form)
        except DomainError as exc:
            errors = exc.form_errors()
        else:
            flash(request, _("The lab is saved."))
            return redirect(f"/organiser/labs/{lab.id}")
    return _form(request, edition, lab, values, errors, 400)


@router.get("/organiser/labs/{lab_id}/retire", response_class=HTMLResponse)
def confirm_retire(request: Request, db: DB, user: Organiser, lab_id: int):
    return _confirm(request, db, lab_id, retire=True)


@router.get("/organiser/labs/{lab_id}/reinstate", response_class=HTMLResponse)
def confirm_reinstate(request: Request, db: DB, user: Organiser, lab_id: int):
    return _confirm(request, db, lab_id, retire=False)


def _confirm(request, db, lab_id, retire):
    edition = _edition(db)
    lab = _lab(db, edition, lab_id)
    if lab.retired == retire:
        return redirect(f"/organiser/labs/{lab.id}")
    return render(request, "labs/confirm.html", {
        "edition": edition, "lab": lab, "retire": retire,
        "preferences": rankings.preference_count(db, lab.id)})


@router.post("/organiser/labs/{lab_id}/retire", response_class=HTMLResponse)
def retire(request: Request, db: DB, user: Organiser, lab_id: int):
    return _set_retired(request, db, user, lab_id, retire=True)


@router.post("/organiser/labs/{lab_id}/reinstate", response_class=HTMLResponse)
def reinstate(request: Request, db: DB, user: Organiser, lab_id: int):
    return _set_retired(request, db, user, lab_id, retire=False)


def _set_retired(request, db, user, lab_id, retire):
    edition = _edition(db)
    lab = _lab(db, edition, lab_id)
    try:
        if retire:
            service.retire_lab(db, user, edition.id, lab.id)
        else:
            service.reinstate_lab(db, user, edition.id, lab.id)
    except DomainError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, _("%(lab)s is retired: applicants no longer see it.", lab=lab.label) if retire
              else _("%(lab)s is offered to applicants again.", lab=lab.label))
    return redirect(f"/organiser/labs/{lab.id}")


@router.post("/organiser/labs/{lab_id}/rankings", response_class=HTMLResponse)
def save_rankings(request: Request, db: DB, user: Organiser, form: Form, lab_id: int):
    edition = _edition(db)
    lab = _lab(db, edition, lab_id)
    values = form_values(form)
    ids = [c.nomination.id for c in rankings.ranking_candidates(db, edition.id, lab.id)]
    ranks, errors = rank_form(values, ids)
    if not errors:
        try:
            rankings.save_rankings(db, user, edition.id, lab.id, ranks)
        except DomainError as exc:
            return _detail(request, db, edition, lab, 400, rank_values=values, ranking_problems=[str(exc)])
        flash(request, ngettext("The ranking is saved: %(num)d candidate ranked.",
                                "The ranking is saved: %(num)d candidates ranked.", len(ranks)))
        return redirect(f"/organiser/labs/{lab.id}#ranking")
    return _detail(request, db, edition, lab, 400, rank_values=values, rank_errors=errors)


@router.post("/organiser/labs/{lab_id}/rankings/import", response_class=HTMLResponse)
def import_rankings(request: Request, db: DB, user: Organiser, form: Form, lab_id: int):
    edition = _edition(db)
    lab = _lab(db, edition, lab_id)
    try:
        table = csv_io.read_table(_upload(form), csv_io.RANKING_COLUMNS, csv_io.RANKING_COLUMNS)
        rows, problems = csv_io.parse_rankings(table)
        if problems:
            raise DomainError(details=problems)
        count = rankings.import_rankings(db, user, edition.id, lab.id, rows)
    except DomainError as exc:
        return _detail(request, db, edition, lab, 400, import_problems=exc.details or [exc.message])
    except csv_io.CSVError as exc:
        return _detail(request, db, edition, lab, 400, import_problems=[str(exc)])
    flash(request, ngettext("The ranking is imported: %(num)d candidate ranked.",
                            "The ranking is imported: %(num)d candidates ranked.", count))
    return redirect(f"/organiser/labs/{lab.id}#ranking")
