"""Four-level exchange: a year of a 10,401-well prefecture pushed to the region over HTTP.

Measured: rows/s end to end, and the lag of new rows under the live rate of 35 frames/s while the backlog drains.

Two instances, two databases: the prefecture (652300) is this process (the downstream: its outbox, its
delivery); the region (650000) is a real ``changji runserver`` process on a free port (the upstream: the
signed exchange API applying each stream). The credential is issued at the region with ``changji exchange
issue`` and the link stored at the prefecture, as an operator would.

The outbox is generated directly (bulk inserts, not derivation): the registry stream of the seeded fleet
(water users, wells, terminals) and ``--days`` days of daily usage per extraction well (``usage`` stream
payloads as ``water.sharing.usage`` writes them) — 10,401 wells × 365 days ≈ 3.8 M rows. Then delivery runs
until the outbox is drained while a thread adds 35 usage rows a second (one per live frame: each frame updates
its well's day row, which is recorded again). Reported: rows/s end to end (from the first batch sent to the
last acknowledged, including the region's apply), and the lag of the live rows (their entry's creation to the
acknowledgement of the batch carrying it): p50, p99, max, during the drain and after it.

Run: .venv/bin/python benchmarks/exchange.py [--database sqlite|postgresql] [--wells 10401] [--days 365]
[--batch-size 1000] [--live-rate 35]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import report  # noqa: E402

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_SERVER_URL = "postgres://postgres@127.0.0.1:5432/"


def _env(kind: str, root: str, name: str) -> dict[str, str]:
    env = {**os.environ, "CHANGJI_DATA_DIR": tempfile.mkdtemp(prefix=f"changji-exchange-{name}-"),
           "CHANGJI_ROOT_REGION": root, "DJANGO_SETTINGS_MODULE": "changji.settings", "CHANGJI_LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)
    if kind == "postgresql":
        import psycopg

        db = f"changji_bench_exchange_{name}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}"')
            conn.execute(f'CREATE DATABASE "{db}"')
        env["DATABASE_URL"] = PG_SERVER_URL + db
    return env


def _changji(env: dict[str, str], *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "changji.cli", *args], env=env, check=True, capture_output=True,
                          text=True).stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_region(kind: str) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    """Migrate and start the region's instance; return it, its URL and the credential issued to 652300."""
    env = _env(kind, "650000", "region")
    _changji(env, "migrate", "-v0")
    credential = json.loads(_changji(env, "exchange", "issue", "--name", "昌吉州平台", "--region", "652300"))
    port = _free_port()
    log = open(Path(env["CHANGJI_DATA_DIR"]) / "server.log", "wb")
    server = subprocess.Popen([sys.executable, "-m", "changji.cli", "runserver", f"127.0.0.1:{port}", "--noreload",
                               "--skip-checks"], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "healthz", timeout=2)
            return server, url, credential
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("the region's instance did not start")


def setup_prefecture(kind: str, wells: int) -> None:
    env = _env(kind, "652300", "prefecture")
    os.environ.update({k: v for k, v in env.items() if k in ("CHANGJI_DATA_DIR", "CHANGJI_ROOT_REGION",
                                                             "DJANGO_SETTINGS_MODULE", "DATABASE_URL")})
    if "DATABASE_URL" not in env:
        os.environ.pop("DATABASE_URL", None)
    _changji(env, "migrate", "-v0")
    import django

    django.setup()
    from changji.water.sim.demo import seed_fleet

    seed_fleet(wells)


def generate_outbox(days: int, last_day: date) -> int:
    """Replace the outbox with the registry of the fleet and ``days`` days of usage per extraction well."""
    from changji.water.models import OutboxEntry, Terminal, WaterUser, Well
    from changji.water.sharing import registry, usage
    from changji.water.sharing.outbox import record_many

    OutboxEntry.objects.all().delete()
    count = record_many(registry.user_change(u) for u in WaterUser.objects.all())
    count += record_many(registry.well_change(w) for w in Well.objects.all())
    count += record_many(registry.terminal_change(t) for t in Terminal.objects.all())
    extraction = list(Well.objects.filter(kind="extraction").values_list("code", "region_id"))
    for offset in range(days - 1, -1, -1):
        day = last_day - timedelta(days=offset)
        count += record_many(usage_change(usage, code, region, day, 40.0 + (hash(code) % 20)) for code, region
                             in extraction)
    return count


