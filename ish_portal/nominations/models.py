"""A candidate nominated by a sending organisation, from draft to accepted place, with everything
the candidate, the coordinator and the organisers add along the way."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Index, LargeBinary, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from ish_portal.text.names import addressed_name, written_name
from ish_portal.db import UTCDateTime, utcnow


class NominationStatus(StrEnum):
    DRAFT = "draft"            # the coordinator is still preparing it; takes no place
    SUBMITTED = "submitted"    # complete and sent to Heidelberg; takes one place
    APPROVED = "approved"      # reviewed and interviewed: eligible for a lab placement
    REJECTED = "rejected"      # not eligible, or did not pass the interview
    OFFERED = "offered"        # a lab place is offered and awaits the applicant's answer
    ACCEPTED = "accepted"      # the applicant accepted the offer
    DECLINED = "declined"      # the applicant declined the offer
    EXPIRED = "expired"        # the offer was not answered in time
    WITHDRAWN = "withdrawn"    # withdrawn by the coordinator or the applicant; the place is free


S = NominationStatus

# The only moves a nomination's status can make; nominations.service.change_status is the one door.
ALLOWED_TRANSITIONS: dict[NominationStatus, frozenset[NominationStatus]] = {
    S.DRAFT: frozenset({S.SUBMITTED, S.WITHDRAWN}),
    S.SUBMITTED: frozenset({S.APPROVED, S.REJECTED, S.WITHDRAWN}),
    S.APPROVED: frozenset({S.OFFERED, S.REJECTED, S.WITHDRAWN}),
    S.REJECTED: frozenset({S.APPROVED, S.WITHDRAWN}),
    # An offer can be taken back (re-matching moved the student) which returns them to the waitlist.
    S.OFFERED: frozenset({S.ACCEPTED, S.DECLINED, S.EXPIRED, S.APPROVED, S.WITHDRAWN}),
    S.ACCEPTED: frozenset({S.WITHDRAWN}),
    S.DECLINED: frozenset(),
    S.EXPIRED: frozenset({S.APPROVED}),
    S.WITHDRAWN: frozenset(),
}

# Statuses that occupy one of the sending organisation's places. A withdrawn candidate, or one
# Heidelberg did not accept, leaves the place free for a replacement; once offers are out, the
# place stays used (a freed lab seat goes to Heidelberg's waitlist instead).
TAKES_A_PLACE = frozenset({S.SUBMITTED, S.APPROVED, S.OFFERED, S.ACCEPTED, S.DECLINED, S.EXPIRED})


class Nomination(SQLModel, table=True):
    # The review list's count of an edition's nominations not in draft reads this index alone.
    __table_args__ = (Index("ix_nomination_edition_id_status", "edition_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    status: str = Field(default=NominationStatus.DRAFT, max_length=20, index=True)

    # Entered by the coordinator.
    given_name: str = Field(max_length=100)
    family_name: str = Field(max_length=100)
    # Which part comes first when the name is written (see text/names.py); confirmed by the coordinator.
    name_order: str = Field(default="given_first", max_length=12, sa_column_kwargs={"server_default": "given_first"})
    passport_name: str = Field(default="", max_length=200)  # as in the passport, Latin script
    date_of_birth: date | None = None
    email: str = Field(max_length=254, index=True)  # stored lower-case
    phone: str = Field(default="", max_length=40)
    nationality: str = Field(default="", max_length=2)  # ISO 3166-1 alpha-2
    school: str = Field(default="", max_length=200)
    school_leaving_year: int | None = None
    subjects: list[str] = Field(default_factory=list, sa_type=JSON)
    english_level: str = Field(default="", max_length=2)  # CEFR A1..C2
    german_level: str = Field(default="", max_length=4)   # CEFR or "none"
    statement: str = Field(default="", max_length=4000)
    guardian_name: str = Field(default="", max_length=200)
    guardian_email: str = Field(default="", max_length=254)
    guardian_language: str = Field(default="en", max_length=5,  # of the guardian's emails
                                   sa_column_kwargs={"server_default": "en"})

    # Asked by the coordinator, changed by the applicant: the language of the candidate's emails.
    language: str = Field(default="en", max_length=5)

    # Completed by the applicant.
    working_languages: list[str] = Field(default_factory=lambda: ["en"], sa_type=JSON)
    emergency_contact_name: str = Field(default="", max_length=200)
    emergency_contact_phone: str = Field(default="", max_length=40)
    dietary_needs: str = Field(default="", max_length=1000)
    # What the applicant lets the hosts of their lab see: the CV among the candidates, the
    # dietary needs on the roster. And the day they arrive in Heidelberg.
    cv_for_hosts: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    dietary_for_hosts: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    arrival_on: date | None = None
    medical_notes: str = Field(default="", max_length=2000)  # sensitive
    passport_number: str = Field(default="", max_length=40)  # sensitive
    passport_expiry: date | None = None                      # sensitive
    applicant_consent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    guardian_consent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    guardian_consent_name: str = Field(default="", max_length=200)
    # The three fields above mirror the current consent records (nominations/consent.py keeps them
    # in step); this one is set while a consent is withdrawn, which holds the nomination where it is.
    consent_withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    deletion_requested_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    # Decided by the organisers.
    eligibility_reason: str = Field(default="", max_length=1000)
    review_score: int | None = Field(default=None, index=True)  # higher = earlier in matching

    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def display_name(self) -> str:
        """The full name as the person writes it: 'Noémie Laurent', '中村陽翔'."""
        return written_name(self.given_name, self.family_name, self.name_order)

    @property
    def addressed_name(self) -> str:
        """What an email or letter to the candidate opens with: 'Noémie', '中村陽翔'."""
        return addressed_name(self.given_name, self.family_name, self.name_order)

    def age_on(self, day: date) -> int | None:
        if self.date_of_birth is None:
            return None
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class Document(SQLModel, table=True):
    """An uploaded file's description; the bytes live in DocumentBlob so listings stay light and
    every app process reads the same files from the database."""

    id: int | None = Field(default=None, primary_key=True)
    nomination_id: int = Field(foreign_key="nomination.id", index=True)
    kind: str = Field(max_length=30)
    original_filename: str = Field(max_length=255)  # shown, never used as a path
    content_type: str = Field(max_length=50)
    size_bytes: int
    sha256: str = Field(max_length=64)
    uploaded_by: str = Field(default="", max_length=254)
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DocumentBlob(SQLModel, table=True):
    __tablename__ = "document_blob"

    document_id: int = Field(foreign_key="document.id", primary_key=True)
    data: bytes = Field(sa_type=LargeBinary)


class Interview(SQLModel, table=True):
    """Heidelberg's English interview by phone with every nominee."""

    id: int | None = Field(default=None, primary_key=True)
    nomination_id: int = Field(foreign_key="nomination.id", index=True)
    scheduled_at: datetime = Field(sa_type=UTCDateTime)
    interviewer: str = Field(default="", max_length=200)
    notes: str = Field(default="", max_length=4000)
    outcome: str = Field(default="pending", max_length=20)  # pending, passed, failed
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LabPreference(SQLModel, table=True):
    """The applicant's ranking of labs; rank 1 is the first choice."""

    __tablename__ = "lab_preference"
    __table_args__ = (UniqueConstraint("nomination_id", "lab_id"),
                      UniqueConstraint("nomination_id", "rank"))

    id: int | None = Field(default=None, primary_key=True)
    nomination_id: int = Field(foreign_key="nomination.id", index=True)
    lab_id: int = Field(foreign_key="lab.id", index=True)
    rank: int = Field(ge=1)


