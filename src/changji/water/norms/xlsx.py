"""XLSX import and export of the 用水定额 table (sheet 用水定额) and of crop plans (sheet 种植计划).

Modelled on ``water.registry.xlsx_import``: the file is read by ``core.uploads.read_workbook``; every row is
checked first (cell types, the same rules as the forms, the zone or water user within the importer's region,
no key twice), and if any row fails nothing changes and every problem is listed with sheet, row and column.
Rows are matched by their key (norm: 年度, 类别, 名称, 分区, 灌溉方式; plan: 取水户编号, 年度, 作物, 灌溉方式): a known
key is updated, a new one created. A successful import is one audit entry with the counts. An export is a
workbook of the same shape, so it imports again unchanged (round trip).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from changji.core import audit
from changji.core.access import P, require
from changji.core.exports import FormulaSafeWorkbook, active_worksheet, put_cell, workbook_bytes
from changji.core.models import Region, RegionLevel
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
from changji.water.models import CropPlan, IrrigationMethod, NormKind, QuotaNorm, WaterUser
from changji.water.norms import rules
from changji.water.norms.service import NORM_FIELDS, NormError, check_zone, validate_norm

NORM_SHEET, PLAN_SHEET = "用水定额", "种植计划"
NORM_COLUMNS = {"年度": "year", "类别": "kind", "名称": "category", "分区": "region", "灌溉方式": "method",
                "定额值": "value", "单位": "unit", "依据": "source", "备注": "note"}
PLAN_COLUMNS = {"取水户编号": "water_user", "年度": "year", "作物": "crop", "面积(亩)": "area_mu", "灌溉方式": "method"}
NUMBERS = frozenset({"year", "value", "area_mu"})
#: How the export writes a prefecture-wide row's zone; a blank cell means the same on import.
PREFECTURE_WIDE = "全州通用"
KIND_CELLS = {**{str(label): value for value, label in NormKind.choices}, **{v: v for v in NormKind.values},
              "农业": NormKind.CROP}
METHOD_CELLS = {**{str(label): value for value, label in IrrigationMethod.choices},
                **{v: v for v in IrrigationMethod.values}}


class ImportResult(ImportOutcome):
    """What a 定额 or crop-plan import did: rows created and updated, or its problems."""


def _records(rows: list[SheetRow], sheet: str, columns: dict[str, str],
             problems: ProblemList) -> list[tuple[int, dict[str, Any], bool]]:
    """(row number, values by field, typed) of the data rows; a cell of the wrong type is a problem of its row."""
    header = [str(v).strip() if v is not None else "" for v in (rows[0].values if rows else ())]
    missing = [name for name in columns if name not in header]
    if missing:
        raise UploadError(f"工作表「{sheet}」缺少列：{'、'.join(missing)}")
    positions = {name: header.index(name) for name in columns}
    out = []
    for row in rows[1:]:
        record: dict[str, Any] = {}
        typed = True
        for name, key in columns.items():
            value = row.values[positions[name]] if positions[name] < len(row.values) else None
            problem = cell_problem(value, "number" if key in NUMBERS else "text")
            if problem:
                problems.add(f"{sheet} 第 {row.number} 行 {name}：{problem}")
                typed, value = False, None
            record[key] = value.strip() if isinstance(value, str) else value
        out.append((row.number, record, typed))
    return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value).strip()


def _year(value: Any) -> int | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def _zone(cell: str, counties: dict[str, Region]) -> Region | None | str:
    """The county a 分区 cell names (code or name), None for the prefecture-wide rows, or the problem."""
    if cell in ("", PREFECTURE_WIDE, "全州"):
        return None
    found = counties.get(cell)
    return found if found is not None else f"未知县市「{quoted(cell)}」（填县市代码或名称，留空为全州通用）"


def _norm_values(record: dict[str, Any], counties: dict[str, Region]) -> dict[str, Any] | tuple[str, str]:
    kind = KIND_CELLS.get(_text(record["kind"]))
    if kind is None:
        return "类别", f"应为 农业（作物）、工业 或 生活，实际为「{quoted(_text(record['kind']) or '（空）')}」"
    method_cell = _text(record["method"])
    method = METHOD_CELLS.get(method_cell, "" if not method_cell else None)
    if method is None:
        return "灌溉方式", f"应为 滴灌、喷灌、管灌、地面灌 或留空，实际为「{quoted(method_cell)}」"
    zone = _zone(_text(record["region"]), counties)
    if isinstance(zone, str):
        return "分区", zone
    value = record["value"]
    return {"year": _year(record["year"]), "kind": kind, "category": _text(record["category"]), "region": zone,
            "method": method, "value": float(value) if value is not None else None, "unit": _text(record["unit"]),
            "source": _text(record["source"]), "note": _text(record["note"])}


def _county_lookup() -> dict[str, Region]:
    counties = Region.objects.filter(level=RegionLevel.COUNTY)
    return {**{c.code: c for c in counties}, **{c.name: c for c in counties}}


LABELS = {key: name for name, key in NORM_COLUMNS.items()}


def _check_norm(values: dict[str, Any], by: Any) -> tuple[str, str] | None:
    try:
        validate_norm(values)
        check_zone(by, values["region"])
    except NormError as error:
        return LABELS.get(error.field or "", "行"), error.message
    return None


def import_norms(content: bytes, by: Any) -> ImportResult:
    """Validate and apply a 用水定额 workbook on behalf of ``by``; on any problem change nothing, list them all."""
    require(by, P.WATER_ALLOCATION_EDIT)
    sheets = read_workbook(content, [NORM_SHEET])
    result = ImportResult()
    counties = _county_lookup()
    staged: list[QuotaNorm] = []
    seen: set[tuple[Any, ...]] = set()
    for number, record, typed in _records(sheets[NORM_SHEET], NORM_SHEET, NORM_COLUMNS, result.problems):
        if not typed:
            continue
        where = f"{NORM_SHEET} 第 {number} 行"
        values = _norm_values(record, counties)
        if isinstance(values, tuple):
            result.problems.add(f"{where} {values[0]}：{values[1]}")
            continue
        problem = _check_norm(values, by)
        if problem:
            result.problems.add(f"{where} {problem[0]}：{problem[1]}")
            continue
        key = (values["year"], values["kind"], values["category"], values["region"], values["method"])
        if key in seen:
            result.problems.add(f"{where} 名称：本表中重复（同年度、类别、名称、分区与灌溉方式）")
            continue
        seen.add(key)
        norm = QuotaNorm.objects.filter(year=key[0], kind=key[1], category=key[2], region=key[3],
                                        method=key[4]).first() or QuotaNorm()
        for name in NORM_FIELDS:
            setattr(norm, name, values[name])
        staged.append(norm)
    if result.problems:
        return result
    with transaction.atomic():
        for norm in staged:
            new = norm.pk is None
            norm.save()
            result.created += new
            result.updated += not new
        audit.record("water.norm.import", actor=by, reason="批量导入用水定额", created=result.created,
                     updated=result.updated)
    return result


def write_sheet(book: FormulaSafeWorkbook, title: str, rows: Iterable[Iterable[Any]]) -> None:
    """Fill the workbook's first sheet with ``rows``, cell by cell at known positions.

    ``core.exports.put_cell`` rather than ``append_row``: appending looks up the sheet's last row each time, which
    grows with the sheet (20,000 crop plan lines took minutes).
    """
    sheet = active_worksheet(book)
    sheet.title = title
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            put_cell(sheet, number, column, value)


def export_norms(norms: Iterable[QuotaNorm]) -> bytes:
    """The norm rows as a 用水定额 workbook that imports again unchanged."""
    book = FormulaSafeWorkbook()
    write_sheet(book, NORM_SHEET, [list(NORM_COLUMNS), *(
        [n.year, n.get_kind_display(), n.category, n.region_id or PREFECTURE_WIDE,
         n.get_method_display() if n.method else "", n.value, n.unit, n.source, n.note] for n in norms)])
    return workbook_bytes(book)


# --- crop plans ----------------------------------------------------------------------------------------------


def _plan_values(record: dict[str, Any], users: dict[str, WaterUser], by: Any) -> dict[str, Any] | tuple[str, str]:
    code = _text(record["water_user"])
    user = users.get(code)
    if user is None:
        return "取水户编号", f"未知取水户「{quoted(code or '（空）')}」"
    if not user_can_access_region(by, user.region):
        return "取水户编号", f"取水户「{quoted(code)}」不在您的管辖范围内"
    year = _year(record["year"])
    if year is None or not 1970 <= year <= 2100:
        return "年度", "应为四位年份"
    method_cell = _text(record["method"])
    method = METHOD_CELLS.get(method_cell)
    area = float(record["area_mu"]) if record["area_mu"] is not None else None
    problems = rules.plan_line_problems(_text(record["crop"]), area, method or "")
    if problems:
        return {"crop": "作物", "area_mu": "面积(亩)", "method": "灌溉方式"}[problems[0][0]], problems[0][1]
    return {"water_user": user, "year": year, "crop": _text(record["crop"]), "area_mu": area, "method": method}


def import_crop_plans(content: bytes, by: Any) -> ImportResult:
    """Validate and apply a 种植计划 workbook on behalf of ``by``: all rows or none."""
    require(by, P.WATER_ALLOCATION_EDIT)
    sheets = read_workbook(content, [PLAN_SHEET])
    result = ImportResult()
    records = _records(sheets[PLAN_SHEET], PLAN_SHEET, PLAN_COLUMNS, result.problems)
    codes = {_text(r["water_user"]) for _, r, _ in records}
    users = {u.code: u for u in WaterUser.objects.filter(code__in=codes).select_related("region")}
    staged: list[CropPlan] = []
    seen: set[tuple[Any, ...]] = set()
    for number, record, typed in records:
        if not typed:
            continue
        where = f"{PLAN_SHEET} 第 {number} 行"
        values = _plan_values(record, users, by)
        if isinstance(values, tuple):
            result.problems.add(f"{where} {values[0]}：{values[1]}")
            continue
        key = (values["water_user"].pk, values["year"], values["crop"], values["method"])
        if key in seen:
            result.problems.add(f"{where} 作物：本表中重复（同取水户、年度、作物与灌溉方式）")
            continue
        seen.add(key)
        plan = CropPlan.objects.filter(water_user=values["water_user"], year=key[1], crop=key[2],
                                       method=key[3]).first() or CropPlan(**values)
        plan.area_mu = values["area_mu"]
        staged.append(plan)
    if result.problems:
        return result
    with transaction.atomic():
        for plan in staged:
            new = plan.pk is None
            plan.save()
            result.created += new
            result.updated += not new
        audit.record("water.crop_plan.import", actor=by, reason="批量导入种植计划", created=result.created,
                     updated=result.updated)
    return result


def export_crop_plans(plans: Iterable[CropPlan]) -> bytes:
    """Crop plan lines as a 种植计划 workbook that imports again unchanged."""
    book = FormulaSafeWorkbook()
    write_sheet(book, PLAN_SHEET, [list(PLAN_COLUMNS), *(
        [p.water_user.code, p.year, p.crop, p.area_mu, p.get_method_display()] for p in plans)])
    return workbook_bytes(book)
