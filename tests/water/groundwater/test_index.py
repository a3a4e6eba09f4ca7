"""Spatial index against brute force around Changji, depth trends, and decline warnings."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from changji.water.groundwater.index import (
    KM_PER_DEGREE,
    DeclineWarning,
    Site,
    SpatialIndex,
    Trend,
    decline_warning,
    depth_trend,
    haversine_km,
)

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 1, tzinfo=CST)


def changji_sites(count: int = 2000, seed: int = 652300) -> list[Site]:
    rng = random.Random(seed)
    return [Site(i, rng.uniform(43.8, 44.6), rng.uniform(86.0, 90.5)) for i in range(count)]


SITES = changji_sites()
INDEX = SpatialIndex(SITES)


def brute_force(sites, latitude, longitude, radius_km):
    found = [(s.id, haversine_km(latitude, longitude, s.latitude, s.longitude)) for s in sites]
    return sorted(((i, d) for i, d in found if d <= radius_km), key=lambda item: (item[1], item[0]))


# --- distance -----------------------------------------------------------------------------------


def test_haversine_basics():
    assert haversine_km(44.0, 87.3, 44.0, 87.3) == 0.0
    assert haversine_km(44.0, 87.0, 45.0, 87.0) == pytest.approx(KM_PER_DEGREE, rel=1e-12)
    assert haversine_km(0.0, 87.0, 0.0, 88.0) == pytest.approx(111.19508, abs=1e-4)
    assert haversine_km(44.0, 87.0, 44.5, 88.0) == pytest.approx(haversine_km(44.5, 88.0, 44.0, 87.0))
    # a degree of longitude at 44° N is cos(44°) of a degree at the equator (to within the chord effect)
    assert haversine_km(44.0, 87.0, 44.0, 88.0) == pytest.approx(KM_PER_DEGREE * math.cos(math.radians(44)),
                                                                 rel=1e-4)


# --- spatial index ------------------------------------------------------------------------------


def test_index_equals_brute_force_on_seeded_queries():
    rng = random.Random(2026)
    for _ in range(300):
        lat, lon = rng.uniform(43.75, 44.65), rng.uniform(85.95, 90.55)
        radius = rng.choice([0.5, 2.0, 5.0, 8.0, 15.0])
        assert INDEX.within(lat, lon, radius) == brute_force(SITES, lat, lon, radius)


@settings(max_examples=200, deadline=None)
@given(lat=st.floats(43.7, 44.7), lon=st.floats(85.9, 90.6), radius=st.floats(0.0, 30.0))
def test_index_equals_brute_force_for_any_query(lat, lon, radius):
    assert INDEX.within(lat, lon, radius) == brute_force(SITES, lat, lon, radius)


@pytest.mark.parametrize("cell_km", [0.7, 2.5, 5.0, 20.0])
def test_cell_size_does_not_change_the_answer(cell_km):
    index = SpatialIndex(SITES[:500], cell_km=cell_km)
    rng = random.Random(cell_km)
    for _ in range(50):
        lat, lon = rng.uniform(43.8, 44.6), rng.uniform(86.0, 90.5)
        assert index.within(lat, lon, 5.0) == brute_force(SITES[:500], lat, lon, 5.0)


def test_a_site_finds_itself_first_and_results_are_sorted():
    site = SITES[17]
    found = INDEX.within(site.latitude, site.longitude)
    assert found[0] == (17, 0.0)
    assert [d for _, d in found] == sorted(d for _, d in found)
    assert all(d <= 5.0 for _, d in found)


def test_default_radius_is_five_km():
    site = SITES[3]
    assert INDEX.within(site.latitude, site.longitude) == INDEX.within(site.latitude, site.longitude, 5.0)


def test_a_5km_query_reads_few_cells():
    # 2,000 sites over ~360 × 89 km: a 5 km query should see a small share of them as candidates
    assert len(INDEX.cells) > 500
    assert max(len(cell) for cell in INDEX.cells.values()) < 20


def test_empty_index_and_bad_cell_size():
    assert SpatialIndex([]).within(44.0, 87.0) == []
    with pytest.raises(ValueError):
        SpatialIndex(SITES, cell_km=0)


def test_caps_reaching_a_pole_fall_back_to_a_scan():
    polar = [Site(1, 89.99, 10.0), Site(2, 89.99, -170.0), Site(3, 80.0, 0.0)]
    index = SpatialIndex(polar)
    assert index.within(89.995, 100.0, 10.0) == brute_force(polar, 89.995, 100.0, 10.0)
    assert [i for i, _ in index.within(89.995, 100.0, 10.0)] == [1, 2]


# --- depth trend --------------------------------------------------------------------------------


def daily(depths, start=T0, step=timedelta(days=1)):
    return [(start + i * step, d) for i, d in enumerate(depths)]


def test_linear_fall_of_the_level():
    trend = depth_trend(daily([20.0 + 0.02 * i for i in range(10)]))
    assert trend.slope_m_per_day == pytest.approx(0.02)
    assert trend.samples == 10 and trend.days == 9.0
    assert trend.r2 == pytest.approx(1.0)


def test_noisy_series_by_hand():
    # x = 0..5, mean 2.5, Sxx = 17.5; noise ±0.035 alternating gives Σ(x − x̄)·e = −3 × 0.035
    depths = [30.0 + 0.1 * i + (0.035 if i % 2 == 0 else -0.035) for i in range(6)]
    trend = depth_trend(daily(depths))
    assert trend.slope_m_per_day == pytest.approx(0.1 - 3 * 0.035 / 17.5)
    assert trend.slope_m_per_day == pytest.approx(0.094)
    assert 0.9 < trend.r2 < 1.0


def test_rising_level_has_a_negative_slope():
    assert depth_trend(daily([25.0 - 0.05 * i for i in range(8)])).slope_m_per_day == pytest.approx(-0.05)


def test_hourly_samples_give_a_slope_per_day():
    trend = depth_trend(daily([10.0 + 0.01 * i for i in range(48)], step=timedelta(hours=1)))
    assert trend.slope_m_per_day == pytest.approx(0.24)
    assert trend.days == pytest.approx(47 / 24)


def test_order_of_the_series_does_not_matter():
    series = daily([20.0, 20.1, 20.05, 20.3, 20.2, 20.4])
    assert depth_trend(series[::-1]) == depth_trend(series)


def test_too_few_samples_or_no_time_span():
    assert depth_trend(daily([20.0] * 5)) is None
    assert depth_trend(daily([20.0] * 3), min_samples=3) is not None
    assert depth_trend([(T0, 20.0 + i) for i in range(8)]) is None


def test_constant_depth_has_no_r2():
    assert depth_trend(daily([20.0] * 7)) == Trend(0.0, 7, 6.0, None)


# --- decline warning ----------------------------------------------------------------------------


def trend(slope_per_day: float) -> Trend:
    return Trend(slope_per_day, 30, 29.0, 0.9)


def test_warning_when_falling_fast_and_pumping_hard():
    warning = decline_warning(7, trend(0.02), 60_000.0, 14)  # 0.6 m / 30 d
    assert warning == DeclineWarning(7, pytest.approx(0.6), 60_000.0, 14, "warning")


@pytest.mark.parametrize(("slope", "level"), [(0.03, "warning"), (0.04, "warning"), (0.05, "critical"),
                                             (0.06, "critical")])
def test_critical_from_twice_the_fall_threshold(slope, level):
    # fall threshold 0.75 m / 30 d: 0.9 and 1.2 m warn; 0.05 m/day = 1.5 m / 30 d is exactly twice
    assert decline_warning(1, trend(slope), 80_000.0, 3, fall_m_per_30d=0.75).level == level


@pytest.mark.parametrize(("slope", "extraction"), [
    (0.02, 50_000.0),  # extraction must exceed the threshold
    (0.02, 10_000.0),  # falling, but little pumping nearby: regional, not these wells
    (0.01, 90_000.0),  # 0.3 m / 30 d: slow
    (-0.05, 90_000.0),  # level rising
])
def test_no_warning(slope, extraction):
    assert decline_warning(1, trend(slope), extraction, 9) is None


def test_fall_exactly_at_the_threshold_is_not_a_warning():
    assert decline_warning(1, trend(0.02), 90_000.0, 9, fall_m_per_30d=0.6) is None


def test_no_trend_no_warning():
    assert decline_warning(1, None, 90_000.0, 9) is None
