"""The expiry of a licence rewrites the allocations (plans) of years already past."""
from datetime import date
from decimal import Decimal as D

import pytest

from changji.core.models import Region
from changji.water.licences.expiry import warn_and_expire
from changji.water.models import Allocation, DailyUsage, WaterTaxRate
from changji.water.plans import service
from changji.water.tax.statement import tax_statement

pytestmark = pytest.mark.django_db


def test_a_licence_ending_on_dec_31_keeps_that_years_plan(make_licence, operator):
    licence = make_licence("652323", flows=(50.0, 150.0), valid_to=date(2026, 12, 31))
    service.save_plan(licence, 2025, 80_000, None, "", operator)
    service.save_plan(licence, 2026, 80_000, None, "", operator)
    well = licence.wells.order_by("pk").first()
    DailyUsage.objects.create(well=well, day=date(2026, 6, 1), usage_m3=10_000, water_m3=10_000)
    WaterTaxRate.objects.create(source="groundwater", use="agricultural", zone="normal",
                                rate_yuan_per_m3=D("0.10"), over_plan_multiplier=D("2"), exempt_within_plan=True,
                                valid_from_year=2024, document="示例")
    county = Region.objects.get(code="652323")
    before = tax_statement("year", date(2026, 6, 1), county).totals
    assert before["over_m3"] == 0 and before["amount_yuan"] == 0  # 10,000 of a 20,000 m³ share: within, exempt
    assert warn_and_expire(date(2027, 1, 1))["expired"] == 1  # the daily job of 2027-01-01
    # the 2026 tax statement drawn up in January does not turn all of 2026's use into over-plan use.
    after = tax_statement("year", date(2026, 6, 1), county).totals
    assert after["over_m3"] == 0 and after["amount_yuan"] == 0
    # FAILS: over_m3 10,000, amount 2,000.00 yuan
    # The years the licence covered keep their allocations ...
    assert sorted(Allocation.objects.filter(well=well).values_list("year", "allocation_m3")) == [
        (2025, 20_000.0), (2026, 20_000.0)]  # and: [(2025, 0.0), (2026, 0.0)]
