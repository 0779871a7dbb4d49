"""The organisers' view of mail: bulk messages as drafts to review and send, failed messages to
retry, each message type's wording per edition; in development, the messages written to var/mail."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import TemplateError

from ish_portal.db import as_page
from ish_portal.errors import DomainError
from ish_portal.notifications import service
from ish_portal.notifications.catalog import KINDS
from ish_portal.notifications.render import Wording, check_wording
from ish_portal.programme.service import current_edition
from ish_portal.text import i18n
from ish_portal.audit.service import Actor
from ish_portal.web.deps import DB, Form, Organiser, SettingsDep
from ish_portal.web.flash import flash
from ish_portal.text.i18n import gettext as _
from ish_portal.text.i18n import ngettext
from ish_portal.web.templating import redirect, render
from ish_portal.text.timefmt import format_datetime

router = APIRouter()


def _mail_folder(settings):
    if not settings.development:
        raise HTTPException(404)
    return settings.mail_dir


@router.get("/organiser/mail", response_class=HTMLResponse)
def sent_mail(request: Request, settings: SettingsDep, user: Organiser):
    folder = _mail_folder(settings)
    files = sorted(folder.glob("*.eml"), reverse=True)[:200] if folder.exists() else []
    messages = []
    for path in files:
        with path.open("rb") as handle:
            headers = BytesParser(policy=policy.default).parse(handle, headersonly=True)
        messages.append({"name": path.name, "to": headers["To"], "subject": headers["Subject"],
                         "date": format_datetime(headers["Date"].datetime if headers["Date"] else None)})
    return render(request, "notifications/sent_mail.html", {"messages": messages})


@router.get("/organiser/mail/{name}", response_class=HTMLResponse)
def sent_mail_message(request: Request, settings: SettingsDep, user: Organiser, name: str):
    folder = _mail_folder(settings)
    # The name comes from the list above; anything else (a path, "..") is simply not found.
    path = folder / name
    if "/" in name or "\\" in name or not name.endswith(".eml") or not path.is_file():
        raise HTTPException(404)
    with path.open("rb") as handle:
        message = BytesParser(policy=policy.default).parse(handle)
    text = message.get_body(preferencelist=("plain",))
    attachments = [part.get_filename() for part in message.iter_attachments()]
    return render(request, "notifications/sent_mail_message.html", {
        "name": name, "headers": {key: message[key] for key in ("From", "To", "Subject", "Date", "Message-ID")},
        "text": text.get_content() if text else "", "attachments": attachments})


# -- helpers ------------------------------------------------------------------------------------

def _edition(db):
    edition = current_edition(db)
    if edition is None:
        raise HTTPException(404)
    return edition


def _batch_edition(db, batch: str):
    """The edition whose batch this is, whichever edition is current; 404 when there is none."""
    edition_id = service.batch_edition(db, batch)
    if edition_id is None:
        raise HTTPException(404)
    return edition_id


def _page(request: Request) -> int:
    return as_page(request.query_params.get("page"))


def _pages(total: int) -> int:
    return max(1, -(-total // service.PAGE_SIZE))


# -- bulk messages ------------------------------------------------------------------------------

@router.get("/organiser/messages", response_class=HTMLResponse)
def messages_home(request: Request, db: DB, user: Organiser):
    edition = current_edition(db)
    return render(request, "notifications/messages.html", {
        "edition": edition, "batches": service.batches(db, edition.id) if edition else [],
        "failed": service.failed_messages(db)[1]})


@router.get("/organiser/messages/batches/{batch}", response_class=HTMLResponse)
def batch_page(request: Request, db: DB, user: Organiser, batch: str):
    edition_id = _batch_edition(db, batch)
    page = _page(request)
    rows, total = service.batch_messages(db, edition_id, batch, page)
    if not total:
        raise HTTPException(404)
    home, _label = service.batch_home(db, batch)
    if home != request.url.path:  # a batch with a page of its own, such as a message to a group
        return redirect(home)
    summary = service.batch_summary(db, edition_id, batch)
    return render(request, "notifications/batch.html", {
        "batch": summary, "rows": rows, "page": page, "pages": _pages(total), "total": total,
        "left_out": service.letters_left_out(db, rows)})


@router.get("/organiser/messages/batches/{batch}/{action}", response_class=HTMLResponse)
def batch_confirm(request: Request, db: DB, user: Organiser, batch: str, action: str):
    if action not in ("send", "regenerate"):
        raise HTTPException(404)
    summary = service.batch_summary(db, _batch_edition(db, batch), batch)
    if summary is None:
        raise HTTPException(404)
    return render(request, "notifications/batch_confirm.html", {"batch": summary, "action": action})


@router.post("/organiser/messages/batches/{batch}/{action}")
def batch_action(request: Request, db: DB, user: Organiser, batch: str, action: str):
    edition_id = _batch_edition(db, batch)
    try:
        if action == "send":
            count = service.release_drafts(db, Actor.of_user(user), edition_id, batch)
            flash(request, ngettext("%(count)d message is on its way.", "%(count)d messages are on their way.",
                                    count, count=count), "success")
        elif action == "retry":
            count = service.retry_batch_failures(db, Actor.of_user(user), edition_id, batch)
            flash(request, ngettext("%(count)d failed message is queued again.",
                                    "%(count)d failed messages are queued again.", count, count=count), "success")
        elif action == "regenerate":
            count = service.regenerate_batch(db, Actor.of_user(user), edition_id, batch)
            flash(request, ngettext("%(count)d draft was written again from the current wording.",
                                    "%(count)d drafts were written again from the current wording.",
                                    count, count=count), "success")
        else:
            raise HTTPException(404)
    except DomainError as exc:
        flash(request, str(exc), "error")
    return redirect(f"/organiser/messages/batches/{batch}")


# -- failed messages ----------------------------------------------------------------------------

@router.get("/organiser/messages/failed", response_class=HTMLResponse)
def failed_page(request: Request, db: DB, user: Organiser):
    page = _page(request)
    rows, total = service.failed_messages(db, page)
    return render(request, "notifications/failed.html", {
        "rows": rows, "page": page, "pages": _pages(total), "total": total})


@router.post("/organiser/messages/failed/{message_id}/retry")
def retry(request: Request, db: DB, user: Organiser, message_id: int):
    try:
        message = service.retry_failed(db, Actor.of_user(user), message_id)
        flash(request, _("The message to %(to)s is queued again.", to=message.recipient), "success")
    except DomainError as exc:
        flash(request, str(exc), "error")
    return redirect("/organiser/messages/failed")


# -- message templates --------------------------------------------------------------------------

@router.get("/organiser/messages/templates", response_class=HTMLResponse)
def templates_page(request: Request, db: DB, user: Organiser):
    edition = _edition(db)
    return render(request, "notifications/templates.html", {
        "edition": edition, "kinds": KINDS, "overview": service.template_overview(db, edition.id),
        "languages": {code: i18n.language_name(code) for code in i18n.LANGUAGES}})


def _editor(request, db, edition, kind, language, *, subject, body, overridden, errors=None,
            candidate=None, status_code=200):
    shown = None
    subjects = service.preview_subjects(db, edition.id)
    if not errors:
        try:
            shown = service.preview(db, edition.id, kind, language, Wording(subject, body), candidate, subjects)
        except TemplateError as exc:  # the saved wording always renders; typed text is checked first
            errors = {"body": str(exc)}
    return render(request, "notifications/template_edit.html", {
        "edition": edition, "kind": KINDS[kind], "language": language,
        "language_name": i18n.language_choice(language), "overridden": overridden, "errors": errors or {},
        "values": {"subject": subject, "body": body, "candidate": candidate or ""},
        "candidates": [(key, label) for key, _facts, label, _reader in subjects],
        "preview": shown}, status_code=status_code)


def _kind_language(kind: str, language: str) -> None:
    if kind not in KINDS or language not in i18n.LANGUAGES:
        raise HTTPException(404)


def _candidate(value) -> str | None:
    return str(value)[:20] if value else None


@router.get("/organiser/messages/templates/{kind}/{language}", response_class=HTMLResponse)
def template_edit(request: Request, db: DB, user: Organiser, kind: str, language: str):
    _kind_language(kind, language)
    edition = _edition(db)
    state = service.template_state(db, edition.id, kind, language)
    return _editor(request, db, edition, kind, language, subject=state.wording.subject,
                   body=state.wording.body, overridden=state.overridden,
                   candidate=_candidate(request.query_params.get("candidate")))


@router.post("/organiser/messages/templates/{kind}/{language}", response_class=HTMLResponse)
def template_save(request: Request, db: DB, user: Organiser, form: Form, kind: str, language: str):
    _kind_language(kind, language)
    edition = _edition(db)
    subject, body = str(form.get("subject", "")), str(form.get("body", "")).replace("\r\n", "\n")
    candidate = _candidate(form.get("candidate"))
    overridden = service.template_state(db, edition.id, kind, language).overridden
    if form.get("action") == "preview":
        errors = check_wording(kind, Wording(subject, body))
        return _editor(request, db, edition, kind, language, subject=subject, body=body,
                       overridden=overridden, errors=errors, candidate=candidate,
                       status_code=422 if errors else 200)
    try:
        service.save_template(db, Actor.of_user(user), edition.id, kind, language, subject, body)
    except DomainError as exc:
        return _editor(request, db, edition, kind, language, subject=subject, body=body,
                       overridden=overridden, errors=exc.form_errors(), candidate=candidate, status_code=422)
    flash(request, _("The wording is saved. New messages of this kind use it; drafts already written "
                     "change only when you render their batch again."), "success")
    return redirect(f"/organiser/messages/templates/{kind}/{language}")


@router.get("/organiser/messages/templates/{kind}/{language}/reset", response_class=HTMLResponse)
def template_reset_confirm(request: Request, db: DB, user: Organiser, kind: str, language: str):
    _kind_language(kind, language)
    return render(request, "notifications/template_reset.html", {
        "kind": KINDS[kind], "language": language, "language_name": i18n.language_choice(language)})


@router.post("/organiser/messages/templates/{kind}/{language}/reset")
def template_reset(request: Request, db: DB, user: Organiser, kind: str, language: str):
    _kind_language(kind, language)
    service.reset_template(db, Actor.of_user(user), _edition(db).id, kind, language)
    flash(request, _("The message uses the standard wording again."), "success")
    return redirect(f"/organiser/messages/templates/{kind}/{language}")


# -- one message --------------------------------------------------------------------------------

def _message(db, message_id: int):
    try:
        return service.edition_message(db, message_id)
    except DomainError:
        raise HTTPException(404) from None


@router.get("/organiser/messages/{message_id}", response_class=HTMLResponse)
def message_page(request: Request, db: DB, user: Organiser, message_id: int):
    message = _message(db, message_id)
    wording = service.draft_wording(db, message)
    return render(request, "notifications/message.html", {
        "message": message, "attachments": service.attachments_of(db, message), "errors": {},
        "kind": KINDS.get(message.kind), "values": {"subject": wording.subject, "body": wording.body},
        "left_out": service.letters_left_out(db, [message]), "home": _home(db, message)})


def _home(db, message: OutboxMessage) -> tuple[str, str]:
    """Where the message's batch is shown, and the words of the link back to it."""
    return service.batch_home(db, message.batch) if message.batch else ("/organiser/messages", _("Messages"))


