"""Rendering an email from its template: templates/emails/<language>/<kind>.txt holds the subject
on its first line ("Subject: ...") and the plain-text body below it; the HTML part is made from that
same text, so the two never drift apart.

The HTML part carries the reader's language and direction (lang, dir), and every placeholder's value
(names, organisations, labs, reasons: whatever the facts bring) inside <bdi>, so that a Latin name
in Hebrew text, or a Hebrew name in English text, keeps its own direction and leaves the
punctuation around it where it belongs. To know where the values are, the template is rendered with
each value between two marks (Unicode noncharacters, which no text people send contains): the
plain text is that text without its marks, and in the HTML the marks become <bdi> once the text
has been escaped."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, TemplateError, meta, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from ish_portal.notifications.catalog import TEMPLATE_GLOBALS, kind as kind_of

from ish_portal.settings import PROJECT_ROOT
from ish_portal.text import i18n, timefmt

EMAIL_TEMPLATES = PROJECT_ROOT / "templates" / "emails"

# Where a placeholder's value begins and ends in the rendered text (see the module's docstring).
OPEN, CLOSE = "\ufdd0", "\ufdd1"
_MARK = re.compile(f"([{OPEN}{CLOSE}])")


def _unmarked(text: str) -> str:
    # Two replaces: much faster than str.translate, which maps each character in Python.
    return text.replace(OPEN, "").replace(CLOSE, "")


class _Value(str):
    """A placeholder's value: written out between the marks. Otherwise an ordinary string, so
    {% if reason %} and comparisons read it as before."""

    __slots__ = ()


def _finalize(value: Any) -> Any:
    # Applied to everything a template writes with {{ ... }}; only placeholders' values are marked.
    if isinstance(value, _Value):
        return OPEN + _unmarked(value) + CLOSE if value else ""
    return value


_text_env = Environment(loader=FileSystemLoader(str(EMAIL_TEMPLATES)), autoescape=False,
                        undefined=StrictUndefined, keep_trailing_newline=True, finalize=_finalize)
_html_env = Environment(loader=FileSystemLoader(str(EMAIL_TEMPLATES)),
                        autoescape=select_autoescape(["html"]), undefined=StrictUndefined)
# Organisers' own wording runs here: the sandbox refuses attribute tricks ({{ name.__class__ }})
# and any call but the helpers below, so text typed in the editor can never run code.
_sandbox = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True,
                                finalize=_finalize)
for _env in (_text_env, _html_env, _sandbox):
    _env.globals.update(_=i18n.gettext, format_date=timefmt.format_date,
                        format_datetime=timefmt.format_datetime)

# A web address; a value may be part of it, so it may hold marks, but never begins or ends with one.
_URL_CHAR = f"[^\\s<>\"{OPEN}{CLOSE}]"
URL = re.compile(f"https?://{_URL_CHAR}+(?:[{OPEN}{CLOSE}]+{_URL_CHAR}+)*")
_AFTER_URL = ".,;:!?" + OPEN + CLOSE


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Wording:
    """An organiser's subject and body of one message kind, overriding the file template."""
    subject: str
    body: str


def render_email(kind: str, language: str, context: dict[str, Any],
                 override: Wording | None = None, zone: str | None = None) -> RenderedEmail:
    """The message in the reader's language; dates a template formats itself appear in the reader's
    zone. The text ends with the portal's footer in that language."""
    language = language if language in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE
    values = {name: _Value(value) if isinstance(value, str) else value for name, value in context.items()}
    with timefmt.reading(language, zone):
        if override is not None:
            subject = _compiled(override.subject).render(values)
            text = _compiled(override.body).render(values)
        else:
            source = _text_env.get_template(f"{language}/{kind}.txt").render(values)
            first, _, text = source.partition("\n")
            if not first.startswith("Subject:"):
                raise ValueError(f"email template {language}/{kind}.txt must start with 'Subject:'")
            subject = first.removeprefix("Subject:")
        return assemble(" ".join(_unmarked(subject).split()), text, language)


@lru_cache(maxsize=256)
def _compiled(source: str) -> Template:
    """An organiser's wording, compiled once for every message that uses it (a bulk message uses
    the same wording for each reader). Marks cannot be typed into it."""
    return _sandbox.from_string(_unmarked(source))


def footer() -> str:
    """Who writes, in the current language: the last lines of every message."""
    return i18n.gettext("International Summer Science School Heidelberg · City of Heidelberg · "
                        "ish@ish.example\nThis message was sent by the ISH admissions portal.")


def assemble(subject: str, text: str, language: str) -> RenderedEmail:
    """The message from its final subject and text, with the footer in its language. The text may
    carry marks around placeholders' values (see render_email): the plain-text part is the text
    without them; in the HTML part each marked value is inside <bdi>."""
    with i18n.language(language):
        closing = footer()
        marked = text.replace("\r\n", "\n")
        plain = _unmarked(marked).strip() + "\n"
        html = _html_env.get_template("layout.html").render(
            subject=subject, body=text_to_html(marked), lang=i18n.html_lang(language),
            dir=i18n.direction(language), footer=text_to_html(closing))
    return RenderedEmail(subject=subject, text=f"{plain}\n-- \n{closing}\n", html=html)


