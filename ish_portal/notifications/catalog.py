"""Every kind of message the portal sends: what it is for, who receives it, and the placeholders its
text may use. The editor offers exactly these placeholders, refuses any other, and a test holds
every template file to this list, so a wording change can never leave a blank or a stray name."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Kind:
    name: str
    purpose: str
    recipient: str
    # placeholder -> what it holds, and an example value for previews without data.
    placeholders: dict[str, tuple[str, str]]
    # Letters (ish_portal.letters) attached as PDF when the message concerns a nomination.
    letters: tuple[str, ...] = field(default=())

    @property
    def names(self) -> list[str]:
        return list(self.placeholders)

    def example_context(self) -> dict[str, str]:
        return {name: example for name, (_, example) in self.placeholders.items()}


# Shared descriptions, so the same placeholder reads the same everywhere.
_P = {
    "name": ("the recipient's name (an applicant's given name, a staff member's full name)", "Haruto"),
    "candidate": ("the candidate's full name", "Haruto Nakamura"),
    "guardian": ("the parent's or guardian's name", "Yui Nakamura"),
    "organisation": ("the sending organisation", "City of Kumamoto"),
    "edition": ("the edition's title", "ISH 2027"),
    "starts_on": ("the first day of the programme", "12 Jul 2027"),
    "ends_on": ("the last day of the programme", "7 Aug 2027"),
    "lab": ("the lab: group and institute", "Structural Biology, EMBL"),
    "link": ("a web address to open (personal links work once)", "https://ish.example/access/EXAMPLE"),
    "days": ("how many days the link stays valid", "14"),
    "hours": ("how many hours the link stays valid", "2"),
    "deadline": ("a deadline, date and time in Heidelberg", "15 Mar 2027, 23:59 CET"),
    "reason": ("the reason given (may be empty)", "Illness in the family"),
}


def _kind(name: str, purpose: str, recipient: str, *placeholders: str, letters: tuple[str, ...] = (),
          extra: dict[str, tuple[str, str]] | None = None) -> Kind:
    chosen = {p: (extra or {}).get(p) or _P[p] for p in placeholders}
    return Kind(name, purpose, recipient, chosen, letters)


APPLICANT = "applicant"
COORDINATOR = "coordinator"
GUARDIAN = "guardian"
STAFF = "organiser or coordinator"

KINDS: dict[str, Kind] = {k.name: k for k in [
    _kind("applicant_access", "A fresh personal link to the portal, asked for by the applicant.",
          APPLICANT, "name", "link", "days"),
    _kind("nomination_received", "Tells a candidate they were nominated, with their personal link.",
          APPLICANT, "name", "organisation", "edition", "link", "days"),
    _kind("guardian_consent_request", "Asks the guardian of a minor for consent, with a personal link.",
          GUARDIAN, "guardian", "candidate", "organisation", "edition", "starts_on", "ends_on", "link", "days"),
    _kind("missing_documents_reminder",
          "Reminds coordinators of drafts that still miss items a few days before the nomination deadline.",
          COORDINATOR, "name", "candidate", "edition", "deadline", "missing", "link",
          extra={"missing": ("the missing items, one line each starting with '- '",
                             "- Document: CV\n- Document: School report"),
                 "deadline": ("the organisation's nomination deadline", "15 Mar 2027, 23:59 CET"),
                 "link": ("the draft in the portal", "https://ish.example/coordinator/nominations/42")}),
    _kind("submission_confirmation", "Confirms to the coordinator that a nomination was submitted.",
          COORDINATOR, "name", "candidate", "edition", "used", "places", "link",
          extra={"used": ("places the organisation now uses", "2"),
                 "places": ("places the organisation has", "3"),
                 "link": ("the nomination in the portal", "https://ish.example/coordinator/nominations/42")}),
    _kind("interview_invitation", "Invites a nominee to the English interview by phone.",
          APPLICANT, "name", "edition", "when", "interviewer",
          extra={"when": ("date and time of the interview in Heidelberg", "20 Apr 2027, 10:30 CEST"),
                 "interviewer": ("who will call", "Dr. Anna Schmidt")}),
    _kind("offer_made", "Offers a lab place; the applicant must answer before the deadline.",
          APPLICANT, "name", "edition", "lab", "subject_area", "starts_on", "ends_on", "deadline",
          extra={"deadline": ("the offer's response deadline", "30 Apr 2027, 23:59 CEST"),
                 "subject_area": ("the lab's subject area", "Biology")}),
    _kind("offer_reminder", "Reminds an applicant who has not yet answered their offer, before its deadline.",
          APPLICANT, "name", "edition", "lab", "deadline", "link",
          extra={"deadline": ("the offer's response deadline", "30 Apr 2027, 23:59 CEST"),
                 "link": ("where to answer (the portal's sign-in)", "https://ish.example/access")}),
    _kind("offer_accepted", "Confirms the applicant's acceptance; carries the acceptance letter "
          "(and the visa letter when passport details are known).",
          APPLICANT, "name", "lab", "edition", "starts_on", "ends_on", letters=("acceptance", "visa")),
    _kind("offer_declined", "Confirms the applicant's refusal of the offer.", APPLICANT, "name", "lab", "edition"),
    _kind("offer_accepted_coordinator", "Tells the coordinator their candidate accepted.",
          COORDINATOR, "name", "candidate", "lab", "edition", "starts_on", "ends_on"),
    _kind("offer_declined_coordinator", "Tells the coordinator their candidate declined.",
          COORDINATOR, "name", "candidate", "lab", "edition", "reason"),
    _kind("waitlist_offer", "Offers a place that became free to a student on the waitlist.",
          APPLICANT, "name", "edition", "lab", "subject_area", "starts_on", "ends_on", "deadline",
          extra={"deadline": ("the offer's response deadline", "30 Apr 2027, 23:59 CEST"),
                 "subject_area": ("the lab's subject area", "Biology")}),
    _kind("withdrawal", "Tells the candidate their nomination was withdrawn.",
          APPLICANT, "name", "edition", "organisation", "reason"),
    _kind("withdrawal_coordinator", "Tells the coordinators of the organisation a nomination was withdrawn.",
          COORDINATOR, "name", "candidate", "edition", "reason"),
    _kind("welcome_information", "Practical information before arrival, to every accepted student.",
          APPLICANT, "name", "edition", "starts_on", "ends_on", "lab"),
    _kind("certificate", "Thanks after the programme, with the certificate of participation attached.",
          APPLICANT, "name", "edition", "lab", letters=("certificate",)),
    _kind("password_reset", "A link to choose a new password.", STAFF, "name", "link", "hours"),
    _kind("coordinator_invitation", "Invites a coordinator to the portal, with a link to choose a password.",
          COORDINATOR, "name", "inviter", "organisation", "link", "days",
          extra={"inviter": ("the organiser who sent the invitation", "Olga Organiser")}),
]}

# Names every template may use besides the placeholders: translation and date helpers.
TEMPLATE_GLOBALS = frozenset({"_", "format_date", "format_datetime"})


def kind(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"unknown message kind {name!r}") from None
