"""Three real instances as three processes, each with its own database, pushing upward over the exchange API.

County (652301), prefecture (652300), region (650000).

The walk: the county registers its wells and takes their frames through its real gateway from the simulated
fleet (terminals of other counties dial in too and are quarantined there); derives daily usage; pushes to the
prefecture while the prefecture is killed (-9) and restarted and the county's own database connection is cut
(PostgreSQL: ``pg_terminate_backend`` on the county's database, the shared server is never restarted; SQLite:
the pushing process is killed -9 and started again); the prefecture pushes on to the region. Then every
figure is checked at each level by asking each instance's own database: nothing lost, nothing duplicated,
the region's usage equals the sum of its prefecture's (here one prefecture, with one reporting county).

Operators' tools only: ``changji migrate``, ``changji exchange issue`` at the upstream, ``changji exchange
link`` and ``changji water share-snapshot`` at the downstream, ``changji gateway``, ``changji simulate``,
``changji water rebuild``, ``changji jobs``, ``changji exchange push``, ``changji runserver``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.waiting import wait_until

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
STREAMS = ("registry", "usage", "alarms", "kpi", "reports", "readings")
COUNTY_ONLY_FLEET = """
import django; django.setup()
from changji.water.sim import demo, fleet
everything = fleet.build_fleet
demo.build_fleet = lambda count, seed=2026: [w for w in everything(count, seed) if w.county_code == "652301"]
print(len(demo.seed_fleet(int(__import__("sys").argv[1]))))
"""
FIGURES = """
import django, json; django.setup()
from django.db.models import Count, Sum
from changji.water.models import Alarm, DailyUsage, OutboxEntry, Well
usage = DailyUsage.objects.filter(well__code__startswith="652301")
print(json.dumps({
    "wells": Well.objects.filter(code__startswith="652301").count(),
    "usage_rows": usage.count(),
    "usage_m3": round(sum(v or 0 for v in usage.values_list("usage_m3", flat=True)), 3),
    "by_well": {c: round(v or 0, 3) for c, v in usage.values("well__code").annotate(s=Sum("usage_m3"))
                .values_list("well__code", "s")},
    "duplicates": usage.values("well", "day").annotate(n=Count("id")).filter(n__gt=1).count(),
    "alarms": Alarm.objects.filter(well__code__startswith="652301").count(),
    "outbox_unbatched": OutboxEntry.objects.filter(batch_seq__isnull=True).count(),
}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Instance:
    """One level's instance: its environment, database, commands and (when started) its web server."""

    def __init__(self, name: str, root: str, tmp: Path) -> None:
        self.name, self.root = name, root
        self.env = {**os.environ, "CHANGJI_DATA_DIR": str(tmp / name), "CHANGJI_ROOT_REGION": root,
                    "DJANGO_SETTINGS_MODULE": "changji.settings", "PYTHONPATH": str(ROOT / "src")}
        self.database = None
        if os.environ.get("DATABASE_URL", "").startswith("postgres"):
            import psycopg

            self.database = f"changji_e2e_{name}_{os.getpid()}"
            base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
            with psycopg.connect(base.replace("postgres://", "postgresql://") + "/postgres", autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{self.database}"')
                c.execute(f'CREATE DATABASE "{self.database}"')
            self.env["DATABASE_URL"] = f"{base}/{self.database}"
        else:
            self.env.pop("DATABASE_URL", None)
        self.server: subprocess.Popen[bytes] | None = None
        self.port = _free_port()
        self.changji("migrate", "-v0")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def changji(self, *args: str, timeout: float = 600) -> str:
        done = subprocess.run([sys.executable, "-m", "changji.cli", *args], env=self.env, capture_output=True,
                              text=True, timeout=timeout)
        assert done.returncode == 0, f"{self.name}: changji {' '.join(args)}\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def python(self, code: str, *args: str) -> str:
        done = subprocess.run([sys.executable, "-c", code, *args], env=self.env, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, f"{self.name}: {done.stderr}"
        return done.stdout

    def spawn(self, *args: str) -> subprocess.Popen[bytes]:
        log = open(Path(self.env["CHANGJI_DATA_DIR"]) / f"{args[0]}.log", "ab")
        return subprocess.Popen([sys.executable, "-m", "changji.cli", *args], env=self.env, stdout=log,
                                stderr=subprocess.STDOUT)

    def start(self) -> None:
        self.server = self.spawn("runserver", f"127.0.0.1:{self.port}", "--noreload", "--skip-checks")
        wait_until(self._up, what=f"{self.name} to serve", timeout=120, every=0.3)

    def _up(self) -> bool:
        try:
            return urllib.request.urlopen(self.url + "healthz", timeout=2).status == 200
        except OSError:
            return False

    def kill(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.send_signal(signal.SIGKILL)
            self.server.wait()

    def issue(self, name: str, region: str) -> dict[str, str]:
        return json.loads(self.changji("exchange", "issue", "--name", name, "--region", region))

    def link_to(self, upstream: Instance, credential: dict[str, str], batch_size: int) -> None:
        secret = Path(self.env["CHANGJI_DATA_DIR"]) / "upstream.secret"
        secret.write_text(credential["secret"])
        secret.chmod(0o600)
        self.changji("exchange", "link", "--url", upstream.url, "--key-id", credential["key_id"], "--secret-file",
                     str(secret), "--batch-size", str(batch_size))

    def figures(self) -> dict:
        return json.loads(self.python(FIGURES))

    def push_state(self) -> list[dict]:
        return json.loads(self.changji("exchange", "status"))

    def drained(self) -> bool:
        self.changji("exchange", "push", "--now")
        return all(s["backlog"] == 0 and not s["last_error"] for s in self.push_state())

    def terminate_connections(self) -> int:
        import psycopg

        base = self.env["DATABASE_URL"].rsplit("/", 1)[0]
        with psycopg.connect(base.replace("postgres://", "postgresql://") + "/postgres", autocommit=True) as c:
            rows = c.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> "
                             "pg_backend_pid()", (self.database,)).fetchall()
        return len(rows)

    def close(self) -> None:
        self.kill()
        if self.database:
            import psycopg

            base = self.env["DATABASE_URL"].rsplit("/", 1)[0]
            with psycopg.connect(base.replace("postgres://", "postgresql://") + "/postgres", autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


@pytest.fixture
def levels(tmp_path):
    made: list[Instance] = []
    try:
        for name, root in (("county", "652301"), ("prefecture", "652300"), ("region", "650000")):
            (tmp_path / name).mkdir()
            made.append(Instance(name, root, tmp_path))
        yield made
    finally:
        for instance in made:
            instance.close()


def _collect_frames(county: Instance, wells: int) -> None:
    """Register the county's wells, run its gateway and the simulated fleet through two days of history."""
    assert int(county.python(COUNTY_ONLY_FLEET, str(wells))) >= 3
    port = _free_port()
    gateway = county.spawn("gateway", "--host", "127.0.0.1", "--port", str(port))
    try:
        wait_until(lambda: _listening(port), what="the county's gateway", timeout=120, every=0.3)
        county.changji("simulate", "--port", str(port), "--wells", str(wells), "--speedup", "7200",
                       "--history-hours", "36", "--duration", "25", "--tamper", "0.3", timeout=300)
    finally:
        gateway.send_signal(signal.SIGTERM)
        gateway.wait(timeout=60)
    county.changji("water", "rebuild")
    county.changji("water", "share-snapshot", "--from", "2000-01-01")  # the fleet was registered in bulk
    county.changji("jobs", "--once", "--job", "water.alarms.evaluate", "--job", "water.kpi.silent_days")


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_readings_at_the_county_reach_the_prefecture_and_the_region_once(levels):
    county, prefecture, region = levels
    county.link_to(prefecture, prefecture.issue("昌吉市平台", "652301"), batch_size=2)
    prefecture.link_to(region, region.issue("昌吉州平台", "652300"), batch_size=7)
    prefecture.start()
    region.start()
    _collect_frames(county, wells=28)
    at_county = county.figures()
    assert at_county["usage_rows"] > 0 and at_county["wells"] >= 3

    # Mid-push: the prefecture killed -9 and restarted, the county's database connections cut.
    pusher = county.spawn("exchange", "push", "--loop", "--interval", "0.2")
    wait_until(lambda: any(s["next_seq"] > 2 for s in county.push_state()), what="the first batches", timeout=120,
               every=0.2)
    prefecture.kill()
    time.sleep(1.0)
    prefecture.start()
    if county.database:
        assert county.terminate_connections() >= 1  # the downstream's database "restarts" under the pusher
    else:
        pusher.send_signal(signal.SIGKILL)  # SQLite: the downstream process dies mid-push and starts again
        pusher.wait()
        pusher = county.spawn("exchange", "push", "--loop", "--interval", "0.2")
    try:
        wait_until(county.drained, what="the county's outbox to drain", timeout=300, every=1.0)
    finally:
        pusher.send_signal(signal.SIGKILL)
        pusher.wait()
    wait_until(prefecture.drained, what="the prefecture's outbox to drain", timeout=300, every=1.0)

    at_prefecture, at_region = prefecture.figures(), region.figures()
    for level in (at_prefecture, at_region):
        assert level["duplicates"] == 0
        assert level["wells"] == at_county["wells"]
        assert level["usage_rows"] == at_county["usage_rows"]
        assert level["by_well"] == at_county["by_well"]
        assert level["alarms"] == at_county["alarms"]
    assert at_region["usage_m3"] == pytest.approx(at_prefecture["usage_m3"]) == pytest.approx(at_county["usage_m3"])
