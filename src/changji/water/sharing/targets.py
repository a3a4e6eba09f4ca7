"""总量 control targets flowing down the levels (region → prefecture → county) and their allocation at each level.

The upstream serves the targets it set for a downstream's subtree (:func:`targets_for_region`, rows of plain
values keyed by GB/T 2260 code and year); the downstream stores them as set from above
(:func:`apply_received_targets`: ``CountyWaterTarget.from_upstream``, read-only locally, audited
``water.target.receive``) and allocates them further to its children. :func:`allocation` compares a region's own
target with the sum of its children's (over-allocation flagged); ``water.plans.service.save_county_target``
refuses a child's target that would take the children past their parent's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from changji.core import audit
from changji.core.models import Region, RegionLevel
from changji.water.models import CountyWaterTarget
from changji.water.plans.allocations import derive_county

#: The actor of the audit entries of received targets.
ACTOR = "exchange"


def targets_for_region(region_code: str, year: int) -> list[dict[str, Any]]:
    """The year's targets of ``region_code`` and every region below it, as this level holds them."""
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        return []
    rows = (CountyWaterTarget.objects.filter(year=year, region__path__startswith=region.path)
            .order_by("region__path").values_list("region_id", "year", "target_m3", "groundwater_target_m3", "note"))
    return [{"region_code": code, "year": y, "target_m3": target, "groundwater_target_m3": ground, "note": note}
            for code, y, target, ground, note in rows]


def apply_received_targets(rows: Iterable[Mapping[str, Any]]) -> int:
    """Store targets set by the level above (upsert by region and year); return how many changed.

    A region this instance does not know is skipped. Each change is audited with the old and new figures; a
    county's allocation follows its target (``water.plans.allocations.derive_county``).
    """
    changed = 0
    with transaction.atomic():
        for row in rows:
            region = Region.objects.filter(code=str(row["region_code"])).first()
            if region is None:
                continue
            year = int(row["year"])
            target = CountyWaterTarget.objects.select_for_update().filter(region=region, year=year).first()
            ground = row.get("groundwater_target_m3")
            target_m3, ground_m3 = float(row["target_m3"]), None if ground is None else float(ground)
            note = str(row.get("note") or "")[:255]
            new: dict[str, Any] = {"target_m3": target_m3, "groundwater_target_m3": ground_m3, "note": note}
            old = None if target is None else {"target_m3": target.target_m3,
                                               "groundwater_target_m3": target.groundwater_target_m3,
                                               "note": target.note}
            if old == new and target is not None and target.from_upstream:
                continue
            target = target or CountyWaterTarget(region=region, year=year)
            target.target_m3, target.groundwater_target_m3, target.note = target_m3, ground_m3, note
            target.from_upstream, target.received_at = True, timezone.now()
            target.save()
            audit.record("water.target.receive", actor=ACTOR, target=target, region=region,
                         reason=f"{year} 年度 {region.name} 用水总量控制指标（上级下达）", year=year, old=old, new=new)
            if region.level == RegionLevel.COUNTY:
                derive_county(year, region, ACTOR)
            changed += 1
    return changed


@dataclass(frozen=True, slots=True)
class Allocation:
    """A region's own target of a year against the sum of its children's (how this level allocated it)."""

    region: Region
    year: int
    target: CountyWaterTarget | None
    children_m3: float
    children: int

    @property
    def over(self) -> bool:
        """The children's targets add up to more than the region's own."""
        return self.target is not None and self.children_m3 > self.target.target_m3 + 1e-6

    @property
    def remaining_m3(self) -> float | None:
        return None if self.target is None else self.target.target_m3 - self.children_m3


def children_sum(region: Region, year: int, leave_out: Region | None = None) -> tuple[float, int]:
    """Σ of the targets of ``region``'s direct children for ``year`` (less ``leave_out``), and how many."""
    rows = CountyWaterTarget.objects.filter(year=year, region__parent=region)
    if leave_out is not None:
        rows = rows.exclude(region=leave_out)
    totals = rows.aggregate(total=Sum("target_m3"))
    return float(totals["total"] or 0.0), rows.count()


def allocation(region: Region, year: int) -> Allocation:
    """How ``region``'s target of ``year`` is allocated to its children."""
    total, count = children_sum(region, year)
    return Allocation(region, year, CountyWaterTarget.objects.filter(region=region, year=year).first(), total, count)


def allocations(regions: Iterable[Region], year: int) -> list[Allocation]:
    """:func:`allocation` of each region above county level in ``regions``."""
    return [allocation(region, year) for region in regions if region.level < RegionLevel.COUNTY]
