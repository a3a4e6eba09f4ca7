"""Region-bounded re-derivation (import, carry-forward) and wells outside the plan holder's region."""
import pytest

from changji.water.models import Allocation, Well
from changji.water.plans import service
from changji.water.plans.allocations import derive_allocations

pytestmark = pytest.mark.django_db


def test_a_region_rederivation_keeps_a_planned_well_whose_holder_is_registered_elsewhere(make_licence, operator):
    licence = make_licence("652323", flows=(50.0, 150.0))  # holder registered in 呼图壁县 (652323)
    # One of the licence's wells stands across the line in 玛纳斯县 (652324).
    well = licence.wells.order_by("pk").last()
    Well.objects.filter(pk=well.pk).update(region_id="652324")
    service.save_plan(licence, 2026, 80_000, None, "", operator)
    derive_allocations(2026, by="test")  # every plan: the well keeps its 60,000 m³
    allocation = Allocation.objects.get(year=2026, well=well)
    assert allocation.allocation_m3 == 60_000
    # 玛纳斯县 imports (or carries forward) its own plans: the derivation is bounded to 652324.
    from changji.core.models import Region
    derive_allocations(2026, region=Region.objects.get(code="652324"), by="test")
    allocation.refresh_from_db()
    assert allocation.allocation_m3 == 60_000  # FAILS: zeroed (0.0), though the plan still stands
