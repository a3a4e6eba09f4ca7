"""The water app's part of ``changji demo``: the fleet, then what a bureau enters, each step idempotent.

Order matters: licences need the fleet's wells and water users, plans need the licences, and the allocations the
quota sweep enforces are derived from the plans. Each seeding function lives beside the code it seeds
(``<package>/demo.py``) and returns what it added, so a second ``changji demo --prepare-only`` adds nothing.
"""

from __future__ import annotations

import os

from changji.core.demo import DEMO_ADMIN_PASSWORD_DEFAULT
from changji.core.localtime import today
from changji.water import partitions
from changji.water.groundwater.demo import seed_groundwater
from changji.water.kpi.demo import seed_deployment
from changji.water.licences.demo import licence_late_wells, seed_licences
from changji.water.norms.demo import seed_norms
from changji.water.orders.demo import seed_work_orders
from changji.water.pictures.demo import attach_demo_pictures, seed_pictures
from changji.water.plans.demo import seed_plans
from changji.water.profiles.demo import seed_profile_frames
from changji.water.profiles.service import detect
from changji.water.quotas.demo import seed_quota_policies
from changji.water.sharing.demo import seed_exchange, seed_outbox
from changji.water.sim.demo import seed_fleet
from changji.water.sim.history import generate_history, history_window
from changji.water.tax.demo import seed_tax_rates


def demo_password() -> str:
    """The demo accounts' password: the administrator's (``CHANGJI_ADMIN_PASSWORD`` or the demo default)."""
    return os.environ.get("CHANGJI_ADMIN_PASSWORD", DEMO_ADMIN_PASSWORD_DEFAULT)


def prepare_water_demo(wells: int, history_days: int = 365) -> str:
    """Register ``wells`` demo wells; seed licences, plans, 定额, crop plans, quota policies, tax rates, history.

    The plans follow the history's pumping (``sim.pumping.plan_volume_m3``), so the wells the history
    pumps beyond their plan (``sim.pumping.over_plan``) show over plan on the dashboard and in the tax
    statement. ``history_days`` 0 writes no history.
    """
    year = today().year
    fleet = seed_fleet(wells)
    lines = [f"water: {len(fleet)} wells registered with their terminals"]
    lines.append(f"{seed_licences(year)} licence(s) issued")
    # before the history: its decline alarm is judged against the earlier years' depths written here
    lines.append(seed_groundwater(fleet, history_window(days=max(history_days, 1))[0], year))
    if history_days > 0:
        first, last = history_window(days=history_days)
        lines.append(f"history {first}..{last}: {generate_history(first, last, fleet).summary()}")
    lines.append(f"{licence_late_wells()} well(s) licensed late (无证取水 judged first)")
    lines.append(f"{seed_profile_frames(fleet)} raw frames of the device batches; profile check {detect()}")
    lines.append(seed_plans(year))
    norms, crop_plans = seed_norms(year)
    lines.append(f"{norms} 用水定额 rows and {crop_plans} crop plan lines added")
    lines.append(f"{len(seed_quota_policies())} quota policies")
    rates, areas = seed_tax_rates()
    lines.append(f"{rates} tax rates, {areas} 超采区")
    pictures = seed_pictures()
    lines.append(f"{pictures['pictures']} pictures ({pictures['alarm_pictures']} for a tamper alarm), "
                 f"{pictures['policies']} picture policy")
    lines.append(seed_work_orders(demo_password()))
    lines.append(f"{attach_demo_pictures()} flagged picture(s) attached to a work order of their well")
    lines.append(seed_deployment(year))
    if partitions.supported():  # the seeded months get their partitions (their rows leave the default partition)
        lines.append(f"monthly partitions {partitions.ensure(actor='demo')}")
    lines.append(seed_outbox())
    lines.append(seed_exchange())
    return "; ".join(lines)
