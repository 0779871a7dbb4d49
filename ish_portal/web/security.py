"""Protections every request passes through: security headers, a cap on request bodies that cuts
oversized uploads off while they stream in, and the CSRF check on every state-changing request."""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ish_portal.text.i18n import current_language, gettext

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Sent in production only (behind the TLS proxy): browsers then refuse plain HTTP to the portal
# for a year. A development portal on http://127.0.0.1 must not send it.
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.headers = SECURITY_HEADERS + ([HSTS] if hsts else [])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    header for header in self.headers if header[0] not in present]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RequestTooLarge(Exception):
    def __init__(self, limit_bytes: int) -> None:
        super().__init__(limit_bytes)
        self.limit_bytes = limit_bytes


class BodySizeLimitMiddleware:
    """Refuses a body larger than the limit: at once when Content-Length says so, otherwise as soon
    as the streamed bytes pass it, so an oversized upload is never held in full."""

    def __init__(self, app: ASGIApp, limit_bytes: int, refuse=None) -> None:
        self.app = app
        self.limit_bytes = limit_bytes
        # refuse(scope, receive, send, limit_bytes) answers a body declared too large (the
        # portal's page, from web.errors); without it, a plain page.
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit_bytes:
            # Refused before a single byte of the body is read.
            if self.refuse is not None:
                await self.refuse(scope, receive, send, self.limit_bytes)
                return
            response = HTMLResponse(_too_large_page(self.limit_bytes), status_code=413,
                                    headers={"connection": "close"})
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit_bytes:
                    raise RequestTooLarge(self.limit_bytes)
            return message

        await self.app(scope, counting_receive, send)


def _too_large_page(limit_bytes: int) -> str:
    title = gettext("The upload is too large")
    message = gettext("Nothing was saved. Files may be at most %(mb)d MB.", mb=limit_bytes // (1024 * 1024))
    return (f'<!doctype html><html lang="{current_language()}"><head><meta charset="utf-8">'
            f'<title>{title}</title><link rel="stylesheet" href="/static/style.css"></head>'
            f'<body><main><section class="card narrow"><p class="status-code">413</p><h1>{title}</h1>'
            f'<p>{message}</p><p><a href="/">{gettext("Go to the start page")}</a></p>'
            f'</section></main></body></html>')


class CSRFError(Exception):
    pass


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def csrf_protect(request: Request) -> None:
    """Every POST (and other unsafe method) must carry the session's token, in the form field
    csrf_token or the X-CSRF-Token header; otherwise nothing runs and a 403 page explains why."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get("csrf")
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get("csrf_token")
            sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise CSRFError()
