"""The batch rebuild writes exactly the rows the per-well reference path writes, for every kind of series."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from changji.water.models import DailyUsage, Reading, Terminal, WellCoefficient
from changji.water.usage import batch
from changji.water.usage.batch import rebuild_usage_batch
from changji.water.usage.reference import rebuild_well
from tests.water.usage.test_reference import CST_MIDNIGHT_JULY_1, add_readings

pytestmark = pytest.mark.django_db

FIELDS = ("water_m3", "energy_kwh", "water_sum_m3", "energy_sum_kwh", "last_volume_m3", "last_energy_kwh",
          "last_observed_at", "water_reason", "energy_reason", "spread", "coefficient_m3_per_kwh",
          "estimated_water_m3", "usage_m3", "source")


def snapshot():
    return {(row.well_id, row.day): tuple(round(v, 6) if isinstance(v, float) else v
                                          for v in (getattr(row, f) for f in FIELDS))
            for row in DailyUsage.objects.all()}


def reference(since=None):
    for terminal in Terminal.objects.select_related("well"):
        ids = list(Terminal.objects.filter(well=terminal.well).values_list("id", flat=True))
        rebuild_well(terminal.well, ids, since)
    return snapshot()


@pytest.fixture
def varied_wells(make_terminal):
    """Six wells: clean across midnight, clean with a coefficient, a gap, a reversal, energy only, no readings."""
    start = CST_MIDNIGHT_JULY_1 - timedelta(days=2, hours=1)
    clean = make_terminal("6523230001")
    add_readings(clean, start, 900)
    coefficient = make_terminal("6523230002")
    WellCoefficient.objects.create(well=coefficient.well, m3_per_kwh=1.9, valid_from=date(2026, 6, 29),
                                   method="calibration")
    add_readings(coefficient, start, 900, kwh_per_step=0.0, m3_per_step=0.0)
    gap = make_terminal("6523230003")
    add_readings(gap, start, 900, skip=range(300, 400))
    reversal = make_terminal("6523230004")
    add_readings(reversal, start, 400)
    add_readings(reversal, start + timedelta(minutes=5 * 400), 400, volume0=10.0)
    energy_only = make_terminal("6523230005")
    add_readings(energy_only, start, 600)
    Reading.objects.filter(terminal=energy_only).update(volume_m3=None)
    make_terminal("6523230006")
    return [clean, coefficient, gap, reversal, energy_only]


@pytest.fixture
def reference_calls(monkeypatch):
    """The wells the batch hands to the reference path (the rest were derived over arrays)."""
    calls = []
    original = batch.rebuild_well
    monkeypatch.setattr(batch, "rebuild_well", lambda well, *a: calls.append(well.code) or original(well, *a))
    return calls


def test_full_rebuild_equals_the_reference(varied_wells, reference_calls):
    rebuild_usage_batch()
    assert sorted(reference_calls) == ["652323-30003", "652323-30004"]  # the gap and the reversal
    batched = snapshot()
    assert len({well for well, _ in batched}) == 5
    DailyUsage.objects.all().delete()
    assert reference() == batched


def test_rebuild_from_a_day_equals_the_reference_and_keeps_earlier_sums(varied_wells, reference_calls):
    rebuild_usage_batch()
    before = {key: value for key, value in snapshot().items() if key[1] < date(2026, 6, 30)}
    DailyUsage.objects.filter(day__gte=date(2026, 6, 30)).update(water_m3=-1, water_sum_m3=-1)
    reference_calls.clear()
    rebuild_usage_batch(since=date(2026, 6, 30))
    assert sorted(reference_calls) == ["652323-30003", "652323-30004"]  # both faults lie on or after the 30th
    batched = snapshot()
    assert {key: value for key, value in batched.items() if key[1] < date(2026, 6, 30)} == before
    assert reference(since=date(2026, 6, 30)) == batched
    assert not DailyUsage.objects.filter(water_m3=-1).exists()


def test_rebuild_is_idempotent_and_clears_rows_no_reading_supports(varied_wells):
    rebuild_usage_batch()
    first = snapshot()
    orphan = Terminal.objects.get(address="6523230006").well
    DailyUsage.objects.create(well=orphan, day=date(2026, 6, 1), water_m3=5.0)
    rebuild_usage_batch()
    assert snapshot() == first

