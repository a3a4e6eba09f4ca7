"""The decline judgement against the same days of earlier years and the red line (water/groundwater/baseline.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from changji.water.groundwater import baseline as b
from changji.water.groundwater.index import decline_warning, depth_trend
from changji.water.sim.pumping import seasonal_depth_m

BASE_DEPTH_M = 20.0


def _series(first: date, last: date, extra=lambda day: 0.0, hours=(0, 6, 12, 18)):
    """The simulator's depth every 6 hours (its history's off-season step), plus ``extra(day)``."""
    out = []
    day = first
    while day <= last:
        for hour in hours:
            at = datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=8)
            out.append((day, seasonal_depth_m(BASE_DEPTH_M, at) + extra(day)))
        day += timedelta(days=1)
    return out


def _decline(start: date, end: date):
    """The sim stories' decline (water/sim/history.py ``_decline``): 0.06 m/day for 30 days, back over 60."""
    def extra(day: date) -> float:
        if day < start:
            return 0.0
        if day <= end:
            return 0.06 * (day - start).days
        return max(0.0, 0.06 * (end - start).days - 0.03 * (day - end).days)
    return extra


THREE_YEARS = _series(date(2024, 1, 1), date(2026, 12, 31))


def test_normal_summer_drawdown_is_not_alarmed_any_day_of_the_year():
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(365)]
    verdicts = [b.judge(THREE_YEARS, day) for day in days]
    assert {v.basis for v in verdicts} == {b.SEASONAL}
    assert not [v for v in verdicts if v.alarmed]
    # the bare 30-day slope the sweep used before trips on the same drawdown in spring
    slope_alarms = [day for day in days if decline_warning(
        1, depth_trend([(datetime(d.year, d.month, d.day, tzinfo=UTC), v) for d, v in THREE_YEARS
                        if day - timedelta(days=29) <= d <= day]), 60_000.0, 3) is not None]
    assert slope_alarms


def test_the_stories_decline_is_alarmed_and_clears_after_recovery():
    series = _series(date(2024, 1, 1), date(2025, 12, 31)) + _series(
        date(2026, 1, 1), date(2026, 12, 31), _decline(date(2026, 7, 1), date(2026, 7, 30)))
    assert not b.judge(series, date(2026, 7, 5)).alarmed
    verdict = b.judge(series, date(2026, 7, 30))
    assert verdict.alarmed and verdict.basis == b.SEASONAL and verdict.level == b.WARNING
    assert verdict.baseline.years == (2025, 2024) and verdict.excess_m == pytest.approx(0.06 * 26, abs=0.05)
    assert "往年同期" in verdict.evidence()["reason"]
    assert not b.judge(series, date(2026, 10, 30)).alarmed


def test_critical_beyond_twice_the_tolerance():
    series = _series(date(2025, 1, 1), date(2025, 12, 31)) + _series(
        date(2026, 6, 1), date(2026, 6, 30), lambda day: 2.5)
    verdict = b.judge(series, date(2026, 6, 30))
    assert verdict.level == b.CRITICAL and verdict.excess_m == pytest.approx(2.5, abs=0.01)


def test_the_spread_of_earlier_years_widens_the_tolerance():
    wet = _series(date(2024, 6, 1), date(2024, 6, 30), lambda day: -2.0)
    dry = _series(date(2025, 6, 1), date(2025, 6, 30), lambda day: 2.0)
    now = _series(date(2026, 6, 1), date(2026, 6, 30), lambda day: 1.5)
    verdict = b.judge(wet + dry + now, date(2026, 6, 30))
    assert verdict.baseline.spread_m == pytest.approx(2.0, abs=0.01)
    assert verdict.tolerance_m == pytest.approx(4.0, abs=0.02) and not verdict.alarmed


def test_red_line_alarms_by_itself():
    verdict = b.judge(THREE_YEARS, date(2026, 7, 15), red_line_m=21.0)
    assert verdict.level == b.CRITICAL and verdict.below_red_line
    assert "管控水位" in verdict.evidence()["reason"] and verdict.evidence()["red_line_depth_m"] == 21.0
    assert not b.judge(THREE_YEARS, date(2026, 7, 15), red_line_m=30.0).alarmed


def test_without_an_earlier_year_the_judgement_falls_back_to_a_steep_slope_only():
    summer = _series(date(2026, 1, 1), date(2026, 12, 31))
    verdicts = [b.judge(summer, date(2026, 1, 1) + timedelta(days=n)) for n in range(30, 365)]
    assert {v.basis for v in verdicts} == {b.FALLBACK} and not [v for v in verdicts if v.alarmed]
    assert "无往年同期数据" in verdicts[0].evidence()["reason"]
    declining = _series(date(2026, 1, 1), date(2026, 12, 31), _decline(date(2026, 7, 1), date(2026, 7, 30)))
    verdict = b.judge(declining, date(2026, 7, 30))
    assert verdict.basis == b.FALLBACK and verdict.level == b.WARNING and verdict.fall_m_per_30d > 1.5
    assert b.judge(summer, date(2026, 7, 30), red_line_m=20.5).level == b.CRITICAL


def test_no_readings_this_week_is_no_judgement():
    verdict = b.judge(_series(date(2025, 1, 1), date(2025, 12, 31)), date(2026, 7, 30))
    assert verdict.basis == b.NO_DATA and not verdict.alarmed


def test_same_days_across_a_leap_day_and_the_band():
    assert b.same_days(date(2028, 2, 29), 2027) == (date(2027, 2, 22), date(2027, 2, 28))
    band = b.band(THREE_YEARS, [date(2024, 3, 1), date(2026, 3, 1)])
    assert band[0] is None and band[1][1] < BASE_DEPTH_M < band[1][2]
