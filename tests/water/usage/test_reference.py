"""Daily usage in the database: rebuild, late data, sums, 以电折水 as the figure when metering fails."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command

from changji.water.models import DailyUsage, Frame, MeterReplacement, Reading, WellCoefficient
from changji.water.registry.service import replace_meter
from changji.water.usage.derive import rebuild_usage, update_for_readings
from changji.water.usage.reference import usage_between

pytestmark = pytest.mark.django_db
CST_MIDNIGHT_JULY_1 = datetime(2026, 6, 30, 16, 0, tzinfo=UTC)  # 2026-07-01 00:00 in Changji


def add_readings(terminal, start, count, volume0=1000.0, energy0=500.0, m3_per_step=5.0, kwh_per_step=2.5,
                 step=timedelta(minutes=5), skip=()):
    frame = Frame.objects.create(received_at=start, peer="t", protocol="szy206", raw=b"\x68", outcome="stored")
    rows = []
    for i in range(count):
        if i in skip:
            continue
        rows.append(Reading(terminal=terminal, observed_at=start + i * step, received_at=start + i * step,
                            volume_m3=volume0 + i * m3_per_step, energy_kwh=energy0 + i * kwh_per_step,
                            pump_on=True, frame=frame))
    Reading.objects.bulk_create(rows)
    return [r.observed_at for r in rows]


def days(well):
    return {row.day: row for row in DailyUsage.objects.filter(well=well)}


def test_rebuild_splits_usage_at_local_midnight_and_keeps_sums(make_terminal):
    terminal = make_terminal()
    add_readings(terminal, CST_MIDNIGHT_JULY_1 - timedelta(hours=1), 25)  # 23:00 → 01:00 local
    rebuild_usage()
    rows = days(terminal.well)
    assert set(rows) == {date(2026, 6, 30), date(2026, 7, 1)}
    assert rows[date(2026, 6, 30)].water_m3 == pytest.approx(60.0)  # 12 steps of 5 m³
    assert rows[date(2026, 7, 1)].water_m3 == pytest.approx(60.0)
    assert rows[date(2026, 7, 1)].water_sum_m3 == pytest.approx(120.0)
    assert rows[date(2026, 7, 1)].energy_kwh == pytest.approx(30.0)
    assert rows[date(2026, 7, 1)].source == "metered"
    water, energy = usage_between(terminal.well, date(2026, 7, 1), date(2026, 7, 1))
    assert (water, energy) == (pytest.approx(60.0), pytest.approx(30.0))


def test_rebuild_is_idempotent(make_terminal):
    terminal = make_terminal()
    add_readings(terminal, CST_MIDNIGHT_JULY_1, 300)
    rebuild_usage()
    first = [(r.day, r.water_m3, r.water_sum_m3) for r in DailyUsage.objects.order_by("day")]
    call_command("water", "rebuild")
    assert [(r.day, r.water_m3, r.water_sum_m3) for r in DailyUsage.objects.order_by("day")] == first


def test_late_data_recomputes_the_affected_days_to_what_a_rebuild_gives(make_terminal):
    terminal = make_terminal()
    start = CST_MIDNIGHT_JULY_1
    gap = set(range(200, 500))  # about 25 hours missing, across a midnight
    add_readings(terminal, start, 900, skip=gap)
    rebuild_usage()
    before = days(terminal.well)
    assert any(row.spread for row in before.values())
    # the terminal back-fills its stored reports
    frame = Frame.objects.first()
    late = [Reading(terminal=terminal, observed_at=start + i * timedelta(minutes=5),
                    received_at=start + timedelta(days=5), volume_m3=1000.0 + 5 * i, energy_kwh=500.0 + 2.5 * i,
                    pump_on=True, frame=frame) for i in sorted(gap)]
    Reading.objects.bulk_create(late)
    first, last = update_for_readings(terminal.pk, [r.observed_at for r in late])
    assert (first, last) == (date(2026, 7, 1), date(2026, 7, 2))  # reading 199 (Jul 1) to 500 (Jul 2)
    incremental = {d: (r.water_m3, round(r.water_sum_m3, 6), r.spread) for d, r in days(terminal.well).items()}
    rebuild_usage()
    rebuilt = {d: (r.water_m3, round(r.water_sum_m3, 6), r.spread) for d, r in days(terminal.well).items()}
    assert incremental == rebuilt
    assert not any(spread for _, _, spread in rebuilt.values())


def test_rebuild_from_a_day_keeps_earlier_rows_and_sums(make_terminal):
    terminal = make_terminal()
    add_readings(terminal, CST_MIDNIGHT_JULY_1, 288 * 3)
    rebuild_usage()
    full = {d: r.water_sum_m3 for d, r in days(terminal.well).items()}
    rebuild_usage(since=date(2026, 7, 2))
    assert {d: r.water_sum_m3 for d, r in days(terminal.well).items()} == pytest.approx(full)


def test_bypass_day_counts_the_electricity_estimate(make_terminal):
    terminal = make_terminal()
    WellCoefficient.objects.create(well=terminal.well, m3_per_kwh=2.0, valid_from=date(2026, 1, 1),
                                   method="calibration", measured_m3=200, measured_kwh=100)
    add_readings(terminal, CST_MIDNIGHT_JULY_1, 100, m3_per_step=0.0, kwh_per_step=2.5)  # energy, no water
    rebuild_usage()
    row = days(terminal.well)[date(2026, 7, 1)]
    assert row.water_m3 == 0.0 and row.energy_kwh == pytest.approx(247.5)
    assert row.estimated_water_m3 == pytest.approx(495.0)
    assert (row.usage_m3, row.source) == (pytest.approx(495.0), "estimated")


def test_meter_replacement_is_not_a_spike_or_a_negative_day(make_terminal, make_user):
    from changji.water.models import Meter

    terminal = make_terminal()
    meter = Meter.objects.create(well=terminal.well, kind="electromagnetic", serial="A",
                                 installed_at=CST_MIDNIGHT_JULY_1)
    add_readings(terminal, CST_MIDNIGHT_JULY_1, 12)  # 1000 → 1055
    at = CST_MIDNIGHT_JULY_1 + timedelta(minutes=57)
    replace_meter(meter, serial="B", replaced_at=at, old_final_register=1057.0, new_initial_register=0.0, by="t")
    add_readings(terminal, CST_MIDNIGHT_JULY_1 + timedelta(hours=1), 12, volume0=3.0)  # new meter: 3 → 58
    rebuild_usage()
    row = days(terminal.well)[date(2026, 7, 1)]
    # 55 before + (1057 - 1055) + (3 - 0) across the change + 55 after
    assert row.water_m3 == pytest.approx(115.0)
    assert "replacement" in row.water_reason
    assert MeterReplacement.objects.count() == 1


def test_derive_follows_stored_frames_once(make_terminal):
    from changji.water.models import DerivationCursor
    from changji.water.usage.derive import derive_pending

    terminal = make_terminal()
    times = add_readings(terminal, CST_MIDNIGHT_JULY_1, 24)
    frames = [Frame(received_at=CST_MIDNIGHT_JULY_1, peer="t", protocol="szy206", raw=b"\x68", outcome="stored",
                    terminal=terminal, observed_at=t) for t in times]
    Frame.objects.bulk_create(frames)
    assert derive_pending() == 25  # the readings' own frame (no terminal) and the 24 stored frames
    assert days(terminal.well)[date(2026, 7, 1)].water_m3 == pytest.approx(115.0)
    assert derive_pending() == 0
    assert DerivationCursor.objects.get().last_frame_id == Frame.objects.order_by("-pk").first().pk
