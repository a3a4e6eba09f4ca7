"""``changji demo --prepare-only`` on a small fleet: a history with every alarm kind, once; the live fleet goes on."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model

from changji.core.localtime import today
from changji.core.models import Region
from changji.core.regions import root
from changji.water.alarms.rules import AlarmKind
from changji.water.demo import demo_password
from changji.water.management.commands.simulate import latest_registers
from changji.water.models import (
    Alarm,
    Allocation,
    AnnualPlan,
    CountyWaterTarget,
    DailyUsage,
    Licence,
    OutboxEntry,
    QuotaNorm,
    QuotaPolicy,
    Reading,
    Snapshot,
    WaterTaxRate,
    Well,
    WellKind,
)
from changji.water.quotas.sweep import quota_overview
from changji.water.sim.fleet import build_fleet
from changji.water.sim.history import history_window
from changji.water.sim.simulator import SimulatorConfig, WellModel

pytestmark = pytest.mark.django_db


@pytest.fixture
def prepared(monkeypatch):
    monkeypatch.setenv("WELLS", "30")
    monkeypatch.setenv("HISTORY_DAYS", "60")
    return apps.get_app_config("water").prepare_demo()


def test_the_water_apps_demo_preparation_makes_a_history_with_every_alarm_kind(prepared):
    assert "30 wells registered" in prepared and "readings" in prepared and "s CPU" in prepared
    present = set(Alarm.objects.values_list("kind", flat=True))
    missing = [kind.value for kind in AlarmKind if kind.value not in present]
    assert not missing, f"alarm kinds missing from the demo: {missing}"
    first, last = history_window(days=60)
    assert DailyUsage.objects.filter(day=last).exists() and DailyUsage.objects.filter(day=first).exists()
    readings, alarms = Reading.objects.count(), Alarm.objects.count()
    counts = (Licence.objects.count(), AnnualPlan.objects.count(), QuotaNorm.objects.count(),
              QuotaPolicy.objects.count(), WaterTaxRate.objects.count())
    decline = Alarm.objects.get(kind="groundwater_decline")  # judged against the demo's earlier years
    assert decline.evidence["basis"] == "seasonal_baseline" and "往年同期" in decline.evidence["reason"]
    assert Snapshot.objects.filter(flagged=True, work_order__isnull=False).exists()
    worker = re.search(r"我的工单: (yunwei-\d+)", prepared).group(1)  # the announced account signs in
    assert get_user_model().objects.get(username=worker).check_password(demo_password())
    again = apps.get_app_config("water").prepare_demo()
    assert "already present" in again and "; 0 licence(s) issued" in again
    assert "0 earlier depth reading(s), 0 red line(s), 0 超采区 polygon(s)" in again
    assert (Reading.objects.count(), Alarm.objects.count()) == (readings, alarms)
    assert (Licence.objects.count(), AnnualPlan.objects.count(), QuotaNorm.objects.count(),
            QuotaPolicy.objects.count(), WaterTaxRate.objects.count()) == counts


def test_every_demo_well_has_a_valid_licence_a_plan_and_a_filled_dashboard(prepared):
    """The contract of ``changji demo --prepare-only`` (issue 14): licences, plans and the 年度指标 column."""
    day = today()
    for well in Well.objects.filter(kind=WellKind.EXTRACTION):
        valid = well.licences.filter(state="valid", valid_from__lte=day, valid_to__gte=day)
        assert valid.exists(), f"{well.code} has no valid licence"
        assert AnnualPlan.objects.filter(licence__in=valid, year=day.year).exists(), f"{well.code} has no plan"
        assert Allocation.objects.get(well=well, year=day.year).allocation_m3 > 0
    rows = quota_overview(day.year, day, Region.objects.get(code=root()))
    assert rows and all(row["allocation_m3"] > 0 for row in rows if row["used_m3"] > 0)
    assert CountyWaterTarget.objects.filter(year=day.year).count() == 7
    assert Alarm.objects.filter(kind="unlicensed").exists()  # judged before the late licence was issued
    assert WaterTaxRate.objects.exists() and QuotaNorm.objects.exists() and QuotaPolicy.objects.exists()
    # The outbox a county queues on connecting to its upstream (water.sharing.demo): every well, recent usage.
    queued = set(OutboxEntry.objects.filter(stream="registry", key__startswith="well:").values_list("key", flat=True))
    assert queued == {f"well:{code}" for code in Well.objects.values_list("code", flat=True)}
    assert OutboxEntry.objects.filter(stream="usage", key__startswith="day:").exists()


def test_the_live_fleet_continues_the_stored_registers(prepared):
    fleet = build_fleet(30)
    registers = latest_registers([well.code for well in fleet])
    extraction = [well for well in fleet if well.kind == "extraction"]
    assert set(registers) == {well.code for well in extraction}
    well = extraction[0]
    last = Reading.objects.filter(terminal__well__code=well.code, volume_m3__isnull=False).latest("observed_at")
    assert registers[well.code] == (last.volume_m3, last.energy_kwh)
    model = WellModel(well, frozenset(), 2026, registers[well.code])
    assert (model.volume_m3, model.energy_kwh) == (last.volume_m3, last.energy_kwh)
    assert SimulatorConfig(initial_registers=registers).initial_registers[well.code] == registers[well.code]


def test_demo_processes_replay_no_further_back_than_local_midnight(monkeypatch):
    monkeypatch.setenv("HISTORY_HOURS", "48")
    simulate = next(argv for argv in apps.get_app_config("water").demo_processes() if argv[0] == "simulate")
    assert "--continue-registers" in simulate
    assert float(simulate[simulate.index("--history-hours") + 1]) <= 24.0
