"""Who saw what: every staff look at medical notes or passport details (the review page, the visa
letter, exports with sensitive columns) is recorded, shown per person on the review page, and
given to the applicant in the download of their data."""

import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import select

from ish_portal.accounts.models import TokenPurpose
from ish_portal.accounts.service import issue_token
from ish_portal.audit.models import SensitiveAccess
from tests.conftest import fresh, post_form


@pytest.fixture
def people(db, make, edition):
    kumamoto = make.organisation(db, name="Kumamoto")
    haruto = make.nomination(db, edition, kumamoto, given_name="Haruto", family_name="Nakamura", status="accepted",
                             email="haruto@example.org", nationality="JP", passport_name="NAKAMURA HARUTO",
                             medical_notes="Asthma", passport_number="TK123", passport_expiry=date(2031, 1, 31),
                             date_of_birth=date(2008, 5, 14))
    plain = make.nomination(db, edition, kumamoto, given_name="Mei", family_name="Sato", status="submitted")
    others = [make.nomination(db, edition, kumamoto, given_name=f"Student{i}", status="submitted")
              for i in range(3)]
    return haruto, plain, others


def rows(db, **where):
    query = select(SensitiveAccess).order_by(SensitiveAccess.id)
    for name, value in where.items():
        query = query.where(getattr(SensitiveAccess, name) == value)
    return fresh(db).exec(query).all()


def test_each_view_of_the_review_page_with_sensitive_data_is_one_record(as_organiser, db, organiser, people):
    haruto, plain, _others = people
    as_organiser.get(f"/organiser/nominations/{haruto.id}")
    as_organiser.get(f"/organiser/nominations/{haruto.id}")
    as_organiser.get(f"/organiser/nominations/{plain.id}")  # nothing sensitive to see: nothing recorded
    seen = rows(db)
    assert [(r.nomination_id, r.what, r.user_id, r.user_name, r.user_role) for r in seen] == \
        [(haruto.id, "viewed_details", organiser.id, "Olga Organiser", "organiser")] * 2
    page = as_organiser.get(f"/organiser/nominations/{haruto.id}").text
    section = page[page.index('id="sensitive-access"'):]
    assert "Who saw sensitive data" in section
    assert section.count("viewed medical notes and passport details") == 3 and "Olga Organiser (organiser)" in section


def test_downloading_the_visa_letter_is_recorded(as_organiser, db, people):
    haruto, _plain, _others = people
    response = as_organiser.get(f"/organiser/nominations/{haruto.id}/letters/visa.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert [(r.what, r.detail) for r in rows(db, nomination_id=haruto.id, what="downloaded_letter")] == [("downloaded_letter", "visa")]
    as_organiser.get(f"/organiser/nominations/{haruto.id}/letters/acceptance.pdf")  # no passport data in it
    assert len(rows(db, what="downloaded_letter")) == 1
    assert "downloaded visa letter" in as_organiser.get(f"/organiser/nominations/{haruto.id}").text


def test_an_export_with_sensitive_columns_records_every_candidate_in_it_in_one_statement(
        as_organiser, db, people):
    haruto, plain, others = people
    post_form(as_organiser, "/organiser/exports", "/organiser/exports", {"list": "nominations", "format": "csv"})
    assert rows(db) == []  # without the sensitive columns nothing sensitive was seen

    inserts = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO SENSITIVE_ACCESS"):
            inserts.append(statement)

    event.listen(Engine, "before_cursor_execute", count)  # the app's own engine too
    try:
        response = post_form(as_organiser, "/organiser/exports", "/organiser/exports",
                             {"list": "nominations", "format": "csv", "sensitive": "yes"})
        assert "Asthma" in response.content.decode("utf-8")
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert len(inserts) == 1
    seen = rows(db, what="exported")
    assert {r.nomination_id for r in seen} == {haruto.id, plain.id, *(o.id for o in others)}
    assert {(r.detail, r.count) for r in seen} == {("nominations", 5)}
    page = as_organiser.get(f"/organiser/nominations/{plain.id}").text
    assert "exported medical notes and passport details of 5 candidates" in page


def test_the_applicants_data_export_says_who_saw_their_sensitive_data_and_when(app, as_organiser, db, people):
    haruto, _plain, _others = people
    as_organiser.get(f"/organiser/nominations/{haruto.id}")
    as_organiser.get(f"/organiser/nominations/{haruto.id}/letters/visa.pdf")
    raw = issue_token(db, TokenPurpose.APPLICANT_ACCESS, haruto.email, timedelta(days=1), nomination_id=haruto.id)
    db.commit()
    applicant = TestClient(app, base_url="http://testserver")
    post_form(applicant, f"/access/{raw}", f"/access/{raw}", {})
    archive = zipfile.ZipFile(io.BytesIO(applicant.get("/applicant/data.zip").content))
    seen = json.loads(archive.read("data.json"))["who_saw_my_sensitive_data"]
    assert [(s["role"], s["name"], s["what"]) for s in seen] == [
        ("organiser", "Olga Organiser", "downloaded visa letter"),
        ("organiser", "Olga Organiser", "viewed medical notes and passport details")]
    assert all(s["at"] for s in seen)
