"""``changji community seed`` (and ``jobs``, replaced by ``changji jobs``).

``jobs`` only says that ``changji jobs`` runs the community's recurring jobs now (registered in
``community/jobs.py``: wish claims past their time limit unlock, issue deadline lights are logged).
``seed``: create the default issue categories and points rules that are missing (a new installation
runs it once; local edits to existing rows are kept).
``import-outlines FILE.geojson``: compound and building outlines, all or nothing
(``community.grids.outline_register.import_outlines``); ``export-outlines [-o FILE]``: the same format back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from changji.community.grids.outline_register import export_outlines, import_outlines
from changji.community.issues.categories import seed_categories
from changji.community.points import seed_rules
from changji.core.uploads import UploadError, read_json_file

REPLACED = ("`changji community jobs` is replaced by `changji jobs`, which runs every app's recurring jobs "
            "(`changji jobs --list` names them; `--job community.wishes.unlock` runs one)")


class Command(BaseCommand):
    help = ("网格化社区治理：seed 补齐默认诉求类别与积分规则；import-outlines / export-outlines 导入导出小区与楼栋轮廓"
            "（GeoJSON）（定时任务已由 changji jobs 统一运行）。")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("task", choices=["jobs", "seed", "import-outlines", "export-outlines"])
        parser.add_argument("path", nargs="?", help="import-outlines：GeoJSON 文件路径")
        parser.add_argument("-o", "--output", help="export-outlines：写入的文件（默认输出到标准输出）")
        parser.add_argument("--once", action="store_true", help="ignored (jobs is replaced by changji jobs)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["task"] == "seed":
            categories = seed_categories()
            rules = seed_rules()
            self.stdout.write(f"issue categories: {len(categories)}; points rules created: {rules}")
            return
        if options["task"] == "import-outlines":
            self._import_outlines(options["path"])
            return
        if options["task"] == "export-outlines":
            text = json.dumps(export_outlines(), ensure_ascii=False)
            if options["output"]:
                Path(options["output"]).write_text(text, encoding="utf-8")
            else:
                self.stdout.write(text)
            return
        raise CommandError(REPLACED)

    def _import_outlines(self, path: str | None) -> None:
        """Read the file (size-capped) and import it; any bad feature is a CommandError naming it."""
        if not path:
            raise CommandError("请给出 GeoJSON 文件路径：changji community import-outlines FILE.geojson")
        try:
            data = read_json_file(Path(path))
        except UploadError as error:
            raise CommandError(str(error)) from error
        result = import_outlines(data)
        if not result.ok:
            raise CommandError(str(result))
        self.stdout.write(str(result))
