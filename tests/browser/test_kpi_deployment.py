"""设备建设与考核 in a real browser: from the menu, a figure red against its target, a target set, then green."""

from __future__ import annotations

from datetime import timedelta

import pytest

from changji.core import localtime

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]


@pytest.fixture
def installed(db):
    """Two sets planned for 呼图壁 this year, both installed, one online (it reported yesterday)."""
    from changji.water.models import DeploymentPlan, KpiTarget, Terminal, TerminalDay

    today = localtime.today()
    first, _ = (Terminal.objects.create(protocol="szy206", address=f"652323000{n}", region_id="652323",
                                        installed_on=today.replace(month=1, day=1)) for n in range(2))
    TerminalDay.objects.create(terminal=first, day=today - timedelta(days=1), expected_reports=288,
                               received_reports=288, readings_valid=288)
    DeploymentPlan.objects.create(region_id="652323", year=today.year, planned_sets=2)
    KpiTarget.objects.create(region_id="652300", year=today.year, metric="online_rate", target_pct=95)


def test_a_missed_target_is_red_and_a_lower_county_target_turns_it_green(page, login, installed, shot):
    login(page, next_url="/water/")
    page.click("nav >> text=设备建设与考核")
    cell = page.locator('#deployment tr[data-code="652323"] td[data-metric="online_rate"]')
    assert "50.0%" in cell.inner_text() and "kpi-missed" in cell.get_attribute("class")
    shot(page, "water-kpi-deployment")
    page.click("text=考核目标")
    page.select_option("select[name=region]", "652323")
    page.select_option("select[name=metric]", "online_rate")
    page.fill("input[name=target_pct]", "50")
    page.click("form[method=post] button[type=submit] >> text=保存")
    page.wait_for_selector("#kpi-targets >> text=呼图壁县")
    page.click("text=返回建设进度")
    cell = page.locator('#deployment tr[data-code="652323"] td[data-metric="online_rate"]')
    assert "kpi-met" in cell.get_attribute("class") and "目标 ≥ 50.0%" in cell.inner_text()
