"""XLSX export and import of 包联 (sheet 包联), all or nothing.

One row per attachment: where (区划代码 of the community or grid, 小区 by name), who (类别, 姓名或单位 — a unit
attachment names a co-building unit registered with that community), 职务, 联系电话, 开始日期, 结束日期, and
its duties on the four lists (one cell per list, duties separated by "；"). The import checks every row through
``liaisons.attach`` (scope, kind, unit, lengths) inside one transaction and rolls it all back when any row is
refused, listing every problem with its row number; a row that repeats an attachment already recorded (same
place, kind, name and start) is left unchanged. The export writes the same shape, so it imports again unchanged;
cells are written formula-safe (``core.exports``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db import transaction

from changji.community.models import AgreementList, CoBuildingUnit, Compound, Liaison, LiaisonKind
from changji.community.organisations import liaisons
from changji.community.organisations.errors import OrganisationError
from changji.core import audit
from changji.core.exports import FormulaSafeWorkbook, active_worksheet, put_cell, workbook_bytes
from changji.core.models import Region
from changji.core.uploads import ImportOutcome, ProblemList, UploadError, cell_problem, quoted, read_workbook

SHEET = "包联"
LIST_COLUMNS = {AgreementList.NEEDS: "需求清单", AgreementList.RESOURCES: "资源清单",
                AgreementList.PROJECTS: "项目清单", AgreementList.RESPONSIBILITIES: "责任清单"}
COLUMNS = ("区划代码", "小区", "类别", "姓名或单位", "职务", "联系电话", "开始日期", "结束日期",
           *LIST_COLUMNS.values())
KIND_CELLS = {str(label): value for value, label in LiaisonKind.choices}
DUTY_SEPARATOR = "；"
#: The column a refusal of ``liaisons`` names, by the field it names.
FIELD_COLUMNS = {"region": "区划代码", "compound": "小区", "kind": "类别", "name": "姓名或单位", "unit": "姓名或单位",
                 "title": "职务", "phone": "联系电话", "ends_on": "结束日期", "list_kind": "清单", "text": "职责内容"}


class ImportResult(ImportOutcome):
    """What a 包联 import did: attachments created and unchanged, or its problems."""

    noun = "条"


def export_liaisons(rows: Iterable[Liaison]) -> bytes:
    """The attachments (with ``duties`` and ``compound`` at hand) as a 包联 workbook that imports again unchanged."""
    book = FormulaSafeWorkbook()
    sheet = active_worksheet(book)
    sheet.title = SHEET
    for column, header in enumerate(COLUMNS, 1):
        put_cell(sheet, 1, column, header)
    for number, liaison in enumerate(rows, 2):
        duties = {kind: [d.text for d in liaison.duties.all() if d.list_kind == kind] for kind in LIST_COLUMNS}
        values = [liaison.region_id, liaison.compound.name if liaison.compound else "", liaison.get_kind_display(),
                  liaison.name, liaison.title, liaison.phone, liaison.starts_on.isoformat(),
                  liaison.ends_on.isoformat() if liaison.ends_on else "",
                  *(DUTY_SEPARATOR.join(duties[kind]) for kind in LIST_COLUMNS)]
        for column, value in enumerate(values, 1):
            put_cell(sheet, number, column, value)
    return workbook_bytes(book)


def _day(value: Any, label: str, required: bool) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = "" if value is None else str(value).strip()
    if not text:
        if required:
            raise OrganisationError(label, "不能为空")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise OrganisationError(label, f"应为日期（如 2026-03-01），实际为「{quoted(text, 30)}」") from None


def _cells(values: tuple[Any, ...], positions: dict[str, int]) -> dict[str, Any]:
    """The row's cells by header; a cell that is not text (or a date in a date column) is an ``OrganisationError``."""
    cells: dict[str, Any] = {}
    for name, index in positions.items():
        value = values[index] if index < len(values) else None
        if name not in ("开始日期", "结束日期"):
            problem = cell_problem(value, "text")
            if problem:
                raise OrganisationError(name, problem)
            value = "" if value is None else (str(int(value)) if isinstance(value, float) and value.is_integer()
                                              else str(value).strip())
        cells[name] = value
    return cells


def _attachment(cells: dict[str, Any], actor: Any) -> tuple[liaisons.Attachment, list[tuple[str, str]]]:
    region = Region.objects.filter(code=cells["区划代码"]).first()
    if region is None:
        raise OrganisationError("区划代码", f"未知的社区或网格「{quoted(cells['区划代码'], 20)}」")
    kind = KIND_CELLS.get(cells["类别"])
    if kind is None:
        raise OrganisationError("类别", f"应为{'、'.join(KIND_CELLS)}之一")
    compound = None
    if cells["小区"]:
        compound = Compound.objects.filter(region__path__startswith=region.path, name=cells["小区"]).first()
        if compound is None:
            raise OrganisationError("小区", f"{region.name}没有名为「{quoted(cells['小区'], 20)}」的小区")
    unit = None
    if kind == LiaisonKind.UNIT:
        unit = CoBuildingUnit.objects.filter(region_id=liaisons.community_code(region.code),
                                             name=cells["姓名或单位"]).first()
        if unit is None:
            raise OrganisationError("姓名或单位", f"「{quoted(cells['姓名或单位'], 20)}」不是该社区报到的共建单位")
    duties = [(str(kind_value), text.strip()) for kind_value, header in LIST_COLUMNS.items()
              for text in cells[header].split(DUTY_SEPARATOR) if text.strip()]
    attachment = liaisons.Attachment(
        kind=kind, starts_on=_day(cells["开始日期"], "开始日期", True) or date.min,
        region=region if compound is None else None, compound=compound, name=cells["姓名或单位"],
        title=cells["职务"], phone=cells["联系电话"], unit=unit)
    return attachment, duties


def _header(rows: list[Any]) -> dict[str, int]:
    header = [str(v).strip() if v is not None else "" for v in (rows[0].values if rows else ())]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise UploadError(f"工作表「{SHEET}」缺少列：{'、'.join(missing)}")
    return {name: header.index(name) for name in COLUMNS}


def _import_row(cells: dict[str, Any], actor: Any, result: ImportResult) -> None:
    attachment, duties = _attachment(cells, actor)
    ends_on = _day(cells["结束日期"], "结束日期", False)
    where = attachment.compound.region if attachment.compound is not None else attachment.region
    if Liaison.objects.filter(region=where, compound=attachment.compound, kind=attachment.kind,
                              name=attachment.name, starts_on=attachment.starts_on).exists():
        result.unchanged += 1
        return
    liaison = liaisons.attach(attachment, actor, duties)
    if ends_on is not None:
        liaisons.end(liaison, actor, ends_on, "导入")
    result.created += 1


def import_liaisons(content: bytes, actor: Any) -> ImportResult:
    """Import a 包联 workbook on behalf of ``actor``: every row or none; the problems name their rows."""
    rows = read_workbook(content, [SHEET])[SHEET]
    positions = _header(rows)
    result = ImportResult(problems=ProblemList())
    with transaction.atomic():
        for row in rows[1:]:
            try:
                with transaction.atomic():
                    _import_row(_cells(row.values, positions), actor, result)
            except OrganisationError as error:
                column = FIELD_COLUMNS.get(error.field or "", error.field or "")
                result.problems.add(f"{SHEET} 第 {row.number} 行 {column}：{error.message}")
        if result.problems:
            transaction.set_rollback(True)
            result.created = result.unchanged = 0
            return result
        audit.record("community.liaison.import", actor=actor, reason="批量导入包联", created=result.created,
                     unchanged=result.unchanged)
    return result
