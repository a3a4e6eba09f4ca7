"""Keeping the rate table and the overdraft areas: save with validation and audit, XLSX export and import.

Every change is one audit entry: ``water.tax_rate.created`` / ``water.tax_rate.updated`` (with the fields before
and after), ``water.tax_rate.imported`` (the counts), ``water.tax_rate.overdraft_area_saved``. The import is
all or nothing, like the registry import (``water.registry.xlsx_import``): every row is checked first, and any
problem (sheet, row and column named) leaves the table unchanged. Rows are matched by (水源, 用途, 区域, 起始年度).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from changji.core import access, audit
from changji.core.access import P
from changji.core.exports import FormulaSafeWorkbook, active_worksheet, append_row, workbook_bytes
from changji.core.scope import covers_instance
from changji.core.uploads import ProblemList, UploadError, cell_problem, read_workbook
from changji.water.models import OverdraftArea, TaxZone, WaterSource, WaterTaxRate, WellUse

SHEET = "税额标准"
COLUMNS = {"水源类型": "source", "用途": "use", "区域": "zone", "税额(元/m³)": "rate_yuan_per_m3",
           "超计划倍数": "over_plan_multiplier", "限额内免征": "exempt_within_plan", "起始年度": "valid_from_year",
           "截止年度": "valid_to_year", "依据文件": "document", "备注": "note"}
CHOICES = {"source": WaterSource, "use": WellUse, "zone": TaxZone}
FIELDS = list(COLUMNS.values())
YES, NO = {"是", "免征", "true", "1", "yes"}, {"否", "", "false", "0", "no"}


class RateImportError(UploadError):
    """The workbook cannot be imported; ``problems`` lists every row's problems."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


def snapshot(rate: WaterTaxRate) -> dict[str, Any]:
    return {name: str(getattr(rate, name)) if getattr(rate, name) is not None else None for name in FIELDS}


@transaction.atomic
def check_rate_editor(actor: Any) -> None:
    """Refuse an account that may not edit the rate table: it needs ``water.tax_rate.edit`` over the whole instance.

    The table applies everywhere, so a county-bound administrator may not change it; the system (a command, a job,
    the demo, named by a string) may.
    """
    access.check_actor(actor, P.WATER_TAX_RATE_EDIT)
    if hasattr(actor, "is_authenticated") and not covers_instance(actor):
        raise PermissionDenied("税额标准适用于全州，仅全州范围的管理员可以修改")


def save_rate(rate: WaterTaxRate, actor: Any, before: dict[str, Any] | None = None) -> WaterTaxRate:
    """Validate and save a rate row, audited (``before``: the fields as they were, for an update)."""
    check_rate_editor(actor)
    rate.full_clean()
    created = rate.pk is None
    rate.save()
    audit.record("water.tax_rate.created" if created else "water.tax_rate.updated", actor=actor, target=rate,
                 before=before, after=snapshot(rate))
    return rate


@transaction.atomic
def save_area(area: OverdraftArea, actor: Any) -> OverdraftArea:
    """Validate and save an overdraft area designation (within the actor's region), audited."""
    area.full_clean()
    access.check_actor(actor, P.WATER_TAX_RATE_EDIT, area.region)
    created = area.pk is None
    area.save()
    audit.record("water.tax_rate.overdraft_area_saved", actor=actor, target=area, created=created,
                 level=area.level, designated_on=str(area.designated_on),
                 lifted_on=str(area.lifted_on) if area.lifted_on else None, document=area.document)
    return area


def export_rates() -> bytes:
    """The rate table as a workbook with the import's columns (so it can be edited and imported back)."""
    book = FormulaSafeWorkbook()
    sheet = active_worksheet(book)
    sheet.title = SHEET
    append_row(sheet, COLUMNS)
    for rate in WaterTaxRate.objects.all():
        append_row(sheet, [rate.get_source_display(), rate.get_use_display(), rate.get_zone_display(),
                           float(rate.rate_yuan_per_m3), float(rate.over_plan_multiplier),
                           "是" if rate.exempt_within_plan else "否", rate.valid_from_year, rate.valid_to_year or "",
                           rate.document, rate.note])
    return workbook_bytes(book)


