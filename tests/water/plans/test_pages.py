"""The 年度计划 pages: scope (another county's licence is a 404), roles, the balance warning, forms, files."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from changji.core.models import Region
from changji.water.models import AnnualPlan, CountyWaterTarget, DailyUsage
from changji.water.plans import service
from changji.water.plans.xlsx import export_plans


@pytest.fixture
def planned(make_licence, operator):
    """A licence of 呼图壁县 with a 2026 plan of 90,000 m³ under a target of 100,000 m³."""
    licence = make_licence()
    service.save_county_target(Region.objects.get(code="652323"), 2026, 100_000, None, "", "test")
    service.save_plan(licence, 2026, 90_000, None, "", "test")
    return licence


def test_plans_page_lists_the_year_with_the_balance(client, operator, planned):
    client.force_login(operator)
    response = client.get(reverse("water:plans"), {"year": 2026})
    text = response.content.decode()
    assert response.status_code == 200
    assert planned.number in text and "用水总量控制指标 100,000 m³" in text and "over-banner" not in text


def test_the_balance_turns_red_when_plans_exceed_the_target(client, operator, planned, make_licence):
    service.save_plan(make_licence(), 2026, 20_000, None, "", "test")
    client.force_login(operator)
    text = client.get(reverse("water:plans"), {"year": 2026}).content.decode()
    assert "over-banner" in text and "超过用水总量控制指标" in text


def test_edit_form_saves_and_redirects_with_the_warning(client, operator, planned):
    client.force_login(operator)
    url = f"{reverse('water:plan_edit')}?licence={planned.pk}&year=2026"
    assert client.get(url).status_code == 200
    months = {f"m{n}": "" for n in range(1, 13)}
    response = client.post(url, {"volume_m3": "100000", "note": "调增", "action": "save", **months}, follow=True)
    assert response.redirect_chain and AnnualPlan.objects.get(licence=planned).volume_m3 == 100_000
    response = client.post(url, {"volume_m3": "100000", "note": "", "action": "default",
                                 **{f"m{n}": "1" for n in range(1, 13)}})
    assert response.status_code == 302  # 按用途默认分配 ignores the typed months
    assert AnnualPlan.objects.get(licence=planned).monthly_m3[6] == 25_000


def test_edit_form_refusal_is_a_400_on_the_form(client, operator, planned):
    client.force_login(operator)
    url = f"{reverse('water:plan_edit')}?licence={planned.pk}&year=2026"
    response = client.post(url, {"volume_m3": "500000", "action": "save"})
    assert response.status_code == 400 and "超过许可年取水量" in response.content.decode()
    response = client.post(url, {"volume_m3": "1200", "action": "save", **{f"m{n}": "1" for n in range(1, 13)}})
    assert response.status_code == 400 and "不符" in response.content.decode()
    assert AnnualPlan.objects.get(licence=planned).volume_m3 == 90_000


def test_another_countys_licence_is_a_404(client, operator, make_licence):
    other = make_licence(county="652301")
    client.force_login(operator)
    assert client.get(f"{reverse('water:plan_edit')}?licence={other.pk}&year=2026").status_code == 404
    assert client.get(reverse("water:plans"), {"region": "652301"}).status_code == 404
    assert client.get(reverse("water:plan_execution"), {"region": "652301"}).status_code == 404


def test_viewer_reads_but_may_not_edit(client, viewer, planned):
    client.force_login(viewer)
    response = client.get(reverse("water:plans"), {"year": 2026})
    assert response.status_code == 200 and "编辑" not in response.content.decode()
    assert client.get(f"{reverse('water:plan_edit')}?licence={planned.pk}&year=2026").status_code == 403
    assert client.post(reverse("water:plan_targets"), {}).status_code == 403
    assert client.get(reverse("water:plans_import")).status_code == 403


def test_target_form(client, operator):
    client.force_login(operator)
    assert client.get(reverse("water:plan_targets"), {"year": 2026}).status_code == 200
    response = client.post(reverse("water:plan_targets"), {"region": "652323", "year": "2026",
                                                           "target_m3": "41000000", "note": "州下达"})
    assert response.status_code == 302
    assert CountyWaterTarget.objects.get(region_id="652323", year=2026).target_m3 == 41_000_000
    response = client.post(reverse("water:plan_targets"), {"region": "652301", "year": "2026", "target_m3": "1"})
    assert response.status_code == 400  # not a choice in scope


def test_export_and_import_pages(client, operator, planned):
    client.force_login(operator)
    response = client.get(reverse("water:plans_export"), {"year": 2026})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    content = export_plans(AnnualPlan.objects.all())
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("plans.xlsx", content)
    assert client.post(reverse("water:plans_import"), {"workbook": upload}).status_code == 302
    bad = SimpleUploadedFile("bad.xlsx", b"junk")
    response = client.post(reverse("water:plans_import"), {"workbook": bad})
    assert response.status_code == 400 and "无法读取文件" in response.content.decode()


def test_carry_forward_confirms_before_it_copies(client, operator, planned):
    client.force_login(operator)
    url = reverse("water:plans_carry_forward")
    response = client.get(url, {"from_year": 2026, "to_year": 2027, "region": "652323"})
    assert response.status_code == 200 and "确认结转" in response.content.decode()
    assert not AnnualPlan.objects.filter(year=2027).exists()
    response = client.post(url, {"from_year": "2026", "to_year": "2027", "region": "652323"})
    assert response.status_code == 302 and AnnualPlan.objects.filter(year=2027, licence=planned).exists()


def test_execution_page_shows_plan_against_use(client, operator, planned):
    well = planned.wells.first()
    DailyUsage.objects.create(well=well, day=date(2026, 3, 5), water_m3=95_000, usage_m3=95_000, source="metered")
    client.force_login(operator)
    response = client.get(reverse("water:plan_execution"), {"year": 2026})
    text = response.content.decode()
    assert response.status_code == 200 and "超年度计划" in text and "95,000" in text


def test_the_plan_and_the_licence_show_the_suggestion_by_定额(client, operator, planned):
    """按定额建议水量 (Σ 亩 × 定额 of the holder's crop plan) stands beside the plan and the licence."""
    from changji.core.localtime import today
    from changji.water.models import CropPlan, QuotaNorm

    year = today().year
    for y in {2026, year}:
        QuotaNorm.objects.get_or_create(year=y, kind="crop", category="棉花", method="drip", region=None,
                                        defaults={"value": 340, "unit": "m³/亩"})
        CropPlan.objects.create(water_user=planned.water_user, year=y, crop="棉花", area_mu=200, method="drip")
    client.force_login(operator)
    plan_page = client.get(f"{reverse('water:plan_edit')}?licence={planned.pk}&year=2026").content.decode()
    licence_page = client.get(reverse("water:licence", kwargs={"licence_id": planned.pk})).content.decode()
    for page in (plan_page, licence_page):
        assert "按定额建议水量 <strong>68000</strong> m³" in page
