"""A lab's own ranking of candidates, typed on the lab's page or imported from the tutors' feedback."""

import io
import re

from sqlmodel import select

from ish_portal.audit.models import AuditEvent
from ish_portal.labs.models import LabRanking
from ish_portal.placement.rankings import rankings_by_lab
from tests.conftest import csrf_of, fresh, post_form


def ranks_of(db, lab):
    rows = fresh(db).exec(select(LabRanking).where(LabRanking.lab_id == lab.id).order_by(LabRanking.rank)).all()
    return [(row.nomination_id, row.rank) for row in rows]


def upload(client, lab, text):
    token = csrf_of(client.get(f"/organiser/labs/{lab.id}").text)
    return client.post(f"/organiser/labs/{lab.id}/rankings/import", data={"csrf_token": token},
                       files={"file": ("feedback.csv", io.BytesIO(text.encode("utf-8")), "text/csv")},
                       follow_redirects=False)


def test_ranking_page_lists_submitted_and_approved_candidates_only(organiser_client, db, make, edition):
    lab = make.lab(db, edition)
    kumamoto = make.organisation(db, name="Kumamoto")
    make.nomination(db, edition, kumamoto, given_name="Aiko", family_name="Sato", status="approved")
    make.nomination(db, edition, kumamoto, given_name="Ren", family_name="Ito", status="submitted")
    make.nomination(db, edition, kumamoto, given_name="Draft", family_name="Only", status="draft")
    make.nomination(db, edition, kumamoto, given_name="Gone", family_name="Away", status="withdrawn")
    page = organiser_client.get(f"/organiser/labs/{lab.id}").text
    assert "Aiko Sato" in page and "Ren Ito" in page
    assert "Draft Only" not in page and "Gone Away" not in page


def test_ranking_saved_from_the_lab_page_and_read_in_rank_order(organiser_client, db, make, edition):
    lab = make.lab(db, edition)
    org = make.organisation(db)
    a, b, c = (make.nomination(db, edition, org, status="approved") for _ in range(3))
    response = post_form(organiser_client, f"/organiser/labs/{lab.id}", f"/organiser/labs/{lab.id}/rankings",
                         {f"rank-{a.id}": "2", f"rank-{b.id}": "", f"rank-{c.id}": "1"}, follow_redirects=False)
    assert response.status_code == 303
    assert ranks_of(db, lab) == [(c.id, 1), (a.id, 2)]
    assert rankings_by_lab(fresh(db), edition.id) == {lab.id: [c.id, a.id]}
    [event] = fresh(db).exec(select(AuditEvent).where(AuditEvent.action == "lab_ranking_changed")).all()
    assert (event.entity, event.entity_id, event.edition_id) == ("lab", lab.id, edition.id)
    assert event.changes == {str(a.id): [None, 2], str(c.id): [None, 1]}
    page = organiser_client.get(f"/organiser/labs/{lab.id}").text
    assert re.search(rf'name="rank-{c.id}"\s+value="1"', page)


def test_ranking_with_repeated_or_bad_ranks_is_refused_and_values_kept(organiser_client, db, make, edition):
    lab = make.lab(db, edition)
    org = make.organisation(db)
    a, b, c = (make.nomination(db, edition, org, status="submitted") for _ in range(3))
    response = post_form(organiser_client, f"/organiser/labs/{lab.id}", f"/organiser/labs/{lab.id}/rankings",
                         {f"rank-{a.id}": "1", f"rank-{b.id}": "1", f"rank-{c.id}": "0"})
    assert response.status_code == 400
    page = response.text
    assert f'<p class="error" id="e-rank-{b.id}">Rank 1 is given twice.</p>' in page
    assert f'<p class="error" id="e-rank-{a.id}">Rank 1 is given twice.</p>' in page
    assert f'<p class="error" id="e-rank-{c.id}">Enter a whole number of at least 1.</p>' in page
    assert ranks_of(db, lab) == []


def test_ranking_clearing_a_rank_removes_it(organiser_client, db, make, edition):
    lab = make.lab(db, edition)
    org = make.organisation(db)
    a = make.nomination(db, edition, org, status="approved")
    db.add(LabRanking(lab_id=lab.id, nomination_id=a.id, rank=1))
    db.commit()
    post_form(organiser_client, f"/organiser/labs/{lab.id}", f"/organiser/labs/{lab.id}/rankings", {f"rank-{a.id}": ""})
    assert ranks_of(db, lab) == []


def test_ranking_imported_from_the_tutors_feedback(organiser_client, db, make, edition):
    lab = make.lab(db, edition)
    org = make.organisation(db)
    a = make.nomination(db, edition, org, email="aiko@example.org", status="approved")
    b = make.nomination(db, edition, org, email="ren@example.org", status="submitted")
    make.nomination(db, edition, org, email="zoe@example.org", status="approved")
    response = upload(organiser_client, lab, "\ufeffEmail;Rank\r\nREN@example.org;1\r\naiko@example.org;2\r\nzoe@example.org;\r\n")
    assert response.status_code == 303
    assert ranks_of(db, lab) == [(b.id, 1), (a.id, 2)]


def test_ranking_import_with_a_bad_row_changes_nothing(organiser_client, db, make, edition):
    lab = make.lab(db, edition)
    org = make.organisation(db)
    a = make.nomination(db, edition, org, email="aiko@example.org", status="approved")
    make.nomination(db, edition, org, email="ren@example.org", status="approved")
    db.add(LabRanking(lab_id=lab.id, nomination_id=a.id, rank=3))
    db.commit()
    response = upload(organiser_client, lab, "email,rank\naiko@example.org,1\nren@example.org,1\n"
                                             "nobody@example.org,2\naiko@example.org,first\n")
    assert response.status_code == 400
    page = response.text
    assert "<li>Row 5, rank: Enter a whole number of at least 1.</li>" in page
    assert ranks_of(db, lab) == [(a.id, 3)]
    response = upload(organiser_client, lab, "email,rank\naiko@example.org,1\nren@example.org,1\nnobody@example.org,2\n")
    page = response.text
    assert "<li>Row 3, rank: Rank 1 is already given in row 2.</li>" in page
    assert ("<li>Row 4, email: No submitted or approved candidate of this edition has the address "
            "nobody@example.org.</li>") in page
    assert ranks_of(db, lab) == [(a.id, 3)]


def test_rankings_by_lab_leaves_out_retired_labs_and_other_editions(db, make, edition):
    org = make.organisation(db)
    other = make.edition(db, year=2030)
    active, retired, elsewhere = make.lab(db, edition), make.lab(db, edition, retired=True), make.lab(db, other)
    a, b = make.nomination(db, edition, org), make.nomination(db, edition, org)
    db.add_all([LabRanking(lab_id=active.id, nomination_id=a.id, rank=5),
                LabRanking(lab_id=active.id, nomination_id=b.id, rank=2),
                LabRanking(lab_id=retired.id, nomination_id=a.id, rank=1),
                LabRanking(lab_id=elsewhere.id, nomination_id=make.nomination(db, other, org).id, rank=1)])
    db.commit()
    assert rankings_by_lab(db, edition.id) == {active.id: [b.id, a.id]}
