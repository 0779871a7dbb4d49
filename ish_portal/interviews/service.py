"""The doors of the interviews: publishing and deleting slots, inviting nominees to book, booking,
rescheduling and cancelling (each with its calendar invitations and emails), recording the
outcome, the interviewer's agenda and calendar feed, and the reminders the day before.

Who may see what is decided here: an interviewer reaches only the slots and bookings of their own
slots (organisers all of an edition), a nominee only their own booking."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from importlib import resources
from zoneinfo import available_timezones

from babel import dates
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from sqlalchemy import bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ish_portal.accounts.models import PanelMember, Role, User
from ish_portal.accounts.service import hash_token
from ish_portal.audit.service import SYSTEM, Actor, record
from ish_portal.db import RowId, forget_read, read_once, transaction, utcnow
from ish_portal.errors import DomainError, NotFound
from ish_portal.interviews.models import (
    JOIN_KINDS,
    OUTCOMES,
    InterviewBooking,
    InterviewerSetting,
    InterviewSetting,
    InterviewSlot,
)
from ish_portal.nominations.messages import candidate_reader
from ish_portal.nominations.models import Nomination, NominationStatus as S
from ish_portal.notifications.catalog import Reader
from ish_portal.notifications.service import enqueue
from ish_portal.programme.forms import FutureLocalTime
from ish_portal.programme.models import Edition, Organisation
from ish_portal.text import i18n, ics, timefmt
from ish_portal.text.i18n import current_language, gettext as _

APPLICANT = Actor("applicant")  # as the applicant's other doors record them, without personal data
HEIDELBERG = "Europe/Berlin"
MAX_SLOTS_AT_ONCE = 40
INVITABLE = (S.SUBMITTED, S.APPROVED)  # nominees the panel may still interview

# The zone a nominee's country lives in, to preset the booking page; None where a country spans
# several zones, so that the sending organisation's own zone is taken instead.
COUNTRY_ZONES: dict[str, str | None] = {
    "AT": "Europe/Vienna", "AU": None, "BA": "Europe/Sarajevo", "BE": "Europe/Brussels", "BR": None,
    "CA": None, "CH": "Europe/Zurich", "CN": "Asia/Shanghai", "CZ": "Europe/Prague", "DE": "Europe/Berlin",
    "DK": "Europe/Copenhagen", "EE": "Europe/Tallinn", "ES": "Europe/Madrid", "FI": "Europe/Helsinki",
    "FR": "Europe/Paris", "GB": "Europe/London", "GR": "Europe/Athens", "HK": "Asia/Hong_Kong",
    "HR": "Europe/Zagreb", "HU": "Europe/Budapest", "IE": "Europe/Dublin", "IL": "Asia/Jerusalem",
    "IN": "Asia/Kolkata", "IT": "Europe/Rome", "JP": "Asia/Tokyo", "KR": "Asia/Seoul", "LT": "Europe/Vilnius",
    "LV": "Europe/Riga", "MX": None, "NL": "Europe/Amsterdam", "NO": "Europe/Oslo", "NZ": "Pacific/Auckland",
    "PL": "Europe/Warsaw", "PT": "Europe/Lisbon", "RO": "Europe/Bucharest", "RS": "Europe/Belgrade",
    "RU": None, "SE": "Europe/Stockholm", "SG": "Asia/Singapore", "SI": "Europe/Ljubljana",
    "SK": "Europe/Bratislava", "TR": "Europe/Istanbul", "TW": "Asia/Taipei", "UA": "Europe/Kyiv",
    "US": None, "ZA": "Africa/Johannesburg",
}

_PHONE = re.compile(r"^\+[0-9][0-9 ()/-]{5,28}[0-9]$")
_VIDEO = re.compile(r"^https://[^\s/$.?#][^\s]{3,290}$")


@lru_cache(maxsize=1)
def zones() -> tuple[str, ...]:
    """The zones a reader may choose from: every named zone of the tz database (Region/City)."""
    return tuple(sorted(z for z in available_timezones()
                        if "/" in z and z.split("/")[0] in {"Africa", "America", "Antarctica", "Asia", "Atlantic",
                                                           "Australia", "Europe", "Indian", "Pacific"}))


def zone_label(zone: str) -> str:
    """The zone as the reader's language names its place: 'Japan Time', '日本時間'."""
    return i18n.mark(_zone_labels(current_language()).get(zone, zone))


