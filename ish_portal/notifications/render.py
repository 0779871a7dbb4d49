"""Rendering an email from its template: templates/emails/<language>/<kind>.txt holds the subject
on its first line ("Subject: ...") and the plain-text body below it; the HTML part is made from that
same text, so the two never drift apart."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, meta, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from ish_portal.notifications.catalog import TEMPLATE_GLOBALS, kind as kind_of

from ish_portal.settings import PROJECT_ROOT
from ish_portal.text import i18n, timefmt

EMAIL_TEMPLATES = PROJECT_ROOT / "templates" / "emails"

_text_env = Environment(loader=FileSystemLoader(str(EMAIL_TEMPLATES)), autoescape=False,
                        undefined=StrictUndefined, keep_trailing_newline=True)
_html_env = Environment(loader=FileSystemLoader(str(EMAIL_TEMPLATES)),
                        autoescape=select_autoescape(["html"]), undefined=StrictUndefined)
# Organisers' own wording runs here: the sandbox refuses attribute tricks ({{ name.__class__ }})
# and any call but the helpers below, so text typed in the editor can never run code.
_sandbox = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True)
for _env in (_text_env, _html_env, _sandbox):
    _env.globals.update(_=i18n.gettext, format_date=timefmt.format_date,
                        format_datetime=timefmt.format_datetime)

URL = re.compile(r"https?://[^\s<>\"]+")


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
    with timefmt.reading(language, zone):
        if override is not None:
            subject = " ".join(_sandbox.from_string(override.subject).render(context).split())
            text = _sandbox.from_string(override.body).render(context).strip() + "\n"
        else:
            source = _text_env.get_template(f"{language}/{kind}.txt").render(context)
            first, _, body = source.partition("\n")
            if not first.startswith("Subject:"):
                raise ValueError(f"email template {language}/{kind}.txt must start with 'Subject:'")
            subject = " ".join(first.removeprefix("Subject:").split())
            text = body.strip() + "\n"
        return assemble(subject, text, language)


def footer() -> str:
    """Who writes, in the current language: the last lines of every message."""
    return i18n.gettext("International Summer Science School Heidelberg · City of Heidelberg · "
                        "ish@ish.example\nThis message was sent by the ISH admissions portal.")


def assemble(subject: str, text: str, language: str) -> RenderedEmail:
    """The message from its final subject and text, with the footer in its language."""
    with i18n.language(language):
        closing = footer()
        text = text.replace("\r\n", "\n").strip() + "\n"
        html = _html_env.get_template("layout.html").render(
            subject=subject, body=text_to_html(text), language=language,
            footer=text_to_html(closing))
    return RenderedEmail(subject=subject, text=f"{text}\n-- \n{closing}\n", html=html)


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
    else escaped, so values people typed can never become markup."""
    blocks = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        lines = paragraph.splitlines()
        if all(line.startswith("- ") for line in lines):
            items = "".join(f"<li>{_inline(line[2:])}</li>" for line in lines)
            blocks.append(f"<ul>{items}</ul>")
        else:
            blocks.append("<p>" + "<br>\n".join(_inline(line) for line in lines) + "</p>")
    return Markup("\n".join(blocks))


def _inline(line: str) -> str:
    parts, last = [], 0
    for match in URL.finditer(line):
        parts.append(str(escape(line[last:match.start()])))
        url = escape(match.group(0))
        parts.append(f'<a href="{url}">{url}</a>')
        last = match.end()
    parts.append(str(escape(line[last:])))
    return "".join(parts)