@router.get("/organiser/messages/{message_id}/html", response_class=HTMLResponse)
def message_html(db: DB, user: Organiser, message_id: int):
    message = _message(db, message_id)
    # The HTML part is shown as the recipient's mail program would, but sandboxed: no scripts, no
    # forms, no same-origin access, whatever a value in it might contain.
    return HTMLResponse(message.body_html, headers={
        "Content-Security-Policy": "sandbox; default-src 'none'; style-src 'unsafe-inline'; "
                                   "img-src data:; frame-ancestors 'self'",
        "X-Frame-Options": "SAMEORIGIN"})


@router.get("/organiser/messages/{message_id}/attachments/{attachment_id}")
def message_attachment(db: DB, user: Organiser, message_id: int, attachment_id: int):
    try:
        filename, content_type, data = service.attachment_of(db, _message(db, message_id).edition_id, message_id,
                                                              attachment_id)
    except DomainError:
        raise HTTPException(404) from None
    return Response(data, media_type=content_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


@router.post("/organiser/messages/{message_id}", response_class=HTMLResponse)
def message_edit(request: Request, db: DB, user: Organiser, form: Form, message_id: int):
    message = _message(db, message_id)
    subject, body = str(form.get("subject", "")), str(form.get("body", ""))
    try:
        service.edit_draft(db, Actor.of_user(user), message.edition_id, message_id, subject, body)
    except DomainError as exc:
        if not exc.fields:
            flash(request, exc.message, "error")
            return redirect(f"/organiser/messages/{message_id}")
        return render(request, "notifications/message.html", {
            "message": message, "attachments": service.attachments_of(db, message), "errors": exc.fields,
            "kind": KINDS.get(message.kind), "home": _home(db, message),
            "values": {"subject": subject, "body": body}}, status_code=422)
    flash(request, _("The draft is saved."), "success")
    return redirect(f"/organiser/messages/{message_id}")


@router.get("/organiser/messages/{message_id}/discard", response_class=HTMLResponse)
def discard_confirm(request: Request, db: DB, user: Organiser, message_id: int):
    message = _message(db, message_id)
    return render(request, "notifications/discard.html", {
        "message": message, "consequence": service.discard_warning(db, message)})


@router.post("/organiser/messages/{message_id}/discard")
def discard(request: Request, db: DB, user: Organiser, message_id: int):
    message = _message(db, message_id)
    try:
        batch = service.discard_draft(db, Actor.of_user(user), message.edition_id, message_id)
    except DomainError as exc:
        flash(request, str(exc), "error")
        return redirect(f"/organiser/messages/{message_id}")
    flash(request, _("The draft is discarded."), "success")
    # Back to its batch, unless that was its last message.
    left = batch is not None and service.batch_edition(db, batch) is not None
    return redirect(service.batch_home(db, batch)[0] if left else "/organiser/messages")
