"""The applicant's side: where they stand, their profile, lab preferences, consent, the offer and
their data. Every route takes the applicant's nomination from their session (Applicant), never
from the address, so there is nothing of another applicant to reach."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response


from ish_portal.errors import DomainError
from ish_portal.applicants import service
from ish_portal.interviews import service as interviews
from ish_portal.applicants.forms import WORKING_LANGUAGES, ProfileForm
from ish_portal.labs.models import Lab
from ish_portal.programme.models import Organisation
from ish_portal.text.i18n import language_name
from ish_portal.nominations.forms import countries
from ish_portal.nominations.service import is_minor
from ish_portal.placement import messages as letters, offers as placement
from ish_portal.accounts.models import PublicForm
from ish_portal.accounts.service import NAME_MAX_LENGTH, end_applicant_session, queue_public_request
from ish_portal.nominations import consent
from ish_portal.web.deps import DB, Applicant, ApplicantEdition, Form, Organiser, client_address, end_session, public
from ish_portal.web.errors import too_many_requests
from ish_portal.web.flash import flash
from ish_portal.web.forms import form_values, validate
from ish_portal.web.language import reader_language
from ish_portal.text.i18n import current_language, gettext as _
from ish_portal.web.templating import redirect, render

router = APIRouter()


@router.get("/applicant", response_class=HTMLResponse)
def applicant_status(request: Request, db: DB, nomination: Applicant, edition: ApplicantEdition):
    standing = service.standing(db, nomination, edition)
    return render(request, "applicants/status.html", {
        "nomination": nomination, "edition": edition,
        "organisation": standing.organisation, "coordinators": standing.coordinators,
        "stages": standing.stages, "pending": standing.pending,
        "offer": standing.offer, "offer_lab": standing.offer_lab,
        "minor": is_minor(nomination, edition), "preferences_open": service.preferences_open(edition),
        "can_rank": service.can_rank(nomination, edition),
        "consent_missing": standing.consent_missing, "documents": standing.documents,
        "consents": standing.consents, "outcome": standing.outcome,
        "reader_zone": standing.organisation.time_zone, **interviews.on_status_page(db, nomination)})


@router.post("/applicant/sign-out")
def applicant_sign_out(request: Request, db: DB, nomination: Applicant):
    # Ended on the server too, so a copy of the cookie no longer opens anything.
    end_applicant_session(db, request.session.get("al"))
    end_session(request)
    return render(request, "accounts/signed_out.html")


# -- profile and consent ------------------------------------------------------------------------

def _profile_page(request, nomination, values, errors, status_code=200):
    return render(request, "applicants/profile.html", {
        "nomination": nomination, "values": values, "errors": errors,
        "languages": [(code, language_name(code)) for code in WORKING_LANGUAGES],
        "countries": countries(current_language())}, status_code=status_code)


@router.get("/applicant/profile", response_class=HTMLResponse)
def profile_page(request: Request, nomination: Applicant):
    values = nomination.model_dump()
    values["passport_expiry"] = nomination.passport_expiry.isoformat() if nomination.passport_expiry else ""
    values["arrival_on"] = nomination.arrival_on.isoformat() if nomination.arrival_on else ""
    return _profile_page(request, nomination, values, {})


@router.post("/applicant/profile", response_class=HTMLResponse)
def save_profile(request: Request, db: DB, nomination: Applicant, edition: ApplicantEdition, form: Form):
    values = form_values(form)
    values["working_languages"] = form.getlist("working_languages")
    for consent_to_hosts in ("dietary_for_hosts", "cv_for_hosts"):
        values[consent_to_hosts] = values.get(consent_to_hosts) == "yes"
    profile, errors = validate(ProfileForm, values)
    if profile is not None:  # well formed; now against this summer's dates
        errors = service.dates_outside_the_programme(profile, edition)
    if profile is not None and not errors:
        service.update_profile(db, nomination.id, profile)
        flash(request, _("Your profile is saved."))
        return redirect("/applicant")
    return _profile_page(request, nomination, values, errors, 400)


@router.post("/applicant/consent")
def give_consent(request: Request, db: DB, nomination: Applicant, form: Form):
    name = str(form.get("consent_name", ""))[:200]
    if form.get("agree") != "yes":
        flash(request, _("Tick the box to give your consent."), "error")
    elif not name.strip():
        flash(request, _("Enter your full name as your signature."), "error")
    else:
        try:
            service.give_own_consent(db, nomination.id, name, str(form.get("consent_text", ""))[:64],
                                     client_address(request))
        except DomainError as exc:
            flash(request, str(exc), "error")
        else:
            flash(request, _("Thank you: your consent is recorded."))
    # Back to the offer when the consent was given on its page; only the applicant's own pages.
    return redirect("/applicant/offer" if form.get("next") == "/applicant/offer" else "/applicant")


@router.post("/applicant/consent/withdraw")
def withdraw_consent(request: Request, db: DB, nomination: Applicant, form: Form):
    if form.get("confirm") != "yes":
        flash(request, _("Tick the box to confirm that you withdraw your consent."), "error")
        return redirect("/applicant#own-consent")
    try:
        service.withdraw_own_consent(db, nomination.id, client_address(request))
    except DomainError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, _("Your consent is withdrawn. You can give it again here at any time."))
    return redirect("/applicant")


# -- lab preferences ----------------------------------------------------------------------------

@router.get("/applicant/labs", response_class=HTMLResponse)
def labs_page(request: Request, db: DB, nomination: Applicant, edition: ApplicantEdition):
    return _labs_page(request, db, nomination, edition)


def _labs_page(request, db, nomination, edition, error="", status_code=200):
    ranked = service.preferences_of(db, nomination)
    return render(request, "applicants/labs.html", {
        "nomination": nomination, "edition": edition, "ranked": ranked, "ranked_ids": {lab.id for lab in ranked},
        "choices": service.lab_choices(db, nomination, edition),
        # Open for this applicant: the preferences are open and their nomination is under review.
        "open": service.can_rank(nomination, edition), "preferences_open": service.preferences_open(edition),
        "error": error}, status_code=status_code)


@router.post("/applicant/labs", response_class=HTMLResponse)
def change_labs(request: Request, db: DB, nomination: Applicant, edition: ApplicantEdition, form: Form):
    action = str(form.get("action", ""))
    lab_id = str(form.get("lab_id", ""))
    if not lab_id.isdigit():
        return _labs_page(request, db, nomination, edition, _("Choose a lab."), 400)
    try:
        ranking = service.change_preferences(db, nomination.id, action, int(lab_id))
    except DomainError as exc:
        return _labs_page(request, db, nomination, edition, str(exc), 400)
    # Said on the next page in the ranking's live region, for those who cannot see the list move.
    lab = db.get(Lab, int(lab_id))
    if int(lab_id) in ranking:
        position = ranking.index(int(lab_id)) + 1
        words = (_("%(lab)s added at position %(position)d of %(count)d.") if action == "add"
                 else _("%(lab)s moved to position %(position)d of %(count)d."))
        flash(request, words % {"lab": lab.group_name, "position": position, "count": len(ranking)}, "ranking")
        return redirect(f"/applicant/labs#ranked-{lab_id}")
    flash(request, _("%(lab)s removed from your ranking.", lab=lab.group_name), "ranking")
    return redirect("/applicant/labs#ranking-title")


# -- the offer ----------------------------------------------------------------------------------

def _offer_context(db, nomination, edition):
    offer = placement.open_offer(db, nomination)
    if offer is None:
        raise HTTPException(404)
    return {"nomination": nomination, "offer": offer, "lab": db.get(Lab, offer.lab_id), "edition": edition,
            "reader_zone": db.get(Organisation, nomination.organisation_id).time_zone}


@router.get("/applicant/offer", response_class=HTMLResponse)
def offer_page(request: Request, db: DB, nomination: Applicant, edition: ApplicantEdition):
    """Where the offer email's personal link leads: the offer, and what is needed to accept it."""
    if placement.open_offer(db, nomination) is None:
        return redirect("/applicant")
    return render(request, "applicants/offer.html", {**_offer_context(db, nomination, edition),
                                                     "consent_missing": placement.consent_missing(db, nomination),
                                                     "consents": consent.standings(db, nomination, edition)})


