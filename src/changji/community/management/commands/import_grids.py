"""``changji import_grids <township_code> <department> <file.geojson>``: one department's grids of a street/town.

Thin: the work (validation, all-or-nothing import, idempotent re-import) is in
``community.grids.service.import_departmental_grids``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from changji.community.grids.service import import_departmental_grids
from changji.core.models import Region
from changji.core.uploads import UploadError, read_json_file


class Command(BaseCommand):
    help = "导入一个部门的网格（GeoJSON FeatureCollection，要素需有 properties.id 或 code 及 name），全部有效才写入。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("township_code", help="街道（乡镇）区划代码，9 位")
        parser.add_argument("department", help="部门名称，如 综治、城管、民政")
        parser.add_argument("path", help="GeoJSON 文件路径")

    def handle(self, *args: Any, **options: Any) -> None:
        township = Region.objects.filter(code=options["township_code"]).first()
        if township is None:
            raise CommandError(f"未找到区划 {options['township_code']}")
        try:
            data = read_json_file(Path(options["path"]))  # size-capped; bad encoding or nesting is one message
        except UploadError as error:
            raise CommandError(str(error)) from error
        try:
            result = import_departmental_grids(township, options["department"], data)
        except ValueError as error:
            raise CommandError(str(error)) from error
        if not result.ok:
            raise CommandError(str(result))
        self.stdout.write(str(result))
