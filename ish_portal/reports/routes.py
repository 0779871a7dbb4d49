"""Exports and the audit log for organisers: thin HTTP around reports.service and
reports.audit_log."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from ish_portal.programme.service import current_edition
from ish_portal.reports import audit_log, service
from ish_portal.web.deps import DB, Form, Organiser
from ish_portal.web.templating import render

router = APIRouter()
# The review page's history uses the same words for actions as the audit log.


def _page(request, db, edition, values, errors, status_code=200):
    return render(request, "reports/exports.html", {
        "edition": edition, "values": values, "errors": errors,
        "lists": service.list_choices(db, edition) if edition else []}, status_code=status_code)


@router.get("/organiser/exports", response_class=HTMLResponse)
def exports_page(request: Request, db: DB, user: Organiser):
    return _page(request, db, current_edition(db), {"list": "nominations", "format": "csv"}, {})


@router.post("/organiser/exports")
def exports_download(request: Request, db: DB, user: Organiser, form: Form):
    edition = current_edition(db)
    if edition is None:
        raise HTTPException(404)
    values = {"list": str(form.get("list", "")), "format": str(form.get("format", "")),
              "sensitive": form.get("sensitive") == "yes"}
    try:
        file = service.export(db, user, edition, values["list"], values["format"], values["sensitive"])
    except service.ExportError as exc:
        return _page(request, db, edition, values, {exc.field: str(exc)}, status_code=400)
    return StreamingResponse(file.chunks, media_type=file.content_type, headers={
        "Content-Disposition": f'attachment; filename="{file.filename}"',
        # Personal data: keep it out of shared caches and the browser's cache.
        "Cache-Control": "no-store"})


@router.get("/organiser/audit", response_class=HTMLResponse)
def audit_log_page(request: Request, db: DB, user: Organiser):
    filters = audit_log.parse_filters(request.query_params)
    return render(request, "reports/audit_log.html", {"page": audit_log.audit_page(db, filters),
                                                      "filters": filters})
