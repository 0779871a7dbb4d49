"""No untranslated text on any page: every page of every role is rendered in the pseudo-language,
in which each translated string (and each date or number formatted for the reader) comes out
between ⟦ and ⟧. Whatever visible text is left outside the marks must be data people typed (names,
lab titles, reasons...); anything else is portal text nobody can translate."""

import re
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import String, select as sa_select
from sqlmodel import SQLModel, select
from sqlmodel.sql.sqltypes import AutoString

from ish_portal.accounts.models import TokenPurpose
from ish_portal.accounts.service import issue_token
from ish_portal.demo import load_demo
from ish_portal.labs.models import Lab
from ish_portal.nominations.models import Document, Nomination
from ish_portal.placement.models import MatchRun
from ish_portal.text import i18n
from tests.conftest import csrf_of, fresh, post_form
from tests.web.test_every_page import STAFF_ROOMS, host_lab, interview_ids, page_paths

MARKED = re.compile(f"{i18n.PSEUDO_OPEN}[^{i18n.PSEUDO_OPEN}{i18n.PSEUDO_CLOSE}]*{i18n.PSEUDO_CLOSE}")
WORD = re.compile(r"[^\W\d_]{2,}")
# Attributes people read or hear (a screen reader speaks aria-label and title).
SPOKEN = ("title", "aria-label", "placeholder", "alt", "aria-description")
# Columns whose values are codes the portal must put into words itself (statuses, kinds, modes,
# languages, subject areas...); only free text that people typed may appear untranslated.
TYPED_MIN_LENGTH = 100
CODED = {"subject_area"}


class VisibleText(HTMLParser):
    """The text a person sees or hears, leaving out what is not the portal's own words in the page's
    language: scripts, what a textarea holds (typed, or a template being edited), code (a CSV
    column, a placeholder), and anything that says it is in a language of its own (lang="de": an
    email preview, the language switch naming each language in itself)."""

    SKIPPED = ("script", "style", "template", "textarea", "code")
    VOID = ("input", "br", "img", "meta", "link", "hr", "wbr", "source")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._open: list[bool] = []  # for each open element: does it hide its content?

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        hides = tag in self.SKIPPED or (tag != "html" and "lang" in attributes)
        if not any(self._open) and not hides:
            self.parts.extend(value for name, value in attrs if name in SPOKEN and value)
            if tag == "input" and attributes.get("type") in ("submit", "button") and attributes.get("value"):
                self.parts.append(attributes["value"])
        if tag not in self.VOID:
            self._open.append(hides)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self._open:
            self._open.pop()

    def handle_data(self, data):
        if not any(self._open) and data.strip():
            self.parts.append(data)


# A value isolated for its direction (<bdi>Noa</bdi>) is part of the sentence around it.
ISOLATED = re.compile(r"<bdi>([^<]*)</bdi>")


