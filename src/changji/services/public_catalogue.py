"""The public catalogue (服务目录) as the applicant reads it, built from each current bundle's frozen definition.

What to bring (the merged materials, 必需 or 视情况 with the condition in words, with links to the blank template
and the filled example when the material catalogue has them), how long (the longest promised limit of the items;
a bundle of 即办 items only is 当场办结), which departments, the fee, and whether it can be applied for online.

Fast whatever the size of the catalogue: one query for the current bundles (their ``definition`` JSON holds
items, department codes, materials and limits), one for the department names, one for the materials with a
template or example: no query per bundle. A bundle published before definitions were frozen (empty
``definition``) reads the live catalogue instead, at a few queries for that bundle alone. Used by the page
``/services/`` and by ``GET /api/services/bundles``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.urls import NoReverseMatch, reverse

from changji.services import bundles, definitions
from changji.services.catalogue import current_bundles
from changji.services.models import Bundle, BundleCategory, CatalogueMaterial, Department

__all__ = ["Entry", "condition_text", "entries", "entry_of", "matches"]


@dataclass
class PublicMaterial:
    """A material of the one set: 必需 (``required``) or 视情况 with its conditions in words."""

    code: str
    name: str
    required: bool
    conditions: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    template_url: str = ""
    example_url: str = ""

    @property
    def condition(self) -> str:
        """The conditions in words, joined with 或 (empty when required)."""
        return "" if self.required else "或".join(self.conditions)


@dataclass
class PublicItem:
    code: str
    name: str
    department: str
    department_name: str
    promised_limit_days: int
    statutory_limit_days: int
    instant: bool
    fee_yuan: Decimal
    commitment_allowed: bool
    condition: str  #: in words; empty when the item always applies
    rule: Mapping[str, Any] | None = None  #: the condition as stored (``bundles.applies``)


@dataclass
class Entry:
    """One current bundle as the public catalogue shows it."""

    bundle: Bundle
    items: list[PublicItem]
    materials: list[PublicMaterial]
    departments: list[tuple[str, str]]  #: (code, name), in the items' order
    promised_limit_days: int  #: the longest promised limit of the items (0 when every item is 即办)
    instant: bool  #: every item is 即办: 当场办结
    fee_yuan: Decimal

    @property
    def category_label(self) -> str:
        return str(BundleCategory(self.bundle.category).label)

    def search_text(self) -> str:
        """What ``q`` searches: the bundle's name and code, its items' names and its departments' names."""
        return " ".join([self.bundle.name, self.bundle.code, *(i.name for i in self.items),
                         *(name for _, name in self.departments)]).casefold()


def condition_text(condition: Mapping[str, Any] | None, labels: Mapping[str, str]) -> str:
    """A condition (``bundles.applies``) in words: 是否设置户外招牌为“是”时, 经营项目为“热食类”或“冷食类”时."""
    if not condition:
        return ""
    name = str(condition.get("field", ""))
    label = labels.get(name, name)

    def shown(value: Any) -> str:
        if value is True:
            return "“是”"
        if value is False:
            return "“否”"
        return f"“{value}”"

    if "equals" in condition:
        return f"{label}为{shown(condition['equals'])}时"
    values = condition.get("in") or []
    return f"{label}为{'或'.join(shown(v) for v in values)}时"


def _fee(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def _definition(bundle: Bundle) -> bundles.Definition:
    if bundle.definition:
        return bundles.definition_from_json(bundle.definition)
    return definitions.definition_of(bundle)  # a version published before definitions were frozen


def _link(name: str, code: str) -> str:
    """The URL of a material's template or example, when that page exists (built by the catalogue pages)."""
    try:
        return reverse(name, args=[code])
    except NoReverseMatch:
        return ""


def _materials(definition: bundles.Definition, labels: Mapping[str, str],
               files: Mapping[str, tuple[bool, bool]]) -> list[PublicMaterial]:
    """The one set of materials: each once; 必需 when some item always needs it, else 视情况 with the conditions."""
    merged: dict[str, PublicMaterial] = {}
    for item in definition.items:
        item_condition = condition_text(item.condition, labels)
        for m in item.materials:
            words = [w for w in (item_condition, condition_text(m.condition, labels)) if w]
            always = m.required and not words
            known = merged.setdefault(m.code, PublicMaterial(m.code, m.name, always))
            known.required = known.required or always
            phrase = "且".join(words) if words else ("按需提供" if not m.required else "")
            if phrase and phrase not in known.conditions:
                known.conditions.append(phrase)
            known.items.append(item.name or item.code)
    for material in merged.values():
        template, example = files.get(material.code, (False, False))
        material.template_url = _link("services:material_template", material.code) if template else ""
        material.example_url = _link("services:material_example", material.code) if example else ""
    return list(merged.values())


def _entry(bundle: Bundle, definition: bundles.Definition, names: Mapping[str, str],
           files: Mapping[str, tuple[bool, bool]]) -> Entry:
    labels = {f.name: f.label for item in definition.items for f in item.fields}
    labels.update({q.name: q.label for q in definition.questions})
    items = [PublicItem(code=i.code, name=i.name or i.code, department=i.department,
                        department_name=names.get(i.department, i.department),
                        promised_limit_days=i.promised_limit_days, statutory_limit_days=i.statutory_limit_days,
                        instant=i.instant, fee_yuan=_fee(i.fee_yuan), commitment_allowed=i.commitment_allowed,
                        condition=condition_text(i.condition, labels), rule=i.condition)
             for i in definition.items]
    departments = list(dict.fromkeys((i.department, i.department_name) for i in items))
    timed = [i.promised_limit_days for i in items if not i.instant]
    return Entry(bundle=bundle, items=items, materials=_materials(definition, labels, files),
                 departments=departments, promised_limit_days=max(timed, default=0),
                 instant=bool(items) and not timed, fee_yuan=sum((i.fee_yuan for i in items), Decimal(0)))


def matches(entry: Entry, q: str | None) -> bool:
    """Whether every word of ``q`` is in the bundle's name, code, item names or department names."""
    if not q:
        return True
    text = entry.search_text()
    return all(word in text for word in q.casefold().split())


def entries(q: str | None = None, category: str | None = None, today: date | None = None) -> list[Entry]:
    """The current bundles matching ``q`` and ``category``, by category, code and version (three queries)."""
    found = current_bundles(today).select_related("lead_department")
    if category:
        found = found.filter(category=category)
    pairs = [(b, _definition(b)) for b in found.order_by("category", "code", "-version")]
    names, files = _names_and_files(pairs)
    return [e for e in (_entry(b, d, names, files) for b, d in pairs) if matches(e, q)]


def _names_and_files(pairs: list[tuple[Bundle, bundles.Definition]]) -> tuple[dict[str, str],
                                                                                dict[str, tuple[bool, bool]]]:
    """The departments' names by code and which materials have a template / an example: two queries."""
    codes = {i.department for _, d in pairs for i in d.items}
    names = dict(Department.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}
    material_codes = {m.code for _, d in pairs for i in d.items for m in i.materials}
    files = {code: (bool(template), bool(example)) for code, template, example in
             CatalogueMaterial.objects.filter(code__in=material_codes).exclude(template="", example="")
             .values_list("code", "template", "example")} if material_codes else {}
    return names, files


def entry_of(bundle: Bundle) -> Entry:
    """One bundle's entry (for a single bundle of the API)."""
    pairs = [(bundle, _definition(bundle))]
    names, files = _names_and_files(pairs)
    return _entry(bundle, pairs[0][1], names, files)
