"""Chooses the language of each request: the one picked with the switcher (kept in the session),
otherwise the browser's preference. A page reached from an email speaks the email's language
(reader_language), and signing in keeps a language picked just before (picked_language)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from ish_portal.text import i18n

# Set in the session when someone picks a language with the switcher; a new session (signing in,
# entering with a personal link) starts without it, and signing out keeps only the language.
PICKED = "lang_picked"


def picked_language(request: Request) -> str | None:
    """The language the visitor picked with the switcher in this session, if they did."""
    language = request.session.get("lang")
    return language if request.session.get(PICKED) and i18n.known(language) else None


def reader_language(request: Request, language: str) -> None:
    """For a page a personal link in an email leads to: the language the email was written in
    (the reader's), unless the visitor has picked one here."""
    if picked_language(request) is None and i18n.known(language):
        i18n.set_language(language)


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