def unmarked_words(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(ISOLATED.sub(r"\1", html))
    words = []
    for part in parser.parts:
        while True:  # a translation may hold another (a status word in a sentence): innermost first
            stripped = MARKED.sub(" ", part)
            if stripped == part:
                break
            part = stripped
        words.extend(WORD.findall(part))
    return words


def _is_text(column) -> bool:
    return isinstance(column.type, (String, AutoString))


def typed_words(db) -> set[str]:
    """Every word of every free-text value in the database: what people typed may show as typed."""
    words: set[str] = set()
    for table in SQLModel.metadata.sorted_tables:
        columns = [column for column in table.columns if _is_text(column)
                   and (column.type.length or TYPED_MIN_LENGTH) >= TYPED_MIN_LENGTH and column.name not in CODED]
        if not columns:
            continue
        for row in db.connection().execute(sa_select(*columns)):
            for value in row:
                if value:
                    words.update(WORD.findall(value))
    # A name in Chinese or Japanese is written without a space between its parts ('中村陽翔'),
    # so the whole name is one word of what was typed.
    for nomination in db.exec(select(Nomination)):
        words.update(WORD.findall(nomination.display_name))
    return words


def test_every_page_of_every_role_is_translated(app, client, db, settings):
    from fastapi.testclient import TestClient
    i18n.enable_pseudo_language()
    load_demo(db, settings, today=date(2026, 11, 22))
    fresh(db)
    nomination = db.exec(select(Nomination).where(Nomination.email == "noemie.laurent@example.org")).one()
    ids = {"nomination_id": nomination.id, "lab_id": host_lab(db),
           "document_id": db.exec(select(Document)).first().id, "kind": "offer_made", "lang": "en",
           "language": "en", "answer": "accept", **scheduled_mailing(db), **interview_ids(db)}
    misses: dict[str, set[str]] = {}
    checked = 0

    def check(browser, paths):
        for path in paths:
            response = browser.get(path)
            assert response.status_code in (200, 404, 410), f"{path}: {response.status_code}"
            if response.status_code in (200, 410) and response.headers["content-type"].startswith("text/html"):
                nonlocal checked
                checked += 1
                left = set(unmarked_words(response.text)) - typed
                if left:
                    misses[path] = left

    post_form(client, "/login", "/login", {"email": "organiser@ish.example", "password": settings.demo_password})
    client.post("/organiser/matching/runs", data={"mode": "stable", "seed": "7",
                                                  "csrf_token": csrf_of(client.get("/organiser").text)})
    typed = typed_words(fresh(db))
    post_form(client, "/organiser", "/language", {"language": i18n.PSEUDO})
    run = fresh(db).exec(select(MatchRun)).first()
    check(client, page_paths(app, "/organiser", {**ids, "run_id": run.id if run else 0}))

    for address, room in STAFF_ROOMS:
        with TestClient(app, base_url="http://testserver") as staff:
            post_form(staff, "/login", "/login", {"email": address, "password": settings.demo_password})
            post_form(staff, room, "/language", {"language": i18n.PSEUDO})
            check(staff, page_paths(app, room, ids))

    with TestClient(app, base_url="http://testserver") as applicant:
        raw = issue_token(fresh(db), TokenPurpose.APPLICANT_ACCESS, nomination.email, timedelta(days=1),
                          nomination_id=nomination.id)
        db.commit()
        post_form(applicant, f"/access/{raw}", f"/access/{raw}", {})
        post_form(applicant, "/applicant", "/language", {"language": i18n.PSEUDO})
        check(applicant, page_paths(app, "/applicant", ids))

    with TestClient(app, base_url="http://testserver") as visitor:
        post_form(visitor, "/login", "/language", {"language": i18n.PSEUDO})
        minor = fresh(db).exec(select(Nomination).where(Nomination.guardian_email != "")).first()
        links = {purpose: issue_token(fresh(db), purpose, email, timedelta(days=1), nomination_id=nomination_id)
                 for purpose, email, nomination_id in (
                     (TokenPurpose.GUARDIAN_CONSENT, minor.guardian_email, minor.id),
                     (TokenPurpose.APPLICANT_ACCESS, nomination.email, nomination.id),
                     (TokenPurpose.PASSWORD_RESET, "organiser@ish.example", None),
                     (TokenPurpose.INVITATION, "organiser@ish.example", None))}
        db.commit()
        check(visitor, ["/", "/login", "/access", "/password/forgot", "/access/not-a-link",
                        f"/consent/{links[TokenPurpose.GUARDIAN_CONSENT]}",
                        f"/access/{links[TokenPurpose.APPLICANT_ACCESS]}",
                        f"/password/reset/{links[TokenPurpose.PASSWORD_RESET]}"])

    assert checked > 40
    assert not misses, "untranslated text:\n" + "\n".join(
        f"  {path}: {' '.join(sorted(words))}" for path, words in sorted(misses.items()))


def test_the_check_finds_english_that_bypassed_translation():
    assert unmarked_words("<p>⟦Hello⟧ <b>Draft</b></p><button aria-label='Close'>⟦x⟧</button>") == \
        ["Draft", "Close"]
    assert unmarked_words("<p>⟦Status: ⟦submitted⟧⟧</p><script>var x = 'nope'</script>") == []
    assert unmarked_words("<p><span lang='de'>Deutsch</span> <code>group_name</code> ⟦x⟧<br>Left</p>") == ["Left"]


def scheduled_mailing(db) -> dict:
    """The demo's message to a group that waits for its time: its page, its batch's and the
    confirmation of cancelling it."""
    from ish_portal.mailings.models import Mailing
    mailing = db.exec(select(Mailing).where(Mailing.scheduled_at.is_not(None))).one()
    return {"mailing_id": mailing.id, "batch": mailing.batch, "action": "cancel"}
