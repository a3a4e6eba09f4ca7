"""The whole catalogue as one XLSX workbook (目录导入导出): export, and an all-or-nothing import with row errors.

Sheets (row 1: the Chinese headers; columns are found by header, in any order):

* 部门 — departments, by 部门编码; 材料目录 — ``CatalogueMaterial``, by 材料编码;
* 事项 — items, by 事项编码, with 事项表单字段 and 事项材料 (one row per field / material of an item);
* 一件事 — bundles, by 一件事编码 (the latest version), with 一件事问题 and 一件事事项.

Yes/no cells read 是 / 否; conditions are written as people read them (``outdoor_sign = 是``, ``food_category ∈
热食类|冷食类``, ``services.conditions``); choices as ``a|b|c``. An import is checked whole first — cell types,
codes known (in the workbook or the catalogue), no code twice, every condition naming a question or a field of
its bundle (``bundles.check_definition``), every bundle with an item — and any problem changes nothing and is
reported with its sheet, row, column and a Chinese message (``RowError``). Then, in one transaction,
departments, materials and items are created or updated by code; a bundle whose definition (its attributes, its
questions, its items with their conditions, fields, materials and limits) differs from its latest version gets a
new draft version (``catalogue.new_version``; a draft is edited in place; a new code starts at version 1) and, when
its row says 已发布, is published from its effective date (``catalogue.publish``; a date already past means today,
except for a code's first version). Published versions are never edited in place; an identical bundle is left
as it is, so importing the same workbook twice changes nothing, and says so. A row whose status is 已撤回 withdraws
the published latest version (its content unchanged); the 版本 column is informational (the export writes the
latest version's number). An account imports and exports only what lies in its region (the command: everything).
Every import is one audit entry (``services.catalogue.imported``, with the counts). An export is a workbook of the
same shape (the latest version of each code), which imports again as "no change".
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from changji.core import audit
from changji.core.exports import FormulaSafeWorkbook, active_worksheet, append_row, workbook_bytes
from changji.core.models import Region
from changji.core.scope import scope_queryset, user_can_access_region
from changji.core.uploads import MAX_PROBLEMS, SheetRow, UploadError, cell_problem, quoted, read_workbook
from changji.services import bundles, catalogue, conditions, definitions
from changji.services.models import (
    Bundle,
    BundleCategory,
    BundleItem,
    BundleStatus,
    CatalogueMaterial,
    Department,
    Item,
    ResultType,
)


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a sheet: its Chinese header, the key it fills, how its cell is read, whether it may be absent."""

    header: str
    key: str
    kind: str = "text"  #: a reader of READERS
    optional: bool = False  #: the column may be missing from the sheet (its cells then read as empty)


DEPARTMENTS, MATERIALS, ITEMS, FIELDS, ITEM_MATERIALS = "部门", "材料目录", "事项", "事项表单字段", "事项材料"
BUNDLES, QUESTIONS, BUNDLE_ITEMS = "一件事", "一件事问题", "一件事事项"
SHEETS: dict[str, tuple[Column, ...]] = {
    DEPARTMENTS: (Column("部门编码", "code", "code"), Column("部门名称", "name", "name"),
                  Column("区划代码", "region", "code")),
    MATERIALS: (Column("材料编码", "code", "code"), Column("材料名称", "name", "name"),
                Column("区划代码", "region", "code"), Column("填写说明", "description", "long"),
                Column("来源", "source", "short"), Column("需核验原件", "original_required", "bool"),
                Column("演示数据", "demo", "bool", optional=True)),
    ITEMS: (Column("事项编码", "code", "code"), Column("事项名称", "name", "name"),
            Column("部门编码", "department", "code"), Column("设定依据", "legal_basis", "long"),
            Column("法定时限（工作日）", "statutory_limit_days", "days"),
            Column("承诺时限（工作日）", "promised_limit_days", "days"), Column("收费（元）", "fee_yuan", "money"),
            Column("适用告知承诺", "commitment_allowed", "bool"),
            Column("承诺核查时限（工作日）", "verification_days", "days"), Column("窗口即办", "instant", "bool"),
            Column("需现场勘察", "inspection_required", "bool"),
            Column("勘察时限（工作日）", "inspection_limit_days", "days"),
            Column("结果类型", "result_type", "result_type"), Column("结果名称", "result_name", "short_name"),
            Column("演示数据", "demo", "bool", optional=True)),
    FIELDS: (Column("事项编码", "item", "code"), Column("字段名", "name", "field_name"),
             Column("字段标签", "label", "name"), Column("类型", "kind", "field_kind"),
             Column("必填", "required", "bool"), Column("选项", "choices", "choices"),
             Column("条件", "condition", "condition")),
    ITEM_MATERIALS: (Column("事项编码", "item", "code"), Column("材料编码", "code", "code"),
                     Column("材料名称", "name", "short_name"), Column("必交", "required", "bool"),
                     Column("条件", "condition", "condition"), Column("核验原件", "original", "bool")),
    BUNDLES: (Column("一件事编码", "code", "code"), Column("版本", "version", "version", optional=True),
              Column("名称", "name", "name"), Column("类别", "category", "category"),
              Column("区划代码", "region", "code"), Column("牵头部门编码", "lead_department", "code"),
              Column("可网上申请", "online_allowed", "bool"),
              Column("任一事项不予许可则整件不予办理", "refusal_fails_case", "bool"),
              Column("说明", "description", "long"), Column("状态", "status", "status"),
              Column("生效日期", "effective_on", "date"), Column("演示数据", "demo", "bool", optional=True)),
    QUESTIONS: (Column("一件事编码", "bundle", "code"), Column("问题名", "name", "field_name"),
                Column("问题", "label", "name"), Column("类型", "kind", "field_kind"),
                Column("必答", "required", "bool"), Column("选项", "choices", "choices"),
                Column("条件", "condition", "condition")),
    BUNDLE_ITEMS: (Column("一件事编码", "bundle", "code"), Column("事项编码", "item", "code"),
                   Column("顺序", "position", "position"), Column("条件", "condition", "condition")),
}

