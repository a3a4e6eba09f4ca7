"""``changji readings ADDRESS``: print a terminal's stored readings."""

from __future__ import annotations

import json
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from changji.water.protocols.reading import CANONICAL_FIELDS
from changji.water.readings import UnknownTerminalError, terminal_readings


def _aware(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    help = "Print the stored readings of the terminal with ADDRESS (one JSON object a line with --json)."

    def add_arguments(self, parser):
        parser.add_argument("address", help="10 hex digits")
        parser.add_argument("--since", type=_aware, help="ISO 8601; a time without offset is Asia/Shanghai")
        parser.add_argument("--json", action="store_true", help="one JSON object per line")

    def handle(self, *args, **options):
        try:
            rows = terminal_readings(options["address"], options["since"])
            for row in rows:
                if options["json"]:
                    self.stdout.write(json.dumps(row, ensure_ascii=False))
                else:
                    values = "  ".join(f"{k}={row[k]}" for k in CANONICAL_FIELDS if row[k] is not None)
                    self.stdout.write(f"{row['observed_at']}  {values}")
        except UnknownTerminalError as exc:
            raise CommandError(str(exc)) from exc
