"""A county operator sees the stop notice in the header and the inbox, opens it and marks the rest read."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]


@pytest.fixture
def notices(transactional_db, make_user):
    from changji.core import audit
    from changji.core.models import Role
    from changji.water.models import Allocation, WaterUser, Well

    operator = make_user("hutubi-op", "652323", Role.COUNTY_OPERATOR)
    make_user("qitai-op", "652325", Role.COUNTY_OPERATOR)
    water_user = WaterUser.objects.create(code="WU-9", name="李四", kind="person", region_id="652323",
                                          contact_phone="13800138000")
    well = Well.objects.create(code="652323-00009", name="九号井", region_id="652323", latitude=44.2,
                               longitude=86.9, water_user=water_user)
    allocation = Allocation.objects.create(year=2026, well=well, allocation_m3=10000)
    audit.record("water.quota.warning", target=allocation, threshold=0.9, share=0.9, used_m3=9000.0,
                 allocation_m3=10000.0)
    audit.record("water.quota.stop", target=allocation, used_m3=10100.0, allocation_m3=10000.0)
    return operator, well


def test_a_staff_member_reads_a_notice_in_the_inbox(page, sign_in, notices, shot):
    operator, well = notices
    sign_in(page, "hutubi-op", "/notifications/")
    assert page.inner_text("#unread-badge") == "2"
    items = page.locator("#notices li.notice.unread")
    assert items.count() == 2
    stop = page.locator("#notices li.notice", has_text="已关泵：机井 652323-00009 超年度用水指标")
    assert "已用10,100立方米" in stop.inner_text()
    shot(page, "notification-inbox")
    stop.locator("button.open").click()  # 查看: marks it read and opens the well
    page.wait_for_url(f"**/water/wells/{well.pk}/")
    assert page.inner_text("#unread-badge") == "1"
    page.click("#inbox-link")
    page.wait_for_url("**/notifications/")
    assert page.locator("#notices li.notice.unread").count() == 1
    page.locator("#notices li.notice.unread button.mark-read").click()
    page.wait_for_url("**/notifications/")
    assert page.locator("#notices li.notice.unread").count() == 0
    assert page.locator("#unread-badge").count() == 0
    assert page.locator("#notices .read-at").count() == 2


def test_another_countys_operator_sees_none_of_it(page, sign_in, notices):
    sign_in(page, "qitai-op", "/notifications/")
    assert page.locator("#unread-badge").count() == 0
    assert "没有消息" in page.inner_text("#notices")
