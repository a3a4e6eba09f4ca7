"""XLSX import of water users and wells: upsert by code, all or nothing, every error named, scoped, audited."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from changji.core.models import AuditEntry
from changji.water.models import WaterUser, Well
from changji.water.registry_import import USER_COLUMNS, WELL_COLUMNS, WorkbookError, import_registry, template

pytestmark = pytest.mark.django_db


def workbook(users, wells, drop_column=None):
    book = Workbook()
    sheet = book.active
    sheet.title = "取水户"
    sheet.append([c for c in USER_COLUMNS if c != drop_column])
    for row in users:
        sheet.append(row)
    wells_sheet = book.create_sheet("机井")
    wells_sheet.append(list(WELL_COLUMNS))
    for row in wells:
        wells_sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


USER = ["U-1", "东滩合作社", "合作社", "652323", "取水(新)字[2026]1号", "0994-1"]
WELL = ["652323-00001", "1号井", "取水井", "农业灌溉", "652323", 44.3, 86.9, 120, 100, 30, 55, "U-1"]


def test_import_creates_then_updates_and_audits(make_user):
    admin = make_user("admin", "652300", role="prefecture_admin")
    result = import_registry(workbook([USER], [WELL]), admin)
    assert result.errors == [] and result.created == {"取水户": 1, "机井": 1}
    well = Well.objects.get(code="652323-00001")
    assert (well.kind, well.use, well.water_user.code, well.pump_rated_flow_m3h) == (
        "extraction", "agricultural", "U-1", 55)
    result = import_registry(workbook([USER], [[*WELL[:1], "1号井（更名）", *WELL[2:]]]), admin)
    assert result.updated == {"取水户": 1, "机井": 1} and result.created == {"取水户": 0, "机井": 0}
    assert Well.objects.get(code="652323-00001").name == "1号井（更名）"
    assert AuditEntry.objects.filter(action="water.registry.import").count() == 2


def test_any_bad_row_imports_nothing_and_every_error_is_named(make_user):
    admin = make_user("admin", "652300", role="prefecture_admin")
    bad_wells = [
        WELL,
        ["652323-00002", "2号井", "取水井", "农业灌溉", "999999", 44.3, 86.9, None, None, None, None, None],
        ["652323-00003", "3号井", "取水井", "农业灌溉", "652323", "北纬", 86.9, None, None, None, None, "U-404"],
        WELL,
    ]
    result = import_registry(workbook([USER], bad_wells), admin)
    assert not WaterUser.objects.exists() and not Well.objects.exists()
    text = "\n".join(result.errors)
    assert "机井 第 3 行 区划代码：未知区划 999999" in text
    assert "机井 第 4 行 取水户编号：未知取水户 U-404" in text
    assert "机井 第 4 行 纬度" in text
    assert "机井 第 5 行 机井编号：本表中重复 652323-00001" in text


def test_a_county_operator_imports_only_into_their_county(make_user):
    operator = make_user("op", "652323", role="county_operator")
    other = [*WELL[:4], "652324", *WELL[5:11], None]
    result = import_registry(workbook([], [other]), operator)
    assert result.errors == ["机井 第 2 行 区划代码：652324 不在您的管辖范围内"]
    assert not Well.objects.exists()


def test_unreadable_files_are_refused(make_user):
    admin = make_user("admin", "652300", role="prefecture_admin")
    with pytest.raises(WorkbookError, match="无法读取文件"):
        import_registry(b"not a workbook", admin)
    with pytest.raises(WorkbookError, match="缺少列：联系电话"):
        import_registry(workbook([], [], drop_column="联系电话"), admin)


def test_the_template_has_both_sheets():
    book = load_workbook(io.BytesIO(template()))
    assert book.sheetnames == ["取水户", "机井"]
    assert [c.value for c in book["机井"][1]] == list(WELL_COLUMNS)


def test_the_admin_page_imports_a_workbook(client, make_user):
    admin = make_user("admin", "652300", role="prefecture_admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get("/admin/water/well/import/").status_code == 200
    assert client.get("/admin/water/well/import/template.xlsx").content[:2] == b"PK"
    upload = io.BytesIO(workbook([USER], [WELL]))
    upload.name = "registry.xlsx"
    response = client.post("/admin/water/well/import/", {"workbook": upload})
    assert response.status_code == 302 and Well.objects.filter(code="652323-00001").exists()
    broken = io.BytesIO(b"junk")
    broken.name = "junk.xlsx"
    response = client.post("/admin/water/well/import/", {"workbook": broken})
    assert response.status_code == 400 and "无法读取文件" in response.content.decode()
