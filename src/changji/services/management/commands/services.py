"""``changji services jobs [--once]``: the service centre's recurring work, once a minute.

Sub-cases claimed but not acted on for ``--claim-timeout-hours`` (default 24) go back to their
department's inbox; the yellow and red deadline warnings are logged. Thin: the work is in ``services.jobs``.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from changji.services.jobs import overdue_warnings, release_stale_claims

log = logging.getLogger("changji.services.jobs")


class Command(BaseCommand):
    help = "一件事一次办的定时任务：超时认领退回、时限预警。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("task", choices=["jobs"])
        parser.add_argument("--once", action="store_true", help="只运行一次")
        parser.add_argument("--interval", type=float, default=60.0, help="间隔秒数")
        parser.add_argument("--claim-timeout-hours", type=float, default=24.0,
                            help="认领后超过该小时数未办理即退回部门待认领（默认 24）")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            now = timezone.now()
            released = release_stale_claims(now, timedelta(hours=options["claim_timeout_hours"]))
            warnings = overdue_warnings(timezone.localdate(now))
            log.info("services jobs: %d claims released, %d deadline warnings", released, len(warnings))
            if options["once"]:
                self.stdout.write(f"released {released}, warnings {len(warnings)}")
                return
            time.sleep(options["interval"])
