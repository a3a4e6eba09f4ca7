"""Licences in and out of a workbook: one sheet 「取水许可证」, the same columns both ways.

Columns (``COLUMNS``): 许可证编号, 取水权人编号 (``WaterUser.code``), 水源类型, 取水用途, 许可年取水量(m³), 有效期起,
有效期止, 发证机关, 取水井编号 (well codes separated by 、 or , or ；), 状态. Choices are written as their Chinese
labels and read as label or value; dates as ISO text (YYYY-MM-DD), read from a date cell too.

Import (``import_licences``) follows ``water.registry.xlsx_import``: the file is read by ``core.uploads``
(size and zip-bomb caps, typed cells); rows are matched by 许可证编号 (known: updated, new: registered) and
each goes through ``service.save_licence`` — the same rules, scope and audit entries as the form. All or
nothing: every row is tried inside one transaction, each in its own savepoint so that every problem is listed
(sheet, row, column); if any row fails the transaction is rolled back and nothing changes. A successful import
adds one ``water.licence.import`` entry with the counts.

The state column is not a way to change a state (that needs a reason: ``transition_licence``): a new licence
must say 有效 or nothing, a known one its current state or nothing.

Export (``export_licences``) writes the same sheet, so an export re-imports unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from changji.core import audit
from changji.core.exports import FormulaSafeWorkbook, active_worksheet, append_row, workbook_bytes
from changji.core.scope import user_can_access_region
from changji.core.uploads import (
    ImportOutcome,
    SheetRow,
    UploadError,
    cell_problem,
    quoted,
    read_workbook,
)
from changji.water.licences.service import FIELD_LABELS, audit_value, licence_values, save_licence
from changji.water.licences.states import STATE_LABELS, State
from changji.water.models import Licence, WaterSource, WaterUser, Well, WellUse

SHEET = "取水许可证"
#: Column header → field.
COLUMNS = {"许可证编号": "number", "取水权人编号": "water_user", "水源类型": "source", "取水用途": "purpose",
           "许可年取水量(m³)": "permitted_m3_per_year", "有效期起": "valid_from", "有效期止": "valid_to",
           "发证机关": "issuing_authority", "取水井编号": "wells", "状态": "state"}
LABELS = {name: header for header, name in COLUMNS.items()}
CHOICES = {
    "source": {**{str(label): value for value, label in WaterSource.choices}, **{v: v for v in WaterSource.values}},
    "purpose": {**{str(label): value for value, label in WellUse.choices}, **{v: v for v in WellUse.values}},
    "state": {**{label: state.value for state, label in STATE_LABELS.items()}, **{s.value: s.value for s in State}},
}
WELL_SEPARATORS = re.compile(r"[、,，;；\s]+")


class ImportResult(ImportOutcome):
    """What a licence import did: licences (份) created, updated and unchanged, or its problems."""

    noun = "份"


class LicenceWorkbookError(UploadError):
    """The workbook cannot be read at all (not XLSX, broken, too large, the sheet or a column missing)."""


def _row(licence: Licence) -> list[Any]:
    return [licence.number, licence.water_user.code, licence.get_source_display(), licence.get_purpose_display(),
            licence.permitted_m3_per_year, licence.valid_from.isoformat(), licence.valid_to.isoformat(),
            licence.issuing_authority, "、".join(sorted(well.code for well in licence.wells.all())),
            licence.get_state_display()]


def export_licences(licences: Iterable[Licence]) -> bytes:
    """The workbook of ``licences`` (already scoped by the caller), in the import's columns."""
    book = FormulaSafeWorkbook()
    sheet = active_worksheet(book)
    sheet.title = SHEET
    append_row(sheet, COLUMNS)
    for licence in licences:
        append_row(sheet, _row(licence))
    return workbook_bytes(book)


def template() -> bytes:
    """An empty workbook with the sheet and its header row."""
    return export_licences([])


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as error:
        raise ValueError(f"应为日期（YYYY-MM-DD），实际为「{quoted(value, 30)}」") from error


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def _cell(name: str, value: Any) -> Any:
    """The field value of a cell, or ValueError with the reason."""
    if name in ("valid_from", "valid_to"):
        if value is None:
            raise ValueError("不能为空")
        return _day(value)
    problem = cell_problem(value, "number" if name == "permitted_m3_per_year" else "text")
    if problem:
        raise ValueError(problem)
    if name == "permitted_m3_per_year":
        if value is None:
            raise ValueError("不能为空")
        return float(str(value).strip()) if isinstance(value, str) else float(value)
    text = _text(value)
    if name in CHOICES and text:
        if text not in CHOICES[name]:
            allowed = "、".join(k for k in CHOICES[name] if not k.isascii())
            raise ValueError(f"未知取值「{quoted(text, 20)}」，应为 {allowed}")
        return CHOICES[name][text]
    return text