@lru_cache(maxsize=16)
def _zone_labels(language: str) -> dict[str, str]:
    place = i18n.locale(language)
    return {zone: dates.get_timezone_location(zone, locale=place) for zone in zones()}


def zone_options(keep: str | None = None) -> list[tuple[str, str]]:
    """(zone, its name in the reader's language) for a list to choose from, in the order of the
    names, each place once: `keep` (the reader's zone, chosen in the list) stands for its place."""
    chosen = dict(_places())
    if keep in zones():
        chosen[_zone_labels("en")[keep]] = keep
    return sorted(((zone, zone_label(zone)) for zone in chosen.values()), key=lambda option: option[1])


@lru_cache(maxsize=1)
def _places() -> tuple[tuple[str, str], ...]:
    """One zone per place, by its English name. The tz database keeps old names beside the current
    ones as links to them (America/Catamarca for America/Argentina/Catamarca, Europe/Kiev for
    Europe/Kyiv): the same clock under the same name, which a list should offer once. The current
    name stands for its place where the database says which that is."""
    links = _links()
    places: dict[str, str] = {}
    for zone in zones():  # in alphabetical order: among links alone, the first stands
        place = _zone_labels("en")[zone]
        if place not in places or (places[place] in links and zone not in links):
            places[place] = zone
    return tuple(places.items())


def _links() -> frozenset[str]:
    """The zones the tz database lists as other names of a zone ("L" lines of tzdata.zi, from the
    tzdata package, which icalendar requires); none when it cannot be read."""
    try:
        text = resources.files("tzdata").joinpath("zoneinfo", "tzdata.zi").read_text(encoding="utf-8")
    except (ImportError, OSError):
        return frozenset()
    return frozenset(line.split()[2] for line in text.splitlines() if line.startswith("L "))


def preset_zone(country: str, fallback: str | None) -> str:
    zone = COUNTRY_ZONES.get((country or "").upper())
    return zone or (fallback if fallback in zones() else None) or HEIDELBERG


def when_in(value: datetime, zone: str) -> str:
    """A moment written for a reader in `zone`, in the page's language, the zone named."""
    with timefmt.reading(current_language(), zone):
        return timefmt.format_datetime(value)


# -- settings -----------------------------------------------------------------------------------

def cutoff_hours(session: Session, edition_id: int) -> int:
    setting = session.get(InterviewSetting, edition_id)
    return setting.cutoff_hours if setting else InterviewSetting.model_fields["cutoff_hours"].default


def set_cutoff_hours(session: Session, organiser: User, edition_id: int, hours: int) -> None:
    if not 0 <= hours <= 24 * 14:
        raise DomainError(fields={"cutoff_hours": _("Enter a number of hours from 0 to 336.")})
    with transaction(session):
        setting = session.get(InterviewSetting, edition_id) or InterviewSetting(edition_id=edition_id)
        record(session, Actor.of_user(organiser), "interview_cutoff_changed", "edition", edition_id,
               changes={"cutoff_hours": [setting.cutoff_hours, hours]}, edition_id=edition_id)
        setting.cutoff_hours = hours
        session.add(setting)


def _setting(session: Session, user_id: int) -> InterviewerSetting | None:
    """The interviewer's settings, or None, read once in a session: the session keeps a row it
    has read, but not that there was none, and one page asks for the zone and the feed both."""
    return read_once(session, ("interviewer_setting", user_id), lambda: session.get(InterviewerSetting, user_id))


def _setting_to_change(session: Session, user_id: int) -> InterviewerSetting:
    """The interviewer's settings to change, made when there are none yet; read afresh after."""
    setting = _setting(session, user_id) or InterviewerSetting(user_id=user_id)
    forget_read(session, ("interviewer_setting", user_id))
    return setting


def interviewer_zone(session: Session, user_id: int) -> str:
    setting = _setting(session, user_id)
    return setting.time_zone if setting else HEIDELBERG


