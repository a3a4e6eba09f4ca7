"""An operator approves a top-up (追加指标) on the quota page: the announced stop is withdrawn in chromium."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]


@pytest.fixture
def announced(terminal):
    """This year's allocation of the well, used to 110 %: its stop is announced."""
    from django.utils import timezone

    from changji.core.localtime import local_day
    from changji.water.models import Allocation, DailyUsage
    from changji.water.quotas.sweep import sweep_quotas

    today = local_day(timezone.now())
    allocation = Allocation.objects.create(year=today.year, well=terminal.well, allocation_m3=1000)
    DailyUsage.objects.create(well=terminal.well, day=today, water_m3=1100, usage_m3=1100, source="metered")
    sweep_quotas(today)
    allocation.refresh_from_db()
    assert allocation.stop_due_at is not None
    return allocation


def test_an_operator_approves_a_top_up_and_the_stop_is_withdrawn(page, login, announced, shot):
    from changji.core.models import AuditEntry
    from changji.water.models import AllocationChange

    operator = login(page, "county-op", "652323", "county_operator", next_url=f"/water/wells/{announced.well_id}/")
    page.click("text=用水指标与总量控制")
    page.wait_for_url(f"**/water/quotas/{announced.pk}/")
    assert "已预告" in page.inner_text("#stop-state")
    page.fill("#form-topup input[name=amount_m3]", "500")
    page.fill("#form-topup textarea[name=reason]", "抗旱追加指标（县水利局批复）")
    page.select_option("#form-topup select[name=approver]", str(operator.pk))
    page.click("#form-topup button[type=submit]")
    page.wait_for_selector("text=已追加 500 立方米")
    assert page.inner_text("#stop-state") == "无"
    assert "抗旱追加指标（县水利局批复）" in page.inner_text("#change-table")
    change = AllocationChange.objects.get()
    assert change.approver_id == operator.pk and change.amount_m3 == 500
    assert AuditEntry.objects.filter(action="water.quota.topup", actor=operator).exists()
    assert AuditEntry.objects.filter(action="water.quota.stop_cancelled").exists()
    shot(page, "quota-top-up")
