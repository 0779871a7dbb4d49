"""Chooses the language of each request: the one picked with the switcher (kept in the session),
otherwise the browser's preference."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from ish_portal.text import i18n


class LanguageMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            chosen = scope.get("session", {}).get("lang")
            if not i18n.known(chosen):
                headers = dict(scope.get("headers", []))
                chosen = i18n.best_match(headers.get(b"accept-language", b"").decode("latin-1"))
            i18n.set_language(chosen)
        await self.app(scope, receive, send)
