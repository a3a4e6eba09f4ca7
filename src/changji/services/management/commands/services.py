"""``changji services import-catalogue FILE.xlsx [--dry-run]`` and ``changji services export-catalogue FILE.xlsx``.

The whole catalogue (departments, materials, items, bundles) as one workbook (``services.catalogue_io``): an
import is all or nothing; on any problem it changes nothing, prints every row error (sheet, row, column, message)
and exits non-zero. ``--dry-run`` checks and counts without saving.

``changji services jobs`` is replaced by ``changji jobs``, which runs every app's recurring jobs; it stays only
to say so (the service centre's jobs are registered in ``services/jobs.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from changji.core.uploads import MAX_UPLOAD_BYTES, UploadError, check_size
from changji.services import catalogue_io

REPLACED = ("`changji services jobs` is replaced by `changji jobs`, which runs every app's recurring jobs "
            "(`changji jobs --list` names them; `--job services.claims.release` runs one)")


class Command(BaseCommand):
    help = "一件事一次办：事项目录的导入（import-catalogue）与导出（export-catalogue）。"

    def add_arguments(self, parser: CommandParser) -> None:
        tasks = parser.add_subparsers(dest="task", required=True, parser_class=CommandParser)
        jobs = tasks.add_parser("jobs", help="replaced by `changji jobs`")
        jobs.add_argument("--once", action="store_true", help="ignored (jobs is replaced by changji jobs)")
        load = tasks.add_parser("import-catalogue", help="import the catalogue workbook (all or nothing)")
        load.add_argument("file", type=Path, help="the .xlsx workbook")
        load.add_argument("--dry-run", action="store_true", help="check and count, save nothing")
        save = tasks.add_parser("export-catalogue", help="export the whole catalogue as a workbook")
        save.add_argument("file", type=Path, help="the .xlsx file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        task = options["task"]
        if task == "jobs":
            raise CommandError(REPLACED)
        if task == "export-catalogue":
            self._export(options["file"])
        else:
            self._import(options["file"], options["dry_run"])

    def _export(self, path: Path) -> None:
        content = catalogue_io.export_catalogue()
        try:
            path.write_bytes(content)
        except OSError as error:
            raise CommandError(f"无法写入 {path}：{error.strerror or error}") from error
        self.stdout.write(f"已导出事项目录 / catalogue exported: {path} ({len(content)} bytes)")

    def _import(self, path: Path, dry_run: bool) -> None:
        try:
            check_size(path.stat().st_size, MAX_UPLOAD_BYTES)
            content = path.read_bytes()
        except UploadError as error:
            raise CommandError(f"{path}：{error}") from error
        except OSError as error:
            raise CommandError(f"无法读取 {path}：{error.strerror or error}") from error
        result = catalogue_io.import_catalogue(content, None, dry_run=dry_run)
        if result.errors:
            for problem in catalogue_io.shown_errors(result.errors):
                self.stderr.write(str(problem))
            raise CommandError(f"{result.summary()} / {result.english()}")
        self.stdout.write(result.summary())
        self.stdout.write(result.english())
