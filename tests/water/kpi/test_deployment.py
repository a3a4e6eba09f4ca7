"""设备建设与考核: planned against installed sets on a small fleet, targets red/green, permission and scope, XLSX."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from changji.core.models import AuditEntry, Region
from changji.water.kpi import deployment
from changji.water.models import DeploymentPlan, KpiTarget, TerminalDay

pytestmark = pytest.mark.django_db
TODAY = date(2026, 7, 31)


@pytest.fixture
def small_fleet(make_terminal):
    """呼图壁: 5 sets planned over two years, 4 installed (2 this year), 3 online, 3 accepted; 玛纳斯: 2 of 2."""
    hutubi = [make_terminal(f"652323000{n}", county="652323", installed_on=day, accepted_on=accepted)
              for n, (day, accepted) in enumerate([(date(2025, 5, 1), date(2025, 6, 1)),
                                                   (date(2025, 5, 2), date(2025, 6, 1)),
                                                   (date(2026, 3, 1), date(2026, 4, 1)),
                                                   (date(2026, 4, 1), None)])]
    make_terminal("6523230009", county="652323")  # registered, not installed: not counted
    manas = [make_terminal(f"652324000{n}", county="652324", installed_on=date(2025, 5, 1),
                           accepted_on=date(2025, 6, 1)) for n in range(2)]
    for terminal in (hutubi[0], hutubi[1], hutubi[2], *manas):  # online: reported in the 30 days up to TODAY
        TerminalDay.objects.create(terminal=terminal, day=date(2026, 7, 20), expected_reports=288,
                                   received_reports=288, readings_valid=288)
    TerminalDay.objects.create(terminal=hutubi[3], day=date(2026, 6, 1), expected_reports=288,
                               received_reports=288, readings_valid=288)  # before the window: not online
    DeploymentPlan.objects.create(region_id="652323", year=2025, planned_sets=3)
    DeploymentPlan.objects.create(region_id="652323", year=2026, planned_sets=2)
    DeploymentPlan.objects.create(region_id="652324", year=2026, planned_sets=4)
    KpiTarget.objects.create(region_id="652300", year=2026, metric="new_online_rate", target_pct=95)
    KpiTarget.objects.create(region_id="652300", year=2026, metric="online_rate", target_pct=95)
    KpiTarget.objects.create(region_id="652324", year=2026, metric="online_rate", target_pct=60)
    return hutubi, manas


def test_planned_installed_online_accepted_per_county(small_fleet):
    view = deployment.deployment_view(Region.objects.get(code="652300"), 2026, TODAY)
    rows = {row.code: row for row in view.rows}
    hutubi, manas = rows["652323"], rows["652324"]
    assert (hutubi.planned_year, hutubi.planned_to_date, hutubi.installed, hutubi.installed_year, hutubi.online,
            hutubi.new_online, hutubi.accepted) == (2, 5, 4, 2, 3, 1, 3)
    assert (manas.planned_year, manas.installed, manas.online, manas.accepted) == (4, 2, 2, 2)
    assert hutubi.figures["installation_rate"].value == 4 / 5
    assert hutubi.figures["new_online_rate"] == deployment.Figure(0.5, 95.0, False)  # red
    assert hutubi.figures["online_rate"] == deployment.Figure(0.75, 95.0, False)
    assert manas.figures["online_rate"] == deployment.Figure(1.0, 60.0, True)  # its own target, green
    assert manas.figures["acceptance_rate"].target_pct is None  # no target: neither colour
    assert view.total.installed == 6 and view.total.planned_to_date == 9 and view.total.online == 5
    assert view.total.figures["online_rate"].value == 5 / 6
    assert set(rows) == {"652301", "652302", "652323", "652324", "652325", "652327", "652328"}
    county = deployment.deployment_view(Region.objects.get(code="652323"), 2026, TODAY)
    assert [row.code for row in county.rows] == ["652323"] and county.total.installed == 4


def test_a_past_year_is_seen_at_its_last_day(small_fleet):
    view = deployment.deployment_view(Region.objects.get(code="652323"), 2025, TODAY)
    assert view.as_of == date(2025, 12, 31)
    assert (view.total.installed, view.total.planned_to_date, view.total.online) == (2, 3, 0)


@pytest.fixture
def editor(client, make_user):
    client.force_login(make_user("zhou", "652300", role="prefecture_admin"))
    return client


def test_the_page_shows_red_and_green_and_exports(editor, small_fleet):
    page = editor.get("/water/kpi/deployment/?year=2026").content.decode()
    assert "设备建设进度与考核" in page and "kpi-missed" in page and "kpi-met" in page and "呼图壁县" in page
    response = editor.get("/water/kpi/deployment/?year=2026&format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:9] == ("县（市）", "区划代码", "本年计划", "累计计划", "已安装", "本年新装", "上线", "新设备上线",
                           "已验收")
    assert ("呼图壁县", "652323", 2, 5, 4, 2) in [row[:6] for row in rows]  # online depends on today's window
    assert editor.get("/water/kpi/deployment/?year=abc").status_code == 400


def test_targets_are_set_by_the_prefecture_admin_only_within_scope(client, make_user, editor, small_fleet):
    response = editor.post("/water/kpi/targets/", {"region": "652323", "year": 2026, "metric": "intact_rate",
                                                   "target_pct": "95"})
    assert response.status_code == 302
    target = KpiTarget.objects.get(region_id="652323", metric="intact_rate")
    assert target.target_pct == 95.0
    assert AuditEntry.objects.filter(action="water.kpi_target.saved").exists()
    editor.post("/water/kpi/targets/", {"region": "652323", "year": 2026, "metric": "intact_rate", "target_pct": "97"})
    assert KpiTarget.objects.get(pk=target.pk).target_pct == 97.0  # changed, not duplicated
    assert editor.post("/water/kpi/targets/", {"region": "652323", "year": 2026, "metric": "intact_rate",
                                               "target_pct": "101"}).status_code == 400
    operator = make_user("hutubi", "652323", role="county_operator")
    client.force_login(operator)
    assert client.get("/water/kpi/targets/?year=2026").status_code == 200  # reads
    assert client.post("/water/kpi/targets/", {"region": "652323", "year": 2026, "metric": "intact_rate",
                                               "target_pct": "50"}).status_code == 403
    county_admin = make_user("hutubi-admin", "652323", role="prefecture_admin")
    client.force_login(county_admin)
    assert client.post("/water/kpi/targets/", {"region": "652324", "year": 2026, "metric": "intact_rate",
                                               "target_pct": "50"}).status_code == 400  # not a choice in scope
    assert client.put("/api/water/kpi-targets", {"region": "652324", "year": 2026, "metric": "intact_rate",
                                                 "target_pct": 50}, content_type="application/json").status_code == 404
    manas = KpiTarget.objects.get(region_id="652324")
    assert client.post(f"/water/kpi/targets/{manas.pk}/delete/").status_code == 404
    assert KpiTarget.objects.filter(region_id="652324", metric="intact_rate").count() == 0


def test_plans_xlsx_round_trip_and_a_bad_row_changes_nothing(editor, small_fleet):
    exported = editor.get("/water/kpi/plans/?format=xlsx").content
    DeploymentPlan.objects.filter(region_id="652324").update(planned_sets=1)
    response = editor.post("/water/kpi/plans/import/", {"workbook": SimpleUploadedFile("p.xlsx", exported)})
    assert response.status_code == 302
    assert DeploymentPlan.objects.get(region_id="652324", year=2026).planned_sets == 4  # restored
    assert DeploymentPlan.objects.count() == 3
    book = Workbook()
    sheet = book.active
    sheet.title = "设备建设计划"
    sheet.append(["区划代码", "县（市）", "年度", "计划安装套数", "备注"])
    sheet.append(["652325", "奇台县", 2026, 100, ""])
    sheet.append(["652399", "无此县", 2026, 5, ""])
    sheet.append(["652327", "吉木萨尔县", 2026, "=1+1", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    response = editor.post("/water/kpi/plans/import/", {"workbook": SimpleUploadedFile("p.xlsx", buffer.getvalue())})
    assert response.status_code == 400
    page = response.content.decode()
    assert "第 3 行 区划代码" in page and "第 4 行 计划安装套数" in page and "公式" in page
    assert not DeploymentPlan.objects.filter(region_id="652325").exists()  # all or nothing


def test_the_api(editor, small_fleet):
    response = editor.get("/api/water/deployment?year=2026")
    assert response.status_code == 200
    body = response.json()
    hutubi = next(row for row in body["rows"] if row["code"] == "652323")
    assert hutubi["installed"] == 4 and hutubi["figures"]["online_rate"]["target_pct"] == 95.0
    assert editor.get("/api/water/deployment?year=20266").status_code == 400
    response = editor.put("/api/water/deployment-plans", {"region": "652325", "year": 2026, "planned_sets": 7},
                          content_type="application/json")
    assert response.status_code == 200 and response.json()["planned_sets"] == 7
    assert editor.put("/api/water/deployment-plans", {"region": "652300", "year": 2026, "planned_sets": 7},
                      content_type="application/json").status_code == 403  # plans are per county
    plans = editor.get("/api/water/deployment-plans?year=2026").json()
    assert {row["region"] for row in plans} == {"652323", "652324", "652325"}
    assert len(editor.get("/api/water/kpi-targets?year=2026").json()) == 3


def test_the_demo_plans_10401_sets_and_dates_the_fleet(make_terminal):
    from changji.water.kpi.demo import seed_deployment
    from changji.water.models import Terminal

    for n in range(13):
        make_terminal(f"65232300{n:02d}", county="652323")
    seed_deployment(2026)
    assert sum(DeploymentPlan.objects.values_list("planned_sets", flat=True)) == 10_401  # over both years
    assert set(DeploymentPlan.objects.values_list("region__code", flat=True)) == {
        "652301", "652302", "652323", "652324", "652325", "652327", "652328"}
    assert not Terminal.objects.filter(installed_on__isnull=True).exists()
    accepted = Terminal.objects.filter(accepted_on__isnull=False).count()
    assert 10 <= accepted < 13  # most installed sets accepted
    assert KpiTarget.objects.get(region_id="652300", year=2026, metric="new_online_rate").target_pct == 95.0
    assert seed_deployment(2026).startswith("0 设备建设计划, 0 考核目标, 0 terminal")  # idempotent