def _records(rows: list[SheetRow], result: ImportResult) -> list[tuple[int, dict[str, Any]]]:
    header = [_text(value) for value in (rows[0].values if rows else ())]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise LicenceWorkbookError(f"工作表「{SHEET}」缺少列：{'、'.join(missing)}")
    positions = {name: header.index(header_name) for header_name, name in COLUMNS.items()}
    out = []
    for row in rows[1:]:
        record, ok = {}, True
        for name, position in positions.items():
            raw = row.values[position] if position < len(row.values) else None
            try:
                record[name] = _cell(name, raw)
            except ValueError as error:
                result.problems.add(f"{SHEET} 第 {row.number} 行 {LABELS[name]}：{error}")
                ok = False
        if ok:
            out.append((row.number, record))
    return out


def _resolve(number: int, record: dict[str, Any], by: Any, result: ImportResult) -> tuple[dict[str, Any], Any] | None:
    """The record with its water user, wells and known licence looked up; None (problems added) if it cannot be."""
    where = f"{SHEET} 第 {number} 行"
    problems = []
    user = WaterUser.objects.filter(code=record["water_user"]).select_related("region").first()
    if user is None:
        problems.append(f"{where} 取水权人编号：未知取水权人「{quoted(record['water_user'] or '（空）')}」")
    codes = [code for code in WELL_SEPARATORS.split(record["wells"]) if code]
    wells = {well.code: well for well in Well.objects.filter(code__in=codes).select_related("region")}
    unknown = [code for code in codes if code not in wells]
    if unknown:
        problems.append(f"{where} 取水井编号：未知机井 {quoted('、'.join(unknown), 60)}")
    licence = Licence.objects.filter(number=record["number"]).first() if record["number"] else None
    if licence is not None and hasattr(by, "is_authenticated") and not user_can_access_region(by, licence.region):
        problems.append(f"{where} 许可证编号：{quoted(record['number'])} 属于其他区划")
    state = record.pop("state") or None
    expected = licence.state if licence is not None else State.VALID
    if state is not None and state != expected:
        problems.append(f"{where} 状态：不能通过导入变更状态（应为「{STATE_LABELS[State(expected)]}」或留空），"
                        "请在许可证页面办理状态变更")
    for problem in problems:
        result.problems.add(problem)
    if problems:
        return None
    return {**record, "water_user": user, "wells": [wells[code] for code in dict.fromkeys(codes)]}, licence


def _unchanged(data: dict[str, Any], licence: Licence | None) -> bool:
    """Whether the row says what the licence already holds (nothing to validate, nothing to write)."""
    if licence is None:
        return False
    row = {name: audit_value(name, value) for name, value in data.items() if name != "wells"}
    row["wells"] = sorted(well.code for well in data["wells"])
    return row == licence_values(licence)


def _save(number: int, data: dict[str, Any], licence: Licence | None, by: Any, result: ImportResult) -> None:
    where = f"{SHEET} 第 {number} 行"
    if _unchanged(data, licence):
        result.unchanged += 1
        return
    before = licence.updated_at if licence is not None else None
    try:
        with transaction.atomic():
            saved = save_licence(data, by, licence)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            result.problems.add(f"{where} {LABELS.get(name, FIELD_LABELS.get(name, name))}：{'；'.join(messages)}")
        return
    except PermissionDenied as error:
        result.problems.add(f"{where} 取水权人编号：{error or '不在您的管辖范围内'}")
        return
    if licence is None:
        result.created += 1
    elif saved.updated_at != before:
        result.updated += 1
    else:
        result.unchanged += 1


def import_licences(content: bytes, by: Any) -> ImportResult:
    """Validate and apply a workbook on behalf of ``by``; on any problem change nothing and list them all."""
    try:
        sheets = read_workbook(content, [SHEET])
    except LicenceWorkbookError:
        raise
    except UploadError as error:
        raise LicenceWorkbookError(str(error)) from error
    result = ImportResult()
    records = _records(sheets[SHEET], result)
    seen: set[str] = set()
    with transaction.atomic():
        for number, record in records:
            if record["number"] in seen:
                result.problems.add(f"{SHEET} 第 {number} 行 许可证编号：本表中重复 {quoted(record['number'])}")
                continue
            seen.add(record["number"])
            resolved = _resolve(number, record, by, result)
            if resolved is not None:
                _save(number, resolved[0], resolved[1], by, result)
        if result.problems:
            transaction.set_rollback(True)
            return result
        audit.record("water.licence.import", actor=by, reason="批量导入取水许可证", created=result.created,
                     updated=result.updated, unchanged=result.unchanged)
    return result
