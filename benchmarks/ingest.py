"""Gateway ingest over loopback: 10,401 terminal connections, acked frames/s, ack latency, loss.

Issue 3 targets on the 2-core machine: all 10,401 connections held; at least 5,000 acked frames/s
on SQLite; p99 ack latency under 100 ms at the prefecture's real rate (35 frames/s); ingest at
least 25% of the raw batched-insert rate of the same rows into the same database; lost = 0.

The gateway runs as its own process (``changji gateway``) on a fresh database seeded with the
prefecture's 10,401 terminals; this process is the fleet. Phase "saturate": every connection
sends its reports back to back, each waiting for its ack (as a terminal does). Phase "real rate":
35 frames/s spread over the connections. Afterwards every acknowledged (terminal, time) is looked
up in the database: an acked frame without its reading is lost. Last, the same rows are inserted
straight into the same database in 1,000-row transactions: the raw rate.

Run: .venv/bin/python benchmarks/ingest.py [--database sqlite|postgresql] [--pg-name changji_bench] [--wells 10401]
(``--pg-name`` names the PostgreSQL database it drops and creates, so parallel runs need not collide.)

``--via jetstream`` (issue 16): the gateways (``--workers``, default 2) publish to a NATS JetStream server this
script starts on a free port (file storage in a temporary directory) and 2 ``changji writer`` processes
store; the terminal is acknowledged once the stream holds its frame. Phases: saturate (acked frames/s, and the
writers' store rate until the database holds every acked report), the live rate (p99 ack latency), then a
fault phase: the fleet saturates again while one writer is killed with SIGKILL (and restarted) and the NATS
server is killed and restarted on its store. Lost counts every acked report missing from the database after
the writers caught up. The direct path (``--via database``) runs the same phases without faults on a fresh
database first and is printed beside it.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import report  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_SERVER_URL = "postgres://postgres@127.0.0.1:5432/"


def prepare_database(kind: str, wells: int, pg_name: str = "changji_bench") -> dict[str, str]:
    """Create a fresh database with the fleet registered; return the environment that names it."""
    data_dir = tempfile.mkdtemp(prefix="changji-bench-")
    env = {**os.environ, "CHANGJI_DATA_DIR": data_dir, "DJANGO_SETTINGS_MODULE": "changji.settings"}
    env.pop("DATABASE_URL", None)
    if kind == "postgresql":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}"')
            conn.execute(f'CREATE DATABASE "{pg_name}"')
        env["DATABASE_URL"] = PG_SERVER_URL + pg_name
    changji = str(Path(sys.executable).with_name("changji"))
    subprocess.run([changji, "migrate", "-v0"], env=env, check=True)
    code = f"import django; django.setup(); from changji.water.sim.demo import seed_fleet; seed_fleet({wells})"
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    return env


def start_gateway(env: dict[str, str], port: int, profile: str | None, workers: int) -> subprocess.Popen[bytes]:
    log = open(Path(env["CHANGJI_DATA_DIR"]) / "gateway.log", "wb")
    python = [sys.executable, *(["-m", "cProfile", "-o", profile] if profile else []), "-m", "changji.cli"]
    return subprocess.Popen(
        [*python, "gateway", "--host", "127.0.0.1", "--port", str(port), "--max-connections", "20000",
         "--workers", str(workers)],
        env={**env, "CHANGJI_LOG_LEVEL": "WARNING"}, stdout=log, stderr=subprocess.STDOUT,
    )


def wait_listening(port: int, gateway: subprocess.Popen[bytes], timeout_s: float = 120.0) -> None:
    """Wait until the gateway accepts connections (its start takes longer on a loaded machine)."""
    import socket

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and gateway.poll() is None:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                time.sleep(1.0)  # let every worker process finish starting
                return
        time.sleep(0.2)
    raise SystemExit(f"the gateway did not listen on port {port} (exit code {gateway.poll()})")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def count_lost(env: dict[str, str], acked: list[tuple[str, datetime]]) -> tuple[int, int]:
    """Return (stored readings, acked frames without a stored reading)."""
    os.environ.update({k: v for k, v in env.items() if k in ("CHANGJI_DATA_DIR", "DATABASE_URL")})
    os.environ["DJANGO_SETTINGS_MODULE"] = "changji.settings"
    if "DATABASE_URL" not in env:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from changji.water.models import Reading

    stored = set(Reading.objects.values_list("terminal__address", "observed_at").iterator(chunk_size=20000))
    lost = sum((address, observed) not in stored for address, observed in acked)
    return len(stored), lost


def raw_insert_rate(rows: int) -> float:
    """Insert ``rows`` frame + reading rows straight into the database, 1,000 per transaction."""
    from django.db import connection, transaction

    from changji.water.models import Terminal

    ops = connection.ops
    terminal_ids = list(Terminal.objects.values_list("id", flat=True))
    frame_sql = (
        "INSERT INTO water_frame (received_at, peer, protocol, address, terminal_id, function, observed_at, raw,"
        " outcome, error) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    )
    reading_sql = (
        "INSERT INTO water_reading (terminal_id, observed_at, received_at, flow_m3h, volume_m3, energy_kwh, level_m,"
        " depth_m, battery_v, pump_on, door_open, ac_power_lost, future_dated, native, frame_id)"
        " VALUES (%s, %s, %s, %s, %s, NULL, NULL, NULL, NULL, %s, %s, %s, %s, %s, %s)"
    )
    raw = bytes(31)
    base = datetime(2020, 1, 1, tzinfo=UTC)
    with connection.cursor() as cursor:
        cursor.execute("SELECT MAX(id) FROM water_frame")
        frame_id = cursor.fetchone()[0] or 1
    started = time.perf_counter()
    for start in range(0, rows, 1000):
        frames, readings = [], []
        for n in range(start, min(rows, start + 1000)):
            tid = terminal_ids[n % len(terminal_ids)]
            observed = ops.adapt_datetimefield_value(base + timedelta(minutes=5 * (n // len(terminal_ids))))
            frames.append((observed, "127.0.0.1:1", "szy206", "6523230001", tid, "C0", observed, raw, "stored", ""))
            readings.append((tid, observed, observed, 42.5, float(n), True, False, False, False, "{}", frame_id))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(frame_sql, frames)
            cursor.executemany(reading_sql, readings)
    return rows / (time.perf_counter() - started)


def cpu_seconds(pid: int | None = None) -> float:
    """Return the CPU time (user + system) used so far by ``pid`` (default: this process)."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return own + sum(cpu_seconds(int(child)) for child in children)


