"""The organisers' review of nominations: thin HTTP around nominations.review."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from ish_portal.audit.service import Actor, sensitive_access_of
from ish_portal.errors import DomainError, NotFound
from ish_portal.interviews import service as interviews
from ish_portal.nominations import consent, review, service
from ish_portal.nominations.models import NominationStatus
from ish_portal.nominations.review import EligibilityForm, InterviewForm, InterviewUpdateForm, ScoreForm
from ish_portal.notifications import service as outbox
from ish_portal.placement import messages as letters, offers as placement_offers
from ish_portal.panel import service as panel_service
from ish_portal.programme.models import Edition, Organisation
from ish_portal.programme.service import current_edition
from ish_portal.web.deps import DB, Form, Organiser, SettingsDep, client_address
from ish_portal.web.flash import flash
from ish_portal.web.forms import form_values, validate
from ish_portal.text.i18n import gettext as _, ngettext
from ish_portal.web.templating import redirect, render

router = APIRouter()


@router.get("/organiser/nominations", response_class=HTMLResponse)
def review_list(request: Request, db: DB, user: Organiser):
    edition = current_edition(db)
    filters = review.parse_filters(request.query_params)
    page = review.review_page(db, edition, filters, more=panel_service.summary_columns) if edition else None
    return render(request, "review/list.html", {
        "edition": edition, "page": page, "filters": filters,
        "panel": {row.id: summary for row in page.rows if (summary := panel_service.summary_of(row.more))}
        if page else {},
        "statuses": [(s, service.status_label(s)) for s in review.REVIEWABLE]})


@router.post("/organiser/nominations/bulk", response_class=HTMLResponse)
def review_bulk(request: Request, db: DB, user: Organiser, form: Form):
    edition = current_edition(db)
    if edition is None:
        raise HTTPException(404)
    # The list's own filters come back as a query string; parsing them again keeps the redirect
    # inside the list, whatever was posted.
    back = review.parse_filters(dict(parse_qsl(str(form.get("back", "")).lstrip("?")))).url()
    ids = review.parse_ids(form.getlist("ids"))
    decision = str(form.get("decision", ""))
    reason = str(form.get("reason", "")).strip()[:1000]
    if decision == "reject" and ids and reason and form.get("confirm") != "yes":
        chosen = review.nominations_by_ids(db, edition, ids)
        return render(request, "review/bulk_confirm.html", {"chosen": chosen, "reason": reason, "back": back})
    try:
        result = review.bulk_decide(db, user, edition, ids, decision, reason)
    except DomainError as exc:
        flash(request, str(exc), "error")
        return redirect(back)
    verb = _("approved") if decision == "approve" else _("marked not eligible")
    if result.moved:
        flash(request, ngettext("%(num)d nomination %(verb)s: %(names)s.",
                                "%(num)d nominations %(verb)s: %(names)s.", len(result.moved),
                                verb=verb, names=", ".join(result.moved)))
    if result.unchanged:
        flash(request, ngettext("%(num)d was already so and stays unchanged: %(names)s.",
                                "%(num)d were already so and stay unchanged: %(names)s.", len(result.unchanged),
                                names=", ".join(result.unchanged)))
    if result.refused:
        flash(request, ngettext("%(num)d could not be changed: %(items)s",
                                "%(num)d could not be changed: %(items)s", len(result.refused),
                                items=" ".join(f"{name}: {why}" for name, why in result.refused)), "error")
    return redirect(back)


def _nomination(db, nomination_id: int):
    try:
        return review.nomination_for_review(db, nomination_id)
    except NotFound:
        raise HTTPException(404) from None


def _detail(request: Request, db, user, nomination, status_code: int = 200, **extra):
    # The page shows medical notes and passport details: each showing is recorded (one insert).
    review.saw_details(db, user, nomination)
    edition = db.get(Edition, nomination.edition_id)
    documents = service.documents_of(db, nomination)
    uploaded = {document.kind for document in documents}
    titles = letter_titles()
    problems = letters.letter_problems(db, nomination, [letter for letter, _title in titles])
    context = {
        "nomination": nomination, "edition": edition,
        "organisation": db.get(Organisation, nomination.organisation_id),
        "documents": documents,
        "missing_documents": [kind for kind in service.required_documents(nomination, edition) if kind not in uploaded],
        "minor": service.is_minor(nomination, edition),
        "age": nomination.age_on(edition.starts_on),
        "preferences": review.lab_preferences(db, nomination),
        "interviews": review.interviews_of(db, nomination),
        "booked": interviews.booked_interview(db, nomination),
        "offers": placement_offers.offers_of(db, nomination), "offer_status": placement_offers.status_word,
        "history": service.history_of(db, nomination),
        "letters": [(letter, title, problems[letter]) for letter, title in titles],
        "messages": outbox.messages_about(db, nomination.id),
        "consents": consent.standings(db, nomination, edition),
        "consent_records": consent.records_of(db, nomination.id),
        "sensitive_access": sensitive_access_of(db, nomination.id, limit=200),
        "paper_errors": {}, "paper_values": {},
        "closed": service.record_closed(edition),
        "withdrawable": service.withdrawal_refused(nomination, edition) is None
                        and nomination.status != NominationStatus.DRAFT,
        "outcomes": [(o, review.outcome_label(o)) for o in review.OUTCOMES],
        "errors": {}, "values": {}, "interview_errors": {},
        "eligibility_values": {"decision": nomination.status if nomination.status in ("approved", "rejected") else "",
                               "reason": nomination.eligibility_reason},
        "score_values": {"review_score": "" if nomination.review_score is None else nomination.review_score},
    }
    context.update(extra)
    return render(request, "review/detail.html", context, status_code=status_code)


@router.get("/organiser/nominations/{nomination_id}", response_class=HTMLResponse)
def review_detail(request: Request, db: DB, user: Organiser, nomination_id: int):
    return _detail(request, db, user, _nomination(db, nomination_id))


def _refused(request, db, user, nomination_id, errors: dict, **extra):
    db.rollback()
    return _detail(request, db, user, review.nomination_for_review(db, nomination_id, fresh=True), 400,
                   errors=errors, **extra)


@router.post("/organiser/nominations/{nomination_id}/eligibility", response_class=HTMLResponse)
def review_eligibility(request: Request, db: DB, user: Organiser, form: Form, nomination_id: int):
    _nomination(db, nomination_id)
    values = form_values(form)
    decision, errors = validate(EligibilityForm, values)
    if decision is not None:
        try:
            review.decide_eligibility(db, user, nomination_id, decision)
        except DomainError as exc:
            errors = exc.form_errors()
        else:
            flash(request, _("Eligible: the nomination is approved.") if decision.decision == "approved"
                  else _("Marked not eligible."))
            return redirect(f"/organiser/nominations/{nomination_id}#decision")
    return _refused(request, db, user, nomination_id, errors, eligibility_values=values)


@router.post("/organiser/nominations/{nomination_id}/score", response_class=HTMLResponse)
def review_score(request: Request, db: DB, user: Organiser, form: Form, nomination_id: int):
    _nomination(db, nomination_id)
    values = form_values(form)
    score, errors = validate(ScoreForm, values)
    if score is not None:
        try:
            review.set_score(db, user, nomination_id, score)
        except DomainError as exc:
            errors = exc.form_errors()
        else:
            flash(request, _("Review score saved."))
            return redirect(f"/organiser/nominations/{nomination_id}#score")
    return _refused(request, db, user, nomination_id, errors, score_values=values)


@router.post("/organiser/nominations/{nomination_id}/interviews", response_class=HTMLResponse)
def review_schedule_interview(request: Request, db: DB, user: Organiser, settings: SettingsDep, form: Form,
                              nomination_id: int):
    _nomination(db, nomination_id)
    values = form_values(form)
    interview, errors = validate(InterviewForm, values)
    if interview is not None:
        try:
            review.schedule_interview(db, user, nomination_id, interview, settings.base_url)
        except DomainError as exc:
            errors = exc.form_errors()
        else:
            flash(request, _("Interview scheduled. The candidate gets an invitation with a calendar entry."))
            return redirect(f"/organiser/nominations/{nomination_id}#interviews")
    return _refused(request, db, user, nomination_id, errors, values=values)


@router.post("/organiser/nominations/{nomination_id}/interviews/{interview_id}", response_class=HTMLResponse)
def review_update_interview(request: Request, db: DB, user: Organiser, form: Form, nomination_id: int,
                            interview_id: int):
    _nomination(db, nomination_id)
    values = form_values(form)
    update, errors = validate(InterviewUpdateForm, values)
    if update is not None:
        try:
            review.update_interview(db, user, nomination_id, interview_id, update)
        except NotFound:
            raise HTTPException(404) from None
        except DomainError as exc:
            errors = exc.form_errors()
        else:
            flash(request, _("Interview saved."))
            return redirect(f"/organiser/nominations/{nomination_id}#interviews")
    return _refused(request, db, user, nomination_id, {}, interview_errors={interview_id: errors},
                    interview_values={interview_id: values})



# -- letters and emails, from the organisers' side ---------------------------------------------------

def letter_titles() -> list[tuple[str, str]]:
    return [("acceptance", _("Acceptance letter")), ("visa", _("Visa invitation letter")),
            ("certificate", _("Certificate of participation"))]


@router.get("/organiser/nominations/{nomination_id}/letters/{letter}.pdf")
def review_letter(request: Request, db: DB, user: Organiser, nomination_id: int, letter: str):
    """A letter as it would be made now: shown in the browser (?view=inline) or downloaded."""
    nomination = _nomination(db, nomination_id)
    if letter not in dict(letter_titles()) or letters.letter_problem(db, nomination, letter):
        raise HTTPException(404)
    filename, pdf = letters.letter_pdf(db, nomination, letter)
    if letter == "visa":  # the letter that carries the passport details
        review.saw_letter(db, user, nomination, letter)
    disposition = "inline" if request.query_params.get("view") == "inline" else "attachment"
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'{disposition}; filename="{filename}"', "Cache-Control": "private, no-store"})


@router.post("/organiser/nominations/{nomination_id}/messages/{message_id}/resend")
def review_resend(request: Request, db: DB, user: Organiser, nomination_id: int, message_id: int):
    _nomination(db, nomination_id)
    try:
        copy = outbox.resend(db, Actor.of_user(user), message_id, nomination_id)
    except DomainError as exc:
        flash(request, exc.message, "error")
    else:
        flash(request, _("The email to %(to)s is written again and queued.", to=copy.recipient))
    return redirect(f"/organiser/nominations/{nomination_id}#messages")


@router.post("/organiser/nominations/{nomination_id}/consent/paper", response_class=HTMLResponse)
def review_paper_consent(request: Request, db: DB, user: Organiser, form: Form, nomination_id: int):
    """A guardian's consent signed on paper: the organiser uploads the scan and records it,
    acting on the guardian's behalf."""
    _nomination(db, nomination_id)
    name = str(form.get("paper_name", ""))[:200]
    file = form.get("paper_file")
    errors = {}
    if not name.strip():
        errors["paper_name"] = _("Enter the name the guardian signed with.")
    if not isinstance(file, UploadFile) or not file.filename:
        errors["paper_file"] = _("Choose the scan of the signed form.")
    elif form.get("confirm") != "yes":
        errors["paper_file"] = _("Tick the box to confirm that the guardian signed this form.")
    if not errors:
        try:
            consent.give_paper_consent(db, user, nomination_id, name, file.filename, file.file, client_address(request))
        except DomainError as exc:
            errors["paper_file"] = exc.message
        else:
            flash(request, _("The guardian's consent on paper is recorded."))
            return redirect(f"/organiser/nominations/{nomination_id}#consent")
    return _refused(request, db, user, nomination_id, {}, paper_errors=errors, paper_values={"paper_name": name})


