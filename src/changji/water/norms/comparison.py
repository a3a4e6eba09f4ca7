"""定额与计划对比: per water user of a region and year, 定额 volume, annual plan and use, and what exceeds each.

For each water user: irrigated area (Σ crop plan 亩), suggested volume (按定额, ``rules.suggest``), annual plan
volume (Σ ``AnnualPlan.volume_m3`` of the user's licences for the year), use so far (Σ ``usage_m3`` of the
user's wells over the year up to today, read through ``usage.monthly.sums``), use above plan and use above
定额 as separate figures (``rules.excess``). A user appears when it has a crop plan, an annual plan or use.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Sum

from changji.core.exports import FormulaSafeWorkbook, workbook_bytes
from changji.core.models import Region
from changji.water.models import AnnualPlan, CropPlan, DailyUsage, WaterUser, Well
from changji.water.norms import rules
from changji.water.norms.service import county_of, norm_rows, plan_lines
from changji.water.norms.xlsx import write_sheet
from changji.water.usage.monthly import sums

COLUMNS = ("取水户编号", "取水户", "灌溉面积(亩)", "按定额建议水量(m³)", "年度计划水量(m³)", "累计用水量(m³)",
           "超计划水量(m³)", "超定额水量(m³)", "无定额的种植行")


@dataclass(frozen=True)
class ComparisonRow:
    water_user: WaterUser
    area_mu: float
    suggested_m3: float | None
    plan_m3: float | None
    use_m3: float
    above_plan_m3: float | None
    above_norm_m3: float | None
    missing_lines: int


def _counties(users: list[WaterUser]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for user in users:
        if user.region_id not in out:
            county = county_of(user.region)
            out[user.region_id] = county.code if county else None
    return out


def _use_by_user(region: Region, year: int, today: date) -> dict[int, float]:
    first, last = date(year, 1, 1), min(date(year, 12, 31), today)
    if last < first:
        return {}
    per_well = sums(first, last, region.path, figures=("usage_m3",))
    owners = dict(Well.objects.filter(pk__in=list(per_well), water_user__isnull=False)
                  .values_list("pk", "water_user_id"))
    out: dict[int, float] = defaultdict(float)
    for well_id, figures in per_well.items():
        owner = owners.get(well_id)  # type: ignore[call-overload]
        if owner is not None:
            out[owner] += figures["usage_m3"] or 0.0
    return out


def compare(region: Region, year: int, today: date) -> list[ComparisonRow]:
    """The comparison rows of the water users within ``region`` for ``year``, by water user code."""
    plans = defaultdict(list)
    for plan in CropPlan.objects.filter(year=year, water_user__region__path__startswith=region.path) \
            .select_related("water_user"):
        plans[plan.water_user_id].append(plan)
    annual = dict(AnnualPlan.objects.filter(year=year, region__path__startswith=region.path)
                  .values("licence__water_user_id").annotate(total=Sum("volume_m3"))
                  .values_list("licence__water_user_id", "total"))
    use = _use_by_user(region, year, today)
    ids = set(plans) | set(annual) | set(use)
    users = list(WaterUser.objects.filter(pk__in=ids, region__path__startswith=region.path)
                 .select_related("region").order_by("code"))
    counties = _counties(users)
    table = norm_rows(year, {*counties.values(), *(p.zone_id for lines in plans.values() for p in lines)})
    rows = []
    for user in users:
        suggestion = rules.suggest(plan_lines(plans.get(user.pk, []), counties), table, year)
        suggested = suggestion.volume_m3 if suggestion.applied else None
        planned = annual.get(user.pk)
        used = use.get(user.pk, 0.0)
        rows.append(ComparisonRow(user, suggestion.area_mu, suggested, planned, used, rules.excess(used, planned),
                                  rules.excess(used, suggested), len(suggestion.missing)))
    return rows


def user_row(user: WaterUser, year: int, today: date, suggestion: rules.Suggestion) -> ComparisonRow:
    """One water user's comparison row, for their crop plan page (``suggestion``: their plan with norms applied).

    One user's wells over one year are a few thousand daily rows, summed directly.
    """
    planned = AnnualPlan.objects.filter(year=year, licence__water_user=user).aggregate(total=Sum("volume_m3"))["total"]
    first, last = date(year, 1, 1), min(date(year, 12, 31), today)
    used = DailyUsage.objects.filter(well__water_user=user, day__gte=first, day__lte=last) \
        .aggregate(total=Sum("usage_m3"))["total"] or 0.0
    suggested = suggestion.volume_m3 if suggestion.applied else None
    return ComparisonRow(user, suggestion.area_mu, suggested, planned, used, rules.excess(used, planned),
                         rules.excess(used, suggested), len(suggestion.missing))


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def to_xlsx(rows: list[ComparisonRow], region: Region, year: int) -> bytes:
    """The comparison as an XLSX workbook (sheet 定额与计划对比), through ``core.exports``."""
    book = FormulaSafeWorkbook()
    write_sheet(book, "定额与计划对比", [[f"{region.name} {year} 年 定额与计划对比"], list(COLUMNS), *(
        [row.water_user.code, row.water_user.name, round(row.area_mu, 1), _rounded(row.suggested_m3),
         _rounded(row.plan_m3), round(row.use_m3, 1), _rounded(row.above_plan_m3), _rounded(row.above_norm_m3),
         row.missing_lines] for row in rows)])
    return workbook_bytes(book)
