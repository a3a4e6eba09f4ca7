"""Fixtures of the plan tests: licences with wells in two counties, and their operators."""

from __future__ import annotations

from datetime import date

import pytest


@pytest.fixture
def make_licence(db):
    """Return a factory: a valid licence in ``county`` with ``wells`` extraction wells (rated flows ``flows``)."""
    from changji.water.models import Licence, WaterUser, Well

    counter = {"n": 0}

    def make(county: str = "652323", permitted: float = 100_000.0, flows=(50.0, 150.0), purpose="agricultural",
             valid_from=date(2024, 1, 1), valid_to=date(2028, 12, 31), state="valid", number=None):
        counter["n"] += 1
        n = counter["n"]
        user = WaterUser.objects.create(code=f"{county}-PU{n:03d}", name=f"用水户{n}", kind="cooperative",
                                        region_id=county)
        licence = Licence.objects.create(number=number or f"取水(昌){county}第{n:03d}号", water_user=user,
                                         purpose=purpose, permitted_m3_per_year=permitted, valid_from=valid_from,
                                         valid_to=valid_to, issuing_authority="昌吉州水利局", state=state)
        for k, flow in enumerate(flows):
            well = Well.objects.create(code=f"{county}-P{n:02d}{k}", name=f"计划井{n}-{k}", region_id=county,
                                       latitude=44.3, longitude=86.9, pump_rated_power_kw=30,
                                       pump_rated_flow_m3h=flow, water_user=user)
            licence.wells.add(well)
        return licence

    return make


@pytest.fixture
def operator(make_user):
    """A county operator of 呼图壁县 (652323)."""
    return make_user("plans-op", "652323")


@pytest.fixture
def viewer(make_user):
    from changji.core.models import Role

    return make_user("plans-viewer", "652323", Role.TOWNSHIP_VIEWER)