YES, NO = conditions.YES, conditions.NO
KIND_LABELS = {"text": "文本", "number": "数字", "date": "日期", "bool": "是否", "choice": "选择"}
STATUS_LABELS = {BundleStatus.DRAFT: "草稿", BundleStatus.PUBLISHED: "已发布", BundleStatus.WITHDRAWN: "已撤回"}


def _labelled(choices: Iterable[tuple[str, Any]], extra: Mapping[str, str] | None = None) -> dict[str, str]:
    out = {str(value): str(value) for value, _ in choices}
    out.update({str(label): str(value) for value, label in choices})
    out.update(extra or {})
    return out


CATEGORY_CELLS = _labelled(BundleCategory.choices, {f"{label}类": value for value, label in BundleCategory.choices})
RESULT_CELLS = _labelled(ResultType.choices)
KIND_CELLS = _labelled(KIND_LABELS.items())
STATUS_CELLS = _labelled(STATUS_LABELS.items())
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
#: The longest text of a column kind (the model's max_length); "long" is a text field, bounded by core.uploads.
LENGTHS = {"code": 32, "name": 128, "short_name": 128, "short": 32, "field_name": 64}


class CellError(ValueError):
    """A cell that cannot be read as its column wants; ``str(error)`` is the Chinese message."""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_text(kind: str) -> Callable[[Any], str]:
    def read(value: Any) -> str:
        problem = cell_problem(value, "text")
        if problem:
            raise CellError(problem)
        text = _text(value)
        limit = LENGTHS.get(kind)
        if limit is not None and len(text) > limit:
            raise CellError(f"不能超过 {limit} 个字符（实际 {len(text)} 个）")
        if kind in ("code", "name", "field_name") and not text:
            raise CellError("不能为空")
        if kind == "code" and not CODE.fullmatch(text):
            raise CellError(f"编码只能由英文字母、数字、“-”“_”“.”组成，实际为「{quoted(text)}」")
        if kind == "field_name" and not conditions.NAME.fullmatch(text):
            raise CellError(f"名称只能由英文字母、数字和下划线组成（且不以数字开头），实际为「{quoted(text)}」")
        return text
    return read


def _read_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value)
    if text in (YES, "TRUE", "True", "true", "1"):
        return True
    if text in (NO, "", "FALSE", "False", "false", "0"):
        return False
    raise CellError(f"应填“是”或“否”，实际为「{quoted(text)}」")


def _read_number(value: Any, *, low: int, high: int, what: str) -> int:
    problem = cell_problem(value, "number")
    if problem:
        raise CellError(problem)
    if value is None or _text(value) == "":
        raise CellError("不能为空")
    number = float(_text(value))
    if not number.is_integer() or not low <= number <= high:
        raise CellError(f"{what}应为 {low} 到 {high} 之间的整数，实际为 {quoted(_text(value))}")
    return int(number)


def _read_money(value: Any) -> Decimal:
    problem = cell_problem(value, "number")
    if problem:
        raise CellError(problem)
    try:
        amount = Decimal(_text(value) or "0")
    except InvalidOperation as error:
        raise CellError(f"应为金额，实际为「{quoted(value)}」") from error
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e8") or amount != amount.quantize(Decimal("0.01")):
        raise CellError(f"应为 0 到 99999999.99 之间、至多两位小数的金额，实际为 {quoted(_text(value))}")
    return amount.quantize(Decimal("0.01"))


def _read_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        return None
    try:
        if text.isascii() and len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise CellError(f"应为日期（如 2026-01-01），实际为「{quoted(text)}」")


def _choice_of(cells: Mapping[str, str], what: str) -> Callable[[Any], str]:
    def read(value: Any) -> str:
        text = _text(value)
        if text not in cells:
            shown = "、".join(dict.fromkeys(k for k in cells if not k.isascii()))
            raise CellError(f"未知{what}「{quoted(text) or '（空）'}」，应为 {shown}")
        return cells[text]
    return read


def _read_choices(value: Any) -> tuple[str, ...]:
    text = _read_text("long")(value)
    return tuple(part.strip() for part in text.split("|") if part.strip()) if text else ()