def set_interviewer_zone(session: Session, user: User, zone: str) -> None:
    if zone not in zones():
        raise DomainError(fields={"time_zone": _("Choose a time zone from the list.")})
    with transaction(session):
        setting = _setting_to_change(session, user.id)
        setting.time_zone = zone
        session.add(setting)


# -- who interviews -----------------------------------------------------------------------------

def interviewers(session: Session, edition_id: int) -> list[User]:
    """The edition's interviewers: panel members who interview."""
    return list(session.exec(select(User).join(PanelMember, PanelMember.user_id == User.id)
                             .where(PanelMember.edition_id == edition_id, PanelMember.interviews)
                             .order_by(User.full_name)).all())


def interviewing_editions(session: Session, user: User) -> list[Edition]:
    """The editions whose interviews the person may manage: every edition for organisers, those
    they interview for otherwise; the newest first."""
    query = select(Edition).order_by(Edition.year.desc())
    if not user.is_organiser:
        query = query.join(PanelMember, PanelMember.edition_id == Edition.id).where(
            PanelMember.user_id == user.id, PanelMember.interviews)
    return list(session.exec(query).all())


def edition_for(session: Session, user: User, edition_id: int | None,
                editions: list[Edition] | None = None) -> Edition:
    """The edition chosen (or the newest) of those the user interviews in, or of `editions`
    when the caller has them already."""
    editions = interviewing_editions(session, user) if editions is None else editions
    if not editions:
        raise NotFound()
    if edition_id is None:
        return editions[0]
    chosen = next((e for e in editions if e.id == edition_id), None)
    if chosen is None:
        raise NotFound()
    return chosen


# -- slots --------------------------------------------------------------------------------------

