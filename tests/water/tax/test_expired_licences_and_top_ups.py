"""Tax statement figures."""
from datetime import date
from decimal import Decimal as D

import pytest

from changji.core.models import Region
from changji.water.models import Allocation, AllocationChange, Licence
from changji.water.quotas.sweep import effective_allocation
from changji.water.tax.statement import tax_statement

pytestmark = pytest.mark.django_db


def test_a_licence_expired_after_the_period_still_sets_the_wells_use(tax_world):
    county = Region.objects.get(code="652323")
    before = tax_statement("quarter", date(2026, 5, 15), county)
    # The licence ran through 2026-06-30; on 07-01 the daily job moved it to EXPIRED. The Q2 statement,
    # drawn up in July for the tax office, must not change.
    Licence.objects.update(valid_to=date(2026, 6, 30), state="expired")
    after = tax_statement("quarter", date(2026, 5, 15), county)
    b_before, b_after = before.users[0].lines[1], after.users[0].lines[1]
    assert (b_before.use, b_before.licence) == ("industrial", "取水(呼)2025第1号")
    assert (b_after.use, b_after.licence) == ("industrial", "取水(呼)2025第1号")  # FAILS: agricultural, ""
    assert after.totals["amount_yuan"] == before.totals["amount_yuan"]  # 1630.78 -> 338.46 + B exempt-within


def test_the_tax_plan_is_the_allocation_the_sweep_enforces(tax_world):
    county = Region.objects.get(code="652323")
    a = Allocation.objects.get(year=2026, well=tax_world.well_a)
    # A temporary top-up that ran out on 03-31 (never used past it, never reversed).
    AllocationChange.objects.create(allocation=a, amount_m3=1000, reason="抗旱临时追加", by_name="t",
                                    expires_on=date(2026, 3, 31))
    b = Allocation.objects.get(year=2026, well=tax_world.well_b)
    enforced = effective_allocation(a, date(2026, 12, 31)) + effective_allocation(b, date(2026, 12, 31))
    year = tax_statement("year", date(2026, 5, 15), county)
    assert year.users[0].plan_m3 == D(str(enforced))  # FAILS: 2600 (expired top-up counted) vs 1600
