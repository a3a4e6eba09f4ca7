"""Fault tests with real processes: nothing the gateway acknowledged is ever lost.

The gateway runs as its own process (``changji gateway``) on its own database; a thousand
terminals report to it over TCP and re-send what is not acknowledged. The process is killed with
SIGKILL, or PostgreSQL is restarted under it, and afterwards every acknowledged report must be in
the database.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from changji.water.sim.fleet import build_fleet
from changji.water.sim.loadgen import ReportLoad
from tests.waiting import eventually
from tests.water.gateway.processes import fleet_database, free_port, start_gateway

#: The PostgreSQL cluster these tests use and restart (``pg_ctlcluster VERSION CLUSTER``) and its port: the
#: machine's main cluster unless pointed at a throwaway one, so a restart disturbs no one else using it.
PG_CLUSTER = os.environ.get("CHANGJI_FAULTS_PG_CLUSTER", "main")
PG_PORT = os.environ.get("CHANGJI_FAULTS_PG_PORT", "5432")
PG_URL = f"postgres://postgres@127.0.0.1:{PG_PORT}/changji_faults"
SUITE_ON_POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith("postgres")

pytestmark = [pytest.mark.fault, pytest.mark.slow]


def _stored(env: dict[str, str]) -> set[tuple[str, datetime]]:
    query = "SELECT t.address, r.observed_at FROM water_reading r JOIN water_terminal t ON t.id = r.terminal_id"
    if "DATABASE_URL" in env:
        with psycopg.connect(env["DATABASE_URL"].replace("postgres://", "postgresql://")) as conn:
            return {(a, o.astimezone(UTC)) for a, o in conn.execute(query)}
    with sqlite3.connect(Path(env["CHANGJI_DATA_DIR"]) / "changji.sqlite3") as conn:
        return {(a, datetime.fromisoformat(o).replace(tzinfo=UTC)) for a, o in conn.execute(query)}


def _acked(load: ReportLoad) -> set[tuple[str, datetime]]:
    return {(address, observed.astimezone(UTC)) for address, observed in load.result.acked}


async def _report_through(load: ReportLoad, fault, resumes: bool) -> int:
    """Keep the fleet reporting; run ``fault`` once 1,000 reports are acknowledged; return the acks before it.

    When the gateway ``resumes`` after the fault, the fleet reports on until 1,000 more are acknowledged.
    """
    await load.connect_all()
    base = datetime.now(UTC).replace(second=0, microsecond=0)
    stop = asyncio.Event()
    reporting = asyncio.ensure_future(load.run_until(stop, base))
    try:
        await eventually(lambda: len(load.result.acked) > 1000, timeout=60, every=0.05,
                         what="the fleet's first 1,000 acknowledgements")
        before = len(load.result.acked)
        await asyncio.get_running_loop().run_in_executor(None, fault)
        if resumes:
            await eventually(lambda: len(load.result.acked) > before + 1000, timeout=120, every=0.05,
                             what="acknowledgements to resume after the fault")
    finally:
        stop.set()
        await reporting
        load.close()
    return before


def test_kill_9_while_1000_terminals_send_loses_no_acknowledged_frame(tmp_path):
    env = fleet_database(tmp_path, 1000, PG_URL if SUITE_ON_POSTGRESQL else None)
    port = free_port()
    gateway = start_gateway(env, port)
    addresses = [w.address for w in build_fleet(1000)]
    load = ReportLoad(addresses, port, ack_timeout_s=1.0)
    try:
        before = asyncio.run(_report_through(load, lambda: gateway.send_signal(signal.SIGKILL), resumes=False))
    finally:
        gateway.kill()
        gateway.wait()
    acked = _acked(load)
    assert before > 1000, "the fleet should have been acknowledged before the kill"
    assert acked - _stored(env) == set()


@pytest.mark.postgresql_restart
@pytest.mark.skipif(
    SUITE_ON_POSTGRESQL,
    reason="restarting PostgreSQL would cut the suite's own connection; the SQLite pass runs this test "
    "(against PostgreSQL) instead",
)
def test_postgresql_restart_mid_stream_stops_acks_then_resumes_with_nothing_lost(tmp_path):
    env = fleet_database(tmp_path, 1000, PG_URL)
    port = free_port()
    gateway = start_gateway(env, port)
    addresses = [w.address for w in build_fleet(1000)]
    load = ReportLoad(addresses, port, ack_timeout_s=1.0)
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    restart = ["pg_ctlcluster", "--skip-systemctl-redirect", version, PG_CLUSTER, "restart"]
    try:
        before = asyncio.run(_report_through(
            load, lambda: subprocess.run(restart, check=True, timeout=120), resumes=True
        ))
    finally:
        gateway.send_signal(signal.SIGTERM)
        gateway.wait(timeout=60)
    acked = _acked(load)
    assert before > 1000
    assert len(acked) > before + 1000, "acknowledgements must resume after the restart"
    assert load.result.retransmissions > 0, "frames sent while the database was down were not acked"
    assert acked - _stored(env) == set()
