"""Bulk import of water users and wells from an XLSX workbook (批量导入取水户与机井).

The workbook has a sheet 取水户 and a sheet 机井 with the header rows in ``USER_COLUMNS`` and
``WELL_COLUMNS`` (``template()`` writes an empty one). Rows are matched by code: a known code is
updated, a new one created. The import is all or nothing: every row is validated first (the
model's own validation, the region within the importing administrator's scope, the water user
known), and if any row fails nothing changes and every error is reported with its sheet, row and
column. A successful import is one audit entry with the counts.

The file is read by ``core.uploads.read_workbook`` (size and zip-bomb caps, entity-free XML, at most 20,000
rows a sheet): a file it cannot read is one ``WorkbookError``. A cell of the wrong type (a formula, an error
value such as ``#REF!``, a date or TRUE where a number or a code belongs, an over-long text) is a problem of its
row, naming sheet, row and column. Problems are kept in a ``ProblemList``: the first 50 in full, the rest counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from changji.core import audit
from changji.core.exports import FormulaSafeWorkbook, active_worksheet, append_row, workbook_bytes
from changji.core.models import Region
from changji.core.scope import user_can_access_region
from changji.core.uploads import ProblemList, SheetRow, UploadError, cell_problem, quoted, read_workbook
from changji.water.models import WaterUser, WaterUserKind, Well, WellKind, WellUse

USER_SHEET, WELL_SHEET = "取水户", "机井"
USER_COLUMNS = {"取水户编号": "code", "名称": "name", "类型": "kind", "区划代码": "region_id",
                "取水许可证号": "licence_number", "联系电话": "contact_phone"}
WELL_COLUMNS = {"机井编号": "code", "名称": "name", "类别": "kind", "用途": "use", "区划代码": "region_id",
                "纬度": "latitude", "经度": "longitude", "井深(m)": "depth_m", "管径(mm)": "pipe_diameter_mm",
                "水泵额定功率(kW)": "pump_rated_power_kw", "水泵额定流量(m³/h)": "pump_rated_flow_m3h",
                "取水户编号": "water_user_code"}
#: Cells may say the Chinese label of a choice or its value.
CHOICES = {
    "kind": {**{str(label): value for value, label in WaterUserKind.choices},
             **{str(label): value for value, label in WellKind.choices}},
    "use": {str(label): value for value, label in WellUse.choices},
}


#: Columns that hold numbers; every other column holds text (a code typed as a number is fine).
NUMBER_FIELDS = frozenset({"latitude", "longitude", "depth_m", "pipe_diameter_mm", "pump_rated_power_kw",
                           "pump_rated_flow_m3h"})


@dataclass
class ImportResult:
    created: dict[str, int] = field(default_factory=lambda: {USER_SHEET: 0, WELL_SHEET: 0})
    updated: dict[str, int] = field(default_factory=lambda: {USER_SHEET: 0, WELL_SHEET: 0})
    problems: ProblemList = field(default_factory=ProblemList)

    @property
    def errors(self) -> list[str]:
        """The problems to show: at most 50, then one line counting the others."""
        return self.problems.lines()

    def summary(self) -> str:
        def counts(by_sheet: dict[str, int]) -> str:
            return "、".join(f"{sheet} {n}" for sheet, n in by_sheet.items())

        return f"导入完成：新增 {counts(self.created)}；更新 {counts(self.updated)}"


class WorkbookError(UploadError):
    """The workbook cannot be read at all (not XLSX, broken, too large, a sheet or a column missing)."""


def template() -> bytes:
    """An empty workbook with both sheets and their header rows."""
    book = FormulaSafeWorkbook()
    users = active_worksheet(book)
    users.title = USER_SHEET
    append_row(users, USER_COLUMNS)
    append_row(book.create_sheet(WELL_SHEET), WELL_COLUMNS)
    return workbook_bytes(book)


Records = list[tuple[int, dict[str, Any]]]


#: (sheet, row number) -> the fields whose cells had the wrong type.
Untyped = dict[tuple[str, int], set[str]]


def _records(rows: list[SheetRow], sheet: str, columns: dict[str, str], result: ImportResult,
             untyped: Untyped) -> Records:
    """The data rows of ``sheet`` as (row number, field values); a cell of the wrong type is a problem of its row.

    Such a row is still checked for its other problems (region, duplicate code, water user), so that one pass
    lists them all, and its fields go into ``untyped`` so that the model's validation skips the row.
    """
    header = [str(value).strip() if value is not None else "" for value in (rows[0].values if rows else ())]
    missing = [name for name in columns if name not in header]
    if missing:
        raise WorkbookError(f"工作表「{sheet}」缺少列：{'、'.join(missing)}")
    positions = {name: header.index(name) for name in columns}
    out = []
    for row in rows[1:]:
        record = {}
        for name, key in columns.items():
            value = row.values[positions[name]] if positions[name] < len(row.values) else None
            problem = cell_problem(value, "number" if key in NUMBER_FIELDS else "text")
            if problem:
                result.problems.add(f"{sheet} 第 {row.number} 行 {name}：{problem}")
                untyped.setdefault((sheet, row.number), set()).add(key)
                value = None
            record[key] = value.strip() if isinstance(value, str) else value
        out.append((row.number, record))
    return out


def _clean(record: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in record.items():
        if value in ("", None):
            value = None
        elif key in CHOICES and str(value) in CHOICES[key]:
            value = CHOICES[key][str(value)]
        elif key.endswith("code") or key == "region_id":
            value = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
        out[key] = value
    return out


def import_registry(content: bytes, by: Any) -> ImportResult:
    """Validate and apply a workbook on behalf of ``by``; on any error change nothing and list them all."""
    try:
        sheets = read_workbook(content, [USER_SHEET, WELL_SHEET])
    except UploadError as error:
        raise WorkbookError(str(error)) from error
    result = ImportResult()
    untyped: Untyped = {}
    users = [(n, _clean(r)) for n, r in _records(sheets[USER_SHEET], USER_SHEET, USER_COLUMNS, result, untyped)]
    wells = [(n, _clean(r)) for n, r in _records(sheets[WELL_SHEET], WELL_SHEET, WELL_COLUMNS, result, untyped)]
    regions = Region.objects.in_bulk([r.get("region_id") for _, r in users + wells if r.get("region_id")])
    known_users = {u.code: u for u in WaterUser.objects.filter(code__in=[r["code"] for _, r in users if r["code"]])}
    user_objects = _validate(USER_SHEET, users, WaterUser, known_users, regions, by, result, untyped)
    new_user_codes = {obj.code: obj for obj in user_objects}
    in_sheet = {r["code"] for _, r in users if r.get("code")}  # a user row with problems is not "unknown" too
    referenced = {r["water_user_code"] for _, r in wells if r.get("water_user_code")}
    existing_refs = {u.code: u for u in WaterUser.objects.filter(code__in=referenced)}
    for number, record in wells:
        code = record.pop("water_user_code", None)
        if code and code not in in_sheet and code not in existing_refs:
            result.problems.add(f"{WELL_SHEET} 第 {number} 行 取水户编号：未知取水户 {quoted(code)}")
        record["water_user"] = new_user_codes.get(code) or existing_refs.get(code) if code else None
    known_wells = {w.code: w for w in Well.objects.filter(code__in=[r["code"] for _, r in wells if r["code"]])}
    well_objects = _validate(WELL_SHEET, wells, Well, known_wells, regions, by, result, untyped)
    if result.problems:
        return result
    with transaction.atomic():
        for sheet, objects in ((USER_SHEET, user_objects), (WELL_SHEET, well_objects)):
            for obj in objects:
                new = obj.pk is None
                obj.save()  # users first: a new well's new water user has its key by now
                (result.created if new else result.updated)[sheet] += 1
        audit.record("water.registry.import", actor=by, reason="批量导入", created=result.created,
                     updated=result.updated)
    return result


def _validate(sheet: str, rows: Records, model: type[WaterUser] | type[Well], known: dict[str, Any],
              regions: dict[str, Region], by: Any, result: ImportResult, untyped: Untyped) -> list[Any]:
    """Build (unsaved) objects for the rows, adding every problem to ``result.problems``."""
    objects, seen = [], set()
    labels = {field: label for label, field in (USER_COLUMNS if model is WaterUser else WELL_COLUMNS).items()}
    for number, record in rows:
        where, bad = f"{sheet} 第 {number} 行", untyped.get((sheet, number), set())
        code = record.get("code")
        if code and code in seen:
            result.problems.add(f"{where} {labels['code']}：本表中重复 {quoted(code)}")
            continue
        seen.add(code)
        region = regions.get(record.get("region_id") or "")
        if region is None:
            if "region_id" not in bad:
                result.problems.add(f"{where} 区划代码：未知区划 {quoted(record.get('region_id') or '（空）')}")
            continue
        if not user_can_access_region(by, region):
            result.problems.add(f"{where} 区划代码：{region.code} 不在您的管辖范围内")
            continue
        obj = (known.get(code) if code else None) or model()  # ``known`` holds non-empty codes only
        if obj.pk is not None and not user_can_access_region(by, Region.objects.get(pk=obj.region_id)):
            result.problems.add(f"{where} {labels['code']}：{quoted(code)} 属于其他区划")
            continue
        if bad:
            continue  # its cell problems are listed; the model would only repeat them
        for key, value in record.items():
            if value is None and key in ("kind", "use"):
                continue  # the model's default
            setattr(obj, key, _blank(model, key) if value is None else value)
        try:
            obj.full_clean(exclude=["water_user"] if model is Well else None, validate_unique=False)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                label = labels.get(name, labels.get(f"{name}_id", name))
                result.problems.add(f"{where} {label}：{'；'.join(messages)}")
            continue
        objects.append(obj)
    return objects


def _blank(model: type[WaterUser] | type[Well], key: str) -> Any:
    """The empty value of a field: '' for text, None otherwise."""
    if key.endswith("_id"):
        return None
    found = model._meta.get_field(key)
    return "" if found.get_internal_type() in ("CharField", "TextField") and not found.null else None
