"""Dashboard figures: computed per region by the minutely job, recomputed when stale, shown with their time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from changji.core.localtime import local_day
from changji.core.models import Region
from changji.water.kpi import dashboard
from changji.water.models import Allocation, DailyUsage, DashboardFigures

pytestmark = pytest.mark.django_db


def test_refresh_due_computes_the_prefecture_and_each_county_once(make_terminal):
    terminal = make_terminal("6523230001", county="652323")
    today = local_day(timezone.now())
    DailyUsage.objects.create(well=terminal.well, day=today, usage_m3=120.0, energy_kwh=60.0, source="metered")
    Allocation.objects.create(year=today.year, well=terminal.well, allocation_m3=1000, allocation_kwh=500)
    now = timezone.now()
    assert dashboard.refresh_due(now) == 8  # 652300 and its seven counties
    assert dashboard.refresh_due(now) == 0  # all fresh
    figures = DashboardFigures.objects.get(region_id="652300").figures
    hutubi = next(row for row in figures["counties"] if row["region"] == "652323")
    assert hutubi["day"]["usage_m3"] == 120.0 and hutubi["year_figures"]["energy_kwh"] == 60.0
    assert hutubi["allocation_m3"] == 1000 and hutubi["allocation_kwh"] == 500 and hutubi["share_pct"] == 12.0
    assert len(figures["trend"]["days"]) == 30 and figures["trend"]["usage"][-1] == 120.0
    county = DashboardFigures.objects.get(region_id="652324").figures
    assert all(row["region"] == "652324" for row in county["counties"])
    assert dashboard.refresh_due(now + dashboard.MAX_AGE + timedelta(seconds=1)) == 8


def test_current_recomputes_missing_or_stale_figures():
    township = Region.objects.create(code="652323100", name="呼图壁镇", level=4, parent_id="652323")
    first = dashboard.current(township)
    assert dashboard.current(township).computed_at == first.computed_at
    DashboardFigures.objects.filter(pk=first.pk).update(computed_at=timezone.now() - timedelta(hours=1))
    assert dashboard.current(township).computed_at > first.computed_at
