"""Prometheus metrics of the web process and the job runner, and who may read the web's ``/metrics``.

Names follow Prometheus' naming practice (https://prometheus.io/docs/practices/naming/): the ``changji_``
prefix, base units (seconds), ``_total`` on counters. Labels stay bounded: a request is labelled by the URL
pattern of the view that answered it (``water/wells/<id:well_id>/``), never its path, and ``unmatched`` when
no pattern matched; its status by class (``2xx`` … ``5xx``).

**Web processes.** ``changji serve`` runs gunicorn workers and sets ``PROMETHEUS_MULTIPROC_DIR`` before Django
is imported; prometheus_client then keeps every value in a file per process there, and ``exposition`` collects
them all with ``MultiProcessCollector`` (https://prometheus.github.io/client_python/multiprocess/). Without the
variable (runserver, tests) the default registry is exposed.

**Job runner.** ``core.jobs.Runner`` calls ``record_job_run`` when a run ends; ``changji jobs --metrics-addr``
serves the default registry with ``prometheus_client.start_http_server``.

**Who may read /metrics** (``may_read_metrics``): with ``CHANGJI_METRICS_TOKEN`` set, a request bearing
``Authorization: Bearer <token>`` (compared in constant time, ``hmac.compare_digest``); without it, a request
from a loopback address that carries no ``X-Forwarded-For`` (a proxied request always does).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

__all__ = ["HTTP_REQUEST_DURATION", "HTTP_REQUESTS", "JOB_DURATION", "JOB_LAST_SUCCESS", "JOB_RUNS",
           "RequestMetricsMiddleware", "exposition", "may_read_metrics", "record_job_run", "route_label",
           "serve_metrics"]

#: Request durations: fine below a second (pages), coarse up to the 30 s of a long export.
HTTP_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: Job durations: from a minutely check (tens of milliseconds) to a monthly report (minutes).
JOB_BUCKETS_S = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)

HTTP_REQUEST_DURATION = Histogram(
    "changji_http_request_duration_seconds", "Time from a request entering Django to its response, by route.",
    ["route", "method", "status"], buckets=HTTP_BUCKETS_S)
HTTP_REQUESTS = Counter(
    "changji_http_requests", "Requests answered, by route, method and status class.", ["route", "method", "status"])
JOB_DURATION = Histogram(
    "changji_job_duration_seconds", "Duration of one run of a recurring job (core.jobs).", ["job"],
    buckets=JOB_BUCKETS_S)
JOB_RUNS = Counter("changji_job_runs", "Runs of a recurring job that ended, by state.", ["job", "state"])
JOB_LAST_SUCCESS = Gauge(
    "changji_job_last_success_timestamp_seconds", "When a run of the job last succeeded (Unix time).", ["job"],
    multiprocess_mode="max")

#: The methods labelled as themselves; any other (a scanner's ``PROPFIND``) is ``other``.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_label(request: HttpRequest) -> str:
    """Return the URL pattern that answered ``request``, ``/`` for the front page, ``unmatched`` when none did."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return str(match.route) or "/"  # the front page's pattern is the empty string


class RequestMetricsMiddleware:
    """Observe every request's duration and count it, labelled by route pattern, method and status class."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in KNOWN_METHODS else "other"
        labels = (route_label(request), method, f"{response.status_code // 100}xx")
        HTTP_REQUEST_DURATION.labels(*labels).observe(time.perf_counter() - started)
        HTTP_REQUESTS.labels(*labels).inc()
        return response


def record_job_run(job: str, state: str, duration_s: float, succeeded_at: float | None = None) -> None:
    """Record a job run's end: its duration, its state and, when it succeeded, the time (Unix seconds)."""
    JOB_DURATION.labels(job).observe(duration_s)
    JOB_RUNS.labels(job, state).inc()
    if state == "succeeded":
        JOB_LAST_SUCCESS.labels(job).set(succeeded_at if succeeded_at is not None else time.time())


def exposition() -> bytes:
    """Return the Prometheus text of this web instance: every worker's files in multiprocess mode."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=directory)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def may_read_metrics(request: HttpRequest) -> bool:
    """Return whether ``request`` may read ``/metrics`` (bearer token, else loopback without a proxy)."""
    token = str(getattr(settings, "CHANGJI_METRICS_TOKEN", "") or "")
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
    if "X-Forwarded-For" in request.headers:
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def serve_metrics(address: str) -> tuple[str, int]:
    """Serve the default registry at ``http://HOST:PORT/metrics`` on a daemon thread; return the bound address.

    For the long-running commands (``changji jobs --metrics-addr``); port 0 binds a free port.
    """
    from prometheus_client import start_http_server  # deferred: only the commands that serve metrics need it

    host, port = parse_address(address)
    server, _thread = start_http_server(port, addr=host)
    bound = server.server_address
    return str(bound[0]), int(bound[1])


def parse_address(address: str) -> tuple[str, int]:
    """Parse ``HOST:PORT`` (``[::1]:9109`` for IPv6); ``ValueError`` names what is wrong."""
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"not HOST:PORT: {address!r}")
    return host.strip("[]"), int(port)


CONTENT_TYPE = CONTENT_TYPE_LATEST