@router.get("/applicant/offer/{answer}", response_class=HTMLResponse)
def confirm_answer(request: Request, db: DB, nomination: Applicant, edition: ApplicantEdition, answer: str):
    if answer not in ("accept", "decline"):
        raise HTTPException(404)
    return render(request, "applicants/offer_confirm.html", {**_offer_context(db, nomination, edition), "answer": answer})


@router.post("/applicant/offer/{answer}", response_class=HTMLResponse)
def answer_offer(request: Request, db: DB, nomination: Applicant, edition: ApplicantEdition, form: Form,
                 answer: str):
    if answer not in ("accept", "decline"):
        raise HTTPException(404)
    context = _offer_context(db, nomination, edition)
    try:
        placement.respond(db, nomination.id, context["offer"].id, answer == "accept",
                          str(form.get("reason", ""))[:1000])
    except DomainError as exc:
        return render(request, "applicants/offer_confirm.html", {**context, "answer": answer,
                                                                 "error": str(exc)}, status_code=409)
    flash(request, _("Welcome to the ISH! Your place is confirmed.") if answer == "accept"
          else _("You have declined the offer. We are sorry you cannot come."))
    return redirect("/applicant")


# -- their data ---------------------------------------------------------------------------------

@router.get("/applicant/data", response_class=HTMLResponse)
def data_page(request: Request, nomination: Applicant):
    return render(request, "applicants/data.html", {"nomination": nomination})


