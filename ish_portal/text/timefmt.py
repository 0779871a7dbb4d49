"""Times are stored in UTC and shown in the reader's time zone with the zone named: the portal's
zone (Europe/Berlin) on pages, the recipient's zone in emails (see reading())."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import dates, numbers

from ish_portal.text import i18n
from ish_portal.text.i18n import gettext as _, ngettext

_zone = ZoneInfo("Europe/Berlin")
# The zone of whoever reads what is being rendered, when it is not the portal's (an email to Kumamoto).
_reader_zone: ContextVar[ZoneInfo | None] = ContextVar("reader_zone", default=None)

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
    """The reader's long date: '15 March 2027', '15. März 2027', '2027年3月15日'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value).date()
    return i18n.mark(_long_date(i18n.current_language(), value))


# A page lists many moments of few days in one zone: the words of a day and of a zone are worked out
# by Babel once per language and kept, which makes a list of fifty times several times cheaper.
@lru_cache(maxsize=4096)
def _long_date(language: str, day: date) -> str:
    return dates.format_date(day, "long", locale=i18n.locale(language))


_zone_names: dict[tuple[str, str, object], str] = {}


def _zone_name(language: str, moment: datetime) -> str:
    """The zone's short name where the locale has one that people use (MEZ, JST), otherwise its long
    name, never a bare offset. It depends on the zone and on whether summer time applies, so it is
    kept by zone and offset."""
    key = (language, str(moment.tzinfo), moment.utcoffset())
    name = _zone_names.get(key)
    if name is None:
        locale = i18n.locale(language)
        name = dates.format_datetime(moment, "zzz", locale=locale)
        if name[:1] in "+-" or name.startswith(("GMT+", "GMT-", "UTC")):
            name = dates.format_datetime(moment, "zzzz", locale=locale)
        _zone_names[key] = name
    return name


@lru_cache(maxsize=64)
def _clock_parts(language: str) -> tuple[str, str]:
    """How the locale joins a date and a time ('{1}, {0}') and writes a time ('HH:mm')."""
    locale = i18n.locale(language)
    return locale.datetime_formats["medium"], str(locale.time_formats["short"])


def _clock(moment: datetime) -> str:
    """'15. März 2027, 23:59 MEZ': the locale's date, time and their joining, and the zone's name."""
    language = i18n.current_language()
    joining, time_pattern = _clock_parts(language)
    if time_pattern == "HH:mm":
        clock = f"{moment:%H:%M}"
    elif time_pattern == "H:mm":
        clock = f"{moment.hour}:{moment:%M}"
    else:
        clock = dates.format_time(moment, "short", locale=i18n.locale(language))
    return f"{joining.format(clock, _long_date(language, moment.date()))} {_zone_name(language, moment)}"


def format_datetime(value: datetime | None) -> str:
    """A moment in the reader's zone, named: '15 March 2027, 23:59 CET'."""
    if value is None:
        return ""
    return i18n.mark(_clock(local(value)))


def format_deadline(value: datetime | None) -> str:
    """A deadline in the reader's zone; for a reader on another clock, Heidelberg's time follows,
    since that is the clock the deadline was set by: '1 May 2027, 06:59 Japan Standard Time (30 April
    2027, 23:59 CEST in Heidelberg)'. A zone that keeps Heidelberg's clock (Paris) says it once."""
    if value is None:
        return ""
    shown = format_datetime(value)
    if value.astimezone(reader_zone()).utcoffset() == value.astimezone(_zone).utcoffset():
        return shown
    return _("%(when)s (%(heidelberg)s in Heidelberg)", when=shown,
             heidelberg=i18n.mark(_clock(value.astimezone(_zone))))


def format_number(value: float | int) -> str:
    """A number as the reader writes it: '9,212', '9.212', '9 212'."""
    return i18n.mark(numbers.format_decimal(value, locale=i18n.locale()))


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
