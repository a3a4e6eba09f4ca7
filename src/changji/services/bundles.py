"""一表申请、一套材料: the merged form and materials of a bundle, and which items an applicant needs.

A bundle (一件事) joins several items (事项), each with its own form fields and required materials.
The applicant fills one form whose fields are the union of the items' fields without duplicates
(a field asked by two items is asked once; it is required if any item requires it), and brings one
set of materials (a material needed by two items is uploaded once and linked to both). Conditions
on the bundle's items decide, from the applicant's answers, which items apply (e.g. the outdoor
sign permit only when the shop will hang a sign); a condition on one field or one material decides
whether it is asked (the lease contract only when the premises are rented). The bundle's *questions*
(是否设置户外招牌…) are asked first; conditions name a question or a field of the bundle.

One definition drives the form, the material list and what is missing: a ``Definition`` (the
bundle's questions and its items with their fields and materials) is what a published bundle
version freezes (``Bundle.definition``, ``definition_to_json`` / ``definition_from_json``), so a
case filed on it keeps the form and materials it was filed with whatever the catalogue later says.
``check_definition`` refuses a definition whose conditions name nothing it asks. Plain functions
over plain data, no Django.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__pure__ = True  # no Django: tests/test_architecture.py checks it


#: The kinds of a form field; a ``bool`` answer is True or False, a ``choice`` one of ``choices``.
FIELD_KINDS = ("text", "number", "date", "bool", "choice")


@dataclass(frozen=True, slots=True)
class FormField:
    name: str
    label: str
    kind: str = "text"  #: one of FIELD_KINDS
    required: bool = True
    choices: tuple[str, ...] = ()
    condition: Mapping[str, Any] | None = None  #: asked only when it holds (``applies``)


@dataclass(frozen=True, slots=True)
class MaterialSpec:
    code: str
    name: str
    required: bool = True
    condition: Mapping[str, Any] | None = None  #: needed only when it holds (``applies``)
    original: bool = False  #: the original must be seen at the window (核验原件)


@dataclass(frozen=True, slots=True)
class ItemSpec:
    code: str
    fields: tuple[FormField, ...] = ()
    materials: tuple[MaterialSpec, ...] = ()
    condition: Mapping[str, Any] | None = None  #: {"field": name, "equals": v} or {"field": name, "in": [..]}
    name: str = ""
    department: str = ""  #: the department's code
    instant: bool = False  #: 即办: decidable at the window in the same visit
    inspection: bool = False  #: a site inspection (现场勘察) comes before the decision
    inspection_limit_days: int = 0
    promised_limit_days: int = 0
    statutory_limit_days: int = 0
    commitment_allowed: bool = False
    result_type: str = ""
    result_name: str = ""
    fee_yuan: str = "0"


@dataclass(frozen=True, slots=True)
class Definition:
    """A bundle as the applicant meets it: the questions asked first, then its items (in order)."""

    questions: tuple[FormField, ...] = ()
    items: tuple[ItemSpec, ...] = ()


@dataclass(frozen=True, slots=True)
class MergedMaterial:
    code: str
    name: str
    required: bool
    items: tuple[str, ...] = field(default=())


def applies(condition: Mapping[str, Any] | None, answers: Mapping[str, Any]) -> bool:
    """Whether an item with ``condition`` applies to ``answers`` (no condition: always)."""
    if not condition:
        return True
    value: object = answers.get(condition["field"])
    if "equals" in condition:
        expected: object = condition["equals"]  # typed, so that == gives a bool (comparing with Any gives Any)
        return value == expected
    if "in" in condition:
        return bool(value in condition["in"])  # ``in`` gives a bool; mypy cannot tell with a container of type Any
    raise ValueError(f"unknown condition {dict(condition)!r}")


def applicable_items(items: Sequence[ItemSpec], answers: Mapping[str, Any]) -> list[ItemSpec]:
    return [item for item in items if applies(item.condition, answers)]


def merged_fields(items: Iterable[ItemSpec], answers: Mapping[str, Any] | None = None) -> list[FormField]:
    """The one form: every field once, in first-asked order, required if any item requires it.

    With ``answers``, only the fields whose own condition holds (the form the applicant must complete);
    without, every field (the form as shown, each field carrying its condition for the page to hide it).
    A field asked by two items keeps the first one's condition unless the second asks it always.
    """
    merged: dict[str, FormField] = {}
    for item in items:
        for f in item.fields:
            if answers is not None and not applies(f.condition, answers):
                continue
            known = merged.get(f.name)
            if known is None:
                merged[f.name] = f
            else:
                condition = None if known.condition is None or f.condition is None else known.condition
                merged[f.name] = FormField(known.name, known.label, known.kind, known.required or f.required,
                                           known.choices, condition)
    return list(merged.values())


def merged_materials(items: Iterable[ItemSpec], answers: Mapping[str, Any] | None = None) -> list[MergedMaterial]:
    """The one set of materials: each once, linked to every item that needs it.

    With ``answers``, only the materials whose own condition holds (what the applicant must bring).
    """
    merged: dict[str, MergedMaterial] = {}
    for item in items:
        for m in item.materials:
            if answers is not None and not applies(m.condition, answers):
                continue
            known = merged.get(m.code)
            if known is None:
                merged[m.code] = MergedMaterial(m.code, m.name, m.required, (item.code,))
            else:
                merged[m.code] = MergedMaterial(known.code, known.name, known.required or m.required,
                                                (*known.items, item.code))
    return list(merged.values())


def required_form(definition: Definition, answers: Mapping[str, Any]) -> list[FormField]:
    """The questions, then the fields of the items that apply whose conditions hold: what must be answered."""
    return [q for q in definition.questions if applies(q.condition, answers)] + merged_fields(
        applicable_items(definition.items, answers), answers)


def required_materials(definition: Definition, answers: Mapping[str, Any]) -> list[MergedMaterial]:
    """The materials of the items that apply, each only when its own condition holds: what must be brought."""
    return merged_materials(applicable_items(definition.items, answers), answers)


def missing_from(definition: Definition, answers: Mapping[str, Any], supplied: Iterable[str]) -> list[str]:
    """``missing`` for a whole definition: the one list told to the applicant, and nothing else (补正)."""
    return missing(required_form(definition, answers), required_materials(definition, answers), answers, supplied)


def missing_parts(definition: Definition, answers: Mapping[str, Any],
                  supplied: Iterable[str]) -> tuple[list[FormField], list[MergedMaterial]]:
    """The fields and materials behind ``missing_from``'s list: what a correction form asks again, and only that."""
    have = set(supplied)
    fields = [f for f in required_form(definition, answers) if f.required and answers.get(f.name) in (None, "")]
    materials = [m for m in required_materials(definition, answers) if m.required and m.code not in have]
    return fields, materials


