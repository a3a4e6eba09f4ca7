"""Usage from cumulative registers: segments between readings, and their allocation to local days.

Terminals report meter totals (flowmeter m³, electricity meter kWh), never deltas, so usage is the
difference of consecutive valid totals (docs/architecture.md, "Cumulative registers, not deltas").
Resets are known, not guessed. A meter replacement comes from a work order with both
registers, and a rollover happens only near a register's known capacity. Everything else that goes
backwards is a reversal (usage 0, new baseline), and a small dip is meter noise (usage 0, the higher
baseline is kept so the rise back is not counted twice). Nothing is ever turned into a spike: a rise
faster than the pump can deliver is flagged and contributes 0.

Every function is pure and order-independent in its input (sorted and de-duplicated by time), so a
caller handles late data (back-fill) by calling again on the samples of the affected range and
replacing the derived rows (docs/architecture.md, "Late data is normal"). Days, months and years are local
to Asia/Shanghai (``core/localtime.py``).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Protocol, TypeVar

from changji.core.localtime import day_bounds, local_day

__pure__ = True  # no Django: tests/test_architecture.py checks it


class SegmentKind(StrEnum):
    """Why a segment between two readings has the usage it has; stored as the reason on usage rows."""

    NORMAL = "normal"
    ROLLOVER = "rollover"
    REPLACEMENT = "replacement"
    REVERSAL = "reversal"
    GAP = "gap"
    IMPOSSIBLE_JUMP = "impossible_jump"


@dataclass(frozen=True, slots=True)
class Sample:
    """One reading of a cumulative register at an aware time."""

    at: datetime
    value: float
    pump_on: bool | None = None


@dataclass(frozen=True, slots=True)
class Replacement:
    """A meter replacement from a work order: the old meter's last and the new meter's first register."""

    at: datetime
    old_final: float
    new_initial: float


@dataclass(frozen=True, slots=True)
class RegisterSpec:
    """What is known about a register: its capacity, the pump's rated rate, and the tolerances.

    ``rollover_margin`` keeps a rollover explicit: a drop counts as one only from the top
    ``margin`` of the range to the bottom ``margin``, since a 5-minute interval cannot span more.
    """

    capacity: float | None = None
    max_rate_per_h: float | None = None
    expected_interval_s: float = 300.0
    gap_factor: float = 3.0
    jump_tolerance: float = 1.5
    dip_tolerance: float = 0.5
    rollover_margin: float = 0.1


@dataclass(frozen=True, slots=True)
class Segment:
    """The interval between two consecutive readings, with its kind and usage (never negative).

    ``start_value`` and ``end_value`` are the raw readings. Usage is measured from the baseline,
    which differs from ``start_value`` only after a noise dip (the higher value is kept).
    """

    start: datetime
    end: datetime
    kind: SegmentKind
    usage: float
    start_value: float
    end_value: float
    noise: bool = False


@dataclass(frozen=True, slots=True)
class DayUsage:
    """Usage allocated to one local day, with the last register seen that day (HA's ``state``)."""

    day: date
    usage: float
    last_value: float | None
    kinds: frozenset[SegmentKind]
    spread: bool


class _Timed(Protocol):
    @property
    def at(self) -> datetime: ...


_T = TypeVar("_T", bound=_Timed)


def irrigation_season(year: int) -> tuple[date, date]:
    """Return the irrigation season of ``year``, April 1 to September 30 inclusive.

    This is the growing season of the northern slope of the Tianshan (northern Xinjiang); winter
    irrigation (冬灌, October–November) lies outside it and is reported separately.
    """
    return date(year, 4, 1), date(year, 9, 30)


def ordered_by_time(items: Iterable[_T]) -> list[_T]:
    """Return ``items`` sorted by ``at``, keeping the last one given for each time.

    Retransmissions and back-fill repeat readings; the last one given wins so callers can pass
    stored readings followed by newer corrections.
    """
    latest: dict[datetime, _T] = {}
    for item in items:
        _require_aware(item.at)
        latest[item.at] = item
    return [latest[at] for at in sorted(latest)]


def segment_register(
    samples: Iterable[Sample], spec: RegisterSpec, replacements: Iterable[Replacement] = ()
) -> list[Segment]:
    """Return one classified segment between each pair of consecutive readings.

    Readings with a non-finite value are left out: an unusable value is no reading.
    Precedence: REPLACEMENT > ROLLOVER > REVERSAL > IMPOSSIBLE_JUMP > GAP > NORMAL, except that a
    wrap-around worth more than the rated rate could pump is an IMPOSSIBLE_JUMP. A reversal or
    an impossible jump makes the new reading the baseline, so one bad reading costs at most the
    usage of its two segments instead of turning every later segment into a fault.
    """
    readings = ordered_by_time(s for s in samples if math.isfinite(s.value))
    swaps = sorted(replacements, key=lambda r: r.at)
    swap_times = [r.at for r in swaps]
    segments: list[Segment] = []
    if not readings:
        return segments
    baseline = readings[0].value
    for prev, nxt in zip(readings, readings[1:], strict=False):
        chain = swaps[bisect_right(swap_times, prev.at) : bisect_right(swap_times, nxt.at)]
        kind, usage, baseline, noise = _classify(prev, nxt, baseline, spec, chain)
        segments.append(Segment(prev.at, nxt.at, kind, usage, prev.value, nxt.value, noise))
    return segments


def _classify(
    prev: Sample, nxt: Sample, baseline: float, spec: RegisterSpec, chain: Sequence[Replacement]
) -> tuple[SegmentKind, float, float, bool]:
    """Return ``(kind, usage, new baseline, noise)`` for one pair of readings."""
    elapsed_s = (nxt.at - prev.at).total_seconds()
    gap = elapsed_s > spec.gap_factor * spec.expected_interval_s
    new = nxt.value
    if chain:
        return SegmentKind.REPLACEMENT, _replacement_usage(baseline, chain, new), new, False
    if new < baseline:
        capacity = spec.capacity
        margin = spec.rollover_margin
        if capacity is not None and baseline >= capacity * (1 - margin) and new <= capacity * margin:
            wrapped = max(0.0, capacity - baseline + new)
            if _beyond_rate(wrapped, elapsed_s, spec):  # a "rollover" no pump could run is a jump, not usage
                return SegmentKind.IMPOSSIBLE_JUMP, 0.0, new, False
            return SegmentKind.ROLLOVER, wrapped, new, False
        if baseline - new <= spec.dip_tolerance:
            return (SegmentKind.GAP if gap else SegmentKind.NORMAL), 0.0, baseline, True
        return SegmentKind.REVERSAL, 0.0, new, False
    rise = new - baseline
    if _beyond_rate(rise, elapsed_s, spec):
        return SegmentKind.IMPOSSIBLE_JUMP, 0.0, new, False
    return (SegmentKind.GAP if gap else SegmentKind.NORMAL), rise, new, False


def _beyond_rate(amount: float, elapsed_s: float, spec: RegisterSpec) -> bool:
    """Return True when ``amount`` is more than the rated rate could produce in ``elapsed_s``."""
    return spec.max_rate_per_h is not None and amount > spec.max_rate_per_h * elapsed_s / 3600 * spec.jump_tolerance


def _replacement_usage(baseline: float, chain: Sequence[Replacement], new: float) -> float:
    """Chain the meters: what the old one ran to its final, each swap's own run, and the new one's run.

    Each leg is clamped at 0 so a mistyped work order cannot make usage negative.
    """
    usage = max(0.0, chain[0].old_final - baseline)
    for earlier, later in zip(chain, chain[1:], strict=False):
        usage += max(0.0, later.old_final - earlier.new_initial)
    return usage + max(0.0, new - chain[-1].new_initial)


def running_intervals(samples: Iterable[Sample]) -> list[tuple[datetime, datetime]]:
    """Return the intervals after each reading that says the pump is on, up to the next reading.

    Used as ``running`` for the OTHER register's :func:`daily_usage`: when the flowmeter was silent
    but the electricity meter (or the pump flag) saw the pump run, the gap's water goes there.
    """
    readings = ordered_by_time(samples)
    return [(a.at, b.at) for a, b in zip(readings, readings[1:], strict=False) if a.pump_on is True]


@dataclass(slots=True)
class _Day:
    usage: float = 0.0
    last_value: float | None = None
    kinds: set[SegmentKind] = field(default_factory=set)
    spread: bool = False


def daily_usage(
    segments: Sequence[Segment], running: Sequence[tuple[datetime, datetime]] = ()
) -> dict[date, DayUsage]:
    """Allocate each segment's usage to local days; every day from first to last reading appears.

    Short segments (NORMAL, ROLLOVER, REPLACEMENT) split by time across midnight. A GAP is spread
    by the time the pump is known to have run inside it (``running``), else evenly by elapsed time,
    and every day it covers is marked ``spread``: the figure is an honest estimate, not a spike on
    the day the terminal came back. REVERSAL and IMPOSSIBLE_JUMP contribute 0 and mark their end day.
    """
    merged = _merge_intervals(running)
    ends = [run_end for _, run_end in merged]  # ascending too: the merged intervals do not overlap
    days: dict[date, _Day] = {}
    ordered = sorted(segments, key=lambda s: (s.start, s.end))
    for index, seg in enumerate(ordered):
        touched = _days_between(local_day(seg.start), local_day(seg.end))
        for day in touched:
            days.setdefault(day, _Day())
        if index == 0:
            days[touched[0]].last_value = seg.start_value
        _allocate(seg, touched, merged, ends, days)
        days[touched[-1]].last_value = seg.end_value
    return {
        day: DayUsage(day, acc.usage, acc.last_value, frozenset(acc.kinds), acc.spread)
        for day, acc in sorted(days.items())
    }


def _allocate(
    seg: Segment, touched: list[date], merged: list[tuple[datetime, datetime]], ends: list[datetime],
    days: dict[date, _Day],
) -> None:
    if seg.kind in (SegmentKind.REVERSAL, SegmentKind.IMPOSSIBLE_JUMP):
        days[touched[-1]].kinds.add(seg.kind)
        return
    weights = _day_pieces(seg.start, seg.end)
    if seg.kind is SegmentKind.GAP:
        weights = _running_pieces(seg.start, seg.end, merged, ends) or weights
        for day in touched:
            days[day].spread = True
    if seg.kind is not SegmentKind.NORMAL:
        for day in touched:
            days[day].kinds.add(seg.kind)
    for day, part in _apportion(seg.usage, weights, touched[-1]):
        days[day].usage += part


def _apportion(usage: float, weights: dict[date, float], fallback: date) -> list[tuple[date, float]]:
    """Split ``usage`` in proportion to ``weights``; the last day takes the remainder so parts sum exactly."""
    total = sum(weights.values())
    if total <= 0:
        return [(fallback, usage)]
    ordered = sorted(weights.items())
    parts = [(day, usage * weight / total) for day, weight in ordered[:-1]]
    return [*parts, (ordered[-1][0], max(0.0, usage - sum(part for _, part in parts)))]


def _day_pieces(start: datetime, end: datetime) -> dict[date, float]:
    """Return the seconds of ``[start, end)`` that fall in each local day (positive pieces only)."""
    pieces: dict[date, float] = {}
    cursor = start
    while cursor < end:
        day = local_day(cursor)
        piece_end = min(end, day_bounds(day)[1])
        pieces[day] = pieces.get(day, 0.0) + (piece_end - cursor).total_seconds()
        cursor = piece_end
    return pieces


def _running_pieces(start: datetime, end: datetime, merged: list[tuple[datetime, datetime]],
                    ends: list[datetime]) -> dict[date, float]:
    """Return the known running seconds inside ``[start, end)`` per local day (empty if none).

    Only the running intervals that overlap the gap are visited (found by bisection on their ends), so
    spreading every gap of a long series costs its overlaps, not the series' length for each gap.
    """
    pieces: dict[date, float] = {}
    for index in range(bisect_right(ends, start), len(merged)):
        run_start, run_end = merged[index]
        if run_start >= end:
            break
        for day, seconds in _day_pieces(max(start, run_start), min(end, run_end)).items():
            pieces[day] = pieces.get(day, 0.0) + seconds
    return pieces


def _merge_intervals(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Merge overlapping intervals so running time from two sources is not counted twice."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted((s, e) for s, e in intervals if e > s):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: readings need an aware time")