def _read_condition(value: Any) -> dict[str, Any] | None:
    text = _read_text("long")(value)
    try:
        return conditions.parse_condition(text)
    except conditions.ConditionSyntaxError as error:
        raise CellError(str(error)) from error


def _read_optional_version(value: Any) -> int | None:
    return None if value is None or _text(value) == "" else _read_number(value, low=1, high=32767, what="版本")


READERS: dict[str, Callable[[Any], Any]] = {
    **{kind: _read_text(kind) for kind in ("code", "name", "short_name", "short", "long", "field_name")},
    "bool": _read_bool, "money": _read_money, "date": _read_date, "choices": _read_choices,
    "condition": _read_condition, "version": _read_optional_version,
    "days": lambda v: _read_number(v, low=0, high=3650, what="时限"),
    "position": lambda v: _read_number(v, low=0, high=32767, what="顺序"),
    "field_kind": _choice_of(KIND_CELLS, "类型"), "category": _choice_of(CATEGORY_CELLS, "类别"),
    "status": _choice_of(STATUS_CELLS, "状态"), "result_type": _choice_of(RESULT_CELLS, "结果类型"),
}


# --- the outcome ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem of an import: where (sheet, row as the file numbers it, column header) and what (Chinese)."""

    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if not self.sheet:
            return self.message
        where = f"「{self.sheet}」第 {self.row} 行" + (f"「{self.column}」" if self.column else "")
        return f"{where}：{self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}


NOUNS = {"departments": "部门", "materials": "材料", "items": "事项", "bundles": "一件事"}
ACTIONS = {"created": "新增", "updated": "更新", "new_version": "新版本", "published": "发布", "withdrawn": "撤回",
           "unchanged": "未变"}


@dataclass
class CatalogueImport:
    """What an import did (counts by kind and action) or, with ``errors``, why it did nothing."""

    dry_run: bool = False
    counts: dict[str, Counter[str]] = field(default_factory=lambda: {kind: Counter() for kind in NOUNS})
    errors: list[RowError] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(n for counter in self.counts.values() for action, n in counter.items() if action != "unchanged")

    def summary(self) -> str:
        """One Chinese line for the page's message and the command's output."""
        if self.errors:
            return f"导入失败：发现 {len(self.errors)} 个问题，目录未作任何更改"
        parts = []
        for kind, noun in NOUNS.items():
            done = "，".join(f"{ACTIONS[action]} {n}" for action, n in sorted(self.counts[kind].items()) if n)
            parts.append(f"{noun}（{done or '无'}）")
        head = "试导入（未保存）" if self.dry_run else "导入完成"
        tail = "；目录无变化" if not self.changed else ""
        return f"{head}：{'；'.join(parts)}{tail}"

    def english(self) -> str:
        """The same in English, for the command's log."""
        if self.errors:
            return f"import refused: {len(self.errors)} problems, nothing changed"
        figures = "; ".join(f"{kind} " + ", ".join(f"{action} {n}" for action, n in sorted(counter.items()) if n)
                            for kind, counter in self.counts.items() if counter)
        state = "dry run, nothing saved" if self.dry_run else ("catalogue unchanged" if not self.changed else "saved")
        return f"{figures or 'nothing to import'} ({state})"

    def as_counts(self) -> dict[str, dict[str, int]]:
        return {kind: dict(counter) for kind, counter in self.counts.items()}


# --- reading a workbook into rows ----------------------------------------------------------------------------------


@dataclass
class Row:
    """A data row of a sheet, its cells read by column key (a cell that could not be read is absent)."""

    sheet: str
    number: int
    values: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.values.get(key)


class Problems:
    """The row errors of one import (all kept; the page shows the first ``MAX_PROBLEMS``)."""

    def __init__(self) -> None:
        self.errors: list[RowError] = []

    def add(self, row: Row | None, column_key: str, message: str) -> None:
        if row is None:
            self.errors.append(RowError("", 0, "", message))
            return
        header = next((c.header for c in SHEETS[row.sheet] if c.key == column_key), column_key)
        error = RowError(row.sheet, row.number, header, message)
        if error not in self.errors:  # an item's row is checked once per bundle that has the item
            self.errors.append(error)


def rows_of(sheets: Mapping[str, Sequence[SheetRow]], problems: Problems) -> dict[str, list[Row]]:
    """Each sheet's data rows, read by header; an unknown or missing header is one problem of the file."""
    out: dict[str, list[Row]] = {}
    for name, columns in SHEETS.items():
        found = list(sheets.get(name, ()))
        header = [_text(v) for v in (found[0].values if found else ())]
        missing = [c.header for c in columns if c.header not in header and not c.optional]
        if missing:
            raise UploadError(f"工作表「{name}」缺少列：{'、'.join(missing)}")
        positions = {c.key: header.index(c.header) for c in columns if c.header in header}
        out[name] = []
        for sheet_row in found[1:]:
            row = Row(name, sheet_row.number, {})
            for column in columns:
                at = positions.get(column.key)
                value = sheet_row.values[at] if at is not None and at < len(sheet_row.values) else None
                try:
                    row.values[column.key] = READERS[column.kind](value)
                except CellError as error:
                    problems.add(row, column.key, str(error))
            out[name].append(row)
    return out


