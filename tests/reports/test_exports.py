"""Exports: contents and headers of CSV and Excel files, sensitive columns only by choice, formula
neutralisation, rosters per lab, contact lists, and the audit event of each download."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest
from sqlmodel import select

from ish_portal.audit.models import AuditEvent
from ish_portal.nominations.models import Nomination
from ish_portal.placement.models import Offer
from tests.conftest import fresh, post_form


@pytest.fixture
def people(db, make, edition):
    kumamoto = make.organisation(db, name="Kumamoto")
    make.coordinator(db, kumamoto, email="b-cora@kumamoto.example")
    make.coordinator(db, kumamoto, email="a-kenji@kumamoto.example")
    lab = make.lab(db, edition, group_name="Structural Biology", institute="EMBL", tutor_name="Dr. Tutor")
    other_lab = make.lab(db, edition, group_name="Stars", institute="MPIA")
    haruto = make.nomination(db, edition, kumamoto, given_name="Haruto", family_name="Nakamura", status="accepted",
                             nationality="JP", phone="+81 96 123", medical_notes="Asthma", passport_number="TK123",
                             passport_expiry=date(2031, 1, 31), dietary_needs="Vegetarian")
    evil = make.nomination(db, edition, kumamoto, given_name="=HYPERLINK(\"http://x\")", family_name="@SUM(A1)",
                           status="offered", nationality="JP")
    make.nomination(db, edition, kumamoto, given_name="Draft", family_name="Hidden", status="draft")
    make.nomination(db, edition, kumamoto, given_name="Waiting", family_name="Approved", status="approved")
    now = datetime.now(UTC)
    # Haruto's older offer was for the other lab; his newest one counts. A proposed offer is not made yet.
    db.add(Offer(nomination_id=haruto.id, lab_id=other_lab.id, status="withdrawn",
                 response_deadline=now, created_at=now - timedelta(days=5)))
    db.add(Offer(nomination_id=haruto.id, lab_id=lab.id, status="accepted", response_deadline=now,
                 created_at=now - timedelta(days=2)))
    db.add(Offer(nomination_id=haruto.id, lab_id=other_lab.id, status="proposed", response_deadline=now,
                 created_at=now))
    db.add(Offer(nomination_id=evil.id, lab_id=lab.id, status="pending", response_deadline=now, created_at=now))
    db.commit()
    return lab, other_lab


def download(client, which, fmt, sensitive=False):
    data = {"list": which, "format": fmt} | ({"sensitive": "yes"} if sensitive else {})
    return post_form(client, "/organiser/exports", "/organiser/exports", data)


def csv_rows(response):
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def xlsx_rows(response):
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_exports_nominations_csv_without_sensitive_columns_by_default(as_organiser, people):
    response = download(as_organiser, "nominations", "csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="ish-2027-nominations-')
    assert response.headers["content-disposition"].endswith('.csv"')
    rows = csv_rows(response)
    assert "Medical notes" not in rows[0] and "Passport number" not in rows[0]
    names = sorted((row[1], row[2]) for row in rows[1:])
    assert names == [("'=HYPERLINK(\"http://x\")", "'@SUM(A1)"), ("Haruto", "Nakamura"), ("Waiting", "Approved")]
    haruto = next(row for row in rows[1:] if row[1] == "Haruto")
    assert dict(zip(rows[0], haruto))["Phone"] == "'+81 96 123"
    assert dict(zip(rows[0], haruto))["Nationality"] == "Japan"
    assert dict(zip(rows[0], haruto))["Dietary needs"] == "Vegetarian"
    assert "Asthma" not in response.text and "TK123" not in response.text


def test_exports_nominations_xlsx_with_sensitive_columns_when_chosen(as_organiser, db, people):
    response = download(as_organiser, "nominations", "xlsx", sensitive=True)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["content-disposition"].endswith('.xlsx"')
    rows = xlsx_rows(response)
    assert rows[0][-3:] == ["Medical notes", "Passport number", "Passport valid until"]
    haruto = dict(zip(rows[0], next(row for row in rows[1:] if row[1] == "Haruto")))
    assert (haruto["Medical notes"], haruto["Passport number"]) == ("Asthma", "TK123")
    assert haruto["Passport valid until"] == datetime(2031, 1, 31)
    evil = next(row for row in rows[1:] if row[2] == "'@SUM(A1)")
    assert evil[1] == "'=HYPERLINK(\"http://x\")"
    # Nothing in the workbook is a formula.
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"] == []
    [event] = fresh(db).exec(select(AuditEvent).where(AuditEvent.action == "exported")).all()
    assert event.changes == {"list": "nominations", "format": "xlsx", "sensitive": True, "rows": 3}


def test_exports_placements_take_each_nominations_latest_offer_made(as_organiser, people):
    rows = csv_rows(download(as_organiser, "placements", "csv"))
    table = [dict(zip(rows[0], row)) for row in rows[1:]]
    assert sorted((r["Given name"], r["Lab"], r["Offer"]) for r in table) == [
        ("'=HYPERLINK(\"http://x\")", "Structural Biology", "awaiting an answer"),
        ("Haruto", "Structural Biology", "accepted")]


def test_exports_speak_the_organisers_language_in_their_words_too(as_organiser, db, make, people):
    # Not only the headers: an offer's state and a subject area are words of the portal, not codes.
    lab, _other = people
    fresh(db)
    stored = db.get(type(lab), lab.id)
    stored.subject_area = "Biology"
    db.add(stored)
    haruto = db.exec(select(Nomination).where(Nomination.given_name == "Haruto")).one()
    haruto.subjects = ["Biology", "Physics"]
    db.add(haruto)
    db.commit()
    post_form(as_organiser, "/organiser/exports", "/language", {"language": "de"})
    rows = csv_rows(download(as_organiser, "placements", "csv"))
    table = {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert table["Haruto"]["Angebot"] == "zugesagt" and table["Haruto"]["Fachgebiet"] == "Biologie"
    nominations = csv_rows(download(as_organiser, "nominations", "csv"))
    by_name = {row[1]: dict(zip(nominations[0], row)) for row in nominations[1:]}
    assert by_name["Haruto"]["Interessensgebiete"] == "Biologie, Physik"


def test_exports_roster_lists_the_students_of_one_lab(as_organiser, people):
    lab, other_lab = people
    response = download(as_organiser, f"roster:{lab.id}", "csv")
    assert f"roster-structural-biology-{lab.id}-" in response.headers["content-disposition"]
    rows = csv_rows(response)
    assert rows[0] == ["Given name", "Family name", "Nationality", "Email", "Phone", "Organisation", "Status",
                       "From", "To", "Dietary needs"]
    haruto = next(row for row in rows[1:] if row[0] == "Haruto")
    assert haruto[2:3] + haruto[6:10] == ["Japan", "accepted", "2027-07-12", "2027-08-07", "Vegetarian"]
    assert len(rows) == 3
    assert csv_rows(download(as_organiser, f"roster:{other_lab.id}", "csv"))[1:] == []


def test_exports_contacts_list_coordinators_and_never_sensitive_columns(as_organiser, people):
    rows = csv_rows(download(as_organiser, "contacts", "csv", sensitive=True))
    assert rows[0] == ["Name", "Email", "Phone", "Organisation", "Status", "Coordinators' emails",
                       "Emergency contact", "Emergency phone", "Guardian's email"]
    haruto = next(row for row in rows[1:] if row[0] == "Haruto Nakamura")
    assert haruto[5] == "a-kenji@kumamoto.example; b-cora@kumamoto.example"
    assert len(rows) == 4


@pytest.mark.parametrize("data, message", [({"list": "secrets", "format": "csv"}, "Choose a list."),
                                           ({"list": "nominations", "format": "pdf"}, "Choose CSV or Excel."),
                                           ({"list": "roster:999999", "format": "csv"}, "Choose a lab of this edition.")])
def test_exports_bad_choices_are_refused_on_the_page(as_organiser, people, data, message):
    response = post_form(as_organiser, "/organiser/exports", "/organiser/exports", data)
    assert response.status_code == 400
    assert message in response.text


def test_exports_page_offers_a_roster_per_lab_and_sensitive_off(as_organiser, people):
    page = as_organiser.get("/organiser/exports")
    assert page.status_code == 200
    assert f'value="roster:{people[0].id}"' in page.text
    assert 'name="sensitive" value="yes" aria-describedby="h-sensitive" >' in page.text


def test_exports_refuse_a_coordinator(as_coordinator, edition):
    assert as_coordinator.get("/organiser/exports").status_code == 403
    response = post_form(as_coordinator, "/coordinator", "/organiser/exports", {"list": "nominations", "format": "csv"})
    assert response.status_code == 403


@pytest.mark.parametrize("which", ["nominations", "placements", "roster", "contacts"])
def test_exports_audit_counts_the_rows_of_the_file(as_organiser, db, people, which):
    which = f"roster:{people[0].id}" if which == "roster" else which
    rows = csv_rows(download(as_organiser, which, "csv"))
    [event] = fresh(db).exec(select(AuditEvent).where(AuditEvent.action == "exported")).all()
    assert event.changes["rows"] == len(rows) - 1 > 0
