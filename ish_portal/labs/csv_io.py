"""Labs and lab rankings as CSV files, the way spreadsheets write them: UTF-8 with or without a
byte-order mark, comma or semicolon separated, a header row naming the columns. Reading checks
every row and collects every problem, so the organiser can fix the whole file at once."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import BinaryIO

from ish_portal.labs.forms import FIELDS, LabForm, parse_rank
from ish_portal.labs.models import Lab
from ish_portal.text.validation import validate
from ish_portal.text.i18n import gettext as _

MAX_BYTES = 1024 * 1024
MAX_ROWS = 2000
LAB_COLUMNS = FIELDS + ["retired"]
RANKING_COLUMNS = ["email", "rank"]
YES = {"yes", "y", "true", "1", "ja", "x"}
NO = {"no", "n", "false", "0", "nein", ""}
# Spreadsheets run a cell starting with one of these as a formula; the export prefixes such a
# cell with an apostrophe, and the import takes it off again, so the round trip is exact.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class CSVError(Exception):
    """The file as a whole cannot be read (size, encoding, header); nothing was imported."""


@dataclass
class Table:
    rows: list[tuple[int, dict[str, str]]]  # (row number as a spreadsheet counts, the header being 1; cells)
    ignored_columns: list[str] = field(default_factory=list)


@dataclass
class LabRow:
    number: int
    form: LabForm
    retired: bool | None  # None when the file has no "retired" column: keep the lab as it is


def read_upload(stream: BinaryIO) -> bytes:
    """The uploaded bytes, refused as soon as they pass the cap."""
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise CSVError(_("The file is larger than %(kb)d KB. Split it into smaller files.", kb=MAX_BYTES // 1024))
    return data


def read_table(data: bytes, columns: list[str], required: list[str]) -> Table:
    if not data.strip():
        raise CSVError(_("The file is empty."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CSVError(_("The file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8”.")) from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise CSVError(_("The first row must name the columns.")) from None
    names = [name.strip().lower().replace(" ", "_") for name in header]
    missing = [name for name in required if name not in names]
    if missing:
        raise CSVError(_("The first row must name the columns; missing: %(columns)s. Expected: %(expected)s.",
                         columns=", ".join(missing), expected=", ".join(columns)))
    duplicated = sorted({name for name in names if name and names.count(name) > 1})
    if duplicated:
        raise CSVError(_("These columns appear twice: %(columns)s.", columns=", ".join(duplicated)))
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # spreadsheets leave empty rows behind
            if len(rows) == MAX_ROWS:
                raise CSVError(_("The file has more than %(count)d rows. Split it into smaller files.",
                                 count=MAX_ROWS))
            values = {name: _unprotect(cells[i]) if i < len(cells) else ""
                      for i, name in enumerate(names) if name in columns}
            rows.append((number, values))
    except csv.Error as exc:
        raise CSVError(_("The file is not a readable CSV file (%(problem)s).", problem=str(exc))) from None
    if not rows:
        raise CSVError(_("The file has a header row but no rows below it."))
    ignored = [header[i].strip() for i, name in enumerate(names) if name and name not in columns]
    return Table(rows, ignored)


def row_error(number: int, column: str, message: str) -> str:
    return _("Row %(row)d, %(column)s: %(problem)s", row=number, column=column, problem=message)


def parse_labs(table: Table) -> tuple[list[LabRow], list[str]]:
    """Every row as a validated lab, or the list of every problem (then no rows)."""
    parsed: list[LabRow] = []
    errors: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    for number, cells in table.rows:
        values: dict[str, object] = {name: cells.get(name, "") for name in FIELDS}
        values["languages"] = split_languages(cells.get("languages", ""))
        form, field_errors = validate(LabForm, values)
        for name in FIELDS:
            if name in field_errors:
                errors.append(row_error(number, name, field_errors[name]))
        retired = None
        if "retired" in cells:
            answer = cells["retired"].strip().lower()
            if answer in YES:
                retired = True
            elif answer in NO:
                retired = False
            else:
                errors.append(row_error(number, "retired", _("Enter yes or no.")))
        if form is not None:
            key = lab_key(form.institute, form.group_name)
            if key in seen:
                errors.append(_("Row %(row)d: the same lab (institute and group) is already in row %(first)d.",
                                row=number, first=seen[key]))
            seen.setdefault(key, number)
            parsed.append(LabRow(number, form, retired))
    return ([], errors) if errors else (parsed, [])


def split_languages(cell: str) -> list[str]:
    for separator in ",;/|":
        cell = cell.replace(separator, " ")
    return cell.split()


def lab_key(institute: str, group_name: str) -> tuple[str, str]:
    """How an imported row finds its lab: institute and group, ignoring case and spacing."""
    return (" ".join(institute.split()).casefold(), " ".join(group_name.split()).casefold())


def labs_csv(labs: list[Lab]) -> bytes:
    """The labs as a CSV file that spreadsheets open with every script intact (UTF-8 with BOM)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(LAB_COLUMNS)
    for lab in labs:
        writer.writerow([_protect(cell) for cell in (
            lab.institute, lab.group_name, lab.tutor_name, lab.tutor_email, lab.subject_area,
            lab.description, lab.capacity, "" if lab.min_age is None else lab.min_age,
            " ".join(lab.languages or []), "" if lab.organisation_cap is None else lab.organisation_cap,
            "yes" if lab.retired else "no")])
    return out.getvalue().encode("utf-8-sig")


def _protect(value) -> str:
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _unprotect(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


@dataclass
class RankingRow:
    number: int
    email: str
    rank: int


def parse_rankings(table: Table) -> tuple[list[RankingRow], list[str]]:
    """The tutors' feedback: one candidate's email and rank per row; an empty rank means not ranked."""
    parsed: list[RankingRow] = []
    errors: list[str] = []
    for number, cells in table.rows:
        email = cells.get("email", "").strip().lower()
        rank_text = cells.get("rank", "").strip()
        if not email:
            errors.append(row_error(number, "email", _("This field is required.")))
        if not rank_text:
            continue
        rank = parse_rank(rank_text)
        if rank is None:
            errors.append(row_error(number, "rank", _("Enter a whole number of at least 1.")))
        elif email:
            parsed.append(RankingRow(number, email, rank))
    return ([], errors) if errors else (parsed, [])