# --- checking the rows ---------------------------------------------------------------------------------------------


@dataclass
class Plan:
    """The workbook's catalogue, checked: rows by code, and each item's and bundle's child rows."""

    departments: dict[str, Row] = field(default_factory=dict)
    materials: dict[str, Row] = field(default_factory=dict)
    items: dict[str, Row] = field(default_factory=dict)
    fields: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    item_materials: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    bundles: dict[str, Row] = field(default_factory=dict)
    questions: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    links: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))


def _is_actor(by: Any) -> bool:
    return getattr(by, "is_authenticated", False)


def _scoped(queryset: QuerySet[Any], by: Any) -> QuerySet[Any]:
    """``queryset`` within ``by``'s region; everything for the command (no account)."""
    return scope_queryset(queryset, by) if _is_actor(by) else queryset


class Checker:
    """Checks the rows of a workbook against each other and the catalogue; collects every problem."""

    def __init__(self, rows: dict[str, list[Row]], problems: Problems, by: Any) -> None:
        self.rows, self.problems, self.by = rows, problems, by
        self.plan = Plan()
        self.regions = {r.code: r for r in Region.objects.filter(code__in=self._codes("region"))}
        self.known_departments = set(Department.objects.values_list("code", flat=True))
        self.known_materials = set(CatalogueMaterial.objects.values_list("code", flat=True))
        self.known_items = {item.code: item for item in Item.objects.select_related("department")}

    def _codes(self, key: str) -> set[str]:
        return {row[key] for rows in self.rows.values() for row in rows if row[key]}

    def _unique(self, sheet: str, into: dict[str, Row]) -> None:
        for row in self.rows[sheet]:
            code = row["code"]
            if code is None:
                continue
            if code in into:
                self.problems.add(row, "code", f"编码「{code}」重复（第 {into[code].number} 行已有）")
            else:
                into[code] = row

    def _region(self, row: Row) -> None:
        code = row["region"]
        if code is None:
            return
        region = self.regions.get(code)
        if region is None:
            self.problems.add(row, "region", f"未知区划代码「{code}」")
        elif _is_actor(self.by) and not user_can_access_region(self.by, region):
            self.problems.add(row, "region", f"区划「{region.name}」不在本账号的管辖范围内")

    def check(self) -> Plan:
        self._unique(DEPARTMENTS, self.plan.departments)
        self._unique(MATERIALS, self.plan.materials)
        self._unique(ITEMS, self.plan.items)
        self._unique(BUNDLES, self.plan.bundles)
        for row in self.rows[DEPARTMENTS] + self.rows[MATERIALS] + self.rows[BUNDLES]:
            self._region(row)
        self._check_items()
        if _is_actor(self.by):
            self._check_scope()
        self._children(FIELDS, "item", set(self.plan.items), self.plan.fields, "name", "事项编码不在「事项」表中")
        self._children(ITEM_MATERIALS, "item", set(self.plan.items), self.plan.item_materials, "code",
                       "事项编码不在「事项」表中")
        self._check_item_materials()
        self._children(QUESTIONS, "bundle", set(self.plan.bundles), self.plan.questions, "name",
                       "一件事编码不在「一件事」表中")
        self._children(BUNDLE_ITEMS, "bundle", set(self.plan.bundles), self.plan.links, "item",
                       "一件事编码不在「一件事」表中")
        self._check_bundles()
        return self.plan

    def _outside(self, region: Region | None) -> bool:
        return region is not None and not user_can_access_region(self.by, region)

    def _check_scope(self) -> None:
        """An account changes only what lies in its region: rows it updates, and departments it names."""
        owners = {
            DEPARTMENTS: {d.code: d.region for d in Department.objects.select_related("region")},
            MATERIALS: {m.code: m.region for m in CatalogueMaterial.objects.select_related("region")},
            ITEMS: {i.code: i.department.region for i in Item.objects.select_related("department__region")},
            BUNDLES: {b.code: b.region for b in Bundle.objects.select_related("region")},
        }
        for sheet, existing in owners.items():
            for row in self.rows[sheet]:
                if self._outside(existing.get(row["code"])):
                    self.problems.add(row, "code", f"编码「{row['code']}」属于本账号管辖范围以外的区划，不能修改")
        named = {**owners[DEPARTMENTS], **{code: self.regions.get(row["region"])
                                            for code, row in self.plan.departments.items()}}
        for row, key in [(r, "department") for r in self.rows[ITEMS]] + [(r, "lead_department")
                                                                         for r in self.rows[BUNDLES]]:
            if self._outside(named.get(row[key])):
                self.problems.add(row, key, f"部门「{row[key]}」不在本账号的管辖范围内")

    def _department_known(self, row: Row, key: str) -> None:
        code = row[key]
        if code is not None and code not in self.plan.departments and code not in self.known_departments:
            self.problems.add(row, key, f"未知部门「{code}」（既不在「部门」表中，也不在目录中）")

    def _check_items(self) -> None:
        for row in self.plan.items.values():
            self._department_known(row, "department")
            statutory, promised = row["statutory_limit_days"], row["promised_limit_days"]
            if statutory is not None and promised is not None and promised > statutory:
                self.problems.add(row, "promised_limit_days",
                                  f"承诺时限 {promised} 个工作日不能超过法定时限 {statutory} 个工作日")
            if row["inspection_required"] and not row["inspection_limit_days"]:
                self.problems.add(row, "inspection_limit_days", "需现场勘察的事项须填写勘察时限（至少 1 个工作日）")

    def _children(self, sheet: str, parent: str, parents: set[str], into: dict[str, list[Row]], key: str,
                  unknown: str) -> None:
        seen: dict[tuple[str, str], Row] = {}
        for row in self.rows[sheet]:
            owner, own = row[parent], row[key]
            if owner is None:
                continue
            if owner not in parents:
                self.problems.add(row, parent, f"{unknown}：「{owner}」")
                continue
            if own is not None and (owner, own) in seen:
                self.problems.add(row, key, f"「{own}」在「{owner}」中重复（第 {seen[owner, own].number} 行已有）")
                continue
            if own is not None:
                seen[owner, own] = row
            into[owner].append(row)
        for rows in into.values():
            for row in rows:
                if row.sheet in (FIELDS, QUESTIONS) and row["kind"] == "choice" and not row["choices"]:
                    self.problems.add(row, "choices", "选择题须列出选项（用“|”分隔）")

    def _check_item_materials(self) -> None:
        for rows in self.plan.item_materials.values():
            for row in rows:
                code = row["code"]
                if code is not None and code not in self.plan.materials and code not in self.known_materials:
                    self.problems.add(row, "code", f"未知材料「{code}」（既不在「材料目录」表中，也不在目录中）")

    def _check_bundles(self) -> None:
        for code, row in self.plan.bundles.items():
            self._department_known(row, "lead_department")
            links = self.plan.links.get(code, [])
            if not links:
                self.problems.add(row, "code", "一件事至少包含一个事项（见「一件事事项」表）")
            for link in links:
                item = link["item"]
                if item is not None and item not in self.plan.items and item not in self.known_items:
                    self.problems.add(link, "item", f"未知事项「{item}」（既不在「事项」表中，也不在目录中）")
            if row.values.get("status") == BundleStatus.WITHDRAWN and code not in self._existing_codes():
                self.problems.add(row, "status", "新的一件事不能以“已撤回”状态导入")
        if not self.problems.errors:
            for code in self.plan.bundles:
                self._check_definition(code)

    def _existing_codes(self) -> set[str]:
        if not hasattr(self, "_existing"):
            self._existing = set(Bundle.objects.values_list("code", flat=True).distinct())
        return self._existing

    def item_spec(self, code: str, condition: Any) -> bundles.ItemSpec:
        """The item ``code`` as the workbook defines it (or the catalogue, when the workbook leaves it out)."""
        row = self.plan.items.get(code)
        if row is None:
            return definitions.item_spec(self.known_items[code], condition)
        return bundles.ItemSpec(
            code=code, condition=condition, name=row["name"], department=row["department"],
            fields=tuple(field_of(r) for r in self.plan.fields.get(code, [])),
            materials=tuple(material_of(r, self.plan) for r in self.plan.item_materials.get(code, [])),
            instant=row["instant"], inspection=row["inspection_required"],
            inspection_limit_days=row["inspection_limit_days"], promised_limit_days=row["promised_limit_days"],
            statutory_limit_days=row["statutory_limit_days"], commitment_allowed=row["commitment_allowed"],
            result_type=row["result_type"], result_name=row["result_name"], fee_yuan=str(row["fee_yuan"]))

    def definition(self, code: str) -> bundles.Definition:
        """The bundle ``code`` as the workbook defines it: its questions, then its items in order."""
        links = sorted(self.plan.links.get(code, []), key=lambda r: (r["position"], r.number))
        return bundles.Definition(questions=tuple(field_of(r) for r in self.plan.questions.get(code, [])),
                                  items=tuple(self.item_spec(r["item"], r["condition"]) for r in links))

    def _check_definition(self, code: str) -> None:
        definition = self.definition(code)
        asked = {f.name: f for item in definition.items for f in item.fields}
        asked.update({q.name: q for q in definition.questions})
        targeted = False
        items = [r["item"] for r in self.plan.links.get(code, [])]
        rows = self.plan.links.get(code, []) + self.plan.questions.get(code, []) + [
            row for item in items for row in self.plan.fields.get(item, []) + self.plan.item_materials.get(item, [])]
        for row in rows:
            condition = row["condition"]
            if not condition:
                continue
            known = asked.get(condition["field"])
            if known is None:
                self.problems.add(row, "condition",
                                  f"条件引用了一件事「{code}」中不存在的问题或字段「{condition['field']}」")
                targeted = True
            elif problem := value_problem(known, condition):
                self.problems.add(row, "condition", problem)
                targeted = True
        if not targeted:
            for message in bundles.check_definition(definition):
                self.problems.add(self.plan.bundles[code], "code", message)


