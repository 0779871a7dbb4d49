"""The organisers' matching pages: closing preferences, runs and their previews, pins and
capacities, publishing offers, and the waitlist."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from ish_portal.db import RowId, as_id, as_page
from ish_portal.errors import DomainError
from ish_portal.audit.service import Actor
from ish_portal.placement import figures, messages, runs, waitlist as waitlist_area

from ish_portal.programme.service import current_edition
from ish_portal.web.deps import DB, Form, Organiser
from ish_portal.web.flash import flash
from ish_portal.web.forms import form_values, validate
from ish_portal.text.i18n import gettext as _
from ish_portal.web.templating import redirect, render

router = APIRouter()
BASE = "/organiser/matching"


class RunForm(BaseModel):
    mode: str = Field(pattern="^(stable|welfare)$")
    seed: int = Field(ge=0, le=runs.MAX_SEED)


class CapacityForm(BaseModel):
    capacity: int = Field(ge=0, le=1000)


class PinForm(BaseModel):
    nomination_id: RowId
    lab_id: RowId


def _edition(db):
    edition = current_edition(db)
    if edition is None:
        raise HTTPException(404)
    return edition


def _run(db, edition, run_id):
    run = runs.get_run(db, edition.id, run_id)
    if run is None:
        raise HTTPException(404)
    return run


def _page(request: Request) -> int:
    return as_page(request.query_params.get("page"))


def _back(form, default: str = BASE) -> str:
    """Where a form posted from a run's preview returns to (only our own pages)."""
    run_id = str(form.get("run_id", ""))
    return f"{BASE}/runs/{run_id}" if run_id.isdigit() else default


# -- overview, preferences, runs ---------------------------------------------------------------

def _overview(request, db, edition, status_code=200, **extra):
    page = _page(request)
    rows, total = runs.runs_page(db, edition.id, page)
    context = {"edition": edition, "rows": rows, "page": page, "pages": max(1, -(-total // 20)),
               "closed": runs.preferences_closed(edition), "published": runs.published_run(db, edition.id),
               "all_runs": runs.all_runs(db, edition.id), "values": {"mode": "stable", "seed": runs.random_seed()},
               "approved": len(runs.approved_nominations(db, edition.id)), "errors": {}}
    published = context["published"]
    context["drafts"] = runs.draft_count(db, published.id) if published else 0
    context.update(extra)
    return render(request, "placement/overview.html", context, status_code=status_code)


@router.get(BASE, response_class=HTMLResponse)
def overview(request: Request, db: DB, user: Organiser):
    return _overview(request, db, _edition(db))


@router.post(f"{BASE}/preferences/close", response_class=HTMLResponse)
def close_preferences(request: Request, db: DB, user: Organiser, form: Form):
    edition = _edition(db)
    if form.get("confirm") != "yes":
        flash(request, _("Tick the box to confirm that the lab preferences close now."), "error")
        return redirect(BASE)
    try:
        runs.lock_preferences(db, user, edition.id)
    except DomainError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, _("The lab preferences are closed. Applicants can no longer change them."))
    return redirect(BASE)


@router.post(f"{BASE}/preferences/reopen", response_class=HTMLResponse)
def reopen_preferences(request: Request, db: DB, user: Organiser):
    try:
        runs.reopen_preferences(db, user, _edition(db).id)
    except DomainError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, _("The lab preferences are open again."))
    return redirect(BASE)


@router.post(f"{BASE}/runs", response_class=HTMLResponse)
def create_run(request: Request, db: DB, user: Organiser, form: Form):
    edition = _edition(db)
    values = form_values(form)
    data, errors = validate(RunForm, values)
    if data is not None:
        try:
            run = runs.create_run(db, user, edition.id, data.mode, data.seed)
        except DomainError as exc:
            errors = exc.form_errors()
        else:
            flash(request, _("Run %(id)s is ready to review.", id=run.id))
            return redirect(f"{BASE}/runs/{run.id}")
    return _overview(request, db, edition, 400, values=values, errors=errors)


@router.get(BASE + "/runs/{run_id}", response_class=HTMLResponse)
def preview(request: Request, db: DB, user: Organiser, run_id: int):
    return _preview(request, db, run_id)


