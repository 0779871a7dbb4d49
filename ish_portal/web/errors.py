"""Friendly pages for every error: 403, 404, 405, 413, a failed CSRF check and the unexpected 500."""

from __future__ import annotations

import logging
import math
import re
from datetime import timedelta
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from ish_portal.programme.service import current_edition
from ish_portal.web.deps import Forbidden, NotAuthenticated, optional_user
from ish_portal.text.i18n import gettext as _, ngettext
from ish_portal.web.security import CSRFError, RequestTooLarge
from ish_portal.web.templating import redirect, render

log = logging.getLogger("ish_portal")


def error_page(request: Request, status: int, title: str, message: str):
    return render(request, "errors/error.html", {"status": status, "title": title, "message": message},
                  status_code=status)


MB = 1024 * 1024
# Where a refused upload came from, when the browser did not say (the Referer): the page its
# form is on.
UPLOAD_FORMS = [
    (re.compile(r"/coordinator/nominations/(\d+)/documents/?"), r"/coordinator/nominations/\1"),
    (re.compile(r"/organiser/labs/import/?"), "/organiser/labs/import"),
    (re.compile(r"/organiser/labs/(\d+)/rankings/import/?"), r"/organiser/labs/\1"),
    (re.compile(r"/organiser/messages/compose/?"), "/organiser/messages/compose"),
]
DOCUMENT_UPLOAD = UPLOAD_FORMS[0][0]
NOMINATION_FORM = "/coordinator/nominations/new"


def form_page(request: Request) -> str:
    """The page to go back to after a refused request: the one it was sent from when the Referer
    names a page of this portal, otherwise the page of the upload's form, or the nomination form."""
    referer = urlsplit(request.headers.get("referer", ""))
    if (referer.scheme in ("http", "https") and referer.netloc == request.headers.get("host")
            and referer.path.startswith("/") and not referer.path.startswith("//")):
        return referer.path + (f"?{referer.query}" if referer.query else "")
    for pattern, page in UPLOAD_FORMS:
        if pattern.fullmatch(request.url.path):
            return pattern.sub(page, request.url.path)
    return NOMINATION_FORM


def too_large_page(request: Request, limit_bytes: int) -> HTMLResponse:
    """The page for a request body over the cap, in the portal's layout (who is signed in, their
    language), with the limit that applies to what was sent: the edition's for a candidate's
    document, otherwise the portal's, and a way back to the form."""
    limit_mb = limit_bytes // MB
    with Session(request.app.state.engine) as db:
        if getattr(request.state, "user", None) is None and "session" in request.scope:
            optional_user(request, db)
        if DOCUMENT_UPLOAD.fullmatch(request.url.path):
            edition = current_edition(db)
            if edition is not None:
                limit_mb = min(limit_mb, edition.upload_limit_mb)
    back = form_page(request)
    return render(request, "errors/too_large.html", {
        "status": 413, "title": _("The upload is too large"), "limit_mb": limit_mb, "back": back,
        "back_is_nomination_form": back == NOMINATION_FORM}, status_code=413)


async def refuse_too_large(scope: Scope, receive: Receive, send: Send, limit_bytes: int) -> None:
    """What the body cap answers when a request declares a body over the limit up front (the body
    is never read): the same page as for a body cut off while it streams in."""
    response = too_large_page(Request(scope, receive), limit_bytes)
    response.headers["connection"] = "close"
    await response(scope, receive, send)


def too_many_requests(request: Request, waiting: timedelta):
    """429 in the portal's layout, saying when the form may be used again (and Retry-After)."""
    seconds = max(1, math.ceil(waiting.total_seconds()))
    minutes = max(1, math.ceil(seconds / 60))
    response = error_page(request, 429, _("Too many requests"), ngettext(
        "This form has been sent too often from your network. Nothing was sent this time. "
        "Try again in %(num)d minute.",
        "This form has been sent too often from your network. Nothing was sent this time. "
        "Try again in %(num)d minutes.", minutes))
    response.headers["Retry-After"] = str(seconds)
    return response


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 404:
            return error_page(request, 404, _("Page not found"),
                              _("There is nothing here, or it is not yours to see."))
        if exc.status_code == 403:
            return error_page(request, 403, _("Not allowed"), _("You may not do this."))
        if exc.status_code == 405:
            return error_page(request, 405, _("Not allowed"), _("This address does not accept that request."))
        return error_page(request, exc.status_code, _("Something is not right"), str(exc.detail))

    @app.exception_handler(NotAuthenticated)
    async def not_authenticated(request: Request, exc: NotAuthenticated):
        target = "/access" if exc.applicant else "/login"
        if request.method == "GET":
            return redirect(f"{target}?next={quote(request.url.path)}")
        return redirect(target)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden):
        return error_page(request, 403, _("Not allowed"),
                          _("This page belongs to another role. Sign in with the right account."))

    @app.exception_handler(CSRFError)
    async def csrf_failed(request: Request, exc: CSRFError):
        return error_page(request, 403, _("This form has expired"),
                          _("Nothing was changed. The page you sent it from was out of date or "
                            "did not come from this portal. Go back, reload the page and try again."))

    @app.exception_handler(RequestTooLarge)
    async def too_large(request: Request, exc: RequestTooLarge):
        return too_large_page(request, exc.limit_bytes)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        # Reached only by hand-made requests: the portal's own forms are validated field by field.
        return error_page(request, 400, _("The request was incomplete"),
                          _("Something the page needs was missing or not valid. Nothing was changed."))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_page(request, 500, _("Something went wrong"),
                          _("Nothing was changed. The error has been logged; please try again later."))
