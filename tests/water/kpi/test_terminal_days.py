"""The bureau's KPIs from stored terminal-days, per county and prefecture."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command

from changji.core.models import Region
from changji.water.kpi.terminal_days import kpi_figures, refresh_terminal_days
from changji.water.models import Alarm, DailyUsage, Frame, Reading, TerminalDay

pytestmark = pytest.mark.django_db
JULY_1 = datetime(2026, 6, 30, 16, 0, tzinfo=UTC)  # 2026-07-01 00:00 in Changji


def _reports(terminal, count, start=JULY_1, future=()):
    frame = Frame.objects.create(received_at=start, peer="t", protocol="szy206", raw=b"\x68", outcome="stored")
    Reading.objects.bulk_create([
        Reading(terminal=terminal, observed_at=start + timedelta(minutes=5 * i),
                received_at=start + timedelta(minutes=5 * i), volume_m3=float(i), future_dated=i in future,
                frame=frame)
        for i in range(count)
    ])


def test_terminal_days_count_reports_and_valid_readings(make_terminal):
    terminal = make_terminal()
    _reports(terminal, 144, future={3, 4})  # half a day's 288 reports, two of them future-dated
    refresh_terminal_days(terminal, [date(2026, 7, 1), date(2026, 7, 2)])
    day1, day2 = TerminalDay.objects.order_by("day")
    assert (day1.expected_reports, day1.received_reports, day1.readings_valid, day1.faulty) == (288, 144, 142, False)
    # silent all day after healthy last words: a communication loss, not a broken device
    assert (day2.received_reports, day2.faulty, day2.condition, day2.condition_cause) == (
        0, False, "comm_loss", "heartbeat_lost")
    assert day1.invalid_by_reason == {"future_dated": 2}


def test_kpis_per_county_and_prefecture(make_terminal):
    hutubi = make_terminal("6523230001", county="652323")
    qitai = make_terminal("6523250001", county="652325")
    _reports(hutubi, 288)
    _reports(qitai, 72)
    Alarm.objects.create(terminal=qitai, well=qitai.well, kind="meter_fault", severity="major", state="open",
                         raised_at=JULY_1 + timedelta(hours=1))
    DailyUsage.objects.create(well=hutubi.well, day=date(2026, 7, 1), water_m3=100.0, estimated_water_m3=110.0,
                              usage_m3=100.0, source="metered")
    DailyUsage.objects.create(well=qitai.well, day=date(2026, 7, 1), water_m3=100.0, estimated_water_m3=150.0,
                              usage_m3=100.0, source="metered")
    for terminal in (hutubi, qitai):
        refresh_terminal_days(terminal, [date(2026, 7, 1)])
    county = kpi_figures(Region.objects.get(code="652323"), date(2026, 7, 1), date(2026, 7, 1))
    assert (county.terminals, county.intact_rate, county.online_rate, county.arrival_rate) == (1, 1.0, 1.0, 1.0)
    prefecture = kpi_figures(Region.objects.get(code="652300"), date(2026, 7, 1), date(2026, 7, 1))
    assert prefecture.terminals == 2
    assert prefecture.intact_rate == 0.5  # Qitai's meter fault
    assert prefecture.arrival_rate == pytest.approx((288 + 72) / 576)
    assert prefecture.agreement_rate == 0.5  # 10 % apart agrees, 50 % apart does not


def test_rebuild_recounts_terminal_days(make_terminal, capsys):
    terminal = make_terminal()
    _reports(terminal, 10)
    call_command("water", "rebuild")
    assert TerminalDay.objects.get(terminal=terminal).received_reports == 10
    assert "1 terminal-day row(s)" in capsys.readouterr().out


def test_database_sums_equal_the_pure_definition(make_terminal):
    """kpi_sums (SQL) and kpi.sum_days (the definition) agree on the same terminal-days."""
    import random

    from changji.water.kpi import definitions as kpi
    from changji.water.kpi.terminal_days import kpi_sums

    rng = random.Random(11)
    terminals = [make_terminal(f"65232300{n:02d}", county="652323") for n in range(6)]
    pure_days = []
    for terminal in terminals:
        for offset in range(5):
            day = date(2026, 7, 1) + timedelta(days=offset)
            expected, received = rng.choice([0, 288]), rng.randint(0, 300)
            valid, faulty = rng.randint(0, received), rng.random() < 0.3
            metered, estimated = rng.choice([None, 0.5, 50.0]), rng.choice([None, 45.0, 80.0])
            TerminalDay.objects.create(terminal=terminal, day=day, expected_reports=expected,
                                       received_reports=received, readings_valid=valid, faulty=faulty)
            DailyUsage.objects.create(well=terminal.well, day=day, water_m3=metered, estimated_water_m3=estimated)
            pure_days.append(kpi.TerminalDay(terminal.pk, expected, received, faulty, received, valid, metered,
                                             estimated))
    assert kpi_sums(Region.objects.get(code="652323"), date(2026, 7, 1), date(2026, 7, 5)) == kpi.sum_days(pure_days)


def test_one_day_is_counted_in_the_database_with_the_same_rules(make_terminal):
    terminal = make_terminal()
    _reports(terminal, 20, future={3})
    Reading.objects.filter(terminal=terminal, observed_at=JULY_1 + timedelta(minutes=50)).update(native={"late": True})
    refresh_terminal_days(terminal, [date(2026, 7, 1)])
    row = TerminalDay.objects.get(terminal=terminal)
    assert (row.received_reports, row.readings_valid) == (20, 18)
    refresh_terminal_days(terminal, [date(2026, 7, 1), date(2026, 7, 2)])
    assert TerminalDay.objects.get(terminal=terminal, day=date(2026, 7, 1)).readings_valid == 18


def test_a_fault_alarm_is_a_device_fault_and_an_offline_alarm_is_not(make_terminal):
    """A meter-fault alarm open over a silent day makes it a device fault; an open OFFLINE alarm does not."""
    broken, cut_off = make_terminal("6523230001"), make_terminal("6523230002")
    for terminal in (broken, cut_off):
        _reports(terminal, 288)
    Alarm.objects.create(terminal=broken, well=broken.well, kind="meter_fault", severity="major", state="open",
                         raised_at=JULY_1 + timedelta(hours=23))
    Alarm.objects.create(terminal=cut_off, well=cut_off.well, kind="offline", severity="major", state="open",
                         raised_at=JULY_1 + timedelta(hours=23))
    for terminal in (broken, cut_off):
        refresh_terminal_days(terminal, [date(2026, 7, 1), date(2026, 7, 2)])
    rows = {(row.terminal_id, row.day.day): (row.condition, row.condition_cause) for row in TerminalDay.objects.all()}
    assert rows == {(broken.pk, 1): ("device_fault", "fault_alarm"), (broken.pk, 2): ("device_fault", "fault_alarm"),
                    (cut_off.pk, 1): ("intact", ""), (cut_off.pk, 2): ("comm_loss", "heartbeat_lost")}


def test_the_daily_job_writes_the_rows_of_silent_terminals(make_terminal):
    from changji.water.kpi.terminal_days import fill_silent_days

    talking = make_terminal("6523230001", installed_on=date(2026, 6, 1))
    silent = make_terminal("6523230002", installed_on=date(2026, 6, 1))
    make_terminal("6523230003", installed_on=date(2026, 7, 5))  # not installed yet
    make_terminal("6523240004", county="652324")  # no installation date: not part of the fleet yet
    _reports(talking, 10)
    refresh_terminal_days(talking, [date(2026, 7, 1)])
    assert fill_silent_days(date(2026, 7, 1)) == 1
    row = TerminalDay.objects.get(terminal=silent)
    assert (row.received_reports, row.condition, row.condition_cause) == (0, "device_fault", "never_heard")
    assert fill_silent_days(date(2026, 7, 1)) == 0  # idempotent