def _preview(request, db, run_id, status_code=200, **extra):
    edition = _edition(db)
    run = _run(db, edition, run_id)
    page = _page(request)
    view = runs.run_view(db, run, page)
    published = runs.published_run(db, edition.id)
    context = {"edition": edition, "view": view, "page": page, "pages": max(1, -(-view.total_students // 100)),
               "labs": runs.lab_choices(db, edition.id), "pins": runs.pins_of_edition(db, edition.id),
               "published": published, "errors": {}, "values": {"mode": run.mode, "seed": run.seed},
               "lab_errors": {}, "figures": figures.run_figures(db, run), "others": [r for r in runs.all_runs(db, edition.id) if r.id != run.id],
               "changes": runs.changes_since(db, run) if run.published_at is None and published is None else []}
    context.update(extra)
    return render(request, "placement/run.html", context, status_code=status_code)


@router.get(BASE + "/compare", response_class=HTMLResponse)
def compare(request: Request, db: DB, user: Organiser):
    edition = _edition(db)
    try:
        first_id, second_id = int(request.query_params.get("a", "")), int(request.query_params.get("b", ""))
        if as_id(first_id) is None or as_id(second_id) is None:
            raise HTTPException(404)
    except ValueError:
        flash(request, _("Choose two runs to compare."), "error")
        return redirect(BASE)
    comparison = runs.compare_runs(db, _run(db, edition, first_id), _run(db, edition, second_id))
    return render(request, "placement/compare.html", {
        "edition": edition, "c": comparison,
        "figures": [figures.run_figures(db, comparison.first), figures.run_figures(db, comparison.second)]})


# -- pins and capacities -----------------------------------------------------------------------

@router.post(f"{BASE}/pins", response_class=HTMLResponse)
def add_pin(request: Request, db: DB, user: Organiser, form: Form):
    edition = _edition(db)
    data, errors = validate(PinForm, form_values(form))
    if data is None:
        flash(request, _("Choose a student and a lab."), "error")
    else:
        try:
            runs.pin(db, user, edition.id, data.nomination_id, data.lab_id)
        except DomainError as exc:
            flash(request, str(exc), "error")
        else:
            flash(request, _("Pinned. The next run places this student in that lab."))
    return redirect(_back(form))


@router.post(BASE + "/pins/{nomination_id}/delete", response_class=HTMLResponse)
def remove_pin(request: Request, db: DB, user: Organiser, form: Form, nomination_id: int):
    try:
        runs.unpin(db, user, _edition(db).id, nomination_id)
    except DomainError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, _("The pin is removed."))
    return redirect(_back(form))


@router.post(BASE + "/labs/{lab_id}/capacity", response_class=HTMLResponse)
def lab_capacity(request: Request, db: DB, user: Organiser, form: Form, lab_id: int):
    edition = _edition(db)
    data, errors = validate(CapacityForm, form_values(form))
    if data is not None:
        try:
            runs.set_lab_capacity(db, user, edition.id, lab_id, data.capacity)
        except DomainError as exc:
            errors = {"capacity": str(exc)}
        else:
            flash(request, _("The lab's capacity is saved. Run the matching again to use it."))
            return redirect(_back(form))
    run_id = str(form.get("run_id", ""))
    if run_id.isdigit():
        return _preview(request, db, int(run_id), 400, lab_errors={lab_id: errors.get("capacity", "")},
                        lab_values={lab_id: form.get("capacity", "")})
    flash(request, errors.get("capacity", _("Enter a number of seats.")), "error")
    return redirect(BASE)


# -- publishing --------------------------------------------------------------------------------

@router.get(BASE + "/runs/{run_id}/publish", response_class=HTMLResponse)
def publish_page(request: Request, db: DB, user: Organiser, run_id: int):
    edition = _edition(db)
    run = _run(db, edition, run_id)
    return render(request, "placement/publish.html", {
        "edition": edition, "run": run, "published": runs.published_run(db, edition.id),
        "problems": runs.publication_problems(db, run),
        "deadline": runs.offers.response_deadline(edition, runs.utcnow())})


@router.post(BASE + "/runs/{run_id}/publish", response_class=HTMLResponse)
def publish(request: Request, db: DB, user: Organiser, form: Form, run_id: int):
    edition = _edition(db)
    _run(db, edition, run_id)
    if form.get("confirm") != "yes":
        flash(request, _("Tick the box to confirm the publication."), "error")
        return redirect(f"{BASE}/runs/{run_id}/publish")
    try:
        made = runs.publish_run(db, user, edition.id, run_id)
    except DomainError as exc:
        flash(request, " ".join([exc.message, *exc.details]), "error")
        return redirect(f"{BASE}/runs/{run_id}/publish")
    flash(request, _("Run %(id)s is published: %(count)s offers made. Their emails wait as drafts for your review.",
                     id=run_id, count=made))
    return redirect(BASE)


@router.post(BASE + "/runs/{run_id}/send-drafts", response_class=HTMLResponse)
def send_drafts(request: Request, db: DB, user: Organiser, run_id: int):
    try:
        count = runs.send_run_drafts(db, user, _edition(db).id, run_id)
    except DomainError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, _("%(count)s offer emails are on their way.", count=count))
    return redirect(BASE)


