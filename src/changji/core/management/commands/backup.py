"""``changji backup DEST [--keep N]``: back up the database and the data folder's files (``core.backups``)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from changji.core.backups import retention
from changji.core.backups.errors import BackupError
from changji.core.backups.service import create_backup


class Command(BaseCommand):
    help = ("Back up the database (online, consistent) and every file of MEDIA_ROOT into a new folder "
            "changji-YYYYMMDDTHHMMSSZ under DEST, with manifest.json; keep the newest N backups.")
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("destination", metavar="DEST", type=Path, help="the folder that holds the backups")
        parser.add_argument("--keep", type=int, default=retention.DEFAULT_KEEP,
                            help=f"complete backups to keep, the new one included (default {retention.DEFAULT_KEEP})")

    def handle(self, *args, **options):
        try:
            result = create_backup(options["destination"], options["keep"])
        except BackupError as exc:
            raise CommandError(exc.message) from exc
        manifest = result.manifest
        self.stdout.write(
            f"backup {result.path}\n"
            f"  snapshot point {manifest.snapshot_point} (UTC); every reading acknowledged before it is included\n"
            f"  database {manifest.database_vendor}: {sum(manifest.row_counts.values())} rows in "
            f"{len(manifest.row_counts)} tables; {len(manifest.files) - 1} media files; "
            f"{manifest.total_bytes} bytes in all"
            + (f"\n  archive tables: {', '.join(manifest.archive_tables)}" if manifest.archive_tables else "")
            + (f"\n  deleted old backups: {', '.join(result.deleted)}" if result.deleted else "")
        )
