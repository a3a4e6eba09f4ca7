"""``changji migrate`` from the release to HEAD runs while the gateway ingests, blocking no insert for long.

PostgreSQL only: a copy of the release's database (``conftest.release_database``), a ``changji gateway`` on it with
the fixture's four terminals reporting as fast as they are acknowledged (``water.sim.loadgen``), and a probe
connection inserting a frame and its reading every 50 ms with ``SET lock_timeout = '2s'``
(https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-LOCK-TIMEOUT): a migration holding a lock
on the readings or frames for more than 2 s makes a probe insert fail. While ``changji migrate`` runs no probe
insert may fail and no report may need re-sending; every acknowledged report is stored. Finally the probe is shown
able to fail: a lock held for 3 s makes it time out. On SQLite (one writer, no concurrent migration) it is skipped.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from changji.water.profiles.options import parse_options
from changji.water.sim.loadgen import ReportLoad
from tests.upgrade.release import CHANGJI, ScratchDatabase, fixture
from tests.waiting import eventually, wait_until
from tests.water.gateway.processes import free_port, start_gateway

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                       reason="PostgreSQL only: SQLite has one writer and no concurrent schema change to measure"),
]

#: A probe insert waiting longer than this for a lock fails (the gateway's frames are acknowledged within 2 s).
LOCK_TIMEOUT_S = 2


class Probe(threading.Thread):
    """Insert a frame and its reading every 50 ms, each transaction under a lock timeout; count the failures."""

    def __init__(self, scratch: ScratchDatabase, terminal_id: int) -> None:
        super().__init__(daemon=True)
        self.url, self.terminal_id = scratch.url.replace("postgres://", "postgresql://"), terminal_id
        self.stop, self.inserted, self.failures = threading.Event(), 0, []  # type: ignore[var-annotated]
        self.base = datetime(2001, 1, 1, tzinfo=UTC)  # far from the fleet's observations: no unique clash

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as connection:
            connection.execute(f"SET lock_timeout = '{LOCK_TIMEOUT_S}s'")
            while not self.stop.is_set():
                try:
                    self._insert(connection)
                except psycopg.errors.LockNotAvailable as exc:
                    self.failures.append(f"{datetime.now(UTC):%H:%M:%S}: {exc}".strip())
                self.stop.wait(0.05)

    def _insert(self, connection: psycopg.Connection[Any]) -> None:
        moment = self.base + timedelta(seconds=self.inserted)
        with connection.transaction():
            frame = connection.execute(
                "INSERT INTO water_frame (received_at, peer, protocol, address, function, observed_at, raw, outcome,"
                " error, terminal_id) VALUES (now(), 'probe', 'szy206', 'probe', 'C0', %s, '\\x68', 'stored', '', %s)"
                " RETURNING id", [moment, self.terminal_id]).fetchone()[0]
            connection.execute(
                "INSERT INTO water_reading (observed_at, received_at, flow_m3h, volume_m3, energy_kwh, pump_on,"
                " door_open, ac_power_lost, future_dated, native, frame_id, terminal_id)"
                " VALUES (%s, now(), 1.0, 2.0, 3.0, true, false, false, false, '{}', %s, %s)",
                [moment, frame, self.terminal_id])
        self.inserted += 1


def _fleet_options() -> dict[str, Any]:
    """The fixture's SZY206 terminals by address, each with the codec options of its device batch's profile."""
    tables = fixture()["tables"]
    profiles = {row[0]: row[4] for row in tables["water_protocolprofile"]["rows"]}  # id -> options (JSON)
    batches = {row[0]: profiles[row[9]] for row in tables["water_devicebatch"]["rows"]}  # id -> options
    return {row[3]: parse_options("szy206", json.loads(batches[row[11]]) if row[11] else {})
            for row in tables["water_terminal"]["rows"] if row[1] == "szy206"}


def _stored(scratch: ScratchDatabase) -> set[tuple[str, datetime]]:
    with scratch.connect() as connection:
        found = connection.execute("SELECT t.address, r.observed_at FROM water_reading r"
                                   " JOIN water_terminal t ON t.id = r.terminal_id").fetchall()
    return {(address, observed.astimezone(UTC)) for address, observed in found}


async def _ingest_during(load: ReportLoad, migrate) -> subprocess.CompletedProcess[bytes]:
    """Keep the fleet reporting from its first 20 acknowledgements until 20 more after ``migrate`` returned."""
    await load.connect_all()
    stop = asyncio.Event()
    reporting = asyncio.ensure_future(load.run_until(stop, datetime.now(UTC).replace(second=0, microsecond=0)))
    try:
        await eventually(lambda: len(load.result.acked) >= 20, timeout=30, every=0.05, what="the first 20 acks")
        migrated = await asyncio.get_running_loop().run_in_executor(None, migrate)
        after = len(load.result.acked)
        await eventually(lambda: len(load.result.acked) >= after + 20, timeout=30, every=0.05,
                         what="20 acks after the migration")
    finally:
        stop.set()
        await reporting
        load.close()
    return migrated


def test_migrate_to_head_while_the_gateway_ingests_holds_no_long_lock(release_database, tmp_path, run):
    scratch = release_database.copy(tmp_path, "live")
    options = _fleet_options()
    gateway = start_gateway(scratch.env, port := free_port())
    probe = Probe(scratch, fixture()["tables"]["water_terminal"]["rows"][0][0])
    load = ReportLoad(list(options), port, ack_timeout_s=5.0, options=options)
    try:
        probe.start()
        wait_until(lambda: probe.inserted >= 5, timeout=30, what="the probe's first inserts")
        migrate = lambda: subprocess.run([CHANGJI, "migrate", "-v0"], env=scratch.env, timeout=120,  # noqa: E731
                                         capture_output=True)
        migrated = run(_ingest_during(load, migrate))
        assert migrated.returncode == 0, migrated.stderr.decode()[-2000:]
        assert probe.failures == [], "inserts into readings or frames waited > 2 s for a migration's lock"
        assert load.result.retransmissions == 0 and load.result.failed_connects == 0
        acked = {(address, observed.astimezone(UTC)) for address, observed in load.result.acked}
        assert acked <= _stored(scratch)

        # the probe can fail: a lock held longer than its timeout is seen
        with psycopg.connect(probe.url) as locker:
            locker.execute("LOCK TABLE water_reading IN ACCESS EXCLUSIVE MODE")
            time.sleep(LOCK_TIMEOUT_S + 1)
        assert probe.failures, "the probe saw no lock timeout while water_reading was locked for 3 s"
    finally:
        probe.stop.set()
        probe.join(timeout=10)
        gateway.terminate()
        gateway.wait(timeout=15)
        scratch.drop()
