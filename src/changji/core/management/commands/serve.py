"""``changji serve``: the platform under gunicorn, for production (``core.serving``).

It refuses to start (exit status 1, nothing served) when DEBUG is on, when ``DJANGO_SECRET_KEY`` is unset or the
demo's key, or when ``DJANGO_ALLOWED_HOSTS`` is unset, unless ``--demo`` says this is the demo. Then it collects the
static files (whitenoise serves them from ``STATIC_ROOT``), empties the multiprocess metrics directory and sets
``PROMETHEUS_MULTIPROC_DIR`` (issue 19's shared contract 1), and replaces itself with gunicorn's master
(``python -m changji.core.serving``, same process id). Thin: the work is ``core.serving``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from changji.core import serving


class Command(BaseCommand):
    help = "用 gunicorn 运行平台（生产）：检查设置、收集静态文件，然后启动 gunicorn（gthread 工作进程）。"

    def add_arguments(self, parser: CommandParser) -> None:
        serving.add_arguments(parser)
        parser.add_argument("--demo", action="store_true",
                            help="serve the demo (its published key and default hosts; DEBUG allowed)")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["demo"]:
            reasons = serving.refusals(settings.DEBUG, os.environ, settings.DEMO_SECRET_KEY)
            if reasons:
                raise CommandError("refusing to serve in production:\n  - " + "\n  - ".join(reasons)
                                   + "\n(set them in the environment, see deploy/changji.env.example;"
                                   " `changji serve --demo` serves the demo)")
        call_command("collectstatic", interactive=False, verbosity=0)
        metrics_dir = serving.prepare_metrics_dir(os.environ, settings.DATA_DIR)
        os.environ[serving.METRICS_DIR_VARIABLE] = str(metrics_dir)
        argv = [sys.executable, "-m", "changji.core.serving", *serving.serving_argv(options)]
        self.stdout.write(f"Serving on http://{options['addr']}/ with gunicorn (metrics in {metrics_dir})")
        self.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, argv)
