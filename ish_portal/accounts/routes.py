"""Signing in and out, passwords, invitations and applicants' access links."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ish_portal.db import as_id
from ish_portal.errors import DomainError
from ish_portal.accounts import service
from ish_portal.accounts.models import PublicForm, Role, TokenPurpose, User

from ish_portal.applicants import service as applicant_service
from ish_portal.programme.service import organisations
from ish_portal.web.deps import DB, Form, OptionalUser, Organiser, SettingsDep, end_session, public
from ish_portal.web.errors import too_many_requests
from ish_portal.web.flash import flash
from ish_portal.web.language import PICKED, picked_language, reader_language
from ish_portal.text import i18n
from ish_portal.text.i18n import gettext as _
from ish_portal.web.templating import redirect, render

router = APIRouter()

DASHBOARDS = {Role.ORGANISER: "/organiser", Role.COORDINATOR: "/coordinator", Role.PANEL: "/panel",
              Role.HOST: "/host"}


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _safe_next(target: str | None) -> str | None:
    """Only paths on this site, with their query string (a list keeps its filters), so a crafted
    link cannot send people elsewhere after sign-in or a change of language. Browsers read a
    backslash as a slash and drop tabs and line breaks (so "/" + backslash + "evil.example" leaves
    the site): a target with any of them is refused."""
    if not target or not target.startswith("/") or target.startswith("//") or len(target) > 2000:
        return None
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7f for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _start_session(request: Request, db, user: User) -> None:
    # A language picked on the way in (the sign-in page in Hebrew, say) is theirs from now on.
    picked = picked_language(request)
    if picked and picked != user.language:
        service.remember_language(db, user, picked)
    request.session.clear()  # a new session id for a new identity
    request.session.update({"uid": user.id, "uv": user.session_version, "lang": user.language})


@router.get("/", response_class=HTMLResponse)
@public
def home(request: Request, user: OptionalUser):
    if user is not None:
        return redirect(DASHBOARDS[Role(user.role)])
    if request.session.get("applicant") is not None:
        return redirect("/applicant")
    return render(request, "accounts/home.html")


@router.get("/login", response_class=HTMLResponse)
@public
def login_page(request: Request, user: OptionalUser, next: str | None = None):
    if user is not None:
        return redirect(DASHBOARDS[Role(user.role)])
    return render(request, "accounts/login.html", {"next": _safe_next(next) or ""})


@router.post("/login", response_class=HTMLResponse)
@public
def login(request: Request, db: DB, form: Form):
    email = str(form.get("email", ""))
    password = str(form.get("password", ""))
    target = _safe_next(str(form.get("next", "")))
    errors = {}
    if not email.strip():
        errors["email"] = _("Enter your email address.")
    elif len(email.strip()) > service.EMAIL_MAX_LENGTH:
        errors["email"] = email_problem(email.strip(), "")
        email = email.strip()[:service.EMAIL_MAX_LENGTH]
    if not password:
        errors["password"] = _("Enter your password.")
    if not errors:
        try:
            user = service.sign_in(db, email, password, _client_address(request))
        except DomainError as exc:
            errors["__all__"] = str(exc)
        else:
            _start_session(request, db, user)
            return redirect(target or DASHBOARDS[Role(user.role)])
    return render(request, "accounts/login.html",
                  {"errors": errors, "values": {"email": email}, "next": target or ""}, status_code=400)


def email_problem(email: str, empty: str) -> str | None:
    """What is wrong with an address typed into a public form; `empty` says what to enter."""
    if len(email) > service.EMAIL_MAX_LENGTH:
        return _("The email address is too long: it may have at most %(count)d characters.",
                 count=service.EMAIL_MAX_LENGTH)
    if "@" not in email:
        return empty
    return None


@router.post("/logout")
@public
def logout(request: Request, db: DB, user: OptionalUser):
    # Ended on the server too, so a copy of the cookie signs no one in.
    if user is not None:
        service.sign_out(db, user.id)
    if request.session.get("al") is not None:
        service.end_applicant_session(db, request.session.get("al"))
    end_session(request)
    flash(request, _("You have signed out."))
    return redirect("/login")


@router.post("/language")
@public
def switch_language(request: Request, db: DB, user: OptionalUser, form: Form):
    """Switches the language of every page; remembered in the session (and for staff, their account)."""
    code = str(form.get("language", ""))
    if i18n.known(code):
        request.session["lang"] = code
        request.session[PICKED] = True
        if user is not None:
            service.remember_language(db, user, code)
        elif request.session.get("applicant") is not None and service.applicant_session_is_live(
                db, request.session.get("al"), request.session["applicant"], applicant_service.email_of(
                    db, request.session["applicant"])):
            applicant_service.remember_language(db, request.session["applicant"], code)
    return redirect(_safe_next(str(form.get("next", ""))) or "/")


# -- forgotten password ------------------------------------------------------------------------

@router.get("/password/forgot", response_class=HTMLResponse)
@public
def forgot_page(request: Request):
    return render(request, "accounts/forgot.html")


@router.post("/password/forgot", response_class=HTMLResponse)
@public
def forgot(request: Request, db: DB, form: Form):
    email = str(form.get("email", "")).strip()
    problem = email_problem(email, _("Enter the email address of your account."))
    if problem:
        # Never more of it than a valid address may have.
        return render(request, "accounts/forgot.html", {
            "errors": {"email": problem}, "values": {"email": email[:service.EMAIL_MAX_LENGTH]}}, status_code=400)
    # The worker looks the address up and writes the email: the answer takes as long either way.
    waiting = service.queue_public_request(db, PublicForm.PASSWORD_RESET, _client_address(request), email)
    if waiting is not None:
        return too_many_requests(request, waiting)
    return render(request, "accounts/link_sent.html", {"email": email, "kind": "reset"})


@router.get("/password/reset/{token}", response_class=HTMLResponse)
@public
def reset_page(request: Request, db: DB, token: str):
    try:
        service.find_token(db, token, TokenPurpose.PASSWORD_RESET)
    except DomainError as exc:
        return render(request, "accounts/link_invalid.html", {"message": str(exc)}, status_code=410)
    return render(request, "accounts/set_password.html", {"action": f"/password/reset/{token}",
                                                          "title": _("Choose a new password")})


@router.post("/password/reset/{token}", response_class=HTMLResponse)
@public
def reset(request: Request, db: DB, form: Form, token: str):
    password, errors = _new_password(form)
    if not errors:
        try:
            service.reset_password(db, token, password)
        except DomainError as exc:
            errors["password"] = str(exc)
        else:
            flash(request, _("Your password has been changed. Sign in with the new one."))
            return redirect("/login")
    return render(request, "accounts/set_password.html", {
        "action": f"/password/reset/{token}", "title": _("Choose a new password"), "errors": errors},
        status_code=400)


def _new_password(form) -> tuple[str, dict[str, str]]:
    password = str(form.get("password", ""))
    errors = {}
    if password != str(form.get("password_again", "")):
        errors["password_again"] = _("The two passwords are not the same.")
    problem = service.password_problem(password)
    if problem:
        errors["password"] = problem
    return password, errors


# -- invitations ----------------------------------------------------------------------------

@router.get("/invitation/{token}", response_class=HTMLResponse)
@public
def invitation_page(request: Request, db: DB, token: str):
    try:
        access = service.find_token(db, token, TokenPurpose.INVITATION)
    except DomainError as exc:
        return render(request, "accounts/link_invalid.html", {"message": str(exc)}, status_code=410)
    return render(request, "accounts/set_password.html", {
        "action": f"/invitation/{token}", "title": _("Welcome to the ISH portal"), "email": access.email})


@router.post("/invitation/{token}", response_class=HTMLResponse)
@public
def accept_invitation(request: Request, db: DB, form: Form, token: str):
    password, errors = _new_password(form)
    if not errors:
        try:
            user = service.accept_invitation(db, token, password)
        except DomainError as exc:
            errors["password"] = str(exc)
        else:
            _start_session(request, db, user)
            flash(request, _("Your account is ready. Welcome!"))
            return redirect(DASHBOARDS[Role(user.role)])
    return render(request, "accounts/set_password.html", {
        "action": f"/invitation/{token}", "title": _("Welcome to the ISH portal"), "errors": errors},
        status_code=400)


# -- applicants -----------------------------------------------------------------------------

@router.get("/access", response_class=HTMLResponse)
@public
def access_page(request: Request):
    return render(request, "accounts/access.html")


@router.post("/access", response_class=HTMLResponse)
@public
def request_access(request: Request, db: DB, form: Form):
    email = str(form.get("email", "")).strip()
    problem = email_problem(email, _("Enter the email address your coordinator nominated you with."))
    if problem:
        return render(request, "accounts/access.html", {
            "errors": {"email": problem}, "values": {"email": email[:service.EMAIL_MAX_LENGTH]}}, status_code=400)
    waiting = service.queue_public_request(db, PublicForm.ACCESS, _client_address(request), email)
    if waiting is not None:
        return too_many_requests(request, waiting)
    return render(request, "accounts/link_sent.html", {"email": email, "kind": "access"})


@router.get("/access/{token}", response_class=HTMLResponse)
@public
def access_link_page(request: Request, db: DB, token: str):
    # A GET only shows a button: mail scanners that open links must not use up the link.
    try:
        link = service.find_token(db, token, TokenPurpose.APPLICANT_ACCESS)
    except DomainError as exc:
        return render(request, "accounts/link_invalid.html", {"message": str(exc), "kind": "access"},
                      status_code=410)
    language = applicant_service.language_of(db, link.nomination_id)
    if language:
        reader_language(request, language)
    return render(request, "accounts/access_enter.html", {"token": token})


@router.post("/access/{token}", response_class=HTMLResponse)
@public
def enter_with_link(request: Request, db: DB, token: str):
    try:
        nomination, target, link_id = applicant_service.enter_with_access_link(db, token)
    except DomainError as exc:
        return render(request, "accounts/link_invalid.html", {"message": str(exc), "kind": "access"},
                      status_code=410)
    picked = picked_language(request)
    if picked and picked != nomination.language:
        applicant_service.remember_language(db, nomination.id, picked)
        nomination.language = picked
    request.session.clear()
    request.session.update({"applicant": nomination.id, "al": link_id, "lang": nomination.language})
    return redirect(target)


# -- organisers manage coordinators -----------------------------------------------------------

@router.get("/organiser/coordinators", response_class=HTMLResponse)
def coordinators_page(request: Request, db: DB, user: Organiser):
    return render(request, "accounts/coordinators.html", {
        "coordinators": service.coordinators(db), "organisations": organisations(db)})


@router.post("/organiser/coordinators", response_class=HTMLResponse)
def invite(request: Request, db: DB, settings: SettingsDep, user: Organiser, form: Form):
    values = {key: str(form.get(key, "")).strip() for key in ("email", "full_name", "organisation_id")}
    errors = {}
    if "@" not in values["email"] or len(values["email"]) > 254:
        errors["email"] = _("Enter an email address like name@example.org.")
    if not values["full_name"]:
        errors["full_name"] = _("Enter the coordinator's name.")
    organisation_id = as_id(values["organisation_id"])
    if organisation_id is None:
        errors["organisation_id"] = _("Choose a sending organisation.")
    if not errors:
        try:
            invited = service.invite_coordinator(
                db, user, email=values["email"], full_name=values["full_name"],
                organisation_id=organisation_id, base_url=settings.base_url,
                valid_for=timedelta(days=settings.invitation_days))
        except DomainError as exc:
            errors["email"] = str(exc)
        else:
            flash(request, _("Invitation sent to %(email)s.", email=invited.email))
            return redirect("/organiser/coordinators")
    return render(request, "accounts/coordinators.html", {
        "coordinators": service.coordinators(db), "organisations": organisations(db),
        "errors": errors, "values": values}, status_code=400)


@router.post("/organiser/coordinators/{user_id}/active")
def set_active(request: Request, db: DB, user: Organiser, form: Form, user_id: int):
    active = form.get("active") == "1"
    try:
        coordinator = service.set_active(db, user, user_id, active)
    except DomainError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, _("%(name)s can sign in again.", name=coordinator.full_name) if active
              else _("%(name)s can no longer sign in.", name=coordinator.full_name))
    return redirect("/organiser/coordinators")