@router.get("/applicant/data.zip")
def download_data(db: DB, nomination: Applicant):
    return Response(service.export_everything(db, nomination), media_type="application/zip", headers={
        "Content-Disposition": 'attachment; filename="ish-my-data.zip"', "Cache-Control": "private, no-store"})


@router.post("/applicant/deletion")
def ask_for_deletion(request: Request, db: DB, nomination: Applicant, form: Form):
    if form.get("confirm") != "yes":
        # Shown beside the box, which the error is tied to.
        return render(request, "applicants/data.html", {"nomination": nomination, "errors": {
            "confirm": _("Tick the box to confirm that you want your data deleted.")}}, status_code=400)
    service.request_deletion(db, nomination.id)
    flash(request, _("Your request is recorded. The organisers will delete your data and tell you by email."))
    return redirect("/applicant/data")


# -- organisers carry out deletion requests -----------------------------------------------------

@router.get("/organiser/deletions", response_class=HTMLResponse)
def deletion_requests(request: Request, db: DB, user: Organiser):
    return render(request, "applicants/deletions.html", {"requests": service.deletion_requests(db)})


@router.post("/organiser/deletions/{nomination_id}")
def erase(request: Request, db: DB, user: Organiser, form: Form, nomination_id: int):
    if form.get("confirm") != "yes":
        return render(request, "applicants/deletions.html", {
            "requests": service.deletion_requests(db),
            "row_errors": {nomination_id: {"confirm": _("Tick the box to confirm the deletion.")}}}, status_code=400)
    try:
        service.erase(db, user, nomination_id)
    except DomainError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, _("The personal data has been deleted."))
    return redirect("/organiser/deletions")


# -- a guardian's consent, through their own link --------------------------------------------------

def _asks_nothing(link) -> bool:
    """Withdrawn or otherwise over before the guardian answered: nothing is asked of them."""
    return link.nomination.status in service.OVER and link.consent.record is None


def _guardian_page(request, link, token, errors=None, values=None, status_code=200):
    if _asks_nothing(link):
        return render(request, "applicants/consent_done.html", {"nomination": link.nomination, "over": True})
    return render(request, "applicants/consent.html", {
        "nomination": link.nomination, "edition": link.edition, "token": token, "consent": link.consent,
        "text": consent.current_text("guardian"), "values": values or {}, "errors": errors or {},
        "facts": consent.page_values(link.nomination, link.edition)}, status_code=status_code)


