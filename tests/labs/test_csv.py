"""Labs go out and come back as CSV files, the way spreadsheets write them."""

import io

from sqlmodel import select

from ish_portal.audit.models import AuditEvent
from ish_portal.labs.csv_io import MAX_ROWS
from ish_portal.labs.models import Lab
from tests.conftest import fresh, post_form

HEADER = "institute,group_name,tutor_name,tutor_email,subject_area,description,capacity,min_age,languages,organisation_cap,retired"


def upload(client, text_or_bytes, path="/organiser/labs/import", page="/organiser/labs/import"):
    data = text_or_bytes.encode("utf-8") if isinstance(text_or_bytes, str) else text_or_bytes
    from tests.conftest import csrf_of
    token = csrf_of(client.get(page).text)
    return client.post(path, data={"csrf_token": token}, files={"file": ("labs.csv", io.BytesIO(data), "text/csv")},
                       follow_redirects=False)


def labs_of(db):
    return fresh(db).exec(select(Lab).order_by(Lab.institute, Lab.group_name)).all()


def snapshot(db):
    return [(lab.id, lab.institute, lab.group_name, lab.tutor_name, lab.tutor_email, lab.subject_area,
             lab.description, lab.capacity, lab.min_age, lab.languages, lab.organisation_cap, lab.retired)
            for lab in labs_of(db)]


