"""Daily observations as ISO 8601 intervals of the local day, and ``$filter`` comparisons of them with an instant.

A daily value's ``phenomenonTime`` is the Asia/Shanghai day it covers, ``2026-05-01T00:00:00+08:00/
2026-05-02T00:00:00+08:00`` (half-open, as ISO 8601 intervals are read by OGC 18-088 §8.2.7); its
``resultTime`` is the end of that day, the first instant the day's figure is complete.

The standard leaves the comparison of an interval with an instant open; these rules follow FROST-Server's
(an interval is before an instant when it has ended by then, after it when it has not yet begun):

* ``phenomenonTime lt t`` and ``le t`` — the day ended by ``t`` (end ≤ t);
* ``phenomenonTime gt t`` — the day begins after ``t`` (start > t); ``ge t`` — start ≥ t;
* ``phenomenonTime eq t`` — never true for a day (an interval is not an instant); ``ne t`` — always true.

So ``phenomenonTime ge 2026-05-01T00:00:00+08:00 and phenomenonTime lt 2026-06-01T00:00:00+08:00`` is May.
Each comparison becomes a condition on the stored local ``day`` (``DayCondition``): a date column keeps its
index, and a reading column is compared with the day's UTC bounds (``reading_bounds``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final

from changji.core.localtime import SHANGHAI

__pure__ = True

OPERATORS: Final = ("lt", "le", "gt", "ge", "eq", "ne")
#: The operator that reads a comparison the other way round (``t lt phenomenonTime`` is ``phenomenonTime gt t``).
FLIPPED: Final = {"lt": "gt", "le": "ge", "gt": "lt", "ge": "le", "eq": "eq", "ne": "ne"}


@dataclass(frozen=True)
class DayCondition:
    """``day <op> value``, or a constant: ``always`` True or False when the comparison does not depend on the day."""

    op: str = ""
    value: date | None = None
    always: bool | None = None


def midnight(day: date) -> datetime:
    """The start of ``day`` in Asia/Shanghai."""
    return datetime.combine(day, time(0), SHANGHAI)


def iso_instant(moment: datetime) -> str:
    """An instant as ISO 8601 in +08:00."""
    return moment.astimezone(SHANGHAI).isoformat()


def day_interval(day: date) -> str:
    """The ISO 8601 interval of a local day."""
    return f"{iso_instant(midnight(day))}/{iso_instant(midnight(day + timedelta(days=1)))}"


def day_end(day: date) -> str:
    """The instant a local day ends (a daily value's ``resultTime``)."""
    return iso_instant(midnight(day + timedelta(days=1)))


def as_instant(value: date | datetime) -> datetime:
    """A literal of a filter as an aware instant (a date is its local midnight, a naive time is local)."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=SHANGHAI)
    return midnight(value)


def _midnight_compare(op: str, moment: datetime, shift: int) -> DayCondition:
    """The condition on ``day`` for ``midnight(day + shift) <op> moment``."""
    local = moment.astimezone(SHANGHAI)
    d, exact = local.date(), local.timetz().replace(tzinfo=None) == time(0)
    if op == "lt":
        found = DayCondition("lt" if exact else "le", d)
    elif op == "le":
        found = DayCondition("le", d)
    elif op == "gt":
        found = DayCondition("gt", d)
    elif op == "ge":
        found = DayCondition("ge" if exact else "gt", d)
    elif op == "eq":
        found = DayCondition("eq", d) if exact else DayCondition(always=False)
    else:
        found = DayCondition("ne", d) if exact else DayCondition(always=True)
    if found.value is None:
        return found
    return DayCondition(found.op, found.value - timedelta(days=shift))


def phenomenon_condition(op: str, moment: datetime) -> DayCondition:
    """The condition on ``day`` for ``phenomenonTime <op> moment`` (the rules of the module docstring)."""
    if op in ("lt", "le"):
        return _midnight_compare("le", moment, 1)
    if op == "gt":
        return _midnight_compare("gt", moment, 0)
    if op == "ge":
        return _midnight_compare("ge", moment, 0)
    return DayCondition(always=op == "ne")


def result_time_condition(op: str, moment: datetime) -> DayCondition:
    """The condition on ``day`` for ``resultTime <op> moment`` (the instant the day ends)."""
    return _midnight_compare(op, moment, 1)


def reading_bounds(condition: DayCondition) -> tuple[datetime | None, datetime | None]:
    """The instants ``[since, until)`` of the readings whose local day meets ``condition`` (not ``ne``)."""
    assert condition.value is not None and condition.op != "ne"
    start, end = midnight(condition.value), midnight(condition.value + timedelta(days=1))
    return {"lt": (None, start), "le": (None, end), "gt": (end, None), "ge": (start, None),
            "eq": (start, end)}[condition.op]