def value_problem(asked: bundles.FormField, condition: Mapping[str, Any]) -> str | None:
    """Why ``condition`` can never hold for answers to ``asked`` (a yes-or-no, or a choice not offered); or None."""
    values = condition["in"] if "in" in condition else [condition.get("equals")]
    if asked.kind == "bool" and any(not isinstance(v, bool) for v in values):
        return f"「{asked.label}」是是否题，条件取值应为“是”或“否”"
    if asked.kind == "choice":
        strange = [str(v) for v in values if v not in asked.choices]
        if strange:
            return f"条件取值「{'、'.join(strange)}」不是「{asked.label}」的选项（{'|'.join(asked.choices)}）"
    return None


def field_of(row: Row) -> bundles.FormField:
    """A form field or question from its row."""
    return bundles.FormField(row["name"], row["label"], row["kind"], row["required"], row["choices"],
                             row["condition"])


def material_of(row: Row, plan: Plan) -> bundles.MaterialSpec:
    """An item's material from its row; a blank name takes the 材料目录's."""
    name = row["name"] or (plan.materials[row["code"]]["name"] if row["code"] in plan.materials else "")
    if not name:
        name = CatalogueMaterial.objects.filter(code=row["code"]).values_list("name", flat=True).first() or row["code"]
    return bundles.MaterialSpec(row["code"], name, row["required"], row["condition"], row["original"])


