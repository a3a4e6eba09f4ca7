"""Backup and restore figures: backup and restore time, sizes, and the gateway's ack latency during a backup.

A fresh database (``--database sqlite|postgresql``) is seeded with ``--wells`` fleet wells and ``--days`` days of
5-minute readings with their raw frames (the gateway's own ``storage.commit_frames``, in batches), and
``--pictures`` camera pictures under MEDIA_ROOT. A real gateway (``changji gateway``) then takes a steady load of
``--rate`` reports/s from the fleet (``water.sim.loadgen``): first for ``--steady-seconds`` alone, then while
``changji backup`` runs; the ack latencies of both phases are compared. Last, ``changji restore`` restores the
backup into a fresh database and data folder.

Run: .venv/bin/python benchmarks/backup.py [--database sqlite|postgresql] [--wells 2000] [--days 7]
(PostgreSQL: ``--pg-name`` names the database it drops and creates, and ``<name>_restored`` for the restore.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import PG_ADMIN_URL, PG_SERVER_URL, percentile, prepare_database, start_gateway, wait_listening  # noqa: E402
from machine import report  # noqa: E402

CHANGJI = str(Path(sys.executable).with_name("changji"))
BATCH = 2000


def load_history(env: dict[str, str], days: int, pictures: int) -> int:
    """Store ``days`` days of 5-minute readings (and frames) of every seeded terminal; return the readings."""
    os.environ.update({k: v for k, v in env.items() if k in ("CHANGJI_DATA_DIR", "DATABASE_URL")})
    os.environ["DJANGO_SETTINGS_MODULE"] = "changji.settings"
    import django

    django.setup()
    from django.conf import settings

    from changji.water.gateway import storage
    from changji.water.gateway.records import InboundFrame
    from changji.water.models import Terminal
    from changji.water.protocols.reading import Reading

    terminals = list(Terminal.objects.filter(protocol="szy206").values_list("id", "address"))
    first = (datetime.now(UTC) - timedelta(days=days + 1)).replace(hour=16, minute=0, second=0, microsecond=0)
    pending, stored = [], 0
    for slot in range(days * 288):
        observed = first + timedelta(minutes=5 * slot)
        for index, (terminal_id, address) in enumerate(terminals):
            volume = slot * 0.4 + index
            reading = Reading("szy206", address, observed, volume_m3=volume, energy_kwh=volume / 3, flow_m3h=40.0,
                              pump_on=True)
            pending.append(InboundFrame(
                received_at=observed + timedelta(seconds=15), peer="10.0.0.1:4000", protocol="szy206",
                raw=b"\x68" * 40, outcome="stored", address=address, function="C0", terminal_id=terminal_id,
                observed_at=observed, reading=reading))
            if len(pending) == BATCH:
                stored += len(storage.commit_frames(pending))
                pending = []
    if pending:
        stored += len(storage.commit_frames(pending))
    jpegs = sorted((Path(storage.__file__).parents[1] / "sim" / "pictures").glob("*.jpg"))
    for n in range(pictures):
        target = Path(settings.MEDIA_ROOT) / "snapshots" / f"{n // 100:03d}" / f"{n}.jpg"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(jpegs[n % len(jpegs)], target)
    from django.db import connection

    connection.close()
    return stored


async def steady_latencies(load, rate: float, seconds: float, until=None) -> list[float]:
    """Send ``rate`` reports/s for ``seconds`` (or, with ``until``, until it returns True); return ack latencies."""
    began = len(load.result.latencies_s)
    base = datetime.now(UTC).replace(second=0, microsecond=0)  # after the history; each round 5 minutes earlier
    started = time.perf_counter()
    while True:
        await load.steady(rate, 1.0, base)
        if (until is None and time.perf_counter() - started >= seconds) or (until is not None and until()):
            break
    return load.result.latencies_s[began:]


async def measure_ingest_and_backup(env, port: int, addresses, options, rate: float, steady_s: float,
                                    destination: Path) -> dict:
    """Ack latency alone, then during ``changji backup``; return the figures and the backup's wall time."""
    from changji.water.sim.loadgen import ReportLoad

    load = ReportLoad(addresses, port, options=options)
    await load.connect_all()
    alone = await steady_latencies(load, rate, steady_s)
    started = time.perf_counter()
    backup = await asyncio.create_subprocess_exec(CHANGJI, "backup", str(destination), env=env,
                                                  stdout=asyncio.subprocess.PIPE)
    during = await steady_latencies(load, rate, 0, until=lambda: backup.returncode is not None)
    output, _ = await backup.communicate()
    backup_s = time.perf_counter() - started
    load.close()
    if backup.returncode != 0:
        raise SystemExit(f"changji backup failed: {output.decode()}")
    return {"alone": alone, "during": during, "backup_s": backup_s}


