"""When a care household (关爱户) is next due a visit, and how many days it is overdue (pure).

A household tagged for care is visited at least every ``interval`` days: the shortest default interval of its
tags (``DEFAULT_INTERVAL_DAYS``: an elderly person living alone weekly, a disabled resident fortnightly, a
low-income household monthly) unless the community sets one for the household. The next visit is due
``interval`` days after the last one, or, for a household never visited, ``interval`` days after it was
taken into care. Days are Asia/Shanghai calendar days; the caller converts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

__pure__ = True  # no Django: tests/test_architecture.py checks it

#: Default visit interval in days per care tag (``community.models.CareTag`` values).
DEFAULT_INTERVAL_DAYS = {
    "elderly_alone": 7,  # 独居老人: weekly (书记爱串门)
    "disabled": 14,  # 残疾人
    "serious_illness": 14,  # 大病患者
    "left_behind_child": 14,  # 留守儿童
    "low_income": 30,  # 低保户
    "veteran": 30,  # 退役军人
}
#: The interval of a tag without its own default.
FALLBACK_INTERVAL_DAYS = 30
#: The longest interval a household may be given (a quarter).
MAX_INTERVAL_DAYS = 92


def interval_for(tags: Iterable[str], chosen: int | None = None) -> int:
    """The household's visit interval in days: ``chosen`` when set, else the shortest default of its tags."""
    if chosen is not None:
        if not 1 <= chosen <= MAX_INTERVAL_DAYS:
            raise ValueError(f"走访周期应在 1–{MAX_INTERVAL_DAYS} 天之间")
        return chosen
    return min((DEFAULT_INTERVAL_DAYS.get(tag, FALLBACK_INTERVAL_DAYS) for tag in tags),
               default=FALLBACK_INTERVAL_DAYS)


def next_due(last_visit: date | None, since: date, interval_days: int) -> date:
    """The day the next visit is due: ``interval_days`` after the last visit (or after ``since`` if none yet)."""
    return (last_visit or since) + timedelta(days=interval_days)


def overdue_days(last_visit: date | None, since: date, interval_days: int, today: date) -> int:
    """Days past the due day (0 when not yet due; due today is not overdue)."""
    return max(0, (today - next_due(last_visit, since, interval_days)).days)
