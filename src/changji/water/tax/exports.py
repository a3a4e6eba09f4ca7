"""The tax statement as rows and as the workbook for the tax office (XLSX through ``core.exports``).

The workbook has two sheets: 取水户 (one row per water user: plan, use before the period, the period's use split
at the plan, the amount) and 机井明细 (one row per well: 起止表码 of water and electricity, metered, 以电折水 and
counted volumes, within/over plan, zone, rate, amount). Each sheet starts with the title (region and period) and
the generation time in Asia/Shanghai, and ends with the totals. Amounts are numbers (yuan, 2 decimals).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from openpyxl.styles import Font

from changji.core import localtime
from changji.core.exports import FormulaSafeWorkbook, active_worksheet, put_cell, workbook_bytes
from changji.water.tax.statement import TaxStatement, UserStatement, WellLine

USER_COLUMNS = ["取水户编号", "取水户名称", "所属区划", "机井数", "年度计划(m³)", "期初已用(m³)", "本期认定水量(m³)",
                "计划内(m³)", "超计划(m³)", "应纳税额(元)", "说明"]
WELL_COLUMNS = ["取水户编号", "取水户名称", "机井编号", "机井名称", "许可证号", "水源", "用途", "区域",
                "水表起码(m³)", "水表止码(m³)", "电表起码(kWh)", "电表止码(kWh)", "计量水量(m³)", "以电折水(m³)",
                "认定水量(m³)", "计划内(m³)", "超计划(m³)", "税额(元/m³)", "超计划倍数", "限额内免征",
                "计划内税额(元)", "超计划税额(元)", "应纳税额(元)", "说明"]


class _Rows:
    """Writes a sheet row by row with ``core.exports.put_cell`` (formula-safe), counting the rows itself.

    ``core.exports.append_row`` asks openpyxl for ``max_row``, which scans every stored cell: over 10,000 well
    lines of 24 cells that made the year's workbook take minutes instead of seconds.
    """

    def __init__(self, sheet: Any) -> None:
        self.sheet, self.row = sheet, 0

    def add(self, values: list[Any], bold: bool = False) -> None:
        self.row += 1
        for column, value in enumerate(values, start=1):
            cell = put_cell(self.sheet, self.row, column, value)
            if bold:
                cell.font = Font(bold=True)


def _n(value: Decimal | float | None) -> float | str:
    """A figure for a cell: a number, or blank when unknown."""
    return "" if value is None else float(value)


def user_row(user: UserStatement) -> list[Any]:
    return [user.code, user.name, user.region_name, len(user.lines), _n(user.plan_m3), _n(user.used_before_m3),
            _n(user.counted_m3), _n(user.within_m3), _n(user.over_m3), _n(user.amount_yuan), "；".join(user.notes)]


def well_row(user: UserStatement, line: WellLine) -> list[Any]:
    r, labels = line.registers, line.labels
    rate = line.rate
    return [user.code, user.name, line.code, line.name, line.licence, labels["source"], labels["use"],
            labels["zone"], _n(r.start_volume_m3), _n(r.end_volume_m3), _n(r.start_energy_kwh), _n(r.end_energy_kwh),
            _n(line.metered_m3), _n(line.estimated_m3), _n(line.counted_m3), _n(line.within_m3), _n(line.over_m3),
            _n(rate.rate_yuan_per_m3) if rate else "", _n(rate.over_plan_multiplier) if rate else "",
            ("是" if rate.exempt_within_plan else "否") if rate else "", _n(line.tax.within_yuan),
            _n(line.tax.over_yuan), _n(line.tax.amount_yuan), "；".join(line.notes)]


def _heading(rows: _Rows, statement: TaxStatement, columns: list[str]) -> None:
    rows.add([statement.title])
    rows.sheet["A1"].font = Font(bold=True, size=13)
    at = statement.generated_at.astimezone(localtime.SHANGHAI)
    rows.add([f"区划：{statement.region.name}（{statement.region.code}）",
              f"计征期：{statement.first:%Y-%m-%d} 至 {statement.last:%Y-%m-%d}",
              f"生成时间：{at:%Y-%m-%d %H:%M:%S}（北京时间）"])
    rows.add(columns, bold=True)


def to_xlsx(statement: TaxStatement) -> bytes:
    """The workbook for the tax office: 取水户 and 机井明细, with title, generation time and totals."""
    book = FormulaSafeWorkbook()
    sheet = active_worksheet(book)
    sheet.title = "取水户"
    users = _Rows(sheet)
    _heading(users, statement, USER_COLUMNS)
    for user in statement.users:
        users.add(user_row(user))
    totals = statement.totals
    users.add(["合计", "", "", totals["wells"], "", "", _n(totals["counted_m3"]), _n(totals["within_m3"]),
               _n(totals["over_m3"]), _n(totals["amount_yuan"]), ""], bold=True)
    wells = _Rows(book.create_sheet("机井明细"))
    _heading(wells, statement, WELL_COLUMNS)
    for user in statement.users:
        for line in user.lines:
            wells.add(well_row(user, line))
    wells.add(["合计", "", totals["wells"], *[""] * 11, _n(totals["counted_m3"]), _n(totals["within_m3"]),
               _n(totals["over_m3"]), "", "", "", "", "", _n(totals["amount_yuan"]), ""], bold=True)
    return workbook_bytes(book)


def file_name(statement: TaxStatement, water_user_code: str | None = None) -> str:
    who = f"-{water_user_code}" if water_user_code else ""
    return f"water-tax-{statement.region.code}{who}-{statement.period}-{statement.first:%Y%m%d}.xlsx"
