"""The demo's 设备建设计划, targets and the fleet's installation and acceptance dates.

10,401 sets planned over the prefecture's seven counties in two years; the bureau's targets for both years.
"""

from __future__ import annotations

from datetime import date, timedelta

from changji.core.localtime import today
from changji.water.models import DeploymentPlan, KpiMetric, KpiTarget, Terminal

#: Planned sets per county (GB/T 2260 code): 10,401 in all, roughly by each county's irrigated wells.
PLANNED_SETS = {"652301": 1650, "652302": 1120, "652323": 1880, "652324": 2010, "652325": 1760, "652327": 1150,
                "652328": 831}
#: The share of each county's sets planned for the year before; the rest this year.
FIRST_YEAR_SHARE = 0.6
PREFECTURE = "652300"
#: The bureau's targets in percent (新设备上线率 ≥ 95 %, 完好率 ≥ 95 %, 准确率 ≥ 98 % …).
TARGETS = {KpiMetric.INSTALLATION_RATE: 100.0, KpiMetric.NEW_ONLINE_RATE: 95.0, KpiMetric.ONLINE_RATE: 95.0,
           KpiMetric.ACCEPTANCE_RATE: 90.0, KpiMetric.INTACT_RATE: 95.0, KpiMetric.ACCURACY_RATE: 98.0}
#: A county's own target: 木垒's mountain wells are allowed a lower 上线率.
COUNTY_TARGETS = {("652328", KpiMetric.ONLINE_RATE): 90.0}
#: Every n-th set is installed this year (new); every m-th installed set is not accepted yet.
NEW_EVERY = 6
UNACCEPTED_EVERY = 12


def _install_day(index: int, year: int, now: date) -> date:
    if index % NEW_EVERY == 0:  # a new set of this year, installed before today
        return date(year, 1, 1) + timedelta(days=index % max(1, (now - date(year, 1, 1)).days))
    return date(year - 1, 3, 1) + timedelta(days=index % 200)


def seed_deployment(year: int | None = None) -> str:
    """Plans summing to 10,401, the year's targets, and installation/acceptance dates of the fleet; idempotent."""
    year = year or today().year
    now = today()
    plans = 0
    for code, planned in PLANNED_SETS.items():
        first = round(planned * FIRST_YEAR_SHARE)
        for plan_year, sets in ((year - 1, first), (year, planned - first)):
            _, created = DeploymentPlan.objects.get_or_create(region_id=code, year=plan_year,
                                                              defaults={"planned_sets": sets, "note": "演示"})
            plans += created
    targets = 0
    for target_year in (year - 1, year):
        for metric, pct in TARGETS.items():
            targets += KpiTarget.objects.get_or_create(region_id=PREFECTURE, year=target_year, metric=metric,
                                                       defaults={"target_pct": pct})[1]
        for (code, metric), pct in COUNTY_TARGETS.items():
            targets += KpiTarget.objects.get_or_create(region_id=code, year=target_year, metric=metric,
                                                       defaults={"target_pct": pct})[1]
    dated = 0
    for index, terminal in enumerate(Terminal.objects.filter(installed_on__isnull=True).order_by("pk")):
        terminal.installed_on = _install_day(index, year, now)
        accepted = terminal.installed_on + timedelta(days=30)
        terminal.accepted_on = accepted if index % UNACCEPTED_EVERY != 1 and accepted <= now else None
        terminal.save(update_fields=["installed_on", "accepted_on"])
        dated += 1
    return f"{plans} 设备建设计划, {targets} 考核目标, {dated} terminal(s) given installation dates"