def _choice(key: str, value: Any) -> str:
    text = str(value).strip()
    for choice, label in CHOICES[key].choices:
        if text in (choice, str(label)):
            return str(choice)
    raise ValueError(f"应为{'、'.join(str(label) for _, label in CHOICES[key].choices)}之一")


def _convert(key: str, value: Any) -> Any:
    """A cell's value as the field's (ValueError with a Chinese reason when it cannot be)."""
    if key in CHOICES:
        return _choice(key, value)
    if key == "exempt_within_plan":
        text = "" if value is None else str(value).strip().lower()
        if text not in YES | NO:
            raise ValueError("应为「是」或「否」")
        return text in YES
    if key in ("rate_yuan_per_m3", "over_plan_multiplier"):
        try:
            return Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError("应为数字") from None
    if key in ("valid_from_year", "valid_to_year"):
        if value in (None, ""):
            return None
        number = float(value)
        if not number.is_integer() or not 1970 <= number <= 2100:
            raise ValueError("应为 1970–2100 之间的四位年份")
        return int(number)
    return "" if value is None else str(value).strip()


def _row(number: int, values: tuple[Any, ...], positions: dict[str, int], problems: ProblemList
         ) -> dict[str, Any] | None:
    record: dict[str, Any] = {}
    ok = True
    for name, key in COLUMNS.items():
        value = values[positions[name]] if positions[name] < len(values) else None
        numeric = key in ("rate_yuan_per_m3", "over_plan_multiplier", "valid_from_year", "valid_to_year")
        problem = cell_problem(value, "number" if numeric else "text")
        if problem is None:
            try:
                record[key] = _convert(key, value)
            except (ValueError, TypeError) as error:
                problem = str(error)
        if problem is not None:
            problems.add(f"{SHEET} 第 {number} 行 {name}：{problem}")
            ok = False
    return record if ok else None


def _validated(record: dict[str, Any], number: int, problems: ProblemList) -> WaterTaxRate | None:
    rate = WaterTaxRate.objects.filter(source=record["source"], use=record["use"], zone=record["zone"],
                                       valid_from_year=record["valid_from_year"]).first() or WaterTaxRate()
    for key, value in record.items():
        setattr(rate, key, value)
    try:
        rate.full_clean(validate_unique=False)
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            column = next((name for name, k in COLUMNS.items() if k == key), key)
            problems.add(f"{SHEET} 第 {number} 行 {column}：{'；'.join(messages)}")
        return None
    return rate


def import_rates(content: bytes, actor: Any) -> tuple[int, int]:
    """Apply a rate workbook (all or nothing); return (created, updated). RateImportError lists the problems."""
    check_rate_editor(actor)
    rows = read_workbook(content, [SHEET])[SHEET]
    header = [str(v).strip() if v is not None else "" for v in (rows[0].values if rows else ())]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise RateImportError(f"工作表「{SHEET}」缺少列：{'、'.join(missing)}")
    positions = {name: header.index(name) for name in COLUMNS}
    problems, rates, keys = ProblemList(), [], set()
    for row in rows[1:]:
        record = _row(row.number, row.values, positions, problems)
        rate = _validated(record, row.number, problems) if record is not None else None
        if rate is not None:
            key = (rate.source, rate.use, rate.zone, rate.valid_from_year)
            if key in keys:
                problems.add(f"{SHEET} 第 {row.number} 行：与前面的行重复（水源、用途、区域、起始年度相同）")
            keys.add(key)
            rates.append(rate)
    if problems:
        raise RateImportError(f"导入失败，共 {len(problems)} 处问题，税额标准未作任何修改", problems.lines())
    with transaction.atomic():
        created = sum(1 for rate in rates if rate.pk is None)
        for rate in rates:
            rate.save()
        audit.record("water.tax_rate.imported", actor=actor, created=created, updated=len(rates) - created)
    return created, len(rates) - created