def usage_change(usage, code: str, region: str, day: date, m3: float):
    from changji.water.sharing.outbox import Change

    values = {"water_m3": m3, "energy_kwh": m3 / 2.5, "water_sum_m3": m3 * day.toordinal() % 1e6,
              "energy_sum_kwh": 0.0, "last_volume_m3": 1000.0 + m3, "last_energy_kwh": 500.0, "water_reason": "normal",
              "energy_reason": "normal", "spread": 0.0, "coefficient_m3_per_kwh": 2.5, "estimated_water_m3": m3,
              "usage_m3": m3, "source": "meter", "last_observed_at": None}
    return Change("usage", usage.day_key(code, day), region, usage.day_payload(values, code, day))


class Live(threading.Thread):
    """Add ``rate`` usage rows a second (one per live frame) until stopped; remember their entry ids."""

    def __init__(self, rate: float, today: date) -> None:
        super().__init__(daemon=True)
        self.rate, self.today, self.stop = rate, today, threading.Event()
        self.ids: list[int] = []

    def run(self) -> None:
        from django.db import connection

        from changji.water.models import OutboxEntry, Well
        from changji.water.sharing import usage
        from changji.water.sharing.outbox import record

        wells = list(Well.objects.filter(kind="extraction").values_list("code", "region_id")[:2000])
        step, n, start = 1.0 / self.rate, 0, time.monotonic()
        while not self.stop.is_set():
            code, region = wells[n % len(wells)]
            record(usage_change(usage, code, region, self.today, 50.0 + n))
            self.ids.append(OutboxEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0)
            n += 1
            time.sleep(max(0.0, start + n * step - time.monotonic()))
        connection.close()


def lags(ids: list[int]) -> list[float]:
    """Seconds from each live entry's creation to the acknowledgement of its batch (delivered ones only)."""
    from changji.water.models import OutboundBatch, OutboxEntry

    delivered = dict(OutboundBatch.objects.filter(stream="usage", delivered_at__isnull=False)
                     .values_list("seq", "delivered_at"))
    out = []
    for created, seq in OutboxEntry.objects.filter(id__in=ids).values_list("created_at", "batch_seq"):
        if seq in delivered:
            out.append((delivered[seq] - created).total_seconds())
    return out


def _pct(values: list[float], p: float) -> float:
    return sorted(values)[min(len(values) - 1, int(p * len(values)))] if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--wells", type=int, default=10401)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--live-rate", type=float, default=35.0)
    parser.add_argument("--after-drain-s", type=float, default=20.0, help="seconds of live rate after the drain")
    args = parser.parse_args()

    server, url, credential = start_region(args.database)
    try:
        setup_prefecture(args.database, args.wells)
        from changji.water.models import OutboxEntry
        from changji.water.sharing import credentials, delivery

        credentials.save_link(name="自治区平台", base_url=url, key_id=credential["key_id"],
                              secret=credential["secret"], batch_size=args.batch_size, by=None)
        t0 = time.perf_counter()
        generated = generate_outbox(args.days, date.today() - timedelta(days=1))
        generate_s = time.perf_counter() - t0
        print(f"generated {generated:,} outbox rows in {generate_s:.0f} s", flush=True)
        live = Live(args.live_rate, date.today())
        live.start()
        start = time.perf_counter()
        sent = failures = 0
        while True:
            result = delivery.push(limit=1_000_000, pull_too=False).summary()
            sent += result["rows"]
            if result["errors"]:  # e.g. a read timeout while the region applies: re-sent, applied once
                failures += 1
                delivery.retry_now()
            if sum(delivery.backlog(s) for s in ("registry", "usage")) <= args.live_rate * 2:
                break
        drain_s = time.perf_counter() - start
        during = lags(live.ids)
        marker = len(live.ids)
        end = time.monotonic() + args.after_drain_s
        while time.monotonic() < end:
            sent += delivery.push(limit=1_000_000, pull_too=False).summary()["rows"]
            time.sleep(0.5)
        live.stop.set()
        live.join()
        delivery.push(limit=1_000_000, pull_too=False)
        after = lags(live.ids[marker:])
        rows = [{
            "database": args.database, "wells": args.wells, "days": args.days, "batch_size": args.batch_size,
            "outbox_rows": generated, "sent_rows": sent, "drain_s": round(drain_s, 1),
            "rows_per_s": round(generated / drain_s), "live_rows": len(live.ids),
            "lag_p50_during_s": round(_pct(during, 0.5), 1), "lag_p99_during_s": round(_pct(during, 0.99), 1),
            "lag_p50_after_s": round(_pct(after, 0.5), 2), "lag_p99_after_s": round(_pct(after, 0.99), 2),
            "lag_max_after_s": round(max(after) if after else float("nan"), 2),
            "left_in_outbox": OutboxEntry.objects.filter(batch_seq__isnull=True).count(), "failed_runs": failures,
        }]
        report(f"exchange-{args.database}", rows, {"command": " ".join(sys.argv), "generate_s": generate_s,
                                                   "lag_mean_during_s": statistics.fmean(during) if during else None})
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
