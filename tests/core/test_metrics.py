"""The web's metrics (``core.metrics``): requests labelled by route pattern, and who may read ``/metrics``."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from prometheus_client import REGISTRY

from changji.core.metrics import exposition, parse_address

pytestmark = pytest.mark.django_db

WELL_ROUTE = "water/wells/<id:well_id>/"


def requests_counted(route: str, method: str = "GET", status: str | None = None) -> float:
    """Return the requests counted so far under ``route`` (all status classes unless ``status``)."""
    statuses = [status] if status else ["2xx", "3xx", "4xx", "5xx"]
    return sum(REGISTRY.get_sample_value("changji_http_requests_total",
                                         {"route": route, "method": method, "status": one}) or 0.0
               for one in statuses)


def route_labels() -> set[str]:
    return {sample.labels["route"] for metric in REGISTRY.collect() if metric.name == "changji_http_requests"
            for sample in metric.samples}


def test_requests_are_labelled_by_route_pattern_not_path(client):
    before = requests_counted(WELL_ROUTE)
    unmatched = requests_counted("unmatched", status="4xx")
    client.get("/water/wells/101/")
    client.get("/water/wells/202/")
    client.get("/no/such/page/at/all")
    assert requests_counted(WELL_ROUTE) == before + 2
    assert requests_counted("unmatched", status="4xx") == unmatched + 1
    assert not any("101" in label or "202" in label or "such" in label for label in route_labels())
    front_page = requests_counted("/")
    client.get("/")
    assert requests_counted("/") == front_page + 1  # the front page's pattern is empty: labelled "/", not unmatched
    duration = REGISTRY.get_sample_value("changji_http_request_duration_seconds_count",
                                         {"route": WELL_ROUTE, "method": "GET", "status": "3xx"})
    assert duration is not None and duration >= 2  # an anonymous visitor is sent to the login page


def test_metrics_without_a_token_answer_only_unproxied_loopback_requests(client, settings):
    settings.CHANGJI_METRICS_TOKEN = ""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert b"changji_http_request_duration_seconds_bucket" in response.content
    proxied = client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert (proxied.status_code, proxied.content) == (404, b"")
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200


def test_metrics_with_a_token_answer_only_its_bearer(client, settings):
    settings.CHANGJI_METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 404  # loopback alone is not enough once a token is set
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Basic s3cret-token").status_code == 404
    refused = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-tokenX")
    assert (refused.status_code, refused.content) == (404, b"")
    accepted = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token", REMOTE_ADDR="198.51.100.7",
                          HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert accepted.status_code == 200 and b"changji_http_requests_total" in accepted.content


def test_parse_address():
    assert parse_address("127.0.0.1:9109") == ("127.0.0.1", 9109)
    assert parse_address("[::1]:0") == ("::1", 0)
    for wrong in ("9109", ":9109", "host:", "host:99999", "host:x"):
        with pytest.raises(ValueError):
            parse_address(wrong)


PROCESS = textwrap.dedent("""
    import django
    django.setup()
    from django.test import Client
    client = Client()
    for _ in range(2):
        assert client.get("/healthz").status_code == 200
""")


@pytest.mark.slow
@pytest.mark.database_independent
def test_metrics_collect_the_worker_processes_files_in_multiprocess_mode(tmp_path, monkeypatch):
    """With PROMETHEUS_MULTIPROC_DIR (as ``changji serve`` sets it), /metrics reads what every worker wrote there.

    A worker process (a real one, with the variable set before Django starts) answers two requests and
    exits; the exposition of this process then finds them in the directory, as gunicorn's master finds its
    workers' after they are replaced.
    """
    directory = tmp_path / "prometheus"
    directory.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory), "CHANGJI_DATA_DIR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "changji.settings"}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-c", PROCESS], env=env, check=True, timeout=120)
    assert list(directory.glob("*.db"))  # the worker's values are files, not its memory
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    scraped = exposition().decode()
    line = 'changji_http_requests_total{method="GET",route="healthz",status="2xx"} 2.0'
    assert line in scraped, scraped[:2000]
