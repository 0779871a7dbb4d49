"""Translations. All user-facing text goes through gettext() (or pgettext() where one English word
has two meanings, ngettext() where a number decides the form); the language of the current request,
or of the email or letter being rendered, lives in a context variable, so templates, services and
emails share one mechanism.

Catalogues are compiled .mo files under ish_portal/locale (`make messages` writes them from the
.po files translators edit), loaded through Babel's Translations, which bring each language's plural
rule and message contexts. Adding a language: see the README ("Adding a language")."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel import Locale
from babel.support import NullTranslations, Translations

# The portal's languages, each named in itself (as the language switch shows them).
LANGUAGES = {
    "en": "English",
    "de": "Deutsch",
    "fr": "Français",
    "pl": "Polski",
    "he": "עברית",
    "ja": "日本語",
    "zh": "简体中文",
}
DEFAULT_LANGUAGE = "en"
# The locale whose conventions (dates, numbers, zone names) each language follows: German as in
# Germany, Chinese in simplified script, English as written in Europe (day before month).
LOCALES = {"en": "en_GB", "de": "de_DE", "fr": "fr_FR", "pl": "pl_PL", "he": "he_IL", "ja": "ja_JP",
           "zh": "zh_Hans_CN"}
# What the lang attribute says where it differs from the portal's short code.
HTML_LANG = {"zh": "zh-Hans"}
RIGHT_TO_LEFT = frozenset({"he"})

# A pseudo-language for tests only: every translated string comes out marked, so that any visible
# text without marks is text nobody can translate. Never offered to users.
PSEUDO = "qps"
PSEUDO_OPEN, PSEUDO_CLOSE = "⟦", "⟧"

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

_current: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)
_pseudo_enabled = False


def enable_pseudo_language() -> None:
    """Let the pseudo-language be chosen (tests call this; the application never does)."""
    global _pseudo_enabled
    _pseudo_enabled = True


def known(code: str | None) -> bool:
    return code in LANGUAGES or (_pseudo_enabled and code == PSEUDO)


@cache
def _translations(language: str) -> NullTranslations:
    if language == PSEUDO:
        return _Pseudo()
    # English is the source language: its catalogue only holds the texts that differ from their
    # msgid (none today), so a missing file simply means "as written".
    return Translations.load(str(LOCALE_DIR), [language], domain="messages")


class _Pseudo(NullTranslations):
    def gettext(self, message: str) -> str:
        return PSEUDO_OPEN + message + PSEUDO_CLOSE

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return PSEUDO_OPEN + (singular if n == 1 else plural) + PSEUDO_CLOSE

    def pgettext(self, context: str, message: str) -> str:
        return self.gettext(message)

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        return self.ngettext(singular, plural, n)


def current_language() -> str:
    return _current.get()


def set_language(language: str) -> None:
    _current.set(language if known(language) else DEFAULT_LANGUAGE)


@contextmanager
def language(code: str) -> Iterator[None]:
    """Render something (an email, a letter) in another person's language."""
    token = _current.set(code if known(code) else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _current.reset(token)


def _fill(text: str, values: dict[str, object]) -> str:
    return text % values if values else text


def gettext(message: str, **values: object) -> str:
    return _fill(_translations(_current.get()).gettext(message), values)


def pgettext(context: str, message: str, **values: object) -> str:
    """A text whose English is ambiguous: "Subject" of a lab (its field) and of an email."""
    return _fill(_translations(_current.get()).pgettext(context, message), values)


def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
    """The form for n in the reader's language (Polish has three, Japanese one); %(num)d is n."""
    return _translations(_current.get()).ngettext(singular, plural, n) % {"num": n, **values}


def npgettext(context: str, singular: str, plural: str, n: int, **values: object) -> str:
    return _translations(_current.get()).npgettext(context, singular, plural, n) % {"num": n, **values}


_ = gettext


def N_(message: str) -> str:
    """Marks a text for the catalogue where it is written (a kind's purpose, a placeholder's
    description) and leaves it as it is: whoever shows it translates it then, in the reader's
    language, with gettext()."""
    return message


def mark(text: str) -> str:
    """Text made by a formatter for the reader's locale (a date, a number, a language's name):
    marked like a translation in the pseudo-language, as it is no untranslated English."""
    return PSEUDO_OPEN + text + PSEUDO_CLOSE if _current.get() == PSEUDO else text


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(LOCALES.get(language, LOCALES[DEFAULT_LANGUAGE]))


def locale(code: str | None = None) -> Locale:
    """The Babel locale of the current reader (or of the language given), for dates, numbers and
    names of zones, languages and countries."""
    return _locale(code or _current.get())


def html_lang(code: str | None = None) -> str:
    code = code or _current.get()
    return "en" if code == PSEUDO else HTML_LANG.get(code, code)


def direction(code: str | None = None) -> str:
    """"rtl" for a language written right to left (Hebrew), otherwise "ltr"."""
    return "rtl" if (code or _current.get()) in RIGHT_TO_LEFT else "ltr"


def best_match(accept_language: str | None) -> str:
    """The language a browser's Accept-Language header prefers most among the portal's, honouring
    q-values: "fr;q=0.4, he;q=0.9" is Hebrew, "de-CH" is German, "*" or nothing is the default."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        code = tag.strip().lower().split("-")[0]
        if code == "iw":  # the old code for Hebrew, still sent by some systems
            code = "he"
        if code in LANGUAGES and 0 < quality <= 1:
            ranked.append((-quality, position, code))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def _babel_name(code: str) -> str | None:
    """Babel's name of a language for the reader; the portal's Chinese is the simplified script."""
    names = locale().languages
    return names.get("zh_Hans" if code == "zh" else code) or names.get(code)


def language_name(code: str) -> str:
    """A language's name in the reader's language, from Babel: "ja" is "Japanese", "Japanisch",
    "japonais"; an unknown code shows as it is."""
    return mark(_babel_name(code) or code)


def language_choice(code: str) -> str:
    """A language in a list to choose from: its name for the reader, then its own name, so that a
    parent finds "Hebrew (עברית)" whichever language the page is in."""
    own = LANGUAGES.get(code, code)
    name = _babel_name(code) or own
    return mark(name if name == own else f"{name} ({own})")


def country_name(code: str) -> str:
    """A country's name (ISO 3166-1 alpha-2) in the reader's language: "PL" is "Poland", "Polen"."""
    return mark(locale().territories.get(code.upper(), code)) if code else ""
