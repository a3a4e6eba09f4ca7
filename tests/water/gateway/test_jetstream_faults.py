"""Fault tests of the JetStream path with real processes: nothing acknowledged is lost, nothing stored twice.

``changji gateway --via jetstream`` and ``changji writer`` run as their own processes against a NATS server
of the test's own (file storage in a temporary directory) and a database of their own; a fleet of terminals
reports over TCP and re-sends what is not acknowledged. A writer is killed with SIGKILL mid-stream, or the
NATS server is killed and restarted on the same store; afterwards every acknowledged report is in the
database, and every one of them was archived as exactly one frame.

On SQLite one writer stores at a time (``stream_writer.sqlite_writer_lock``): the second writer stands by and
takes over when the first is killed. On PostgreSQL both store, and the killed one is restarted.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from changji.water.sim.fleet import build_fleet
from changji.water.sim.loadgen import ReportLoad
from changji.water.sim.profiles import options_of
from tests.waiting import eventually, wait_until
from tests.water.gateway.nats_server import NatsServer, requires_nats_server
from tests.water.gateway.processes import CHANGJI, fleet_database, free_port, start_gateway

PG_URL = "postgres://postgres@127.0.0.1:5432/changji_jetstream_faults"
SUITE_ON_POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith("postgres")
WELLS = 300

pytestmark = [pytest.mark.fault, pytest.mark.slow, requires_nats_server.mark]


def _writer(env: dict[str, str], nats_url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([CHANGJI, "writer", "--nats", nats_url, "--batch", "200", "--ack-wait", "5"], env=env)


def _query(env: dict[str, str], sql: str) -> list[tuple]:
    if "DATABASE_URL" in env:
        with psycopg.connect(env["DATABASE_URL"].replace("postgres://", "postgresql://")) as conn:
            return list(conn.execute(sql))
    with sqlite3.connect(Path(env["CHANGJI_DATA_DIR"]) / "changji.sqlite3") as conn:
        return list(conn.execute(sql))


def _moment(value) -> datetime:
    return value.astimezone(UTC) if isinstance(value, datetime) else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _stored(env: dict[str, str]) -> set[tuple[str, datetime]]:
    rows = _query(env, "SELECT t.address, r.observed_at FROM water_reading r"
                       " JOIN water_terminal t ON t.id = r.terminal_id")
    return {(address, _moment(observed)) for address, observed in rows}


def _frames(env: dict[str, str]) -> Counter[tuple[str, datetime]]:
    rows = _query(env, "SELECT address, observed_at FROM water_frame WHERE outcome = 'stored'")
    return Counter((address, _moment(observed)) for address, observed in rows)


def _load(port: int) -> ReportLoad:
    fleet = build_fleet(WELLS)
    options = {w.address: options_of(w, registered=True) for w in fleet}
    return ReportLoad([w.address for w in fleet], port, ack_timeout_s=1.0, options=options)


async def _report_through(load: ReportLoad, fault, check_down=None) -> int:
    """Keep the fleet reporting; run ``fault`` after 1,000 acks, then report on until 1,000 more; return the first.

    ``check_down`` runs (in a thread) right after the fault, while the fleet keeps sending.
    """
    await load.connect_all()
    base = datetime.now(UTC).replace(second=0, microsecond=0)
    stop = asyncio.Event()
    reporting = asyncio.ensure_future(load.run_until(stop, base))
    loop = asyncio.get_running_loop()
    try:
        await eventually(lambda: len(load.result.acked) > 1000, timeout=90, every=0.05,
                         what="the fleet's first 1,000 acknowledgements")
        before = len(load.result.acked)
        await loop.run_in_executor(None, fault)
        if check_down is not None:
            await loop.run_in_executor(None, check_down)
        await eventually(lambda: len(load.result.acked) > before + 1000, timeout=120, every=0.05,
                         what="acknowledgements to go on after the fault")
    finally:
        stop.set()
        await reporting
        load.close()
    return before


def _all_stored_once(env: dict[str, str], load: ReportLoad) -> None:
    acked = {(address, observed.astimezone(UTC)) for address, observed in load.result.acked}
    wait_until(lambda: not acked - _stored(env), timeout=120, every=0.5,
               what="the writers to store every acknowledged report")
    frames = _frames(env)
    assert {key: frames[key] for key in acked if frames[key] != 1} == {}, "each acked report archived once"


def test_writer_killed_mid_stream_loses_and_duplicates_nothing(tmp_path):
    env = fleet_database(tmp_path, WELLS, PG_URL if SUITE_ON_POSTGRESQL else None)
    nats = NatsServer(tmp_path / "jetstream")
    nats.start()
    port = free_port()
    gateway = start_gateway(env, port, "--via", "jetstream", "--nats", nats.url)
    writers = [_writer(env, nats.url), _writer(env, nats.url)]
    load = _load(port)

    def kill_a_writer() -> None:
        writers[0].send_signal(signal.SIGKILL)
        writers[0].wait()
        if SUITE_ON_POSTGRESQL:  # on SQLite the standby writer takes over by itself
            writers[0] = _writer(env, nats.url)

    try:
        before = asyncio.run(_report_through(load, kill_a_writer))
        _all_stored_once(env, load)
    finally:
        for process in (gateway, *writers):
            process.send_signal(signal.SIGTERM)
        for process in (gateway, *writers):
            process.wait(timeout=60)
        nats.stop()
    assert before > 1000


def test_nats_killed_and_restarted_stops_acks_and_loses_nothing(tmp_path):
    env = fleet_database(tmp_path, WELLS, PG_URL if SUITE_ON_POSTGRESQL else None)
    nats = NatsServer(tmp_path / "jetstream")
    nats.start()
    port = free_port()
    gateway = start_gateway(env, port, "--via", "jetstream", "--nats", nats.url)
    writer = _writer(env, nats.url)
    load = _load(port)

    def acks_stop_while_down() -> None:
        time.sleep(1.0)  # an ack already on its way when the server died may still arrive
        settled = len(load.result.acked)
        time.sleep(3.0)  # the fleet keeps sending: nothing may be acknowledged while nothing can be stored
        assert len(load.result.acked) == settled, "a terminal was acknowledged while NATS was down"
        nats.start()

    try:
        before = asyncio.run(_report_through(load, nats.stop, acks_stop_while_down))
        _all_stored_once(env, load)
    finally:
        for process in (gateway, writer):
            process.send_signal(signal.SIGTERM)
        for process in (gateway, writer):
            process.wait(timeout=60)
        nats.stop()
    assert before > 1000
    assert load.result.retransmissions > 0, "frames sent while NATS was down were not acknowledged"
