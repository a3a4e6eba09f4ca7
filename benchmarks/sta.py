"""SensorThings API latency on a prefecture: 10,401 wells and a year of daily usage (about 3.8 million rows).

Issue 16: ``/sta/v1.1/`` answers typical open-data queries over the whole prefecture without scanning the
daily table: the service root, Things ``$top=100``, one Datastream's Observations of a month
(``$filter`` on ``phenomenonTime``), Things with ``$expand=Locations``, the first and a later page of
``/Observations`` without a filter (``$top`` + ``@iot.nextLink``), one month of all water-use Observations of a
county with ``$count``. Each query runs ``--repeat`` times through Django's test client (no network); the
table gives the median and the 95th percentile in ms.

The fleet is the demo's (``sim.demo.seed_fleet``); DailyUsage rows are generated straight into the database
for ``--days`` days; monitoring wells get one depth reading every ``--reading-hours`` hours.

Run: .venv/bin/python benchmarks/sta.py [--wells 10401] [--days 365] [--repeat 20] [--data-dir DIR]
(``--data-dir`` keeps the database; a second run with it measures without seeding again.)
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import report  # noqa: E402


def setup(wells: int, data_dir: str | None) -> None:
    data_dir = data_dir or tempfile.mkdtemp(prefix="changji-sta-")
    print(f"database in {data_dir}")
    os.environ["CHANGJI_DATA_DIR"] = data_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "changji.settings"
    subprocess.run([sys.executable, "-m", "changji.cli", "migrate", "-v0"], check=True)
    import django

    django.setup()
    from changji.water.sim.demo import seed_fleet

    seed_fleet(wells)


def fill(days: int, reading_hours: int, first: date) -> tuple[int, int]:
    """Daily usage for every extraction well and depth readings for every monitoring well; return the counts."""
    from django.db import transaction

    from changji.water.models import DailyUsage, Frame, Reading, Terminal, Well

    rng = random.Random(16)
    if DailyUsage.objects.exists():  # --data-dir of an earlier run: measure what is there
        return DailyUsage.objects.count(), Reading.objects.count()
    extraction = list(Well.objects.filter(kind="extraction").values_list("pk", flat=True))
    rows = 0
    batch: list[DailyUsage] = []
    for well in extraction:
        for d in range(days):
            water = round(rng.uniform(0, 300), 1)
            batch.append(DailyUsage(well_id=well, day=first + timedelta(days=d), usage_m3=water, water_m3=water,
                                    energy_kwh=round(water / 2.5, 1), source="metered"))
        if len(batch) >= 50_000:
            with transaction.atomic():
                DailyUsage.objects.bulk_create(batch, batch_size=5_000)
            rows += len(batch)
            batch = []
    with transaction.atomic():
        DailyUsage.objects.bulk_create(batch, batch_size=5_000)
    rows += len(batch)
    frame = Frame.objects.create(received_at=datetime.now(UTC), peer="bench", protocol="sl651", raw=b"~",
                                 outcome="stored")
    readings = []
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    for terminal in Terminal.objects.filter(well__kind="monitoring"):
        for h in range(0, days * 24, reading_hours):
            readings.append(Reading(terminal=terminal, observed_at=start + timedelta(hours=h), received_at=start,
                                    depth_m=20 + rng.random(), frame=frame))
    with transaction.atomic():
        Reading.objects.bulk_create(readings, batch_size=5_000, ignore_conflicts=True)
    return rows, len(readings)


def measure(repeat: int, first: date) -> list[dict[str, object]]:
    from django.test import Client

    client = Client()
    from changji.water.models import DailyUsage

    middle = DailyUsage.objects.order_by("-pk").values_list("pk", flat=True).first() // 2
    well = DailyUsage.objects.filter(pk__gte=middle).values_list("well__code", flat=True).first()
    month = first + timedelta(days=120)
    start, end = month.replace(day=1), (month.replace(day=1) + timedelta(days=32)).replace(day=1)
    window = (f"phenomenonTime ge {start.isoformat()}T00:00:00+08:00 and "
              f"phenomenonTime lt {end.isoformat()}T00:00:00+08:00")
    queries = [
        ("root", "/sta/v1.1/", {}),
        ("Things $top=100", "/sta/v1.1/Things", {"$top": "100"}),
        ("a Datastream's Observations of a month", f"/sta/v1.1/Datastreams('{well}:water')/Observations",
         {"$filter": window}),
        ("Things $top=100 $expand=Locations", "/sta/v1.1/Things", {"$top": "100", "$expand": "Locations"}),
        ("Observations (no filter) $top=100", "/sta/v1.1/Observations", {"$top": "100"}),
        ("Observations page at $skip=100000", "/sta/v1.1/Observations", {"$top": "100", "$skip": "100000"}),
        ("Datastreams $filter Thing/properties/countyCode", "/sta/v1.1/Datastreams",
         {"$filter": "Thing/properties/countyCode eq '652324' and ObservedProperty/id eq 'water'", "$top": "100"}),
        ("a Datastream's Observations $orderby result desc $count",
         f"/sta/v1.1/Datastreams('{well}:water')/Observations",
         {"$orderby": "result desc", "$top": "10", "$count": "true"}),
    ]
    rows = []
    for name, path, params in queries:
        timings = []
        for _ in range(repeat):
            began = time.perf_counter()
            response = client.get(path, params)
            timings.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, (path, response.content[:300])
        data = response.json()
        rows.append({"query": name, "items": len(data.get("value", [])), "p50_ms": statistics.median(timings),
                     "p95_ms": sorted(timings)[max(0, int(len(timings) * 0.95) - 1)]})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wells", type=int, default=10_401)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--reading-hours", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--data-dir", help="reuse the database of an earlier run in this directory")
    args = parser.parse_args()
    setup(args.wells, args.data_dir)
    first = date(2025, 1, 1)
    began = time.perf_counter()
    usage, readings = fill(args.days, args.reading_hours, first)
    print(f"seeded {usage:,} daily usage rows and {readings:,} depth readings in {time.perf_counter() - began:.0f} s")
    rows = measure(args.repeat, first)
    report("sta", rows, {"wells": args.wells, "days": args.days, "daily_usage_rows": usage,
                         "depth_readings": readings, "database": "sqlite"})


if __name__ == "__main__":
    main()
