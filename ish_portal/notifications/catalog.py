"""Every kind of message the portal sends: what it is for, who receives it, the placeholders its
text may use, and how those placeholders are computed from the facts of what happened.

The outbox knows nothing of nominations or offers. Each area declares its own kinds in its
messages.py and registers them here (define()); a caller then says only what happened and to whom
(enqueue(kind, reader, facts={"offer": 7})), and the kind's `context` computes every placeholder
inside the reader's language and time zone. The editor offers exactly the declared placeholders and
refuses any other, and a test holds every template file to them, so a wording change can never
leave a blank or a stray name.

A kind may also say what releasing or discarding one of its drafts sets in motion (releasing an
offer's email starts the offer's response time; discarding it withdraws the offer), so the draft
screens, which are generic, carry their consequences without knowing them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session

from ish_portal.text import timefmt
from ish_portal.text.i18n import N_, gettext as _


# An example value: text, a day, or a moment (an aware datetime).
Example = str | date | datetime


@dataclass(frozen=True)
class Reader:
    """Who reads a message: their address, name, language and time zone (None: Heidelberg's)."""

    email: str
    name: str
    language: str = "en"
    zone: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"email": self.email, "name": self.name, "language": self.language, "zone": self.zone}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Reader":
        return cls(data["email"], data.get("name", ""), data.get("language", "en"), data.get("zone"))


@dataclass
class Occasion:
    """What one message is about: the facts the caller gave (ids and plain words the caller
    itself was given, such as a reason), the reader, and where the portal is. A preview carries
    preview=True, and then no real personal link is issued."""

    session: Session
    facts: dict[str, Any]
    reader: Reader
    base_url: str
    preview: bool = False

    def link(self, path: str) -> str:
        return f"{self.base_url}{path}"


Context = Callable[[Occasion], dict[str, str]]
# (session, the message's facts, who acts); runs in the transaction that releases or discards. On
# release it may return False: what the draft was for has gone (an offer withdrawn meanwhile), and
# the draft is dropped rather than sent.
DraftConsequence = Callable[[Session, dict[str, Any], Any], bool | None]
# (session, the message's facts, its language) -> (subject, body) with the kind's placeholders: the
# wording of a message whose words are not the kind's own but come with its facts (an organiser's
# message to a group, written once per language); None: the usual wording.
OwnWording = Callable[[Session, dict[str, Any], str], tuple[str, str] | None]


@dataclass(frozen=True)
class Kind:
    name: str
    title: str    # in English, as written (N_); shown through gettext in the reader's language
    purpose: str  # likewise
    recipient: str
    # placeholder -> what it holds, and an example value for previews without data (a day or a
    # moment is written as the reader of the preview reads dates: see example_context()).
    placeholders: dict[str, tuple[str, Example]]
    context: Context
    # Letters attached as PDF, rendered when the message is sent (see LETTERS).
    letters: tuple[str, ...] = ()
    when_released: DraftConsequence | None = None
    when_discarded: DraftConsequence | None = None
    # What discarding a draft of this kind does, said to the organiser before they confirm.
    discard_warning: Callable[[Session, dict[str, Any]], str] | None = None
    wording: OwnWording | None = None

    @property
    def names(self) -> list[str]:
        return list(self.placeholders)

    def example_context(self) -> dict[str, str]:
        """The example values, days and moments written in the current reader's language and zone
        (call it inside timefmt.reading()), as a message's real facts are."""
        return {name: _example_text(example) for name, (_, example) in self.placeholders.items()}


def _example_text(example: Example) -> str:
    if isinstance(example, datetime):
        return timefmt.format_datetime(example)
    if isinstance(example, date):
        return timefmt.format_date(example)
    return example


