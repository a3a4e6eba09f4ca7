"""The groundwater decline judgement: this week's depth against the same week of earlier years, and the red line.

A monitoring well's depth (埋深, metres below ground; LARGER = LOWER water level) deepens every irrigation season
and recovers in winter. A bare 30-day slope reads that normal summer drawdown as a decline. Here the judgement is
(README, "Groundwater"):

* **current**: the mean depth over the ``window_days`` days ending on the judged day;
* **baseline** (同期基准): for each earlier year (up to ``years_back``) that has readings on the same calendar days,
  the mean depth over those days; the baseline is the mean of those yearly means, its spread their standard
  deviation (0 with a single year);
* **tolerance**: ``max(tolerance_m, spread_factor × spread)`` — a well whose earlier years differ a lot is given
  more room;
* a **warning** when current − baseline > tolerance, **critical** when it exceeds twice the tolerance;
* the **red line** (管控水位): a control depth per monitoring well; a current depth at or below it (depth ≥ control
  depth) is critical by itself, whatever the baseline says;
* **fallback**: with no earlier year on those days there is no baseline. The judgement then says so
  (``basis = "slope_fallback"``) and warns only on a fall faster than ``fallback_fall_m_per_30d`` over the
  window's 30-day least-squares slope — well above any normal irrigation-season drawdown — so a new well is
  not silent on a collapse, nor noisy every summer. The red line still applies.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

__pure__ = True  # no Django: tests/test_architecture.py checks it

WINDOW_DAYS = 7
YEARS_BACK = 5
TOLERANCE_M = 1.0
SPREAD_FACTOR = 2.0
FALLBACK_FALL_M_PER_30D = 1.5
#: Fewer readings than this in a window (current or an earlier year's) do not make a mean.
MIN_SAMPLES = 3

NONE, WARNING, CRITICAL = "none", "warning", "critical"
SEASONAL, FALLBACK, NO_DATA = "seasonal_baseline", "slope_fallback", "no_data"


def same_days(day: date, year: int, window_days: int = WINDOW_DAYS) -> tuple[date, date]:
    """The calendar days of ``year`` matching the window ending on ``day`` (29 February becomes the 28th)."""
    last = _in_year(day, year)
    return last - timedelta(days=window_days - 1), last


def _in_year(day: date, year: int) -> date:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 2, 28)


def _day_of(moment: date | datetime) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


Daily = dict[date, list[float]]


def _daily(series: Iterable[tuple[date | datetime, float]]) -> Daily:
    by_day: Daily = {}
    for moment, depth in series:
        by_day.setdefault(_day_of(moment), []).append(float(depth))
    return by_day


def _mean_between(by_day: Daily, first: date, last: date) -> tuple[float, int] | None:
    values = [v for n in range((last - first).days + 1) for v in by_day.get(first + timedelta(days=n), ())]
    if len(values) < MIN_SAMPLES:
        return None
    return sum(values) / len(values), len(values)


@dataclass(frozen=True, slots=True)
class Baseline:
    """The same days of earlier years: the mean of the yearly means and their spread."""

    mean_m: float
    spread_m: float
    years: tuple[int, ...]
    yearly_m: tuple[float, ...]


def seasonal_baseline(series: Sequence[tuple[date | datetime, float]], day: date, window_days: int = WINDOW_DAYS,
                      years_back: int = YEARS_BACK) -> Baseline | None:
    """The baseline of the window ending on ``day`` from the earlier years in ``series``; None without any.

    ``series`` holds (local day or datetime, depth_m); readings of ``day``'s own year are ignored here.
    """
    return _baseline(_daily(series), day, window_days, years_back)


def _baseline(days: Daily, day: date, window_days: int, years_back: int) -> Baseline | None:
    years, means = [], []
    for year in range(day.year - 1, day.year - years_back - 1, -1):
        first, last = same_days(day, year, window_days)
        found = _mean_between(days, first, last)
        if found is not None:
            years.append(year)
            means.append(found[0])
    if not means:
        return None
    mean = sum(means) / len(means)
    spread = math.sqrt(sum((m - mean) ** 2 for m in means) / len(means))
    return Baseline(mean, spread, tuple(years), tuple(means))


@dataclass(frozen=True, slots=True)
class Judgement:
    """The verdict on one monitoring well and day, with what it rests on (shown as the alarm's evidence)."""

    level: str  #: none | warning | critical
    basis: str  #: seasonal_baseline | slope_fallback | no_data
    current_m: float | None
    baseline: Baseline | None = None
    tolerance_m: float | None = None
    excess_m: float | None = None
    red_line_m: float | None = None
    below_red_line: bool = False
    fall_m_per_30d: float | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def alarmed(self) -> bool:
        return self.level != NONE

    def evidence(self) -> dict[str, object]:
        """The figures and the reasons, in the shape an alarm's evidence takes (plain JSON values)."""
        out: dict[str, object] = {"basis": self.basis, "level": self.level, "reason": "；".join(self.reasons)}
        if self.current_m is not None:
            out["current_depth_m"] = round(self.current_m, 2)
        if self.baseline is not None:
            out["baseline_depth_m"] = round(self.baseline.mean_m, 2)
            out["baseline_years"] = ",".join(str(y) for y in self.baseline.years)
            out["baseline_spread_m"] = round(self.baseline.spread_m, 2)
        if self.tolerance_m is not None:
            out["tolerance_m"] = round(self.tolerance_m, 2)
        if self.excess_m is not None:
            out["excess_m"] = round(self.excess_m, 2)
        if self.red_line_m is not None:
            out["red_line_depth_m"] = round(self.red_line_m, 2)
        if self.fall_m_per_30d is not None:
            out["slope_m_per_30d"] = round(self.fall_m_per_30d, 3)
        return out


def _slope_m_per_30d(points: Sequence[tuple[date, float]]) -> float | None:
    if len(points) < 2:
        return None
    t0 = points[0][0]
    xs = [(d - t0).days for d, _ in points]
    ys = [v for _, v in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None
    return 30 * sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx


def judge(series: Sequence[tuple[date | datetime, float]], day: date, red_line_m: float | None = None, *,
          window_days: int = WINDOW_DAYS, years_back: int = YEARS_BACK, tolerance_m: float = TOLERANCE_M,
          spread_factor: float = SPREAD_FACTOR, fallback_fall_m_per_30d: float = FALLBACK_FALL_M_PER_30D
          ) -> Judgement:
    """Judge the window ending on ``day`` (see the module docstring); ``series`` spans this and earlier years."""
    days = _daily(series)
    first, last = day - timedelta(days=window_days - 1), day
    current = _mean_between(days, first, last)
    if current is None:
        return Judgement(NONE, NO_DATA, None, red_line_m=red_line_m, reasons=[f"近{window_days}日读数不足"])
    current_m = current[0]
    reasons: list[str] = []
    below = red_line_m is not None and current_m >= red_line_m
    if below:
        reasons.append(f"埋深 {current_m:.2f} m 已超过管控水位 {red_line_m:.2f} m")
    baseline = _baseline(days, day, window_days, years_back)
    if baseline is None:
        recent = sorted((d, v) for d, values in days.items() if day - timedelta(days=29) <= d <= day for v in values)
        fall = _slope_m_per_30d(recent)
        level = WARNING if fall is not None and fall > fallback_fall_m_per_30d else NONE
        reasons.append("无往年同期数据，按近30日趋势判断" + (
            f"：下降 {fall:.2f} m/30d，超过 {fallback_fall_m_per_30d:g} m/30d" if level == WARNING else ""))
        return Judgement(CRITICAL if below else level, FALLBACK, current_m, red_line_m=red_line_m,
                         below_red_line=below, fall_m_per_30d=fall, reasons=reasons)
    tolerance = max(tolerance_m, spread_factor * baseline.spread_m)
    excess = current_m - baseline.mean_m
    level = CRITICAL if excess > 2 * tolerance else WARNING if excess > tolerance else NONE
    years = "、".join(str(y) for y in baseline.years)
    if level != NONE:
        reasons.append(f"埋深 {current_m:.2f} m 比往年同期（{years}）均值 {baseline.mean_m:.2f} m 深 {excess:.2f} m，"
                       f"超出容差 {tolerance:.2f} m")
    else:
        reasons.append(f"埋深 {current_m:.2f} m 在往年同期（{years}）均值 {baseline.mean_m:.2f} m "
                       f"± {tolerance:.2f} m 内")
    return Judgement(CRITICAL if below else level, SEASONAL, current_m, baseline, tolerance, excess, red_line_m,
                     below, reasons=reasons)


def band(series: Sequence[tuple[date | datetime, float]], days: Iterable[date], window_days: int = WINDOW_DAYS,
         years_back: int = YEARS_BACK, tolerance_m: float = TOLERANCE_M, spread_factor: float = SPREAD_FACTOR
         ) -> list[tuple[date, float, float] | None]:
    """The baseline band (low, high) of each day, for the monitoring-well chart; None where no earlier year."""
    points = _daily(series)
    out: list[tuple[date, float, float] | None] = []
    for day in days:
        baseline = _baseline(points, day, window_days, years_back)
        if baseline is None:
            out.append(None)
            continue
        tolerance = max(tolerance_m, spread_factor * baseline.spread_m)
        out.append((day, baseline.mean_m - tolerance, baseline.mean_m + tolerance))
    return out
