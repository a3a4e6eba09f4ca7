"""Job runs are counted in the runner's metrics (``core.metrics``), and ``--metrics-addr`` serves them."""

from __future__ import annotations

import time
import urllib.request

import pytest
from prometheus_client import REGISTRY

from changji.core.jobs import Period, Registry, Runner
from changji.core.metrics import serve_metrics

pytestmark = pytest.mark.django_db


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_succeeding_and_a_failing_run_are_counted():
    jobs = Registry()

    @jobs.register("tests.metrics.fine", Period.MINUTELY)
    def fine(at):
        return {"done": 1}

    @jobs.register("tests.metrics.broken", Period.MINUTELY)
    def broken(at):
        raise RuntimeError("no")

    before = {name: (value("changji_job_runs_total", job=name, state="succeeded"),
                     value("changji_job_runs_total", job=name, state="failed"),
                     value("changji_job_duration_seconds_count", job=name))
              for name in ("tests.metrics.fine", "tests.metrics.broken")}
    started = time.time()
    outcomes = Runner(jobs).run_due()
    assert sorted(outcome.state for outcome in outcomes) == ["failed", "succeeded"]
    assert value("changji_job_runs_total", job="tests.metrics.fine", state="succeeded") == \
        before["tests.metrics.fine"][0] + 1
    assert value("changji_job_runs_total", job="tests.metrics.fine", state="failed") == before["tests.metrics.fine"][1]
    assert value("changji_job_runs_total", job="tests.metrics.broken", state="failed") == \
        before["tests.metrics.broken"][1] + 1
    assert value("changji_job_duration_seconds_count", job="tests.metrics.broken") == \
        before["tests.metrics.broken"][2] + 1
    assert value("changji_job_last_success_timestamp_seconds", job="tests.metrics.fine") >= started
    assert REGISTRY.get_sample_value("changji_job_last_success_timestamp_seconds", {"job": "tests.metrics.broken"}) \
        is None

    host, port = serve_metrics("127.0.0.1:0")  # what `changji jobs --metrics-addr` starts
    with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    assert 'changji_job_runs_total{job="tests.metrics.broken",state="failed"}' in text
