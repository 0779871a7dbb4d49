"""Lists the organisers take out of the portal, as CSV or Excel: nominations, placements, a roster
per lab for its tutor, and contact lists. Each list is one SELECT with the joins it needs (plus a
small one for the coordinators of the contact list), never one query per row. The file is made
while it is sent: rows are read from the database a batch at a time and each batch is written
out before the next is read, so the first bytes leave at once and memory stays flat however long
the list. Sensitive columns (medical notes, passport number and expiry) are included only when
the organiser asks for them, and every export is recorded in the audit log."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, and_, func
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, select

from ish_portal.accounts.models import Role, User
from ish_portal.audit.service import Actor, record, saw_sensitive_in_export
from ish_portal.db import transaction, utcnow
from ish_portal.labs.models import Lab
from ish_portal.nominations.forms import countries
from ish_portal.nominations.models import Nomination, NominationStatus
from ish_portal.nominations.review import completeness_expression
from ish_portal.nominations.service import status_label
from ish_portal.placement.models import Offer, OfferStatus
from ish_portal.placement.offers import status_word as offer_status_word
from ish_portal.programme.models import Edition, Organisation
from ish_portal.reports import xlsx
from ish_portal.text import timefmt
from ish_portal.text.vocabulary import subject_label
from ish_portal.text.i18n import current_language, gettext as _, pgettext

S = NominationStatus
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
PLACED = [S.OFFERED.value, S.ACCEPTED.value]
# A spreadsheet treats a cell beginning with one of these as a formula (tab and carriage return
# too, in some programs): such text gets a leading apostrophe so it stays text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset("".join(FORMULA_STARTS))
# Rows fetched from the database at a time (through a server-side cursor on PostgreSQL): enough
# to keep round trips few, few enough that memory does not depend on the length of the list.
ROWS_PER_FETCH = 1000


class ExportError(Exception):
    """A list that cannot be made, with a message for the organiser and the field it is about."""

    def __init__(self, message: str, field: str = "list") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Listing:
    """A list, not yet read: its query, and how one row of the query becomes one row of cells."""
    title: str
    filename: str  # without extension; ASCII only, so it travels in any Content-Disposition
    headers: list[str]
    query: Select
    shape: Callable[[Sequence[Any]], list[Any]]

    def count(self) -> Select:
        """The number of rows of the list: its joins and conditions without its columns, so that
        the database does not work out what it will not send (every query names its select_from)."""
        return self.query.with_only_columns(func.count()).order_by(None)


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _sensitive_headers() -> list[str]:
    return [_("Medical notes"), _("Passport number"), _("Passport valid until")]


def _sensitive_columns() -> list:
    return [Nomination.medical_notes, Nomination.passport_number, Nomination.passport_expiry]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "list"


def _name(edition: Edition, what: str) -> str:
    return f"ish-{edition.year}-{what}-{utcnow():%Y%m%d}"


def _words() -> tuple[dict[str, str], dict[str, str]]:
    """Country names and status labels in the organiser's language, looked up once per list
    rather than once per row (the rows may be made after the request's language is gone)."""
    return dict(countries(current_language())), {status.value: status_label(status) for status in S}


class _SubjectWords(dict):
    """Subject areas in the organiser's language, for one list: the text the database joined
    ("Biology, Physics") looked up, and worked out the first time it is seen. A list holds few
    different ones, so a row costs one lookup."""

    def __missing__(self, joined: str) -> str:
        worded = self[joined] = ", ".join(subject_label(subject) for subject in joined.split(", ")) if joined else ""
        return worded


class joined_texts(FunctionElement):
    """A JSON list of texts as one text, its items in their order joined by ", " ('' for an empty
    list or none), worked out by the database: decoding the JSON of every row in Python, only to
    join it again, took a sixth of a CSV export's time."""
    type = String()
    inherit_cache = True
    name = "joined_texts"


@compiles(joined_texts, "sqlite")
def _joined_texts_sqlite(element, compiler, **kw):
    column = compiler.process(list(element.clauses)[0], **kw)
    return (f"coalesce((SELECT group_concat(item.value, ', ') FROM (SELECT value FROM json_each({column}) "
            f"WHERE type = 'text' ORDER BY key) AS item), '')")


@compiles(joined_texts, "postgresql")
def _joined_texts_postgresql(element, compiler, **kw):
    column = compiler.process(list(element.clauses)[0], **kw)
    return (f"CASE WHEN json_typeof({column}) = 'array' THEN array_to_string(ARRAY(SELECT item.value "
            f"FROM json_array_elements_text({column}) WITH ORDINALITY AS item(value, position) "
            f"ORDER BY item.position), ', ') ELSE '' END")


# -- the lists ----------------------------------------------------------------------------------

def nominations_listing(edition: Edition, sensitive: bool) -> Listing:
    names, statuses = _words()
    subjects = _SubjectWords()
    yes, no = _("yes"), _("no")
    columns = [Nomination.id, Nomination.given_name, Nomination.family_name, Nomination.passport_name,
               Nomination.email, Nomination.phone, Nomination.date_of_birth, Nomination.nationality,
               Organisation.name, Nomination.status, Nomination.submitted_at, Nomination.review_score,
               Nomination.eligibility_reason, completeness_expression(edition).label("complete"),
               Nomination.school, Nomination.school_leaving_year, joined_texts(Nomination.subjects).label("subjects"),
               Nomination.english_level, Nomination.german_level, Nomination.dietary_needs,
               Nomination.guardian_name, Nomination.guardian_email]
    if sensitive:
        columns += _sensitive_columns()
    query = (select(*columns).select_from(Nomination)
             .join(Organisation, Organisation.id == Nomination.organisation_id)
             .where(Nomination.edition_id == edition.id, Nomination.status != S.DRAFT)
             .order_by(Organisation.name, Nomination.family_name, Nomination.given_name, Nomination.id))

    def shape(r: Sequence[Any]) -> list[Any]:
        return [r[0], r[1], r[2], r[3], r[4], r[5], r[6], names.get(r[7], r[7]), r[8], statuses[r[9]], r[10],
                r[11], r[12], yes if r[13] else no, r[14], r[15], subjects[r[16]], *r[17:]]

    headers = [_("ID"), _("Given name"), _("Family name"), _("Name as in the passport"), _("Email"), _("Phone"),
               _("Date of birth"), _("Nationality"), _("Organisation"), _("Status"), _("Submitted at (Heidelberg time)"),
               _("Review score"), _("Eligibility reason"), _("Documents complete"), _("School"),
               _("School-leaving year"), _("Subjects of interest"), _("English level"), _("German level"),
               _("Dietary needs"), _("Guardian's name"), _("Guardian's email")]
    return Listing(_("Nominations"), _name(edition, "nominations"),
                   headers + (_sensitive_headers() if sensitive else []), query, shape)


def _latest_offers():
    """Each nomination's newest offer that was actually made (a proposed waitlist offer has not
    been sent yet), as a subquery of (offer_id, nomination_id)."""
    ranked = (select(Offer.id.label("offer_id"), Offer.nomination_id.label("nomination_id"),
                     func.row_number().over(partition_by=Offer.nomination_id,
                                            order_by=(Offer.created_at.desc(), Offer.id.desc())).label("rank"))
              .where(Offer.status != OfferStatus.PROPOSED).subquery())
    return ranked


def _placement_query(edition: Edition, extra_columns: list, lab_id: int | None = None):
    latest = _latest_offers()
    query = (select(*extra_columns)
             .select_from(Nomination)
             .join(latest, and_(latest.c.nomination_id == Nomination.id, latest.c.rank == 1))
             .join(Offer, Offer.id == latest.c.offer_id)
             .join(Lab, Lab.id == Offer.lab_id)
             .join(Organisation, Organisation.id == Nomination.organisation_id)
             .where(Nomination.edition_id == edition.id, Nomination.status.in_(PLACED)))
    if lab_id is not None:
        query = query.where(Offer.lab_id == lab_id)
    return query.order_by(Lab.institute, Lab.group_name, Nomination.family_name, Nomination.given_name,
                          Nomination.id)


def placements_listing(edition: Edition, sensitive: bool) -> Listing:
    names, statuses = _words()
    subjects, offer_states = _SubjectWords(), {state.value: offer_status_word(state) for state in OfferStatus}
    columns = [Nomination.given_name, Nomination.family_name, Nomination.email, Nomination.nationality,
               Organisation.name, Nomination.status, Lab.group_name, Lab.institute, Lab.subject_area,
               Lab.tutor_name, Lab.tutor_email, Offer.status, Offer.response_deadline, Offer.responded_at,
               Nomination.dietary_needs]
    query = _placement_query(edition, columns + (_sensitive_columns() if sensitive else []))

    def shape(r: Sequence[Any]) -> list[Any]:
        return [r[0], r[1], r[2], names.get(r[3], r[3]), r[4], statuses[r[5]], r[6], r[7], subjects[r[8]], r[9],
                r[10], offer_states.get(r[11], r[11]), *r[12:]]

    headers = [_("Given name"), _("Family name"), _("Email"), _("Nationality"), _("Organisation"), _("Status"),
               _("Lab"), _("Institute"), _("Subject area"), _("Tutor"), _("Tutor's email"), _("Offer"),
               _("Answer due (Heidelberg time)"), _("Answered at (Heidelberg time)"), _("Dietary needs")]
    return Listing(_("Placements"), _name(edition, "placements"),
                   headers + (_sensitive_headers() if sensitive else []), query, shape)


def roster_listing(session: Session, edition: Edition, lab_id: int, sensitive: bool) -> Listing:
    lab = session.exec(select(Lab).where(Lab.id == lab_id, Lab.edition_id == edition.id)).first()
    if lab is None:
        raise ExportError(_("Choose a lab of this edition."))
    names, statuses = _words()
    starts_on, ends_on = edition.starts_on, edition.ends_on
    columns = [Nomination.given_name, Nomination.family_name, Nomination.nationality, Nomination.email,
               Nomination.phone, Organisation.name, Nomination.status, Nomination.dietary_needs]
    query = _placement_query(edition, columns + (_sensitive_columns() if sensitive else []), lab_id=lab.id)

    def shape(r: Sequence[Any]) -> list[Any]:
        return [r[0], r[1], names.get(r[2], r[2]), r[3], r[4], r[5], statuses[r[6]], starts_on, ends_on, *r[7:]]

    headers = [_("Given name"), _("Family name"), _("Nationality"), _("Email"), _("Phone"), _("Organisation"),
               _("Status"), pgettext("first day", "From"), pgettext("last day", "To"), _("Dietary needs")]
    return Listing(lab.group_name[:31], _name(edition, f"roster-{_slug(lab.group_name)}-{lab.id}"),
                   headers + (_sensitive_headers() if sensitive else []), query, shape)


def contacts_listing(session: Session, edition: Edition) -> Listing:
    _names, statuses = _words()
    query = (select(Nomination.given_name, Nomination.family_name, Nomination.email, Nomination.phone,
                    Organisation.name, Nomination.status, Nomination.emergency_contact_name,
                    Nomination.emergency_contact_phone, Nomination.guardian_email, Nomination.organisation_id)
             .select_from(Nomination)
             .join(Organisation, Organisation.id == Nomination.organisation_id)
             .where(Nomination.edition_id == edition.id, Nomination.status != S.DRAFT)
             .order_by(Organisation.name, Nomination.family_name, Nomination.given_name, Nomination.id))
    # A few per organisation: read once, up front.
    found: dict[int, list[str]] = {}
    for organisation_id, email in session.exec(
            select(User.organisation_id, User.email).where(User.role == Role.COORDINATOR, User.is_active == True)  # noqa: E712
            .order_by(User.email)).all():
        found.setdefault(organisation_id, []).append(email)
    coordinators = {organisation_id: "; ".join(emails) for organisation_id, emails in found.items()}

    def shape(r: Sequence[Any]) -> list[Any]:
        return [f"{r[0]} {r[1]}", r[2], r[3], r[4], statuses[r[5]], coordinators.get(r[9], ""), r[6], r[7], r[8]]

    headers = [_("Name"), _("Email"), _("Phone"), _("Organisation"), _("Status"), _("Coordinators' emails"),
               _("Emergency contact"), _("Emergency phone"), _("Guardian's email")]
    return Listing(_("Contacts"), _name(edition, "contacts"), headers, query, shape)


def list_choices(session: Session, edition: Edition) -> list[tuple[str, str]]:
    labs = session.exec(select(Lab).where(Lab.edition_id == edition.id, Lab.retired == False)  # noqa: E712
                        .order_by(Lab.institute, Lab.group_name)).all()
    return ([("nominations", _("Nominations (all submitted)")), ("placements", _("Placements (offered and accepted)")),
             ("contacts", _("Contact list"))]
            + [(f"roster:{lab.id}", _("Roster of %(lab)s", lab=lab.label)) for lab in labs])


def build(session: Session, edition: Edition, which: str, sensitive: bool) -> Listing:
    if which == "nominations":
        return nominations_listing(edition, sensitive)
    if which == "placements":
        return placements_listing(edition, sensitive)
    if which == "contacts":
        return contacts_listing(session, edition)
    if which.startswith("roster:") and which[7:].isdigit():
        return roster_listing(session, edition, int(which[7:]), sensitive)
    raise ExportError(_("Choose a list."))


# -- reading ------------------------------------------------------------------------------------

def snapshot(session: Session) -> Connection:
    """A connection of the export's own, in one read-only transaction that sees one state of the
    database from its first query to its last: the row count in the audit event and the rows in
    the file agree even while others write. It outlives the request's session, which may be
    closed before the last byte of the file is sent."""
    engine = session.get_bind()
    connection = engine.connect()
    if engine.dialect.name == "postgresql":
        connection = connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    # SQLite (in WAL mode) keeps the snapshot of a transaction's first read, and blocks no one.
    connection.begin()
    return connection


Batch = list[list[Any]]


def batches(connection: Connection, listing: Listing) -> Iterator[Batch]:
    """The list's rows as the database gives them, a batch at a time (each batch is also one
    piece of the file: per-row work is kept to what each row needs)."""
    query = listing.query
    if connection.dialect.supports_server_side_cursors:
        # PostgreSQL's driver would otherwise receive the whole result before the first row.
        # SQLite's cursor reads the database as it is asked for rows anyway, and the buffering
        # that yield_per adds there only costs time.
        query = query.execution_options(yield_per=ROWS_PER_FETCH)
    shape = listing.shape
    for partition in connection.execute(query).partitions(ROWS_PER_FETCH):
        yield [shape(row) for row in partition]


# -- the files ----------------------------------------------------------------------------------

def _csv_row(row: Sequence[Any]) -> list[Any]:
    return _csv_rows([row])[0]


def _csv_rows(batch: Batch) -> Batch:
    """Rows as the csv module should write them: None, numbers and dates (2027-07-12) it writes as
    they are; a time in the reader's zone to the minute (2027-07-12 08:30: the first sixteen
    characters of the datetime's own text); text neutralised. One expression, no call per cell:
    this runs for every cell of the file."""
    zone = timefmt.reader_zone()
    return [[("'" + value if value and value[0] in _FORMULA_FIRST else value) if (kind := type(value)) is str
             else str(value.astimezone(zone))[:16] if kind is datetime else value
             for value in row]
            for row in batch]


def csv_chunks(headers: Sequence[str], batches: Iterable[Batch]) -> Iterator[bytes]:
    """The CSV in pieces, a piece per batch, starting with a byte-order mark so that Excel reads
    UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([neutralise(header) for header in headers])
    yield buffer.getvalue().encode("utf-8")
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(_csv_rows(batch))
        yield buffer.getvalue().encode("utf-8")


def _xlsx_row(row: Sequence[Any]) -> list[Any]:
    """As _csv_row; a time becomes the Heidelberg wall-clock time without a zone, since Excel
    knows no time zones (the headers say which)."""
    return [("'" + value if value and value[0] in _FORMULA_FIRST else value) if (kind := type(value)) is str
            else timefmt.local(value).replace(tzinfo=None, microsecond=0) if kind is datetime else value
            for value in row]


def xlsx_chunks(title: str, headers: Sequence[str], batches: Iterable[Batch]) -> Iterator[bytes]:
    return xlsx.workbook_chunks(title, [neutralise(header) for header in headers],
                                ([_xlsx_row(row) for row in batch] for batch in batches))


def _file(connection: Connection, listing: Listing, fmt: str) -> Iterator[bytes]:
    """The file's pieces; the connection is closed after the last, or as soon as the reader stops
    (a client that goes away: the generator is closed, and with it the connection)."""
    try:
        listed = batches(connection, listing)
        if fmt == "csv":
            yield from csv_chunks(listing.headers, listed)
        else:
            yield from xlsx_chunks(listing.title, listing.headers, listed)
    finally:
        connection.close()


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    chunks: Iterator[bytes]


def export(session: Session, organiser: User, edition: Edition, which: str, fmt: str,
           sensitive: bool) -> ExportFile:
    """Records who takes which list out, then gives the file as pieces made while they are read
    (ExportFile.chunks): the rows are read from the database only as the caller asks for more."""
    if fmt not in FORMATS:
        raise ExportError(_("Choose CSV or Excel."), field="format")
    sensitive = sensitive and which != "contacts"
    listing = build(session, edition, which, sensitive)

    def seen(count: int) -> None:
        # One statement: a row per candidate in the list, each naming the list and its size.
        saw_sensitive_in_export(session, organiser, listing.query.with_only_columns(Nomination.id)
                                .order_by(None), which, count)
    return export_listing(session, Actor.of_user(organiser), edition, listing, fmt,
                          {"list": which, "format": fmt, "sensitive": sensitive}, seen if sensitive else None)


def export_listing(session: Session, actor: Actor, edition: Edition, listing: Listing, fmt: str,
                   changes: dict[str, Any], also: Callable[[int], None] | None = None) -> ExportFile:
    """Records the export (with its number of rows, and `also` in the same transaction), then gives
    the listing's file as pieces made while they are read; for any area's own list (a lab's roster
    for its hosts)."""
    connection = snapshot(session)
    try:
        count = connection.execute(listing.count()).scalar_one()
        with transaction(session):
            record(session, actor, "exported", "export", None, changes=changes | {"rows": count},
                   edition_id=edition.id)
            if also is not None:
                also(count)
        pieces = _file(connection, listing, fmt)
        # The first piece (the headers) is made here, which starts the generator: from now on
        # closing it, even unread, runs its finally and gives the connection back.
        first = next(pieces)
    except BaseException:
        connection.close()
        raise
    return ExportFile(f"{listing.filename}.{fmt}", FORMATS[fmt], _resumed(first, pieces))


def _resumed(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    """first, then the rest; closing this closes the rest (itertools.chain could not be closed)."""
    yield first
    yield from rest
