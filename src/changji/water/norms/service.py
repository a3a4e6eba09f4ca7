"""Keeping the 用水定额 table and the crop plans: every change checked, scoped and audited.

Who sees what: everyone who may read allocations (``P.WATER_ALLOCATION_READ``) sees the prefecture-wide rows
and the county rows within their region (``visible_norms``). Who changes what (``P.WATER_ALLOCATION_EDIT``):
a county's rows by an account whose region contains the county (the county operator, the prefecture); the
prefecture-wide rows only by an account whose region covers the whole instance (``core.scope.covers_instance``),
because a change there applies to every county. Crop plans are changed by editors whose region contains the
water user. Every change is one audit entry (``water.norm.*``, ``water.crop_plan.*``) with what changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from changji.core import audit
from changji.core.access import P, require
from changji.core.errors import Refusal
from changji.core.models import Region, RegionLevel
from changji.core.params import FIRST_YEAR, LAST_YEAR
from changji.core.scope import covers_instance, region_of, scope_queryset, user_can_access_region
from changji.water.models import CropPlan, NormKind, QuotaNorm, WaterUser
from changji.water.norms import rules

#: The fields of a norm that a form, an import row or an API call sets.
NORM_FIELDS = ("year", "kind", "category", "region", "method", "value", "unit", "source", "note")


class NormError(Refusal):
    """A norm or crop plan change refused (a Chinese message naming the field at fault)."""


def visible_norms(user: Any) -> QuerySet[QuotaNorm]:
    """The norm rows ``user`` sees: the prefecture-wide rows and the county rows within their region."""
    rows = QuotaNorm.objects.select_related("region")
    bound = region_of(user)
    if bound is not None and not isinstance(bound, Region):
        return rows.none()  # anonymous, or an account without a region
    return rows.filter(Q(region__isnull=True) | Q(pk__in=scope_queryset(QuotaNorm.objects.all(), user).values("pk")))


def may_edit_zone(user: Any, region: Region | None) -> bool:
    """True when ``user``'s region lets them change rows of ``region`` (None: the prefecture-wide rows)."""
    return covers_instance(user) if region is None else user_can_access_region(user, region)


def county_of(region: Region) -> Region | None:
    """The county (县市) a region lies in; None for a region above county level."""
    codes = region.ancestors()
    if len(codes) <= RegionLevel.COUNTY:
        return None
    return region if region.level == RegionLevel.COUNTY else Region.objects.filter(pk=codes[RegionLevel.COUNTY]).first()


def check_zone(by: Any, region: Region | None) -> None:
    if region is not None and region.level != RegionLevel.COUNTY:
        raise NormError("region", "分区应为县（市），或留空表示全州通用")
    if not may_edit_zone(by, region):
        raise NormError("region", "全州通用定额只能由州级账号维护" if region is None
                        else f"{region.name} 不在您的管辖范围内")


def validate_norm(values: dict[str, Any]) -> None:
    year = values.get("year")
    if not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise NormError("year", f"版本年度应为 {FIRST_YEAR}–{LAST_YEAR} 之间的年份")
    problems = rules.norm_problems(values["kind"], values["category"], values["method"], values["value"],
                                   values["unit"])
    if problems:
        field, message = problems[0]
        raise NormError(field, message)


def _duplicate(values: dict[str, Any], exclude: int | None) -> bool:
    same = QuotaNorm.objects.filter(year=values["year"], kind=values["kind"], category=values["category"],
                                    method=values["method"], region=values["region"])
    return same.exclude(pk=exclude).exists() if exclude else same.exists()


def _snapshot(norm: QuotaNorm) -> dict[str, Any]:
    return {"year": norm.year, "kind": norm.kind, "category": norm.category, "region": norm.region_id,
            "method": norm.method, "value": norm.value, "unit": norm.unit, "source": norm.source, "note": norm.note}


