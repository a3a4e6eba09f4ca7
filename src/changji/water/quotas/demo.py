"""The demo's quota policies (总量控制策略): the prefecture's default, two counties' own, domestic warn-only."""

from __future__ import annotations

from changji.core.models import Region
from changji.core.regions import root_region
from changji.water.models import QuotaPolicy
from changji.water.quotas.controls import save_policy

#: (county code or None for the prefecture, use class, thresholds, stop at 100 %, notice hours).
DEMO_POLICIES: tuple[tuple[str | None, str, list[float], bool, int], ...] = (
    (None, "", [0.8, 0.9, 1.0], True, 48),  # the prefecture's default
    (None, "domestic", [0.8, 0.9, 1.0], False, 48),  # drinking water: warnings only (never stopped anyway)
    ("652323", "", [0.7, 0.85, 1.0], True, 72),  # 呼图壁县: earlier warnings, three days' notice
    ("652324", "agricultural", [0.8, 0.95, 1.0], True, 24),  # 玛纳斯县 irrigation: one day's notice
)


def seed_quota_policies() -> list[QuotaPolicy]:
    """Create or reset the demo policies (idempotent; audited as changes by ``demo``); return them."""
    policies = []
    for code, use, thresholds, stop_at_full, notice_hours in DEMO_POLICIES:
        region = root_region() if code is None else Region.objects.filter(code=code).first()
        if region is None:  # an instance rooted elsewhere has no such county
            continue
        policies.append(save_policy(region, use, thresholds, stop_at_full, notice_hours, "demo"))
    return policies
