"""The visit log and the care list as XLSX workbooks (``core.exports``: formula-like text is neutralised)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.styles import Font

from changji.community.models import Visit
from changji.core.exports import FormulaSafeWorkbook, active_worksheet, append_row, workbook_bytes
from changji.core.localtime import SHANGHAI

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VISIT_HEADERS = ("走访时间", "网格", "走访户或小区", "类别", "走访人", "走访事由", "情况记录", "后续跟进", "跟进期限",
                 "跟进完成", "转为诉求")
CARE_HEADERS = ("网格", "户", "关爱类别", "走访周期（天）", "责任网格员", "上次走访", "下次应访", "超期天数")


def _sheet(book: FormulaSafeWorkbook, title: str, headers: Iterable[str]) -> Any:
    sheet = active_worksheet(book)
    sheet.title = title
    append_row(sheet, headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    return sheet


def _day(value: Any) -> str:
    return f"{value:%Y-%m-%d}" if value else ""


def visits_workbook(visits: Iterable[Visit]) -> bytes:
    """The visit log (sheet 走访记录), one row per visit, times in Asia/Shanghai."""
    book = FormulaSafeWorkbook()
    sheet = _sheet(book, "走访记录", VISIT_HEADERS)
    for visit in visits:
        household = visit.household
        place = (f"{household.building.compound.name} {household.building.name} {household.door}" if household
                 else visit.compound.name if visit.compound else "")
        append_row(sheet, [f"{visit.visited_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}", visit.region.name, place,
                           visit.get_kind_display(), visit.visitor_name, visit.topic, visit.notes, visit.follow_up,
                           _day(visit.follow_up_due_on), _day(visit.follow_up_done_on),
                           visit.issue.request_id if visit.issue else ""])
    return workbook_bytes(book)


def care_workbook(rows: Iterable[dict[str, Any]]) -> bytes:
    """The care list (sheet 关爱户): rows of ``web.visits._care_row`` (a CareRow with its place and tag names)."""
    book = FormulaSafeWorkbook()
    sheet = _sheet(book, "关爱户", CARE_HEADERS)
    for item in rows:
        row = item["row"]
        append_row(sheet, [row.entry.region.name, item["place"], item["tags"], row.entry.visit_every_days,
                           row.worker_name, _day(row.last_visit), _day(row.next_due), row.overdue_days])
    return workbook_bytes(book)
