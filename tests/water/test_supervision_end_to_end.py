"""Simulated terminals with faults → gateway → derivation, alarms and quota: the expected outcomes only.

Four wells of the fleet report over real TCP: one industrial well pumping all day with an
allocation it has already used up, one with a faulty flowmeter, two clean ones. After the fleet has
replayed its last two hours, derivation, the alarm rules and the quota sweep run; the used-up well's
pump must be stopped through the command queue (sent after the terminal's next keep-alive and
confirmed by its answer), the faulty flowmeter must raise its alarm, and nothing else may happen.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from changji.core.localtime import local_day
from changji.core.models import AuditEntry
from changji.water.alarms.evaluation import evaluate_all
from changji.water.gateway.config import GatewayConfig
from changji.water.gateway.database_sink import DatabaseSink
from changji.water.gateway.server import GatewayServer
from changji.water.models import Alarm, Allocation, Command, DailyUsage, QuotaPolicy, Terminal, Well
from changji.water.profiles.demo import true_batch_id
from changji.water.protocols.bcd import CST
from changji.water.quotas.sweep import sweep_quotas
from changji.water.sim.fleet import build_fleet
from changji.water.sim.simulator import SimulatorConfig, SimulatorStats, WellModel, run_fleet
from changji.water.usage.derive import derive_pending
from tests.waiting import eventually

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]


def _pick_wells():
    """An industrial well that pumps all day today, and three other extraction wells."""
    now = datetime.now(CST)
    fleet = [w for w in build_fleet(600) if w.kind == "extraction"]
    pumping = next(
        w for w in fleet if w.use == "industrial" and WellModel(w, frozenset(), 2026).day_plan(now) == (0, 24)
    )
    others = [w for w in fleet if w.use == "agricultural" and w is not pumping][:3]
    return pumping, others


def _register(wells):
    for fleet_well in wells:
        well = Well.objects.create(
            code=fleet_well.code, name=fleet_well.name, region_id=fleet_well.county_code, latitude=fleet_well.latitude,
            longitude=fleet_well.longitude, pump_rated_power_kw=fleet_well.pump_rated_power_kw,
            pump_rated_flow_m3h=fleet_well.pump_rated_flow_m3h,
        )
        Terminal.objects.create(protocol="szy206", address=fleet_well.address, well=well, region_id=well.region_id,
                                batch_id=true_batch_id(fleet_well))  # the profile its simulator speaks


def retry_while_locked(step, attempts: int = 50):
    """Run ``step`` again while the test database reports a table locked by the gateway's writer thread.

    The suite's SQLite database is in memory with a shared cache, where a reader meets a writer's
    table lock at once ("database table is locked") instead of waiting; the platform's file database
    in WAL mode never does. Each step here is safe to repeat (derivation folds only what is not in
    yet; the evaluation of a terminal is one transaction).
    """
    from django.db import OperationalError, transaction

    for attempt in range(attempts):
        try:
            with transaction.atomic():
                return step()
        except OperationalError as error:
            if "locked" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.05)  # back off before the retry; the lock is the writer thread's, held for a commit


async def _scenario(wells, faulty_code, quota_code):
    server = GatewayServer(DatabaseSink(batch_linger_s=0.002, command_refresh_s=0.2),
                           GatewayConfig(host="127.0.0.1", port=0))
    await server.start()
    stop = asyncio.Event()
    config = SimulatorConfig(
        port=server.port, speedup=3600, start=datetime.now(UTC) - timedelta(hours=2), ack_timeout_s=1.0,
        connect_stagger_s=0.1, keepalive_s=0.2, faults_by_well={faulty_code: frozenset({"flowmeter_fault"})},
    )
    stats = SimulatorStats()
    fleet = asyncio.ensure_future(run_fleet(wells, config, stop, stats))
    await eventually(lambda: stats.caught_up == len(wells), timeout=60,
                     what="every terminal to replay its two hours and report live")

    def supervise():
        retry_while_locked(lambda: derive_pending(settle=timedelta(0)))
        now = datetime.now(UTC)
        retry_while_locked(lambda: evaluate_all(now))
        retry_while_locked(lambda: evaluate_all(now + timedelta(seconds=1)))  # rules debounce over evaluations
        well = Well.objects.get(code=quota_code)
        QuotaPolicy.objects.create(region_id="652300", thresholds=[0.8, 0.9, 1.0], notice_hours=0)  # stop at once
        Allocation.objects.create(year=local_day(now).year, well=well, allocation_m3=1.0)
        return retry_while_locked(lambda: sweep_quotas(local_day(now)))

    sweep = await asyncio.to_thread(supervise)
    # The stop goes out after the terminal's next keep-alive and is confirmed by its answer.
    await eventually(lambda: asyncio.to_thread(retry_while_locked, Command.objects.filter(state="confirmed").exists),
                     timeout=30, every=0.1, what="the pump stop to be confirmed")
    stop.set()
    await fleet
    await server.close()
    return sweep


def test_faults_raise_their_alarms_and_the_used_up_well_is_stopped_and_nothing_else(run):
    pumping, others = _pick_wells()
    wells = [pumping, *others]
    _register(wells)
    faulty = others[0]
    sweep = run(_scenario(wells, faulty.code, pumping.code))

    assert DailyUsage.objects.filter(well__code=pumping.code, usage_m3__gt=0).exists()
    [command] = Command.objects.all()
    assert [str(c) for c in sweep.stops] == [str(command.pk)]
    assert (command.terminal.address, command.kind, command.state) == (pumping.address, "pump_stop", "confirmed")
    assert "超年度用水指标" in command.reason
    assert AuditEntry.objects.filter(action="water.quota.stop").count() == 1
    assert AuditEntry.objects.filter(action="water.command.confirmed").count() == 1

    alarms = set(Alarm.objects.values_list("well__code", "kind"))
    assert (faulty.code, "meter_fault") in alarms
    expected = {(faulty.code, "meter_fault"), (faulty.code, "energy_without_water")}
    assert alarms <= expected, f"unexpected alarms: {alarms - expected}"
