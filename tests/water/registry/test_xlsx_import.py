"""XLSX import of water users and wells: upsert by code, all or nothing, every error named, scoped, audited."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from changji.core.models import AuditEntry
from changji.water.models import WaterUser, Well
from changji.water.registry.xlsx_import import USER_COLUMNS, WELL_COLUMNS, WorkbookError, import_registry, template

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


# --- malformed workbooks: one clear problem or a bounded list, a 400 page, never a 500 ---------------------------

NS = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">'
          + "".join(f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10}">' for n in range(1, 10))
          + ']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>').encode()


def rezip(content, members):
    """``content`` with the named members replaced; a member given as an int is that many spaces, streamed."""
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = members.get(info.filename, source.read(info.filename))
            if isinstance(data, int):
                with target.open(info.filename, "w") as member:
                    for _ in range(data // 2**20):
                        member.write(b" " * 2**20)
            else:
                target.writestr(info.filename, data)
    return out.getvalue()


def _malformed():
    good = workbook([USER], [WELL])
    return {
        "truncated zip": (good[: len(good) // 2], "不是有效的 XLSX 工作簿"),
        "not a zip": (b"junk" * 100, "不是有效的 XLSX 工作簿"),
        "broken XML in a sheet": (rezip(good, {"xl/worksheets/sheet2.xml": NS + b"<row r='1'><c r='A1'"}),
                                  "XML 无法解析"),
        "billion laughs in sheet1.xml": (rezip(good, {"xl/worksheets/sheet1.xml": LAUGHS}), "实体或外部引用声明"),
        "zip bomb": (rezip(good, {"xl/worksheets/sheet2.xml": 51 * 2**20}), "疑似压缩炸弹"),
        "bad cell reference": (rezip(good, {"xl/worksheets/sheet2.xml": NS + b"<row r='1'><c r='1A'><v>1</v></c>"
                                            b"</row></sheetData></worksheet>"}), "不符合 XLSX 规范"),
        "string index out of range": (rezip(good, {"xl/worksheets/sheet2.xml": NS + b"<row r='1'><c r='A1' t='s'>"
                                                   b"<v>7</v></c></row></sheetData></worksheet>"}), "不符合 XLSX 规范"),
        "a sheet missing": (workbook_without_wells(), "缺少工作表「机井」"),
    }


def workbook_without_wells():
    book = Workbook()
    book.active.title = "取水户"
    book.active.append(list(USER_COLUMNS))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


MALFORMED = _malformed()


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_workbook_is_one_clear_problem(make_user, case):
    content, fragment = MALFORMED[case]
    with pytest.raises(WorkbookError, match=fragment) as caught:
        import_registry(content, make_user("admin", "652300", role="prefecture_admin"))
    assert str(caught.value).startswith(("无法读取文件", "缺少工作表")) and len(str(caught.value)) < 200
    assert not WaterUser.objects.exists() and not Well.objects.exists()


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("admin", "652300", role="prefecture_admin", is_staff=True, is_superuser=True))
    return client


def _post(client, content, name="registry.xlsx"):
    upload = io.BytesIO(content)
    upload.name = name
    return client.post("/admin/water/well/import/", {"workbook": upload})


@pytest.mark.parametrize("case", list(MALFORMED))
def test_the_admin_page_answers_a_malformed_workbook_with_400_and_the_problem(admin_client, case):
    content, fragment = MALFORMED[case]
    response = _post(admin_client, content)
    page = response.content.decode()
    assert response.status_code == 400 and fragment in page and len(page) < 30_000
    assert not Well.objects.exists()


def test_an_upload_over_the_size_cap_is_refused_before_it_is_read(admin_client, make_user):
    response = _post(admin_client, b"PK" + b"\0" * (10 * 2**20))
    assert response.status_code == 400 and "文件过大：10.0 MB，上限 10.0 MB" in response.content.decode()
    with pytest.raises(WorkbookError, match="文件过大"):
        import_registry(b"\0" * (10 * 2**20 + 1), make_user("op", "652323"))
    assert _post(admin_client, b"", name="empty.xlsx").status_code == 400


def _wrong_types():
    from datetime import datetime

    user = [*USER[:5], "1" * 20_000]  # a phone number of 20,000 characters
    well = [WELL[0], "#REF!", *WELL[2:5], datetime(2026, 1, 2), True, "=SUM(1,2)", *WELL[8:]]
    return workbook([user], [well])


def test_cells_of_the_wrong_type_are_problems_naming_sheet_row_and_column(make_user, admin_client):
    result = import_registry(_wrong_types(), make_user("admin2", "652300", role="prefecture_admin"))
    assert result.errors == [
        "取水户 第 2 行 联系电话：内容过长（20000 个字符，上限 1000）",
        "机井 第 2 行 名称：是错误值 #REF!，请修正该单元格",
        "机井 第 2 行 纬度：应为数字，实际为日期或时间（2026-01-02 00:00:00）",
        "机井 第 2 行 经度：应为数字，实际为逻辑值 TRUE",
        "机井 第 2 行 井深(m)：是公式（=SUM(1,2)），请把公式转为数值后再导入",
    ]
    response = _post(admin_client, _wrong_types())
    page = response.content.decode()
    assert response.status_code == 400 and "机井 第 2 行 井深(m)：是公式" in page and len(page) < 30_000
    assert not WaterUser.objects.exists() and not Well.objects.exists()


@pytest.mark.slow
def test_ten_thousand_bad_rows_show_exactly_fifty_problems_and_a_count(make_user, admin_client):
    bad = [[f"652323-{n:05d}", f"{n}号井", "取水井", "农业灌溉", "999999", 44.3, 86.9, *[None] * 5]
           for n in range(10_000)]
    content = workbook([], bad)
    result = import_registry(content, make_user("admin2", "652300", role="prefecture_admin"))
    assert len(result.problems) == 10_000 and len(result.errors) == 51
    assert result.errors[0] == "机井 第 2 行 区划代码：未知区划 999999"
    assert result.errors[-1] == "……以及另外 9950 个问题"
    response = _post(admin_client, content)
    page = response.content.decode()
    assert response.status_code == 400 and len(page) < 30_000
    assert page.count("区划代码：未知区划 999999") == 50 and "……以及另外 9950 个问题" in page
    assert not Well.objects.exists()
