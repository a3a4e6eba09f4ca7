"""Daily usage of a clean register series over numpy arrays: the batch form of ``stats`` for rebuilds.

``stats.segment_register`` and ``stats.daily_usage`` walk readings one by one, which is right for
the rules but costs microseconds per reading; a full rebuild of the prefecture (about 90 million
5-minute readings a month) needs the common case done in bulk. That common case is a *clean*
series: times strictly increasing, every value finite, the register never going down, no rise
beyond what the rated pump could deliver, and no interval longer than the gap threshold. In a
clean series every segment is ``NORMAL`` with usage equal to the difference of its readings, and a
segment crosses at most one local midnight, so days are a bincount.

:func:`clean_daily_usage` returns None for anything else (a dip, a reversal, a rollover, a jump,
a gap, a duplicate time); the caller then takes the reference path in ``stats``. A property test
holds the two equal on every series this function accepts. Pure: numpy only, no Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from changji.water.usage.registers import RegisterSpec

__pure__ = True  # no Django: tests/test_architecture.py checks it

#: Seconds east of UTC of China Standard Time (no daylight saving time).
_CST_OFFSET_S = 8 * 3600
_DAY_S = 86_400
_EPOCH_DAY = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class ArrayDays:
    """Per local day of a clean series: the day numbers (days since 1970-01-01), usage and last register."""

    day_numbers: np.ndarray
    usage: np.ndarray
    last_value: np.ndarray

    def dates(self) -> list[date]:
        return [_EPOCH_DAY + timedelta(days=int(n)) for n in self.day_numbers]


def local_day_numbers(epoch_s: np.ndarray) -> np.ndarray:
    """Return the Asia/Shanghai day of each UTC epoch second, as days since 1970-01-01."""
    days: np.ndarray = np.floor_divide(epoch_s + _CST_OFFSET_S, _DAY_S).astype(np.int64)
    return days


def day_number_to_date(number: int) -> date:
    return _EPOCH_DAY + timedelta(days=int(number))


def clean_daily_usage(epoch_s: np.ndarray, values: np.ndarray, spec: RegisterSpec) -> ArrayDays | None:
    """Allocate a clean series' usage to local days; None when the series is not clean.

    ``epoch_s`` are the readings' UTC times in seconds (float), ``values`` the register totals, both
    in time order. The result equals ``stats.daily_usage(stats.segment_register(...))`` for the same
    samples: a segment crossing midnight is split by time and the later day takes the remainder; a
    day's last value is its last reading; a series of fewer than two readings has no days.
    """
    count = len(epoch_s)
    if count != len(values):
        raise ValueError("times and values differ in length")
    if count < 2:
        return ArrayDays(np.empty(0, np.int64), np.empty(0), np.empty(0))
    if not (np.isfinite(values).all() and np.isfinite(epoch_s).all()):
        return None
    elapsed = np.diff(epoch_s)
    rise = np.diff(values)
    if (elapsed <= 0).any() or (rise < 0).any():
        return None
    if (elapsed > spec.gap_factor * spec.expected_interval_s).any():
        return None
    if spec.max_rate_per_h is not None and (rise > spec.max_rate_per_h * elapsed / 3600 * spec.jump_tolerance).any():
        return None
    days = local_day_numbers(epoch_s)
    first_day = days[0]
    start_day, end_day = days[:-1], days[1:]
    if (end_day - start_day > 1).any():  # cannot happen under the gap threshold of one day; be safe
        return None
    midnight = (start_day + 1) * _DAY_S - _CST_OFFSET_S
    before = np.minimum(epoch_s[1:], midnight) - epoch_s[:-1]
    crosses = end_day != start_day
    first_part = np.where(crosses, rise * before / elapsed, rise)
    second_part = np.where(crosses, np.maximum(0.0, rise - first_part), 0.0)
    span = int(days[-1] - first_day) + 1
    usage = np.bincount(start_day - first_day, weights=first_part, minlength=span)
    usage += np.bincount(end_day - first_day, weights=second_part, minlength=span)
    # The last reading of each day: where the next reading's day differs, and the very last one.
    last_of_day = np.flatnonzero(np.append(days[1:] != days[:-1], True))
    last_value = np.full(span, np.nan)
    last_value[days[last_of_day] - first_day] = values[last_of_day]
    present = np.zeros(span, dtype=bool)
    present[days - first_day] = True
    numbers = np.arange(first_day, first_day + span)[present]
    return ArrayDays(numbers, usage[present], last_value[present])
