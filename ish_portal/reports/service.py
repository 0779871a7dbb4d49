"""Lists the organisers take out of the portal, as CSV or Excel: nominations, placements, a roster
per lab for its tutor, and contact lists. Each list is read with one query (plus one for the
coordinators of the contact list), never one per row, so that it stays quick with tens of
thousands of nominations. Sensitive columns (medical notes, passport number and expiry) are
included only when the organiser asks for them, and every export is recorded in the audit log."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from sqlalchemy import and_, func
from sqlmodel import Session, select

from ish_portal.accounts.models import Role, User
from ish_portal.audit.service import Actor, record
from ish_portal.db import transaction, utcnow
from ish_portal.labs.models import Lab
from ish_portal.nominations.forms import countries
from ish_portal.nominations.models import Nomination, NominationStatus
from ish_portal.nominations.review import completeness_expression
from ish_portal.nominations.service import status_label
from ish_portal.placement.models import Offer, OfferStatus
from ish_portal.programme.models import Edition, Organisation
from ish_portal.text import timefmt
from ish_portal.text.i18n import current_language, gettext as _

S = NominationStatus
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
PLACED = [S.OFFERED.value, S.ACCEPTED.value]
# A spreadsheet treats a cell beginning with one of these as a formula (tab and carriage return
# too, in some programs): such text gets a leading apostrophe so it stays text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportError(Exception):
    """A list that cannot be made, with a message for the organiser and the field it is about."""

    def __init__(self, message: str, field: str = "list") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Table:
    title: str
    filename: str  # without extension; ASCII only, so it travels in any Content-Disposition
    headers: list[str]
    rows: list[list[Any]]


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _sensitive_headers() -> list[str]:
    return [_("Medical notes"), _("Passport number"), _("Passport valid until")]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "list"


def _name(edition: Edition, what: str) -> str:
    return f"ish-{edition.year}-{what}-{utcnow():%Y%m%d}"


# -- the lists ----------------------------------------------------------------------------------

def nominations_table(session: Session, edition: Edition, sensitive: bool) -> Table:
    names = dict(countries(current_language()))
    columns = [Nomination.id, Nomination.given_name, Nomination.family_name, Nomination.passport_name,
               Nomination.email, Nomination.phone, Nomination.date_of_birth, Nomination.nationality,
               Organisation.name, Nomination.status, Nomination.submitted_at, Nomination.review_score,
               Nomination.eligibility_reason, completeness_expression(edition).label("complete"),
               Nomination.school, Nomination.school_leaving_year, Nomination.subjects,
               Nomination.english_level, Nomination.german_level, Nomination.dietary_needs,
               Nomination.guardian_name, Nomination.guardian_email]
    if sensitive:
        columns += [Nomination.medical_notes, Nomination.passport_number, Nomination.passport_expiry]
    query = (select(*columns).join(Organisation, Organisation.id == Nomination.organisation_id)
             .where(Nomination.edition_id == edition.id, Nomination.status != S.DRAFT)
             .order_by(Organisation.name, Nomination.family_name, Nomination.given_name, Nomination.id))
    rows = []
    for r in session.exec(query).all():
        row = [r[0], r[1], r[2], r[3], r[4], r[5], r[6], names.get(r[7], r[7]), r[8], status_label(r[9]),
               r[10], r[11], r[12], _("yes") if r[13] else _("no"), r[14], r[15], ", ".join(r[16] or []),
               r[17], r[18], r[19], r[20], r[21]]
        rows.append(row + list(r[22:25]) if sensitive else row)
    headers = [_("ID"), _("Given name"), _("Family name"), _("Name as in the passport"), _("Email"), _("Phone"),
               _("Date of birth"), _("Nationality"), _("Organisation"), _("Status"), _("Submitted at (Heidelberg time)"),
               _("Review score"), _("Eligibility reason"), _("Documents complete"), _("School"),
               _("School-leaving year"), _("Subjects of interest"), _("English level"), _("German level"),
               _("Dietary needs"), _("Guardian's name"), _("Guardian's email")]
    return Table(_("Nominations"), _name(edition, "nominations"),
                 headers + (_sensitive_headers() if sensitive else []), rows)


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


def _sensitive_columns() -> list:
    return [Nomination.medical_notes, Nomination.passport_number, Nomination.passport_expiry]


def placements_table(session: Session, edition: Edition, sensitive: bool) -> Table:
    names = dict(countries(current_language()))
    columns = [Nomination.given_name, Nomination.family_name, Nomination.email, Nomination.nationality,
               Organisation.name, Nomination.status, Lab.group_name, Lab.institute, Lab.subject_area,
               Lab.tutor_name, Lab.tutor_email, Offer.status, Offer.response_deadline, Offer.responded_at,
               Nomination.dietary_needs]
    query = _placement_query(edition, columns + (_sensitive_columns() if sensitive else []))
    rows = []
    for r in session.exec(query).all():
        row = list(r)
        row[3] = names.get(row[3], row[3])
        row[5] = status_label(row[5])
        rows.append(row)
    headers = [_("Given name"), _("Family name"), _("Email"), _("Nationality"), _("Organisation"), _("Status"),
               _("Lab"), _("Institute"), _("Subject area"), _("Tutor"), _("Tutor's email"), _("Offer"),
               _("Answer due (Heidelberg time)"), _("Answered at (Heidelberg time)"), _("Dietary needs")]
    return Table(_("Placements"), _name(edition, "placements"),
                 headers + (_sensitive_headers() if sensitive else []), rows)


def roster_table(session: Session, edition: Edition, lab_id: int, sensitive: bool) -> Table:
    lab = session.exec(select(Lab).where(Lab.id == lab_id, Lab.edition_id == edition.id)).first()
    if lab is None:
        raise ExportError(_("Choose a lab of this edition."))
    names = dict(countries(current_language()))
    columns = [Nomination.given_name, Nomination.family_name, Nomination.nationality, Nomination.email,
               Nomination.phone, Organisation.name, Nomination.status, Nomination.dietary_needs]
    query = _placement_query(edition, columns + (_sensitive_columns() if sensitive else []), lab_id=lab.id)
    rows = []
    for r in session.exec(query).all():
        row = list(r)
        row[2] = names.get(row[2], row[2])
        row[6] = status_label(row[6])
        rows.append(row[:7] + [edition.starts_on, edition.ends_on] + row[7:])
    headers = [_("Given name"), _("Family name"), _("Nationality"), _("Email"), _("Phone"), _("Organisation"),
               _("Status"), _("From"), _("To"), _("Dietary needs")]
    return Table(lab.group_name[:31], _name(edition, f"roster-{_slug(lab.group_name)}-{lab.id}"),
                 headers + (_sensitive_headers() if sensitive else []), rows)


def contacts_table(session: Session, edition: Edition) -> Table:
    query = (select(Nomination.given_name, Nomination.family_name, Nomination.email, Nomination.phone,
                    Organisation.name, Nomination.status, Nomination.emergency_contact_name,
                    Nomination.emergency_contact_phone, Nomination.guardian_email, Nomination.organisation_id)
             .join(Organisation, Organisation.id == Nomination.organisation_id)
             .where(Nomination.edition_id == edition.id, Nomination.status != S.DRAFT)
             .order_by(Organisation.name, Nomination.family_name, Nomination.given_name, Nomination.id))
    coordinators: dict[int, list[str]] = {}
    for organisation_id, email in session.exec(
            select(User.organisation_id, User.email).where(User.role == Role.COORDINATOR, User.is_active == True)  # noqa: E712
            .order_by(User.email)).all():
        coordinators.setdefault(organisation_id, []).append(email)
    rows = [[f"{r[0]} {r[1]}", r[2], r[3], r[4], status_label(r[5]), "; ".join(coordinators.get(r[9], [])),
             r[6], r[7], r[8]] for r in session.exec(query).all()]
    headers = [_("Name"), _("Email"), _("Phone"), _("Organisation"), _("Status"), _("Coordinators' emails"),
               _("Emergency contact"), _("Emergency phone"), _("Guardian's email")]
    return Table(_("Contacts"), _name(edition, "contacts"), headers, rows)


def list_choices(session: Session, edition: Edition) -> list[tuple[str, str]]:
    labs = session.exec(select(Lab).where(Lab.edition_id == edition.id, Lab.retired == False)  # noqa: E712
                        .order_by(Lab.institute, Lab.group_name)).all()
    return ([("nominations", _("Nominations (all submitted)")), ("placements", _("Placements (offered and accepted)")),
             ("contacts", _("Contact list"))]
            + [(f"roster:{lab.id}", _("Roster of %(lab)s", lab=lab.label)) for lab in labs])


def build(session: Session, edition: Edition, which: str, sensitive: bool) -> Table:
    if which == "nominations":
        return nominations_table(session, edition, sensitive)
    if which == "placements":
        return placements_table(session, edition, sensitive)
    if which == "contacts":
        return contacts_table(session, edition)
    if which.startswith("roster:") and which[7:].isdigit():
        return roster_table(session, edition, int(which[7:]), sensitive)
    raise ExportError(_("Choose a list."))


# -- the files ----------------------------------------------------------------------------------

def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timefmt.local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(neutralise(value))


def csv_chunks(table: Table, rows_per_chunk: int = 1000) -> Iterator[bytes]:
    """The CSV in pieces, starting with a byte-order mark so that Excel reads UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([neutralise(header) for header in table.headers])
    for index, row in enumerate(table.rows, 1):
        writer.writerow([_text(value) for value in row])
        if index % rows_per_chunk == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        # Excel knows no time zones: the Heidelberg wall-clock time, as the header says.
        return timefmt.local(value).replace(tzinfo=None, microsecond=0)
    return neutralise(value)


def xlsx_bytes(table: Table) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(re.sub(r"[\[\]:*?/\\]", " ", table.title)[:31] or "List")
    sheet.append([neutralise(header) for header in table.headers])
    for row in table.rows:
        sheet.append([_cell(value) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    chunks: Iterator[bytes]


def export(session: Session, organiser: User, edition: Edition, which: str, fmt: str,
           sensitive: bool) -> ExportFile:
    """Builds the list and records who took it out; the file itself is produced by the caller
    reading ExportFile.chunks."""
    if fmt not in FORMATS:
        raise ExportError(_("Choose CSV or Excel."), field="format")
    table = build(session, edition, which, sensitive and which != "contacts")
    with transaction(session):
        record(session, Actor.of_user(organiser), "exported", "export", None,
               changes={"list": which, "format": fmt, "sensitive": bool(sensitive and which != "contacts"),
                        "rows": len(table.rows)}, edition_id=edition.id)
    chunks = csv_chunks(table) if fmt == "csv" else iter([xlsx_bytes(table)])
    return ExportFile(f"{table.filename}.{fmt}", FORMATS[fmt], chunks)
