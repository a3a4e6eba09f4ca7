"""Monthly breakdown of an annual withdrawal plan (年度取水计划分月计划): defaults, validation, seasons.

《取水许可管理办法》(水利部令第34号) 第四十条 asks the water user to report its annual plan; the
bureau breaks it down by month so that use can be followed month by month (计划用水管理). The default
breakdown follows the purpose of the licence:

* agricultural (农业灌溉): the irrigation season of northern Xinjiang's drip-irrigated cotton and maize
  (春灌 in April, peak 头水—满灌 June–August, 秋灌/冬灌 in October–November after harvest); nothing
  in December–February (frozen ground) and March (before sowing). ``AGRICULTURAL_WEIGHTS``;
* industrial and domestic (工业、生活): even over the twelve months.

A county may prefer another pattern: the operator enters the months, or four seasonal volumes
(``from_seasons``), and ``check_months`` accepts any twelve non-negative months that sum to the year.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from changji.core.errors import Refusal

__pure__ = True  # no Django: tests/test_architecture.py checks it

MONTHS = 12
#: Months may miss the annual volume by this much (typed whole cubic metres, rounding of a spreadsheet).
SUM_TOLERANCE_M3 = 1.0
#: Share of the year's volume per month, January first, for agricultural plans (sums to 1).
AGRICULTURAL_WEIGHTS: tuple[float, ...] = (0.0, 0.0, 0.0, 0.05, 0.12, 0.20, 0.25, 0.20, 0.08, 0.05, 0.05, 0.0)
EVEN_WEIGHTS: tuple[float, ...] = (1 / MONTHS,) * MONTHS
AGRICULTURAL = "agricultural"
#: The months of each season (北半球气象季节: spring March–May … winter December–February).
SEASONS: dict[str, tuple[int, ...]] = {
    "spring": (3, 4, 5), "summer": (6, 7, 8), "autumn": (9, 10, 11), "winter": (12, 1, 2),
}
SEASON_LABELS = {"spring": "春季", "summer": "夏季", "autumn": "秋季", "winter": "冬季"}
MONTH_LABELS = tuple(f"{n}月" for n in range(1, MONTHS + 1))


def weights_for(purpose: str) -> tuple[float, ...]:
    """Return the monthly weights of a purpose (a ``WellUse`` value): the irrigation season or even."""
    return AGRICULTURAL_WEIGHTS if purpose == AGRICULTURAL else EVEN_WEIGHTS


def split(volume_m3: float, weights: Sequence[float]) -> list[float]:
    """Split ``volume_m3`` by ``weights`` into months rounded to 0.01 m³ that sum exactly to it.

    The rounding remainder goes to the month of the largest weight. Weights that sum to 0 split evenly.
    """
    total = sum(weights)
    if total <= 0:
        weights, total = [1.0] * len(weights), float(len(weights))
    months = [round(volume_m3 * w / total, 2) for w in weights]
    largest = max(range(len(months)), key=lambda n: weights[n])
    months[largest] = max(0.0, round(months[largest] + volume_m3 - sum(months), 2))
    return months


def default_months(volume_m3: float, purpose: str) -> list[float]:
    """Return the default monthly breakdown of an annual volume for a licence of ``purpose``."""
    return split(volume_m3, weights_for(purpose))


def check_volume(volume_m3: float, field: str = "volume_m3") -> float:
    """Return ``volume_m3`` as a float when it is a finite non-negative number; else refuse it."""
    if isinstance(volume_m3, bool) or not isinstance(volume_m3, int | float) or not math.isfinite(volume_m3):
        raise Refusal(field, "取水量必须是数值")
    if volume_m3 < 0:
        raise Refusal(field, "取水量不能为负数")
    return float(volume_m3)


def check_months(volume_m3: float, months: Sequence[float],
                 tolerance_m3: float = SUM_TOLERANCE_M3) -> list[float]:
    """Return the twelve months as floats when they are non-negative and sum to ``volume_m3``; else refuse.

    The sum may differ from the annual volume by ``tolerance_m3``.
    """
    if len(months) != MONTHS:
        raise Refusal("monthly_m3", f"分月计划必须有 {MONTHS} 个月，实有 {len(months)} 个")
    values = []
    for label, value in zip(MONTH_LABELS, months, strict=True):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise Refusal("monthly_m3", f"{label}计划水量必须是数值")
        if value < 0:
            raise Refusal("monthly_m3", f"{label}计划水量不能为负数")
        values.append(float(value))
    total = sum(values)
    if abs(total - volume_m3) > tolerance_m3:
        raise Refusal("monthly_m3", f"分月计划合计 {total:,.2f} m³ 与年度计划 {volume_m3:,.2f} m³ 不符"
                                    f"（允许误差 {tolerance_m3:g} m³）")
    return values


def from_seasons(seasons: dict[str, float], purpose: str) -> list[float]:
    """Spread four seasonal volumes over their months: by the purpose's weights within the season, else evenly.

    ``seasons`` maps ``spring``/``summer``/``autumn``/``winter`` to a volume (a missing season is 0). A volume
    given for a season the purpose's pattern leaves empty (winter irrigation) is spread evenly over its months.
    """
    unknown = sorted(set(seasons) - set(SEASONS))
    if unknown:
        raise Refusal("seasons", f"未知季节：{'、'.join(unknown)}")
    weights = weights_for(purpose)
    months = [0.0] * MONTHS
    for season, numbers in SEASONS.items():
        volume = check_volume(seasons.get(season, 0.0), field=season)
        for number, amount in zip(numbers, split(volume, [weights[n - 1] for n in numbers]), strict=True):
            months[number - 1] = amount
    return months


def scaled(months: Sequence[float], volume_m3: float) -> list[float]:
    """Scale a monthly breakdown to a new annual volume, keeping its shape (a capped carried-forward plan)."""
    return split(volume_m3, list(months))


def plan_to_date(months: Sequence[float], through_month: int) -> float:
    """Return the planned volume of January up to and including month ``through_month`` (0: none)."""
    return float(sum(months[:max(0, min(MONTHS, through_month))]))