def save_norm(values: dict[str, Any], *, by: Any, norm: QuotaNorm | None = None) -> QuotaNorm:
    """Create (``norm`` None) or update a norm row from ``values`` (``NORM_FIELDS``); audited ``water.norm.*``.

    Refused (``NormError``, nothing changed): a value that is not positive, a unit not of the kind, a crop
    without its irrigation method, a zone outside the editor's region, a second row of the same key.
    """
    require(by, P.WATER_ALLOCATION_EDIT)
    merged = {**(_snapshot(norm) if norm else {}), **values}
    merged["region"] = values["region"] if "region" in values else (norm.region if norm else None)
    merged.setdefault("method", "")
    merged["category"] = str(merged.get("category") or "").strip()
    merged["method"] = merged["method"] or ""
    for name in ("source", "note"):
        merged[name] = str(merged.get(name) or "").strip()
    validate_norm(merged)
    if norm is not None:
        check_zone(by, norm.region)  # the row as it was must be the editor's too
    check_zone(by, merged["region"])
    if _duplicate(merged, norm.pk if norm else None):
        raise NormError("category", "该年度、类别、名称、分区与灌溉方式的定额已存在")
    before = _snapshot(norm) if norm else None
    target = norm or QuotaNorm()
    for name in NORM_FIELDS:
        setattr(target, name, merged[name])
    with transaction.atomic():
        try:
            target.save()
        except IntegrityError as error:
            raise NormError("category", "该年度、类别、名称、分区与灌溉方式的定额已存在") from error
        audit.record("water.norm.update" if before else "water.norm.create", actor=by, target=target,
                     region=target.region, before=before, after=_snapshot(target))
    return target


def delete_norm(norm: QuotaNorm, *, by: Any) -> None:
    """Delete a norm row; audited ``water.norm.delete`` with what it said."""
    require(by, P.WATER_ALLOCATION_EDIT)
    check_zone(by, norm.region)
    with transaction.atomic():
        audit.record("water.norm.delete", actor=by, target=norm, region=norm.region, before=_snapshot(norm))
        norm.delete()


def copy_version(year: int, *, by: Any) -> tuple[int, int]:
    """Copy year ``year``'s table to ``year + 1`` (the new version); return (copied, skipped).

    Only the rows the editor may change are copied (a county operator copies their county's rows); a row whose
    key already exists in ``year + 1`` is skipped, so the copy can be repeated. Audited ``water.norm.copy``.
    """
    require(by, P.WATER_ALLOCATION_EDIT)
    if not FIRST_YEAR <= year < LAST_YEAR:
        raise NormError("year", f"版本年度应为 {FIRST_YEAR}–{LAST_YEAR - 1} 之间的年份")
    rows = [n for n in visible_norms(by).filter(year=year) if may_edit_zone(by, n.region)]
    if not rows:
        raise NormError("year", f"{year} 年没有您可复制的定额")
    existing = {(n.kind, n.category, n.region_id, n.method) for n in QuotaNorm.objects.filter(year=year + 1)}
    new = [QuotaNorm(year=year + 1, kind=n.kind, category=n.category, region=n.region, method=n.method,
                     value=n.value, unit=n.unit, source=n.source, note=n.note)
           for n in rows if (n.kind, n.category, n.region_id, n.method) not in existing]
    with transaction.atomic():
        QuotaNorm.objects.bulk_create(new)
        audit.record("water.norm.copy", actor=by, reason=f"{year} 年定额复制为 {year + 1} 年版本",
                     region=getattr(by, "region", None), source_year=year, target_year=year + 1, copied=len(new),
                     skipped=len(rows) - len(new))
    return len(new), len(rows) - len(new)


# --- crop plans ----------------------------------------------------------------------------------------------


def _plan_snapshot(plan: CropPlan) -> dict[str, Any]:
    return {"water_user": plan.water_user.code, "year": plan.year, "crop": plan.crop, "area_mu": plan.area_mu,
            "method": plan.method, "zone": plan.zone_id}


def _check_plan(by: Any, water_user: WaterUser, values: dict[str, Any]) -> None:
    require(by, P.WATER_ALLOCATION_EDIT)
    if not user_can_access_region(by, water_user.region):
        raise NormError("water_user", f"取水户 {water_user.code} 不在您的管辖范围内")
    year = values.get("year")
    if not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise NormError("year", f"年度应为 {FIRST_YEAR}–{LAST_YEAR} 之间的年份")
    problems = rules.plan_line_problems(str(values.get("crop") or ""), values.get("area_mu"),
                                        str(values.get("method") or ""))
    if problems:
        raise NormError(*problems[0])
    zone = values.get("zone")
    if zone is not None and zone.level != RegionLevel.COUNTY:
        raise NormError("zone", "定额分区应为县（市），或留空按取水户所在县市")
    if zone is not None and not user_can_access_region(by, zone):
        raise NormError("zone", "定额分区须在您的管辖范围内")  # another county's own norms are not shown to you


def save_crop_plan(water_user: WaterUser, values: dict[str, Any], *, by: Any,
                   plan: CropPlan | None = None) -> CropPlan:
    """Create or update a crop plan line of ``water_user`` (year, crop, area_mu, method, zone); audited."""
    merged = {**(_plan_snapshot(plan) if plan else {}), **values}
    merged["zone"] = values["zone"] if "zone" in values else (plan.zone if plan else None)
    merged["crop"] = str(merged.get("crop") or "").strip()
    _check_plan(by, water_user, merged)
    same = CropPlan.objects.filter(water_user=water_user, year=merged["year"], crop=merged["crop"],
                                   method=merged["method"])
    if (same.exclude(pk=plan.pk) if plan else same).exists():
        raise NormError("crop", "该年度已有相同作物与灌溉方式的计划，请修改原有一行")
    before = _plan_snapshot(plan) if plan else None
    target = plan or CropPlan(water_user=water_user)
    for name in ("year", "crop", "area_mu", "method", "zone"):
        setattr(target, name, merged[name])
    with transaction.atomic():
        target.save()
        audit.record("water.crop_plan.update" if before else "water.crop_plan.create", actor=by, target=target,
                     region=water_user.region, before=before, after=_plan_snapshot(target))
    return target


def delete_crop_plan(plan: CropPlan, *, by: Any) -> None:
    """Delete a crop plan line; audited ``water.crop_plan.delete``."""
    require(by, P.WATER_ALLOCATION_EDIT)
    if not user_can_access_region(by, plan.water_user.region):
        raise NormError("water_user", "该取水户不在您的管辖范围内")
    with transaction.atomic():
        audit.record("water.crop_plan.delete", actor=by, target=plan, region=plan.water_user.region,
                     before=_plan_snapshot(plan))
        plan.delete()


# --- suggested volume ----------------------------------------------------------------------------------------


def norm_rows(year: int, zones: Iterable[str | None]) -> list[rules.NormRow]:
    """The crop norm rows of versions up to ``year`` that may apply in ``zones`` (county codes; None always)."""
    codes = [z for z in zones if z]
    rows = QuotaNorm.objects.filter(Q(region__isnull=True) | Q(region_id__in=codes), kind=NormKind.CROP,
                                    year__lte=year)
    return [rules.NormRow(n.pk, n.year, n.kind, n.category, n.region_id, n.method, n.value, n.unit) for n in rows]


def plan_lines(plans: Iterable[CropPlan], counties: dict[str, str | None]) -> list[rules.PlanLine]:
    """Crop plans as rule lines, each with its zone: its own, else its water user's county (``counties``)."""
    return [rules.PlanLine(p.pk, p.crop, p.area_mu, p.method,
                           p.zone_id or counties.get(p.water_user.region_id)) for p in plans]


@dataclass(frozen=True)
class UserSuggestion:
    """A water user's crop plan of a year with the norm applied to each line (``rules.Suggestion``)."""

    water_user: WaterUser
    year: int
    suggestion: rules.Suggestion
    norms: dict[int, QuotaNorm]


def suggestion_for(water_user: WaterUser, year: int) -> UserSuggestion:
    """The suggested volume of ``water_user``'s crop plan for ``year``, line by line."""
    county = county_of(water_user.region)
    plans = list(CropPlan.objects.filter(water_user=water_user, year=year).select_related("water_user"))
    lines = plan_lines(plans, {water_user.region_id: county.code if county else None})
    table = norm_rows(year, {county.code if county else None, *(p.zone_id for p in plans)})
    suggestion = rules.suggest(lines, table, year)
    norms = QuotaNorm.objects.select_related("region").in_bulk([a.norm.id for a in suggestion.applied])
    return UserSuggestion(water_user, year, suggestion, norms)


def suggested_volume_m3(water_user: WaterUser, year: int) -> float:
    """按定额建议水量: Σ irrigated area × applicable 定额 of ``water_user``'s crop plan for ``year`` (m³).

    For the licence and annual plan pages (with the partial ``water/partials/norm_suggestion.html``).
    """
    return suggestion_for(water_user, year).suggestion.volume_m3
