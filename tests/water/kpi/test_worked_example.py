"""The README's worked example of 数据准确率 and 设备完好率 (section "KPI definitions"), computed end to end.

Eight terminals in three counties over two local days (2026-07-01 and 07-02), reporting every 6 hours (4 expected
a day), with readings chosen to hit every rule. The figures asserted here are the ones written in the README.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command

from changji.core.models import Region
from changji.water.kpi.terminal_days import intact_rate_of_wells, kpi_figures, refresh_terminal_days, wells_condition
from changji.water.models import Frame, Reading, TerminalDay

pytestmark = pytest.mark.django_db
JULY_1 = datetime(2026, 6, 30, 16, 0, tzinfo=UTC)  # 2026-07-01 00:00 in Changji
DAY = timedelta(days=1)
SIX_HOURS = timedelta(hours=6)
DAYS = [date(2026, 7, 1), date(2026, 7, 2)]


def _frame(at: datetime, outcome: str = "stored", terminal=None, observed_at=None) -> Frame:
    return Frame.objects.create(received_at=at, peer="t", protocol="szy206", raw=b"\x68", outcome=outcome,
                                terminal=terminal, observed_at=observed_at)


def _read(terminal, at: datetime, received_at: datetime | None = None, **values) -> Reading:
    received_at = received_at or at
    return Reading.objects.create(terminal=terminal, observed_at=at, received_at=received_at, frame=_frame(received_at),
                                  **values)


def _steady(terminal, day_start: datetime, start_m3: float) -> None:
    """Four healthy reports, 10 m³ and 5 kWh apart."""
    for n in range(4):
        _read(terminal, day_start + n * SIX_HOURS, volume_m3=start_m3 + 10 * n, energy_kwh=start_m3 / 2 + 5 * n)


@pytest.fixture
def fleet(make_terminal):
    """The worked example's fleet (README table); every terminal reports every 6 hours."""
    def make(address: str, county: str, **extra):
        return make_terminal(address, county=county, report_interval_s=21_600, **extra)

    t = {"A": make("6523230001", "652323"), "B": make("6523230002", "652323"), "C": make("6523230003", "652323"),
         "D": make("6523240001", "652324"), "E": make("6523240002", "652324"), "H": make("6523240003", "652324"),
         "F": make("6523250001", "652325"), "G": make("6523250002", "652325", installed_on=date(2026, 7, 2))}
    day1, day2 = JULY_1, JULY_1 + DAY
    for name in ("A", "E", "H", "F"):
        _steady(t[name], day1, 100.0)
    # B: a register reversal (100 → 50) and an impossible jump (55 → 600 in 6 h; 55 m³/h × 6 h × 1.5 = 495)
    for n, volume in enumerate((100.0, 50.0, 55.0, 600.0)):
        _read(t["B"], day1 + n * SIX_HOURS, volume_m3=volume)
    # C: a meter-fault status, a future-dated reading (400 s ahead), a clock 900 s ahead
    _read(t["C"], day1, volume_m3=10.0)
    _read(t["C"], day1 + SIX_HOURS, volume_m3=11.0, native={"alarm_bits": [5]})
    _read(t["C"], day1 + 2 * SIX_HOURS, day1 + 2 * SIX_HOURS - timedelta(seconds=400), volume_m3=12.0,
          future_dated=True)
    _read(t["C"], day1 + 3 * SIX_HOURS, day1 + 3 * SIX_HOURS - timedelta(seconds=900), volume_m3=13.0)
    # D: one reading flagged late by its time label, and one frame the gateway refused as late
    _steady(t["D"], day1, 100.0)
    Reading.objects.filter(terminal=t["D"], observed_at=day1 + SIX_HOURS).update(native={"late": True})
    _frame(day1 + timedelta(hours=5), outcome="late", terminal=t["D"], observed_at=day1 + timedelta(hours=3))
    # day 2: A and H report; C talks but sends heartbeats only; D's day arrives buffered the next noon;
    # B, E, F and G are silent
    _steady(t["A"], day2, 140.0)
    _steady(t["H"], day2, 140.0)
    for n in range(2):
        _read(t["C"], day2 + n * SIX_HOURS, battery_v=12.6)
    for n in range(4):
        _read(t["D"], day2 + n * SIX_HOURS, day2 + DAY + timedelta(hours=12), volume_m3=140.0 + 10 * n)
    for name, terminal in t.items():
        refresh_terminal_days(terminal, DAYS[1:] if name == "G" else DAYS)
    return t


