"""``changji services jobs``: replaced by ``changji jobs``, which runs every app's recurring jobs.

Kept only to say so: the service centre's jobs (``services.claims.release``, ``services.deadlines.warn``)
are registered in ``services/jobs.py`` and run by ``changji jobs [--job NAME]`` (``core.jobs``).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

REPLACED = ("`changji services jobs` is replaced by `changji jobs`, which runs every app's recurring jobs "
            "(`changji jobs --list` names them; `--job services.claims.release` runs one)")


class Command(BaseCommand):
    help = "已由 changji jobs 取代：一件事一次办的定时任务随各应用任务统一运行。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("task", choices=["jobs"])
        parser.add_argument("--once", action="store_true", help="ignored (jobs is replaced by changji jobs)")

    def handle(self, *args: Any, **options: Any) -> None:
        raise CommandError(REPLACED)
