"""The interviews' messages: the invitation to book, and for each booking, cancellation and
reminder one message to the nominee and one to the interviewer (both with the calendar entry
when something changed). Every time is written in the reader's own zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ish_portal.accounts.models import User
from ish_portal.interviews.models import InterviewSlot
from ish_portal.nominations.messages import applicant_link, nomination_facts
from ish_portal.notifications.catalog import APPLICANT, Occasion, define
from ish_portal.text.i18n import N_
from ish_portal.text.timefmt import format_datetime

INTERVIEWER = "interviewer"  # a panel member who interviews
BOOKING_LINK_DAYS = 30

_OWN = {
    "when": (N_("date and time of the interview, in the reader's time zone"), datetime(2027, 4, 20, 8, 30, tzinfo=UTC)),
    "interviewer": (N_("who interviews"), "Dr. Anna Schmidt"),
    "how": (N_("how the interview is held: 'phone' or 'video'"), "phone"),
    "join": (N_("the phone number the interviewer calls from, or the video link"), "+49 6221 58 10580"),
    "hours": (N_("until how many hours before the interview it can be moved or cancelled"), "24"),
    "link": (N_("the nominee's personal link to their booking page"), "https://ish.example/access/EXAMPLE"),
}
_PANEL_OWN = {**_OWN, "link": (N_("the interviewer's agenda in the portal"), "https://ish.example/panel/interviews")}


def _slot_facts(occasion: Occasion) -> tuple[dict[str, str], InterviewSlot, User]:
    from ish_portal.interviews.service import cutoff_hours
    nomination, edition, values = nomination_facts(occasion)
    slot = occasion.session.get(InterviewSlot, occasion.facts["slot"])
    interviewer = occasion.session.get(User, slot.interviewer_id)
    return ({**values, "when": format_datetime(slot.starts_at), "interviewer": interviewer.full_name,
             "how": slot.join_kind, "join": slot.join_how, "hours": str(cutoff_hours(occasion.session, edition.id))},
            slot, interviewer)


def _booking_link(occasion: Occasion) -> str:
    nomination, _edition, _values = nomination_facts(occasion)
    return applicant_link(occasion, nomination, "/applicant/interview", valid_for=timedelta(days=BOOKING_LINK_DAYS))


def _invitation(occasion: Occasion) -> dict[str, str]:
    _nomination, _edition, values = nomination_facts(occasion)
    return {"name": values["name"], "edition": values["edition"], "link": _booking_link(occasion),
            "days": str(BOOKING_LINK_DAYS)}


def _to_nominee(*names: str):
    def context(occasion: Occasion) -> dict[str, str]:
        values, _slot, _interviewer = _slot_facts(occasion)
        if "link" in names:
            values["link"] = _booking_link(occasion)
        return {name: values[name] for name in names}
    return context


def _to_interviewer(*names: str):
    def context(occasion: Occasion) -> dict[str, str]:
        values, _slot, interviewer = _slot_facts(occasion)
        values["name"] = interviewer.full_name
        values["link"] = occasion.link("/panel/interviews")
        return {name: values[name] for name in names}
    return context


_BOOKED = ["name", "edition", "when", "interviewer", "how", "join", "hours", "link"]
_CANCELLED = ["name", "edition", "when", "link"]
_REMINDER = ["name", "edition", "when", "interviewer", "how", "join"]
_PANEL = ["name", "candidate", "edition", "when", "how", "join", "link"]

define("interview_booking", N_("Interview booking invitation"),
       N_("Invites a nominee to book their interview in English, with a personal link to the booking page."),
       APPLICANT, ["name", "edition", "link", "days"], _invitation, own={"link": _OWN["link"]})
define("interview_booked", N_("Interview booked"),
       N_("Confirms the interview a nominee booked or moved, with the calendar entry."),
       APPLICANT, _BOOKED, _to_nominee(*_BOOKED), own=_OWN)
define("interview_cancelled", N_("Interview cancelled"),
       N_("Confirms to a nominee that their interview is cancelled, with the calendar cancellation."),
       APPLICANT, _CANCELLED, _to_nominee(*_CANCELLED), own=_OWN)
define("interview_reminder", N_("Interview reminder"), N_("Reminds a nominee of their interview the day before."),
       APPLICANT, _REMINDER, _to_nominee(*_REMINDER), own=_OWN)
define("interview_booked_panel", N_("Interview booked, to the interviewer"),
       N_("Tells the interviewer that a nominee booked or moved an interview, with the calendar entry."),
       INTERVIEWER, _PANEL, _to_interviewer(*_PANEL), own=_PANEL_OWN)
define("interview_cancelled_panel", N_("Interview cancelled, to the interviewer"),
       N_("Tells the interviewer that an interview was cancelled or moved to someone else, with the calendar cancellation."),
       INTERVIEWER, _PANEL, _to_interviewer(*_PANEL), own=_PANEL_OWN)
define("interview_reminder_panel", N_("Interview reminder, to the interviewer"),
       N_("Reminds the interviewer of an interview the day before."),
       INTERVIEWER, _PANEL, _to_interviewer(*_PANEL), own=_PANEL_OWN)
