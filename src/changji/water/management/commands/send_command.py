"""``changji send_command ADDRESS KIND --reason TEXT``: queue a command for a terminal."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from changji.water.downlink import queue_command
from changji.water.models import CommandKind, Terminal


class Command(BaseCommand):
    help = "Queue a downlink command (pump stop/start, quota control, set clock, query) for a terminal."

    def add_arguments(self, parser):
        parser.add_argument("address")
        parser.add_argument("kind", choices=CommandKind.values)
        parser.add_argument("--reason", required=True, help="why (kept in the audit log)")
        parser.add_argument("--by", default="cli", help="who asks (name for the audit log)")

    def handle(self, *args, **options):
        terminal = Terminal.objects.filter(address=options["address"].upper()).first()
        if terminal is None:
            raise CommandError(f"no registered terminal has address {options['address']}")
        try:
            command = queue_command(terminal, options["kind"], options["reason"], options["by"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"queued {command.kind} for {terminal.address}: {command.pk} (expires {command.expires_at})")
