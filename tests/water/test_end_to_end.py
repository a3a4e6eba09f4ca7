"""Simulated fleet → gateway → database, over real TCP, with faults injected."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Count

from changji.water.gateway.config import GatewayConfig
from changji.water.gateway.database_sink import DatabaseSink
from changji.water.gateway.server import GatewayServer
from changji.water.models import Frame, QuarantinedTerminal, Reading
from changji.water.sim.demo import seed_fleet
from changji.water.sim.simulator import FaultPlan, SimulatorConfig, SimulatorStats, run_fleet
from tests.waiting import eventually

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]


async def _collect(wells, faults: FaultPlan) -> SimulatorStats:
    """Run the fleet until every terminal has replayed its last three hours and reports live."""
    server = GatewayServer(DatabaseSink(batch_linger_s=0.002), GatewayConfig(host="127.0.0.1", port=0))
    await server.start()
    stop = asyncio.Event()
    config = SimulatorConfig(
        port=server.port, speedup=3600, start=datetime.now(UTC) - timedelta(hours=3), faults=faults,
        ack_timeout_s=0.5, connect_stagger_s=0.2,
    )
    stats = SimulatorStats()
    fleet = asyncio.ensure_future(run_fleet(wells, config, stop, stats))
    try:
        await eventually(lambda: stats.caught_up == len(wells), timeout=50,
                         what="every terminal to replay its three hours and report live")
    finally:
        stop.set()
        await fleet
        await server.close()
    return stats


def test_fleet_with_duplicates_backfill_and_corruption_is_stored_once_each(run):
    wells = seed_fleet(30)
    faults = FaultPlan(duplicates=0.3, offline=0.3, corrupt=0.3, tamper=0.2)
    stats = run(_collect(wells, faults))
    assert stats.frames_acked > 500 and stats.retransmissions > 0
    readings = Reading.objects.count()
    assert readings > 250
    # one row per (terminal, time) even though duplicates and retransmissions were received
    assert Frame.objects.filter(outcome="stored").count() > readings
    assert not Reading.objects.values("terminal", "observed_at").annotate(n=Count("id")).filter(n__gt=1)
    # flow and energy frames of each SZY206 report merged into one reading
    szy = Reading.objects.filter(terminal__protocol="szy206")
    assert szy.filter(volume_m3__isnull=False, energy_kwh__isnull=False).count() >= 0.9 * szy.count()
    # monitoring wells report groundwater depth
    assert Reading.objects.filter(terminal__protocol="sl651", depth_m__isnull=False).exists()
    assert Frame.objects.filter(outcome="rejected").exists()  # the corrupted ones
    assert not QuarantinedTerminal.objects.exists()
