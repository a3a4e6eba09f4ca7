"""Water API: quota overview, allocations, KPIs and report files, limited to the user's region."""

import io
from datetime import date

import pytest

from changji.water.models import TerminalDay

pytestmark = pytest.mark.django_db

BASE = "/api/water"


def test_quota_overview_of_the_users_county(api, hutubi, manas):
    response = api.get(f"{BASE}/quotas", {"year": 2026})
    assert response.status_code == 200
    rows = response.json()
    assert [row["region"] for row in rows] == ["652323"]
    assert rows[0]["allocation_m3"] == 1000.0 and rows[0]["used_m3"] == 20.0 and rows[0]["share"] == 0.02


def test_quota_overview_of_a_superuser_covers_the_prefecture(make_user, token_client, hutubi, manas):
    root = make_user("root", None, role="prefecture_admin", is_superuser=True)
    rows = token_client(root).get(f"{BASE}/quotas", {"year": 2026}).json()
    assert {"652323", "652324"} <= {row["region"] for row in rows}


def test_bad_quota_year_names_the_field(api, fields_named):
    response = api.get(f"{BASE}/quotas", {"year": "twenty"})
    assert response.status_code == 422 and "year" in fields_named(response)
    response = api.get(f"{BASE}/quotas", {"year": 99999})
    assert response.status_code == 422 and "year" in fields_named(response)


def test_allocations_are_scoped_with_effective_amount_and_use(api, hutubi, manas):
    body = api.get(f"{BASE}/allocations", {"year": 2026}).json()
    assert body["count"] == 1
    row = body["items"][0]
    assert row["well_id"] == hutubi.well.pk and row["scope_region_id"] == "652323"
    assert row["effective_allocation_m3"] == 1000.0 and row["used_m3"] == 20.0


def test_kpis_of_the_users_county(api, hutubi):
    TerminalDay.objects.create(terminal=hutubi.terminal, day=date(2026, 7, 1), expected_reports=288,
                               received_reports=288, readings_valid=288)
    response = api.get(f"{BASE}/kpis", {"region": "652323", "first": "2026-07-01", "last": "2026-07-31"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["region"] == "652323" and body["terminals"] == 1 and body["online_rate"] == 1.0
    assert api.get(f"{BASE}/kpis").json()["region"] == "652323"


@pytest.mark.parametrize("region", ["652324", "652300", "000000000000", "nowhere"])
def test_kpis_and_reports_outside_the_scope_are_404(api, region):
    assert api.get(f"{BASE}/kpis", {"region": region}).status_code == 404
    assert api.get(f"{BASE}/reports", {"region": region}).status_code == 404


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"first": "2026-07-31", "last": "2026-07-01"}, 400, "last"),
        ({"first": "31/07/2026"}, 422, "first"),
        ({"last": "0001-01-01"}, 400, "last"),
    ],
)
def test_bad_kpi_spans_name_the_field(api, fields_named, params, status, field):
    response = api.get(f"{BASE}/kpis", params)
    assert response.status_code == status and field in fields_named(response)


def test_xlsx_report(api, hutubi):
    from openpyxl import load_workbook

    response = api.get(f"{BASE}/reports", {"period": "month", "at": "2026-07-15", "region": "652323"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"] == 'attachment; filename="652323-month-20260701-20260731.xlsx"'
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[0] == "汇总"


def test_csv_report_by_session(session_client, operator, hutubi):
    response = session_client(operator).get(f"{BASE}/reports", {"period": "year", "at": "2026-03-01",
                                                                "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].endswith('-year-20260101-20261231.csv"')
    text = response.content.decode("utf-8-sig")
    assert hutubi.well.code in text


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [({"period": "week"}, 422, "period"), ({"format": "pdf"}, 422, "format"), ({"at": "soon"}, 422, "at"),
     ({"at": "9999-12-31"}, 400, "at")],
)
def test_bad_report_requests_name_the_field(api, fields_named, params, status, field):
    response = api.get(f"{BASE}/reports", params)
    assert response.status_code == status and field in fields_named(response)
