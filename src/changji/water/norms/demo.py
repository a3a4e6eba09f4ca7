"""Demo 用水定额 table and crop plans (idempotent), for ``changji demo``.

The values are illustrative, modelled on the shape and the ranges of the autonomous region's
《新疆维吾尔自治区农业灌溉用水定额》 for the 北疆 天山北坡 zone (m³/亩 at the field, 75% 保证率) and its
industrial and domestic companions (《新疆维吾尔自治区工业和生活用水定额》): drip irrigation of cotton about
340 m³/亩, maize about 320, wheat about 300, surface irrigation much higher. They are not the official figures.
The previous year's version is about 4% looser (each new version tightens the table). 奇台县 and 木垒县, the
dry eastern counties, have a few rows of their own.

Every demo water user with irrigation wells gets a crop plan whose 定额 volume is about what its wells can pump
in a season (rated flow × 1,100 hours), so plan ≈ area × norm; every seventh plants about a third more than
that, and shows as planting above what the norm allows.
"""

from __future__ import annotations

import random
from collections import defaultdict

from django.db import transaction

from changji.core.localtime import today
from changji.water.models import CropPlan, NormKind, QuotaNorm, WaterUser, Well, WellKind, WellUse

SOURCE_CROP = "《新疆维吾尔自治区农业灌溉用水定额》北疆天山北坡区（演示值）"
SOURCE_OTHER = "《新疆维吾尔自治区工业和生活用水定额》（演示值）"
#: m³/亩 by crop and irrigation method, current version.
CROP_NORMS: dict[str, dict[str, float]] = {
    "棉花": {"drip": 340, "pipe": 420, "surface": 520},
    "玉米": {"drip": 320, "sprinkler": 360, "pipe": 400, "surface": 480},
    "小麦": {"drip": 300, "sprinkler": 320, "pipe": 360, "surface": 420},
    "加工番茄": {"drip": 330, "pipe": 400, "surface": 480},
    "葡萄": {"drip": 380, "pipe": 460, "surface": 560},
    "苜蓿": {"drip": 380, "sprinkler": 420, "surface": 560},
    "设施蔬菜": {"drip": 400, "pipe": 480},
}
#: The dry eastern counties' own rows (奇台县 652325, 木垒县 652328).
COUNTY_NORMS: dict[str, dict[tuple[str, str], float]] = {
    "652325": {("小麦", "drip"): 320, ("玉米", "drip"): 340, ("小麦", "surface"): 450},
    "652328": {("小麦", "drip"): 330, ("小麦", "surface"): 460},
}
OTHER_NORMS = (
    (NormKind.INDUSTRY, "工业（万元增加值）", 18.0, "m³/万元"),
    (NormKind.INDUSTRY, "煤化工（甲醇）", 12.0, "m³/吨"),
    (NormKind.INDUSTRY, "番茄酱加工", 20.0, "m³/吨"),
    (NormKind.DOMESTIC, "城镇居民", 120.0, "L/人·日"),
    (NormKind.DOMESTIC, "农村居民", 80.0, "L/人·日"),
)
PREVIOUS_FACTOR = 1.04
SEASON_HOURS = 1100
ROTATIONS = (("棉花", "玉米"), ("玉米", "小麦"), ("棉花", "加工番茄"), ("小麦", "苜蓿"), ("玉米", "设施蔬菜"),
             ("葡萄",), ("棉花",))


def _table(year: int, factor: float) -> list[QuotaNorm]:
    rows = [QuotaNorm(year=year, kind=NormKind.CROP, category=crop, method=method,
                      value=round(value * factor), unit="m³/亩", source=SOURCE_CROP)
            for crop, methods in CROP_NORMS.items() for method, value in methods.items()]
    rows += [QuotaNorm(year=year, kind=NormKind.CROP, category=crop, method=method, region_id=county,
                       value=round(value * factor), unit="m³/亩", source=SOURCE_CROP, note="东部旱区")
             for county, lines in COUNTY_NORMS.items() for (crop, method), value in lines.items()]
    rows += [QuotaNorm(year=year, kind=kind, category=name, value=round(value * factor, 1), unit=unit,
                       source=SOURCE_OTHER) for kind, name, value, unit in OTHER_NORMS]
    return rows


def _missing(rows: list[QuotaNorm]) -> list[QuotaNorm]:
    existing = {(n.year, n.kind, n.category, n.region_id, n.method) for n in QuotaNorm.objects.all()}
    return [n for n in rows if (n.year, n.kind, n.category, n.region_id, n.method) not in existing]


def _plan(user: WaterUser, capacity_m3: float, year: int, rng: random.Random) -> list[CropPlan]:
    crops = ROTATIONS[rng.randrange(len(ROTATIONS))]
    method = "surface" if rng.random() < 0.15 else "drip"
    over = 1.35 if user.pk % 7 == 0 else rng.uniform(0.9, 1.05)
    lines = []
    for index, crop in enumerate(crops):
        share = 1.0 if len(crops) == 1 else (0.6 if index == 0 else 0.4)
        norm = CROP_NORMS[crop].get(method, CROP_NORMS[crop]["drip"])
        chosen = method if method in CROP_NORMS[crop] else "drip"
        lines.append(CropPlan(water_user=user, year=year, crop=crop, method=chosen,
                              area_mu=round(capacity_m3 * share * over / norm)))
    return [line for line in lines if line.area_mu > 0]


@transaction.atomic
def seed_norms(year: int | None = None) -> tuple[int, int]:
    """Seed the norm table of ``year`` (default: this year) and the year before, and every demo user's crop plans.

    Existing rows stay (idempotent). Returns (norm rows added, crop plan lines added).
    """
    year = year or today().year
    norms = _missing(_table(year, 1.0) + _table(year - 1, PREVIOUS_FACTOR))
    QuotaNorm.objects.bulk_create(norms)
    capacity: dict[int, float] = defaultdict(float)
    for user_id, flow in Well.objects.filter(kind=WellKind.EXTRACTION, use=WellUse.AGRICULTURAL,
                                             water_user__isnull=False).values_list("water_user_id",
                                                                                   "pump_rated_flow_m3h"):
        capacity[user_id] += (flow or 0) * SEASON_HOURS
    planned = set(CropPlan.objects.filter(year__in=(year, year - 1)).values_list("water_user_id", "year"))
    lines: list[CropPlan] = []
    for user in WaterUser.objects.filter(pk__in=list(capacity)).order_by("pk"):
        for plan_year in (year - 1, year):
            if (user.pk, plan_year) not in planned:
                lines += _plan(user, capacity[user.pk], plan_year, random.Random(f"{user.code}-{plan_year}"))
    CropPlan.objects.bulk_create(lines, ignore_conflicts=True)
    return len(norms), len(lines)
