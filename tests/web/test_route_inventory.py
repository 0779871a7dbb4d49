"""Every route refuses an anonymous visitor unless it is explicitly marked public, so a new route
cannot slip through without a sign-in check."""

import re

from fastapi.routing import APIRoute

from tests.conftest import csrf_of

PUBLIC = {"/", "/login", "/logout", "/language", "/password/forgot", "/password/reset/{token}",
          "/invitation/{token}", "/access", "/access/{token}", "/consent/{token}", "/consent/{token}/withdraw", "/healthz",
          "/calendar/{token}.ics"}


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def routes(app):
    return list(_walk(app.routes))


def _walk(nodes):
    # FastAPI keeps an included router as one node of app.routes that holds the router's own routes.
    for node in nodes:
        if isinstance(node, APIRoute):
            yield node
        elif hasattr(node, "original_router"):
            yield from _walk(node.original_router.routes)


def test_route_inventory_public_routes_are_exactly_the_expected_ones(app):
    marked = {route.path for route in routes(app) if getattr(route.endpoint, "__ish_public__", False)}
    assert marked == PUBLIC


def test_route_inventory_every_other_route_refuses_an_anonymous_visitor(app, client):
    token = csrf_of(client.get("/login").text)  # so that POSTs fail on sign-in, not on CSRF
    checked = 0
    for route in routes(app):
        if getattr(route.endpoint, "__ish_public__", False):
            continue
        for method in route.methods:
            response = client.request(method, concrete(route.path), data={"csrf_token": token},
                                      follow_redirects=False)
            refused = response.status_code in (401, 403) or (
                response.status_code == 303 and response.headers["location"].startswith(("/login", "/access")))
            assert refused, f"{method} {route.path} answered {response.status_code} to an anonymous visitor"
            checked += 1
    assert checked >= 5


def test_route_inventory_covers_every_route_of_the_app(app):
    # Nothing is mounted outside FastAPI's routing except the static files.
    others = [route.path for route in app.routes
              if not isinstance(route, APIRoute) and not hasattr(route, "original_router")]
    assert others == ["/static"]
    assert len(routes(app)) >= 20


# Which roles may open the pages under each prefix; everyone else is refused (403), whatever the
# page. A new role or prefix belongs here.
ROOMS = {"/organiser": {"organiser"}, "/coordinator": {"coordinator"}, "/panel": {"panel", "organiser"},
         "/host": {"host"}}


def test_route_inventory_every_role_is_refused_outside_its_rooms(app, client, db, make):
    from tests.conftest import post_form
    from tests.factories import PASSWORD

    edition = make.edition(db)
    organisation = make.organisation(db)
    people = {"organiser": make.organiser(db), "coordinator": make.coordinator(db, organisation),
              "panel": make.panel_member(db, edition), "host": make.host(db, make.lab(db, edition))}
    checked = 0
    for role, person in people.items():
        client.cookies.clear()
        post_form(client, "/login", "/login", {"email": person.email, "password": PASSWORD})
        # The session's own token, so that a POST is refused for the role, not for a missing token.
        token = csrf_of(client.get("/").text)
        for route in routes(app):
            room = next((prefix for prefix in ROOMS if route.path == prefix or route.path.startswith(prefix + "/")), None)
            if room is None or role in ROOMS[room]:
                continue
            for method in route.methods:
                response = client.request(method, concrete(route.path), data={"csrf_token": token},
                                          follow_redirects=False)
                assert response.status_code == 403 and "another role" in response.text, f"{role}: {method} {route.path} answered {response.status_code}"
                checked += 1
    assert checked >= 50

