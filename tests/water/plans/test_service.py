"""Saving plans and targets: refusals, audit, the county balance, and what other parts read."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from changji.core.errors import Refusal
from changji.core.models import AuditEntry, Region, RegionLevel
from changji.water.models import AnnualPlan, CountyWaterTarget
from changji.water.plans import service


def test_save_plan_creates_with_the_default_breakdown_and_audits(make_licence, operator):
    licence = make_licence()
    plan = service.save_plan(licence, 2026, 90_000, None, "首次下达", operator)
    assert plan.monthly_m3[0] == 0.0 and sum(plan.monthly_m3) == pytest.approx(90_000)
    entry = AuditEntry.objects.get(action="water.plan.create")
    assert entry.detail["old"] is None and entry.detail["new"]["volume_m3"] == 90_000
    service.save_plan(licence, 2026, 80_000, [80_000 / 12] * 12, "调减", operator)
    update = AuditEntry.objects.get(action="water.plan.update")
    assert (update.detail["old"]["volume_m3"], update.detail["new"]["volume_m3"]) == (90_000, 80_000)
    assert AnnualPlan.objects.get(licence=licence, year=2026).volume_m3 == 80_000


def test_saving_the_same_plan_again_changes_nothing(make_licence, operator):
    licence = make_licence()
    service.save_plan(licence, 2026, 90_000, None, "", operator)
    service.save_plan(licence, 2026, 90_000, None, "", operator)
    assert AuditEntry.objects.filter(action__startswith="water.plan.").count() == 1


@pytest.mark.parametrize(("kwargs", "year", "volume", "field"), [
    ({}, 2026, 100_001.5, "volume_m3"),                  # above the permitted volume
    ({}, 2030, 1000, "year"),                            # outside the validity
    ({"state": "suspended"}, 2026, 1000, "licence"),
    ({"state": "revoked"}, 2026, 1000, "licence"),
    ({}, 2026, -5, "volume_m3"),
])
def test_save_plan_refusals_change_nothing(make_licence, operator, kwargs, year, volume, field):
    licence = make_licence(**kwargs)
    with pytest.raises(Refusal) as refused:
        service.save_plan(licence, year, volume, None, "", operator)
    assert refused.value.field == field
    assert not AnnualPlan.objects.exists() and not AuditEntry.objects.filter(action__startswith="water.").exists()


def test_months_that_do_not_add_up_are_refused(make_licence, operator):
    with pytest.raises(Refusal, match="不符"):
        service.save_plan(make_licence(), 2026, 50_000, [1000.0] * 12, "", operator)


def test_only_editors_of_the_region_may_save(make_licence, operator, viewer, make_user):
    licence = make_licence(county="652301")
    with pytest.raises(PermissionDenied):
        service.save_plan(licence, 2026, 1000, None, "", operator)  # another county's licence
    with pytest.raises(PermissionDenied):
        service.save_plan(make_licence(), 2026, 1000, None, "", viewer)  # reads only
    service.save_plan(licence, 2026, 1000, None, "", make_user("pref", "652300", "prefecture_admin"))


def test_county_balance_warns_when_plans_exceed_the_target(make_licence, operator):
    county = Region.objects.get(code="652323")
    service.save_county_target(county, 2026, 150_000, 100_000, "州下达", operator)
    first, second = make_licence(), make_licence()
    service.save_plan(first, 2026, 90_000, None, "", operator)
    balance = service.county_balance(county, 2026)
    assert (balance.target_m3, balance.planned_m3, balance.over, balance.warning) == (150_000, 90_000, False, None)
    service.save_plan(second, 2026, 70_000, None, "", operator)  # warned, not refused
    balance = service.county_balance(county, 2026)
    assert balance.over and balance.planned_m3 == 160_000
    assert "超过用水总量控制指标" in balance.warning and "地下水" in balance.warning
    make_licence(county="652301")  # another county's plans do not count
    assert service.county_balances(Region.objects.get(code="652300"), 2026)[0].region == "652301"


def test_county_target_refusals_and_audit(operator):
    county = Region.objects.get(code="652323")
    with pytest.raises(Refusal):
        service.save_county_target(county, 2026, 100, 200, "", operator)
    township = Region.objects.create(code="652323100", name="呼图壁镇", level=RegionLevel.TOWNSHIP, parent=county)
    with pytest.raises(Refusal):  # targets go down to the county (water.sharing.targets), not below
        service.save_county_target(township, 2026, 100, None, "", "cli")
    with pytest.raises(PermissionDenied):
        service.save_county_target(Region.objects.get(code="652301"), 2026, 100, None, "", operator)
    service.save_county_target(county, 2026, 1000, None, "", operator)
    service.save_county_target(county, 2026, 2000, None, "调整", operator)
    entries = AuditEntry.objects.filter(action="water.target.update").order_by("at")
    assert [e.detail["new"]["target_m3"] for e in entries] == [1000, 2000]
    assert entries.last().detail["old"]["target_m3"] == 1000
    assert CountyWaterTarget.objects.get(region=county, year=2026).target_m3 == 2000


def test_planned_m3_by_water_user(make_licence, operator):
    a, b = make_licence(), make_licence(county="652301")
    service.save_plan(a, 2026, 1000, None, "", operator)
    service.save_plan(b, 2026, 2000, None, "", "cli")
    assert service.planned_m3_by_water_user(2026, Region.objects.get(code="652323")) == {a.water_user_id: 1000}
    everything = service.planned_m3_by_water_user(2026, Region.objects.get(code="652300"))
    assert everything == {a.water_user_id: 1000, b.water_user_id: 2000}


def test_carry_forward_copies_caps_and_skips(make_licence, operator):
    keep, capped, ends, existing = (make_licence(), make_licence(), make_licence(valid_to=date(2026, 12, 31)),
                                    make_licence())
    for licence in (keep, capped, ends, existing):
        service.save_plan(licence, 2026, 90_000, None, "", operator)
    service.save_plan(existing, 2027, 50_000, None, "已下达", operator)
    capped.permitted_m3_per_year = 60_000
    capped.save()
    result = service.carry_forward(Region.objects.get(code="652323"), 2026, 2027, operator)
    assert (result.copied, result.capped, result.existing, result.not_valid) == (2, 1, 1, 1)
    plans = {p.licence_id: p for p in AnnualPlan.objects.filter(year=2027)}
    assert plans[keep.pk].volume_m3 == 90_000 and plans[capped.pk].volume_m3 == 60_000
    assert sum(plans[capped.pk].monthly_m3) == pytest.approx(60_000)
    assert plans[existing.pk].volume_m3 == 50_000 and ends.pk not in plans
    entry = AuditEntry.objects.get(action="water.plan.carry_forward")
    assert entry.detail["copied"] == 2
    assert AnnualPlan.objects.get(licence=keep, year=2027).allocations.count() == 2  # derived in the same go
    with pytest.raises(Refusal):
        service.carry_forward(Region.objects.get(code="652323"), 2027, 2026, operator)