EXPECTED = {  # terminal, day → (received, valid, condition, cause): the README's table
    ("A", 1): (4, 4, "intact", ""), ("A", 2): (4, 4, "intact", ""),
    ("B", 1): (4, 2, "device_fault", "fault_reading"), ("B", 2): (0, 0, "device_fault", "unhealthy_last_words"),
    ("C", 1): (4, 1, "device_fault", "fault_reading"), ("C", 2): (2, 2, "device_fault", "no_valid_measurement"),
    ("D", 1): (4, 3, "intact", ""), ("D", 2): (4, 4, "comm_loss", "buffered"),
    ("E", 1): (4, 4, "intact", ""), ("E", 2): (0, 0, "comm_loss", "area_silent"),
    ("H", 1): (4, 4, "intact", ""), ("H", 2): (4, 4, "intact", ""),
    ("F", 1): (4, 4, "intact", ""), ("F", 2): (0, 0, "comm_loss", "heartbeat_lost"),
    ("G", 2): (0, 0, "device_fault", "never_heard"),
}


def _rows(fleet) -> dict:
    names = {terminal.pk: name for name, terminal in fleet.items()}
    return {(names[row.terminal_id], row.day.day): (row.received_reports, row.readings_valid, row.condition,
                                                    row.condition_cause)
            for row in TerminalDay.objects.all()}


def test_each_terminal_day_is_judged_as_the_readme_says(fleet):
    assert _rows(fleet) == EXPECTED
    reasons: dict[str, int] = {}
    for row in TerminalDay.objects.all():
        for reason, count in row.invalid_by_reason.items():
            reasons[reason] = reasons.get(reason, 0) + count
    assert reasons == {"register_reversal": 1, "impossible_jump": 1, "meter_fault": 1, "future_dated": 1,
                       "clock_drift": 1, "late": 2}
    assert TerminalDay.objects.get(terminal=fleet["D"], day=DAYS[0]).readings_rejected_late == 1


def test_the_readme_percentages(fleet):
    figures = kpi_figures(Region.objects.get(code="652300"), *DAYS)
    assert figures.terminals == 8
    assert round(figures.accuracy_rate * 100, 1) == 83.7 and figures.accuracy_rate == 36 / 43
    assert round(figures.intact_rate * 100, 1) == 66.7 and figures.intact_rate == 10 / 15
    assert round(figures.comm_loss_rate * 100, 1) == 20.0 and figures.comm_loss_rate == 3 / 15
    assert round(figures.online_rate * 100, 1) == 73.3 and figures.online_rate == 11 / 15
    hutubi = kpi_figures(Region.objects.get(code="652323"), *DAYS)
    assert (hutubi.intact_rate, hutubi.comm_loss_rate) == (2 / 6, 0.0)


def test_the_figures_of_a_set_of_wells(fleet):
    wells = [fleet[name].well_id for name in ("D", "E", "F")]
    condition = wells_condition(wells, *DAYS)
    assert (condition.terminal_days, condition.device_fault_days, condition.comm_loss_days) == (6, 0, 3)
    assert intact_rate_of_wells(wells, *DAYS) == 1.0  # silent for the network: not broken
    assert intact_rate_of_wells([fleet["B"].well_id], *DAYS) == 0.0


def test_a_rebuild_gives_the_same_rows(fleet):
    before = _rows(fleet)
    call_command("water", "rebuild")
    assert _rows(fleet) == before