def missing(fields: Iterable[FormField], materials: Iterable[MergedMaterial], answers: Mapping[str, Any],
            supplied: Iterable[str]) -> list[str]:
    """The one complete list of what is missing (补齐补正一次告知): unanswered fields, materials not supplied."""
    have = set(supplied)
    out = [f"表单：{f.label}" for f in fields if f.required and answers.get(f.name) in (None, "")]
    out += [f"材料：{m.name}" for m in materials if m.required and m.code not in have]
    return out


def condition_names(definition: Definition) -> set[str]:
    """The names a condition may refer to: the questions and every item's fields."""
    return {q.name for q in definition.questions} | {f.name for item in definition.items for f in item.fields}


def _condition_errors(where: str, condition: Mapping[str, Any] | None, names: set[str]) -> list[str]:
    if not condition:
        return []
    if not isinstance(condition, Mapping) or "field" not in condition:
        return [f"{where}：条件格式应为 {{\"field\": 名称, \"equals\": 值}} 或 {{\"field\": 名称, \"in\": [值…]}}"]
    errors = []
    if condition["field"] not in names:
        errors.append(f"{where}：条件引用了不存在的问题或字段“{condition['field']}”")
    if ("equals" in condition) == ("in" in condition):
        errors.append(f"{where}：条件须有 equals 或 in 之一")
    elif "in" in condition and not isinstance(condition["in"], list | tuple):
        errors.append(f"{where}：in 须为取值列表")
    return errors