def fields_json(fields: Iterable[bundles.FormField]) -> list[dict[str, Any]]:
    """Form fields as ``Item.form_fields`` / ``Bundle.questions`` store them (``bundles`` JSON)."""
    return bundles.definition_to_json(bundles.Definition(questions=tuple(fields)))["questions"]


def materials_json(materials: Iterable[bundles.MaterialSpec]) -> list[dict[str, Any]]:
    """Materials as ``Item.materials`` stores them."""
    spec = bundles.ItemSpec(code="", materials=tuple(materials))
    return bundles.definition_to_json(bundles.Definition(items=(spec,)))["items"][0]["materials"]


# --- applying the plan ---------------------------------------------------------------------------------------------


def _upsert(model: Any, code: str, wanted: dict[str, Any], counter: Counter[str]) -> Any:
    """Create or update the row of ``model`` with ``code``; count what happened."""
    found = model.objects.filter(code=code).first()
    if found is None:
        counter["created"] += 1
        return model.objects.create(code=code, **wanted)
    changed = {k: v for k, v in wanted.items() if getattr(found, k) != v}
    if changed:
        for key, value in changed.items():
            setattr(found, key, value)
        found.save(update_fields=list(changed))
        counter["updated"] += 1
    else:
        counter["unchanged"] += 1
    return found


ITEM_SCALARS = ("name", "legal_basis", "statutory_limit_days", "promised_limit_days", "fee_yuan",
                "commitment_allowed", "verification_days", "instant", "inspection_required", "inspection_limit_days",
                "result_type", "result_name")