def default_wording(kind: str, language: str) -> Wording:
    """The file template's subject and body, as the editor starts from."""
    source = (EMAIL_TEMPLATES / language / f"{kind}.txt").read_text(encoding="utf-8")
    first, _, body = source.partition("\n")
    return Wording(subject=first.removeprefix("Subject:").strip(), body=body.strip() + "\n")


def placeholders_used(source: str, env: Environment | None = None) -> set[str]:
    """The names a template reads, besides the helpers every template has."""
    return set(meta.find_undeclared_variables((env or _sandbox).parse(source))) - TEMPLATE_GLOBALS


def check_wording(kind: str, wording: Wording) -> dict[str, str]:
    """What is wrong with an organiser's wording, per field ("subject", "body"); empty when it
    can be used: it parses, uses only the kind's placeholders, and renders with example values."""
    declared = kind_of(kind)
    errors: dict[str, str] = {}
    for field, source in (("subject", wording.subject), ("body", wording.body)):
        if field == "subject" and not source.strip():
            errors[field] = i18n.gettext("Enter a subject.")
            continue
        if field == "body" and not source.strip():
            errors[field] = i18n.gettext("Enter the text of the message.")
            continue
        try:
            unknown = sorted(placeholders_used(source) - set(declared.names))
        except TemplateError as exc:
            line = getattr(exc, "lineno", None)
            errors[field] = i18n.gettext("The text cannot be read as a template (line %(line)s): %(problem)s",
                                         line=line or 1, problem=exc.message or str(exc))
            continue
        if unknown:
            errors[field] = i18n.gettext(
                "{{ %(name)s }} is not a placeholder of this message; use one of %(names)s.",
                name=unknown[0], names=", ".join(declared.names))
            continue
        try:
            _sandbox.from_string(source).render(declared.example_context())
        except TemplateError as exc:
            errors[field] = i18n.gettext("The text cannot be used: %(problem)s", problem=exc.message or str(exc))
    return errors


def text_to_html(text: str) -> Markup:
    """Paragraphs from blank lines, lists from lines starting '- ', links from URLs; everything
    else escaped, so values people typed can never become markup. Marked values become <bdi>
    elements, closed at the end of a line and opened again on the next, so that every element
    nests; paragraphs and lists are found in the text as it reads without its marks, so the HTML
    has the shape of the plain text."""
    blocks: list[str] = []
    paragraph: list[str] = []
    depth = 0  # how many marked values are open where the next line begins

    def end_paragraph() -> None:
        nonlocal depth
        if not paragraph:
            return
        listed = all(_unmarked(line).startswith("- ") for line in paragraph)
        lines = []
        for line in paragraph:
            html, depth = _inline(_without_bullet(line) if listed else line, depth)
            lines.append(html)
        if listed:
            blocks.append("<ul>" + "".join(f"<li>{line}</li>" for line in lines) + "</ul>")
        else:
            blocks.append("<p>" + "<br>\n".join(lines) + "</p>")
        paragraph.clear()

    for line in text.split("\n"):
        if _unmarked(line).strip():
            paragraph.append(line)
        else:
            end_paragraph()
            depth = _written(_marks_in(line), depth, [])  # a blank line may open or close a value
    end_paragraph()
    return Markup("\n".join(blocks))


def _without_bullet(line: str) -> str:
    """A list item's line without its '- ', which may come after marks."""
    start = len(line) - len(line.lstrip(OPEN + CLOSE))
    return line[:start] + line[start + 2:]


def _marks_in(text: str) -> str:
    """The marks of the text, less the values it holds whole (they open and close in it)."""
    if OPEN not in text and CLOSE not in text:
        return ""
    marks = "".join(char for char in text if char in (OPEN, CLOSE))
    while OPEN + CLOSE in marks:
        marks = marks.replace(OPEN + CLOSE, "")
    return marks


def _written(text: str, depth: int, out: list[str]) -> int:
    """Appends the text, escaped, with <bdi> and </bdi> for its marks; returns how many values are
    open after it. A close mark without an open value (text the portal renders has none) is
    dropped."""
    if OPEN not in text and CLOSE not in text:  # most of a message: one escape for all of it
        if text:
            out.append(str(escape(text)))
        return depth
    for piece in _MARK.split(text):
        if piece == OPEN:
            out.append("<bdi>")
            depth += 1
        elif piece == CLOSE:
            if depth:
                out.append("</bdi>")
                depth -= 1
        elif piece:
            out.append(str(escape(piece)))
    return depth


def _inline(line: str, depth: int = 0) -> tuple[str, int]:
    """One line: the values open before it continue in it, those still open at its end are closed
    (and continue on the next line); returns the HTML and how many values stay open."""
    out, last = ["<bdi>" * depth], 0
    while match := URL.search(line, last):
        # A full stop or comma after an address ends the sentence, not the address.
        end = match.start() + len(match.group(0).rstrip(_AFTER_URL))
        depth = _written(line[last:match.start()], depth, out)
        url = escape(_unmarked(line[match.start():end]))
        out.append(f'<a href="{url}">{url}</a>')
        # A value that begins or ends inside a link is shown around the whole link.
        depth = _written(_marks_in(line[match.start():end]), depth, out)
        last = end
    depth = _written(line[last:], depth, out)
    out.append("</bdi>" * depth)
    return "".join(out), depth
