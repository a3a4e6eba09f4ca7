"""The demo's plans: seven county targets, a plan per valid licence, two counties over their target."""

from __future__ import annotations

from changji.core.models import Region
from changji.water.models import Allocation, AnnualPlan, CountyWaterTarget
from changji.water.plans.demo import OVER_COUNTIES, seed_plans
from changji.water.plans.service import county_balances


def test_seed_plans_without_licences_sets_the_targets(db):
    seed_plans(2026)
    assert CountyWaterTarget.objects.filter(year=2026).count() == 7
    assert all(t.target_m3 >= 10_000_000 for t in CountyWaterTarget.objects.all())
    assert Allocation.objects.filter(year=2026, region__isnull=False).count() == 7


def test_seed_plans_plans_every_licence_and_shows_the_warning(make_licence):
    licences = [make_licence(county=county) for county in ("652323", "652324", "652301", "652301")]
    make_licence(state="revoked")
    line = seed_plans(2026)
    assert "4 annual plan(s)" in line
    for licence in licences:
        plan = AnnualPlan.objects.get(licence=licence)
        assert 0.5 <= plan.volume_m3 / licence.permitted_m3_per_year <= 1.0
        assert abs(sum(plan.monthly_m3) - plan.volume_m3) < 1
    over = {b.region for b in county_balances(Region.objects.get(code="652300"), 2026) if b.over}
    assert over == set(OVER_COUNTIES)
    assert Allocation.objects.filter(year=2026, well__isnull=False).count() == 8
    assert seed_plans(2026).startswith("plans: 0 annual plan(s) and 0 county target(s)")  # idempotent