@router.post("/organiser/nominations/{nomination_id}/withdraw", response_class=HTMLResponse)
def review_withdraw(request: Request, db: DB, user: Organiser, form: Form, nomination_id: int):
    """An organiser withdraws a candidate (after a confirmation), with a reason they are told."""
    _nomination(db, nomination_id)
    reason = str(form.get("withdraw_reason", "")).strip()[:1000]
    errors = {}
    if not reason:
        errors["withdraw_reason"] = _("Give the reason for the withdrawal; the candidate and their coordinators read it.")
    if form.get("confirm") != "yes":
        errors["confirm"] = _("Tick the box to confirm the withdrawal.")
    if not errors:
        try:
            review.withdraw(db, user, nomination_id, reason)
        except DomainError as exc:
            # Nothing in the form can change it (the candidate's status, or an edition that has
            # ended), and the page no longer offers the withdrawal: said above the page instead.
            flash(request, exc.message, "error")
            return redirect(f"/organiser/nominations/{nomination_id}")
        else:
            flash(request, _("The candidate is withdrawn; a seat they held goes to the waitlist."))
            return redirect(f"/organiser/nominations/{nomination_id}")
    return _refused(request, db, user, nomination_id, {}, withdraw_errors=errors,
                    withdraw_values={"withdraw_reason": reason})
