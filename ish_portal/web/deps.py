"""The dependencies routes declare: the database session, the settings, the form, and who is
asking. Signed-in identity lives in the signed session cookie:
  uid + uv   an organiser's or coordinator's user id and session version (bumped on sign-out,
             deactivation and a new password, which ends every session signed before)
  applicant  the nomination id of an applicant who came in through their access link, and
  al         the id of that link, whose session ends on the server when they sign out or ask
             for a newer link (accounts.service.applicant_link_holds, which applicant_session below asks)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from sqlalchemy import bindparam
from sqlmodel import Session, select
from starlette.datastructures import FormData

from ish_portal.accounts.models import AccessToken, Role, User
from ish_portal.accounts.service import applicant_link_holds
from ish_portal.db import as_id, holding_what_is_read
from ish_portal.nominations.models import Nomination
from ish_portal.programme.models import Edition
from ish_portal.programme.service import CURRENT_EDITION, newest_edition_id
from ish_portal.settings import Settings


def ids_in_range(request: Request) -> None:
    """Every route's first check: a number in the address where an id goes (a path parameter named
    ..._id) that no row can have is a page that does not exist, as any unknown id is. What is not
    a number at all is left to the route's own validation."""
    for name, value in request.path_params.items():
        if name.endswith("_id") and isinstance(value, str) and value.strip().lstrip("+-").isdigit() \
                and as_id(value) is None:
            raise HTTPException(404)


def get_db(request: Request) -> Iterator[Session]:
    # Messages written in this session link to the portal's public address. What a request reads
    # stays in its session until the request ends, so a row looked up by id again (an edition, an
    # organisation, the signed-in user) is found there instead of read once more.
    with Session(request.app.state.engine, expire_on_commit=False,
                 info={"base_url": request.app.state.settings.base_url}) as session, \
            holding_what_is_read(session):
        yield session


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_form(request: Request) -> FormData:
    """The submitted form; Starlette caches it, so the CSRF check and the route read it once."""
    return await request.form()


DB = Annotated[Session, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
Form = Annotated[FormData, Depends(get_form)]


@dataclass(frozen=True)
class SignedIn:
    full_name: str
    email: str
    role: str

    @property
    def is_organiser(self) -> bool:
        return self.role == Role.ORGANISER

    @property
    def is_coordinator(self) -> bool:
        return self.role == Role.COORDINATOR

    @property
    def is_panel(self) -> bool:
        return self.role == Role.PANEL

    @property
    def is_host(self) -> bool:
        return self.role == Role.HOST


class NotAuthenticated(Exception):
    """Raised for an anonymous visitor on a page that needs sign-in; answered by a redirect."""

    def __init__(self, applicant: bool = False) -> None:
        super().__init__()
        self.applicant = applicant


class Forbidden(Exception):
    """Signed in, but this page belongs to another role."""


def end_session(request: Request) -> None:
    """Signs whoever is signed in out, keeping only the language they chose."""
    language = request.session.get("lang")
    request.session.clear()
    if language:
        request.session["lang"] = language


def public(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Marks a route as open to anonymous visitors. Every other route must refuse them, and
    tests/web/test_route_inventory.py checks that it does."""
    endpoint.__ish_public__ = True  # type: ignore[attr-defined]
    return endpoint


# The signed-in person and the newest edition in one statement: nearly every staff page needs both.
_USER_AND_CURRENT_EDITION = (select(User, Edition).outerjoin(Edition, Edition.id == newest_edition_id())
                             .where(User.id == bindparam("user_id")))


def optional_user(request: Request, db: DB) -> User | None:
    user_id = as_id(request.session.get("uid"))
    user = None
    if user_id is not None and (row := db.exec(_USER_AND_CURRENT_EDITION, params={"user_id": user_id}).first()):
        user, db.info[CURRENT_EDITION] = row
    if user is not None and (not user.is_active or request.session.get("uv") != user.session_version):
        request.session.pop("uid", None)
        user = None
    # What the page layout shows of the signed-in person, kept apart from the database session,
    # which may be closed or rolled back by the time an error page is rendered.
    request.state.user = SignedIn(user.full_name, user.email, user.role) if user else None
    return user


def require_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        raise NotAuthenticated()
    return user


def _require_role(*roles: Role) -> Callable[[User], User]:
    def dependency(user: Annotated[User, Depends(require_user)]) -> User:
        if user.role not in roles:
            raise Forbidden()
        return user
    return dependency


def applicant_session(request: Request, db: DB) -> tuple[Nomination, Edition]:
    """The candidate whose session this is, and their edition, in one query with the access link
    the session was opened with (which must still hold)."""
    nomination_id, token_id = request.session.get("applicant"), request.session.get("al")
    found = None
    if isinstance(nomination_id, int) and isinstance(token_id, int):
        found = db.exec(_APPLICANT_SESSION, params={"nomination_id": nomination_id, "token_id": token_id}).first()
    if found is None or not applicant_link_holds(found[2], found[0].id, found[0].email):
        request.session.pop("applicant", None)
        request.session.pop("al", None)
        raise NotAuthenticated(applicant=True)
    return found[0], found[1]


# Built once, as the other statements of the applicant's status page are (docs/performance.md).
_APPLICANT_SESSION = (select(Nomination, Edition, AccessToken).join(Edition, Edition.id == Nomination.edition_id)
                      .outerjoin(AccessToken, AccessToken.id == bindparam("token_id"))
                      .where(Nomination.id == bindparam("nomination_id")))


def require_applicant(session: Annotated[tuple[Nomination, Edition], Depends(applicant_session)]) -> Nomination:
    return session[0]


def applicant_edition(session: Annotated[tuple[Nomination, Edition], Depends(applicant_session)]) -> Edition:
    return session[1]


CurrentUser = Annotated[User, Depends(require_user)]
OptionalUser = Annotated[User | None, Depends(optional_user)]
Organiser = Annotated[User, Depends(_require_role(Role.ORGANISER))]
Coordinator = Annotated[User, Depends(_require_role(Role.COORDINATOR))]
# Who may open the panel's pages: panel accounts and organisers. What each may do there (review,
# interview, which edition, which nominations) is the panel's service to say, from PanelMember.
PanelUser = Annotated[User, Depends(_require_role(Role.PANEL, Role.ORGANISER))]
Host = Annotated[User, Depends(_require_role(Role.HOST))]
Applicant = Annotated[Nomination, Depends(require_applicant)]
# The applicant's edition, read with them: a route asking for both sends one query.
ApplicantEdition = Annotated[Edition, Depends(applicant_edition)]


def client_address(request: Request) -> str:
    """The asker's address, as recorded with a consent. `ish-portal serve` runs uvicorn with
    proxy_headers and trusts X-Forwarded-For from a proxy on 127.0.0.1, so behind the usual local
    reverse proxy this is the visitor's address, not the proxy's."""
    return request.client.host if request.client else ""
