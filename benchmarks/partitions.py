"""Monthly partitions on PostgreSQL (issue 16): insert rate and a one-month query, plain tables vs partitioned.

Two fresh PostgreSQL databases get the same rows through the gateway's own SQL (``storage.commit_frames``, 500
frames a transaction, a year of hourly reports of ``--terminals`` terminals in time order, as the live path
writes them): one stopped before water/0027 (plain ``water_reading`` and ``water_frame``), one fully migrated
(partitioned by local month). After ANALYZE, a one-month query (per-terminal count and volume growth of one
month of readings, and the month's frames) runs five times on each; the median is shown. Last, the plain
database is migrated to partitions to time the migration on that data.

Run: .venv/bin/python benchmarks/partitions.py [--terminals 60] [--pg-prefix changji_bench_parts]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import report  # noqa: E402

PG_SERVER_URL = "postgres://postgres@127.0.0.1:5432/"
BATCH = 500
SHANGHAI = timezone(timedelta(hours=8))
MONTH_QUERY = ("SELECT terminal_id, COUNT(*), MAX(volume_m3) - MIN(volume_m3) FROM water_reading"
               " WHERE observed_at >= %s AND observed_at < %s GROUP BY terminal_id")
FRAME_QUERY = "SELECT COUNT(*), SUM(length(raw)) FROM water_frame WHERE received_at >= %s AND received_at < %s"


def _django(database: str) -> None:
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", database], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", database], check=True)
    os.environ["DATABASE_URL"] = PG_SERVER_URL + database
    os.environ["DJANGO_SETTINGS_MODULE"] = "changji.settings"
    import django

    django.setup()


def _use(database: str) -> None:
    """Point the default connection at ``database`` (created and empty)."""
    from django.db import connection, connections

    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", database], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", database], check=True)
    connection.close()
    connections["default"].settings_dict["NAME"] = database


def _migrate(partitioned: bool) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    call_command("migrate", verbosity=0)
    if not partitioned:
        parent = MigrationLoader(connection).graph.node_map[("water", "0027_monthly_partitions")].parents
        target = next(iter(parent)).key
        call_command("migrate", target[0], target[1], verbosity=0)


def _terminals(count: int) -> list:
    from changji.water.models import Terminal, Well

    made = []
    for n in range(count):
        address = f"652323{n:04d}"
        well = Well.objects.create(code=f"652323-{n:05d}", name=f"机井{n}", region_id="652323", latitude=44.3,
                                   longitude=86.9, pump_rated_power_kw=30, pump_rated_flow_m3h=55)
        made.append(Terminal.objects.create(protocol="szy206", address=address, well=well, region_id="652323"))
    return made


def _load(terminals: list, start: datetime, hours: int) -> tuple[int, float]:
    """Store hourly reports of every terminal for ``hours`` hours; return (frames, seconds)."""
    from changji.water.gateway import storage
    from changji.water.gateway.records import InboundFrame
    from changji.water.protocols.reading import Reading

    pending: list[InboundFrame] = []
    stored, began = 0, time.perf_counter()
    for hour in range(hours):
        observed = start + timedelta(hours=hour)
        for index, terminal in enumerate(terminals):
            reading = Reading("szy206", terminal.address, observed, volume_m3=float(hour * 10 + index),
                              energy_kwh=float(hour * 3), flow_m3h=40.0, pump_on=True)
            pending.append(InboundFrame(
                received_at=observed + timedelta(seconds=15), peer="10.0.0.1:4000", protocol="szy206",
                raw=b"\x68" * 40, outcome="stored", address=terminal.address, function="C0",
                terminal_id=terminal.id, observed_at=observed, reading=reading))
            if len(pending) == BATCH:
                stored += len(storage.commit_frames(pending))
                pending = []
    if pending:
        stored += len(storage.commit_frames(pending))
    return stored, time.perf_counter() - began


def _query_ms(sql: str, lower: datetime, upper: datetime) -> float:
    from django.db import connection

    times = []
    with connection.cursor() as cursor:
        for _ in range(5):
            began = time.perf_counter()
            cursor.execute(sql, [lower, upper])
            cursor.fetchall()
            times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def _measure(partitioned: bool, terminals: int, start: datetime, hours: int) -> dict:
    from django.db import connection

    _migrate(partitioned)
    if partitioned:  # the data's months, as ``ensure`` makes them for rows the default partition holds
        from changji.water import partitions

        for months in range(hours // (24 * 28) + 2):
            for table in partitions.TABLES:
                month = partitions.add_months(date(2025, 1, 1), months)
                if partitions.partition_name(table, month) not in {p.name for p in partitions.list_partitions()}:
                    partitions.create_month(table, month)
    made = _terminals(terminals)
    frames, seconds = _load(made, start, hours)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE water_reading; ANALYZE water_frame")
    lower = datetime(2025, 7, 1, tzinfo=SHANGHAI)  # local July 2025
    upper = datetime(2025, 8, 1, tzinfo=SHANGHAI)
    return {
        "tables": "partitioned by month" if partitioned else "plain (before 0027)",
        "frames": frames, "insert_rows_per_s": round(2 * frames / seconds),
        "month_readings_ms": round(_query_ms(MONTH_QUERY, lower, upper), 1),
        "month_frames_ms": round(_query_ms(FRAME_QUERY, lower, upper), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terminals", type=int, default=60)
    parser.add_argument("--hours", type=int, default=24 * 365, help="hourly reports per terminal (default a year)")
    parser.add_argument("--pg-prefix", default="changji_bench_parts")
    args = parser.parse_args()
    start = datetime(2025, 1, 1, tzinfo=UTC) - timedelta(hours=8)  # local 2025-01-01 00:00
    _django(f"{args.pg_prefix}_plain")
    rows = [_measure(False, args.terminals, start, args.hours)]
    from django.core.management import call_command

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    migration_s = time.perf_counter() - began
    _use(f"{args.pg_prefix}_partitioned")
    rows.append(_measure(True, args.terminals, start, args.hours))
    report("partitions-postgresql", rows, {"terminals": args.terminals, "hours": args.hours,
                                           "migration_s_on_plain_data": round(migration_s, 1)})
    print(f"water/0027 on the plain database ({rows[0]['frames']:,} frames and readings): {migration_s:.1f} s")


if __name__ == "__main__":
    main()
