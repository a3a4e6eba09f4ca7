"""The tax API: JSON and workbook, per user, scope, roles, bad parameters, the rate table."""

import io
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from changji.core.models import AuditEntry
from changji.water.models import WaterTaxRate

pytestmark = pytest.mark.django_db
BASE = "/api/water"
QUARTER = {"period": "quarter", "at": "2026-05-15"}


@pytest.fixture
def operator(make_user, token_client):
    return token_client(make_user("tax-op", "652323"))


def test_statement_as_json(operator, tax_world):
    response = operator.get(f"{BASE}/tax", QUARTER)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["region"], body["first"], body["last"]) == ("652323", "2026-04-01", "2026-06-30")
    assert [u["code"] for u in body["users"]] == ["652323-U1"]  # 玛纳斯县's user is not in the scope
    user = body["users"][0]
    assert D(user["amount_yuan"]) == D("1630.78") and D(user["over_m3"]) == D(1100)
    well = user["wells"][0]
    assert well["registers"] == {"start_volume_m3": 5100, "end_volume_m3": 6100, "start_energy_kwh": 2550,
                                 "end_energy_kwh": 3050}
    assert well["zone"] == "overdraft" and D(well["rate_yuan_per_m3"]) == D("0.2") and well["exempt_within_plan"]
    assert D(body["totals"]["amount_yuan"]) == D("1630.78")


def test_statement_as_workbook(operator, tax_world):
    response = operator.get(f"{BASE}/tax", {**QUARTER, "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["取水户", "机井明细"]
    users = [list(r) for r in book["取水户"].iter_rows(values_only=True)]
    assert "水资源税计征明细" in users[0][0] and "北京时间" in users[1][2]
    assert users[3][:2] == ["652323-U1", "东滩合作社"] and users[3][9] == 1630.78
    assert users[-1][0] == "合计" and users[-1][9] == 1630.78
    wells = [list(r) for r in book["机井明细"].iter_rows(values_only=True)]
    header = wells[2]
    a = dict(zip(header, wells[3], strict=True))
    assert a["机井编号"] == "652323-A" and a["水表起码(m³)"] == 5100 and a["水表止码(m³)"] == 6100
    assert a["区域"] == "超采区" and a["超计划(m³)"] == 846.15 and a["应纳税额(元)"] == 338.46
    assert "换表" in a["说明"]


def test_one_users_statement_and_another_countys_is_404(operator, tax_world):
    body = operator.get(f"{BASE}/tax/652323-U1", QUARTER).json()
    assert [u["code"] for u in body["users"]] == ["652323-U1"]
    assert operator.get(f"{BASE}/tax/652324-U1", QUARTER).status_code == 404
    assert operator.get(f"{BASE}/tax", {**QUARTER, "region": "652324"}).status_code == 404
    response = operator.get(f"{BASE}/tax/652323-U1", {**QUARTER, "format": "xlsx"})
    assert response.status_code == 200 and "652323-U1" in response["Content-Disposition"]


@pytest.mark.parametrize(("query", "field"), [
    ({"period": "week"}, "period"), ({"at": "2026-02-30"}, "at"), ({"at": "9999-12-31"}, "at"),
    ({"region": "abc"}, "region"), ({"format": "pdf"}, "format"),
])
def test_bad_parameters_are_400_naming_them_in_chinese(operator, tax_world, query, field):
    response = operator.get(f"{BASE}/tax", query)
    assert response.status_code == 400
    [message] = response.json()["detail"][field]
    assert f"参数「{field}」" in message


def test_township_viewer_and_maintenance_are_refused(make_user, token_client, tax_world):
    for role in ("township_viewer", "maintenance_worker"):
        client = token_client(make_user(f"tax-{role}", "652323", role=role))
        assert client.get(f"{BASE}/tax", QUARTER).status_code == 403
        assert client.get(f"{BASE}/tax-rates").status_code == 403


def test_rate_table_read_create_patch_audited(make_user, token_client, operator, tax_world):
    rows = operator.get(f"{BASE}/tax-rates").json()
    assert len(rows) == 3
    new = {"source": "surface", "use": "industrial", "zone": "normal", "rate_yuan_per_m3": "0.45",
           "over_plan_multiplier": "2", "valid_from_year": 2026, "document": "测试文件"}
    assert operator.post(f"{BASE}/tax-rates", new, content_type="application/json").status_code == 403
    county_admin = token_client(make_user("tax-county-admin", "652323", role="prefecture_admin"))
    assert county_admin.post(f"{BASE}/tax-rates", new, content_type="application/json").status_code == 403
    admin = token_client(make_user("tax-admin", "652300", role="prefecture_admin"))
    response = admin.post(f"{BASE}/tax-rates", new, content_type="application/json")
    assert response.status_code == 201, response.content
    rate_id = response.json()["id"]
    assert admin.post(f"{BASE}/tax-rates", new, content_type="application/json").status_code == 400  # same key
    response = admin.patch(f"{BASE}/tax-rates", {"id": rate_id, "rate_yuan_per_m3": "0.5"},
                           content_type="application/json")
    assert response.status_code == 200 and WaterTaxRate.objects.get(pk=rate_id).rate_yuan_per_m3 == D("0.5")
    entries = {e.action: e for e in AuditEntry.objects.filter(action__startswith="water.tax_rate.")}
    assert set(entries) == {"water.tax_rate.created", "water.tax_rate.updated"}
    assert entries["water.tax_rate.updated"].detail["before"]["rate_yuan_per_m3"] == "0.450"
    bad = admin.patch(f"{BASE}/tax-rates", {"id": rate_id, "over_plan_multiplier": "0.5"},
                      content_type="application/json")
    assert bad.status_code == 422
    missing = admin.patch(f"{BASE}/tax-rates", {"id": rate_id + 99, "note": "x"}, content_type="application/json")
    assert missing.status_code == 404
