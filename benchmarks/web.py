"""Operator web latency: the dashboard, the map data and a well page with the full prefecture.

Issue 5 targets: p95 under 200 ms for each page's data; the map rendered in chromium in under 3 s.

Setup: a fresh database (SQLite or PostgreSQL) with the 10,401 fleet wells, a year of daily usage
for every well (about 3.8 million rows), 30 days of terminal-days, allocations, open alarms, and
the closed months' rollups compiled (as the daily job keeps them) and the dashboard figures
computed (as the minutely job keeps them). Requests go through Django's
test client in-process (the whole stack but the socket), logged in as a prefecture administrator,
so the figures are server time. The map render is timed in Debian's chromium via Playwright
against a threaded WSGI server: from navigation to every marker added.

Run: .venv/bin/python benchmarks/web.py [--database sqlite|postgresql] [--wells 10401] [--days 365]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import percentile, prepare_database  # noqa: E402
from machine import report  # noqa: E402


def fill(days: int) -> date:
    """A year of daily usage, 30 days of terminal-days, allocations and some open alarms; return today."""
    from django.db import connection, transaction
    from django.utils import timezone

    from changji.core.localtime import local_day
    from changji.water.models import Alarm, Allocation, DailyUsage, TerminalDay, Well
    from changji.water.usage.monthly import seal_closed_months

    today = local_day(timezone.now())
    first = today - timedelta(days=days)
    rng = random.Random(7)
    wells = list(Well.objects.order_by("pk").values_list("pk", flat=True))
    table = DailyUsage._meta.db_table
    sql = (f"INSERT INTO {table} (well_id, day, water_m3, energy_kwh, water_sum_m3, energy_sum_kwh, water_reason,"
           " energy_reason, spread, coefficient_m3_per_kwh, estimated_water_m3, usage_m3, source)"
           " VALUES (%s, %s, %s, %s, %s, %s, 'normal', 'normal', %s, 1.8, %s, %s, 'metered')")
    for offset in range(0, len(wells), 500):
        rows = []
        for well in wells[offset: offset + 500]:
            water_sum = 0.0
            for n in range(days):
                water = rng.uniform(0, 600) if 90 < (first + timedelta(days=n)).timetuple().tm_yday < 280 else 0.0
                water_sum += water
                rows.append((well, first + timedelta(days=n), water, water / 1.8, water_sum, water_sum / 1.8, False,
                             water * rng.uniform(0.9, 1.1), water))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)
    terminals = list(Well.objects.values_list("terminals__id", flat=True))
    TerminalDay.objects.bulk_create([
        TerminalDay(terminal_id=t, day=today - timedelta(days=n), expected_reports=288,
                    received_reports=rng.randint(250, 288), readings_valid=250, faulty=rng.random() < 0.02)
        for n in range(1, 31) for t in terminals if t is not None
    ], batch_size=5000)
    Allocation.objects.bulk_create([Allocation(year=today.year, well_id=w, allocation_m3=60_000) for w in wells],
                                   batch_size=5000)
    for allocation in Allocation.objects.filter(scope_region__isnull=True).select_related("well"):
        allocation.scope_region_id = allocation.well.region_id
        allocation.save(update_fields=["scope_region"])
    from changji.water.models import Terminal

    sample = list(Terminal.objects.select_related("well").order_by("?")[:400])
    Alarm.objects.bulk_create([
        Alarm(terminal=t, well=t.well, kind=rng.choice(["offline", "door_open", "energy_without_water"]),
              severity="major", state="open", raised_at=timezone.now() - timedelta(hours=rng.randint(1, 48)))
        for t in sample
    ])
    seal_closed_months(first, today)
    return today


def time_requests(client, url: str, count: int) -> list[float]:
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1e3)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
    return timings


def time_map_render(user) -> float:
    """Serve the site on a local port and time chromium from navigation to every marker on the map."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application
    from django.urls import reverse
    from playwright.sync_api import sync_playwright

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler)
    server.set_app(get_wsgi_application())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    session = SessionStore()
    session[SESSION_KEY], session[BACKEND_SESSION_KEY] = str(user.pk), "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            context = browser.new_context()
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": base}])
            page = context.new_page()
            started = time.perf_counter()
            page.goto(base + reverse("water:map"))
            page.wait_for_selector("[data-wells-rendered]", timeout=60_000)
            elapsed = time.perf_counter() - started
            Path("test-artifacts").mkdir(exist_ok=True)
            page.screenshot(path="test-artifacts/benchmark-map.png")
            browser.close()
    finally:
        server.shutdown()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--wells", type=int, default=10_401)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    env = prepare_database(args.database, args.wells)
    os.environ.update({k: v for k, v in env.items() if k in ("CHANGJI_DATA_DIR", "DATABASE_URL")})
    if args.database == "sqlite":
        os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "changji.settings"
    subprocess.run([str(Path(sys.executable).with_name("changji")), "collectstatic", "--noinput", "-v0"],
                   env={**os.environ}, check=True)
    import django

    django.setup()
    from django.test import Client
    from django.urls import reverse

    from changji.core.models import Region, Role, User
    from changji.water.models import Well

    started = time.perf_counter()
    fill(args.days)
    fill_s = time.perf_counter() - started
    from django.utils import timezone

    from changji.water.kpi.dashboard import refresh_due

    started = time.perf_counter()
    refresh_due(timezone.now())  # what the minutely job does every five minutes
    refresh_s = time.perf_counter() - started
    user = User.objects.create_user("bench", password="bench-Pass-2026", role=Role.PREFECTURE_ADMIN,
                                    region=Region.objects.get(code="652300"))
    client = Client()
    client.force_login(user)
    wells = list(Well.objects.order_by("?").values_list("pk", flat=True)[: args.requests])
    pages = {
        "dashboard": time_requests(client, reverse("water:dashboard"), args.requests),
        "map data (all wells)": time_requests(client, reverse("water:map_data"), args.requests),
    }
    pages["well page"] = []
    for well in wells:
        pages["well page"] += time_requests(client, reverse("water:well", args=[well]), 1)
    render_s = time_map_render(user)
    rows = [{"figure": f"{name}, {args.wells:,} wells, {args.database}, p50 / p95",
             "value": f"{statistics.median(t):.0f} / {percentile(t, 0.95):.0f} ms", "target": "p95 < 200 ms"}
            for name, t in pages.items()]
    rows.append({"figure": f"dashboard figures recomputed, prefecture + 7 counties (job, every 5 min), {args.database}",
                 "value": f"{refresh_s:.1f} s", "target": "—"})
    rows.append({"figure": f"map rendered in chromium, {args.wells:,} markers, {args.database}",
                 "value": f"{render_s:.2f} s", "target": "< 3 s"})
    report(f"web-{args.database}", rows,
           {"fill_s": fill_s, "refresh_s": refresh_s, "timings_ms": pages, "map_render_s": render_s})


if __name__ == "__main__":
    main()
