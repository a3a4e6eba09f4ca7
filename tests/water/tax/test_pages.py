"""The tax pages: statement and download, the printable per-user statement, rate table and overdraft areas."""

import io
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook, load_workbook

from changji.core.models import AuditEntry
from changji.water.models import OverdraftArea, WaterTaxRate
from changji.water.tax import rates as rate_table

pytestmark = pytest.mark.django_db
QUARTER = {"period": "quarter", "at": "2026-05-15"}


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def operator(make_user):
    return _signed_in(make_user("tax-op", "652323"))


@pytest.fixture
def admin(make_user):
    return _signed_in(make_user("tax-admin", "652300", role="prefecture_admin"))


def test_statement_page_and_its_download(operator, tax_world):
    page = operator.get("/water/tax/", QUARTER)
    assert page.status_code == 200
    text = page.content.decode()
    assert "水资源税计征" in text and "东滩合作社" in text and "1630.78" in text and "玛纳斯合作社" not in text
    download = operator.get("/water/tax/", {**QUARTER, "format": "xlsx"})
    assert download.status_code == 200
    assert load_workbook(io.BytesIO(download.content)).sheetnames == ["取水户", "机井明细"]


def test_the_menu_shows_the_tax_to_those_who_may_read_it(operator, make_user, tax_world):
    assert "水资源税" in operator.get("/water/tax/").content.decode()
    client = _signed_in(make_user("viewer", "652323", role="township_viewer"))
    assert client.get("/water/tax/", QUARTER).status_code == 403
    assert client.get("/water/tax/users/652323-U1/", QUARTER).status_code == 403
    assert 'href="/water/tax/"' not in client.get("/water/reports/").content.decode()


def test_per_user_statement_is_printable_chinese(operator, tax_world):
    page = operator.get("/water/tax/users/652323-U1/", QUARTER)
    assert page.status_code == 200
    text = page.content.decode()
    assert "水资源税计征明细" in text and "东滩合作社" in text and "2026年4月1日 至 2026年6月30日" in text
    assert 'id="tax-amount">1630.78<' in text and "5100" in text and "6100" in text and "换表" in text
    assert "取水许可证号</th><td>取水(呼)2025第1号</td>" in text
    assert "water/tax.css" in text and "<script" not in text.split("</head>")[1]
    workbook = operator.get("/water/tax/users/652323-U1/", {**QUARTER, "format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(workbook.content))["取水户"].iter_rows(values_only=True))
    assert rows[3][0] == "652323-U1" and rows[3][9] == 1630.78


def test_another_countys_user_is_404_and_bad_params_400(operator, tax_world):
    assert operator.get("/water/tax/users/652324-U1/", QUARTER).status_code == 404
    assert operator.get("/water/tax/users/652323-U1/", {"period": "week"}).status_code == 400
    assert operator.get("/water/tax/users/652323-U1/", {"at": "2026-13-01"}).status_code == 400
    assert operator.get("/water/tax/", {"period": "week", "at": "2026-05-15"}).status_code == 400
    assert operator.get("/water/tax/", {**QUARTER, "region": "652324"}).status_code == 400  # not a choice


def test_rate_table_page_add_edit_audited(admin, operator, tax_world):
    assert "工业" in operator.get("/water/tax/rates/").content.decode()
    assert operator.post("/water/tax/rates/", {}).status_code == 403
    data = {"source": "surface", "use": "domestic", "zone": "normal", "rate_yuan_per_m3": "0.3",
            "over_plan_multiplier": "2", "valid_from_year": "2026", "document": "测试"}
    response = admin.post("/water/tax/rates/", data)
    assert response.status_code == 302
    rate = WaterTaxRate.objects.get(source="surface", use="domestic")
    assert admin.post("/water/tax/rates/", data).status_code == 400  # the same key again
    assert admin.post("/water/tax/rates/", {**data, "valid_from_year": "2027", "over_plan_multiplier": "0.5"}
                      ).status_code == 400
    response = admin.post(f"/water/tax/rates/{rate.pk}/", {**data, "rate_yuan_per_m3": "0.35"})
    assert response.status_code == 302
    rate.refresh_from_db()
    assert rate.rate_yuan_per_m3 == D("0.35")
    assert AuditEntry.objects.filter(action="water.tax_rate.updated", object_id=str(rate.pk)).count() == 1


def _workbook(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = rate_table.SHEET
    sheet.append(list(rate_table.COLUMNS))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_rate_export_imports_back_and_a_bad_row_changes_nothing(admin, tax_world):
    exported = admin.get("/water/tax/rates/", {"format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(exported.content)).active.iter_rows(values_only=True))
    assert rows[0] == tuple(rate_table.COLUMNS) and len(rows) == 4
    good = [*rows[1:], ("地表水", "工业", "非超采区", 0.4, 2, "否", 2026, None, "导入文件", "")]
    upload = SimpleUploadedFile("r.xlsx", _workbook(good))
    assert admin.post("/water/tax/rates/import", {"file": upload}).status_code == 302
    assert WaterTaxRate.objects.count() == 4
    assert AuditEntry.objects.filter(action="water.tax_rate.imported").get().detail == {"created": 1, "updated": 3}
    bad = [("地表水", "工业", "非超采区", 9.9, 2, "否", 2026, None, "x", ""),
           ("海水", "工业", "非超采区", "=1+1", 2, "也许", 1900, None, "", "")]
    response = admin.post("/water/tax/rates/import", {"file": SimpleUploadedFile("r.xlsx", _workbook(bad))})
    assert response.status_code == 400
    text = response.content.decode()
    assert "第 3 行 水源类型" in text and "第 3 行 税额(元/m³)" in text and "第 3 行 限额内免征" in text
    assert WaterTaxRate.objects.get(source="surface", use="industrial").rate_yuan_per_m3 == D("0.4")


def test_overdraft_areas_page(admin, operator, tax_world):
    assert "呼图壁镇" in operator.get("/water/tax/overdraft/").content.decode()
    assert operator.post("/water/tax/overdraft/", {}).status_code == 403
    response = admin.post("/water/tax/overdraft/", {"region": "652324", "level": "severe",
                                                    "designated_on": "2026-01-01", "document": "测试划定"})
    assert response.status_code == 302
    area = OverdraftArea.objects.get(region_id="652324")
    response = admin.post(f"/water/tax/overdraft/{area.pk}/", {"region": "652324", "level": "severe",
                                                               "designated_on": "2026-01-01",
                                                               "lifted_on": "2025-01-01", "document": "x"})
    assert response.status_code == 400  # lifted before designated
    assert AuditEntry.objects.filter(action="water.tax_rate.overdraft_area_saved").count() == 1


def test_the_rate_services_refuse_a_county_bound_administrator(make_user, tax_world):
    """The rate table applies everywhere: the services themselves refuse, whichever door the call comes through."""
    from decimal import Decimal

    from django.core.exceptions import PermissionDenied

    from changji.water.models import WaterTaxRate
    from changji.water.tax.rates import import_rates, save_rate

    county_admin = make_user("county-admin", "652323", role="prefecture_admin")
    rate = WaterTaxRate(source="surface", use="industrial", zone="normal", rate_yuan_per_m3=Decimal("0.4"),
                        valid_from_year=2026, document="测试")
    with pytest.raises(PermissionDenied):
        save_rate(rate, county_admin)
    with pytest.raises(PermissionDenied):
        import_rates(b"not read", county_admin)
    assert not WaterTaxRate.objects.filter(source="surface", use="industrial").exists()