class Applier:
    """Applies a checked plan: departments, materials, items by code; bundles by version (see the module docs)."""

    def __init__(self, checker: Checker, result: CatalogueImport, by: Any) -> None:
        self.checker, self.plan, self.result, self.by = checker, checker.plan, result, by
        self.today = timezone.localdate()

    def apply(self) -> None:
        regions = self.checker.regions
        departments = {d.code: d for d in Department.objects.all()}
        for code, row in self.plan.departments.items():
            departments[code] = _upsert(Department, code, {"name": row["name"], "region": regions[row["region"]]},
                                        self.result.counts["departments"])
        for code, row in self.plan.materials.items():
            _upsert(CatalogueMaterial, code, {
                "name": row["name"], "region": regions[row["region"]], "description": row["description"],
                "source": row["source"], "original_required": row["original_required"], "demo": bool(row["demo"])},
                self.result.counts["materials"])
        for code, row in self.plan.items.items():
            spec = self.checker.item_spec(code, None)
            _upsert(Item, code, {**{k: row[k] for k in ITEM_SCALARS}, "department": departments[row["department"]],
                                 "form_fields": fields_json(spec.fields), "materials": materials_json(spec.materials),
                                 "demo": bool(row["demo"])}, self.result.counts["items"])
        self.items = {item.code: item for item in Item.objects.select_related("department")}
        self.departments = departments
        latest = dict(Bundle.objects.values("code").annotate(v=Max("version")).values_list("code", "v"))
        for code, row in self.plan.bundles.items():
            current = Bundle.objects.get(code=code, version=latest[code]) if code in latest else None
            self._bundle(row, current)

    def _attributes(self, row: Row) -> dict[str, Any]:
        questions = fields_json(field_of(r) for r in self.plan.questions.get(row["code"], []))
        return {"name": row["name"], "category": row["category"], "region": self.checker.regions[row["region"]],
                "lead_department": self.departments[row["lead_department"]], "online_allowed": row["online_allowed"],
                "refusal_fails_case": row["refusal_fails_case"], "description": row["description"],
                "demo": bool(row["demo"]), "questions": questions}

    def _links(self, code: str) -> list[tuple[str, int, Any]]:
        return sorted(((r["item"], r["position"], r["condition"]) for r in self.plan.links.get(code, [])),
                      key=lambda link: (link[1], link[0]))

    def _same(self, row: Row, bundle: Bundle) -> bool:
        """Whether ``bundle`` is what the row defines (attributes, questions, items, their definition)."""
        wanted = self._attributes(row)
        if any(getattr(bundle, key) != value for key, value in wanted.items()):
            return False
        links = sorted(((link.item.code, link.position, link.condition or None)
                        for link in bundle.bundle_items.select_related("item")), key=lambda link: (link[1], link[0]))
        if links != self._links(row["code"]):
            return False
        frozen = bundles.definition_to_json(definitions.definition_of(bundle))
        return frozen == bundles.definition_to_json(self.checker.definition(row["code"]))

    def _write(self, bundle: Bundle, row: Row) -> None:
        """Set a draft's attributes and items to the row's."""
        for key, value in self._attributes(row).items():
            setattr(bundle, key, value)
        bundle.save()
        bundle.bundle_items.all().delete()
        BundleItem.objects.bulk_create([BundleItem(bundle=bundle, item=self.items[item], position=position,
                                                   condition=condition)
                                        for item, position, condition in self._links(row["code"])])

    def _bundle(self, row: Row, current: Bundle | None) -> None:
        counter = self.result.counts["bundles"]
        status, effective_on = row["status"], row["effective_on"]
        if current is None:
            draft = Bundle(code=row["code"], version=1, status=BundleStatus.DRAFT)
            self._write(draft, row)
            audit.record("services.bundle.draft", actor=self.by, target=draft, region=draft.region, code=draft.code,
                         version=draft.version, imported=True)
            counter["created"] += 1
            if status == BundleStatus.PUBLISHED:
                self._publish(draft, effective_on, first=True)
            return
        if self._same(row, current):
            self._same_content(row, current)
            return
        if status == BundleStatus.WITHDRAWN:
            self.result.errors.append(RowError(BUNDLES, row.number, "状态", "状态为“已撤回”时不能修改一件事的内容"))
            return
        draft = current if current.status == BundleStatus.DRAFT else catalogue.new_version(current, self.by)
        self._write(draft, row)
        counter["updated" if draft is current else "new_version"] += 1
        if status == BundleStatus.PUBLISHED:
            self._publish(draft, effective_on, first=False)

    def _same_content(self, row: Row, current: Bundle) -> None:
        counter = self.result.counts["bundles"]
        status, effective_on = row["status"], row["effective_on"]
        if current.status == BundleStatus.DRAFT and status == BundleStatus.PUBLISHED:
            self._publish(current, effective_on, first=current.version == 1)
        elif current.status == BundleStatus.PUBLISHED and status == BundleStatus.WITHDRAWN:
            catalogue.withdraw(current, self.by, "目录导入：状态为已撤回")
            counter["withdrawn"] += 1
        elif (current.status == BundleStatus.PUBLISHED and status == BundleStatus.PUBLISHED
              and effective_on not in (None, current.effective_on)
              and not (effective_on <= self.today and (current.effective_on or self.today) <= self.today)):
            draft = catalogue.new_version(current, self.by)
            counter["new_version"] += 1
            self._publish(draft, effective_on, first=False)
        else:
            counter["unchanged"] += 1

    def _publish(self, draft: Bundle, effective_on: date | None, *, first: bool) -> None:
        """Publish ``draft`` from ``effective_on`` (a past date means today, except for a code's first version)."""
        when = effective_on or self.today
        try:
            catalogue.publish(draft, self.by, max(when, self.today))
        except catalogue.CatalogueError as error:  # checked before; a race with another editor lands here
            row = self.plan.bundles[draft.code]
            self.result.errors.append(RowError(BUNDLES, row.number, "状态", error.message))
            return
        if first and when < self.today:
            Bundle.objects.filter(pk=draft.pk).update(effective_on=when)
        self.result.counts["bundles"]["published"] += 1


def import_rows(sheets: Mapping[str, Sequence[SheetRow]], by: Any, *, dry_run: bool = False) -> CatalogueImport:
    """Check and apply a catalogue given as sheet rows (``read_workbook``'s shape); all or nothing."""
    result = CatalogueImport(dry_run=dry_run)
    problems = Problems()
    try:
        rows = rows_of(sheets, problems)
    except UploadError as error:
        result.errors = [RowError("", 0, "", str(error))]
        return result
    with transaction.atomic():
        checker = Checker(rows, problems, by)
        checker.check()
        result.errors = problems.errors
        if result.errors:
            return result
        Applier(checker, result, by).apply()
        if result.errors:
            transaction.set_rollback(True)
            return result
        if dry_run:
            transaction.set_rollback(True)
        else:
            audit.record("services.catalogue.imported", actor=by, region=getattr(by, "region", None),
                         reason=result.summary(), counts=result.as_counts(), changed=result.changed)
    return result


