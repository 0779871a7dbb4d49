"""Rendering pages: one Jinja environment, with what every page needs (who is signed in, the CSRF
token, flash messages, translations, date formatting) supplied here and nowhere else."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from urllib.parse import quote

from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import FileSystemBytecodeCache, Template
from markupsafe import Markup, escape as markupsafe_escape

try:  # markupsafe's own escaping of a string (C where built), which its escape() wraps in Markup
    from markupsafe import _escape_inner
except ImportError:  # pragma: no cover - a markupsafe without it: the same text, by its escape()
    def _escape_inner(text: str) -> str:
        return str(markupsafe_escape(text))

from ish_portal.reports.audit_log import action_label, actor_text, mode_word
from ish_portal.text.i18n import language_name
from ish_portal.nominations.review import history_summary, outcome_label
from ish_portal.nominations.service import document_label, field_label, nationality_name, status_label
from ish_portal.mailings.service import group_label as mailing_group_label, state_label as mailing_state_label
from ish_portal.notifications.catalog import kind_title, recipient_word
from ish_portal.notifications.service import status_word as message_status_word
from ish_portal.settings import PROJECT_ROOT
from ish_portal.text import i18n, timefmt
from ish_portal.text.vocabulary import subject_label
from ish_portal.audit.service import access_label, role_label
from ish_portal.nominations import consent
from ish_portal.web.charts import Bar, bar_chart
from ish_portal.web.flash import pop_flashes
from ish_portal.web.security import csrf_token



def escape_text(value: Any) -> str:
    """The text markupsafe.escape(value) gives, as a plain str: what the page's output needs,
    without making a Markup object for every value a page prints (a list of fifty rows prints
    about 1,300). tests/web/test_templating.py holds the two equal."""
    if type(value) is str:
        return _escape_inner(value)
    html = getattr(value, "__html__", None)
    if html is not None:
        return str(html())
    return _escape_inner(str(value))


class PageTemplate(Template):
    """A template whose printed values are escaped by escape_text. Jinja's compiled code calls
    `escape` only on what it prints; what it keeps (a macro's output, a `{% set %}` block) it
    wraps in Markup itself, so nothing else changes."""

    @classmethod
    def _from_namespace(cls, environment, namespace, globals):  # type: ignore[override]
        namespace["escape"] = escape_text
        return super()._from_namespace(environment, namespace, globals)


templates = Jinja2Templates(directory=str(PROJECT_ROOT / "templates"))
env = templates.env
env.autoescape = True
env.template_class = PageTemplate
# Compiling a page's templates is most of what a new process's first request of that page costs
# (about 0.15 s for the sign-in page). Jinja keeps the compiled code on disk, in a folder of this
# user's own in the temporary folder, keyed by template and checked against its source, so a
# process started later, or another worker, starts from it. Without a usable folder, pages are
# compiled as before.
try:
    env.bytecode_cache = FileSystemBytecodeCache()
except (OSError, RuntimeError):  # pragma: no cover - no safe temporary folder on this machine
    pass
env.globals.update(
    _=i18n.gettext,
    gettext=i18n.gettext,
    ngettext=i18n.ngettext,
    pgettext=i18n.pgettext,
    npgettext=i18n.npgettext,
    html_lang=i18n.html_lang,
    direction=i18n.direction,
    format_number=timefmt.format_number,
    LANGUAGES=i18n.LANGUAGES,
    current_language=i18n.current_language,
    format_date=timefmt.format_date,
    format_datetime=timefmt.format_datetime,
    format_deadline=timefmt.format_deadline,
    time_left=timefmt.time_left,
    # The words of the areas' states and kinds, in the reader's language.
    status_label=status_label,
    document_label=document_label,
    field_label=field_label,
    nationality_name=nationality_name,
    outcome_label=outcome_label,
    history_summary=history_summary,
    action_label=action_label,
    actor_text=actor_text,
    mode_word=mode_word,
    message_status_label=message_status_word,
    recipient_word=recipient_word,
    kind_title=kind_title,
    mailing_state_label=mailing_state_label,
    mailing_group_label=mailing_group_label,
    consent_text=consent.current_text,
    consent_state_label=consent.state_label,
    consent_method_label=consent.method_label,
    access_label=access_label,
    role_label=role_label,
    bar_chart=bar_chart,
    chart_bar=Bar,
)

# A select option whose value is its own label ("none" is the one word to translate).
# Rows of a run's figures as bars of a chart (web/charts.py).
env.filters["rank_bar"] = lambda row: Bar(i18n.gettext("choice %(rank)s", rank=row[0]) if row[0].isdigit() else row[0], row[1])
env.filters["fill_bar"] = lambda row: Bar(row[0], row[1], of=row[2])
env.filters["plain_bar"] = lambda row: Bar(row[0], row[1])
env.filters["dict_without_none"] = lambda values: {k: v for k, v in values.items() if v is not None}
env.filters["pair"] = lambda value: (value, i18n.gettext("none") if value == "none" else value)
env.filters["filesize"] = lambda size: (i18n.gettext("made when sent") if size is None else f"{size} B"
                                        if size < 1024 else f"{size / 1024:.0f} KB"
                                        if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB")
env.filters["options"] = lambda items, value, text: [(getattr(i, value), getattr(i, text)) for i in items]
env.filters["document_option"] = lambda kind: (kind, document_label(kind))
env.filters["language_label"] = language_name
env.filters["subject_label"] = subject_label
env.filters["subject_option"] = lambda subject: (subject, subject_label(subject))
env.filters["kind_title"] = kind_title
env.filters["language_choice"] = i18n.language_choice
env.filters["language_option"] = lambda code: (code, i18n.language_choice(code))
env.filters["format_placeholder"] = lambda name: "{{ " + name + " }}"


def bdi(value: Any) -> Markup:
    """A value people typed (a name, a school, an email address), isolated from the text around it,
    so a Hebrew name in an English sentence or an address in a Hebrew one keeps its own direction."""
    if value is None or value == "":
        return Markup("")
    return Markup("<bdi>" + escape_text(value) + "</bdi>")


env.filters["bdi"] = bdi


def render(request: Request, name: str, context: dict[str, Any] | None = None,
           status_code: int = 200) -> HTMLResponse:
    # Error pages for failures outside the session middleware render without a session.
    has_session = "session" in request.scope
    page = {
        "csrf_token": csrf_token(request) if has_session else "",
        "flashes": pop_flashes(request) if has_session else [],
        "user": getattr(request.state, "user", None),
        "is_applicant": has_session and request.session.get("applicant") is not None,
        "development": request.app.state.settings.development,
        "errors": {},
        "values": {},
    }
    page.update(context or {})
    # A page for one reader far away (an applicant) writes times in their zone, as their emails do.
    zone = page.pop("reader_zone", None)
    if zone:
        with timefmt.reading(i18n.current_language(), zone):
            return templates.TemplateResponse(request, name, page, status_code=status_code)
    return templates.TemplateResponse(request, name, page, status_code=status_code)


def redirect(url: str) -> RedirectResponse:
    """After a successful POST: see the result with a GET (303 See Other)."""
    return RedirectResponse(url, status_code=303)


def private_download(data: bytes, content_type: str, filename: str) -> Response:
    """A personal file saved under its own name (in any script, with a plain ASCII fallback for
    old programs), never kept by a cache on the way."""
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
    return Response(data, media_type=content_type, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "private, no-store"})
