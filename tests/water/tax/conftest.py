"""A small tax world in 呼图壁县 (652323): one cooperative with two wells, a plan, rates, an overdraft township.

Figures (2026, the second quarter at=2026-05-15):

- 东滩合作社 (U1): well A (agricultural, groundwater, in 呼图壁镇 652323100, designated 超采区) and well B
  (licensed industrial groundwater, county level, 非超采区); allocations 1,000 + 500 m³ and a change of +100 m³
  on A, so the plan is 1,600 m³;
- before the quarter: A 900 m³ (Jan 800, Mar 100), B 500 m³ (Feb): 1,400 m³;
- in the quarter: A 1,000 m³ (Apr 600, Jun 400), B 300 m³ (May): 1,300 m³, so cumulative 2,700 m³ and the
  over-plan volume of the quarter is 2,700 − 1,600 = 1,100 m³, shared 1,000 : 300 → A 846.15, B 253.85;
- rates: agricultural groundwater in 超采区 0.20 yuan/m³ ×2 exempt within, industrial groundwater 1.60 ×3;
  A pays 846.15 × 0.2 × 2 = 338.46; B 46.15 × 1.6 = 73.84 + 253.85 × 1.6 × 3 = 1,218.48; the user 1,630.78;
- A's meter is replaced on 2026-05-01; 玛纳斯县 (652324) has a user of its own that 652323 never sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

QUARTER_AT = date(2026, 5, 15)
TOWNSHIP = "652323100"


@dataclass
class TaxWorld:
    user: object
    well_a: object
    well_b: object
    other_user: object


def _day(well, day, usage, volume=None, energy=None):
    from changji.water.models import DailyUsage

    DailyUsage.objects.create(well=well, day=day, usage_m3=usage, water_m3=usage, estimated_water_m3=usage * 1.05,
                              energy_kwh=usage / 2, last_volume_m3=volume, last_energy_kwh=energy, source="metered")


@pytest.fixture
def token_client():
    """Return a factory: a test Client that sends a fresh bearer token of ``user``."""
    from django.test import Client

    from changji.core.models import ApiToken

    def make(user) -> Client:
        _, raw = ApiToken.issue(user, "t")
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return make


@pytest.fixture
def tax_world(db):
    from changji.core.models import Region
    from changji.water.models import (
        Allocation,
        AllocationChange,
        Licence,
        Meter,
        MeterReplacement,
        OverdraftArea,
        WaterTaxRate,
        WaterUser,
        Well,
    )

    county = Region.objects.get(code="652323")
    Region.objects.create(code=TOWNSHIP, name="呼图壁镇", level=4, parent=county)
    user = WaterUser.objects.create(code="652323-U1", name="东滩合作社", kind="cooperative", region_id="652323")
    well_a = Well.objects.create(code="652323-A", name="东滩1号井", use="agricultural", region_id=TOWNSHIP,
                                 latitude=44.2, longitude=86.9, water_user=user)
    well_b = Well.objects.create(code="652323-B", name="东滩2号井", use="agricultural", region_id="652323",
                                 latitude=44.2, longitude=86.9, water_user=user)
    licence = Licence.objects.create(number="取水(呼)2025第1号", water_user=user, source="groundwater",
                                     purpose="industrial", permitted_m3_per_year=5000, valid_from=date(2025, 1, 1),
                                     valid_to=date(2030, 12, 31), issuing_authority="呼图壁县水利局")
    licence.wells.add(well_b)
    a_alloc = Allocation.objects.create(year=2026, well=well_a, allocation_m3=1000)
    Allocation.objects.create(year=2026, well=well_b, allocation_m3=500)
    AllocationChange.objects.create(allocation=a_alloc, amount_m3=100, reason="追加", by_name="t")
    Allocation.objects.create(year=2025, well=well_a, allocation_m3=99999)  # another year: not counted
    for day, usage, volume in ((date(2026, 1, 15), 800, 5000), (date(2026, 3, 31), 100, 5100),
                               (date(2026, 4, 10), 600, 5700), (date(2026, 6, 30), 400, 6100)):
        _day(well_a, day, usage, volume, volume / 2)
    _day(well_b, date(2026, 2, 1), 500, 2500, 1250)
    _day(well_b, date(2026, 5, 20), 300, 2800, 1400)
    old = Meter.objects.create(well=well_a, kind="electromagnetic", serial="OLD",
                               installed_at=datetime(2020, 1, 1, tzinfo=UTC))
    new = Meter.objects.create(well=well_a, kind="electromagnetic", serial="NEW",
                               installed_at=datetime(2026, 5, 1, 4, tzinfo=UTC))
    MeterReplacement.objects.create(well=well_a, old_meter=old, new_meter=new,
                                    replaced_at=datetime(2026, 5, 1, 4, tzinfo=UTC), old_final_register=5900,
                                    new_initial_register=0)
    OverdraftArea.objects.create(region_id=TOWNSHIP, level="overdraft", designated_on=date(2020, 1, 1),
                                 document="新政发〔2020〕示例号")
    for source, use, zone, rate, multiplier, exempt in (
            ("groundwater", "agricultural", "normal", "0.10", "2", True),
            ("groundwater", "agricultural", "overdraft", "0.20", "2", True),
            ("groundwater", "industrial", "normal", "1.60", "3", False)):
        WaterTaxRate.objects.create(source=source, use=use, zone=zone, rate_yuan_per_m3=Decimal(rate),
                                    over_plan_multiplier=Decimal(multiplier), exempt_within_plan=exempt,
                                    valid_from_year=2024, document="示例")
    other = WaterUser.objects.create(code="652324-U1", name="玛纳斯合作社", kind="cooperative", region_id="652324")
    other_well = Well.objects.create(code="652324-A", name="玛纳斯1号井", use="domestic", region_id="652324",
                                     latitude=44.3, longitude=86.2, water_user=other)
    _day(other_well, date(2026, 5, 2), 70, 70, 35)
    return TaxWorld(user, well_a, well_b, other)
