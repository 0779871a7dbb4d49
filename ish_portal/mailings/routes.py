"""The organisers' composer (/organiser/messages/compose): recipients chosen with the review list's
filters and a group, counted and listed before writing; the words per language; the drafts sent
now, at a set time, or cancelled; the list of batches with their delivery and a retry of failures."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlmodel import select
from starlette.datastructures import UploadFile

from ish_portal.db import as_id, as_page
from ish_portal.audit.service import Actor
from ish_portal.errors import DomainError
from ish_portal.labs.models import Lab
from ish_portal.mailings import groups, service
from ish_portal.mailings.messages import ORGANISER_MESSAGE
from ish_portal.nominations.service import status_label
from ish_portal.notifications import service as outbox
from ish_portal.notifications.catalog import kind as kind_of
from ish_portal.programme.forms import parse_local
from ish_portal.programme.models import Edition, Organisation, Quota
from ish_portal.programme.service import current_edition
from ish_portal.text import i18n, timefmt
from ish_portal.text.i18n import gettext as _, ngettext
from ish_portal.web.deps import DB, Form, Organiser
from ish_portal.web.flash import flash
from ish_portal.web.templating import redirect, render

router = APIRouter()
BASE = "/organiser/messages/compose"


def _edition(db, params=None) -> Edition:
    """The edition asked for (the composer's edition filter), else the current one."""
    wanted = as_id((params or {}).get("edition"))
    edition = db.get(Edition, wanted) if wanted else current_edition(db)
    if edition is None:
        raise HTTPException(404)
    return edition


def _choices(db, edition: Edition) -> dict:
    organisations = db.exec(select(Organisation).join(Quota, Quota.organisation_id == Organisation.id)
                            .where(Quota.edition_id == edition.id).order_by(Organisation.name)).all()
    labs = db.exec(select(Lab).where(Lab.edition_id == edition.id).order_by(Lab.institute, Lab.group_name)).all()
    return {"editions": [(e.id, e.title) for e in db.exec(select(Edition).order_by(Edition.year.desc())).all()],
            "organisations": [(o.id, o.name) for o in organisations],
            "labs": [(lab.id, lab.label) for lab in labs],
            "statuses": [(s, status_label(s)) for s in groups.STATUSES],
            "groups": [(name, _(group.label)) for name, group in groups.GROUPS.items()],
            "placed": [("yes", _("with a place (offered or accepted)")), ("no", _("without a place"))]}


def _composer(request, db, edition, filters, *, values=None, errors=None, status_code=200):
    audience = service.audience(db, edition, filters)
    page = min(as_page(request.query_params.get("page")), audience.pages)
    languages = audience.written_languages()
    if values is None:
        # The edition's own wording of the kind when the organisers wrote one (a signature), else the standard.
        english = outbox.template_state(db, edition.id, ORGANISER_MESSAGE, "en").wording
        values = {"subject_en": english.subject, "body_en": english.body}
    texts = {language for language in languages if values.get(f"subject_{language}") or values.get(f"body_{language}")}
    return render(request, "mailings/compose.html", {
        "edition": edition, "filters": filters, "audience": audience, "page": page,
        "rows": audience.page(page), "languages": languages, "values": values, "errors": errors or {},
        "falling_back": audience.falling_back(texts), "choices": _choices(db, edition),
        "placeholders": kind_of(ORGANISER_MESSAGE).placeholders,
        "group_label": service.group_label(filters.group),
        "filter_words": service.describe_filters(db, filters)}, status_code=status_code)


@router.get(BASE, response_class=HTMLResponse)
def compose(request: Request, db: DB, user: Organiser):
    params = dict(request.query_params)
    return _composer(request, db, _edition(db, params), groups.parse_filters(params))


@router.post(BASE, response_class=HTMLResponse)
def write(request: Request, db: DB, user: Organiser, form: Form):
    edition = _edition(db, form)
    filters = groups.parse_filters(form)
    languages = service.audience(db, edition, filters).written_languages()
    values = {f"{part}_{language}": str(form.get(f"{part}_{language}", "") or "")
              for language in languages for part in ("subject", "body")}
    texts = {language: (values[f"subject_{language}"], values[f"body_{language}"]) for language in languages}
    uploads = [(item.filename, item.file) for item in form.getlist("files")
               if isinstance(item, UploadFile) and item.filename]
    try:
        files = service.read_files(uploads, edition.upload_limit_mb)
        mailing = service.create_mailing(db, user, edition, filters, texts, files)
    except DomainError as exc:
        errors = exc.form_errors()
        if uploads and "files" not in errors:
            errors["files"] = _("Choose the files again: a browser does not keep them when a form comes back.")
        return _composer(request, db, edition, filters, values=values, errors=errors, status_code=422)
    flash(request, ngettext("The draft is ready. Check it, then send it now or at a set time.",
                            "The %(num)d drafts are ready. Check them, then send them now or at a set time.",
                            mailing.written_to), "success")
    return redirect(f"/organiser/messages/mailings/{mailing.id}")


# -- the batches ------------------------------------------------------------------------------------

def _page(request: Request) -> int:
    return as_page(request.query_params.get("page"))


@router.get("/organiser/messages/mailings", response_class=HTMLResponse)
def mailings_page(request: Request, db: DB, user: Organiser):
    edition = _edition(db, request.query_params)
    page = _page(request)
    rows, total = service.mailings(db, edition.id, page)
    return render(request, "mailings/list.html", {
        "edition": edition, "editions": _choices(db, edition)["editions"], "rows": rows, "page": page, "pages": max(1, -(-total // service.PAGE_SIZE)),
        "total": total})


def _row(db, mailing_id: int):
    """The batch and its edition, whichever edition is current."""
    try:
        mailing = service.find_mailing(db, mailing_id)
        return db.get(Edition, mailing.edition_id), service.row_of(db, mailing)
    except DomainError:
        raise HTTPException(404) from None


def _mailing_page(request, db, mailing_id, *, errors=None, values=None, status_code=200):
    edition, row = _row(db, mailing_id)
    messages, total = outbox.batch_messages(db, edition.id, row.mailing.batch, _page(request))
    if values is None and row.mailing.scheduled_at is not None:  # the time set, to change it
        values = {"scheduled_at": timefmt.local(row.mailing.scheduled_at).strftime("%Y-%m-%dT%H:%M")}
    return render(request, "mailings/mailing.html", {
        "edition": edition, "row": row, "mailing": row.mailing, "messages": messages, "total": total,
        # As the first recipient reads it (the subject as written holds placeholders).
        "title": (messages[0].subject if messages else row.mailing.subject)
                 if row.mailing.kind == ORGANISER_MESSAGE else "",
        "page": _page(request), "pages": max(1, -(-total // outbox.PAGE_SIZE)),
        "filter_words": service.describe_filters(db, row.mailing),
        "errors": errors or {}, "values": values or {}, "zone_name": timefmt.zone().key}, status_code=status_code)


@router.get("/organiser/messages/mailings/{mailing_id}", response_class=HTMLResponse)
def mailing_page(request: Request, db: DB, user: Organiser, mailing_id: int):
    return _mailing_page(request, db, mailing_id)


@router.get("/organiser/messages/mailings/{mailing_id}/{action}", response_class=HTMLResponse)
def mailing_confirm(request: Request, db: DB, user: Organiser, mailing_id: int, action: str):
    if action not in ("send", "cancel"):
        raise HTTPException(404)
    _edition_, row = _row(db, mailing_id)
    return render(request, "mailings/confirm.html", {"row": row, "mailing": row.mailing, "action": action})


@router.post("/organiser/messages/mailings/{mailing_id}/schedule", response_class=HTMLResponse)
def mailing_schedule(request: Request, db: DB, user: Organiser, form: Form, mailing_id: int):
    edition, _row_ = _row(db, mailing_id)
    typed = str(form.get("scheduled_at", "") or "").strip()[:40]
    try:
        if not typed:
            raise DomainError(fields={"scheduled_at": _("Enter the date and time it should go out.")})
        try:
            when = parse_local(typed)
        except ValueError as exc:
            raise DomainError(fields={"scheduled_at": str(exc)}) from None
        mailing = service.schedule(db, user, edition.id, mailing_id, when)
    except DomainError as exc:
        if not exc.fields:
            flash(request, exc.message, "error")
            return redirect(f"/organiser/messages/mailings/{mailing_id}")
        return _mailing_page(request, db, mailing_id, errors=exc.fields, values={"scheduled_at": typed},
                             status_code=422)
    flash(request, _("The message goes out on %(when)s.", when=service.scheduled_words(mailing)), "success")
    return redirect(f"/organiser/messages/mailings/{mailing_id}")


@router.post("/organiser/messages/mailings/{mailing_id}/{action}")
def mailing_action(request: Request, db: DB, user: Organiser, mailing_id: int, action: str):
    edition, row = _row(db, mailing_id)
    try:
        if action == "send":
            count = service.send_now(db, user, edition.id, mailing_id)
            flash(request, ngettext("%(count)d message is on its way.", "%(count)d messages are on their way.",
                                    count, count=count), "success")
        elif action == "cancel":
            count = service.cancel(db, user, edition.id, mailing_id)
            flash(request, ngettext("Cancelled: %(count)d draft was discarded and nothing was sent.",
                                    "Cancelled: %(count)d drafts were discarded and nothing was sent.",
                                    count, count=count), "success")
        elif action == "retry":
            count = outbox.retry_batch_failures(db, Actor.of_user(user), edition.id, row.mailing.batch)
            flash(request, ngettext("%(count)d failed message is queued again.",
                                    "%(count)d failed messages are queued again.", count, count=count), "success")
        else:
            raise HTTPException(404)
    except DomainError as exc:
        flash(request, exc.message, "error")
    return redirect(f"/organiser/messages/mailings/{mailing_id}")


@router.post("/organiser/messages/not-selected")
def not_selected(request: Request, db: DB, user: Organiser):
    try:
        mailing = service.create_not_selected_batch(db, user, _edition(db))
    except DomainError as exc:
        flash(request, exc.message, "error")
        return redirect("/organiser/messages")
    flash(request, _("The drafts are ready. Check them, then send them."), "success")
    return redirect(f"/organiser/messages/mailings/{mailing.id}")

