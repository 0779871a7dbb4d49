"""The organisers' retention periods, saved from the edition's settings page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ish_portal.errors import DomainError
from ish_portal.programme.routes import edition_settings_page
from ish_portal.programme.service import current_edition
from ish_portal.retention import service
from ish_portal.text.i18n import gettext as _
from ish_portal.web.deps import DB, Form, Organiser
from ish_portal.web.flash import flash
from ish_portal.web.forms import form_values
from ish_portal.web.templating import redirect

router = APIRouter()


@router.post("/organiser/edition/retention", response_class=HTMLResponse)
def save_retention(request: Request, db: DB, user: Organiser, form: Form):
    edition = current_edition(db)
    if edition is None:
        return redirect("/organiser/editions")
    values = form_values(form)
    try:
        changed = service.set_periods(db, user, edition.id, values)
    except DomainError as exc:
        return edition_settings_page(request, db, edition, status_code=400,
                                     retention_errors=exc.form_errors(), retention_values=values)
    flash(request, _("The retention periods are saved.") if changed else _("Nothing changed in the retention periods."))
    return redirect("/organiser/edition#retention")
