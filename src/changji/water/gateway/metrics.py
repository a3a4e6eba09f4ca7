"""The gateway's Prometheus metrics, read from its own counters at scrape time (no work on the hot path).

The sessions count into ``records.Metrics`` (plain integers and ``records.Histogram`` buckets, on the event
loop); ``GatewayCollector`` turns them into Prometheus families when ``/metrics`` is scraped, following
prometheus_client's custom-collector pattern (https://prometheus.github.io/client_python/collector/custom/).
A scrape runs on the HTTP server's thread and only reads.

**Several workers** (``changji gateway --workers N --metrics-addr HOST:PORT``): each worker is its own process
with its own counters, and the counters are not prometheus_client's own metric types, so its multiprocess
mode (which shares those through files) does not apply. Each worker serves its metrics on a free loopback
port chosen by the parent, and the parent serves ``HOST:PORT``: ``WorkerAggregator`` scrapes every worker when
it is scraped and answers their samples with a ``worker`` label (0 … N-1). One scrape target per gateway, as
for a single process.
"""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from changji.water.gateway.records import FrameOutcome, Histogram, Metrics
from changji.water.gateway.sink import Sink

__pure__ = True  # no Django: tests/test_architecture.py checks it

__all__ = ["GatewayCollector", "WorkerAggregator", "free_loopback_port", "gateway_registry", "histogram_family"]


def histogram_family(name: str, documentation: str, histogram: Histogram) -> HistogramMetricFamily:
    """Return ``histogram`` as a Prometheus histogram family (cumulative ``le`` buckets, ``+Inf`` = count)."""
    counts = list(histogram.counts)  # one snapshot: buckets, count and +Inf agree even while the loop adds
    buckets, running = [], 0
    for bound, count in zip([*histogram.bounds, float("inf")], counts, strict=True):
        running += count
        buckets.append(("+Inf" if bound == float("inf") else repr(float(bound)), running))
    return HistogramMetricFamily(name, documentation, buckets=buckets, sum_value=histogram.total)


class GatewayCollector:
    """Collect a gateway process's metrics from its ``Metrics`` and its sink."""

    def __init__(self, metrics: Metrics, sink: Sink) -> None:
        self.metrics = metrics
        self.sink = sink

    def collect(self) -> Iterator[Metric]:
        """Yield every gateway family (see the README's metric table)."""
        m = self.metrics
        frames = CounterMetricFamily("changji_gateway_frames", "Frames archived, by outcome (water_frame.outcome).",
                                     labels=["outcome"])
        outcomes = dict(m.outcomes)
        for outcome in FrameOutcome:
            frames.add_metric([outcome.value], outcomes.get(outcome, 0))
        yield frames
        yield CounterMetricFamily("changji_gateway_acks", "Acknowledgements written to terminals.", value=m.acked)
        yield histogram_family("changji_gateway_ack_latency_seconds",
                               "Time from reading a frame to writing its acknowledgement.", m.ack_latency_s)
        yield GaugeMetricFamily("changji_gateway_open_connections", "Terminal connections open.",
                                value=m.connections_open)
        yield CounterMetricFamily("changji_gateway_connections", "Terminal connections accepted.",
                                  value=m.connections_total)
        yield CounterMetricFamily("changji_gateway_connections_refused",
                                  "Connections closed on accept (the connection cap).", value=m.connections_refused)
        yield CounterMetricFamily("changji_gateway_cut_off", "Connections cut off (flood, garbage, write timeout).",
                                  value=m.cut_off)
        yield CounterMetricFamily("changji_gateway_sink_unavailable",
                                  "Frames not acknowledged because the sink could not store them.",
                                  value=m.not_acked_sink_down)
        yield CounterMetricFamily("changji_gateway_commands_sent", "Commands sent to terminals.",
                                  value=m.commands_sent)
        yield GaugeMetricFamily("changji_gateway_command_queue_depth",
                                "Open commands the gateway holds for its terminals.",
                                value=self.sink.pending_command_count())
        if self.sink.batch_sizes is not None:
            yield histogram_family("changji_gateway_sink_batch_size", "Frames per group commit.",
                                   self.sink.batch_sizes)
        if self.sink.commit_s is not None:
            yield histogram_family("changji_gateway_sink_commit_seconds", "Time to commit one batch.",
                                   self.sink.commit_s)


def gateway_registry(metrics: Metrics, sink: Sink) -> CollectorRegistry:
    """Return a registry holding only the gateway's collector (served by ``start_http_server``)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(GatewayCollector(metrics, sink))
    return registry


class WorkerAggregator:
    """Collect the metrics of the gateway's worker processes, each sample labelled with its ``worker``."""

    def __init__(self, urls: Iterable[str], timeout_s: float = 5.0) -> None:
        self.urls = list(urls)
        self.timeout_s = timeout_s

    def collect(self) -> Iterator[Metric]:
        """Scrape every worker and yield one family per name with all workers' samples (a worker down is left out)."""
        merged: dict[str, Metric] = {}
        for worker, url in enumerate(self.urls):
            try:
                with urllib.request.urlopen(url, timeout=self.timeout_s) as response:  # noqa: S310 (loopback http)
                    text = response.read().decode()
            except OSError:
                continue
            for family in text_string_to_metric_families(text):
                into = merged.setdefault(family.name, Metric(family.name, family.documentation, family.type))
                into.samples.extend(_labelled(sample, worker) for sample in family.samples)
        yield from merged.values()


def _labelled(sample: Sample, worker: int) -> Sample:
    labels: dict[str, Any] = {**sample.labels, "worker": str(worker)}
    return Sample(sample.name, labels, sample.value, sample.timestamp, sample.exemplar)


def free_loopback_port() -> int:
    """Return a port free on 127.0.0.1 now (for a worker's metrics; the worker binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
