"""Statutory time limits counted in working days (工作日) on the Asia/Shanghai calendar (pure: no Django).

Which days are working days comes, in this order, from:

1. ``overrides``, the administrator's own table ``{date: is_working_day}``: local holidays, or a year whose State
   Council holiday notice the installed ``chinesecalendar`` package does not know yet;
2. ``chinese_calendar.is_workday``, which knows the public holidays and the 调休 make-up working days;
3. Monday to Friday, for a year outside the package's data (it raises ``NotImplementedError`` there).

Counting follows 《行政许可法》 §82 practice: the day of acceptance does not count, day 1 is the next working day.
All arguments are calendar dates (``datetime.date``) as seen in Asia/Shanghai; :func:`today_in_shanghai` gives today.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import MappingProxyType

import chinese_calendar

from changji.core.localtime import SHANGHAI

__pure__ = True  # no Django: tests/test_architecture.py checks it

__all__ = [
    "Clock",
    "add_working_days",
    "is_working_day",
    "today_in_shanghai",
    "working_days_between",
]

NO_OVERRIDES: Mapping[date, bool] = MappingProxyType({})
_ONE_DAY = timedelta(days=1)


def today_in_shanghai() -> date:
    """Return today's date in Asia/Shanghai, whatever the server's time zone."""
    return datetime.now(SHANGHAI).date()


def _as_date(day: date) -> date:
    # A datetime is a date subclass: it would miss the overrides (keys are dates) and hide a time-zone question.
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"expected datetime.date, got {type(day).__name__}")
    return day


def is_working_day(day: date, overrides: Mapping[date, bool] = NO_OVERRIDES) -> bool:
    """Return whether ``day`` is a working day: overrides, then the package's holiday data, then Monday-Friday."""
    day = _as_date(day)
    if day in overrides:
        return bool(overrides[day])
    try:
        return bool(chinese_calendar.is_workday(day))  # the package is untyped; it returns a bool
    except NotImplementedError:
        return day.weekday() < 5


def add_working_days(start: date, days: int, overrides: Mapping[date, bool] = NO_OVERRIDES) -> date:
    """Return the last day of a ``days``-working-day limit for a case accepted on ``start``.

    ``start`` itself never counts; day 1 is the first working day after it, so the result is always a working day
    (``days == 0`` returns ``start`` unchanged).
    """
    day = _as_date(start)
    if days < 0:
        raise ValueError("days must not be negative")
    remaining = days
    while remaining:
        day += _ONE_DAY
        if is_working_day(day, overrides):
            remaining -= 1
    return day


def working_days_between(start: date, end: date, overrides: Mapping[date, bool] = NO_OVERRIDES) -> int:
    """Return the number of working days in the half-open interval (start, end]; 0 if ``end <= start``."""
    day, end = _as_date(start), _as_date(end)
    count = 0
    while day < end:
        day += _ONE_DAY
        if is_working_day(day, overrides):
            count += 1
    return count


@dataclass(frozen=True)
class Clock:
    """The statutory clock of one case.

    ``limit_days`` is the legal limit in working days counted from ``started`` (the acceptance date, which does not
    count); ``suspended_days`` are working days during which the clock was stopped (e.g. waiting for 补正 material,
    expert review, hearings); ``extended_days`` are working days added by an approved extension.
    """

    started: date
    limit_days: int
    suspended_days: int = 0
    extended_days: int = 0

    def __post_init__(self) -> None:
        _as_date(self.started)
        for name in ("limit_days", "suspended_days", "extended_days"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")

    def due(self, overrides: Mapping[date, bool] = NO_OVERRIDES) -> date:
        """Return the last day on which the case is still on time."""
        return add_working_days(self.started, self.limit_days + self.suspended_days + self.extended_days, overrides)

    def used(self, today: date, overrides: Mapping[date, bool] = NO_OVERRIDES) -> int:
        """Return the working days the clock has run by the end of ``today``: elapsed minus suspended, at least 0."""
        return max(0, working_days_between(self.started, today, overrides) - self.suspended_days)

    def remaining(self, today: date, overrides: Mapping[date, bool] = NO_OVERRIDES) -> int:
        """Return the working days left after ``today``: 0 on the due day, negative once overdue."""
        return self.limit_days + self.extended_days - self.used(today, overrides)

    def warning(self, today: date, overrides: Mapping[date, bool] = NO_OVERRIDES) -> str:
        """Return ``"red"``, ``"yellow"`` or ``"green"``: how close the clock is to its due day.

        Red: due today or overdue; yellow: at most max(1, 20 % of ``limit_days``) working days left; green: more.
        """
        left = self.remaining(today, overrides)
        if left <= 0:
            return "red"
        # left is an integer, so left <= limit/5 is the same as left <= limit // 5.
        if left <= max(1, self.limit_days // 5):
            return "yellow"
        return "green"

    def overdue(self, today: date, overrides: Mapping[date, bool] = NO_OVERRIDES) -> bool:
        """Return whether ``today`` is after the due day."""
        return _as_date(today) > self.due(overrides)
