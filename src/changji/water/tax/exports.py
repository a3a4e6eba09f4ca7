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
from changji.core.exports import FormulaSafeWorkbook, active_worksheet, append_row, workbook_bytes
from changji.water.tax.statement import TaxStatement, UserStatement, WellLine

USER_COLUMNS = ["取水户编号", "取水户名称", "所属区划", "机井数", "年度计划(m³)", "期初已用(m³)", "本期认定水量(m³)",
                "计划内(m³)", "超计划(m³)", "应纳税额(元)", "说明"]
WELL_COLUMNS = ["取水户编号", "取水户名称", "机井编号", "机井名称", "许可证号", "水源", "用途", "区域",
                "水表起码(m³)", "水表止码(m³)", "电表起码(kWh)", "电表止码(kWh)", "计量水量(m³)", "以电折水(m³)",
                "认定水量(m³)", "计划内(m³)", "超计划(m³)", "税额(元/m³)", "超计划倍数", "限额内免征",
                "计划内税额(元)", "超计划税额(元)", "应纳税额(元)", "说明"]


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


def _heading(sheet: Any, statement: TaxStatement) -> None:
    append_row(sheet, [statement.title])
    generated = localtime.local_day(statement.generated_at)
    at = statement.generated_at.astimezone(localtime.SHANGHAI)
    append_row(sheet, [f"区划：{statement.region.name}（{statement.region.code}）",
                       f"计征期：{statement.first:%Y-%m-%d} 至 {statement.last:%Y-%m-%d}",
                       f"生成时间：{generated:%Y-%m-%d} {at:%H:%M:%S}（北京时间）"])
    sheet["A1"].font = Font(bold=True, size=13)


def to_xlsx(statement: TaxStatement) -> bytes:
    """The workbook for the tax office: 取水户 and 机井明细, with title, generation time and totals."""
    book = FormulaSafeWorkbook()
    users = active_worksheet(book)
    users.title = "取水户"
    _heading(users, statement)
    append_row(users, USER_COLUMNS)
    for user in statement.users:
        append_row(users, user_row(user))
    totals = statement.totals
    append_row(users, ["合计", "", "", totals["wells"], "", "", _n(totals["counted_m3"]), _n(totals["within_m3"]),
                       _n(totals["over_m3"]), _n(totals["amount_yuan"]), ""])
    wells = book.create_sheet("机井明细")
    _heading(wells, statement)
    append_row(wells, WELL_COLUMNS)
    for user in statement.users:
        for line in user.lines:
            append_row(wells, well_row(user, line))
    append_row(wells, ["合计", "", totals["wells"], *[""] * 11, _n(totals["counted_m3"]), _n(totals["within_m3"]),
                       _n(totals["over_m3"]), "", "", "", "", "", _n(totals["amount_yuan"]), ""])
    for sheet in (users, wells):
        for cell in sheet[3]:
            cell.font = Font(bold=True)
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    return workbook_bytes(book)


def file_name(statement: TaxStatement, water_user_code: str | None = None) -> str:
    who = f"-{water_user_code}" if water_user_code else ""
    return f"water-tax-{statement.region.code}{who}-{statement.period}-{statement.first:%Y%m%d}.xlsx"
