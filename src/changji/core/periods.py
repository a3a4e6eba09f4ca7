"""The periods of recurring jobs: local minutes, hours, days and months, and which ones are due.

A period is named by its start, an aware datetime in Asia/Shanghai (``core.localtime.SHANGHAI``):
the minute 12:03, the hour 12:00, the day from local midnight, the month from midnight of its 1st.
A period is *due* from its start: the daily job of 2 July runs from 00:00 on 2 July (and works on
the day that just ended if that is what it does). ``core.jobs`` stores one run per job and period.

Pure: no Django, so the calendar is tested on its own.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from changji.core.localtime import SHANGHAI

__pure__ = True

__all__ = ["PERIOD_LABELS", "Period", "due", "shift", "start_of"]


class Period(StrEnum):
    """How often a job runs: once per local minute, hour, day or month."""

    MINUTELY = "minutely"
    HOURLY = "hourly"
    DAILY = "daily"
    MONTHLY = "monthly"


#: How a period kind is shown to operators (the admin, ``changji jobs --list``).
PERIOD_LABELS = {Period.MINUTELY: "每分钟", Period.HOURLY: "每小时", Period.DAILY: "每天", Period.MONTHLY: "每月"}

_FIXED = {Period.MINUTELY: timedelta(minutes=1), Period.HOURLY: timedelta(hours=1), Period.DAILY: timedelta(days=1)}


def start_of(period: Period, moment: datetime) -> datetime:
    """Return the start (Asia/Shanghai) of the ``period`` holding the aware ``moment``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: times must be timezone-aware")
    local = moment.astimezone(SHANGHAI).replace(second=0, microsecond=0)
    if period is Period.MINUTELY:
        return local
    local = local.replace(minute=0)
    if period is Period.HOURLY:
        return local
    local = local.replace(hour=0)
    if period is Period.DAILY:
        return local
    return local.replace(day=1)


def shift(period: Period, start: datetime, count: int) -> datetime:
    """Return the start of the period ``count`` periods after (negative: before) the one starting at ``start``."""
    if period is Period.MONTHLY:
        months = start.year * 12 + start.month - 1 + count
        return start.replace(year=months // 12, month=months % 12 + 1)
    # Asia/Shanghai keeps UTC+8 all year (core.localtime), so a local day is always 24 hours.
    return start + _FIXED[period] * count


def due(period: Period, now: datetime, look_back: int, since: datetime | None = None) -> list[datetime]:
    """Return the starts of the periods due at ``now`` that a runner still considers, oldest first.

    These are the latest ``look_back`` periods that have begun by ``now`` (the current one included),
    without those that begin before ``since`` (the first period a job ever ran: a job new to an
    installation does not replay history). The current period is always among them.
    """
    if look_back < 1:
        raise ValueError("look_back must be at least 1")
    latest = start_of(period, now)
    starts = [shift(period, latest, -back) for back in range(look_back - 1, -1, -1)]
    if since is not None:
        starts = [start for start in starts if start >= since] or [latest]
    return starts
