"""``changji gateway``: collect from field terminals over TCP.

``--metrics-addr HOST:PORT`` serves the gateway's Prometheus metrics (``water.gateway.metrics``) at
``http://HOST:PORT/metrics``; with ``--workers N`` each worker serves its own on a free loopback port and this
process serves them all at ``HOST:PORT``, each sample labelled with its ``worker``.
"""

from __future__ import annotations

import signal
import subprocess
import sys

from django.core.management.base import BaseCommand, CommandError
from prometheus_client import CollectorRegistry, start_http_server

from changji.core.metrics import parse_address
from changji.water.gateway.config import GatewayConfig
from changji.water.gateway.database_sink import DatabaseSink
from changji.water.gateway.jetstream_sink import JetStreamSink
from changji.water.gateway.metrics import WorkerAggregator, free_loopback_port, gateway_registry
from changji.water.gateway.server import GatewayServer, run_event_loop
from changji.water.gateway.stream import DEFAULT_SERVERS


class Command(BaseCommand):
    help = "Serve SL651-2014 and SZY206-2016 terminals on one TCP port; acknowledge only committed frames."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="0.0.0.0")
        parser.add_argument("--port", type=int, default=9000)
        parser.add_argument("--auto-register", action="store_true",
                            help="register unknown terminals on first contact instead of quarantining them")
        parser.add_argument("--max-connections", type=int, default=GatewayConfig.max_connections)
        parser.add_argument("--idle-timeout", type=float, default=GatewayConfig.idle_timeout_s)
        parser.add_argument("--workers", type=int, default=1,
                            help="gateway processes sharing the port (SO_REUSEPORT); one per core")
        parser.add_argument("--reuse-port", action="store_true", help="share the port with other gateways")
        parser.add_argument("--time-label-delay", choices=["reject", "flag", "ignore"],
                            default=GatewayConfig.time_label_delay,
                            help="what to do with SZY206 frames older than their allowed delay")
        parser.add_argument("--via", choices=["database", "jetstream"], default="database",
                            help="store frames in the database (default) or publish them to NATS JetStream "
                                 "for `changji writer` processes")
        parser.add_argument("--nats", default=DEFAULT_SERVERS, help="NATS server URL(s), comma-separated")
        parser.add_argument("--metrics-addr", default=None, metavar="HOST:PORT",
                            help="serve Prometheus metrics at http://HOST:PORT/metrics (default: none)")

    def handle(self, *args, **options):
        if options["metrics_addr"]:
            try:
                options["metrics_host"], options["metrics_port"] = parse_address(options["metrics_addr"])
            except ValueError as exc:
                raise CommandError(f"--metrics-addr: {exc}") from exc
        if options["workers"] > 1:
            return self._run_workers(options)
        config = GatewayConfig(
            host=options["host"], port=options["port"], auto_register=options["auto_register"],
            max_connections=options["max_connections"], idle_timeout_s=options["idle_timeout"],
            time_label_delay=options["time_label_delay"], reuse_port=options["reuse_port"],
        )
        sink = DatabaseSink(batch_max=config.batch_max, batch_linger_s=config.batch_linger_s)
        if options["via"] == "jetstream":
            sink = JetStreamSink(options["nats"], database=sink)
        server = GatewayServer(sink, config)
        if options["metrics_addr"]:
            self._serve_metrics(options, gateway_registry(server.metrics, sink))
        run_event_loop(server.serve_until_signalled())

    def _serve_metrics(self, options, registry):
        try:
            start_http_server(options["metrics_port"], addr=options["metrics_host"], registry=registry)
        except OSError as exc:
            raise CommandError(f"--metrics-addr {options['metrics_addr']}: {exc}") from exc

    def _run_workers(self, options):
        """Run ``--workers`` gateway processes on one port and stop them together."""
        argv = [
            sys.executable, "-m", "changji.cli", "gateway", "--reuse-port", "--host", options["host"],
            "--port", str(options["port"]), "--max-connections", str(options["max_connections"]),
            "--idle-timeout", str(options["idle_timeout"]), "--time-label-delay", options["time_label_delay"],
            *(["--auto-register"] if options["auto_register"] else []),
            "--via", options["via"], "--nats", options["nats"],
        ]
        ports = [free_loopback_port() for _ in range(options["workers"])] if options["metrics_addr"] else []
        workers = [subprocess.Popen([*argv, *(["--metrics-addr", f"127.0.0.1:{ports[i]}"] if ports else [])])
                   for i in range(options["workers"])]
        if ports:
            registry = CollectorRegistry(auto_describe=False)
            registry.register(WorkerAggregator(f"http://127.0.0.1:{port}/metrics" for port in ports))
            self._serve_metrics(options, registry)

        def forward(signum, frame):
            for worker in workers:
                worker.send_signal(signum)

        signal.signal(signal.SIGINT, forward)
        signal.signal(signal.SIGTERM, forward)
        for worker in workers:
            worker.wait()
