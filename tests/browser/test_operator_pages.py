"""The operator pages in a real browser: login, dashboard, map, alarm centre, pump stop, report download."""

from __future__ import annotations

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from tests.browser.polling import wait_for_expression

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]

FLEET = 300
PREFECTURE = 10_401  # the map test renders the whole prefecture


@pytest.fixture
def fleet():
    from changji.water.sim.demo import seed_fleet

    return seed_fleet(FLEET)


@pytest.fixture
def prefecture_fleet():
    from changji.water.sim.demo import seed_fleet

    return seed_fleet(PREFECTURE)


def test_login_and_dashboard_shows_figures(page, login, fleet, shot):
    from changji.water.models import Alarm, Terminal

    terminal = Terminal.objects.select_related("well").filter(region_id="652323").first()
    Alarm.objects.create(terminal=terminal, well=terminal.well, kind="offline", severity="major", state="open",
                         raised_at=timezone.now())
    login(page)
    page.wait_for_selector("#county-table")
    assert page.inner_text("h1").startswith("一屏看水")
    table = page.inner_text("#county-table")
    for county in ("昌吉市", "呼图壁县", "玛纳斯县", "木垒哈萨克自治县"):
        assert county in table
    assert page.inner_text("[data-counter=terminals]") == str(FLEET)
    assert page.inner_text("[data-counter=offline]") == "1"
    page.wait_for_selector("#trend-chart[data-chart-ready]")
    shot(page, "dashboard")


def test_map_renders_every_well(page, login, prefecture_fleet, shot):
    fleet = prefecture_fleet
    login(page, next_url="/water/map/")
    page.wait_for_selector("#well-map[data-wells-rendered]")
    assert page.get_attribute("#well-map", "data-wells-rendered") == str(PREFECTURE)
    shot(page, "map")
    hutubi = sum(1 for well in fleet if well.county_code == "652323")
    page.select_option("select[name=county]", "652323")
    wait_for_expression(
        page, f"document.getElementById('well-map').dataset.wellsRendered === '{hutubi}'")
    monitoring = sum(1 for well in fleet if well.kind == "monitoring")
    page.select_option("select[name=county]", "")
    page.select_option("select[name=use]", "domestic")
    rendered = int(page.get_attribute("#well-map", "data-wells-rendered"))
    assert monitoring <= rendered < PREFECTURE


def test_acknowledge_an_alarm_in_the_alarm_centre(page, login, terminal, shot):
    from changji.water.models import Alarm

    alarm = Alarm.objects.create(terminal=terminal, well=terminal.well, kind="door_open", severity="warning",
                                 state="open", raised_at=timezone.now())
    login(page, "hutubi-op", "652323", "county_operator", next_url="/water/alarms/")
    row = page.locator(f"tr[data-alarm='{alarm.pk}']")
    assert "待处理" in row.locator(".alarm-state").inner_text()
    row.locator("button.ack").click()
    page.wait_for_selector(".messages li.success")
    assert "已确认" in page.locator(f"tr[data-alarm='{alarm.pk}'] .alarm-state").inner_text()
    alarm.refresh_from_db()
    assert alarm.state == "acknowledged"
    shot(page, "alarm-centre")


def test_queue_a_pump_stop_with_a_reason(page, login, terminal, shot):
    from changji.water.models import Command

    login(page, "hutubi-op", "652323", "county_operator", next_url=f"/water/wells/{terminal.well_id}/")
    page.select_option("#pump-form select[name=kind]", "pump_stop")
    page.fill("#pump-form textarea[name=reason]", "超许可取水，责令停泵")
    page.click("#pump-form button[type=submit]")
    page.wait_for_selector("#confirm-form")
    assert "远程关泵" in page.inner_text("h1")
    assert not Command.objects.exists()
    shot(page, "pump-confirm")
    page.click("#confirm-form button[type=submit]")
    page.wait_for_selector(".messages li.success")
    queue = page.inner_text("#command-queue")
    assert "远程关泵" in queue and "待下发" in queue and "超许可取水，责令停泵" in queue
    command = Command.objects.get()
    assert command.reason == "超许可取水，责令停泵" and command.terminal == terminal
    shot(page, "well")


def test_download_an_xlsx_report(page, login, terminal, tmp_path, shot):
    login(page, "hutubi-op", "652323", "county_operator", next_url="/water/reports/")
    page.select_option("select[name=period]", "month")
    page.fill("input[name=at]", timezone.localdate().isoformat())
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("#report-summary")
    assert "呼图壁县" in page.inner_text("#report-summary")
    shot(page, "reports")
    with page.expect_download() as download:
        page.click("#download-xlsx")
    target = tmp_path / download.value.suggested_filename
    download.value.save_as(target)
    assert target.suffix == ".xlsx"
    book = load_workbook(target)
    assert "汇总" in book.sheetnames
    assert terminal.well.code in [row[1] for row in book["呼图壁县"].iter_rows(values_only=True)]
