"""``changji community seed`` (and ``jobs``, replaced by ``changji jobs``).

``jobs`` only says that ``changji jobs`` runs the community's recurring jobs now (registered in
``community/jobs.py``: wish claims past their time limit unlock, issue deadline lights are logged).
``seed``: create the default issue categories and points rules that are missing (a new installation
runs it once; local edits to existing rows are kept).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from changji.community.issues.categories import seed_categories
from changji.community.points import seed_rules

REPLACED = ("`changji community jobs` is replaced by `changji jobs`, which runs every app's recurring jobs "
            "(`changji jobs --list` names them; `--job community.wishes.unlock` runs one)")


class Command(BaseCommand):
    help = "网格化社区治理：seed 补齐默认诉求类别与积分规则（定时任务已由 changji jobs 统一运行）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("task", choices=["jobs", "seed"])
        parser.add_argument("--once", action="store_true", help="ignored (jobs is replaced by changji jobs)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["task"] == "seed":
            categories = seed_categories()
            rules = seed_rules()
            self.stdout.write(f"issue categories: {len(categories)}; points rules created: {rules}")
            return
        raise CommandError(REPLACED)
