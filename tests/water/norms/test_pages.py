"""用水定额 pages per role and scope: list, edit, copy, import/export, crop plan, comparison."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from changji.core.models import AuditEntry
from changji.water.models import CropPlan, QuotaNorm
from changji.water.norms import xlsx

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def test_the_table_shows_prefecture_rows_and_the_users_county_rows(client, world):
    page = login(client, world.accounts.viewer).get("/water/norms/?year=2026").content.decode()
    assert "棉花" in page and "290" in page and "玉米" not in page  # 玛纳斯's 玉米 row is not theirs
    assert "新增定额" not in page
    page = client.get("/water/norms/?year=2026&zone=prefecture&method=surface").content.decode()
    assert "520" in page and "340" not in page
    assert client.get("/water/norms/?year=2026&zone=652324").status_code == 400  # not a zone of theirs
    assert client.get("/water/norms/?year=20x6").status_code == 400


def test_a_viewer_reads_but_cannot_change(client, world):
    login(client, world.accounts.viewer)
    assert client.get(f"/water/norms/{world.norms.cotton_2026.pk}/").status_code == 200
    assert client.post(f"/water/norms/{world.norms.wheat_hutubi_2026.pk}/", {"value": 1}).status_code == 403
    assert client.get("/water/norms/new/").status_code == 403
    assert client.post("/water/norms/copy/", {"year": 2026}).status_code == 403


def test_a_county_operator_edits_their_row_and_is_refused_the_prefecture_row(client, world):
    login(client, world.accounts.hutubi)
    norm = world.norms.wheat_hutubi_2026
    form = {"year": 2026, "kind": "crop", "category": "小麦", "region": "652323", "method": "drip", "value": "285",
            "unit": "m³/亩", "source": "县定额", "note": ""}
    response = client.post(f"/water/norms/{norm.pk}/", form)
    assert response.status_code == 302 and QuotaNorm.objects.get(pk=norm.pk).value == 285
    prefecture = world.norms.cotton_2026
    response = client.post(f"/water/norms/{prefecture.pk}/", {**form, "category": "棉花", "region": ""})
    assert response.status_code == 400 and "州级" in response.content.decode()
    assert QuotaNorm.objects.get(pk=prefecture.pk).value == 340
    assert client.get(f"/water/norms/{world.norms.maize_manas_2026.pk}/").status_code == 404
    assert client.post(f"/water/norms/{world.norms.maize_manas_2026.pk}/delete/").status_code == 404
    assert client.post(f"/water/norms/{prefecture.pk}/delete/").status_code == 400
    assert client.post(f"/water/norms/{norm.pk}/delete/").status_code == 302
    assert not QuotaNorm.objects.filter(pk=norm.pk).exists()


def test_new_norm_with_a_bad_value_is_a_400_naming_the_field(client, world):
    login(client, world.accounts.pref)
    form = {"year": 2026, "kind": "crop", "category": "葡萄", "region": "", "method": "", "value": "380",
            "unit": "m³/亩"}
    response = client.post("/water/norms/new/", form)
    assert response.status_code == 400 and "灌溉方式" in response.content.decode()
    response = client.post("/water/norms/new/", {**form, "method": "drip"})
    assert response.status_code == 302 and QuotaNorm.objects.filter(category="葡萄").exists()


def test_copy_asks_for_confirmation_then_copies(client, world):
    login(client, world.accounts.pref)
    page = client.get("/water/norms/copy/?year=2026")
    assert page.status_code == 200 and "复制为 2027 年版本" in page.content.decode()
    assert not QuotaNorm.objects.filter(year=2027).exists()
    response = client.post("/water/norms/copy/", {"year": "2026"})
    assert response.status_code == 302 and response["Location"].endswith("year=2027")
    assert QuotaNorm.objects.filter(year=2027).count() == 6


def test_export_and_import_pages(client, world):
    login(client, world.accounts.pref)
    exported = client.get("/water/norms/export.xlsx?year=2026")
    assert exported["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(exported.content))[xlsx.NORM_SHEET].iter_rows(values_only=True))
    assert len(rows) == 1 + QuotaNorm.objects.filter(year=2026).count()
    upload = SimpleUploadedFile("n.xlsx", exported.content)
    response = client.post("/water/norms/import/", {"workbook": upload})
    assert response.status_code == 302
    bad = SimpleUploadedFile("n.xlsx", b"junk")
    response = client.post("/water/norms/import/", {"workbook": bad})
    assert response.status_code == 400 and "XLSX" in response.content.decode()
    login(client, world.accounts.viewer)
    assert client.get("/water/norms/import/").status_code == 403


def test_crop_plan_page_adds_and_deletes_lines_and_shows_the_suggestion(client, world):
    login(client, world.accounts.hutubi)
    url = f"/water/norms/crop-plans/{world.users.hutubi.pk}/"
    response = client.post(url, {"year": "2026", "action": "save", "crop": "小麦", "area_mu": "100",
                                 "method": "drip", "zone": ""})
    assert response.status_code == 302
    page = client.get(url + "?year=2026").content.decode()
    assert "按定额建议水量 <strong>29000</strong> m³" in page and "呼图壁县" in page
    line = CropPlan.objects.get(water_user=world.users.hutubi)
    assert client.post(url, {"year": "2026", "action": "delete", "line": str(line.pk)}).status_code == 302
    assert not CropPlan.objects.exists()
    assert AuditEntry.objects.filter(action__startswith="water.crop_plan").count() == 2
    assert client.get(f"/water/norms/crop-plans/{world.users.manas.pk}/").status_code == 404
    login(client, world.accounts.viewer)
    assert client.get(url).status_code == 200
    assert client.post(url, {"year": "2026", "action": "save", "crop": "小麦", "area_mu": "1",
                             "method": "drip"}).status_code == 403


def test_comparison_page_and_export_are_scoped(client, world):
    CropPlan.objects.create(water_user=world.users.hutubi, year=2026, crop="棉花", area_mu=10, method="drip")
    CropPlan.objects.create(water_user=world.users.manas, year=2026, crop="棉花", area_mu=10, method="drip")
    login(client, world.accounts.hutubi)
    page = client.get("/water/norms/compare/?year=2026").content.decode()
    assert "652323-U1" in page and "652324-U1" not in page and "3400" in page
    assert client.get("/water/norms/compare/?region=652324").status_code == 400
    login(client, world.accounts.pref)
    page = client.get("/water/norms/compare/?year=2026&region=652324").content.decode()
    assert "652324-U1" in page and "652323-U1" not in page
    exported = client.get("/water/norms/compare.xlsx?year=2026")
    assert load_workbook(io.BytesIO(exported.content)).active.max_row == 4


def test_the_menu_offers_the_norm_table_to_water_roles(client, world):
    page = login(client, world.accounts.viewer).get("/water/norms/").content.decode()
    assert 'href="/water/norms/"' in page


def test_the_admin_lists_norms_read_only_within_scope(client, world):
    login(client, world.accounts.hutubi)
    page = client.get("/admin/water/quotanorm/")
    assert page.status_code == 200
    listed = page.content.decode()
    assert "呼图壁县" in listed and "玛纳斯县" not in listed
    assert client.get("/admin/water/quotanorm/add/").status_code == 403
    assert client.get("/admin/water/cropplan/").status_code == 200


def test_the_norm_suggestion_tag_renders_the_partial(world):
    from django.template import Context, Template

    from changji.water.norms import service

    service.save_crop_plan(world.users.hutubi, {"year": 2026, "crop": "棉花", "area_mu": 10.0, "method": "drip"},
                           by=world.accounts.pref)
    html = Template("{% load water_norms %}{% norm_suggestion user 2026 %}").render(
        Context({"user": world.users.hutubi}))
    assert "按定额建议水量 <strong>3400</strong> m³" in html
    assert f"/water/norms/crop-plans/{world.users.hutubi.pk}/?year=2026" in html
