"""Rendering an email from its template: templates/emails/<language>/<kind>.txt holds the subject
on its first line ("Subject: ...") and the plain-text body below it; the HTML part is made from that
same text, so the two never drift apart."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from ish_portal.settings import PROJECT_ROOT
from ish_portal.web import i18n, timefmt

EMAIL_TEMPLATES = PROJECT_ROOT / "templates" / "emails"

_text_env = Environment(loader=FileSystemLoader(str(EMAIL_TEMPLATES)), autoescape=False,
                        undefined=StrictUndefined, keep_trailing_newline=True)
_html_env = Environment(loader=FileSystemLoader(str(EMAIL_TEMPLATES)),
                        autoescape=select_autoescape(["html"]), undefined=StrictUndefined)
for _env in (_text_env, _html_env):
    _env.globals.update(_=i18n.gettext, format_date=timefmt.format_date,
                        format_datetime=timefmt.format_datetime)

URL = re.compile(r"https?://[^\s<>\"]+")


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(kind: str, language: str, context: dict[str, Any]) -> RenderedEmail:
    language = language if language in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE
    with i18n.language(language):
        source = _text_env.get_template(f"{language}/{kind}.txt").render(context)
        first, _, body = source.partition("\n")
        if not first.startswith("Subject:"):
            raise ValueError(f"email template {language}/{kind}.txt must start with 'Subject:'")
        subject = " ".join(first.removeprefix("Subject:").split())
        text = body.strip() + "\n"
        html = _html_env.get_template("layout.html").render(
            subject=subject, body=text_to_html(text), language=language)
    return RenderedEmail(subject=subject, text=text, html=html)


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