async def run_fleet(addresses: list[str], port: int, reports_each: int, steady_s: float, gateway_pid: int,
                    options: dict | None = None) -> dict:
    from changji.water.sim.loadgen import ReportLoad

    load = ReportLoad(addresses, port, options=options)
    await load.connect_all()
    held = await load.held()
    base = datetime.now(UTC).replace(second=0, microsecond=0)
    cpu_fleet, cpu_gateway = cpu_seconds(), cpu_seconds(gateway_pid)
    elapsed = await load.saturate(reports_each, base)
    cpu_fleet, cpu_gateway = cpu_seconds() - cpu_fleet, cpu_seconds(gateway_pid) - cpu_gateway
    result = load.result
    saturated = len(result.latencies_s)
    sat_latencies, result.latencies_s = result.latencies_s, []
    await load.steady(35.0, steady_s, base)
    load.close()
    return {
        "held": held, "failed_connects": result.failed_connects, "acked_saturate": saturated,
        "saturate_s": elapsed, "sat_latencies": sat_latencies, "steady_latencies": result.latencies_s,
        "acked": result.acked, "unacked": result.retransmissions,
        "cpu_share_fleet": cpu_fleet / elapsed, "cpu_share_gateway": cpu_gateway / elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-name", default="changji_bench", help="PostgreSQL database to (re)create")
    parser.add_argument("--wells", type=int, default=10_401)
    parser.add_argument("--reports", type=int, default=10, help="reports per terminal in the saturate phase")
    parser.add_argument("--steady-seconds", type=float, default=20.0)
    parser.add_argument("--port", type=int, default=9300)
    parser.add_argument("--workers", type=int, default=2, help="gateway processes (one per core)")
    parser.add_argument("--profile", help="write a cProfile of the gateway's event loop to this file")
    parser.add_argument("--via", choices=["database", "jetstream"], default="database",
                        help="jetstream: gateways publish to NATS JetStream, writers store (beside the direct path)")
    args = parser.parse_args()
    if args.via == "jetstream":
        return main_jetstream(args)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))

    from changji.water.sim.fleet import build_fleet

    if not args.pg_name.replace("_", "").isalnum():
        parser.error("--pg-name must be letters, digits and underscores")
    env = prepare_database(args.database, args.wells, args.pg_name)
    from changji.water.sim.profiles import options_of

    fleet = build_fleet(args.wells)
    addresses = [w.address for w in fleet]
    # Each terminal speaks its device batch's protocol profile (issue 15): the gateway decodes and answers
    # each one with its own options.
    options = {w.address: options_of(w, registered=True) for w in fleet}
    gateway = start_gateway(env, args.port, args.profile, args.workers)
    try:
        wait_listening(args.port, gateway)
        import uvloop

        result = uvloop.run(run_fleet(addresses, args.port, args.reports, args.steady_seconds, gateway.pid,
                                          options))
    finally:
        gateway.send_signal(__import__("signal").SIGINT)
        gateway.wait(timeout=60)
    stored, lost = count_lost(env, result["acked"])
    rows = result["acked_saturate"]
    raw_rate = raw_insert_rate(rows)
    ingest_rate = result["acked_saturate"] / result["saturate_s"]
    sat, steady = result["sat_latencies"], result["steady_latencies"]
    rows_out = [
        {"figure": "connections held", "value": f"{result['held']:,} of {args.wells:,}", "target": "all"},
        {"figure": "acked frames/s (saturated)", "value": round(ingest_rate), "target": ">= 5,000 (SQLite)"},
        {"figure": "CPU busy while saturated: gateway / fleet (cores)",
         "value": f"{result['cpu_share_gateway']:.2f} / {result['cpu_share_fleet']:.2f}", "target": ""},
        {"figure": "ack latency p50 / p99 saturated (ms)",
         "value": f"{percentile(sat, .5) * 1e3:.1f} / {percentile(sat, .99) * 1e3:.1f}", "target": ""},
        {"figure": "ack latency p50 / p99 at 35 frames/s (ms)",
         "value": f"{percentile(steady, .5) * 1e3:.1f} / {percentile(steady, .99) * 1e3:.1f}", "target": "p99 < 100"},
        {"figure": "acked / stored readings", "value": f"{len(result['acked']):,} / {stored:,}", "target": ""},
        {"figure": "lost (acked, not stored)", "value": lost, "target": "0"},
        {"figure": "raw batched insert rows/s", "value": round(raw_rate), "target": ""},
        {"figure": "ingest / raw", "value": f"{ingest_rate / raw_rate:.0%}", "target": ">= 50% (issue 16)"},
    ]
    report(f"ingest-{args.database}", rows_out, {
        "wells": args.wells, "reports_each": args.reports, "unacked": result["unacked"],
        "failed_connects": result["failed_connects"],
        "median_saturated_ms": statistics.median(sat) * 1e3 if sat else None,
    })
    shutil.rmtree(env["CHANGJI_DATA_DIR"], ignore_errors=True)



