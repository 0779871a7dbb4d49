"""Translations. All user-facing text goes through gettext(); the language of the current request
(or of the email being rendered) lives in a context variable, so templates, services and emails
share one mechanism. Catalogues are the .po files under ish_portal/locale, read at start-up."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

LANGUAGES = {"en": "English", "de": "Deutsch"}
DEFAULT_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

_current: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)


@lru_cache
def _catalogue(language: str) -> dict[str, str | tuple[str, ...]]:
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    messages: dict[str, str | tuple[str, ...]] = {}
    for message in catalogue:
        if not message.id or not message.string or message.fuzzy:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        messages[key] = message.string
    return messages


def current_language() -> str:
    return _current.get()


def set_language(language: str) -> None:
    _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


@contextmanager
def language(code: str) -> Iterator[None]:
    """Render something (an email, a letter) in another person's language."""
    token = _current.set(code if code in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str, **values: object) -> str:
    translated = _catalogue(_current.get()).get(message, message)
    if isinstance(translated, tuple):
        translated = translated[0]
    return translated % values if values else translated


def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
    translated = _catalogue(_current.get()).get(singular)
    if isinstance(translated, tuple):
        text = translated[0] if n == 1 else translated[-1]
    else:
        text = singular if n == 1 else plural
    return text % {"num": n, **values}


_ = gettext


def best_match(accept_language: str | None) -> str:
    """The first language of an Accept-Language header that the portal speaks."""
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE
