"""Saving annual plans and county targets, the county 总量 balance, and carrying plans into a new year.

Every change is checked (the actor's permission and region, the licence's state, validity and permitted
volume), audited with the old and new figures, and followed in the same transaction by the derivation of
the allocations the quota sweep enforces (``water.plans.allocations``). A county whose plans add up to more
than its 总量 control target is warned, not refused: the target is checked when the plans are reviewed
(《实行最严格水资源管理制度考核办法》), and a plan may be cut later in the year.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Sum

from changji.core import audit
from changji.core.access import P, require
from changji.core.errors import Refusal
from changji.core.models import Region, RegionLevel
from changji.core.scope import user_can_access_region
from changji.water.models import AnnualPlan, CountyWaterTarget, Licence, LicenceState, WaterSource
from changji.water.plans import breakdown
from changji.water.plans.allocations import Derivation, derive_allocations, derive_county
from changji.water.sharing.targets import children_sum

__all__ = [
    "Balance",
    "CarryForward",
    "authorise",
    "carry_forward",
    "county_balance",
    "county_balances",
    "planned_m3_by_water_user",
    "save_county_target",
    "prepare_plan",
    "save_plan",
    "write_plan",
]


def authorise(by: Any, region: Region | None) -> None:
    """Let ``by`` change the plans of ``region``, else raise PermissionDenied.

    ``by`` is a system actor (a text such as "cli") or a user with ``water.allocation.edit`` whose scope
    covers the region.
    """
    if isinstance(by, str):
        return
    require(by, P.WATER_ALLOCATION_EDIT)
    if not user_can_access_region(by, region):
        raise PermissionDenied("该区划不在您的管辖范围内")


NOTE_MAX = 255


def _licence_years(licence: Licence) -> range:
    """The calendar years a licence's validity touches (a plan may be set for each of them)."""
    return range(licence.valid_from.year, licence.valid_to.year + 1)


def check_licence_year(licence: Licence, year: int, volume_m3: float) -> None:
    """Refuse a plan of a licence not in force, for a year outside its validity, or above its permitted volume."""
    if licence.state != LicenceState.VALID:
        state = licence.get_state_display()
        raise Refusal("licence", f"取水许可证 {licence.number} 状态为「{state}」，不能下达年度计划")
    if year not in _licence_years(licence):
        raise Refusal("year", f"{year} 年不在取水许可证 {licence.number} 的有效期"
                              f"（{licence.valid_from:%Y-%m-%d} 至 {licence.valid_to:%Y-%m-%d}）内")
    if volume_m3 > licence.permitted_m3_per_year + breakdown.SUM_TOLERANCE_M3:
        raise Refusal("volume_m3", f"年度计划 {volume_m3:,.0f} m³ 超过许可年取水量 "
                                   f"{licence.permitted_m3_per_year:,.0f} m³")


def _plan_detail(plan: AnnualPlan | None) -> dict[str, Any] | None:
    if plan is None:
        return None
    return {"volume_m3": plan.volume_m3, "monthly_m3": list(plan.monthly_m3), "note": plan.note}


def prepare_plan(licence: Licence, year: int, volume_m3: float, monthly_m3: Sequence[float | None] | None,
                 note: str) -> tuple[float, list[float], str]:
    """Check a plan and return (volume, twelve months, note); refuse (``Refusal``) what ``save_plan`` refuses.

    ``monthly_m3`` None, empty or all None takes the default breakdown of the licence's purpose.
    """
    if not isinstance(year, int) or isinstance(year, bool):
        raise Refusal("year", "年度必须是整数")
    volume = breakdown.check_volume(volume_m3)
    check_licence_year(licence, year, volume)
    given = list(monthly_m3 or [])
    if all(value is None for value in given):
        months = breakdown.default_months(volume, licence.purpose)
    else:
        months = breakdown.check_months(volume, [0.0 if value is None else value for value in given])
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise Refusal("note", f"备注过长（最多 {NOTE_MAX} 字）")
    return volume, months, note


def write_plan(licence: Licence, year: int, volume_m3: float, months: list[float], note: str, by: Any
               ) -> tuple[AnnualPlan, bool]:
    """Upsert a checked plan (``prepare_plan``) and audit it; return it and whether it changed. No derivation."""
    plan = AnnualPlan.objects.select_for_update().filter(licence=licence, year=year).first()
    old = _plan_detail(plan)
    if plan is None:
        plan = AnnualPlan(licence=licence, year=year)
    plan.volume_m3, plan.monthly_m3, plan.note = volume_m3, months, note
    new = _plan_detail(plan)
    if old == new:
        return plan, False
    plan.save()
    audit.record("water.plan.create" if old is None else "water.plan.update", actor=by, target=plan,
                 region=plan.region, reason=f"{year} 年度取水计划 {licence.number}", licence=licence.number,
                 year=year, old=old, new=new)
    return plan, True


def save_plan(licence: Licence, year: int, volume_m3: float, monthly_m3: Sequence[float | None] | None, note: str,
              by: Any) -> AnnualPlan:
    """Create or update the plan of ``licence`` for ``year`` (upsert) and derive its wells' allocations.

    ``monthly_m3`` None (or all empty) takes the default breakdown of the licence's purpose
    (``breakdown.default_months``). Refused (``Refusal``, nothing changes): a licence not valid, a year
    outside its validity, a volume above the permitted one, months that are negative or do not add up.
    ``by`` without ``water.allocation.edit`` on the licence's region: PermissionDenied. Audited
    ``water.plan.create`` or ``water.plan.update`` with the old and the new figures.
    """
    authorise(by, licence.region)
    volume, months, note = prepare_plan(licence, year, volume_m3, monthly_m3, note)
    with transaction.atomic():
        plan, changed = write_plan(licence, year, volume, months, note, by)
        if changed:
            derive_allocations(year, licence=licence, by=by)
    return plan


def save_county_target(county: Region, year: int, target_m3: float, groundwater_target_m3: float | None,
                       note: str, by: Any) -> CountyWaterTarget:
    """Set a region's 总量 control target for ``year`` (a county's derives its county allocation).

    Any level down to the county; refused (``Refusal``): a target received from the level above (read-only here),
    or one that takes its parent's children past the parent's own target.

    Audited ``water.target.update`` with the old and new figures.
    """
    authorise(by, county)
    if county.level > RegionLevel.COUNTY:
        raise Refusal("region", f"{county.name} 低于县级，总量控制指标按自治区、州（市）、县（市）下达")
    target = breakdown.check_volume(target_m3, field="target_m3")
    _check_within_parent(county, year, target)
    groundwater = None
    if groundwater_target_m3 is not None:
        groundwater = breakdown.check_volume(groundwater_target_m3, field="groundwater_target_m3")
        if groundwater > target:
            raise Refusal("groundwater_target_m3", "地下水指标不能超过用水总量控制指标")
    note = (note or "").strip()[:255]
    with transaction.atomic():
        row = CountyWaterTarget.objects.select_for_update().filter(region=county, year=year).first()
        old = None if row is None else {"target_m3": row.target_m3, "groundwater_target_m3": row.groundwater_target_m3,
                                        "note": row.note}
        if row is not None and row.from_upstream:
            raise Refusal("region", f"{county.name} {year} 年度指标由上级平台下达，本级只读")
        row = row or CountyWaterTarget(region=county, year=year)
        row.target_m3, row.groundwater_target_m3, row.note = target, groundwater, note
        row.save()
        new = {"target_m3": target, "groundwater_target_m3": groundwater, "note": note}
        if old != new:
            audit.record("water.target.update", actor=by, target=row, region=county,
                         reason=f"{year} 年度 {county.name} 用水总量控制指标", year=year, old=old, new=new)
            if county.level == RegionLevel.COUNTY:
                derive_county(year, county, by)
    return row


def _check_within_parent(region: Region, year: int, target_m3: float) -> None:
    """Refuse a target that takes the children of ``region``'s parent past the parent's own target."""
    if region.parent_id is None:
        return
    parent = CountyWaterTarget.objects.filter(region_id=region.parent_id, year=year).first()
    if parent is None:
        return
    others, _ = children_sum(region.parent, year, leave_out=region)  # type: ignore[arg-type]
    if others + target_m3 > parent.target_m3 + 1e-6:
        left = max(parent.target_m3 - others, 0)
        raise Refusal("target_m3", f"下级指标合计 {others + target_m3:,.0f} m³ 将超过上级 {region.parent} 的指标 "
                                   f"{parent.target_m3:,.0f} m³（可再分配 {left:,.0f} m³）")


@dataclass(frozen=True, slots=True)
class Balance:
    """A county's plans of a year against its 总量 control target (None when no target is set)."""

    region: str
    name: str
    year: int
    target_m3: float | None
    groundwater_target_m3: float | None
    planned_m3: float
    planned_groundwater_m3: float
    plans: int

    @property
    def over(self) -> bool:
        """The plans add up to more than the target (or the groundwater plans to more than its part)."""
        over_total = self.target_m3 is not None and self.planned_m3 > self.target_m3
        over_ground = (self.groundwater_target_m3 is not None
                       and self.planned_groundwater_m3 > self.groundwater_target_m3)
        return over_total or over_ground

    @property
    def share(self) -> float | None:
        """Σ plans / target; None without a (positive) target."""
        return self.planned_m3 / self.target_m3 if self.target_m3 else None

    @property
    def warning(self) -> str | None:
        """The Chinese warning shown on the plan pages and returned by the API when the county is over."""
        if not self.over:
            return None
        parts = []
        if self.target_m3 is not None and self.planned_m3 > self.target_m3:
            parts.append(f"{self.name} {self.year} 年度取水计划合计 {self.planned_m3:,.0f} m³，超过用水总量控制指标 "
                         f"{self.target_m3:,.0f} m³（超出 {self.planned_m3 - self.target_m3:,.0f} m³）")
        if self.groundwater_target_m3 is not None and self.planned_groundwater_m3 > self.groundwater_target_m3:
            parts.append(f"地下水计划合计 {self.planned_groundwater_m3:,.0f} m³，超过地下水指标 "
                         f"{self.groundwater_target_m3:,.0f} m³")
        return "；".join(parts)

    def as_dict(self) -> dict[str, Any]:
        share = self.share
        return {"region": self.region, "name": self.name, "year": self.year, "target_m3": self.target_m3,
                "groundwater_target_m3": self.groundwater_target_m3, "planned_m3": self.planned_m3,
                "planned_groundwater_m3": self.planned_groundwater_m3, "plans": self.plans,
                "share": round(share, 4) if share is not None and math.isfinite(share) else None,
                "over": self.over, "warning": self.warning}


def _counties(region: Region) -> list[Region]:
    """The counties within ``region``; the county of ``region`` when it lies below county level."""
    if region.level > RegionLevel.COUNTY:
        codes = [code for code in region.path.split("/") if code]
        return [Region.objects.get(code=codes[RegionLevel.COUNTY])]
    if region.level == RegionLevel.COUNTY:
        return [region]
    return list(Region.objects.within(region).filter(level=RegionLevel.COUNTY).order_by("code"))