def check_definition(definition: Definition) -> list[str]:
    """Every reason the definition cannot be published (Chinese); an empty list when it can.

    Conditions must name a question or a field of the bundle; a name asked twice must keep its kind; a choice
    field needs its choices; a bundle needs at least one item.
    """
    names = condition_names(definition)
    errors = [] if definition.items else ["一件事至少包含一个事项"]
    kinds: dict[str, str] = {}
    for q in definition.questions:
        errors += _condition_errors(f"问题“{q.label}”", q.condition, names)
        kinds[q.name] = q.kind
    for item in definition.items:
        label = item.name or item.code
        errors += _condition_errors(f"事项“{label}”", item.condition, names)
        for f in item.fields:
            if f.kind not in FIELD_KINDS:
                errors.append(f"事项“{label}”字段“{f.label}”：未知类型 {f.kind}")
            if f.kind == "choice" and not f.choices:
                errors.append(f"事项“{label}”字段“{f.label}”：选择题须列出选项")
            if kinds.setdefault(f.name, f.kind) != f.kind:
                errors.append(f"字段“{f.name}”在不同事项中类型不一致")
            errors += _condition_errors(f"事项“{label}”字段“{f.label}”", f.condition, names)
        for m in item.materials:
            errors += _condition_errors(f"事项“{label}”材料“{m.name}”", m.condition, names)
    return errors


def _field_json(f: FormField) -> dict[str, Any]:
    out: dict[str, Any] = {"name": f.name, "label": f.label, "kind": f.kind, "required": f.required}
    if f.choices:
        out["choices"] = list(f.choices)
    if f.condition:
        out["condition"] = dict(f.condition)
    return out


def field_from_json(data: Mapping[str, Any]) -> FormField:
    """A form field from its stored form (``Item.form_fields`` entries, ``Bundle.questions``)."""
    return FormField(data["name"], data["label"], data.get("kind", "text"), bool(data.get("required", True)),
                     tuple(data.get("choices", ())), data.get("condition") or None)


def material_from_json(data: Mapping[str, Any]) -> MaterialSpec:
    """A material from its stored form (``Item.materials`` entries)."""
    return MaterialSpec(data["code"], data["name"], bool(data.get("required", True)), data.get("condition") or None,
                        bool(data.get("original", False)))


def _material_json(m: MaterialSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"code": m.code, "name": m.name, "required": m.required}
    if m.condition:
        out["condition"] = dict(m.condition)
    if m.original:
        out["original"] = True
    return out


_ITEM_SCALARS = ("name", "department", "instant", "inspection", "inspection_limit_days", "promised_limit_days",
                 "statutory_limit_days", "commitment_allowed", "result_type", "result_name", "fee_yuan")


def definition_to_json(definition: Definition) -> dict[str, Any]:
    """The definition as JSON (what ``Bundle.definition`` stores when a version is published)."""
    return {
        "questions": [_field_json(q) for q in definition.questions],
        "items": [{"code": item.code, **{name: getattr(item, name) for name in _ITEM_SCALARS},
                   "condition": dict(item.condition) if item.condition else None,
                   "fields": [_field_json(f) for f in item.fields],
                   "materials": [_material_json(m) for m in item.materials]} for item in definition.items],
    }


def definition_from_json(data: Mapping[str, Any]) -> Definition:
    """The inverse of ``definition_to_json``."""
    items = tuple(ItemSpec(
        code=item["code"], condition=item.get("condition") or None,
        fields=tuple(field_from_json(f) for f in item.get("fields", ())),
        materials=tuple(material_from_json(m) for m in item.get("materials", ())),
        **{name: item[name] for name in _ITEM_SCALARS if name in item},
    ) for item in data.get("items", ()))
    return Definition(questions=tuple(field_from_json(q) for q in data.get("questions", ())), items=items)


# --- the catalogue administrator's checks (services.catalogue_admin) --------------------------------------------

#: How a condition compares the answer: one value (``equals``) or one of several (``in``).
CONDITION_OPS = ("equals", "in")
_TRUE, _FALSE = ("是", "true", "True"), ("否", "false", "False")


def condition_value(text: str) -> Any:
    """A value typed on a page as a condition's value: 是/否 (true/false) are the answers of a yes/no question."""
    text = text.strip()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return text


