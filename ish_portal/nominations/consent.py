"""Consents as records: the applicant's own and a minor's guardian's. Each consent names who gave
it (the name typed), for whom, the exact text shown (kept in consent_text under its SHA-256), how
(online, or on paper entered by an organiser), when and from which address; it can be withdrawn,
which holds the nomination where it is (no offer can be accepted, matching leaves it out) and
tells the coordinators; and when the text changes, whoever consented to an older version is asked
again.

The texts are written here, in English, and translated like every other text: the version a
person saw is the text in their language, so a changed translation asks its readers again too.
Nomination.applicant_consent_at, guardian_consent_at and guardian_consent_name mirror the current
records, so lists and exports read them without a join; consent_withdrawn_at is set while a
consent is withdrawn. Every change goes through give() or withdraw(), which keep them in step."""

from __future__ import annotations

import hashlib
from typing import BinaryIO
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from ish_portal.audit.service import Actor, record
from ish_portal.db import transaction, utcnow
from ish_portal.errors import DomainError
from ish_portal.nominations.models import (
    ConsentKind,
    ConsentMethod,
    ConsentRecord,
    ConsentText,
    Document,
    DocumentBlob,
    Nomination,
)
from ish_portal.nominations.service import is_minor, read_upload, refuse_when_closed, safe_filename
from ish_portal.programme.models import DocumentKind, Edition
from ish_portal.text.i18n import N_, current_language, gettext as _, language

K = ConsentKind

# The words of each consent: paragraphs to read and the sentence agreed to. Changing any of them
# (or its translation) makes a new version, and everybody who agreed to the old one is asked again.
WORDS: dict[str, tuple[list[str], str]] = {
    K.APPLICANT: ([], N_("I agree that the City of Heidelberg processes my personal data to run the admissions "
                         "and the programme, as described in its privacy notice.")),
    K.GUARDIAN: ([
        N_("%(name)s has been nominated for the International Summer Science School Heidelberg (%(edition)s), "
           "from %(start)s to %(end)s."),
        N_("During these four weeks the participants work in research labs in Heidelberg, usually in small "
           "international teams with a tutor, and take part in a cultural programme with excursions. They live "
           "in Heidelberg for the whole time."),
        N_("The City of Heidelberg processes the personal data given in the nomination to run the admissions "
           "and the programme, and deletes it after the period stated in its privacy notice."),
    ], N_("As parent or legal guardian of %(name)s, I agree that they take part in the programme and that their "
          "data is processed for it.")),
}