def import_catalogue(content: bytes, by: Any, *, dry_run: bool = False) -> CatalogueImport:
    """Check and apply an uploaded catalogue workbook (see the module docstring); all or nothing."""
    try:
        sheets = read_workbook(content, list(SHEETS))
    except UploadError as error:
        return CatalogueImport(dry_run=dry_run, errors=[RowError("", 0, "", str(error))])
    return import_rows(sheets, by, dry_run=dry_run)


def shown_errors(errors: Sequence[RowError]) -> list[RowError]:
    """The first ``MAX_PROBLEMS`` errors, and one more row saying how many were left out."""
    if len(errors) <= MAX_PROBLEMS:
        return list(errors)
    return [*errors[:MAX_PROBLEMS], RowError("", 0, "", f"……以及另外 {len(errors) - MAX_PROBLEMS} 个问题")]


# --- export --------------------------------------------------------------------------------------------------------


def _yes(value: bool) -> str:
    return YES if value else NO


def _catalogue_rows(by: Any) -> dict[str, list[list[Any]]]:
    """Every sheet's rows (headers first) of the catalogue within ``by``'s region: the latest version of each code."""
    out: dict[str, list[list[Any]]] = {name: [[c.header for c in columns]] for name, columns in SHEETS.items()}
    for d in _scoped(Department.objects.select_related("region").order_by("code"), by):
        out[DEPARTMENTS].append([d.code, d.name, d.region.code])
    for m in _scoped(CatalogueMaterial.objects.select_related("region").order_by("code"), by):
        out[MATERIALS].append([m.code, m.name, m.region.code, m.description, m.source, _yes(m.original_required),
                               _yes(m.demo)])
    for item in _scoped(Item.objects.select_related("department").order_by("code"), by):
        out[ITEMS].append([item.code, item.name, item.department.code, item.legal_basis, item.statutory_limit_days,
                           item.promised_limit_days, float(item.fee_yuan), _yes(item.commitment_allowed),
                           item.verification_days, _yes(item.instant), _yes(item.inspection_required),
                           item.inspection_limit_days, str(ResultType(item.result_type).label), item.result_name,
                           _yes(item.demo)])
        for f in map(bundles.field_from_json, item.form_fields):
            out[FIELDS].append(_field_row(item.code, f))
        for m in map(bundles.material_from_json, item.materials):
            out[ITEM_MATERIALS].append([item.code, m.code, m.name, _yes(m.required),
                                        conditions.format_condition(m.condition), _yes(m.original)])
    latest = Bundle.objects.values("code").annotate(v=Max("version")).values_list("code", "v")
    scoped = _scoped(Bundle.objects.select_related("region", "lead_department"), by)
    wanted = {(code, version) for code, version in latest}
    for b in sorted((b for b in scoped if (b.code, b.version) in wanted), key=lambda b: b.code):
        out[BUNDLES].append([b.code, b.version, b.name, str(BundleCategory(b.category).label) + "类", b.region.code,
                             b.lead_department.code, _yes(b.online_allowed), _yes(b.refusal_fails_case),
                             b.description, STATUS_LABELS[BundleStatus(b.status)],
                             f"{b.effective_on:%Y-%m-%d}" if b.effective_on else "", _yes(b.demo)])
        for q in map(bundles.field_from_json, b.questions):
            out[QUESTIONS].append(_field_row(b.code, q))
        for link in b.bundle_items.select_related("item").order_by("position", "pk"):
            out[BUNDLE_ITEMS].append([b.code, link.item.code, link.position,
                                      conditions.format_condition(link.condition)])
    return out


def _field_row(owner: str, f: bundles.FormField) -> list[Any]:
    return [owner, f.name, f.label, KIND_LABELS.get(f.kind, f.kind), _yes(f.required), "|".join(f.choices),
            conditions.format_condition(f.condition)]


def workbook_of(rows: Mapping[str, Sequence[Sequence[Any]]]) -> bytes:
    """An XLSX file with one sheet per entry of ``rows`` (headers first), formula-safe (``core.exports``)."""
    book = FormulaSafeWorkbook()
    first = active_worksheet(book)
    for n, (name, sheet_rows) in enumerate(rows.items()):
        sheet = first if n == 0 else book.create_sheet()
        sheet.title = name
        for values in sheet_rows:
            append_row(sheet, values)
        sheet.freeze_panes = "A2"
    return workbook_bytes(book)


def export_catalogue(by: Any = None) -> bytes:
    """The whole catalogue within ``by``'s region as a workbook that imports again unchanged."""
    return workbook_of(_catalogue_rows(by))


def sheet_rows(rows: Mapping[str, Sequence[Sequence[Any]]]) -> dict[str, list[SheetRow]]:
    """Rows (headers first) as ``read_workbook`` gives them, numbered from 1, for ``import_rows``."""
    return {name: [SheetRow(n, tuple(values)) for n, values in enumerate(sheet, start=1)]
            for name, sheet in rows.items()}
