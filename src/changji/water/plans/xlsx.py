"""Import and export of annual plans as an XLSX workbook (sheet 年度取水计划).

Columns: 许可证编号, 年度, 年度计划取水量(m³), 1月 … 12月, 备注. The months are optional: a row whose twelve
month cells are all empty takes the default breakdown of the licence's purpose (``breakdown``). The import
follows ``water.registry.xlsx_import``: every row is checked first (cell types, licence known and within the
importer's region, the checks of ``service.prepare_plan``); if any row fails nothing changes and every problem
is listed with its sheet, row and column. Otherwise the plans are upserted in one transaction, the allocations
of each year are derived, and one audit entry (``water.plan.import``) gives the counts. The export writes the
same columns, so an exported workbook imports back unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from changji.core import audit
from changji.core.errors import Refusal
from changji.core.exports import FormulaSafeWorkbook, active_worksheet, append_row, workbook_bytes
from changji.core.models import Region
from changji.core.scope import user_can_access_region
from changji.core.uploads import (
    ImportOutcome,
    ProblemList,
    SheetRow,
    UploadError,
    cell_problem,
    quoted,
    read_workbook,
)
from changji.water.models import AnnualPlan, Licence
from changji.water.plans import breakdown
from changji.water.plans.allocations import derive_allocations
from changji.water.plans.service import authorise, prepare_plan, write_plan

SHEET = "年度取水计划"
NUMBER, YEAR, VOLUME, NOTE = "许可证编号", "年度", "年度计划取水量(m³)", "备注"
COLUMNS = (NUMBER, YEAR, VOLUME, *breakdown.MONTH_LABELS, NOTE)
REQUIRED = (NUMBER, YEAR, VOLUME)
#: The column a refusal of ``prepare_plan`` names.
FIELD_COLUMNS = {"licence": NUMBER, "year": YEAR, "volume_m3": VOLUME, "monthly_m3": "分月计划", "note": NOTE}


class PlanWorkbookError(UploadError):
    """The workbook cannot be read at all (not XLSX, too large, the sheet or a column missing)."""


class PlanImport(ImportOutcome):
    """What a plan import did: plans (份计划) created, updated and unchanged, or its problems."""

    noun = "份计划"


@dataclass(frozen=True, slots=True)
class _Row:
    number: int
    licence: Licence
    year: int
    volume_m3: float
    months: list[float]
    note: str


def template() -> bytes:
    """An empty workbook with the header row."""
    return export_plans(AnnualPlan.objects.none())


def export_plans(plans: Any) -> bytes:
    """The plans (a queryset, already scoped) as a workbook with the import's columns."""
    book = FormulaSafeWorkbook()
    sheet = active_worksheet(book)
    sheet.title = SHEET
    append_row(sheet, COLUMNS)
    for plan in plans.select_related("licence").order_by("year", "licence__number"):
        months = list(plan.monthly_m3) if len(plan.monthly_m3) == breakdown.MONTHS else [None] * breakdown.MONTHS
        append_row(sheet, [plan.licence.number, plan.year, plan.volume_m3, *months, plan.note])
    return workbook_bytes(book)


def _cells(row: SheetRow, positions: dict[str, int], where: str, problems: ProblemList) -> dict[str, Any] | None:
    """The row's cells by column name; None (problems listed) when a cell has the wrong type or is missing."""
    values: dict[str, Any] = {}
    ok = True
    for name in COLUMNS:
        position = positions.get(name)
        value = row.values[position] if position is not None and position < len(row.values) else None
        kind = "text" if name in (NUMBER, NOTE) else "number"
        problem = cell_problem(value, kind)
        if problem:
            problems.add(f"{where} {name}：{problem}")
            ok = False
            continue
        if isinstance(value, str):
            value = value.strip() or None
        if value is not None and kind == "number":
            value = float(value)
        if value is None and name in REQUIRED:
            problems.add(f"{where} {name}：不能为空")
            ok = False
        values[name] = value
    if ok and not float(values[YEAR]).is_integer():
        problems.add(f"{where} {YEAR}：应为整数年份，实际为 {quoted(values[YEAR])}")
        ok = False
    return values if ok else None


def _licence_code(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _check_rows(rows: list[SheetRow], by: Any, result: PlanImport) -> list[_Row]:
    header = [str(v).strip() if v is not None else "" for v in (rows[0].values if rows else ())]
    missing = [name for name in (*REQUIRED, NOTE) if name not in header]
    if missing:
        raise PlanWorkbookError(f"工作表「{SHEET}」缺少列：{'、'.join(missing)}")
    positions = {name: header.index(name) for name in COLUMNS if name in header}
    cells = [(row.number, _cells(row, positions, f"{SHEET} 第 {row.number} 行", result.problems))
             for row in rows[1:]]
    numbers = {_licence_code(c[NUMBER]) for _, c in cells if c}
    licences = {lic.number: lic for lic in Licence.objects.filter(number__in=numbers).select_related("region")}
    checked, seen = [], set()
    for number, values in cells:
        where = f"{SHEET} 第 {number} 行"
        if values is None:
            continue
        code, year = _licence_code(values[NUMBER]), int(values[YEAR])
        licence = licences.get(code)
        if licence is None or (not isinstance(by, str) and not user_can_access_region(by, licence.region)):
            result.problems.add(f"{where} {NUMBER}：未知取水许可证或不在您的管辖范围内 {quoted(code)}")
            continue
        if (code, year) in seen:
            result.problems.add(f"{where} {NUMBER}：{quoted(code)} 的 {year} 年度计划在本表中重复")
            continue
        seen.add((code, year))
        try:
            volume, months, note = prepare_plan(licence, year, values[VOLUME],
                                                [values[m] for m in breakdown.MONTH_LABELS], values[NOTE] or "")
        except Refusal as refusal:
            result.problems.add(f"{where} {FIELD_COLUMNS.get(refusal.field or '', '')}：{refusal.message}")
            continue
        checked.append(_Row(number, licence, year, volume, months, note))
    return checked


def import_plans(content: bytes, by: Any, region: Region | None = None) -> PlanImport:
    """Validate and apply a workbook of plans on behalf of ``by``; on any problem change nothing and list them.

    ``region`` (default: the importer's own) bounds the allocations re-derived afterwards.
    """
    authorise(by, region)
    try:
        sheets = read_workbook(content, [SHEET])
    except PlanWorkbookError:
        raise
    except UploadError as error:
        raise PlanWorkbookError(str(error)) from error
    result = PlanImport()
    rows = _check_rows(sheets[SHEET], by, result)
    if result.problems:
        return result
    with transaction.atomic():
        for row in rows:
            existed = AnnualPlan.objects.filter(licence=row.licence, year=row.year).exists()
            _, changed = write_plan(row.licence, row.year, row.volume_m3, row.months, row.note, by)
            if not changed:
                result.unchanged += 1
            elif existed:
                result.updated += 1
            else:
                result.created += 1
        for year in sorted({row.year for row in rows}):
            derive_allocations(year, region=region, by=by)
        audit.record("water.plan.import", actor=by, region=region, reason="批量导入年度取水计划",
                     created=result.created, updated=result.updated, unchanged=result.unchanged)
    return result
