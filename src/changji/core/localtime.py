"""The platform's one local time zone and calendar: Asia/Shanghai days, months, quarters and years.

Times are stored in UTC and shown and bucketed in Asia/Shanghai (docs/architecture.md). China has kept
UTC+8 all year since 1991, so a fixed offset is exact for every date the platform meets and much
cheaper than a zoneinfo lookup per reading; it carries the IANA name, so the database's
``AT TIME ZONE`` and Django's ``Trunc*`` functions receive ``Asia/Shanghai``. Both terminal
protocols put this local time on the wire (SL651-2014 §6.6.3, SZY206-2016 时间标签), and their
codecs use this same object.

Pure: no Django, so the protocol codecs and the rules can use it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

__pure__ = True

#: China Standard Time (UTC+8), named so databases and Django resolve it as Asia/Shanghai.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


def now() -> datetime:
    """Return the current time as an aware Asia/Shanghai datetime."""
    return datetime.now(SHANGHAI)


def today() -> date:
    """Return today's date in Asia/Shanghai, whatever the server's time zone."""
    return now().date()


def local_day(moment: datetime) -> date:
    """Return the Asia/Shanghai calendar day of an aware datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: times must be timezone-aware")
    return moment.astimezone(SHANGHAI).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """Return ``[start, end)`` of a local day as UTC-aware datetimes."""
    start = datetime.combine(day, time(0), SHANGHAI).astimezone(UTC)
    return start, start + timedelta(days=1)


def days_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """Return ``[start, end)`` in UTC of the local days ``first`` .. ``last`` inclusive."""
    return day_bounds(first)[0], day_bounds(last)[1]


def month_of(day: date) -> date:
    """Return the first day of the month of ``day``."""
    return day.replace(day=1)


def quarter_of(day: date) -> date:
    """Return the first day of the calendar quarter of ``day``."""
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def year_of(day: date) -> int:
    """Return the calendar year of ``day`` (water quotas and reports are set per calendar year)."""
    return day.year


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """Return ``[start, end)`` in UTC of a local calendar year."""
    return days_bounds(date(year, 1, 1), date(year, 12, 31))