def test_csv_export_then_import_changes_nothing_and_keeps_every_script(organiser_client, db, make, edition):
    make.lab(db, edition, institute="MPIK", group_name="Neutrinos", tutor_name="Jürgen Weiß",
             description="Line one,\n\"quoted\"; line two", languages=["en", "de"], min_age=17)
    make.lab(db, edition, institute="Jelenia Góra partner lab", group_name="Optics", tutor_name="Łukasz Żółć",
             capacity=0, organisation_cap=3)
    make.lab(db, edition, institute="熊本 Institute", group_name="熊本 group", tutor_name="熊本 太郎",
             description="=SUM(A1:A2) is not a formula here", retired=True, languages=["ja", "en"])
    before = snapshot(db)
    response = organiser_client.get("/organiser/labs/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="labs-2031.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf" + HEADER.encode())
    assert "'=SUM(A1:A2)" in response.content.decode("utf-8-sig")
    result = upload(organiser_client, response.content)
    assert result.status_code == 303
    assert "Import done: 0 labs added, 0 changed, 3 unchanged." in organiser_client.get("/organiser/labs").text
    assert snapshot(db) == before
    assert fresh(db).exec(select(AuditEvent)).all() == []


def test_csv_import_adds_and_updates_labs_in_one_go(organiser_client, db, make, edition):
    lab = make.lab(db, edition, institute="EMBL", group_name="Cell biology", capacity=2, languages=["en"])
    text = (HEADER + "\n"
            "embl,cell  BIOLOGY,Anna Kreshuk,anna@embl.example,Biology,,4,,en de,,no\n"
            "DKFZ,Tumour immunology,,,Medicine,Mice and models,3,18,en,1,\n")
    response = upload(organiser_client, text)
    assert response.status_code == 303
    assert "Import done: 1 lab added, 1 changed, 0 unchanged." in organiser_client.get("/organiser/labs").text
    stored = fresh(db).get(Lab, lab.id)
    # Found by institute and group whatever their case and spacing; the lab keeps its own spelling.
    assert (stored.group_name, stored.capacity, stored.languages, stored.tutor_name, stored.organisation_cap) == (
        "cell  BIOLOGY", 4, ["en", "de"], "Anna Kreshuk", None)
    added = fresh(db).exec(select(Lab).where(Lab.institute == "DKFZ")).one()
    assert (added.edition_id, added.capacity, added.min_age, added.organisation_cap, added.retired) == (
        edition.id, 3, 18, 1, False)
    actions = sorted(e.action for e in fresh(db).exec(select(AuditEvent)).all())
    assert actions == ["lab_changed", "lab_created"]


def test_csv_import_with_a_bad_row_imports_nothing_and_names_row_and_field(organiser_client, db, make, edition):
    make.lab(db, edition, institute="EMBL", group_name="Cell biology", capacity=2)
    before = snapshot(db)
    text = (HEADER + "\n"
            "EMBL,Cell biology,,,Biology,,5,,en,1,no\n"
            "DKFZ,Tumour immunology,,,Medicine,,3,,en,1,no\n"
            "HITS,Astro,,tutor-at-hits,Astronomy,,three,9,en xx,0,maybe\n")
    response = upload(organiser_client, text)
    assert response.status_code == 400
    page = response.text
    assert "Nothing was imported." in page
    assert "<li>Row 4, tutor_email: Enter an email address like name@example.org.</li>" in page
    assert "<li>Row 4, capacity: Enter a whole number.</li>" in page
    assert "<li>Row 4, min_age: Enter a number of at least 10.</li>" in page
    assert "<li>Row 4, languages: Choose languages from the list (not known: xx).</li>" in page
    assert "<li>Row 4, organisation_cap: Enter a number of at least 1.</li>" in page
    assert "<li>Row 4, retired: Enter yes or no.</li>" in page
    assert "Row 2" not in page and "Row 3" not in page
    assert snapshot(db) == before


def test_csv_import_reads_semicolons_and_a_byte_order_mark(organiser_client, db, edition):
    text = ("institute;group_name;tutor_name;tutor_email;subject_area;description;capacity;min_age;"
            "languages;organisation_cap\r\n"
            "Universität Heidelberg;Kirchhoff-Institut;Łukasz Nowak;lukasz@uni-hd.example;Physik;\"a; b\";2;16;en,de;\r\n")
    response = upload(organiser_client, b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert response.status_code == 303
    [lab] = labs_of(db)
    assert (lab.institute, lab.group_name, lab.tutor_name, lab.description, lab.capacity, lab.min_age,
            lab.languages, lab.organisation_cap) == (
        "Universität Heidelberg", "Kirchhoff-Institut", "Łukasz Nowak", "a; b", 2, 16, ["en", "de"], None)


def test_csv_import_counts_rows_as_a_spreadsheet_does(organiser_client, edition):
    text = HEADER + '\nEMBL,A,,,Biology,"two\nlines",1,,en,1,no\n\nEMBL,B,,,Biology,,x,,en,1,no\n'
    response = upload(organiser_client, text)
    assert "<li>Row 4, capacity: Enter a whole number.</li>" in response.text


def test_csv_import_refuses_the_same_lab_twice_in_one_file(organiser_client, db, edition):
    text = HEADER + "\nEMBL,A,,,Biology,,1,,en,1,no\nembl,a,,,Biology,,2,,en,1,no\n"
    response = upload(organiser_client, text)
    assert response.status_code == 400
    assert "Row 3: the same lab (institute and group) is already in row 2." in response.text
    assert labs_of(db) == []


def test_csv_import_without_needed_columns_says_which(organiser_client, edition):
    response = upload(organiser_client, "institute,group_name\nEMBL,A\n")
    assert response.status_code == 400
    assert ("missing: tutor_name, tutor_email, subject_area, description, capacity, min_age, languages, "
            "organisation_cap") in response.text


def test_csv_import_refuses_text_that_is_not_utf8(organiser_client, db, edition):
    text = HEADER + "\nUniversität,A,,,Biology,,1,,en,1,no\n"
    response = upload(organiser_client, text.encode("cp1252"))
    assert response.status_code == 400
    assert "The file is not UTF-8 text." in response.text
    assert labs_of(db) == []


def test_csv_import_caps_the_number_of_rows(organiser_client, db, edition):
    rows = "".join(f"EMBL,Group {n},,,Biology,,1,,en,1,no\n" for n in range(MAX_ROWS + 1))
    response = upload(organiser_client, HEADER + "\n" + rows)
    assert response.status_code == 400
    assert f"The file has more than {MAX_ROWS} rows." in response.text
    assert labs_of(db) == []


def test_csv_import_caps_the_file_size(organiser_client, edition):
    response = upload(organiser_client, HEADER + "\n" + "x" * (1024 * 1024))
    assert response.status_code == 400
    assert "The file is larger than 1024 KB." in response.text


def test_csv_import_without_a_file_asks_for_one(organiser_client, edition):
    response = post_form(organiser_client, "/organiser/labs/import", "/organiser/labs/import", {})
    assert response.status_code == 400
    assert "Choose a CSV file to upload." in response.text


def test_csv_import_can_retire_and_reinstate(organiser_client, db, make, edition):
    lab = make.lab(db, edition, institute="EMBL", group_name="A", subject_area="Biology", capacity=1,
                   languages=["en"], organisation_cap=1)
    upload(organiser_client, HEADER + "\nEMBL,A,,,Biology,,1,,en,1,yes\n")
    assert fresh(db).get(Lab, lab.id).retired is True
    assert [e.action for e in fresh(db).exec(select(AuditEvent)).all()] == ["lab_retired"]
