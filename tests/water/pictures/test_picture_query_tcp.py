"""A picture query end to end over real TCP: queued → sent → picture frames → Snapshot stored → confirmed.

One SZY206 terminal (61H, split frames each confirmed) and one SL651 station (36H, M3 packets) of the
simulated fleet answer with a real JPEG; the gateway stores it with the command's trigger and alarm.
"""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime

import pytest
from PIL import Image

from changji.core.models import AuditEntry
from changji.water.downlink import queue_command
from changji.water.gateway.config import GatewayConfig
from changji.water.gateway.database_sink import DatabaseSink
from changji.water.gateway.server import GatewayServer
from changji.water.models import Alarm, Command, Snapshot, Terminal, Well
from changji.water.sim.fleet import build_fleet
from changji.water.sim.simulator import SimulatorConfig, SimulatorStats, camera_picture, run_fleet
from tests.waiting import eventually
from tests.water.test_supervision_end_to_end import retry_while_locked

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]


def _register(fleet_well) -> Terminal:
    well = Well.objects.create(code=fleet_well.code, name=fleet_well.name, kind=fleet_well.kind,
                               region_id=fleet_well.county_code, latitude=fleet_well.latitude,
                               longitude=fleet_well.longitude)
    return Terminal.objects.create(protocol=fleet_well.protocol, address=fleet_well.address, well=well,
                                   region_id=well.region_id)


async def _answered(wells) -> SimulatorStats:
    server = GatewayServer(DatabaseSink(batch_linger_s=0.002, command_refresh_s=0.2),
                           GatewayConfig(host="127.0.0.1", port=0))
    await server.start()
    stop = asyncio.Event()
    stats = SimulatorStats()
    config = SimulatorConfig(port=server.port, start=datetime.now(UTC), ack_timeout_s=2.0, connect_stagger_s=0.1,
                             keepalive_s=0.2)
    fleet = asyncio.ensure_future(run_fleet(wells, config, stop, stats))
    try:
        await eventually(
            lambda: asyncio.to_thread(retry_while_locked,
                                      lambda: Command.objects.filter(state="confirmed").count() == len(wells)),
            timeout=40, every=0.5, what="every picture query to be confirmed")
    finally:
        stop.set()
        await fleet
        await server.close()
    return stats


def test_picture_queries_of_szy206_and_sl651_terminals_end_in_stored_real_jpegs(run, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    fleet = build_fleet(40)
    szy = next(w for w in fleet if w.protocol == "szy206")
    sl = next(w for w in fleet if w.protocol == "sl651")
    szy_terminal, sl_terminal = _register(szy), _register(sl)
    alarm = Alarm.objects.create(terminal=szy_terminal, well=szy_terminal.well, kind="door_open", severity="major",
                                 state="open", raised_at=datetime.now(UTC))
    by_alarm = queue_command(szy_terminal, "query_picture", "告警抓拍", by="test",
                             params={"trigger": "alarm", "alarm_id": str(alarm.pk)})
    manual = queue_command(sl_terminal, "query_picture", "人工召测", by="test")

    stats = run(_answered([szy, sl]))

    assert stats.pictures_sent == 2
    szy_picture = Snapshot.objects.get(terminal=szy_terminal)
    sl_picture = Snapshot.objects.get(terminal=sl_terminal)
    for picture, well in ((szy_picture, szy), (sl_picture, sl)):
        stored = (tmp_path / picture.image.name).read_bytes()
        assert stored == camera_picture(well.code) and picture.size_bytes == len(stored)
        with Image.open(io.BytesIO(stored)) as image:  # a real JPEG, whole
            assert image.format == "JPEG" and image.size == (320, 240)
            image.load()
    assert (szy_picture.trigger, szy_picture.alarm_id, szy_picture.command_id) == ("alarm", alarm.pk, by_alarm.pk)
    assert (sl_picture.trigger, sl_picture.alarm_id, sl_picture.command_id) == ("manual", None, manual.pk)
    by_alarm.refresh_from_db()
    assert by_alarm.state == "confirmed" and by_alarm.answer["function"] == "61"
    assert by_alarm.answer["size_bytes"] == len(camera_picture(szy.code)) and by_alarm.answer["frames"] > 1
    manual.refresh_from_db()
    assert manual.state == "confirmed" and manual.answer["function"] == "36"
    assert AuditEntry.objects.filter(action="water.command.confirmed").count() == 2
    assert list(alarm.pictures.all()) == [szy_picture]
