"""Profiles and batches as a workbook: export (two sheets) and an all-or-nothing import of the same columns.

Sheet 规约配置: 名称, 规约, 编解码参数 (JSON), 链路方式, 上报间隔（秒）, 说明 — matched by 名称; a changed
profile gets a new version (``service.save_profile``). Sheet 设备批次: 批次编号, 厂家, 型号, 固件版本, 交付年度,
规约配置, 合同台数, 备注 — matched by 批次编号; 规约配置 names a profile of the workbook or the database. Every
row is checked before anything is written; any problem (sheet, row, column) refuses the whole workbook.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from changji.core import audit
from changji.core.errors import Refusal
from changji.core.exports import FormulaSafeWorkbook, active_worksheet, append_row, workbook_bytes
from changji.core.uploads import ImportOutcome, ProblemList, SheetRow, cell_problem, quoted, read_workbook
from changji.water.models import DeviceBatch, LinkMode, ProtocolProfile
from changji.water.profiles import service
from changji.water.profiles.options import PROTOCOLS, ProfileOptionsError, load_json, normalise

PROFILE_SHEET, BATCH_SHEET = "规约配置", "设备批次"
PROFILE_COLUMNS = {"名称": "name", "规约": "protocol", "编解码参数": "options", "链路方式": "link_mode",
                   "上报间隔（秒）": "report_interval_s", "说明": "description"}
BATCH_COLUMNS = {"批次编号": "name", "厂家": "manufacturer", "型号": "model", "固件版本": "firmware",
                 "交付年度": "delivery_year", "规约配置": "profile", "合同台数": "planned_count", "备注": "notes"}
_NUMBERS = {"report_interval_s", "delivery_year", "planned_count"}
_REQUIRED = {"name", "protocol", "profile"}


@dataclass
class ProfileImport(ImportOutcome):
    """What a profile and batch import did."""

    noun = "条"


def export_workbook() -> bytes:
    """Every profile and batch in the import's columns (edit and import back)."""
    book = FormulaSafeWorkbook()
    sheet = active_worksheet(book)
    sheet.title = PROFILE_SHEET
    append_row(sheet, PROFILE_COLUMNS)
    for p in ProtocolProfile.objects.order_by("protocol", "name"):
        append_row(sheet, [p.name, p.protocol, json.dumps(p.options, ensure_ascii=False, sort_keys=True),
                           p.get_link_mode_display(), p.report_interval_s, p.description])
    batches = book.create_sheet(BATCH_SHEET)
    append_row(batches, BATCH_COLUMNS)
    for b in DeviceBatch.objects.select_related("profile").order_by("name"):
        append_row(batches, [b.name, b.manufacturer, b.model, b.firmware, b.delivery_year or "", b.profile.name,
                             b.planned_count or "", b.notes])
    return workbook_bytes(book)


def _link_mode(value: str) -> str:
    for choice, label in LinkMode.choices:
        if value in (choice, str(label)):
            return str(choice)
    raise ValueError(f"应为{'、'.join(str(label) for _, label in LinkMode.choices)}之一")


def _convert(key: str, value: Any) -> Any:
    if key in _NUMBERS:
        if value in (None, ""):
            if key == "report_interval_s":
                raise ValueError("不能为空")
            return None
        number = float(value)
        if not number.is_integer() or number < 0:
            raise ValueError("应为非负整数")
        return int(number)
    text = "" if value is None else str(value).strip()
    if key in _REQUIRED and not text:
        raise ValueError("不能为空")
    if key == "protocol" and text not in PROTOCOLS:
        raise ValueError("应为 szy206 或 sl651")
    if key == "link_mode":
        return _link_mode(text) if text else LinkMode.ONLINE
    if key == "options":
        return load_json(text)
    return text


