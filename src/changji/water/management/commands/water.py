"""``changji water <task>``: the water app's maintenance tasks.

``changji water rebuild [--from DATE]`` recomputes everything derived from readings (daily usage
and its sums), idempotently: running it twice gives the same rows. ``changji water derive [--once]``
follows new and late readings (the recurring jobs are ``changji jobs``); with ``--metrics-addr HOST:PORT`` it serves
its Prometheus metrics (frames taken, pass duration, lag). ``changji water share-snapshot [--from
DATE]`` writes the registry and the figures since a day to the exchange outbox, for a newly connected upstream.
``changji water import-licences FILE.xlsx`` imports 取水许可证 as the system actor "cli" (the whole instance in
scope): it prints the summary, or the row problems and exits 1 with nothing changed. ``changji water partitions
[--ensure] [--list] [--detach YYYY-MM] [--attach YYYY-MM]`` keeps the monthly partitions of readings and raw frames
(PostgreSQL, ``water.partitions``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from changji.core.localtime import local_day
from changji.core.metrics import serve_metrics
from changji.core.models import Region
from changji.core.regions import root
from changji.core.uploads import UploadError, check_size
from changji.water import partitions
from changji.water.coefficients.calibration import estimate_all
from changji.water.kpi.terminal_days import rebuild_terminal_days
from changji.water.licences.xlsx import import_licences
from changji.water.models import Terminal, Well
from changji.water.plans.xlsx import import_plans
from changji.water.reports import generate_report
from changji.water.sharing.snapshot import queue_snapshot
from changji.water.usage.derive import follow, rebuild_usage


class Command(BaseCommand):
    help = "Water app tasks: rebuild (recompute derived figures from readings), derive (follow new readings)."

    def add_arguments(self, parser):
        tasks = parser.add_subparsers(dest="task", required=True)
        rebuild = tasks.add_parser("rebuild", help="recompute daily usage (and sums) from readings")
        rebuild.add_argument("--from", dest="since", type=date.fromisoformat, default=None,
                             help="first local day to recompute (YYYY-MM-DD); default: everything")
        rebuild.add_argument("--well", action="append", default=[], help="well code (repeatable); default: all")
        estimate = tasks.add_parser("estimate-coefficients", help="estimate each well's 以电折水 coefficient")
        estimate.add_argument("--until", type=date.fromisoformat, default=None, help="last day (default: yesterday)")
        estimate.add_argument("--window-days", type=int, default=90)
        report = tasks.add_parser("report", help="generate a month, quarter or year report (XLSX or CSV)")
        report.add_argument("--period", choices=["month", "quarter", "year"], default="month")
        report.add_argument("--at", type=date.fromisoformat, required=True, help="any day in the period")
        report.add_argument("--region", default=None, help="GB/T 2260 code (default: the instance's root region)")
        report.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
        licences = tasks.add_parser("import-licences", help="import 取水许可证 from an XLSX workbook (all or nothing)")
        licences.add_argument("file", help="XLSX workbook with the sheet 取水许可证")
        derive = tasks.add_parser("derive", help="follow new and late readings and update derived figures")
        derive.add_argument("--once", action="store_true", help="one pass, then exit")
        derive.add_argument("--interval", type=float, default=10.0, help="seconds between passes when idle")
        derive.add_argument("--metrics-addr", default=None, metavar="HOST:PORT",
                            help="serve Prometheus metrics at http://HOST:PORT/metrics (default: none)")
        plans = tasks.add_parser("import-plans", help="import annual plans (年度取水计划) from an XLSX workbook")
        plans.add_argument("file", help="XLSX file with the sheet 年度取水计划")
        parts = tasks.add_parser("partitions", help="monthly partitions of readings and raw frames (PostgreSQL)")
        parts.add_argument("--ensure", action="store_true", help="create the coming months' partitions")
        parts.add_argument("--months-ahead", type=int, default=partitions.MONTHS_AHEAD)
        parts.add_argument("--list", action="store_true", help="list the partitions and archive tables")
        parts.add_argument("--detach", metavar="YYYY-MM", help="detach a closed, sealed month for archive")
        parts.add_argument("--attach", metavar="YYYY-MM", help="attach an archived month's tables again")
        snapshot = tasks.add_parser("share-snapshot",
                                    help="write the registry and the figures since a day to the outbox (上报全量)")
        snapshot.add_argument("--from", dest="since", type=date.fromisoformat, default=None,
                              help="first local day of usage, alarms and KPIs (default: 30 days ago)")
        snapshot.add_argument("--stream", action="append", default=[], choices=["registry", "usage", "alarms", "kpi"],
                              help="stream (repeatable); default: all four")

    def handle(self, *args, **options):
        if options["task"] == "rebuild":
            wells = Well.objects.filter(code__in=options["well"]) if options["well"] else None
            if options["well"] and not wells.exists():
                raise CommandError(f"no well with code {', '.join(options['well'])}")
            rows = rebuild_usage(options["since"], wells)
            terminals = Terminal.objects.filter(well__in=wells) if wells is not None else None
            counted = rebuild_terminal_days(options["since"], terminals)
            self.stdout.write(f"rebuilt {rows} daily usage row(s) and {counted} terminal-day row(s)")
        elif options["task"] == "estimate-coefficients":
            until = options["until"] or local_day(timezone.now()) - timedelta(days=1)
            wells = estimate_all(until, options["window_days"])
            self.stdout.write(f"estimated coefficients for {wells} well(s) up to {until}")
        elif options["task"] == "report":
            code = options["region"] or root()
            region = Region.objects.filter(code=code).first()
            if region is None:
                raise CommandError(f"no region with code {code}")
            report = generate_report(options["period"], options["at"], region, options["format"], by="cli")
            self.stdout.write(report.file.path)
        elif options["task"] == "import-licences":
            self._import(import_licences, options["file"])
        elif options["task"] == "derive":
            self._derive(options)
        elif options["task"] == "import-plans":
            self._import(import_plans, options["file"])
        elif options["task"] == "partitions":
            self._partitions(options)
        elif options["task"] == "share-snapshot":
            since = options["since"] or local_day(timezone.now()) - timedelta(days=30)
            counts = queue_snapshot(since, options["stream"] or ("registry", "usage", "alarms", "kpi"))
            self.stdout.write("outbox: " + ", ".join(f"{name} {n}" for name, n in counts.items()))

    def _derive(self, options: dict[str, Any]) -> None:
        """Follow new readings; with ``--metrics-addr``, serve the loop's metrics (``usage.derive``) meanwhile."""
        if options["metrics_addr"]:
            try:
                serve_metrics(options["metrics_addr"])
            except (ValueError, OSError) as exc:
                raise CommandError(f"--metrics-addr: {exc}") from exc
        follow(options["interval"], once=options["once"])

    def _partitions(self, options: dict[str, Any]) -> None:
        """Ensure, detach or attach as asked, then list when asked (or when nothing else was)."""
        if not partitions.supported():
            raise CommandError("分区是 PostgreSQL 的功能；当前数据库未分区")
        try:
            if options["ensure"]:
                self.stdout.write(f"ensure: {partitions.ensure(options['months_ahead'], actor='cli')}")
            if options["detach"]:
                self.stdout.write(f"detached: {partitions.detach(partitions.parse_month(options['detach']), 'cli')}")
            if options["attach"]:
                self.stdout.write(f"attached: {partitions.attach(partitions.parse_month(options['attach']), 'cli')}")
        except partitions.PartitionError as error:
            raise CommandError(error.message) from error
        if options["list"] or not (options["ensure"] or options["detach"] or options["attach"]):
            for part in partitions.list_partitions():
                month = f"{part.month:%Y-%m}" if part.month else "default"
                state = "attached" if part.attached else "DETACHED"
                self.stdout.write(f"{part.name:28} {month:8} {state:9} ~{part.rows_estimate:>12} rows"
                                  f" {part.size_bytes / 1e6:10.1f} MB")

    def _import(self, importer: Callable[[bytes, str], Any], name: str) -> None:
        """Import a workbook as the system actor "cli": all rows or none; row problems on stderr and exit status 1."""
        path = Path(name)
        try:
            check_size(path.stat().st_size)
            result = importer(path.read_bytes(), "cli")
        except OSError as error:
            raise CommandError(f"无法读取文件 {name}：{error.strerror or error}") from error
        except UploadError as error:
            raise CommandError(str(error)) from error
        if result.errors:
            for line in result.errors:
                self.stderr.write(line)
            raise CommandError(f"导入未执行：{len(result.errors)} 个问题，未作任何更改")
        self.stdout.write(result.summary())
