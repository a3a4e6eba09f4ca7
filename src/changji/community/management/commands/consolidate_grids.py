"""``changji consolidate_grids <township_code> <plan.json>``: merge departmental grids into unified grids.

The plan maps each new grid code to its name, community and the departmental grids it merges::

    {"652328101001001": {"name": "新区第一网格", "community": "652328101001",
                         "departmental": [["综治", "Z1"], ["城管", "C1"]]}}

Then every compound and building of the street/town is placed in its grid by point-in-grid (households
and residents follow their building), and the coverage report (gaps, overlaps) is printed. Thin: the
work is in ``community.grids.service`` (``consolidate_into``, ``assign_to_grids``, ``coverage_for``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from changji.community.grids.service import assign_to_grids, consolidate_into, coverage_for
from changji.community.models import Building, Compound
from changji.core.models import Region, RegionLevel
from changji.core.uploads import UploadError, read_json_file


def read_plan(path: Path) -> dict[str, tuple[str, str, list[list[str]]]]:
    """The plan file as ``consolidate_into`` takes it; CommandError naming the entry at fault."""
    try:
        raw = read_json_file(path)  # size-capped; bad encoding or nesting is one message
    except UploadError as error:
        raise CommandError(str(error)) from error
    if not isinstance(raw, dict) or not raw:
        raise CommandError("合并方案应为以新网格代码为键的 JSON 对象")
    plan = {}
    for code, entry in raw.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("departmental"), list):
            raise CommandError(f"网格 {code}：应有 name、community 和 departmental（[[部门, 原网格编号], …]）")
        keys = entry["departmental"]
        if not keys or not all(isinstance(key, list) and len(key) == 2 for key in keys):
            raise CommandError(f"网格 {code}：departmental 应为非空的 [[部门, 原网格编号], …]")
        plan[str(code)] = (str(entry.get("name", "")), str(entry.get("community", "")), keys)
    return plan


class Command(BaseCommand):
    help = "按合并方案把部门网格合并为统一网格，归属小区和楼栋，并输出覆盖检查（缝隙、交叉）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("township_code", help="街道（乡镇）区划代码，9 位")
        parser.add_argument("path", help="合并方案 JSON 文件路径")

    def handle(self, *args: Any, **options: Any) -> None:
        township = Region.objects.filter(code=options["township_code"], level=RegionLevel.TOWNSHIP).first()
        if township is None:
            raise CommandError(f"未找到街道（乡镇）{options['township_code']}")
        plan = read_plan(Path(options["path"]))
        try:
            with transaction.atomic():
                grids = consolidate_into(township, plan)
                compounds = assign_to_grids(Compound.objects.all(), township)
                buildings = assign_to_grids(Building.objects.all(), township)
        except ValueError as error:
            raise CommandError(str(error)) from error
        report = coverage_for(township)
        self.stdout.write(f"统一网格 {len(grids)} 个；小区入格 {compounds.assigned}、格外 {compounds.unmatched}；"
                          f"楼栋入格 {buildings.assigned}、格外 {buildings.unmatched}")
        self.stdout.write(f"覆盖检查：{'通过' if report.ok else '未通过'}；缝隙 {report.gap_area_m2:.0f} 平方米，"
                          f"交叉 {report.overlap_area_m2:.0f} 平方米，边界外 {report.outside_area_m2:.0f} 平方米")
