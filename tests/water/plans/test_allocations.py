"""Allocations derived from the plans: the split by rated flow, re-derivation, zeroing, county targets."""

from __future__ import annotations

from datetime import date

import pytest

from changji.core.models import AuditEntry, Region
from changji.water.models import Allocation, AllocationChange, AnnualPlan
from changji.water.plans import service
from changji.water.plans.allocations import DERIVED_NOTE, derive_allocations, well_shares
from changji.water.quotas.sweep import add_allocation, effective_allocation, quota_overview


def test_well_shares_by_rated_flow_or_equal():
    assert well_shares(1000, [(1, 50.0), (2, 150.0)]) == {1: 250.0, 2: 750.0}
    assert well_shares(1000, [(1, 50.0), (2, None)]) == {1: 500.0, 2: 500.0}
    assert well_shares(1000, []) == {}


def test_saving_a_plan_derives_the_wells_allocations(make_licence, operator):
    licence = make_licence(flows=(50.0, 150.0))
    plan = service.save_plan(licence, 2026, 80_000, None, "", operator)
    allocations = {a.well.pump_rated_flow_m3h: a for a in Allocation.objects.filter(year=2026)}
    assert allocations[50.0].allocation_m3 == 20_000 and allocations[150.0].allocation_m3 == 60_000
    assert {a.plan_id for a in allocations.values()} == {plan.pk}
    assert all(a.scope_region_id == "652323" and a.note == DERIVED_NOTE for a in allocations.values())
    assert AuditEntry.objects.filter(action="water.allocation.derived").exists()


def test_rederivation_updates_in_place_and_keeps_top_ups_and_quota_fields(make_licence, operator):
    licence = make_licence(flows=(100.0, 100.0))
    service.save_plan(licence, 2026, 80_000, None, "", operator)
    allocation = Allocation.objects.filter(year=2026).first()
    add_allocation(allocation, 5_000, "追加指标", operator)
    Allocation.objects.filter(pk=allocation.pk).update(level_reached=0.8)
    service.save_plan(licence, 2026, 60_000, None, "", operator)
    allocation.refresh_from_db()
    assert allocation.allocation_m3 == 30_000 and effective_allocation(allocation) == 35_000
    assert allocation.level_reached == 0.8 and AllocationChange.objects.count() == 1
    assert Allocation.objects.filter(year=2026).count() == 2


def test_detached_well_and_deleted_plan_are_zeroed_not_deleted(make_licence, operator):
    licence = make_licence(flows=(100.0, 100.0))
    service.save_plan(licence, 2026, 80_000, None, "", operator)
    detached = licence.wells.first()
    licence.wells.remove(detached)
    derive_allocations(2026, licence=licence, by="test")
    assert Allocation.objects.get(well=detached).allocation_m3 == 0
    assert Allocation.objects.exclude(well=detached).get().allocation_m3 == 80_000
    AnnualPlan.objects.all().delete()
    result = derive_allocations(2026, by="test")
    assert result.zeroed == 1 and Allocation.objects.filter(year=2026).count() == 2
    assert set(Allocation.objects.values_list("allocation_m3", flat=True)) == {0.0}


def test_suspended_licence_zeroes_its_wells(make_licence, operator):
    licence = make_licence()
    service.save_plan(licence, 2026, 80_000, None, "", operator)
    licence.state = "suspended"
    licence.save()
    derive_allocations(2026, licence=licence, by="test")
    assert set(Allocation.objects.values_list("allocation_m3", flat=True)) == {0.0}


def test_allocations_entered_before_plans_are_left_alone(make_licence):
    licence = make_licence()
    legacy = Allocation.objects.create(year=2026, well=licence.wells.first(), allocation_m3=777)
    derive_allocations(2026, by="test")  # no plan for it: a pre-issue-14 allocation stays
    legacy.refresh_from_db()
    assert legacy.allocation_m3 == 777


def test_a_well_on_two_licences_gets_both_shares(make_licence, operator):
    first, second = make_licence(flows=(100.0,)), make_licence(flows=(100.0,))
    shared = first.wells.get()
    second.wells.add(shared)
    service.save_plan(first, 2026, 10_000, None, "", operator)
    service.save_plan(second, 2026, 30_000, None, "", operator)
    assert Allocation.objects.get(well=shared).allocation_m3 == pytest.approx(10_000 + 15_000)


def test_county_target_becomes_the_county_allocation_on_the_dashboard(make_licence, operator):
    county = Region.objects.get(code="652323")
    service.save_plan(make_licence(), 2026, 80_000, None, "", operator)
    rows = {r["region"]: r for r in quota_overview(2026, date(2026, 6, 1), county)}
    assert rows["652323"]["allocation_m3"] == 80_000 and not rows["652323"]["own_allocation"]
    service.save_county_target(county, 2026, 5_000_000, None, "", operator)
    assert Allocation.objects.get(region=county, year=2026).allocation_m3 == 5_000_000
    rows = {r["region"]: r for r in quota_overview(2026, date(2026, 6, 1), county)}
    assert rows["652323"]["allocation_m3"] == 5_000_000 and rows["652323"]["own_allocation"]
    service.save_county_target(county, 2026, 4_000_000, None, "", operator)
    assert Allocation.objects.get(region=county, year=2026).allocation_m3 == 4_000_000


def test_a_raised_plan_rearms_the_warnings(make_licence, operator):
    from changji.water.models import DailyUsage

    licence = make_licence(flows=(100.0,))
    service.save_plan(licence, 2026, 10_000, None, "", operator)
    well = licence.wells.get()
    DailyUsage.objects.create(well=well, day=date(2026, 5, 1), water_m3=9_500, usage_m3=9_500, source="metered")
    Allocation.objects.filter(well=well).update(level_reached=0.9)
    service.save_plan(licence, 2026, 11_000, None, "", operator)  # 86 %: the 80 % level stays reached
    assert Allocation.objects.get(well=well).level_reached == 0.8
    service.save_plan(licence, 2026, 20_000, None, "", operator)  # 47.5 %: below every threshold
    assert Allocation.objects.get(well=well).level_reached == 0.0
