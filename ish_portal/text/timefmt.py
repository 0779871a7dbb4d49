"""Times are stored in UTC and shown in the reader's time zone with the zone named: the portal's
zone (Europe/Berlin) on pages, the recipient's zone in emails (see reading())."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ish_portal.text import i18n
from ish_portal.text.i18n import current_language, gettext as _, ngettext

_zone = ZoneInfo("Europe/Berlin")
# The zone of whoever reads what is being rendered, when it is not the portal's (an email to Kumamoto).
_reader_zone: ContextVar[ZoneInfo | None] = ContextVar("reader_zone", default=None)

MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "de": ["Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sep.", "Okt.", "Nov.", "Dez."],
}


def configure(zone: ZoneInfo) -> None:
    global _zone
    _zone = zone


def zone() -> ZoneInfo:
    """The portal's own zone: Heidelberg's, in which deadlines are set."""
    return _zone


def reader_zone() -> ZoneInfo:
    return _reader_zone.get() or _zone


def zone_of(name: str | None) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


@contextmanager
def reading(language: str, zone_name: str | None = None) -> Iterator[None]:
    """Render something for one reader: their language, and times in their zone."""
    token = _reader_zone.set(zone_of(zone_name))
    try:
        with i18n.language(language):
            yield
    finally:
        _reader_zone.reset(token)


def local(value: datetime) -> datetime:
    return value.astimezone(reader_zone())


def format_date(value: date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value).date()
    month = MONTHS.get(current_language(), MONTHS["en"])[value.month - 1]
    return f"{value.day} {month} {value.year}"


def format_datetime(value: datetime | None) -> str:
    """'15 Mar 2027, 23:59 CET' in the portal's time zone."""
    if value is None:
        return ""
    shown = local(value)
    return f"{format_date(shown.date())}, {shown:%H:%M} {shown.tzname()}"


def format_deadline(value: datetime | None) -> str:
    """A deadline in the reader's zone; for a reader elsewhere, Heidelberg's time follows, since
    that is the clock the deadline was set by: '1 May 2027, 06:59 JST (30 Apr 2027, 23:59 CEST
    in Heidelberg)'."""
    if value is None:
        return ""
    shown = format_datetime(value)
    if reader_zone().key == _zone.key:
        return shown
    here = value.astimezone(_zone)
    return _("%(when)s (%(heidelberg)s in Heidelberg)", when=shown,
             heidelberg=f"{format_date(here.date())}, {here:%H:%M} {here.tzname()}")


def from_local_input(day: date, clock: time) -> datetime:
    """A date and time typed in the portal's time zone, as a UTC instant."""
    return datetime.combine(day, clock, tzinfo=_zone).astimezone(UTC)


def time_left(until: datetime | None, now: datetime | None = None) -> str:
    if until is None:
        return ""
    now = now or datetime.now(UTC)
    seconds = (until - now).total_seconds()
    if seconds <= 0:
        return _("time is up")
    days, rest = divmod(int(seconds), 86400)
    hours = rest // 3600
    if days >= 2:
        return ngettext("%(num)d day left", "%(num)d days left", days)
    if days == 1:
        return _("1 day and %(hours)d hours left", hours=hours)
    if hours >= 1:
        return ngettext("%(num)d hour left", "%(num)d hours left", hours)
    return ngettext("%(num)d minute left", "%(num)d minutes left", max(1, rest // 60))
