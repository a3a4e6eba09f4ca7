"""``changji restore SRC``: restore one backup folder into an empty database and data folder (``core.backups``)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from changji.core.backups.errors import BackupError
from changji.core.backups.service import restore_backup


class Command(BaseCommand):
    help = ("Restore the backup folder SRC (made by `changji backup`) into the empty database of DATABASE_URL and "
            "the empty data folder; every checksum is verified first, and nothing changes if one fails.")
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("source", metavar="SRC", type=Path, help="one backup folder changji-YYYYMMDDTHHMMSSZ")

    def handle(self, *args, **options):
        try:
            result = restore_backup(options["source"])
        except BackupError as exc:
            raise CommandError(exc.message) from exc
        manifest = result.manifest
        self.stdout.write(
            f"restored {options['source']} (platform {manifest.platform_version}, snapshot point "
            f"{manifest.snapshot_point} UTC)\n"
            f"  database {manifest.database_vendor} {result.database}: {sum(manifest.row_counts.values())} rows in "
            f"{len(manifest.row_counts)} tables, every count equal to the manifest's\n"
            f"  media files: {result.media_files}\n"
            "next: run `changji migrate` (nothing to do on the same release), then start the services"
        )