def text_hash(kind: str, language_code: str, body: str, statement: str) -> str:
    """The version's identity. The migration that moved the old consents here computes it the same way."""
    return hashlib.sha256(f"{kind}\n{language_code}\n{body}\n\n{statement}".encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Text:
    """A consent text as shown: the paragraphs and the statement still hold their placeholders."""

    kind: str
    language: str
    body: str
    statement: str

    @property
    def sha256(self) -> str:
        return text_hash(self.kind, self.language, self.body, self.statement)

    def paragraphs(self, values: dict[str, str]) -> list[str]:
        return [paragraph % values for paragraph in self.body.split("\n\n") if paragraph]

    def agreement(self, values: dict[str, str]) -> str:
        return self.statement % values if "%(" in self.statement else self.statement


def current_text(kind: str, language_code: str | None = None) -> Text:
    """The consent text as it stands now, in a language (by default the current one)."""
    code = language_code or current_language()
    paragraphs, statement = WORDS[kind]
    with language(code):
        return Text(kind, code, "\n\n".join(_(p) for p in paragraphs), _(statement))


def stored(text: ConsentText) -> Text:
    return Text(text.kind, text.language, text.body, text.statement)


def page_values(nomination: Nomination, edition: Edition) -> dict[str, str]:
    from ish_portal.text.timefmt import format_date
    return {"name": nomination.display_name, "edition": edition.title,
            "start": format_date(edition.starts_on), "end": format_date(edition.ends_on)}


def _keep(session: Session, text: Text) -> ConsentText:
    """The text's row, added the first time anybody consents to this version. Two first consents
    at once both insert; ON CONFLICT lets the second find the first's row."""
    dialect = session.get_bind().dialect.name
    values = {"sha256": text.sha256, "kind": text.kind, "language": text.language, "body": text.body,
              "statement": text.statement, "created_at": utcnow()}
    if dialect in ("postgresql", "sqlite"):
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(insert(ConsentText).values(**values).on_conflict_do_nothing(index_elements=["sha256"]))
    elif session.exec(select(ConsentText).where(ConsentText.sha256 == text.sha256)).first() is None:
        session.add(ConsentText(**values))
        session.flush()
    return session.exec(select(ConsentText).where(ConsentText.sha256 == text.sha256)).one()


# -- where a nomination's consents stand ---------------------------------------------------------

class State(StrEnum):
    NOT_NEEDED = "not_needed"  # a guardian's consent for an adult
    MISSING = "missing"
    GIVEN = "given"
    OUTDATED = "outdated"      # given to an older version of the text: needed again
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Standing:
    kind: str
    state: State
    record: ConsentRecord | None = None
    text: ConsentText | None = None

    @property
    def needed(self) -> bool:
        return self.state in (State.MISSING, State.OUTDATED, State.WITHDRAWN)


def latest(session: Session, nomination_id: int, kind: str) -> tuple[ConsentRecord, ConsentText] | None:
    return _newest_of_each(session, nomination_id, [kind]).get(kind)


def _newest_of_each(session: Session, nomination_id: int,
                    kinds: list[str]) -> dict[str, tuple[ConsentRecord, ConsentText]]:
    """The newest record of each kind asked for, with its text, in one query: a nomination holds a
    handful of records at most (given, withdrawn, given again)."""
    newest: dict[str, tuple[ConsentRecord, ConsentText]] = {}
    for record_, text in session.exec(_NEWEST_FIRST, params={"nomination_id": nomination_id, "kinds": kinds}):
        newest.setdefault(record_.kind, (record_, text))
    return newest


# Built once, as the other statements of the applicant's status page are (docs/performance.md).
_NEWEST_FIRST = (select(ConsentRecord, ConsentText).join(ConsentText, ConsentText.id == ConsentRecord.text_id)
                 .where(ConsentRecord.nomination_id == bindparam("nomination_id"),
                        ConsentRecord.kind.in_(bindparam("kinds", expanding=True)))
                 .order_by(ConsentRecord.given_at.desc(), ConsentRecord.id.desc())
                 .execution_options(populate_existing=True))


def standing(session: Session, nomination: Nomination, kind: str, edition: Edition | None = None) -> Standing:
    return standings(session, nomination, edition, kinds=(kind,))[kind]


def standings(session: Session, nomination: Nomination, edition: Edition | None = None,
              kinds: tuple[str, ...] = (K.APPLICANT, K.GUARDIAN)) -> dict[str, Standing]:
    """Where each kind of consent stands; a guardian's is not needed once the candidate is of age."""
    if K.GUARDIAN in kinds:
        edition = edition or session.get(Edition, nomination.edition_id)
    needed = [kind for kind in kinds if kind != K.GUARDIAN or is_minor(nomination, edition)]
    newest = _newest_of_each(session, nomination.id, needed) if needed else {}
    return {kind: _standing_of(kind, newest.get(kind)) if kind in needed else Standing(kind, State.NOT_NEEDED)
            for kind in kinds}


def _standing_of(kind: str, found: tuple[ConsentRecord, ConsentText] | None) -> Standing:
    if found is None:
        return Standing(kind, State.MISSING)
    consent, text = found
    if consent.withdrawn_at is not None:
        return Standing(kind, State.WITHDRAWN, consent, text)
    if current_text(kind, text.language).sha256 != text.sha256:
        return Standing(kind, State.OUTDATED, consent, text)
    return Standing(kind, State.GIVEN, consent, text)


def state_label(state: str) -> str:
    return {State.NOT_NEEDED: _("not needed"), State.MISSING: _("not given"), State.GIVEN: _("given"),
            State.OUTDATED: _("consent needed again"), State.WITHDRAWN: _("withdrawn")}[State(state)]


def method_label(method: str) -> str:
    return _("on paper, entered by an organiser") if method == ConsentMethod.PAPER else _("online")


def records_of(session: Session, nomination_id: int) -> list[tuple[ConsentRecord, ConsentText]]:
    return list(session.exec(select(ConsentRecord, ConsentText).join(ConsentText, ConsentText.id == ConsentRecord.text_id)
                             .where(ConsentRecord.nomination_id == nomination_id)
                             .order_by(ConsentRecord.given_at, ConsentRecord.id)).all())


# -- the two doors: giving and withdrawing ---------------------------------------------------------

def _mirror(session: Session, nomination: Nomination) -> None:
    """Nomination's consent fields from the current records (the caller holds the transaction)."""
    withdrawn_at: datetime | None = None
    for kind in (K.APPLICANT, K.GUARDIAN):
        found = latest(session, nomination.id, kind)
        consent = found[0] if found else None
        active = consent is not None and consent.withdrawn_at is None
        if kind == K.APPLICANT:
            nomination.applicant_consent_at = consent.given_at if active else None
        else:
            nomination.guardian_consent_at = consent.given_at if active else None
            nomination.guardian_consent_name = consent.given_by if active else ""
        if consent is not None and consent.withdrawn_at is not None:
            withdrawn_at = max(withdrawn_at or consent.withdrawn_at, consent.withdrawn_at)
    nomination.consent_withdrawn_at = withdrawn_at
    session.add(nomination)


def give(session: Session, nomination: Nomination, kind: str, given_by: str, shown: str, actor: Actor, *,
         address: str = "", method: str = ConsentMethod.ONLINE, language_code: str | None = None,
         token_id: int | None = None, acting_user_id: int | None = None,
         document_id: int | None = None) -> ConsentRecord:
    """Records a consent to the text whose hash `shown` is, which must be the current version in
    the language it was shown in (a page opened before the text changed is refused, so nobody
    is recorded for words they did not see). The caller holds the transaction."""
    given_by = given_by.strip()[:200]
    if not given_by:
        raise DomainError(_("Enter your full name as your signature."))
    text = current_text(kind, language_code)
    if shown != text.sha256:
        raise DomainError(_("The consent text has changed since the page was opened. Please read it again."))
    session.flush()
    consent = ConsentRecord(nomination_id=nomination.id, kind=kind, given_by=given_by, text_id=_keep(session, text).id,
                            method=method, token_id=token_id, acting_user_id=acting_user_id,
                            document_id=document_id, given_at=utcnow(), address=address[:64])
    session.add(consent)
    session.flush()
    _mirror(session, nomination)
    action = {K.APPLICANT: "applicant_consented", K.GUARDIAN: "guardian_consented"}[K(kind)]
    if method == ConsentMethod.PAPER:
        action = "guardian_consented_on_paper"
    record(session, actor, action, "nomination", nomination.id,
           changes={"by": given_by, "text": text.sha256[:12], "language": text.language, "method": method,
                    "address": address[:64]},
           edition_id=nomination.edition_id, organisation_id=nomination.organisation_id, nomination_id=nomination.id)
    return consent


def withdraw(session: Session, nomination: Nomination, kind: str, actor: Actor, *, address: str = "") -> ConsentRecord:
    """Withdraws the current consent of a kind. The nomination stays where it is: it cannot move
    on (no offer is accepted, matching leaves it out) until consent is given again. The
    coordinators are told; organisers see it on the dashboard, the review pages and the audit log.
    The caller holds the transaction."""
    from ish_portal.nominations.messages import tell_coordinators
    found = latest(session, nomination.id, kind)
    if found is None or found[0].withdrawn_at is not None:
        raise DomainError(_("There is no consent to withdraw."))
    consent = found[0]
    consent.withdrawn_at = utcnow()
    consent.withdrawn_address = address[:64]
    session.add(consent)
    session.flush()
    _mirror(session, nomination)
    record(session, actor, "consent_withdrawn", "nomination", nomination.id,
           changes={"consent": kind, "by": consent.given_by, "address": address[:64]},
           edition_id=nomination.edition_id, organisation_id=nomination.organisation_id, nomination_id=nomination.id)
    tell_coordinators(session, "consent_withdrawn", nomination, {"nomination": nomination.id, "consent": kind})
    return consent


def give_paper_consent(session: Session, organiser, nomination_id: int, guardian_name: str,
                       filename: str, stream: BinaryIO, address: str) -> Nomination:
    """A guardian's consent signed on paper: an organiser uploads the scan and records it on the
    guardian's behalf, as acting for them. The text recorded is the current guardian's text in the
    guardian's language (the form the portal prints)."""
    nomination = session.get(Nomination, nomination_id)
    if nomination is None:
        raise DomainError(_("This nomination does not exist."))
    edition = session.get(Edition, nomination.edition_id)
    refuse_when_closed(edition)
    if not guardian_name.strip():
        raise DomainError(_("Enter the name the guardian signed with."))
    data, content_type = read_upload(stream, edition.upload_limit_mb * 1024 * 1024)
    actor = Actor.of_user(organiser)
    with transaction(session):
        nomination = session.exec(select(Nomination).where(Nomination.id == nomination_id)
                                  .execution_options(populate_existing=True)).one()
        document = Document(nomination_id=nomination.id, kind=DocumentKind.GUARDIAN_CONSENT,
                            original_filename=safe_filename(filename), content_type=content_type,
                            size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), uploaded_by=actor.label)
        session.add(document)
        session.flush()
        session.add(DocumentBlob(document_id=document.id, data=data))
        text = current_text(K.GUARDIAN, nomination.guardian_language)
        give(session, nomination, K.GUARDIAN, guardian_name, text.sha256, actor, address=address,
             method=ConsentMethod.PAPER, language_code=text.language, acting_user_id=organiser.id,
             document_id=document.id)
    return nomination


def given_earlier(session: Session, nomination: Nomination, kind: str, given_by: str, at: datetime,
                  language_code: str = "en") -> ConsentRecord:
    """A consent given at `at` to the current text, for demo data (no address: nobody was there).
    The caller holds the transaction."""
    session.flush()
    consent = ConsentRecord(nomination_id=nomination.id, kind=kind, given_by=given_by[:200],
                            text_id=_keep(session, current_text(kind, language_code)).id, given_at=at)
    session.add(consent)
    session.flush()
    _mirror(session, nomination)
    return consent


def missing(session: Session, nomination: Nomination, found: dict[str, Standing] | None = None) -> list[str]:
    """The consents still needed before the applicant may accept a place, in their words (from
    `found` when the caller has the standings already)."""
    found = found or standings(session, nomination)
    words = []
    if found[K.APPLICANT].needed:
        words.append(_("your own consent to the processing of your data"))
    if found[K.GUARDIAN].needed:
        words.append(_("your parent's or guardian's consent"))
    return words