# -- --via jetstream (issue 16) -----------------------------------------------------------------------------------

NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_nats(store: Path, port: int) -> subprocess.Popen[bytes]:
    """Start a JetStream server of this run's own (never the machine's shared one) and wait for it."""
    import socket

    log = open(store.parent / "nats.log", "ab")
    server = subprocess.Popen([NATS_SERVER, "-js", "-sd", str(store), "-a", "127.0.0.1", "-p", str(port)],
                              stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.05)
    raise SystemExit(f"nats-server did not listen on {port}")


def start_writer(env: dict[str, str], nats_url: str, n: int) -> subprocess.Popen[bytes]:
    log = open(Path(env["CHANGJI_DATA_DIR"]) / f"writer-{n}.log", "ab")
    return subprocess.Popen(
        [sys.executable, "-m", "changji.cli", "writer", "--nats", nats_url, "--batch", "1000", "--ack-wait", "10"],
        env={**env, "CHANGJI_LOG_LEVEL": "WARNING"}, stdout=log, stderr=subprocess.STDOUT,
    )


def start_jetstream_gateways(env: dict[str, str], port: int, nats_url: str, workers: int) -> subprocess.Popen[bytes]:
    log = open(Path(env["CHANGJI_DATA_DIR"]) / "gateway.log", "wb")
    return subprocess.Popen(
        [sys.executable, "-m", "changji.cli", "gateway", "--host", "127.0.0.1", "--port", str(port),
         "--max-connections", "20000", "--workers", str(workers), "--via", "jetstream", "--nats", nats_url],
        env={**env, "CHANGJI_LOG_LEVEL": "WARNING"}, stdout=log, stderr=subprocess.STDOUT,
    )


