"""以电折水: pumping sessions, the robust coefficient, drift, and estimated water."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from changji.core.localtime import SHANGHAI
from changji.water.coefficients.estimate import (
    CoefficientEstimate,
    JointSample,
    PumpingSession,
    coefficient_drift,
    estimate_coefficient,
    estimate_water,
    pumping_sessions,
    relative_difference,
)
from changji.water.usage.registers import RegisterSpec

T0 = datetime(2026, 5, 1, tzinfo=SHANGHAI)
WATER = RegisterSpec(capacity=1e8, max_rate_per_h=80)
ENERGY = RegisterSpec(capacity=1e6, max_rate_per_h=45)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def joint(*rows: tuple[float, float | None, float | None]) -> list[JointSample]:
    return [JointSample(at(m), v, e) for m, v, e in rows]


def session(day: int, water: float, energy: float) -> PumpingSession:
    start = T0 + timedelta(days=day, hours=8)
    return PumpingSession(start, start + timedelta(hours=3), water, energy)


def synthetic_well(ratios: list[float], kw: float = 30.0) -> list[JointSample]:
    """One 3-hour run a day (08:00–11:00 local), reported every 5 minutes from 07:00 to 12:00.

    ``ratios[d]`` is the m³/kWh the flowmeter records on day ``d``; a small daily wobble of ±1% and
    ±2% in power stands in for head and voltage changes.
    """
    samples: list[JointSample] = []
    volume, energy = 12_000.0, 3_000.0
    for day, ratio in enumerate(ratios):
        wobble = ((day * 7) % 5 - 2) / 200  # -1%, -0.5%, 0, +0.5%, +1%
        for k in range(61):
            moment = T0 + timedelta(days=day, hours=7, minutes=5 * k)
            running = 12 <= k < 48
            samples.append(JointSample(moment, volume, energy, pump_on=running))
            if running:
                step_kwh = kw * (1 + 4 * wobble) / 12
                energy += step_kwh
                volume += step_kwh * ratio * (1 + wobble)
    return samples


# --- pumping_sessions ----------------------------------------------------------------------------------------


def test_sessions_are_runs_of_clean_segments_with_rising_energy():
    samples = joint(
        (0, 0, 0), (5, 9, 5), (10, 18, 10),  # session 1: 18 m³ / 10 kWh
        (15, 18, 10),  # pump stopped: ends session 1
        (20, 27, 15), (25, 36, 20),  # session 2 starts at the stopped reading: 18 m³ / 10 kWh
        (60, 45, 25),  # 35-minute gap: ends session 2
        (65, 54, 30), (70, None, 35), (75, 63, 40),  # session 3: the half report at 70 is skipped: 18 m³ / 15 kWh
    )
    assert pumping_sessions(samples, WATER, ENERGY) == [
        PumpingSession(at(0), at(10), 18, 10),
        PumpingSession(at(15), at(25), 18, 10),
        PumpingSession(at(60), at(75), 18, 15),
    ]


def test_a_fault_on_either_register_ends_the_session():
    samples = joint(
        (0, 100, 0), (5, 109, 5), (10, 50, 10),  # flowmeter reversal at 10
        (15, 59, 15), (20, 68, 20),
        (25, 500, 25),  # flowmeter jump: 432 m³ in 5 minutes is beyond the rated 80 m³/h
        (30, 509, 30), (35, 518, 35),
        (40, 527, 35.5), (45, 536, 35.3),  # energy noise dip (usage 0) ends the run
    )
    sessions = pumping_sessions(samples, WATER, ENERGY)
    assert [(s.start, s.end, s.water_m3, s.energy_kwh) for s in sessions] == [
        (at(0), at(5), 9, 5),
        (at(10), at(20), 18, 10),
        (at(25), at(40), pytest.approx(27), pytest.approx(10.5)),
    ]


def test_sessions_below_min_kwh_are_dropped_and_input_order_does_not_matter():
    samples = joint((0, 0, 0), (5, 0.9, 0.5), (10, 0.9, 0.5), (15, 9.9, 5.5), (20, 18.9, 10.5))
    expected = [PumpingSession(at(10), at(20), pytest.approx(18), pytest.approx(10))]
    assert pumping_sessions(samples, WATER, ENERGY) == expected
    assert pumping_sessions(list(reversed(samples)), WATER, ENERGY) == expected
    assert pumping_sessions(samples, WATER, ENERGY, min_kwh=0.5)[0].energy_kwh == pytest.approx(0.5)
    assert pumping_sessions([], WATER, ENERGY) == []


def test_session_ratio():
    assert session(0, 90, 50).ratio == pytest.approx(1.8)
    assert session(0, 5, 0).ratio == 0.0


# --- estimate_coefficient ------------------------------------------------------------------------------------


def test_coefficient_is_energy_weighted_over_accepted_sessions():
    sessions = [
        session(0, 17, 10),  # 1.7
        session(1, 36, 20),  # 1.8
        session(2, 57, 30),  # 1.9
        session(3, 18, 10),  # 1.8
        session(4, 18, 10),  # 1.8
        session(5, 2, 10),  # 0.2: a bypass
        session(6, 0.1, 1),  # under min_session_kwh: ignored
    ]
    # median 1.8; |deviations| = 0.1, 0, 0.1, 0, 0, 1.6 -> MAD 0.05, spread 0.07413, band 1.8 ± 0.22239
    estimate = estimate_coefficient(sessions)
    assert estimate == CoefficientEstimate(
        m3_per_kwh=pytest.approx(146 / 80),
        sessions_used=5,
        sessions_rejected=1,
        spread=pytest.approx(0.07413),
        low=pytest.approx(1.8 - 0.22239),
        high=pytest.approx(1.8 + 0.22239),
    )


def test_coefficient_with_zero_mad_keeps_only_the_median_ratio():
    sessions = [session(d, 18, 10) for d in range(5)] + [session(5, 0, 10)]
    estimate = estimate_coefficient(sessions)
    assert estimate == CoefficientEstimate(pytest.approx(1.8), 5, 1, 0.0, pytest.approx(1.8), pytest.approx(1.8))


def test_coefficient_is_none_with_too_few_sessions():
    assert estimate_coefficient([]) is None
    assert estimate_coefficient([session(d, 18, 10) for d in range(4)]) is None
    assert estimate_coefficient([session(d, 18, 10) for d in range(4)], min_sessions=4) is not None
    assert estimate_coefficient([session(d, 1.8, 1) for d in range(10)]) is None  # all below min_session_kwh


def test_robust_estimate_survives_bypass_and_flowmeter_fault_where_the_total_ratio_does_not():
    # 20 honest days at 1.8 m³/kWh, a 4-day bypass (pumping around the flowmeter), a 3-day flowmeter
    # fault under-reading at 40%.
    ratios = [1.8] * 10 + [0.0] * 4 + [1.8] * 5 + [0.72] * 3 + [1.8] * 5
    samples = synthetic_well(ratios)
    sessions = pumping_sessions(samples, WATER, ENERGY)
    assert len(sessions) == len(ratios)
    estimate = estimate_coefficient(sessions)
    assert estimate is not None
    assert estimate.m3_per_kwh == pytest.approx(1.8, rel=0.01)
    assert (estimate.sessions_used, estimate.sessions_rejected) == (20, 7)
    naive = (samples[-1].volume_m3 - samples[0].volume_m3) / (samples[-1].energy_kwh - samples[0].energy_kwh)
    assert abs(naive - 1.8) / 1.8 > 0.05


# --- coefficient_drift ---------------------------------------------------------------------------------------


def test_drift_detects_a_change_between_periods():
    sessions = pumping_sessions(synthetic_well([1.8] * 30 + [1.5] * 30 + [1.5] * 2), WATER, ENERGY)
    drift = coefficient_drift(sessions, period_days=30)
    assert [day for day, _ in drift] == [date(2026, 5, 1), date(2026, 5, 31)]  # the 2-session period is skipped
    assert drift[0][1].m3_per_kwh == pytest.approx(1.8, rel=0.01)
    assert drift[1][1].m3_per_kwh == pytest.approx(1.5, rel=0.01)
    assert drift[1][1].high < drift[0][1].low  # the bands do not overlap: a real change


def test_drift_periods_are_local_days_from_the_first_session():
    sessions = [session(d, 18, 10) for d in (3, 4, 5, 6, 7, 10, 11, 12, 13, 14)]
    drift = coefficient_drift(list(reversed(sessions)), period_days=7)
    assert [(day, est.sessions_used) for day, est in drift] == [(date(2026, 5, 4), 5), (date(2026, 5, 11), 5)]
    assert coefficient_drift([]) == []
    with pytest.raises(ValueError):
        coefficient_drift(sessions, period_days=0)


# --- estimated water -----------------------------------------------------------------------------------------


def test_estimate_water_and_relative_difference():
    assert estimate_water(100, 1.8) == pytest.approx(180)
    assert estimate_water(-5, 1.8) == 0.0
    assert relative_difference(162, 180) == pytest.approx(-0.1)
    assert relative_difference(198, 180) == pytest.approx(0.1)
    assert relative_difference(10, 0) is None
