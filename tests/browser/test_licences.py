"""取水许可 in a real browser: a county operator registers a licence through the form and finds it in the list."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]


@pytest.fixture
def holder():
    from changji.water.models import WaterUser, WaterUserKind, Well

    user = WaterUser.objects.create(code="HTB-U9", name="芳草湖第九用水合作社", kind=WaterUserKind.COOPERATIVE,
                                    region_id="652323")
    for n in range(2):
        Well.objects.create(code=f"HTB-U9-W{n}", name=f"九社{n}号井", region_id="652323", latitude=44.2,
                            longitude=86.8, pump_rated_flow_m3h=60, water_user=user)
    return user


def test_operator_registers_a_licence_and_sees_it_listed(page, login, holder, shot):
    from changji.core.models import Role
    from changji.water.models import Licence

    login(page, "htb-operator", "652323", Role.COUNTY_OPERATOR, next_url="/water/licences/")
    page.click("#licence-new")
    page.select_option("select[name=water_user]", str(holder.pk))
    page.click("#licence-user-form button[type=submit]")
    page.wait_for_selector("#licence-form")
    page.fill("input[name=number]", "取水（呼）字〔2026〕第099号")
    page.fill("input[name=permitted_m3_per_year]", "180000")
    page.fill("input[name=valid_from]", "2026-01-01")
    page.fill("input[name=valid_to]", "2030-12-31")
    page.check("input[name=wells] >> nth=0")
    page.check("input[name=wells] >> nth=1")
    page.click("#licence-form button[type=submit]")
    page.wait_for_selector("#licence-wells")
    assert "HTB-U9-W1" in page.inner_text("#licence-wells")
    shot(page, "licence")
    page.goto("/water/licences/")
    table = page.inner_text("#licence-table")
    assert "取水（呼）字〔2026〕第099号" in table and "芳草湖第九用水合作社" in table
    licence = Licence.objects.get()
    assert licence.state == "valid" and licence.wells.count() == 2