def county_balances(region: Region, year: int) -> list[Balance]:
    """The balance of every county within ``region`` (of ``region``'s own county when it lies below one)."""
    counties = _counties(region)
    targets = {t.region_id: t for t in CountyWaterTarget.objects.filter(year=year, region__in=counties)}
    planned: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    under = counties[0].path if region.level > RegionLevel.COUNTY else region.path
    rows = (AnnualPlan.objects.filter(year=year, licence__state=LicenceState.VALID, region__path__startswith=under)
            .values_list("region__path", "licence__source").annotate(total=Sum("volume_m3"), n=Count("id")))
    for path, source, total, count in rows:
        codes = [c for c in path.split("/") if c]
        if len(codes) <= RegionLevel.COUNTY:
            continue
        sums = planned[codes[RegionLevel.COUNTY]]
        sums[0] += total or 0.0
        if source == WaterSource.GROUNDWATER:
            sums[1] += total or 0.0
        sums[2] += count or 0
    out = []
    for county in counties:
        target = targets.get(county.code)
        total, ground, count = planned[county.code]
        out.append(Balance(county.code, county.name, year, target.target_m3 if target else None,
                           target.groundwater_target_m3 if target else None, total, ground, int(count)))
    return out


def county_balance(county: Region, year: int) -> Balance:
    """The 总量 check of one county: its target, Σ of its valid licences' plans, and whether it is over."""
    return county_balances(county, year)[0]


def planned_m3_by_water_user(year: int, region: Region) -> dict[int, float]:
    """Σ annual plan volume of each water user's valid licences in ``year`` within ``region`` (water user id → m³).

    For the water-resource tax: a user's planned volume is the base of the 超计划 (over-plan) surcharge.
    """
    rows = (AnnualPlan.objects.filter(year=year, region__path__startswith=region.path,
                                      licence__state=LicenceState.VALID)
            .values_list("licence__water_user_id").annotate(total=Sum("volume_m3")))
    return {user_id: total or 0.0 for user_id, total in rows}


@dataclass(slots=True)
class CarryForward:
    """What a carry-forward did: plans copied, skipped (already planned), capped, and not carried."""

    copied: int = 0
    existing: int = 0
    capped: int = 0
    not_valid: int = 0
    derivation: Derivation | None = None

    def summary(self) -> str:
        return (f"结转 {self.copied} 份计划（其中 {self.capped} 份按许可水量核减）；已有计划跳过 {self.existing} 份；"
                f"许可证不在有效期或非有效状态 {self.not_valid} 份")


def carry_forward(region: Region, from_year: int, to_year: int, by: Any) -> CarryForward:
    """Copy every plan of ``from_year`` within ``region`` into ``to_year`` where its licence is valid then.

    A plan that exists already is kept; a volume above the licence's permitted one is capped to it (the
    months scaled). The allocations of ``to_year`` are derived for the region; audited once
    (``water.plan.carry_forward``) with the counts.
    """
    authorise(by, region)
    if to_year <= from_year:
        raise Refusal("to_year", "结转目标年度必须晚于来源年度")
    result = CarryForward()
    with transaction.atomic():
        sources = (AnnualPlan.objects.filter(year=from_year, region__path__startswith=region.path)
                   .select_related("licence").order_by("pk"))
        planned = set(AnnualPlan.objects.filter(year=to_year, region__path__startswith=region.path)
                      .values_list("licence_id", flat=True))
        for source in sources:
            licence = source.licence
            if licence.pk in planned:
                result.existing += 1
                continue
            if licence.state != LicenceState.VALID or to_year not in _licence_years(licence):
                result.not_valid += 1
                continue
            volume, months = source.volume_m3, list(source.monthly_m3) or None
            if volume > licence.permitted_m3_per_year:
                volume = licence.permitted_m3_per_year
                months = breakdown.scaled(months, volume) if months else None
                result.capped += 1
            AnnualPlan.objects.create(licence=licence, year=to_year, volume_m3=volume,
                                      monthly_m3=months or breakdown.default_months(volume, licence.purpose),
                                      note=f"由 {from_year} 年度结转")
            result.copied += 1
        result.derivation = derive_allocations(to_year, region=region, by=by)
        audit.record("water.plan.carry_forward", actor=by, region=region,
                     reason=f"{from_year} 年度取水计划结转至 {to_year} 年度", from_year=from_year, to_year=to_year,
                     copied=result.copied, existing=result.existing, capped=result.capped,
                     not_valid=result.not_valid)
    return result