def restore(backup: Path, kind: str, pg_name: str) -> tuple[float, dict[str, str]]:
    """Restore ``backup`` into a fresh database and data folder; return the wall time and its environment."""
    env = {**os.environ, "CHANGJI_DATA_DIR": tempfile.mkdtemp(prefix="changji-restored-")}
    env.pop("DATABASE_URL", None)
    if kind == "postgresql":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}_restored"')
            conn.execute(f'CREATE DATABASE "{pg_name}_restored"')
        env["DATABASE_URL"] = PG_SERVER_URL + pg_name + "_restored"
    started = time.perf_counter()
    subprocess.run([CHANGJI, "restore", str(backup)], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started, env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-name", default="changji_bench_backup")
    parser.add_argument("--wells", type=int, default=2000)
    parser.add_argument("--days", type=int, default=7, help="days of 5-minute readings per extraction well")
    parser.add_argument("--pictures", type=int, default=1000, help="camera pictures under MEDIA_ROOT")
    parser.add_argument("--rate", type=float, default=35.0, help="reports/s during the latency phases")
    parser.add_argument("--steady-seconds", type=float, default=20.0)
    args = parser.parse_args()

    import signal

    from ingest import free_port

    from changji.water.sim.fleet import build_fleet
    from changji.water.sim.profiles import options_of

    env = prepare_database(args.database, args.wells, args.pg_name)
    began = time.perf_counter()
    readings = load_history(env, args.days, args.pictures)
    load_s = time.perf_counter() - began
    fleet = build_fleet(args.wells)
    options = {w.address: options_of(w, registered=True) for w in fleet}
    port = free_port()
    gateway = start_gateway(env, port, None, 1)
    destination = Path(env["CHANGJI_DATA_DIR"]) / "backups"
    try:
        wait_listening(port, gateway)
        figures = asyncio.run(measure_ingest_and_backup(
            env, port, [w.address for w in fleet], options, args.rate, args.steady_seconds, destination))
    finally:
        gateway.send_signal(signal.SIGTERM)
        gateway.wait(timeout=60)
    (backup,) = destination.iterdir()
    manifest = json.loads((backup / "manifest.json").read_text())
    restore_s, restored_env = restore(backup, args.database, args.pg_name)
    database_bytes = manifest["files"][manifest["database_file"]]["size_bytes"]
    rows = [{
        "database": args.database, "wells": args.wells, "readings": readings, "pictures": args.pictures,
        "load_s": round(load_s, 1), "backup_s": round(figures["backup_s"], 1), "restore_s": round(restore_s, 1),
        "database_MB": round(database_bytes / 1e6, 1), "backup_MB": round(manifest["total_bytes"] / 1e6, 1),
        "ack_p50_ms": round(percentile(figures["alone"], 0.5) * 1000, 1),
        "ack_p99_ms": round(percentile(figures["alone"], 0.99) * 1000, 1),
        "ack_p50_backup_ms": round(percentile(figures["during"], 0.5) * 1000, 1),
        "ack_p99_backup_ms": round(percentile(figures["during"], 0.99) * 1000, 1),
        "acks_during_backup": len(figures["during"]),
    }]
    report(f"backup-{args.database}", rows, {"rate_per_s": args.rate, "days": args.days})
    for folder in (env["CHANGJI_DATA_DIR"], restored_env["CHANGJI_DATA_DIR"]):
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
