"""The live path folds new readings into the day rows exactly as a full recompute would."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from changji.water.models import DailyUsage, Frame, Reading, WellCoefficient
from changji.water.usage.derive import rebuild_usage, update_for_readings

pytestmark = pytest.mark.django_db
START = datetime(2026, 6, 30, 14, 0, tzinfo=UTC)  # 22:00 in Changji: the run crosses local midnight
FIELDS = ("day", "water_m3", "energy_kwh", "water_sum_m3", "energy_sum_kwh", "last_volume_m3",
          "last_energy_kwh", "water_reason", "energy_reason", "spread", "usage_m3", "source", "last_observed_at",
          "coefficient_m3_per_kwh", "estimated_water_m3")


def _rows(well):
    out = []
    for row in DailyUsage.objects.filter(well=well).order_by("day").values_list(*FIELDS):
        out.append(tuple(round(v, 6) if isinstance(v, float) else v for v in row))
    return out


def _series(seed: int, count: int = 120):
    """Reports every 5 minutes with pumping runs, and now and then a gap, a dip or a reversal."""
    rng = random.Random(seed)
    at, volume, energy = START, 1000.0, 500.0
    out = []
    for _ in range(count):
        at += timedelta(minutes=5 if rng.random() > 0.05 else 40)
        if rng.random() < 0.6:
            volume += 4.5
            energy += 2.5
        if rng.random() < 0.03:
            volume -= 0.2  # meter noise
        if rng.random() < 0.02:
            volume -= 300.0  # reversal
        out.append((at, round(volume, 3), round(energy, 2) if rng.random() > 0.1 else None))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(6))
def test_live_updates_equal_a_full_rebuild(make_terminal, seed):
    terminal = make_terminal()
    # Coefficients that change at the midnight the run crosses: a new day's row must take the new one.
    WellCoefficient.objects.create(well=terminal.well, m3_per_kwh=1.5, valid_from=date(2026, 1, 1),
                                   valid_to=date(2026, 6, 30), method="calibration")
    WellCoefficient.objects.create(well=terminal.well, m3_per_kwh=2.1, valid_from=date(2026, 7, 1),
                                   method="calibration")
    frame = Frame.objects.create(received_at=START, peer="t", protocol="szy206", raw=b"\x68", outcome="stored")
    series = _series(seed)
    head, tail = series[:10], series[10:]
    Reading.objects.bulk_create([Reading(terminal=terminal, observed_at=a, received_at=a, volume_m3=v, energy_kwh=e,
                                         pump_on=True, frame=frame) for a, v, e in head])
    rebuild_usage()
    for at, volume, energy in tail:  # one report at a time, as derive sees them
        Reading.objects.create(terminal=terminal, observed_at=at, received_at=at, volume_m3=volume, energy_kwh=energy,
                               pump_on=True, frame=frame)
        update_for_readings(terminal.pk, [at])
    live = _rows(terminal.well)
    rebuild_usage()
    assert live == _rows(terminal.well)


def test_steady_reports_take_the_live_path(make_terminal, django_assert_max_num_queries):
    terminal = make_terminal()
    frame = Frame.objects.create(received_at=START, peer="t", protocol="szy206", raw=b"\x68", outcome="stored")
    for i in range(3):
        at = START + timedelta(minutes=5 * i)
        Reading.objects.create(terminal=terminal, observed_at=at, received_at=at, volume_m3=4.0 * i,
                               energy_kwh=2.0 * i, frame=frame)
    rebuild_usage()
    at = START + timedelta(minutes=15)
    Reading.objects.create(terminal=terminal, observed_at=at, received_at=at, volume_m3=12.0, energy_kwh=6.0,
                           frame=frame)
    # 10 before the outbox (water.sharing): +1 insert of the day rows' entries, and as this day lies in a closed
    # month, +2 to read the well's key and the rollups before and +1 insert of the rollups' entries.
    with django_assert_max_num_queries(14):  # the general path takes 20 (24 with the outbox)
        update_for_readings(terminal.pk, [at])
    assert DailyUsage.objects.get(well=terminal.well).water_m3 == pytest.approx(12.0)


def test_a_new_day_opened_live_takes_the_coefficient_in_force_that_day(make_terminal):
    terminal = make_terminal()
    WellCoefficient.objects.create(well=terminal.well, m3_per_kwh=1.5, valid_from=date(2026, 1, 1),
                                   valid_to=date(2026, 6, 30), method="calibration")
    WellCoefficient.objects.create(well=terminal.well, m3_per_kwh=2.1, valid_from=date(2026, 7, 1),
                                   method="calibration")
    frame = Frame.objects.create(received_at=START, peer="t", protocol="szy206", raw=b"\x68", outcome="stored")
    steady = [(START + timedelta(minutes=5 * i), 1000.0 + 4.0 * i, 500.0 + 2.0 * i) for i in range(30)]
    for n, (at, volume, energy) in enumerate(steady):  # 22:00 → 00:25 local, every report live
        Reading.objects.create(terminal=terminal, observed_at=at, received_at=at, volume_m3=volume,
                               energy_kwh=energy, frame=frame)
        if n == 2:
            rebuild_usage()
        elif n > 2:
            update_for_readings(terminal, [at])
    july_first = DailyUsage.objects.get(well=terminal.well, day=date(2026, 7, 1))
    assert july_first.coefficient_m3_per_kwh == 2.1
    assert DailyUsage.objects.get(well=terminal.well, day=date(2026, 6, 30)).coefficient_m3_per_kwh == 1.5
    live = _rows(terminal.well)
    rebuild_usage()
    assert live == _rows(terminal.well)