# Shared descriptions, so the same placeholder reads the same everywhere.
PLACEHOLDERS: dict[str, tuple[str, Example]] = {
    "name": (N_("the recipient's name (an applicant's given name, a staff member's full name)"), "Haruto"),
    "candidate": (N_("the candidate's full name"), "Haruto Nakamura"),
    "guardian": (N_("the parent's or guardian's name"), "Yui Nakamura"),
    "organisation": (N_("the sending organisation"), "City of Kumamoto"),
    "edition": (N_("the edition's title"), "ISH 2027"),
    "starts_on": (N_("the first day of the programme"), date(2027, 7, 12)),
    "ends_on": (N_("the last day of the programme"), date(2027, 8, 7)),
    "lab": (N_("the lab: group and institute"), "Structural Biology, EMBL"),
    "subject_area": (N_("the lab's subject area"), "Biology"),
    "link": (N_("a personal web address that opens the right page (it works once)"),
             "https://ish.example/access/EXAMPLE"),
    "days": (N_("how many days the link stays valid"), "14"),
    "hours": (N_("how many hours the link stays valid"), "2"),
    "deadline": (N_("a deadline, in the reader's time zone"), datetime(2027, 3, 15, 22, 59, tzinfo=UTC)),
    "reason": (N_("the reason given (may be empty)"), "Illness in the family"),
}

KINDS: dict[str, Kind] = {}
TEMPLATE_GLOBALS = frozenset({"_", "format_date", "format_datetime"})


def define(name: str, title: str, purpose: str, recipient: str, placeholders: list[str], context: Context, *,
           own: dict[str, tuple[str, Example]] | None = None, letters: tuple[str, ...] = (),
           when_released: DraftConsequence | None = None, when_discarded: DraftConsequence | None = None,
           discard_warning: Callable[[Session, dict[str, Any]], str] | None = None,
           wording: OwnWording | None = None) -> Kind:
    """Registers a kind; `own` describes placeholders not in PLACEHOLDERS or worded differently;
    `wording` gives the words of a kind whose every message brings its own (see OwnWording)."""
    chosen = {p: (own or {}).get(p) or PLACEHOLDERS[p] for p in placeholders}
    kind = Kind(name, title, purpose, recipient, chosen, context, letters, when_released, when_discarded,
                discard_warning, wording)
    KINDS[name] = kind
    return kind


def kind(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"unknown message kind {name!r}") from None


APPLICANT = "applicant"
COORDINATOR = "coordinator"
GUARDIAN = "guardian"
STAFF = "staff"
HOST = "host"
ANYONE = "anyone"  # whoever an organiser writes to: candidates, guardians, coordinators, hosts, panel


def kind_title(name: str) -> str:
    """A kind of message by its title, in the reader's language."""
    return _(KINDS[name].title) if name in KINDS else name


def recipient_word(recipient: str) -> str:
    """Who receives a kind of message, in the reader's language."""
    return {APPLICANT: _("applicant"), COORDINATOR: _("coordinator"), GUARDIAN: _("parent or guardian"),
            STAFF: _("organiser or coordinator"), HOST: _("lab host"),
            ANYONE: _("whoever the organisers write to")}.get(recipient, recipient)


# -- letters: attached to messages, rendered when the message is sent -----------------------------

@dataclass(frozen=True)
class Letter:
    name: str
    # (session, facts) -> why the letter cannot be made for these facts, or None when it can.
    problem: Callable[[Session, dict[str, Any]], str | None]
    # (session, facts) -> (file name, PDF bytes)
    render: Callable[[Session, dict[str, Any]], tuple[str, bytes]]
    # (session, facts) -> the file name, known before the letter is rendered
    filename: Callable[[Session, dict[str, Any]], str]


LETTERS: dict[str, Letter] = {}


def define_letter(name: str, problem, render, filename) -> Letter:
    LETTERS[name] = Letter(name, problem, render, filename)
    return LETTERS[name]


# -- whose data a preview may use -----------------------------------------------------------------

@dataclass
class PreviewSource:
    """Real people of an edition whose facts a preview can show: (key, facts, label, reader)."""

    subjects: Callable[[Session, int], list[tuple[str, dict[str, Any], str, Reader]]] = field(
        default=lambda s, e: [])


PREVIEWS = PreviewSource()