class ConsentKind(StrEnum):
    APPLICANT = "applicant"  # the applicant's own consent to the processing of their data
    GUARDIAN = "guardian"    # a parent's or guardian's consent for a minor


class ConsentMethod(StrEnum):
    ONLINE = "online"  # given on the portal: the applicant's page, or the guardian's personal link
    PAPER = "paper"    # signed on paper; an organiser uploaded the scan on the guardian's behalf


class ConsentText(SQLModel, table=True):
    """One version of a consent text in one language, exactly as it is shown: its paragraphs (with
    the %(name)s-style placeholders the page fills in) and the sentence agreed to. Identified by
    the SHA-256 of kind, language and text, so a record names the very words it was given for."""

    __tablename__ = "consent_text"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, unique=True, index=True)
    kind: str = Field(max_length=20)
    language: str = Field(max_length=5)
    body: str  # paragraphs separated by a blank line
    statement: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ConsentRecord(SQLModel, table=True):
    """One consent as it was given: who (the name typed), for whom, which text, how, when and from
    which address; and, when it is withdrawn, when and from where. A new consent is a new record."""

    __tablename__ = "consent_record"

    id: int | None = Field(default=None, primary_key=True)
    nomination_id: int = Field(foreign_key="nomination.id", index=True)
    kind: str = Field(max_length=20)
    given_by: str = Field(max_length=200)
    text_id: int = Field(foreign_key="consent_text.id")
    method: str = Field(default=ConsentMethod.ONLINE, max_length=10)
    # The guardian's personal link it was given through: the same link can later withdraw it.
    token_id: int | None = Field(default=None, foreign_key="access_token.id")
    # Paper consent: the organiser who entered it and the scan of the signed form.
    acting_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    # Deleting the scan (erasure, retention) keeps the record: the reference empties itself.
    document_id: int | None = Field(default=None, foreign_key="document.id", ondelete="SET NULL")
    given_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    address: str = Field(default="", max_length=64)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawn_address: str = Field(default="", max_length=64)
