"""定额与计划对比 on a small dataset: use above plan and use above 定额 are separate figures."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from changji.core.models import Region
from changji.water.models import AnnualPlan, CropPlan, DailyUsage, Licence, Well
from changji.water.norms import comparison

pytestmark = pytest.mark.django_db


def well(user, code):
    return Well.objects.create(code=code, name=code, region_id=user.region_id, latitude=44.0, longitude=87.0,
                               water_user=user)


def plan(user, number, volume_m3, year=2026):
    licence = Licence.objects.create(number=number, water_user=user, permitted_m3_per_year=volume_m3 * 2,
                                     valid_from=date(2025, 1, 1), valid_to=date(2030, 12, 31),
                                     issuing_authority="州水利局")
    return AnnualPlan.objects.create(licence=licence, year=year, volume_m3=volume_m3)


@pytest.fixture
def dataset(world):
    """呼图壁: 100 亩 棉花 drip (34,000 m³ by 定额), plans 30,000 + 5,000, use 40,000 (in two wells, two months).

    玛纳斯: 10 亩 棉花 drip (3,400) + 10 亩 葡萄 (no norm), no plan, use 1,000.
    """
    hutubi, manas = world.users.hutubi, world.users.manas
    CropPlan.objects.create(water_user=hutubi, year=2026, crop="棉花", area_mu=100, method="drip")
    CropPlan.objects.create(water_user=hutubi, year=2025, crop="棉花", area_mu=999, method="drip")  # other year
    CropPlan.objects.create(water_user=manas, year=2026, crop="棉花", area_mu=10, method="drip")
    CropPlan.objects.create(water_user=manas, year=2026, crop="葡萄", area_mu=10, method="drip")
    plan(hutubi, "L-1", 30_000)
    plan(hutubi, "L-2", 5_000)
    plan(hutubi, "L-3", 99_999, year=2025)
    a, b, m = well(hutubi, "652323-00001"), well(hutubi, "652323-00002"), well(manas, "652324-00001")
    for w, day, m3 in ((a, date(2026, 5, 10), 25_000), (b, date(2026, 6, 1), 15_000), (m, date(2026, 6, 2), 1_000),
                       (a, date(2025, 6, 1), 7_777), (a, date(2026, 12, 20), 5_555)):
        DailyUsage.objects.create(well=w, day=day, usage_m3=m3, water_m3=m3, source="metered")
    return world


def test_each_user_gets_area_norm_volume_plan_use_and_both_excesses(dataset):
    rows = {r.water_user.code: r for r in comparison.compare(Region.objects.get(pk="652300"), 2026, date(2026, 7, 1))}
    hutubi = rows["652323-U1"]
    assert (hutubi.area_mu, hutubi.suggested_m3, hutubi.plan_m3, hutubi.use_m3) == (100, 34_000, 35_000, 40_000)
    assert (hutubi.above_plan_m3, hutubi.above_norm_m3) == (5_000, 6_000)
    manas = rows["652324-U1"]
    assert (manas.area_mu, manas.suggested_m3, manas.plan_m3, manas.use_m3) == (20, 3_400, None, 1_000)
    assert (manas.above_plan_m3, manas.above_norm_m3, manas.missing_lines) == (None, 0, 1)


def test_a_county_sees_its_own_users_only_and_use_counts_up_to_today(dataset):
    rows = comparison.compare(Region.objects.get(pk="652323"), 2026, date(2026, 12, 31))
    assert [r.water_user.code for r in rows] == ["652323-U1"]
    assert rows[0].use_m3 == 40_000 + 5_555
    assert comparison.compare(Region.objects.get(pk="652323"), 2026, date(2025, 12, 31))[0].use_m3 == 0


def test_export_has_the_same_figures(dataset):
    region = Region.objects.get(pk="652300")
    content = comparison.to_xlsx(comparison.compare(region, 2026, date(2026, 7, 1)), region, 2026)
    sheet = load_workbook(io.BytesIO(content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[1] == list(comparison.COLUMNS)
    assert values[2][0] == "652323-U1" and values[2][2:8] == [100, 34_000, 35_000, 40_000, 5_000, 6_000]
    assert values[3][4] is None and values[3][6] is None  # no plan: blank, not zero


def test_one_users_row_matches_the_region_comparison(dataset):
    from changji.water.norms.service import suggestion_for

    user = dataset.users.hutubi
    row = comparison.user_row(user, 2026, date(2026, 7, 1), suggestion_for(user, 2026).suggestion)
    whole = next(r for r in comparison.compare(Region.objects.get(pk="652300"), 2026, date(2026, 7, 1))
                 if r.water_user == user)
    assert row == whole


def test_the_crop_plan_page_shows_plan_use_and_both_excesses(client, dataset):
    client.force_login(dataset.accounts.hutubi)
    page = client.get(f"/water/norms/crop-plans/{dataset.users.hutubi.pk}/?year=2026").content.decode()
    assert "年度计划水量 35000 m³" in page and "按定额建议水量 <strong>34000</strong> m³" in page
    assert "超计划" in page and "超定额" in page
