"""Exports as they are sent: typed Excel cells, names in any script, text XML cannot carry, a list
longer than one batch arriving in several pieces, the rows of one snapshot of the database, and
the export's connection given back when the reader stops early."""

import csv
import io
import zipfile
from datetime import UTC, date, datetime

import openpyxl
import pytest
from sqlmodel import select

from ish_portal.audit.models import AuditEvent
from ish_portal.nominations.models import Nomination
from ish_portal.reports import service, xlsx
from ish_portal.text import timefmt
from tests.conftest import fresh, post_form

SUBMITTED = datetime(2027, 3, 15, 22, 59, 30, 123456, tzinfo=UTC)
NAMES = [("春斗", "中村"), ("אריאל", "כהן"), ("Łukasz", "Żółć")]


def download(client, which, fmt, sensitive=False):
    data = {"list": which, "format": fmt} | ({"sensitive": "yes"} if sensitive else {})
    return post_form(client, "/organiser/exports", "/organiser/exports", data)


def records(rows):
    return [dict(zip(rows[0], row)) for row in rows[1:]]


@pytest.fixture
def kumamoto(db, make):
    return make.organisation(db, name="Kumamoto")


@pytest.fixture
def scripts(db, make, edition, kumamoto):
    for given, family in NAMES:
        make.nomination(db, edition, kumamoto, given_name=given, family_name=family, submitted_at=SUBMITTED,
                        review_score=87, school_leaving_year=2027, passport_expiry=date(2031, 1, 31),
                        subjects=["Biology", "Physics"])


def test_excel_cells_keep_their_types_and_every_script(as_organiser, scripts):
    response = download(as_organiser, "nominations", "xlsx", sensitive=True)
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "Nominations"
    table = records([[cell.value for cell in row] for row in sheet.iter_rows()])
    assert sorted((row["Given name"], row["Family name"]) for row in table) == sorted(NAMES)
    row = table[0]
    assert isinstance(row["ID"], int) and row["Review score"] == 87 and row["School-leaving year"] == 2027
    assert row["Date of birth"] == datetime(2008, 5, 14)
    assert row["Passport valid until"] == datetime(2031, 1, 31)
    # Heidelberg's wall clock, to the second, as the header says (CET is UTC+1 in March).
    assert row["Submitted at (Heidelberg time)"] == datetime(2027, 3, 15, 23, 59, 30)
    assert row["Subjects of interest"] == "Biology, Physics"
    assert row["Documents complete"] == "no"
    formats = {cell.column_letter: cell.number_format for cell in next(sheet.iter_rows(min_row=2))}
    assert formats["G"] == "yyyy-mm-dd" and formats["K"] == "yyyy-mm-dd hh:mm"


def test_csv_carries_every_script_and_local_times(as_organiser, scripts):
    text = download(as_organiser, "nominations", "csv").content.decode("utf-8")
    table = records(list(csv.reader(io.StringIO(text[1:]))))
    assert sorted((row["Given name"], row["Family name"]) for row in table) == sorted(NAMES)
    assert {row["Submitted at (Heidelberg time)"] for row in table} == {"2027-03-15 23:59"}
    assert {row["Date of birth"] for row in table} == {"2008-05-14"}


def test_text_xml_cannot_carry_is_dropped_from_excel_and_kept_in_csv(as_organiser, db, make, edition, kumamoto):
    make.nomination(db, edition, kumamoto, given_name="Ha\x01ru\x0bto", family_name="<Nakamura & \"Sons\">",
                    dietary_needs="-1 vegan")
    response = download(as_organiser, "nominations", "xlsx")
    assert response.status_code == 200
    [row] = records([[cell.value for cell in row]
                     for row in openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows()])
    assert (row["Given name"], row["Family name"]) == ("Haruto", "<Nakamura & \"Sons\">")
    assert row["Dietary needs"] == "'-1 vegan"
    text = download(as_organiser, "nominations", "csv").content.decode("utf-8")
    assert "Ha\x01ru\x0bto" in text and "'-1 vegan" in text