def _records(sheet: str, rows: list[SheetRow], columns: dict[str, str], problems: ProblemList
             ) -> list[tuple[int, dict[str, Any]]]:
    header = [str(v).strip() if v is not None else "" for v in (rows[0].values if rows else ())]
    missing = [name for name in columns if name not in header]
    if missing:
        problems.add(f"工作表「{sheet}」缺少列：{'、'.join(missing)}")
        return []
    positions = {name: header.index(name) for name in columns}
    out = []
    for row in rows[1:]:
        record: dict[str, Any] = {}
        for name, key in columns.items():
            value = row.values[positions[name]] if positions[name] < len(row.values) else None
            problem = cell_problem(value, "number" if key in _NUMBERS else "text")
            if problem is None:
                try:
                    record[key] = _convert(key, value)
                except ProfileOptionsError as error:
                    problem = "；".join(error.problems)
                except (ValueError, TypeError) as error:
                    problem = str(error)
            if problem is not None:
                problems.add(f"{sheet} 第 {row.number} 行 {name}：{problem}")
        if len(record) == len(columns):
            out.append((row.number, record))
    return out


def _check_profiles(records: list[tuple[int, dict[str, Any]]], problems: ProblemList) -> dict[str, str]:
    seen: dict[str, str] = {}
    for number, record in records:
        if record["name"] in seen:
            problems.add(f"{PROFILE_SHEET} 第 {number} 行 名称：与前面的行重复（{quoted(record['name'])}）")
        seen[record["name"]] = record["protocol"]
        try:
            record["options"] = normalise(record["protocol"], record["options"])
        except ProfileOptionsError as error:
            problems.add(f"{PROFILE_SHEET} 第 {number} 行 编解码参数：{'；'.join(error.problems)}")
    return seen


def _check_batches(records: list[tuple[int, dict[str, Any]]], protocols: dict[str, str],
                   problems: ProblemList) -> None:
    names: set[str] = set()
    for number, record in records:
        if record["name"] in names:
            problems.add(f"{BATCH_SHEET} 第 {number} 行 批次编号：与前面的行重复（{quoted(record['name'])}）")
        names.add(record["name"])
        if record["profile"] not in protocols:
            problems.add(f"{BATCH_SHEET} 第 {number} 行 规约配置：没有名为“{quoted(record['profile'])}”的规约配置")


def import_workbook(content: bytes, by: Any) -> ProfileImport:
    """Apply a profile and batch workbook, all or nothing; the outcome lists the problems when it refused."""
    outcome = ProfileImport()
    sheets = read_workbook(content, [PROFILE_SHEET, BATCH_SHEET])
    problems = outcome.problems
    profile_rows = _records(PROFILE_SHEET, sheets[PROFILE_SHEET], PROFILE_COLUMNS, problems)
    batch_rows = _records(BATCH_SHEET, sheets[BATCH_SHEET], BATCH_COLUMNS, problems)
    protocols = dict(ProtocolProfile.objects.values_list("name", "protocol"))
    protocols.update(_check_profiles(profile_rows, problems))
    _check_batches(batch_rows, protocols, problems)
    if problems:
        return outcome
    try:
        with transaction.atomic():
            _apply(profile_rows, batch_rows, by, outcome)
            audit.record("water.profile.imported", actor=by, created=outcome.created, updated=outcome.updated,
                         unchanged=outcome.unchanged)
    except Refusal as error:
        outcome.problems.add(error.message)
        outcome.created = outcome.updated = outcome.unchanged = 0
    return outcome


def _apply(profile_rows: list[tuple[int, dict[str, Any]]], batch_rows: list[tuple[int, dict[str, Any]]],
           by: Any, outcome: ProfileImport) -> None:
    for number, record in profile_rows:
        profile = ProtocolProfile.objects.filter(name=record["name"]).first()
        version = profile.version if profile else 0
        try:
            saved = service.save_profile(profile, record, by)
        except Refusal as error:
            raise Refusal(error.field, f"{PROFILE_SHEET} 第 {number} 行：{error.message}") from error
        _count(outcome, profile is None, saved.version != version)
    for number, record in batch_rows:
        batch = DeviceBatch.objects.filter(name=record["name"]).first()
        values = {**record, "profile": ProtocolProfile.objects.get(name=record["profile"])}
        changed = batch is None or any(getattr(batch, k) != v for k, v in values.items())
        if changed:
            try:
                service.save_batch(batch, values, by)
            except Refusal as error:
                raise Refusal(error.field, f"{BATCH_SHEET} 第 {number} 行：{error.message}") from error
        _count(outcome, batch is None, changed)


def _count(outcome: ProfileImport, created: bool, changed: bool) -> None:
    if created:
        outcome.created += 1
    elif changed:
        outcome.updated += 1
    else:
        outcome.unchanged += 1
