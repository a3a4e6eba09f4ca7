"""``changji community jobs [--once]`` and ``changji community seed``.

``jobs``: the recurring work, once a minute — wish claims past their time limit unlock; the yellow
and red deadline lights of open resident issues are logged (``community.jobs``).
``seed``: create the default issue categories and points rules that are missing (a new installation
runs it once; local edits to existing rows are kept).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from changji.community.issues.categories import seed_categories
from changji.community.jobs import run_jobs
from changji.community.points import seed_rules


class Command(BaseCommand):
    help = "网格化社区治理的定时任务：微心愿认领超时解锁、诉求时限预警。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("task", choices=["jobs", "seed"])
        parser.add_argument("--once", action="store_true", help="只运行一次")
        parser.add_argument("--interval", type=float, default=60.0, help="间隔秒数")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["task"] == "seed":
            categories = seed_categories()
            rules = seed_rules()
            self.stdout.write(f"issue categories: {len(categories)}; points rules created: {rules}")
            return
        while True:
            result = run_jobs(timezone.now())
            if options["once"]:
                self.stdout.write(f"unlocked {result.claims_unlocked}, yellow {result.yellow}, red {result.red}")
                return
            time.sleep(options["interval"])