def test_a_long_list_arrives_in_pieces_and_whole(db, make, edition, kumamoto, organiser):
    make.nomination(db, edition, kumamoto, given_name="Haruto", family_name="Abe")
    many = 2 * service.ROWS_PER_FETCH + 7
    db.add_all([Nomination(edition_id=edition.id, organisation_id=kumamoto.id, given_name=f"Student {n}",
                                family_name=f"Family {n:05d}", email=f"s{n}@example.org", status="submitted")
                for n in range(many - 1)])
    db.commit()
    for fmt, content in [("csv", lambda pieces: list(csv.reader(io.StringIO(b"".join(pieces).decode()[1:])))),
                         ("xlsx", lambda pieces: list(openpyxl.load_workbook(io.BytesIO(b"".join(pieces)))
                                                      .active.iter_rows(values_only=True)))]:
        pieces = list(service.export(db, organiser, edition, "nominations", fmt, False).chunks)
        assert len(pieces) > 2
        rows = content(pieces)
        assert len(rows) == many + 1
        assert rows[1][1] == "Haruto" and rows[-1][2] == f"Family {many - 2:05d}"
    zipfile.ZipFile(io.BytesIO(b"".join(pieces))).testzip()


def test_the_file_holds_the_rows_counted_in_the_audit_even_while_others_write(db, make, edition, kumamoto, organiser):
    make.nomination(db, edition, kumamoto, given_name="Haruto")
    file = service.export(db, organiser, edition, "nominations", "csv", False)
    # Written after the export began and before its rows are read: not part of this file.
    make.nomination(db, edition, kumamoto, given_name="Latecomer")
    rows = list(csv.reader(io.StringIO(b"".join(file.chunks).decode()[1:])))
    assert [row[1] for row in rows[1:]] == ["Haruto"]
    [event] = fresh(db).exec(select(AuditEvent).where(AuditEvent.action == "exported")).all()
    assert event.changes["rows"] == 1


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_reader_that_stops_early_gives_the_connection_back(db, make, engine, edition, kumamoto, organiser, fmt):
    make.nomination(db, edition, kumamoto)
    db.close()
    before = engine.pool.checkedout()
    file = service.export(db, organiser, edition, "nominations", fmt, False)
    db.close()
    assert engine.pool.checkedout() == before + 1  # the export's snapshot
    next(file.chunks)
    file.chunks.close()
    assert engine.pool.checkedout() == before


def test_sheet_names_follow_excels_rules():
    assert xlsx.sheet_name("'Lab: [Cells] / Tissues?'") == "Lab   Cells    Tissues "
    assert xlsx.sheet_name("x" * 40) == "x" * 31
    assert xlsx.sheet_name("''") == "List"


def test_times_are_written_as_heidelberg_wall_clock_in_both_formats():
    summer = datetime(2027, 7, 12, 6, 30, tzinfo=UTC)
    assert service._csv_row([summer]) == [timefmt.local(summer).strftime("%Y-%m-%d %H:%M")] == ["2027-07-12 08:30"]
    assert service._xlsx_row([summer]) == [datetime(2027, 7, 12, 8, 30)]


def test_subjects_are_joined_in_their_order_and_an_empty_list_is_empty(as_organiser, db, make, edition, kumamoto):
    chosen = {"Ada": ["Physics", "Biology, marine", "Chemistry"], "Bo": [], "Cy": ["Ünïcode «x»"]}
    for given, subjects in chosen.items():
        make.nomination(db, edition, kumamoto, given_name=given, family_name="Q", subjects=subjects)
    text = download(as_organiser, "nominations", "csv").content.decode("utf-8")
    shown = {row["Given name"]: row["Subjects of interest"] for row in records(list(csv.reader(io.StringIO(text[1:]))))}
    assert shown == {given: ", ".join(subjects) for given, subjects in chosen.items()}
    sheet = openpyxl.load_workbook(io.BytesIO(download(as_organiser, "nominations", "xlsx").content)).active
    cells = {row["Given name"]: row["Subjects of interest"]
             for row in records([[cell.value for cell in row] for row in sheet.iter_rows()])}
    assert cells["Ada"] == "Physics, Biology, marine, Chemistry" and cells["Cy"] == "Ünïcode «x»"
    assert cells["Bo"] in ("", None)
