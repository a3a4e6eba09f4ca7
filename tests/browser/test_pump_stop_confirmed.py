"""A pump stop sent from the well page reaches a simulated terminal over real TCP and comes back confirmed.

The gateway and one simulated terminal run in a background thread (their own event loop); the
operator queues the stop in chromium, confirms it, and watches the well page's command queue
(refreshed by htmx) turn from 待下发 to 已确认 once the terminal has answered the downlink.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import pytest

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]


@pytest.fixture
def live_terminal(transactional_db):
    """One fleet well registered, its terminal simulated and connected to a running gateway."""
    from changji.water.gateway.config import GatewayConfig
    from changji.water.gateway.database_sink import DatabaseSink
    from changji.water.gateway.server import GatewayServer
    from changji.water.models import Terminal, Well
    from changji.water.profiles.demo import true_batch_id
    from changji.water.sim.fleet import build_fleet
    from changji.water.sim.simulator import SimulatorConfig, run_fleet

    fleet_well = next(w for w in build_fleet(50) if w.kind == "extraction" and w.protocol == "szy206")
    well = Well.objects.create(code=fleet_well.code, name=fleet_well.name, region_id=fleet_well.county_code,
                               latitude=fleet_well.latitude, longitude=fleet_well.longitude,
                               pump_rated_power_kw=fleet_well.pump_rated_power_kw,
                               pump_rated_flow_m3h=fleet_well.pump_rated_flow_m3h)
    terminal = Terminal.objects.create(protocol="szy206", address=fleet_well.address, well=well,
                                       region_id=well.region_id, batch_id=true_batch_id(fleet_well))
    loop = asyncio.new_event_loop()
    stop: asyncio.Event | None = None
    ready = threading.Event()

    async def serve() -> None:
        nonlocal stop
        stop = asyncio.Event()
        server = GatewayServer(DatabaseSink(batch_linger_s=0.002, command_refresh_s=0.2),
                               GatewayConfig(host="127.0.0.1", port=0))
        await server.start()
        config = SimulatorConfig(port=server.port, speedup=60, start=datetime.now(UTC) - timedelta(minutes=5),
                                 ack_timeout_s=1.0, connect_stagger_s=0.0, keepalive_s=0.5)
        ready.set()
        try:
            await run_fleet([fleet_well], config, stop)
        finally:
            await server.close()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    yield terminal
    loop.call_soon_threadsafe(stop.set)
    thread.join(15)


def test_a_pump_stop_is_confirmed_by_the_simulated_terminal(page, login, live_terminal, shot):
    from changji.water.models import Command

    login(page, "county-op", live_terminal.region_id, "county_operator",
          next_url=f"/water/wells/{live_terminal.well_id}/")
    page.select_option("#pump-form select[name=kind]", "pump_stop")
    page.fill("#pump-form textarea[name=reason]", "超许可取水，远程关泵")
    page.click("#pump-form button[type=submit]")
    page.click("#confirm-form button[type=submit]")
    page.wait_for_selector("#command-queue td.state-confirmed", timeout=40_000)
    command = Command.objects.get()
    assert command.state == "confirmed" and command.answer
    assert "超许可取水，远程关泵" in page.inner_text("#command-queue")
    shot(page, "pump-stop-confirmed")
