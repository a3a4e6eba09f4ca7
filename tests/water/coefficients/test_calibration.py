"""以电折水 coefficients from readings: estimated robustly, calibrations authoritative, drift shown."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from changji.core.models import AuditEntry
from changji.water.coefficients.calibration import drift, estimate_well_coefficient, record_calibration
from changji.water.models import Frame, Reading, WellCoefficient

pytestmark = pytest.mark.django_db
DAY0 = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)  # 08:00 in Changji


def pump_days(terminal, days: int, ratio: float, bypass_days=(), start=DAY0, volume=10_000.0, energy=5_000.0):
    """Four hours of pumping a day at 2.5 kWh per 5 minutes; bypass days meter no water."""
    frame = Frame.objects.create(received_at=start, peer="t", protocol="szy206", raw=b"\x68", outcome="stored")
    rows = []
    for day in range(days):
        for step in range(60):  # 08:00–13:00 local, pump on for the first 48 steps
            at = start + timedelta(days=day, minutes=5 * step)
            running = step < 48
            if running and step:
                energy += 2.5
                volume += 0.0 if day in bypass_days else 2.5 * ratio
            rows.append(Reading(terminal=terminal, observed_at=at, received_at=at, volume_m3=volume,
                                energy_kwh=round(energy, 2), pump_on=running, frame=frame))
    Reading.objects.bulk_create(rows)
    return volume, energy


def test_estimate_is_robust_to_bypass_days_and_is_recorded(make_terminal):
    terminal = make_terminal()
    pump_days(terminal, 12, 1.8, bypass_days={3, 7})
    estimate = estimate_well_coefficient(terminal.well, date(2026, 6, 12), window_days=30)
    assert estimate.m3_per_kwh == pytest.approx(1.8, rel=0.01)
    assert estimate.sessions_rejected == 2
    coefficient = WellCoefficient.objects.get(well=terminal.well)
    assert (coefficient.method, coefficient.valid_from) == ("estimated", date(2026, 6, 13))
    assert coefficient.m3_per_kwh == pytest.approx(1.8, rel=0.01)


def test_estimating_the_same_day_again_replaces_that_days_estimate(make_terminal):
    """The daily job may be retried: the second estimate of a day takes the first one's place."""
    terminal = make_terminal()
    pump_days(terminal, 12, 1.8)
    estimate_well_coefficient(terminal.well, date(2026, 6, 11), window_days=30)
    estimate_well_coefficient(terminal.well, date(2026, 6, 12), window_days=30)
    estimate_well_coefficient(terminal.well, date(2026, 6, 12), window_days=30)
    rows = list(WellCoefficient.objects.order_by("valid_from").values_list("valid_from", "valid_to"))
    assert rows == [(date(2026, 6, 12), date(2026, 6, 12)), (date(2026, 6, 13), None)]


def test_a_calibration_in_force_is_not_replaced_by_an_estimate(make_terminal, make_user):
    terminal = make_terminal()
    record_calibration(terminal.well, measured_m3=200, measured_kwh=100, on=date(2026, 5, 1),
                       by=make_user("op", "652323"))
    pump_days(terminal, 8, 1.8)
    assert estimate_well_coefficient(terminal.well, date(2026, 6, 8), window_days=30) is not None
    assert list(WellCoefficient.objects.values_list("method", "m3_per_kwh")) == [("calibration", 2.0)]
    assert AuditEntry.objects.filter(action="water.coefficient.calibrate").count() == 1


def test_calibration_needs_positive_measurements(make_terminal):
    with pytest.raises(ValidationError):
        record_calibration(make_terminal().well, measured_m3=10, measured_kwh=0, on=date(2026, 5, 1), by="cli")


def test_drift_follows_a_worn_pump(make_terminal):
    terminal = make_terminal()
    volume, energy = pump_days(terminal, 10, 1.8)
    pump_days(terminal, 10, 1.5, start=DAY0 + timedelta(days=10), volume=volume, energy=energy)
    periods = drift(terminal.well, date(2026, 6, 1), date(2026, 6, 20), period_days=10)
    assert [round(value, 2) for _, value in periods] == [1.8, 1.5]
