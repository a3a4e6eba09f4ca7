"""The water app's part of ``changji demo``: the fleet, then what a bureau enters, each step idempotent.

Order matters: licences need the fleet's wells and water users, plans need the licences, and the allocations the
quota sweep enforces are derived from the plans. Each seeding function lives beside the code it seeds
(``<package>/demo.py``) and returns what it added, so a second ``changji demo --prepare-only`` adds nothing.
"""

from __future__ import annotations

from changji.core.localtime import today
from changji.water.licences.demo import seed_licences
from changji.water.norms.demo import seed_norms
from changji.water.plans.demo import seed_plans
from changji.water.quotas.demo import seed_quota_policies
from changji.water.sim.demo import seed_fleet
from changji.water.tax.demo import seed_tax_rates


def prepare_water_demo(wells: int) -> str:
    """Register ``wells`` demo wells; seed licences, plans, 定额, crop plans, quota policies and tax rates."""
    year = today().year
    fleet = seed_fleet(wells)
    lines = [f"water: {len(fleet)} wells registered with their terminals"]
    lines.append(f"{seed_licences(year)} licence(s) issued")
    lines.append(seed_plans(year))
    norms, crop_plans = seed_norms(year)
    lines.append(f"{norms} 用水定额 rows and {crop_plans} crop plan lines added")
    lines.append(f"{len(seed_quota_policies())} quota policies")
    rates, areas = seed_tax_rates()
    lines.append(f"{rates} tax rates, {areas} 超采区")
    return "; ".join(lines)
