"""Calendar files (RFC 5545) made with the icalendar package: one event, as an invitation
(METHOD:REQUEST, its SEQUENCE raised on every change), a cancellation (METHOD:CANCEL) or a plain
published entry, and a feed of many events for calendar programs that subscribe."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from icalendar import Event, vCalAddress

PRODID = "-//City of Heidelberg//ISH portal//EN"


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    start: datetime
    duration: timedelta
    summary: str
    description: str = ""
    location: str = ""
    sequence: int = 0
    stamp: datetime | None = None
    organizer: tuple[str, str] | None = None              # (address, name)
    attendees: list[tuple[str, str]] = field(default_factory=list)
    cancelled: bool = False


def _address(email: str, name: str, *, attendee: bool) -> vCalAddress:
    from icalendar import vCalAddress, vText

    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = vText(name)
    if attendee:
        address.params["ROLE"] = vText("REQ-PARTICIPANT")
    return address


def _event(item: CalendarEvent) -> Event:
    from icalendar import Event

    event = Event()
    event.add("uid", item.uid)
    event.add("dtstamp", (item.stamp or datetime.now(UTC)).astimezone(UTC))
    event.add("dtstart", item.start.astimezone(UTC))
    event.add("duration", item.duration)
    event.add("sequence", item.sequence)
    event.add("summary", item.summary)
    if item.description:
        event.add("description", item.description)
    if item.location:
        event.add("location", item.location)
    if item.organizer:
        event.add("organizer", _address(*item.organizer, attendee=False))
    for email, name in item.attendees:
        event.add("attendee", _address(email, name, attendee=True))
    event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
    return event


def calendar(events: list[CalendarEvent], method: str | None = None, name: str = "") -> bytes:
    """A VCALENDAR of the events; `method` REQUEST or CANCEL for an emailed invitation (RFC 5546),
    None for a file or a feed that only publishes. (icalendar is imported here, at the first
    calendar a process makes: about 40 ms that starting the portal need not pay.)"""
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method or "PUBLISH")
    if name:
        cal.add("x-wr-calname", name)
    for item in events:
        cal.add_component(_event(item))
    return cal.to_ical()


def invitation(event: CalendarEvent) -> bytes:
    return calendar([event], "CANCEL" if event.cancelled else "REQUEST")