def parse_condition(field_name: str, op: str, values: str) -> dict[str, Any] | None:
    """The condition written on a page as a field, an operator and its values (``in``: separated by 、 or ,).

    No field: no condition (always). Raises ValueError (Chinese) for an operator or values that do not fit.
    """
    field_name = field_name.strip()
    if not field_name:
        return None
    if op not in CONDITION_OPS:
        raise ValueError("条件须选择“等于”或“属于”")
    parts = [p for p in (v.strip() for v in values.replace("，", ",").replace("、", ",").split(",")) if p]
    if not parts:
        raise ValueError("条件须填写取值")
    if op == "equals":
        if len(parts) > 1:
            raise ValueError("“等于”只能填写一个取值")
        return {"field": field_name, "equals": condition_value(parts[0])}
    return {"field": field_name, "in": [condition_value(p) for p in parts]}


def condition_text(condition: Mapping[str, Any] | None) -> tuple[str, str, str]:
    """The inverse of ``parse_condition``: (field, op, values) to show a stored condition on a page."""
    if not condition:
        return "", "", ""

    def shown(value: Any) -> str:
        return "是" if value is True else "否" if value is False else str(value)

    if "in" in condition:
        return str(condition.get("field", "")), "in", "、".join(shown(v) for v in condition["in"])
    return str(condition.get("field", "")), "equals", shown(condition.get("equals", ""))


def condition_shape_errors(where: str, condition: Any) -> list[str]:
    """Why a condition as received (any JSON) is not {"field": 名称, "equals": 值} or {"field": 名称, "in": [值…]}."""
    if condition is None or condition == {}:
        return []
    shape = f"{where}：条件格式应为 {{\"field\": 名称, \"equals\": 值}} 或 {{\"field\": 名称, \"in\": [值…]}}"
    if not isinstance(condition, Mapping) or not isinstance(condition.get("field"), str) or not condition["field"]:
        return [shape]
    if set(condition) - {"field", "equals", "in"} or ("equals" in condition) == ("in" in condition):
        return [shape]
    if "in" in condition and (not isinstance(condition["in"], list | tuple) or not condition["in"]):
        return [f"{where}：in 须为非空的取值列表"]
    values = condition["in"] if "in" in condition else [condition["equals"]]
    if any(not isinstance(v, str | int | float | bool) for v in values):
        return [f"{where}：条件的取值须为文字、数字或是/否"]
    return []


def check_item(fields: Sequence[FormField], materials: Sequence[MaterialSpec], *, statutory_limit_days: int,
               promised_limit_days: int) -> list[str]:
    """Every reason an item's fields, materials and limits cannot be saved (Chinese); empty when they can.

    Field names are unique and ASCII (letters, digits, _), kinds known, a choice field lists its choices,
    material codes unique, conditions well formed (the names they refer to are checked when a bundle using the
    item is published: they may be the bundle's questions), the promised limit within the statutory one.
    """
    errors = []
    if promised_limit_days > statutory_limit_days:
        errors.append(f"承诺时限（{promised_limit_days} 个工作日）不能超过法定时限（{statutory_limit_days} 个工作日）")
    seen: set[str] = set()
    for f in fields:
        where = f"字段“{f.label or f.name}”"
        if not (f.name.isascii() and f.name.replace("_", "").isalnum() and not f.name[:1].isdigit()):
            errors.append(f"{where}：名称须为英文字母、数字或下划线，且不以数字开头")
        if f.name in seen:
            errors.append(f"{where}：名称“{f.name}”重复")
        seen.add(f.name)
        if f.kind not in FIELD_KINDS:
            errors.append(f"{where}：未知类型 {f.kind}")
        if f.kind == "choice" and not f.choices:
            errors.append(f"{where}：选择题须列出选项")
        errors += condition_shape_errors(where, f.condition)
    codes: set[str] = set()
    for m in materials:
        where = f"材料“{m.name or m.code}”"
        if m.code in codes:
            errors.append(f"{where}：同一事项中重复")
        codes.add(m.code)
        errors += condition_shape_errors(where, m.condition)
    return errors
