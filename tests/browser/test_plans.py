"""An operator edits a licence's annual plan in a real browser and sees the county's 总量 warning."""

from __future__ import annotations

from datetime import date

import pytest

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]


@pytest.fixture
def hutubi_plans(make_user):
    """Two licences of 呼图壁县 with 2026 plans of 40,000 m³ each under a 100,000 m³ target, and its operator."""
    from changji.core.models import Region
    from changji.water.models import Licence, WaterUser, Well
    from changji.water.plans import service

    county = Region.objects.get(code="652323")
    service.save_county_target(county, 2026, 100_000, None, "州下达", "test")
    licences = []
    for n in range(2):
        user = WaterUser.objects.create(code=f"652323-BU{n}", name=f"浏览器合作社{n}", kind="cooperative",
                                        region=county)
        licence = Licence.objects.create(number=f"取水(昌)浏览器{n}号", water_user=user, permitted_m3_per_year=80_000,
                                         valid_from=date(2024, 1, 1), valid_to=date(2028, 12, 31),
                                         issuing_authority="昌吉州水利局")
        licence.wells.add(Well.objects.create(code=f"652323-B{n}", name=f"浏览器井{n}", region=county,
                                              latitude=44.3, longitude=86.9, pump_rated_flow_m3h=60, water_user=user))
        service.save_plan(licence, 2026, 40_000, None, "", "test")
        licences.append(licence)
    make_user("plans-browser-op", "652323")
    return licences


def test_operator_edits_a_plan_and_sees_the_balance_warning(page, sign_in, hutubi_plans, shot):
    from changji.water.models import Allocation, AnnualPlan

    first = hutubi_plans[0]
    sign_in(page, "plans-browser-op", "/water/plans/?year=2026")
    assert page.get_attribute("#balance-652323", "data-over") == "0"
    page.click(f"#plans-table a[href*='licence={first.pk}']")
    page.wait_for_selector("#plan-form")
    page.fill("input[name=volume_m3]", "70000")
    page.click("button[value=default]")
    page.wait_for_url("**/water/plans/?year=2026*")
    assert page.get_attribute("#balance-652323", "data-over") == "1"
    warning = page.inner_text("#balance-652323 .warning")
    assert "超过用水总量控制指标" in warning and "110000" in warning.replace(",", "")
    assert "已保存" in page.inner_text("ul.messages")
    shot(page, "plans-balance-warning")
    assert AnnualPlan.objects.get(licence=first, year=2026).volume_m3 == 70_000
    assert Allocation.objects.get(well=first.wells.get(), year=2026).allocation_m3 == 70_000
