"""Numbers in addresses and links that no database can hold (an id past PostgreSQL's INTEGER, a
page past any list's end by twenty digits): typed, cut off or pasted wrongly, they must read as
an unknown id or the last page, never reach the driver as an overflow and an error page."""

import re

from tests.conftest import sign_in
from tests.web.test_route_inventory import routes

HUGE = "99999999999999999999999"


def test_an_id_no_row_can_have_in_an_address_is_a_page_not_found(app, client, db, make):
    """Ids beyond what the databases store (PostgreSQL's INTEGER, SQLite's 64 bits) in an address,
    typed or cut and pasted wrongly, are unknown ids like any other: the driver's overflow must not
    surface as an error page."""
    from tests.conftest import post_form
    from tests.factories import PASSWORD

    edition = make.edition(db)
    organisation = make.organisation(db)
    people = {"/organiser": make.organiser(db), "/coordinator": make.coordinator(db, organisation),
              "/host": make.host(db, make.lab(db, edition))}
    checked = 0
    for huge in ("2147483648", "99999999999999999999999"):
        for room, person in people.items():
            client.cookies.clear()
            post_form(client, "/login", "/login", {"email": person.email, "password": PASSWORD})
            for route in routes(app):
                if "GET" not in route.methods or not route.path.startswith(room + "/"):
                    continue
                names = re.findall(r"\{([a-z_]+_id)\}", route.path)
                if not names:
                    continue
                path = re.sub(r"\{[a-z_]+_id\}", huge, route.path)
                path = re.sub(r"\{[^}]+\}", "1", path)
                response = client.get(path, follow_redirects=False)
                assert response.status_code == 404, f"{route.path} with {huge}: {response.status_code}"
                checked += 1
    assert checked >= 40


def test_a_page_or_an_id_past_any_range_in_a_link_is_read_as_none(app, client, db, make):
    edition = make.edition(db)
    sign_in(client, make.organiser(db).email)
    for path in ("/organiser/nominations?page={n}&organisation={n}", "/organiser/matching?page={n}",
                 "/organiser/messages/failed?page={n}", "/organiser/audit?page={n}",
                 "/organiser/messages/compose?page={n}&edition={n}&organisation={n}&lab={n}",
                 "/organiser/interviews?edition={n}", "/organiser/mail?page={n}"):
        for number in ("2147483648", HUGE):
            response = client.get(path.format(n=number), follow_redirects=False)
            assert response.status_code in (200, 303, 404), f"{path} with {number}: {response.status_code}"
    response = client.get(f"/organiser/matching/compare?a={HUGE}&b={HUGE}", follow_redirects=False)
    assert response.status_code in (303, 404)


def test_an_organisation_past_any_id_in_the_coordinator_invitation_is_a_field_error(client, db, make):
    from tests.conftest import post_form

    sign_in(client, make.organiser(db).email)
    response = post_form(client, "/organiser/coordinators", "/organiser/coordinators",
                         {"email": "new@example.org", "full_name": "Ana Nova", "organisation_id": HUGE})
    assert response.status_code == 400
    assert 'href="#f-organisation_id"' in response.text and "Choose a sending organisation." in response.text


def test_forms_naming_a_row_past_any_id_are_refused_with_the_field(client, db, make):
    from tests.conftest import post_form

    edition = make.edition(db)
    bautzen = make.organisation(db, name="Bautzen")
    make.quota(db, edition, bautzen, places=2)
    member = make.panel_member(db, edition)
    sign_in(client, make.organiser(db).email)
    response = post_form(client, "/organiser/places", "/organiser/places/transfer", {
        "from_organisation_id": str(bautzen.id), "to_organisation_id": HUGE, "places": "1", "reason": "x"})
    assert response.status_code == 400 and "2147483647" in response.text
    response = post_form(client, "/organiser/matching", "/organiser/matching/pins",
                         {"nomination_id": HUGE, "lab_id": HUGE}, follow_redirects=False)
    assert response.status_code in (303, 400)
    response = post_form(client, "/organiser/panel", f"/organiser/panel/members/{member.id}/conflicts",
                         {"organisation_id": [str(bautzen.id), HUGE]}, follow_redirects=False)
    assert response.status_code == 303
