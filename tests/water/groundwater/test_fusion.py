"""Groundwater monitoring wells fused with the extraction wells within 5 km."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from changji.water.groundwater.fusion import fuse, sweep_groundwater
from changji.water.models import Alarm, ControlLevel, DailyUsage, Frame, Reading, Terminal, Well

pytestmark = pytest.mark.django_db


def _well(code, lat, lon, kind="extraction"):
    return Well.objects.create(code=code, name=code, kind=kind, region_id="652324", latitude=lat, longitude=lon)


def _falling_level(monitoring, days=30, start_depth=20.0, metres_per_day=0.05, earlier_years=()):
    """This June falling by ``metres_per_day``; the same June of each of ``earlier_years`` level at ``start_depth``."""
    terminal = Terminal.objects.create(protocol="sl651", address="6523248001", well=monitoring, region_id="652324")
    frame = Frame.objects.create(received_at=datetime(2026, 6, 1, tzinfo=UTC), peer="t", protocol="sl651",
                                 raw=b"\x7e", outcome="stored")
    Reading.objects.bulk_create([
        Reading(terminal=terminal, observed_at=datetime(2026, 6, 1, 4, tzinfo=UTC) + timedelta(days=d),
                received_at=datetime(2026, 6, 1, tzinfo=UTC), depth_m=start_depth + metres_per_day * d, frame=frame)
        for d in range(days)
    ] + [
        Reading(terminal=terminal, observed_at=datetime(year, 6, 1, 4, tzinfo=UTC) + timedelta(days=d),
                received_at=datetime(year, 6, 1, tzinfo=UTC), depth_m=start_depth, frame=frame)
        for year in earlier_years for d in range(days)
    ])
    return terminal


def test_extraction_within_five_km_and_a_falling_level_warn():
    monitoring = _well("652324-M1", 44.30, 86.20, kind="monitoring")
    near = _well("652324-00001", 44.32, 86.22)  # about 2.7 km
    far = _well("652324-00002", 44.40, 86.40)  # about 19 km
    for well, m3 in ((near, 2500.0), (far, 9000.0)):
        DailyUsage.objects.bulk_create([
            DailyUsage(well=well, day=date(2026, 6, 1) + timedelta(days=d), usage_m3=m3, water_m3=m3, source="metered")
            for d in range(30)
        ])
    _falling_level(monitoring, earlier_years=(2024, 2025))  # 0.05 m/day deeper = 1.5 m per 30 days
    fusion = fuse(monitoring, date(2026, 6, 30))
    assert [site for site, _ in fusion.nearby] == [near.pk]
    assert fusion.nearby_extraction_m3 == pytest.approx(75_000.0)
    assert fusion.trend.slope_m_per_day == pytest.approx(0.05)
    assert fusion.warning is not None and fusion.warning.level == "critical"
    warned = sweep_groundwater(date(2026, 6, 30))
    assert [f.well for f in warned] == [monitoring]
    alarm = Alarm.objects.get(kind="groundwater_decline")
    # judged against the same week of 2024 and 2025 (20.0 m): this week's mean is 1.3 m deeper, beyond 1 m
    assert (alarm.well, alarm.severity, alarm.state) == (monitoring, "warning", "open")
    assert alarm.evidence["nearby_wells"] == 1 and alarm.evidence["slope_m_per_30d"] == pytest.approx(1.5)
    assert alarm.evidence["basis"] == "seasonal_baseline" and alarm.evidence["baseline_years"] == "2025,2024"
    assert alarm.evidence["excess_m"] == pytest.approx(1.3) and "往年同期" in alarm.evidence["reason"]
    sweep_groundwater(date(2026, 6, 30))  # the same decline the next day: the same alarm, not a second one
    assert Alarm.objects.filter(kind="groundwater_decline").count() == 1
    Reading.objects.filter(terminal__well=monitoring).update(depth_m=20.0)  # the level steadies
    sweep_groundwater(date(2026, 6, 30))
    alarm.refresh_from_db()
    assert alarm.state == "auto_cleared" and alarm.cleared_at is not None


def test_no_warning_when_extraction_nearby_is_small():
    monitoring = _well("652324-M2", 44.30, 86.20, kind="monitoring")
    _well("652324-00003", 44.31, 86.21)
    _falling_level(monitoring)
    assert fuse(monitoring, date(2026, 6, 30)).warning is None


def test_without_earlier_years_a_moderate_fall_is_not_alarmed_but_the_red_line_is():
    monitoring = _well("652324-M3", 44.30, 86.20, kind="monitoring")
    _falling_level(monitoring)  # 1.5 m per 30 days, no earlier year: the fallback wants more than 1.5
    assert sweep_groundwater(date(2026, 6, 30)) == []
    ControlLevel.objects.create(well=monitoring, control_depth_m=21.0)
    [fusion] = sweep_groundwater(date(2026, 6, 30))
    assert fusion.judgement.basis == "slope_fallback" and fusion.judgement.below_red_line
    alarm = Alarm.objects.get(kind="groundwater_decline")
    assert alarm.severity == "critical" and alarm.evidence["red_line_depth_m"] == 21.0
    assert "管控水位" in alarm.evidence["reason"] and "无往年同期数据" in alarm.evidence["reason"]
