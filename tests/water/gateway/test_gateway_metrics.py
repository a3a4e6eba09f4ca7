"""The gateway's Prometheus metrics (``water.gateway.metrics``): frames by outcome, acks and their latency."""

from __future__ import annotations

import os
import signal
import subprocess
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from changji.water.gateway.memory import MemorySink
from changji.water.gateway.metrics import gateway_registry, histogram_family
from changji.water.gateway.records import Histogram, TerminalInfo
from tests.waiting import wait_until
from tests.water.gateway.conftest import TerminalClient, running_gateway
from tests.water.gateway.processes import CHANGJI, free_port
from tests.water.gateway.test_adversarial import report, sl651_frame
from tests.water.gateway.test_session_sl651 import STATION, timed_report

SZY206_ADDRESS = "6523230101"


def sample(text: str, name: str, **labels: str) -> float:
    """Return the sum of the samples called ``name`` whose labels include ``labels`` (all workers together)."""
    return sum(one.value for family in text_string_to_metric_families(text) for one in family.samples
               if one.name == name and labels.items() <= one.labels.items())


def frames_of_two_protocols() -> tuple[bytes, bytes, bytes]:
    """An SL651 timed report, an SZY206 flow report and an SZY206 report whose time label has hour 25."""
    when = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)
    return timed_report(), report(SZY206_ADDRESS, when, 10.0), report(SZY206_ADDRESS, when, 11.0, hour=25)


def test_histogram_buckets_are_cumulative_with_inf_equal_to_the_count():
    histogram = Histogram((0.1, 1.0))
    for value in (0.05, 0.1, 0.5, 7.0):
        histogram.observe(value)
    family = histogram_family("x_seconds", "x", histogram)
    buckets = {s.labels["le"]: s.value for s in family.samples if s.name == "x_seconds_bucket"}
    assert buckets == {"0.1": 2, "1.0": 3, "+Inf": 4}
    assert [s.value for s in family.samples if s.name == "x_seconds_count"] == [4]
    assert [s.value for s in family.samples if s.name == "x_seconds_sum"] == [pytest.approx(7.65)]


@pytest.mark.django_db  # the session imports the water models' outcome names
def test_frames_acks_and_latency_are_counted_by_outcome(run):
    sink = MemorySink([TerminalInfo(7, "sl651", STATION), TerminalInfo(8, "szy206", SZY206_ADDRESS)])
    sl651_report, szy206_report, bad_label = frames_of_two_protocols()

    async def scenario():
        async with running_gateway(sink) as gateway:
            registry = gateway_registry(gateway.metrics, sink)
            before = generate_latest(registry).decode()
            client = await TerminalClient.connect(gateway.port)
            await client.send(sl651_report)
            assert await client.receive() is not None
            await client.send(szy206_report)
            assert await client.receive() is not None
            await client.send(bad_label)
            assert await client.receive(timeout=0.3) is None
            await client.send(sl651_frame(station="6523239999"))  # an unregistered terminal
            assert await client.receive(timeout=0.3) is None
            during = generate_latest(registry).decode()
            await client.close()
            return before, during

    before, during = run(scenario())
    assert sample(before, "changji_gateway_frames_total", outcome="stored") == 0
    assert sample(during, "changji_gateway_frames_total", outcome="stored") == 2
    assert sample(during, "changji_gateway_frames_total", outcome="undecodable") == 1
    assert sample(during, "changji_gateway_frames_total", outcome="quarantined") == 1
    assert sample(during, "changji_gateway_acks_total") == 2
    assert sample(during, "changji_gateway_ack_latency_seconds_count") == 2
    assert sample(during, "changji_gateway_ack_latency_seconds_bucket", le="+Inf") == 2
    assert sample(during, "changji_gateway_open_connections") == 1
    assert sample(during, "changji_gateway_command_queue_depth") == 0


@pytest.mark.slow
@pytest.mark.database_independent
def test_gateway_workers_serve_their_metrics_at_one_address(tmp_path, migrated_sqlite, run):
    """``changji gateway --workers 2 --metrics-addr``: one scrape shows every worker, labelled by ``worker``."""
    migrated_sqlite(tmp_path)
    env = {**os.environ, "CHANGJI_DATA_DIR": str(tmp_path), "CHANGJI_LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)
    port, metrics_port = free_port(), free_port()
    process = subprocess.Popen([CHANGJI, "gateway", "--auto-register", "--workers", "2", "--host", "127.0.0.1",
                                "--port", str(port), "--metrics-addr", f"127.0.0.1:{metrics_port}"], env=env)
    url = f"http://127.0.0.1:{metrics_port}/metrics"

    def scrape() -> str:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode()

    def both_workers_answer() -> bool:
        try:
            return {s.labels.get("worker") for f in text_string_to_metric_families(scrape())
                    for s in f.samples if s.name == "changji_gateway_open_connections"} == {"0", "1"}
        except OSError:
            return False

    sl651_report, szy206_report, bad_label = frames_of_two_protocols()

    async def terminals():
        acks = []
        for frame in (sl651_report, szy206_report):
            client = await TerminalClient.connect(port)
            await client.send(frame)
            acks.append(await client.receive(timeout=10))
            if frame is szy206_report:
                await client.send(bad_label)
                acks.append(await client.receive(timeout=0.5))
            await client.close()
        return acks

    try:
        wait_until(both_workers_answer, timeout=60, every=0.2, what="both gateway workers to serve metrics")
        assert [ack is not None for ack in run(terminals())] == [True, True, False]
        text = scrape()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert sample(text, "changji_gateway_frames_total", outcome="stored") == 2
    assert sample(text, "changji_gateway_frames_total", outcome="undecodable") == 1
    assert sample(text, "changji_gateway_ack_latency_seconds_count") == 2
    assert sample(text, "changji_gateway_sink_batch_size_count") >= 1
    assert sample(text, "changji_gateway_sink_commit_seconds_count") >= 1