def stored_count(env: dict[str, str]) -> int:
    """Return the readings stored so far (plain SQL: this process sets Django up only at the end)."""
    sql = "SELECT COUNT(*) FROM water_reading"
    if "DATABASE_URL" in env:
        import psycopg

        with psycopg.connect(env["DATABASE_URL"].replace("postgres://", "postgresql://")) as conn:
            return int(conn.execute(sql).fetchone()[0])
    import sqlite3

    with sqlite3.connect(Path(env["CHANGJI_DATA_DIR"]) / "changji.sqlite3", timeout=30) as conn:
        return int(conn.execute(sql).fetchone()[0])


def wait_stored(env: dict[str, str], acked: int, timeout_s: float = 600.0) -> float:
    """Wait until the database holds ``acked`` readings (the writers caught up); return when (monotonic)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if stored_count(env) >= acked:
            return time.monotonic()
        time.sleep(0.2)
    return float("nan")


class Faults:
    """Kill -9 a writer (and start it again), then kill -9 the NATS server and restart it on its store."""

    def __init__(self, env: dict[str, str], writers: list[subprocess.Popen[bytes]], nats_url: str,
                 nats: list[subprocess.Popen[bytes]], store: Path, port: int) -> None:
        self.env, self.writers, self.nats_url = env, writers, nats_url
        self.nats, self.store, self.port = nats, store, port
        self.log: list[str] = []

    def run(self, writer_at_s: float = 2.0, nats_at_s: float = 5.0, nats_down_s: float = 2.0) -> None:
        """Inject the faults on the clock (in a thread: the fleet's busy event loop would delay them)."""
        import signal

        time.sleep(writer_at_s)
        self.writers[0].send_signal(signal.SIGKILL)
        self.writers[0].wait()
        self.writers[0] = start_writer(self.env, self.nats_url, 0)
        self.log.append(f"writer 0 killed -9 at +{writer_at_s:g} s and restarted")
        time.sleep(max(0.0, nats_at_s - writer_at_s))
        self.nats[0].send_signal(signal.SIGKILL)
        self.nats[0].wait()
        time.sleep(nats_down_s)
        self.nats[0] = start_nats(self.store, self.port)
        self.log.append(f"nats-server killed -9 at +{nats_at_s:g} s, restarted {nats_down_s:g} s later")


async def run_jetstream_fleet(addresses: list[str], port: int, reports_each: int, steady_s: float, options: dict,
                              env: dict[str, str], faults: Faults) -> dict:
    """Saturate, wait for the writers, run at the live rate, then saturate again through the faults."""
    import asyncio

    from changji.water.sim.loadgen import ReportLoad

    load = ReportLoad(addresses, port, options=options, ack_timeout_s=5.0)
    await load.connect_all()
    held = await load.held()
    base = datetime.now(UTC).replace(second=0, microsecond=0)
    started = time.monotonic()
    elapsed = await load.saturate(reports_each, base)
    saturated = len(load.result.acked)
    caught_up = await asyncio.get_running_loop().run_in_executor(None, wait_stored, env, saturated)
    sat_latencies, load.result.latencies_s = load.result.latencies_s, []
    await load.steady(35.0, steady_s, base)
    steady_latencies, load.result.latencies_s = load.result.latencies_s, []
    before_faults = len(load.result.acked)
    fault_task = asyncio.get_running_loop().run_in_executor(None, faults.run)
    fault_elapsed = await load.saturate(max(2, reports_each), base)
    await fault_task
    load.close()
    return {
        "held": held, "acked_saturate": saturated, "saturate_s": elapsed,
        "writers_rate": saturated / (caught_up - started), "sat_latencies": sat_latencies,
        "steady_latencies": steady_latencies, "acked": load.result.acked,
        "fault_rate": (len(load.result.acked) - before_faults) / fault_elapsed,
        "unacked": load.result.retransmissions,
    }


def measure_jetstream(args: argparse.Namespace, addresses: list[str], options: dict) -> dict:
    """Run the JetStream path on a fresh database; return its figures."""
    import signal

    import uvloop

    env = prepare_database(args.database, args.wells, args.pg_name)
    store = Path(env["CHANGJI_DATA_DIR"]) / "jetstream"
    nats_port = free_port()
    nats_url = f"nats://127.0.0.1:{nats_port}"
    nats = [start_nats(store, nats_port)]
    writers = [start_writer(env, nats_url, n) for n in range(2)]
    gateway = start_jetstream_gateways(env, args.port, nats_url, args.workers)
    faults = Faults(env, writers, nats_url, nats, store, nats_port)
    try:
        wait_listening(args.port, gateway)
        result = uvloop.run(run_jetstream_fleet(addresses, args.port, args.reports, args.steady_seconds, options,
                                                env, faults))
        acked_keys = set(result["acked"])
        wait_stored(env, len(acked_keys))
    finally:
        for process in (gateway, *writers, *nats):
            process.send_signal(signal.SIGTERM)
        for process in (gateway, *writers, *nats):
            process.wait(timeout=60)
    result["stored"], result["lost"] = count_lost(env, list(acked_keys))
    result["faults"] = faults.log
    shutil.rmtree(env["CHANGJI_DATA_DIR"], ignore_errors=True)
    return result


def measure_direct(args: argparse.Namespace, addresses: list[str], options: dict) -> dict:
    """Run the direct path (``--via database``) on a fresh database: the same phases, without faults."""
    import signal

    import uvloop

    env = prepare_database(args.database, args.wells, args.pg_name)
    gateway = start_gateway(env, args.port, None, args.workers)
    try:
        wait_listening(args.port, gateway)
        result = uvloop.run(run_fleet(addresses, args.port, args.reports, args.steady_seconds, gateway.pid, options))
    finally:
        gateway.send_signal(signal.SIGINT)
        gateway.wait(timeout=60)
    acked = {(address, observed) for address, observed in result["acked"]}
    stored = stored_count(env)
    result["lost"] = f"{max(0, len(acked) - stored)} (by count)"
    shutil.rmtree(env["CHANGJI_DATA_DIR"], ignore_errors=True)
    return result


def main_jetstream(args: argparse.Namespace) -> None:
    """``--via jetstream``: the JetStream path beside the direct path, in one table."""
    from changji.water.sim.fleet import build_fleet
    from changji.water.sim.profiles import options_of

    if not os.access(NATS_SERVER, os.X_OK):
        raise SystemExit(f"{NATS_SERVER} is not installed (apt install nats-server)")
    fleet = build_fleet(args.wells)
    addresses = [w.address for w in fleet]
    options = {w.address: options_of(w, registered=True) for w in fleet}
    direct = measure_direct(args, addresses, options)
    via = measure_jetstream(args, addresses, options)

    def ms(values: list[float]) -> str:
        return f"{percentile(values, .5) * 1e3:.1f} / {percentile(values, .99) * 1e3:.1f}"

    writers = "2" + (" (SQLite: 1 stores, 1 stands by)" if args.database == "sqlite" else "")
    rows = [
        {"figure": "connections held", "direct": f"{direct['held']:,}", "jetstream": f"{via['held']:,}"},
        {"figure": "gateway processes / writers", "direct": f"{args.workers} / -",
         "jetstream": f"{args.workers} / {writers}"},
        {"figure": "acked frames/s (saturated)", "direct": round(direct["acked_saturate"] / direct["saturate_s"]),
         "jetstream": round(via["acked_saturate"] / via["saturate_s"])},
        {"figure": "stored frames/s (until the writers caught up)", "direct": "= acked",
         "jetstream": round(via["writers_rate"])},
        {"figure": "ack latency p50 / p99 saturated (ms)", "direct": ms(direct["sat_latencies"]),
         "jetstream": ms(via["sat_latencies"])},
        {"figure": "ack latency p50 / p99 at 35 frames/s (ms)", "direct": ms(direct["steady_latencies"]),
         "jetstream": ms(via["steady_latencies"])},
        {"figure": "acked frames/s through a writer kill -9 and a NATS restart", "direct": "-",
         "jetstream": round(via["fault_rate"])},
        {"figure": "acked / stored readings", "direct": f"{len(direct['acked']):,}",
         "jetstream": f"{len(set(via['acked'])):,} / {via['stored']:,}"},
        {"figure": "lost (acked, not stored)", "direct": direct["lost"], "jetstream": via["lost"]},
    ]
    report(f"ingest-jetstream-{args.database}", rows, {
        "wells": args.wells, "reports_each": args.reports, "faults": via["faults"],
        "unacked_jetstream": via["unacked"], "unacked_direct": direct["unacked"],
    })


if __name__ == "__main__":
    main()
