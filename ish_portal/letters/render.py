"""From LetterData to PDF bytes: the wording comes from templates/letters/<language>/<letter>.html
(Jinja, in the markup described in markup.py), the look from layout.py.

Each language also has _common.html: the letterhead, the footer and the signature block shared by
its letters. A letter template sets `title` at its top; it becomes the PDF's title."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path

from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context

from ish_portal.letters.data import LANGUAGES, LetterData
from ish_portal.letters.fonts import covered_characters
from ish_portal.letters.layout import Frame, render_pdf
from ish_portal.letters.markup import parse
from ish_portal.text import i18n

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "letters"


def wording_language(language: str) -> str:
    """The language the letter is written in: its own where templates/letters/<language>/ exists,
    English otherwise (a language the portal speaks before its letters are translated)."""
    if (TEMPLATES / language).is_dir():
        return language
    return i18n.DEFAULT_LANGUAGE


def written_languages() -> tuple[str, ...]:
    """The languages whose letters are written (templates/letters/<language>/ exists)."""
    return tuple(language for language in LANGUAGES if (TEMPLATES / language).is_dir())


@pass_context
def _date(context, value: date | None) -> str:
    if value is None:
        return ""
    # The locale of the language, as everywhere in the portal: English dates day first ("12 July
    # 2027"), as a letter from Heidelberg writes them.
    text = format_date(value, format="long", locale=i18n.LOCALES[context["language"]])
    # No line break inside a date: "12 July" at the end of one line and "2027" on the next reads
    # badly. fpdf2 keeps words joined by U+00A0 together and prints it as a space.
    return text.replace(" ", "\u00a0")


_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True,
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_env.filters["date"] = _date


def acceptance_letter(data: LetterData) -> bytes:
    """The participant is accepted to the programme: dates, lab, institute and tutor."""
    return _render("acceptance", data)


def visa_letter(data: LetterData) -> bytes:
    """An invitation for the German embassy or consulate, with the passport's facts."""
    data.require("visa letter", "passport_name", "date_of_birth", "nationality", "passport_number")
    return _render("visa", data)


def certificate(data: LetterData) -> bytes:
    """The certificate of participation handed out at the end of the programme."""
    return _render("certificate", data)


# What each letter leaves out of the data: the visa letter names the person as in the passport,
# the others as they write their name, without the passport's facts.
NOT_PRINTED = {
    "visa": frozenset({"full_name"}),
    "acceptance": frozenset({"passport_name", "passport_number", "nationality"}),
    "certificate": frozenset({"passport_name", "passport_number", "nationality"}),
}


def missing_characters(data: LetterData, letter: str | None = None) -> str:
    """The characters of the data that no font of the letters can draw (an emoji, a script none of
    them has, such as Tifinagh), each once, in order of appearance; empty when everything prints.
    With a letter ("acceptance", "visa", "certificate"), only the values that letter prints count.
    Such characters would be left out of the PDF (fpdf2 logs a warning), so a caller can warn before
    issuing the letter. Spaces and invisible formatting characters (such as a right-to-left mark)
    print as nothing and are not missing."""
    covered = covered_characters()
    skipped = NOT_PRINTED.get(letter, frozenset()) if letter else frozenset()
    missing: dict[str, None] = {}
    for name, value in data.as_context().items():
        if isinstance(value, str) and name not in skipped:
            for character in value:
                if (ord(character) not in covered and not character.isspace()
                        and unicodedata.category(character) != "Cf"):
                    missing[character] = None
    return "".join(missing)


def _render(letter: str, data: LetterData) -> bytes:
    language = wording_language(data.language)
    context = {**data.as_context(), "language": language}
    common = _env.get_template(f"{language}/_common.html").make_module(context)
    body = _env.get_template(f"{language}/{letter}.html").make_module(context)
    frame = Frame(language=language, title=str(body.title), letterhead=str(common.letterhead),
                  office=str(common.office), footer=str(common.footer),
                  page_label=str(common.page_label), issued_on=data.issued_on,
                  certificate=letter == "certificate")
    return render_pdf(frame, parse(str(body)))
