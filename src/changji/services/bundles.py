"""一表申请、一套材料: the merged form and materials of a bundle, and which items an applicant needs.

A bundle (一件事) joins several items (事项), each with its own form fields and required materials.
The applicant fills one form whose fields are the union of the items' fields without duplicates
(a field asked by two items is asked once; it is required if any item requires it), and brings one
set of materials (a material needed by two items is uploaded once and linked to both). Conditions
on the bundle's items decide, from the applicant's answers, which items apply (e.g. the outdoor
sign permit only when the shop will hang a sign). Plain functions over plain data, no Django.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__pure__ = True  # no Django: tests/test_architecture.py checks it


@dataclass(frozen=True, slots=True)
class FormField:
    name: str
    label: str
    kind: str = "text"  #: text | number | date | bool | choice
    required: bool = True
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MaterialSpec:
    code: str
    name: str
    required: bool = True


@dataclass(frozen=True, slots=True)
class ItemSpec:
    code: str
    fields: tuple[FormField, ...] = ()
    materials: tuple[MaterialSpec, ...] = ()
    condition: Mapping[str, Any] | None = None  #: {"field": name, "equals": v} or {"field": name, "in": [..]}


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


def merged_fields(items: Iterable[ItemSpec]) -> list[FormField]:
    """The one form: every field once, in first-asked order, required if any item requires it."""
    merged: dict[str, FormField] = {}
    for item in items:
        for f in item.fields:
            known = merged.get(f.name)
            merged[f.name] = f if known is None else FormField(known.name, known.label, known.kind,
                                                                 known.required or f.required, known.choices)
    return list(merged.values())


def merged_materials(items: Iterable[ItemSpec]) -> list[MergedMaterial]:
    """The one set of materials: each once, linked to every item that needs it."""
    merged: dict[str, MergedMaterial] = {}
    for item in items:
        for m in item.materials:
            known = merged.get(m.code)
            if known is None:
                merged[m.code] = MergedMaterial(m.code, m.name, m.required, (item.code,))
            else:
                merged[m.code] = MergedMaterial(known.code, known.name, known.required or m.required,
                                                (*known.items, item.code))
    return list(merged.values())


def missing(fields: Iterable[FormField], materials: Iterable[MergedMaterial], answers: Mapping[str, Any],
            supplied: Iterable[str]) -> list[str]:
    """The one complete list of what is missing (补齐补正一次告知): unanswered fields, materials not supplied."""
    have = set(supplied)
    out = [f"表单：{f.label}" for f in fields if f.required and answers.get(f.name) in (None, "")]
    out += [f"材料：{m.name}" for m in materials if m.required and m.code not in have]
    return out