# -- the waitlist ------------------------------------------------------------------------------

@router.get(BASE + "/waitlist", response_class=HTMLResponse)
def waitlist(request: Request, db: DB, user: Organiser):
    edition = _edition(db)
    return render(request, "placement/waitlist.html", {
        "edition": edition, "rows": waitlist_area.waitlist(db, edition.id), "proposed": waitlist_area.proposed_offers(db, edition.id),
        "published": runs.published_run(db, edition.id), "counts": waitlist_area.offer_counts(db, edition.id)})


@router.post(BASE + "/waitlist/auto", response_class=HTMLResponse)
def waitlist_auto(request: Request, db: DB, user: Organiser, form: Form):
    on = form.get("auto_promote_waitlist") == "yes"
    waitlist_area.set_auto_promote(db, user, _edition(db).id, on)
    flash(request, _("Freed places are now offered at once.") if on
          else _("Freed places now wait for your confirmation."))
    return redirect(f"{BASE}/waitlist")


@router.post(BASE + "/waitlist/fill", response_class=HTMLResponse)
def waitlist_fill(request: Request, db: DB, user: Organiser):
    try:
        made = waitlist_area.fill_now(db, user, _edition(db).id)
    except DomainError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, _("%(count)s places offered to the waitlist.", count=len(made)) if made
              else _("No free place fits anyone on the waitlist."))
    return redirect(f"{BASE}/waitlist")


@router.post(BASE + "/offers/{offer_id}/confirm", response_class=HTMLResponse)
def confirm_offer(request: Request, db: DB, user: Organiser, offer_id: int):
    try:
        waitlist_area.confirm_proposed_offer(db, user, _edition(db).id, offer_id)
    except DomainError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, _("The offer is sent."))
    return redirect(f"{BASE}/waitlist")


@router.post(BASE + "/offers/{offer_id}/discard", response_class=HTMLResponse)
def discard_offer(request: Request, db: DB, user: Organiser, form: Form, offer_id: int):
    if form.get("confirm") != "yes":
        flash(request, _("Tick the box to confirm that this proposal is discarded."), "error")
        return redirect(f"{BASE}/waitlist")
    try:
        waitlist_area.discard_proposed_offer(db, user, _edition(db).id, offer_id)
    except DomainError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, _("The proposal is discarded."))
    return redirect(f"{BASE}/waitlist")


# -- bulk messages to everyone who accepted ------------------------------------------------------

@router.post("/organiser/messages/new/{kind}")
def new_batch(request: Request, db: DB, user: Organiser, kind: str):
    edition = _edition(db)
    makers = {"welcome_information": messages.create_welcome_batch,
              "certificate": messages.create_certificate_batch}
    if kind not in makers:
        raise HTTPException(404)
    try:
        batch = makers[kind](db, Actor.of_user(user), edition)
    except DomainError as exc:
        flash(request, str(exc), "error")
        return redirect("/organiser/messages")
    flash(request, _("The drafts are ready. Check them, then send them."), "success")
    return redirect(f"/organiser/messages/batches/{batch}")
