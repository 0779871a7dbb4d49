"""A coordinator of one organisation gets 404 for every page, download and action of another
organisation's candidates: the same answer as for a candidate that does not exist."""

import re

from fastapi.routing import APIRoute
from sqlmodel import select

from ish_portal.nominations.models import Document, Nomination
from tests.conftest import csrf_of, fresh, post_form
from tests.factories import PASSWORD
from tests.web.test_route_inventory import routes


def test_coordinator_gets_404_for_everything_of_another_organisation(app, client, db, make):
    edition = make.edition(db)
    kumamoto, rehovot = make.organisation(db, name="Kumamoto"), make.organisation(db, name="Rehovot")
    make.quota(db, edition, kumamoto)
    make.quota(db, edition, rehovot)
    theirs = make.complete_draft(db, edition, rehovot, given_name="Noa")
    document = fresh(db).exec(select(Document).where(Document.nomination_id == theirs.id)).first()
    make.coordinator(db, kumamoto, email="cora@kumamoto.example")
    post_form(client, "/login", "/login", {"email": "cora@kumamoto.example", "password": PASSWORD})
    token = csrf_of(client.get("/coordinator").text)

    checked = []
    for route in routes(app):
        if "{nomination_id}" not in route.path and "{document_id}" not in route.path:
            continue
        path = route.path.replace("{nomination_id}", str(theirs.id)).replace("{document_id}", str(document.id))
        for method in route.methods:
            if route.path.startswith(("/organiser", "/panel", "/host/")):
                # Organisers', the panel's and the hosts' pages refuse coordinators with 403 (tested
                # elsewhere; a reviewer's scope to their assignments in tests/panel/test_panel_review.py).
                continue
            response = client.request(method, path, data={"csrf_token": token, "reason": "x", "kind": "cv"},
                                      follow_redirects=False)
            assert response.status_code == 404, f"{method} {path} answered {response.status_code}"
            assert "Noa" not in response.text
            checked.append(f"{method} {route.path}")
    assert len(checked) >= 8
    fresh(db)
    assert db.get(Nomination, theirs.id).status == "draft"
    assert db.exec(select(Document).where(Document.nomination_id == theirs.id)).all() != []


def test_coordinator_list_shows_only_their_own_candidates(client, db, make):
    edition = make.edition(db)
    kumamoto, rehovot = make.organisation(db, name="Kumamoto"), make.organisation(db, name="Rehovot")
    make.quota(db, edition, kumamoto)
    make.nomination(db, edition, kumamoto, given_name="Haruto")
    make.nomination(db, edition, rehovot, given_name="Noa")
    make.coordinator(db, kumamoto, email="cora@kumamoto.example")
    post_form(client, "/login", "/login", {"email": "cora@kumamoto.example", "password": PASSWORD})
    page = client.get("/coordinator").text
    assert "Haruto" in page and "Noa" not in page


def test_document_download_refused_to_anonymous_and_other_applicants(app, client, db, make):
    from fastapi.testclient import TestClient
    edition, organisation = make.edition(db), make.organisation(db)
    make.quota(db, edition, organisation)
    theirs = make.complete_draft(db, edition, organisation)
    document = fresh(db).exec(select(Document).where(Document.nomination_id == theirs.id)).first()
    assert client.get(f"/documents/{document.id}", follow_redirects=False).status_code == 303
    other = make.nomination(db, edition, organisation, email="other@example.org")
    with TestClient(app, base_url="http://testserver") as applicant:
        # An applicant's session holds their own nomination id only.
        from ish_portal.accounts.service import issue_token
        from ish_portal.accounts.models import TokenPurpose
        from datetime import timedelta
        raw = issue_token(db, TokenPurpose.APPLICANT_ACCESS, other.email, timedelta(days=1), nomination_id=other.id)
        db.commit()
        post_form(applicant, f"/access/{raw}", f"/access/{raw}", {})
        assert applicant.get("/applicant").status_code == 200
        assert applicant.get(f"/documents/{document.id}").status_code == 404


def test_route_paths_with_ids_are_all_scoped(app):
    # A reminder for the next route: every path with a nomination or document id is in the test above.
    with_ids = [r.path for r in routes(app) if re.search(r"\{(nomination|document)_id\}", r.path)]
    # The panel's and the hosts' pages are scoped to assignments and labs (tests/panel, tests/hosts).
    assert all(p.startswith(("/coordinator/", "/documents/", "/organiser/", "/panel/", "/host/labs/"))
               for p in with_ids), with_ids
    assert isinstance(routes(app)[0], APIRoute)
