"""The organisers' home and the set-up of the edition's nominations and places."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from ish_portal.errors import DomainError
from ish_portal.programme import service
from ish_portal.nominations import places
from ish_portal.reports.dashboard import SHOWN_STATUSES, overview
from ish_portal.interviews.service import preset_zone, zone_options
from ish_portal.nominations.forms import countries
from ish_portal.programme.forms import (
    REQUIRABLE_DOCUMENTS, NewEdition, NominationRules, OrganisationForm, QuotaForm, TransferForm)
from ish_portal.text.i18n import current_language

from ish_portal.web.deps import DB, Form, Organiser
from ish_portal.web.flash import flash
from ish_portal.web.forms import form_values, validate
from ish_portal.text.i18n import gettext as _, ngettext
from ish_portal.web.templating import redirect, render
from ish_portal.text.timefmt import local

router = APIRouter()


def _edition(db):
    edition = service.current_edition(db)
    if edition is None:
        raise HTTPException(404)
    return edition


def _local_input(value) -> str:
    return local(value).strftime("%Y-%m-%dT%H:%M") if value else ""


@router.get("/organiser", response_class=HTMLResponse)
def organiser_dashboard(request: Request, db: DB, user: Organiser):
    edition = service.current_edition(db)
    context = {"edition": edition}
    if edition is not None:
        current = service.phase(db, edition)
        context.update(places=places.places_by_organisation(db, edition), overview=overview(db, edition),
                       statuses=SHOWN_STATUSES, phases=service.PHASES, phase=current,
                       phase_label=service.phase_label)
    return render(request, "programme/organiser_dashboard.html", context)


@router.get("/organiser/editions", response_class=HTMLResponse)
def editions_page(request: Request, db: DB, user: Organiser):
    return _editions(request, db)


def _editions(request, db, status_code=200, **extra):
    return render(request, "programme/editions.html", {
        "editions": [(e, service.phase_label(service.phase(db, e))) for e in service.editions(db)],
        "last": service.current_edition(db), **extra}, status_code=status_code)


@router.post("/organiser/editions", response_class=HTMLResponse)
def create_edition(request: Request, db: DB, user: Organiser, form: Form):
    values = form_values(form)
    values["copy_from_last"] = form.get("copy_from_last") == "yes"
    new, errors = validate(NewEdition, values)
    if new is not None:
        try:
            edition = service.create_edition(db, user, new)
        except DomainError as exc:
            errors = {"year": str(exc)}
        else:
            flash(request, _("%(title)s is created and is now the edition you work on.", title=edition.title))
            return redirect("/organiser/edition")
    return _editions(request, db, 400, errors=errors, values=values)


@router.get("/organiser/edition", response_class=HTMLResponse)
def edition_settings(request: Request, db: DB, user: Organiser):
    return edition_settings_page(request, db, _edition(db))


def _edition_values(edition) -> dict:
    values = edition.model_dump()
    values["starts_on"], values["ends_on"] = edition.starts_on.isoformat(), edition.ends_on.isoformat()
    values["nomination_opens_at"] = _local_input(edition.nomination_opens_at)
    values["nomination_closes_at"] = _local_input(edition.nomination_closes_at)
    return values


def edition_settings_page(request, db, edition, status_code=200, **extra):
    """The settings page, with the retention schedule of the edition and what will go when."""
    from ish_portal.retention.service import class_label, other_editions, overview, today_in_heidelberg

    rows = overview(db, edition)
    context = {"edition": edition, "documents": REQUIRABLE_DOCUMENTS, "values": _edition_values(edition), "errors": {},
               "retention": rows, "retention_others": other_editions(db, edition),
               "retention_errors": {}, "class_label": class_label,
               "today": today_in_heidelberg(), "retention_values": {row.field: row.months for row in rows}}
    return render(request, "programme/edition_settings.html", context | extra, status_code=status_code)


@router.post("/organiser/edition", response_class=HTMLResponse)
def save_edition_settings(request: Request, db: DB, user: Organiser, form: Form):
    edition = _edition(db)
    values = form_values(form)
    values["required_documents"] = form.getlist("required_documents")
    values["auto_promote_waitlist"] = form.get("auto_promote_waitlist") == "yes"
    rules, errors = validate(NominationRules, values)
    if rules is not None:
        try:
            service.update_nomination_rules(db, user, edition.id, rules)
        except DomainError as exc:
            errors = exc.form_errors()
        else:
            flash(request, _("The edition's settings are saved."))
            return redirect("/organiser/edition")
    return edition_settings_page(request, db, edition, status_code=400, values=values, errors=errors)


@router.get("/organiser/places", response_class=HTMLResponse)
def places_page(request: Request, db: DB, user: Organiser):
    return _places(request, db)


def _places(request, db, status_code=200, **extra):
    edition = _edition(db)
    organisations = service.organisations(db)
    return render(request, "programme/places.html", {
        "edition": edition, "places": places.places_by_organisation(db, edition, organisations),
        "transfers": service.transfers(db, edition), "names": {o.id: o.name for o in organisations},
        "local_input": _local_input, "organisations": organisations,
        "countries": countries(current_language()), "zones": zone_options(), **extra}, status_code=status_code)


@router.post("/organiser/organisations", response_class=HTMLResponse)
def add_organisation(request: Request, db: DB, user: Organiser, form: Form):
    values = form_values(form)
    new, errors = validate(OrganisationForm, values)
    if new is not None:
        if not new.time_zone:  # left to the country: where its people live
            new.time_zone = preset_zone(new.country, None)
        try:
            added = service.add_organisation(db, user, _edition(db), new)
        except DomainError as exc:
            errors = exc.form_errors()
        else:
            flash(request, ngettext("%(name)s is added with %(num)d place. Invite its coordinators under Coordinators.",
                                    "%(name)s is added with %(num)d places. Invite its coordinators under Coordinators.",
                                    new.places, name=added.name))
            return redirect("/organiser/places")
    return _places(request, db, 400, organisation_errors=errors, organisation_values=values)


@router.post("/organiser/places/transfer", response_class=HTMLResponse)
def transfer(request: Request, db: DB, user: Organiser, form: Form):
    values = form_values(form)
    transfer_form, errors = validate(TransferForm, values)
    if transfer_form is not None:
        try:
            places.transfer_places(db, user, _edition(db).id, transfer_form)
        except DomainError as exc:
            errors = exc.form_errors()
        else:
            flash(request, _("The places have been moved."))
            return redirect("/organiser/places")
    return _places(request, db, 400, errors=errors, values=values)


@router.post("/organiser/places/{organisation_id}", response_class=HTMLResponse)
def save_places(request: Request, db: DB, user: Organiser, form: Form, organisation_id: int):
    try:
        name = service.organisation_name(db, organisation_id)
    except DomainError:
        raise HTTPException(404) from None
    values = form_values(form)
    values["dormant"] = form.get("dormant") == "yes"
    quota_form, errors = validate(QuotaForm, values)
    if quota_form is not None:
        try:
            changed = places.set_quota(db, user, _edition(db).id, organisation_id, quota_form)
        except DomainError as exc:
            errors = exc.form_errors()
        else:
            flash(request, _("The places of %(name)s are saved.", name=name) if changed
                  else _("Nothing changed for %(name)s.", name=name))
            return redirect("/organiser/places")
    return _places(request, db, 400, row_errors={organisation_id: errors}, row_values={organisation_id: values})
