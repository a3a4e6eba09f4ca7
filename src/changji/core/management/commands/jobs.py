"""``changji jobs``: run every app's recurring jobs, each due period once (``core.jobs``).

``changji jobs`` runs a round at the start of every minute until stopped, logging each run
(``changji.core.jobs``); ``--once`` runs one round, prints a line per run and exits (1 when a run
failed). ``--job NAME`` (repeatable) limits it to some jobs, ``--at ISO`` runs the round as of that
moment (a local time when it has no offset), ``--retry`` also retries failed periods past their
backoff and attempt cap, and ``--list`` prints each job with its period and state instead of running
anything. ``--metrics-addr HOST:PORT`` serves the runner's Prometheus metrics (``core.metrics``: run durations,
runs by state, last success) at ``http://HOST:PORT/metrics``. Thin: the work is ``core.jobs.Runner``.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, close_old_connections

from changji.core.jobs import Runner, UnknownJob, overview, registry
from changji.core.localtime import SHANGHAI
from changji.core.metrics import serve_metrics
from changji.core.models import JobRunState

log = logging.getLogger("changji.core.jobs")

#: Without ``--start-delay``, the loop waits this long before its first round, so terminals that dial in as the
#: platform starts are not judged offline by the alarm rules before they could report.
START_DELAY_S = 60.0


def moment(text: str) -> datetime:
    """Parse ``--at``: ISO 8601, a local (Asia/Shanghai) time when it carries no offset."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"not an ISO 8601 time: {text!r}") from exc
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=SHANGHAI)


class Command(BaseCommand):
    help = "运行各应用登记的定时任务：每个周期运行一次，失败按退避重试，停机后在回溯范围内补跑。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="运行一轮后退出（有失败时退出码为 1）")
        parser.add_argument("--job", action="append", dest="jobs", metavar="NAME", help="只运行该任务（可重复）")
        parser.add_argument("--at", type=moment, default=None, help="按该时刻运行一轮（ISO 8601，仅与 --once 合用）")
        parser.add_argument("--retry", action="store_true", help="立即重试失败的周期（不计退避与次数上限）")
        parser.add_argument("--start-delay", type=float, default=None,
                            help=f"第一轮前等待的秒数（循环运行时默认 {START_DELAY_S:.0f}，--once 时默认 0）")
        parser.add_argument("--list", action="store_true", help="列出任务及其状态，不运行")
        parser.add_argument("--metrics-addr", default=None, metavar="HOST:PORT",
                            help="在 http://HOST:PORT/metrics 提供 Prometheus 指标（默认不提供）")

    def _serve_metrics(self, address: str | None) -> None:
        """Serve the runner's metrics at ``http://address/metrics`` (``--metrics-addr``; None: not at all)."""
        if not address:
            return
        try:
            host, port = serve_metrics(address)
        except (ValueError, OSError) as exc:
            raise CommandError(f"--metrics-addr: {exc}") from exc
        log.info("jobs: metrics at http://%s:%d/metrics", host, port)

    def handle(self, *args: Any, **options: Any) -> None:
        runner = Runner(names=options["jobs"], retry_now=options["retry"])
        try:
            selected = runner.selected()
        except UnknownJob as exc:
            known = ", ".join(job.name for job in registry.jobs())
            raise CommandError(f"no job named {exc.args[0]!r}; known: {known}") from exc
        if options["list"]:
            names = {job.name for job in selected}
            for status in overview(options["at"]):
                if status.job.name in names:
                    last = status.last_run
                    ran = f"{last.period_start.astimezone(SHANGHAI):%Y-%m-%d %H:%M} {last.state}" if last else "-"
                    self.stdout.write(f"{status.job.name}\t{status.job.period}\t{status.label}\t{ran}")
            return
        if options["at"] is not None and not options["once"]:
            raise CommandError("--at runs one round: use it with --once")
        self._serve_metrics(options["metrics_addr"])
        delay = options["start_delay"]
        time.sleep(delay if delay is not None else (0.0 if options["once"] else START_DELAY_S))
        while True:
            try:
                outcomes = runner.run_due(options["at"])
            except DatabaseError:
                log.exception("jobs: the round failed; the next one tries again")
                outcomes = []
            if options["once"]:  # the loop only logs (core.jobs), so a long-running runner does not say it twice
                for outcome in outcomes:
                    self.stdout.write(outcome.line())
                failed = [outcome.job for outcome in outcomes if outcome.state == JobRunState.FAILED]
                if failed:
                    raise CommandError(f"{len(failed)} job run(s) failed: {', '.join(failed)}")
                return
            time.sleep(60.5 - time.time() % 60)  # the start of the next minute, when minutely periods begin
            close_old_connections()  # a connection the database dropped meanwhile is replaced, not reused
