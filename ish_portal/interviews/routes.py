"""The interviews over HTTP: the nominee's booking page (their nomination from their session, never
from the address), the interviewer's agenda, outcome form, slots and calendar feed under /panel,
the organisers' invitations to book, and the public feed address whose secret token is the key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from ish_portal.db import as_id, whole_number
from ish_portal.errors import DomainError, NotFound
from ish_portal.interviews import service
from ish_portal.interviews.models import OUTCOMES
from ish_portal.nominations.review import outcome_label
from ish_portal.interviews.service import OutcomeForm, SlotsForm
from ish_portal.programme.models import Edition
from ish_portal.text.i18n import gettext as _, ngettext
from ish_portal.text.validation import validate
from ish_portal.web.deps import DB, Applicant, Form, Organiser, PanelUser, SettingsDep, public
from ish_portal.web.flash import flash
from ish_portal.web.forms import form_values
from ish_portal.web.templating import redirect, render

router = APIRouter()


def _found(call: Callable[..., Any], *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except NotFound:
        raise HTTPException(404) from None


# -- the nominee ---------------------------------------------------------------------------------

def _booking_page(request, db, nomination, zone, error: str = "", status_code: int = 200):
    page = _found(service.booking_page, db, nomination, zone)
    return render(request, "interviews/booking.html", {
        "page": page, "when_in": service.when_in, "zone_label": service.zone_label,
        "zone_options": service.zone_options(keep=page.zone), "error": error,
        "slot_options": [(slot.id, ngettext("%(when)s, %(num)s minute", "%(when)s, %(num)s minutes", slot.minutes,
                                             when=service.when_in(slot.starts_at, page.zone)))
                         for slot in page.free],
        "edition": db.get(Edition, nomination.edition_id)}, status_code=status_code)


@router.get("/applicant/interview", response_class=HTMLResponse)
def booking_page(request: Request, db: DB, nomination: Applicant, zone: str | None = None):
    return _booking_page(request, db, nomination, zone)


@router.post("/applicant/interview", response_class=HTMLResponse)
def book(request: Request, db: DB, settings: SettingsDep, nomination: Applicant, form: Form):
    zone = str(form.get("zone", ""))
    slot_id = as_id(form.get("slot_id"))
    if slot_id is None:
        return _booking_page(request, db, nomination, zone, _("Choose a time."), 400)
    try:
        _found(service.book, db, nomination, slot_id, zone, settings.base_url)
    except DomainError as exc:
        # Most often another nominee was quicker: the page shows the times still free.
        return _booking_page(request, db, nomination, zone, str(exc), 409)
    flash(request, _("Your interview is booked. You get a confirmation by email with a calendar entry."))
    return redirect(f"/applicant/interview?{urlencode({'zone': zone})}" if zone in service.zones()
                    else "/applicant/interview")


@router.post("/applicant/interview/cancel", response_class=HTMLResponse)
def cancel(request: Request, db: DB, settings: SettingsDep, nomination: Applicant, form: Form):
    if form.get("confirm") != "yes":
        flash(request, _("Tick the box to confirm that you cancel your interview."), "error")
    else:
        try:
            _found(service.cancel, db, nomination, settings.base_url)
        except DomainError as exc:
            flash(request, str(exc), "error")
        else:
            flash(request, _("Your interview is cancelled. Please book a new time."))
    return redirect("/applicant/interview")


# -- the interviewer's agenda, outcome and feed --------------------------------------------------

def _agenda_page(request, db, user, feed_address: str = ""):
    zone = service.interviewer_zone(db, user.id)
    return render(request, "interviews/agenda.html", {
        "items": service.agenda(db, user), "zone": zone,
        "zone_label": service.zone_label, "zone_options": service.zone_options(keep=zone),
        "feed_exists": service.feed_exists(db, user), "feed_address": feed_address,
        "editions": service.interviewing_editions(db, user)})


@router.get("/panel/interviews", response_class=HTMLResponse)
def agenda(request: Request, db: DB, user: PanelUser):
    return _agenda_page(request, db, user)


@router.post("/panel/interviews/zone", response_class=HTMLResponse)
def set_zone(request: Request, db: DB, user: PanelUser, form: Form):
    try:
        service.set_interviewer_zone(db, user, str(form.get("time_zone", "")))
    except DomainError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, _("Your time zone is saved."))
    return redirect("/panel/interviews")


@router.post("/panel/interviews/feed", response_class=HTMLResponse)
def new_feed(request: Request, db: DB, settings: SettingsDep, user: PanelUser):
    raw = service.new_feed_token(db, user)
    # Shown once, now: only its hash is kept.
    return _agenda_page(request, db, user, f"{settings.base_url}/calendar/{raw}.ics")


@router.post("/panel/interviews/feed/revoke", response_class=HTMLResponse)
def revoke_feed(request: Request, db: DB, user: PanelUser):
    service.revoke_feed(db, user)
    flash(request, _("The calendar address no longer works."))
    return redirect("/panel/interviews")


def _outcome_page(request, item, values, errors, status_code=200):
    return render(request, "interviews/outcome.html", {
        "item": item, "outcome_options": [(o, outcome_label(o)) for o in OUTCOMES], "values": values,
        "errors": errors}, status_code=status_code)


@router.get("/panel/interviews/{booking_id}", response_class=HTMLResponse)
def outcome_page(request: Request, db: DB, user: PanelUser, booking_id: int):
    item = _found(service.interview_for, db, user, booking_id)
    return _outcome_page(request, item, {"outcome": item.booking.outcome, "notes": item.booking.notes,
                                         "no_show": item.booking.no_show}, {})


@router.post("/panel/interviews/{booking_id}", response_class=HTMLResponse)
def save_outcome(request: Request, db: DB, user: PanelUser, form: Form, booking_id: int):
    item = _found(service.interview_for, db, user, booking_id)
    values = form_values(form)
    values["no_show"] = values.get("no_show") == "yes"
    outcome, errors = validate(OutcomeForm, values)
    if outcome is None:
        return _outcome_page(request, item, values, errors, 400)
    try:
        _found(service.record_outcome, db, user, booking_id, outcome)
    except DomainError as exc:
        return _outcome_page(request, item, values, exc.form_errors(), 400)
    flash(request, _("The outcome is saved."))
    return redirect("/panel/interviews")


@router.get("/calendar/{token}.ics")
@public
def calendar_feed(db: DB, settings: SettingsDep, token: str):
    data = _found(service.feed, db, token, settings.base_url)
    return Response(data, media_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"})


# -- slots ----------------------------------------------------------------------------------------

def _slots_page(request, db, user, edition, values, errors, status_code=200, editions=None):
    editions = service.interviewing_editions(db, user) if editions is None else editions
    people = service.interviewers(db, edition.id) if user.is_organiser else [user]
    return render(request, "interviews/slots.html", {
        "edition": edition, "editions": editions, "edition_options": [(e.id, e.title) for e in editions],
        "interviewer_options": [(u.id, u.full_name) for u in people],
        "join_options": [("phone", _("Phone")), ("video", _("Video call"))],
        "labels": {"interviewer_id": _("Interviewer"), "first_start": _("First start"), "count": _("Number of slots"),
                   "minutes": _("Length in minutes"), "pause": _("Pause"), "join_kind": _("How to join"),
                   "join_how": _("Phone number or video link")},
        "slots": service.slots_of(db, user, edition.id), "zone": service.interviewer_zone(db, user.id),
        "when_in": service.when_in, "zone_label": service.zone_label,
        "cutoff_hours": service.cutoff_hours(db, edition.id),
        "values": {"count": "1", "minutes": "30", "pause": "0", "join_kind": "phone", "interviewer_id": str(user.id),
                   **values}, "errors": errors}, status_code=status_code)


@router.get("/panel/slots", response_class=HTMLResponse)
def slots_page(request: Request, db: DB, user: PanelUser, edition: str | None = None):
    editions = service.interviewing_editions(db, user)
    chosen = _found(service.edition_for, db, user, as_id(edition), editions)
    return _slots_page(request, db, user, chosen, {}, {}, editions=editions)


@router.post("/panel/slots", response_class=HTMLResponse)
def publish_slots(request: Request, db: DB, user: PanelUser, form: Form):
    values = form_values(form)
    chosen = _found(service.edition_for, db, user, as_id(values.get("edition_id")))
    slots, errors = validate(SlotsForm, values)
    if slots is not None:
        try:
            published = _found(service.publish_slots, db, user, chosen.id, slots)
        except DomainError as exc:
            errors = exc.form_errors()
        else:
            flash(request, ngettext("%(count)s slot published.", "%(count)s slots published.", len(published),
                                   count=len(published)))
            return redirect(f"/panel/slots?edition={chosen.id}")
    return _slots_page(request, db, user, chosen, values, errors, 400)


@router.get("/panel/slots/{slot_id}/delete", response_class=HTMLResponse)
def confirm_delete_slot(request: Request, db: DB, user: PanelUser, slot_id: int):
    slot = _found(service.managed_slot, db, user, slot_id)
    return render(request, "interviews/slot_delete.html", {
        "slot": slot, "when": service.when_in(slot.starts_at, service.interviewer_zone(db, user.id))})


@router.post("/panel/slots/{slot_id}/delete", response_class=HTMLResponse)
def delete_slot(request: Request, db: DB, user: PanelUser, slot_id: int):
    edition_id = _found(service.managed_slot, db, user, slot_id).edition_id
    try:
        _found(service.delete_slot, db, user, slot_id)
    except DomainError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, _("The slot is deleted."))
    return redirect(f"/panel/slots?edition={edition_id}")


# -- organisers: who is invited to book, and the cut-off -------------------------------------------

@router.get("/organiser/interviews", response_class=HTMLResponse)
def invitations_page(request: Request, db: DB, user: Organiser, edition: str | None = None):
    editions = service.interviewing_editions(db, user)
    chosen = _found(service.edition_for, db, user, as_id(edition), editions)
    return render(request, "interviews/invitations.html", {
        "edition": chosen, "editions": editions,
        "rows": service.invitable(db, chosen.id), "cutoff_hours": service.cutoff_hours(db, chosen.id),
        "slots": {slot.id: slot for slot, _u, _n in service.slots_of(db, user, chosen.id)},
        "when_in": service.when_in, "zone": service.interviewer_zone(db, user.id), "zone_label": service.zone_label})


@router.post("/organiser/interviews/invite", response_class=HTMLResponse)
def invite(request: Request, db: DB, settings: SettingsDep, user: Organiser, form: Form):
    chosen = _found(service.edition_for, db, user, as_id(form.get("edition_id")))
    ids = [n for n in (as_id(v) for v in form.getlist("nomination_id")) if n is not None]
    if not ids:
        flash(request, _("Choose at least one nominee."), "error")
    else:
        count = service.invite_to_book(db, user, chosen.id, ids, settings.base_url)
        flash(request, ngettext("%(count)s nominee invited to book an interview.",
                                "%(count)s nominees invited to book an interview.", count, count=count))
    return redirect(f"/organiser/interviews?edition={chosen.id}")


@router.post("/organiser/interviews/cutoff", response_class=HTMLResponse)
def set_cutoff(request: Request, db: DB, user: Organiser, form: Form):
    chosen = _found(service.edition_for, db, user, as_id(form.get("edition_id")))
    hours = whole_number(form.get("cutoff_hours"))
    try:
        if hours is None:
            raise DomainError(fields={"cutoff_hours": _("Enter a whole number.")})
        service.set_cutoff_hours(db, user, chosen.id, hours)
    except DomainError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, _("The cut-off is saved."))
    return redirect(f"/organiser/interviews?edition={chosen.id}")