def _speak_to_guardian(request, db, token: str) -> None:
    reader_language(request, service.guardian_language_of(db, token))


def _link_failed(request, exc):
    return render(request, "applicants/consent_done.html", {"message": str(exc), "failed": True}, status_code=410)


@router.get("/consent/{token}", response_class=HTMLResponse)
@public
def consent_page(request: Request, db: DB, token: str):
    """The guardian's page: the consent to give (again, when the text changed or it was
    withdrawn), or the consent given, with the way to withdraw it."""
    _speak_to_guardian(request, db, token)
    try:
        link = service.consent_request(db, token)
    except DomainError as exc:
        return _link_failed(request, exc)
    return _guardian_page(request, link, token)


@router.post("/consent/{token}", response_class=HTMLResponse)
@public
def give_guardian_consent(request: Request, db: DB, form: Form, token: str):
    _speak_to_guardian(request, db, token)
    name = str(form.get("guardian_name", "")).strip()
    errors = {}
    if form.get("agree") != "yes":
        errors["agree"] = _("Tick the box to give your consent.")
    if not name:
        errors["guardian_name"] = _("Enter your full name as your signature.")
    elif len(name) > NAME_MAX_LENGTH:
        errors["guardian_name"] = _("Your full name is too long: it may have at most %(count)d characters.",
                                    count=NAME_MAX_LENGTH)
        name = name[:NAME_MAX_LENGTH]  # never echoed longer than it may be
    address = request.client.host if request.client else "unknown"
    waiting = queue_public_request(db, PublicForm.CONSENT, address, done=True)
    if waiting is not None:
        return too_many_requests(request, waiting)
    try:
        asked = service.consent_request(db, token)
    except DomainError as exc:
        return _link_failed(request, exc)
    if _asks_nothing(asked):
        return _guardian_page(request, asked, token)  # which says that nothing is asked any more
    if not errors:
        try:
            nomination = service.give_guardian_consent(db, token, name, str(form.get("consent_text", ""))[:64],
                                                       client_address(request))
        except DomainError as exc:  # the text changed since the page was opened, say
            errors["__all__"] = str(exc)
        else:
            return render(request, "applicants/consent_done.html", {"nomination": nomination})
    try:
        link = service.consent_request(db, token)
    except DomainError as exc:
        return _link_failed(request, exc)
    return _guardian_page(request, link, token, errors, {"guardian_name": name}, 400)


@router.get("/consent/{token}/withdraw", response_class=HTMLResponse)
@public
def confirm_guardian_withdrawal(request: Request, db: DB, token: str):
    _speak_to_guardian(request, db, token)
    try:
        link = service.consent_request(db, token)
    except DomainError as exc:
        return _link_failed(request, exc)
    if link.consent.record is None or link.consent.state == "withdrawn":
        return redirect(f"/consent/{token}")
    return render(request, "applicants/consent_withdraw.html", {
        "nomination": link.nomination, "token": token, "consent": link.consent})


@router.post("/consent/{token}/withdraw", response_class=HTMLResponse)
@public
def withdraw_guardian_consent(request: Request, db: DB, form: Form, token: str):
    _speak_to_guardian(request, db, token)
    try:
        if form.get("confirm") != "yes":
            link = service.consent_request(db, token)
            return render(request, "applicants/consent_withdraw.html", {
                "nomination": link.nomination, "token": token, "consent": link.consent,
                "errors": {"confirm": _("Tick the box to confirm that you withdraw your consent.")}}, status_code=400)
        nomination = service.withdraw_guardian_consent(db, token, client_address(request))
    except DomainError as exc:
        return _link_failed(request, exc)
    return render(request, "applicants/consent_done.html", {"nomination": nomination, "withdrawn": True,
                                                            "token": token})


# -- their letters, once they accepted ------------------------------------------------------------

@router.get("/applicant/letters/{letter}.pdf")
def applicant_letter(db: DB, nomination: Applicant, letter: str):
    found = letters.applicant_letter(db, nomination, letter)
    if found is None:
        raise HTTPException(404)
    filename, pdf = found
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})
