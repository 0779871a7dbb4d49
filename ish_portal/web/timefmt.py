"""Times are stored in UTC and shown in the portal's time zone (Europe/Berlin) with the zone named."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from ish_portal.web.i18n import current_language, gettext as _, ngettext

_zone = ZoneInfo("Europe/Berlin")

MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "de": ["Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sep.", "Okt.", "Nov.", "Dez."],
}


def configure(zone: ZoneInfo) -> None:
    global _zone
    _zone = zone


def zone() -> ZoneInfo:
    return _zone


def local(value: datetime) -> datetime:
    return value.astimezone(_zone)


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
