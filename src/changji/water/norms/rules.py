"""The rules of 定额管理, without a database: which norm applies, the suggested volume, use above 定额.

* Which norm applies to a crop plan line (``applicable_norm``): among the lines of the same kind, category
  and irrigation method, the table in force is the latest version year not after the plan's year (the exact
  year when it has one, else the latest earlier version: the table is versioned as a whole, and a new version
  is a copy of the last one); within that version a row of the line's county beats the prefecture-wide row.
  A different irrigation method is never substituted: 地面灌 needs two to three times what 滴灌 needs, so a
  line without a norm for its own method is listed as such instead of being guessed.
* The suggested volume of a water user (按定额建议水量, 《新疆维吾尔自治区农业灌溉用水定额》 applied to the
  种植计划) is Σ area (亩) × norm (m³/亩) over the lines that have a norm (``suggest``).
* Use above 定额 (超定额) and use above plan (超计划) are two different findings (《取水许可和水资源费征收管理
  条例》 第四十条 for use above plan; the 定额 checks whether the plan itself is reasonable), so they are
  computed separately (``excess``) and shown in separate columns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

__pure__ = True  # no Django: tests/test_architecture.py checks it

CROP, INDUSTRY, DOMESTIC = "crop", "industry", "domestic"
KINDS = (CROP, INDUSTRY, DOMESTIC)
METHODS = ("drip", "sprinkler", "pipe", "surface")
#: The units each kind of norm is written in; a crop norm is always m³/亩, so that area × norm is a volume.
UNITS: dict[str, tuple[str, ...]] = {
    CROP: ("m³/亩",),
    INDUSTRY: ("m³/万元", "m³/吨", "m³/头"),
    DOMESTIC: ("L/人·日", "m³/人·年"),
}
#: The largest norm value accepted (a typo guard: the highest crop norm in the regional table is below 1,500 m³/亩).
MAX_VALUE = 100_000.0
MAX_AREA_MU = 10_000_000.0


@dataclass(frozen=True, slots=True)
class NormRow:
    """One line of the norm table: ``zone`` is a county code, or None for the prefecture-wide row."""

    id: int
    year: int
    kind: str
    category: str
    zone: str | None
    method: str
    value: float
    unit: str


@dataclass(frozen=True, slots=True)
class PlanLine:
    """One crop plan line: crop, area in 亩, irrigation method, and the county whose norms apply."""

    id: int
    crop: str
    area_mu: float
    method: str
    zone: str | None


@dataclass(frozen=True, slots=True)
class AppliedLine:
    """A crop plan line with the norm applied to it and the volume it suggests."""

    line: PlanLine
    norm: NormRow
    volume_m3: float


@dataclass(frozen=True)
class Suggestion:
    """The suggested volume of a set of lines: the lines with a norm and those without one."""

    applied: list[AppliedLine] = field(default_factory=list)
    missing: list[PlanLine] = field(default_factory=list)

    @property
    def volume_m3(self) -> float:
        return sum(a.volume_m3 for a in self.applied)

    @property
    def area_mu(self) -> float:
        return sum(a.line.area_mu for a in self.applied) + sum(line.area_mu for line in self.missing)


def applicable_norm(norms: Iterable[NormRow], *, year: int, kind: str, category: str, method: str,
                    zone: str | None) -> NormRow | None:
    """The norm that applies to (kind, category, method) in ``zone`` for ``year`` (see the module docstring)."""
    best: NormRow | None = None
    for row in norms:
        if (row.kind, row.category, row.method) != (kind, category, method) or row.year > year:
            continue
        if row.zone is not None and row.zone != zone:
            continue
        if best is None or (row.year, row.zone is not None) > (best.year, best.zone is not None):
            best = row
    return best


def suggest(lines: Iterable[PlanLine], norms: Iterable[NormRow], year: int) -> Suggestion:
    """Σ area × 定额 over ``lines``, naming the norm each line used and listing those without one."""
    table = list(norms)
    result = Suggestion()
    for line in lines:
        norm = applicable_norm(table, year=year, kind=CROP, category=line.crop, method=line.method, zone=line.zone)
        if norm is None or norm.unit != UNITS[CROP][0]:
            result.missing.append(line)
        else:
            result.applied.append(AppliedLine(line, norm, line.area_mu * norm.value))
    return result


def excess(use_m3: float, reference_m3: float | None) -> float | None:
    """Use above a reference volume (plan or 定额): max(0, use − reference); None without a reference."""
    if reference_m3 is None:
        return None
    return max(0.0, use_m3 - reference_m3)


def norm_problems(kind: str, category: str, method: str, value: float | None, unit: str) -> list[tuple[str, str]]:
    """What is wrong with a norm line, as (field, Chinese message) pairs; empty when it may be stored."""
    problems: list[tuple[str, str]] = []
    if kind not in KINDS:
        problems.append(("kind", "类别应为 农业（作物）、工业 或 生活"))
        return problems
    if not category.strip():
        problems.append(("category", "请填写名称"))
    if kind == CROP and method not in METHODS:
        problems.append(("method", "作物定额须注明灌溉方式（滴灌、喷灌、管灌、地面灌）"))
    if kind != CROP and method:
        problems.append(("method", "工业与生活定额不分灌溉方式，请留空"))
    if value is None or not value > 0:
        problems.append(("value", "定额值应大于 0"))
    elif value > MAX_VALUE:
        problems.append(("value", f"定额值过大（上限 {MAX_VALUE:,.0f}）"))
    if unit not in UNITS[kind]:
        problems.append(("unit", f"单位应为 {'、'.join(UNITS[kind])} 之一"))
    return problems


def plan_line_problems(crop: str, area_mu: float | None, method: str) -> list[tuple[str, str]]:
    """What is wrong with a crop plan line, as (field, Chinese message) pairs."""
    problems: list[tuple[str, str]] = []
    if not crop.strip():
        problems.append(("crop", "请填写作物"))
    if area_mu is None or not area_mu > 0:
        problems.append(("area_mu", "面积应大于 0 亩"))
    elif area_mu > MAX_AREA_MU:
        problems.append(("area_mu", f"面积过大（上限 {MAX_AREA_MU:,.0f} 亩）"))
    if method not in METHODS:
        problems.append(("method", "灌溉方式应为 滴灌、喷灌、管灌 或 地面灌"))
    return problems
