"""Friendly pages for every error: 403, 404, 405, 413, a failed CSRF check and the unexpected 500."""

from __future__ import annotations

import logging
import math
from datetime import timedelta
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ish_portal.web.deps import Forbidden, NotAuthenticated
from ish_portal.text.i18n import gettext as _, ngettext
from ish_portal.web.security import CSRFError, RequestTooLarge
from ish_portal.web.templating import redirect, render

log = logging.getLogger("ish_portal")


def error_page(request: Request, status: int, title: str, message: str):
    return render(request, "errors/error.html", {"status": status, "title": title, "message": message},
                  status_code=status)


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
        return error_page(request, 413, _("The upload is too large"),
                          _("Nothing was saved. Files may be at most %(mb)d MB.",
                            mb=exc.limit_bytes // (1024 * 1024)))

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