class SlotsForm(BaseModel):
    """Several slots at once: the first start (Heidelberg time), how many, each one's length and
    the pause between them, who interviews and how to join."""

    model_config = ConfigDict(str_strip_whitespace=True)

    interviewer_id: RowId
    first_start: FutureLocalTime
    count: int = Field(default=1, ge=1, le=MAX_SLOTS_AT_ONCE)
    minutes: int = Field(default=30, ge=10, le=180)
    pause: int = Field(default=0, ge=0, le=180)
    join_kind: str
    join_how: str = Field(min_length=1, max_length=300)

    @field_validator("join_kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in JOIN_KINDS:
            raise ValueError(_("Choose one of the options."))
        return value

    @field_validator("join_how")
    @classmethod
    def _join(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("join_kind")
        if kind == "phone" and not _PHONE.match(value):
            raise ValueError(_("Enter a phone number in international form, like +49 6221 58 0."))
        if kind == "video" and not _VIDEO.match(value):
            raise ValueError(_("Enter the video link, starting with https://."))
        return value


def _may_manage(session: Session, user: User, edition_id: int, interviewer_id: int) -> None:
    """Organisers manage every interviewer's slots; an interviewer only their own."""
    if user.is_organiser:
        if interviewer_id not in {u.id for u in interviewers(session, edition_id)}:
            raise DomainError(fields={"interviewer_id": _("Choose one of the edition's interviewers.")})
        return
    if interviewer_id != user.id or interviewer_id not in {u.id for u in interviewers(session, edition_id)}:
        raise NotFound()


def publish_slots(session: Session, user: User, edition_id: int, form: SlotsForm) -> list[InterviewSlot]:
    with transaction(session):
        _may_manage(session, user, edition_id, form.interviewer_id)
        slots = [InterviewSlot(edition_id=edition_id, interviewer_id=form.interviewer_id,
                               starts_at=form.first_start + timedelta(minutes=n * (form.minutes + form.pause)),
                               minutes=form.minutes, join_kind=form.join_kind, join_how=form.join_how)
                 for n in range(form.count)]
        _refuse_overlaps(session, form.interviewer_id, slots)
        session.add_all(slots)
        session.flush()
        record(session, Actor.of_user(user), "interview_slots_published", "interview_slot", slots[0].id,
               changes={"count": form.count, "first_start": form.first_start.isoformat(),
                        "interviewer_id": form.interviewer_id}, edition_id=edition_id)
    return slots


def _refuse_overlaps(session: Session, interviewer_id: int, new: list[InterviewSlot]) -> None:
    """An interviewer is in one interview at a time: new slots must not overlap one they have
    (in any edition). Slots last at most 180 minutes, so only those starting up to then before
    the first can reach into it."""
    first, last_end = new[0].starts_at, new[-1].starts_at + timedelta(minutes=new[-1].minutes)
    existing = session.exec(select(InterviewSlot).where(
        InterviewSlot.interviewer_id == interviewer_id, InterviewSlot.starts_at < last_end,
        InterviewSlot.starts_at > first - timedelta(minutes=180)).order_by(InterviewSlot.starts_at)).all()
    for slot in existing:
        end = slot.starts_at + timedelta(minutes=slot.minutes)
        if any(s.starts_at < end and slot.starts_at < s.starts_at + timedelta(minutes=s.minutes) for s in new):
            raise DomainError(fields={"first_start": _(
                "The interviewer already has a slot at %(when)s that these would overlap: choose another time.",
                when=timefmt.format_datetime(slot.starts_at))})


def slots_of(session: Session, user: User, edition_id: int) -> list[tuple[InterviewSlot, User, Nomination | None]]:
    """The edition's slots the person manages, with their interviewer and who booked them."""
    query = (select(InterviewSlot, User, Nomination).join(User, User.id == InterviewSlot.interviewer_id)
             .outerjoin(InterviewBooking, InterviewBooking.slot_id == InterviewSlot.id)
             .outerjoin(Nomination, Nomination.id == InterviewBooking.nomination_id)
             .where(InterviewSlot.edition_id == edition_id).order_by(InterviewSlot.starts_at, InterviewSlot.id))
    if not user.is_organiser:
        query = query.where(InterviewSlot.interviewer_id == user.id)
    return list(session.exec(query).all())


def managed_slot(session: Session, user: User, slot_id: int) -> InterviewSlot:
    slot = session.get(InterviewSlot, slot_id)
    if slot is None or not (user.is_organiser or slot.interviewer_id == user.id):
        raise NotFound()
    return slot


def delete_slot(session: Session, user: User, slot_id: int) -> None:
    with transaction(session):
        slot = session.exec(select(InterviewSlot).where(InterviewSlot.id == slot_id)
                            .with_for_update().execution_options(populate_existing=True)).first()
        if slot is None or not (user.is_organiser or slot.interviewer_id == user.id):
            raise NotFound()
        if session.exec(select(InterviewBooking.id).where(InterviewBooking.slot_id == slot.id)).first():
            raise DomainError(_("This slot is booked; it can be deleted only after the booking is cancelled."))
        record(session, Actor.of_user(user), "interview_slot_deleted", "interview_slot", slot.id,
               changes={"starts_at": slot.starts_at.isoformat()}, edition_id=slot.edition_id)
        session.delete(slot)


# -- inviting nominees to book ------------------------------------------------------------------

def invitable(session: Session, edition_id: int) -> list[tuple[Nomination, InterviewBooking | None]]:
    """The edition's submitted nominations, with their booking (invitation) if they have one."""
    return list(session.exec(
        select(Nomination, InterviewBooking)
        .outerjoin(InterviewBooking, InterviewBooking.nomination_id == Nomination.id)
        .where(Nomination.edition_id == edition_id, Nomination.status.in_(INVITABLE))
        .order_by(Nomination.family_name, Nomination.given_name, Nomination.id)).all())


def invite_to_book(session: Session, organiser: User, edition_id: int, nomination_ids: list[int],
                   base_url: str) -> int:
    """Each chosen nominee gets a booking row and an email with a personal link to book; those
    already invited are left alone. Returns how many were invited."""
    invited = 0
    with transaction(session):
        for nomination in session.exec(select(Nomination).where(
                Nomination.id.in_(nomination_ids), Nomination.edition_id == edition_id,
                Nomination.status.in_(INVITABLE))).all():
            if session.exec(select(InterviewBooking.id).where(InterviewBooking.nomination_id == nomination.id)).first():
                continue
            booking = InterviewBooking(edition_id=edition_id, nomination_id=nomination.id,
                                       time_zone=_nominee_preset(session, nomination))
            session.add(booking)
            session.flush()
            record(session, Actor.of_user(organiser), "interview_booking_invited", "interview_booking", booking.id,
                   edition_id=edition_id, organisation_id=nomination.organisation_id, nomination_id=nomination.id)
            enqueue(session, "interview_booking", _nominee_reader(session, nomination, booking),
                    {"nomination": nomination.id, "booking": booking.id}, edition_id=edition_id,
                    nomination_id=nomination.id, base_url=base_url)
            invited += 1
    return invited


def _nominee_preset(session: Session, nomination: Nomination) -> str:
    organisation = session.get(Organisation, nomination.organisation_id)
    return preset_zone(organisation.country if organisation else "", organisation.time_zone if organisation else None)


def _nominee_reader(session: Session, nomination: Nomination, booking: InterviewBooking) -> Reader:
    reader = candidate_reader(session, nomination)
    return Reader(reader.email, reader.name, reader.language, booking.time_zone or reader.zone)


def _interviewer_reader(session: Session, user: User) -> Reader:
    return Reader(user.email, user.full_name, user.language, interviewer_zone(session, user.id))


# -- the nominee's booking ----------------------------------------------------------------------

@dataclass
class BookingPage:
    booking: InterviewBooking | None
    slot: InterviewSlot | None
    interviewer: User | None
    zone: str
    free: list[InterviewSlot]
    cutoff_hours: int
    changeable: bool     # the booking may still be moved or cancelled


def booking_of(session: Session, nomination: Nomination) -> InterviewBooking | None:
    return session.exec(_BOOKING_OF, params={"nomination_id": nomination.id}).first()


# Built once: the applicant's status page sends it on every request (docs/performance.md).
_BOOKING_OF = select(InterviewBooking).where(InterviewBooking.nomination_id == bindparam("nomination_id"))


def booked_interview(session: Session, nomination: Nomination) -> tuple[InterviewBooking, InterviewSlot | None, User | None] | None:
    """The nominee's invitation to book, with the slot they hold and its interviewer (None while
    nothing is booked): what the organisers' page of the candidate shows beside the interviews
    they scheduled themselves. None when the nominee was not invited."""
    return session.exec(
        select(InterviewBooking, InterviewSlot, User)
        .outerjoin(InterviewSlot, InterviewSlot.id == InterviewBooking.slot_id)
        .outerjoin(User, User.id == InterviewSlot.interviewer_id)
        .where(InterviewBooking.nomination_id == nomination.id)).first()


def on_status_page(session: Session, nomination: Nomination) -> dict[str, object]:
    """What the applicant's status page shows of their interview: the booking and its time (in
    the zone they chose), or nothing when they were not invited."""
    booking = booking_of(session, nomination)
    slot = session.get(InterviewSlot, booking.slot_id) if booking and booking.slot_id else None
    return {"interview_booking": booking,
            "interview_when": when_in(slot.starts_at, booking.time_zone or HEIDELBERG) if slot else ""}


def booking_page(session: Session, nomination: Nomination, zone: str | None, now: datetime | None = None) -> BookingPage:
    now = now or utcnow()
    booking = booking_of(session, nomination)
    if booking is None:
        raise NotFound()
    hours = cutoff_hours(session, nomination.edition_id)
    chosen = zone if zone in zones() else (booking.time_zone or _nominee_preset(session, nomination))
    slot = session.get(InterviewSlot, booking.slot_id) if booking.slot_id else None
    free = list(session.exec(
        select(InterviewSlot).where(InterviewSlot.edition_id == nomination.edition_id,
                                    InterviewSlot.starts_at > now + timedelta(hours=hours),
                                    ~InterviewSlot.id.in_(select(InterviewBooking.slot_id)
                                                          .where(InterviewBooking.slot_id.is_not(None))))
        .order_by(InterviewSlot.starts_at, InterviewSlot.id)).all())
    return BookingPage(booking, slot, session.get(User, slot.interviewer_id) if slot else None, chosen, free, hours,
                       slot is None or slot.starts_at > now + timedelta(hours=hours))


def _locked_booking(session: Session, nomination: Nomination) -> InterviewBooking:
    booking = session.exec(select(InterviewBooking).where(InterviewBooking.nomination_id == nomination.id)
                           .with_for_update().execution_options(populate_existing=True)).first()
    if booking is None:
        raise NotFound()
    return booking


def _check_cutoff(session: Session, slot: InterviewSlot, now: datetime, message: str) -> None:
    if slot.starts_at <= now + timedelta(hours=cutoff_hours(session, slot.edition_id)):
        raise DomainError(message)


def book(session: Session, nomination: Nomination, slot_id: int, zone: str, base_url: str,
         now: datetime | None = None) -> InterviewBooking:
    """Books the slot for the nominee, or moves their booking to it. One nominee per slot: the
    slot row is locked and the booking taken by a conditional UPDATE, and the UNIQUE slot_id
    refuses whatever slips past both; the loser is told the slot was just taken."""
    now = now or utcnow()
    if zone not in zones():
        zone = ""
    with transaction(session):
        booking = _locked_booking(session, nomination)
        slot = session.exec(select(InterviewSlot).where(InterviewSlot.id == slot_id,
                                                        InterviewSlot.edition_id == nomination.edition_id)
                            .with_for_update().execution_options(populate_existing=True)).first()
        if slot is None:
            raise NotFound()
        if booking.slot_id == slot.id:
            return booking
        old = session.get(InterviewSlot, booking.slot_id) if booking.slot_id else None
        if old is not None:
            _check_cutoff(session, old, now, _("Your interview is too close to be moved now. Please write to the ISH team."))
        _check_cutoff(session, slot, now, _("This slot is too close to be booked now. Please choose a later one."))
        taken = _("Someone else has just booked this slot. Please choose another one.")
        try:
            with session.begin_nested():
                moved = session.execute(
                    update(InterviewBooking)
                    .where(InterviewBooking.id == booking.id,
                           InterviewBooking.slot_id.is_(None) if old is None else InterviewBooking.slot_id == old.id,
                           ~select(InterviewBooking.id).where(InterviewBooking.slot_id == slot.id).exists())
                    .values(slot_id=slot.id, sequence=InterviewBooking.sequence + 1, booked_at=now,
                            reminded_at=None, time_zone=zone or booking.time_zone)
                    .execution_options(synchronize_session=False))
        except IntegrityError:
            raise DomainError(taken) from None
        if moved.rowcount != 1:
            raise DomainError(taken)
        session.refresh(booking)
        record(session, APPLICANT, "interview_rescheduled" if old else "interview_booked",
               "interview_booking", booking.id, from_state=old.starts_at.isoformat() if old else "",
               to_state=slot.starts_at.isoformat(), edition_id=nomination.edition_id,
               organisation_id=nomination.organisation_id, nomination_id=nomination.id)
        if old is not None and old.interviewer_id != slot.interviewer_id:
            # The former interviewer's entry is cancelled; the new one is invited.
            _send(session, "cancelled", booking, nomination, old, base_url, to_nominee=False)
        _send(session, "booked", booking, nomination, slot, base_url)
    return booking


def cancel(session: Session, nomination: Nomination, base_url: str, now: datetime | None = None) -> InterviewBooking:
    now = now or utcnow()
    with transaction(session):
        booking = _locked_booking(session, nomination)
        slot = session.get(InterviewSlot, booking.slot_id) if booking.slot_id else None
        if slot is None:
            raise DomainError(_("You have no interview booked."))
        _check_cutoff(session, slot, now, _("Your interview is too close to be cancelled now. Please write to the ISH team."))
        booking.slot_id, booking.booked_at, booking.reminded_at = None, None, None
        booking.sequence += 1
        session.add(booking)
        record(session, APPLICANT, "interview_cancelled", "interview_booking",
               booking.id, from_state=slot.starts_at.isoformat(), edition_id=nomination.edition_id,
               organisation_id=nomination.organisation_id, nomination_id=nomination.id)
        _send(session, "cancelled", booking, nomination, slot, base_url)
    return booking


def _host(base_url: str) -> str:
    return base_url.split("://", 1)[-1].split("/", 1)[0] or "ish-portal"


def calendar_event(session: Session, booking: InterviewBooking, slot: InterviewSlot, nomination: Nomination,
                   base_url: str, *, cancelled: bool = False) -> ics.CalendarEvent:
    """The interview as a calendar entry; its UID is the booking's, the same through every
    reschedule, so calendar programs move the entry rather than add one."""
    edition = session.get(Edition, slot.edition_id)
    interviewer = session.get(User, slot.interviewer_id)
    how = (f"{interviewer.full_name} calls you from {slot.join_how}." if slot.join_kind == "phone"
           else f"Video call: {slot.join_how}")
    return ics.CalendarEvent(
        uid=f"interview-booking-{booking.id}@{_host(base_url)}", start=slot.starts_at,
        duration=timedelta(minutes=slot.minutes), stamp=utcnow(), sequence=booking.sequence,
        summary=f"ISH interview in English: {nomination.display_name} with {interviewer.full_name} ({edition.title})",
        description=f"Interview in English for the International Summer Science School Heidelberg. {how}",
        location=slot.join_how, organizer=(interviewer.email, interviewer.full_name),
        attendees=[(nomination.email, nomination.display_name)], cancelled=cancelled)


def _send(session: Session, what: str, booking: InterviewBooking, nomination: Nomination, slot: InterviewSlot,
          base_url: str, *, to_nominee: bool = True) -> None:
    calendar = ics.invitation(calendar_event(session, booking, slot, nomination, base_url,
                                             cancelled=what == "cancelled"))
    attachment = [("interview.ics", f"text/calendar; method={'CANCEL' if what == 'cancelled' else 'REQUEST'}",
                   calendar)]
    facts = {"nomination": nomination.id, "booking": booking.id, "slot": slot.id}
    interviewer = session.get(User, slot.interviewer_id)
    if to_nominee:
        enqueue(session, f"interview_{what}", _nominee_reader(session, nomination, booking), facts,
                edition_id=slot.edition_id, nomination_id=nomination.id, base_url=base_url, attachments=attachment)
    enqueue(session, f"interview_{what}_panel", _interviewer_reader(session, interviewer), facts,
            edition_id=slot.edition_id, nomination_id=nomination.id, base_url=base_url, attachments=attachment)


# -- the interviewer's side ---------------------------------------------------------------------

@dataclass
class AgendaItem:
    booking: InterviewBooking
    slot: InterviewSlot
    nomination: Nomination
    interviewer: User
    when: str  # in the interviewer's zone, named


def agenda(session: Session, user: User, *, upcoming_from: datetime | None = None) -> list[AgendaItem]:
    """The interviews on the person's own slots (an organiser's too), soonest first; with
    `upcoming_from`, only those that have not ended by then."""
    zone = interviewer_zone(session, user.id)
    query = (select(InterviewBooking, InterviewSlot, Nomination, User)
             .join(InterviewSlot, InterviewSlot.id == InterviewBooking.slot_id)
             .join(Nomination, Nomination.id == InterviewBooking.nomination_id)
             .join(User, User.id == InterviewSlot.interviewer_id)
             .where(InterviewSlot.interviewer_id == user.id).order_by(InterviewSlot.starts_at))
    if upcoming_from is not None:
        query = query.where(InterviewSlot.starts_at > upcoming_from - timedelta(hours=3))
    return [AgendaItem(b, s, n, u, when_in(s.starts_at, zone)) for b, s, n, u in session.exec(query).all()]


def interview_for(session: Session, user: User, booking_id: int) -> AgendaItem:
    """One interview on the person's own slots; another interviewer's is not found."""
    item = next((i for i in agenda(session, user) if i.booking.id == booking_id), None)
    if item is None:
        raise NotFound()
    return item


class OutcomeForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    outcome: str
    no_show: bool = False
    notes: str = Field(default="", max_length=4000)

    @field_validator("outcome")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in OUTCOMES:
            raise ValueError(_("Choose one of the options."))
        return value

    @field_validator("no_show")
    @classmethod
    def _not_passed(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("outcome") == "passed":
            raise ValueError(_("A nominee who did not come cannot have passed: choose one or the other."))
        return value


def record_outcome(session: Session, user: User, booking_id: int, form: OutcomeForm) -> InterviewBooking:
    with transaction(session):
        item = interview_for(session, user, booking_id)
        booking = session.exec(select(InterviewBooking).where(InterviewBooking.id == item.booking.id)
                               .with_for_update().execution_options(populate_existing=True)).one()
        if (form.outcome != "pending" or form.no_show) and item.slot.starts_at > utcnow():
            # What happened is known once it has begun; notes to prepare it may be kept before.
            raise DomainError(fields={"outcome": _("The interview is on %(when)s: its outcome can be recorded once "
                                                   "it has begun.", when=item.when)})
        changes = {name: [getattr(booking, name), getattr(form, name)] for name in ("outcome", "no_show")
                   if getattr(booking, name) != getattr(form, name)}
        if booking.notes != form.notes:
            changes["notes"] = "changed"  # the notes themselves stay out of the audit log
        if changes:
            record(session, Actor.of_user(user), "interview_outcome_recorded", "interview_booking", booking.id,
                   from_state=booking.outcome, to_state=form.outcome, changes=changes,
                   edition_id=booking.edition_id, organisation_id=item.nomination.organisation_id,
                   nomination_id=booking.nomination_id)
            booking.outcome, booking.no_show, booking.notes = form.outcome, form.no_show, form.notes
            session.add(booking)
    return booking


# -- the private calendar feed ------------------------------------------------------------------

def feed_exists(session: Session, user: User) -> bool:
    setting = _setting(session, user.id)
    return bool(setting and setting.feed_token_hash)


def new_feed_token(session: Session, user: User) -> str:
    """A fresh secret feed address; the one before stops working. Only the hash is kept."""
    raw = secrets.token_urlsafe(32)
    with transaction(session):
        setting = _setting_to_change(session, user.id)
        setting.feed_token_hash, setting.feed_created_at = hash_token(raw), utcnow()
        session.add(setting)
        record(session, Actor.of_user(user), "calendar_feed_created", "user", user.id)
    return raw


def revoke_feed(session: Session, user: User) -> None:
    with transaction(session):
        setting = _setting(session, user.id)
        if setting and setting.feed_token_hash:
            setting.feed_token_hash = None
            session.add(setting)
            record(session, Actor.of_user(user), "calendar_feed_revoked", "user", user.id)


def feed(session: Session, raw_token: str, base_url: str) -> bytes:
    setting = session.exec(select(InterviewerSetting)
                           .where(InterviewerSetting.feed_token_hash == hash_token(raw_token))).first()
    user = session.get(User, setting.user_id) if setting else None
    if user is None or not user.is_active or user.role not in (Role.PANEL, Role.ORGANISER):
        raise NotFound()
    events = [calendar_event(session, i.booking, i.slot, i.nomination, base_url)
              for i in agenda(session, user, upcoming_from=utcnow() - timedelta(days=30))]
    return ics.calendar(events, name="ISH interviews")


# -- reminders ----------------------------------------------------------------------------------

def send_interview_reminders(session: Session, base_url: str, now: datetime | None = None) -> int:
    """Once per booking, within the day before the interview, to the nominee and the interviewer.
    The booking row is locked (SKIP LOCKED), so two workers never remind twice; a reschedule
    clears reminded_at, so the new time is reminded of too."""
    now = now or utcnow()
    sent = 0
    with transaction(session):
        rows = session.exec(
            select(InterviewBooking, InterviewSlot, Nomination)
            .join(InterviewSlot, InterviewSlot.id == InterviewBooking.slot_id)
            .join(Nomination, Nomination.id == InterviewBooking.nomination_id)
            .where(InterviewBooking.reminded_at.is_(None), InterviewSlot.starts_at > now,
                   InterviewSlot.starts_at <= now + timedelta(days=1))
            .with_for_update(skip_locked=True, of=InterviewBooking)).all()
        for booking, slot, nomination in rows:
            facts = {"nomination": nomination.id, "booking": booking.id, "slot": slot.id}
            enqueue(session, "interview_reminder", _nominee_reader(session, nomination, booking), facts,
                    edition_id=slot.edition_id, nomination_id=nomination.id, base_url=base_url)
            enqueue(session, "interview_reminder_panel",
                    _interviewer_reader(session, session.get(User, slot.interviewer_id)), facts,
                    edition_id=slot.edition_id, nomination_id=nomination.id, base_url=base_url)
            booking.reminded_at = now
            session.add(booking)
            record(session, SYSTEM, "interview_reminder_sent", "interview_booking", booking.id,
                   edition_id=slot.edition_id, organisation_id=nomination.organisation_id,
                   nomination_id=nomination.id)
            sent += 2
    return sent
