"""The inbox, the preferences and the delivery log pages, and the inbox API, per role."""

from __future__ import annotations

import pytest
from django.urls import reverse

from changji.core import audit
from changji.core.models import Notification, NotificationPreference, Role

PASSWORD = "x-Secret-2026"


@pytest.fixture
def stop(world):
    audit.record("water.quota.stop", target=world.allocation, used_m3=10100.0, allocation_m3=10000.0)
    return Notification.objects.get(event="water.quota.stop", user=world.hutubi, channel="in_app")


def signed_in(client, user):
    client.force_login(user)
    return client


def test_the_inbox_lists_the_callers_notices_only(client, world, stop):
    page = signed_in(client, world.hutubi).get(reverse("core:notifications"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "已关泵：机井 652323-00001 超年度用水指标" in text
    assert 'id="unread-badge">1<' in text  # the header's count
    assert "超指标关泵执行" in text  # the event's label
    other = signed_in(client, world.qitai).get(reverse("core:notifications")).content.decode()
    assert "652323-00001" not in other and "没有消息" in other


def test_marking_read_redirects_and_only_touches_ones_own(client, world, stop):
    signed_in(client, world.qitai)
    assert client.post(reverse("core:notifications"), {"action": "read", "id": stop.pk}).status_code == 404
    stop.refresh_from_db()
    assert stop.read_at is None
    signed_in(client, world.hutubi)
    answer = client.post(reverse("core:notifications"), {"action": "read", "id": stop.pk, "next": stop.link})
    assert answer.status_code == 302 and answer["Location"] == stop.link
    stop.refresh_from_db()
    assert stop.read_at is not None
    unread = client.get(reverse("core:notifications") + "?unread=1").content.decode()
    assert "没有消息" in unread


def test_read_all(client, world, stop):
    audit.record("water.quota.restore", target=world.allocation, mode="start")
    signed_in(client, world.hutubi)
    answer = client.post(reverse("core:notifications"), {"action": "read_all"})
    assert answer.status_code == 302
    assert not Notification.objects.filter(user=world.hutubi, channel="in_app", read_at__isnull=True).exists()
    others = Notification.objects.filter(user=world.viewer, channel="in_app", read_at__isnull=True)
    assert others.count() == 2  # untouched


@pytest.mark.parametrize("data", [{"action": "burn"}, {"action": "read", "id": "x"}, {"action": "read"},
                                  {"action": "read", "id": "1", "next": "https://evil.example/"}])
def test_odd_posts_are_a_chinese_400(client, world, stop, data):
    answer = signed_in(client, world.hutubi).post(reverse("core:notifications"), data)
    assert answer.status_code == 400 and "参数" in answer.content.decode()


def test_preferences_list_the_events_the_role_may_receive(client, world, make_user):
    crew = signed_in(client, world.crew).get(reverse("core:notification_preferences")).content.decode()
    assert "紧急告警" in crew and "现场核查派单" in crew and "关泵预告" not in crew  # no allocation read
    clerk = signed_in(client, world.clerk).get(reverse("core:notification_preferences")).content.decode()
    assert "一件事已办结待出件" in clerk and "关泵预告" not in clerk
    assert "（告知申请人）" not in clerk  # the notices only the applicant receives are not the window's to choose
    grid = signed_in(client, make_user("grid", "652323", Role.GRID_WORKER))
    assert "当前角色没有可接收的事件通知" in grid.get(reverse("core:notification_preferences")).content.decode()


def test_preferences_are_saved_and_used(client, world):
    signed_in(client, world.hutubi)
    page = client.get(reverse("core:notification_preferences")).content.decode()
    assert 'name="c-water.quota.stop" value="sms" aria-label="超指标关泵执行 短信" checked' in page  # the default
    answer = client.post(reverse("core:notification_preferences"),
                         {"c-water.quota.stop": ["email"], "c-water.quota.warning": ["in_app", "sms"]})
    assert answer.status_code == 302
    stored = dict(NotificationPreference.objects.filter(user=world.hutubi).values_list("event", "channels"))
    assert stored["water.quota.stop"] == ["email"] and stored["water.quota.warning"] == ["in_app", "sms"]
    assert stored["water.quota.restore"] == []  # unticked: not received
    audit.record("water.quota.stop", target=world.allocation, used_m3=1.0, allocation_m3=1.0)
    assert list(Notification.objects.filter(user=world.hutubi).values_list("channel", flat=True)) == ["email"]


def test_an_unknown_channel_is_refused(client, world):
    answer = signed_in(client, world.hutubi).post(reverse("core:notification_preferences"),
                                                  {"c-water.quota.stop": ["pigeon"]})
    assert answer.status_code == 400
    assert not NotificationPreference.objects.exists()


def test_the_outbox_is_for_operators_and_scoped_to_their_region(client, world, stop):
    assert signed_in(client, world.viewer).get(reverse("core:notification_outbox")).status_code == 403
    hutubi = signed_in(client, world.hutubi).get(reverse("core:notification_outbox")).content.decode()
    assert "138****8000" in hutubi and "13800138000" not in hutubi  # masked
    assert "已关泵" in hutubi
    qitai = signed_in(client, world.qitai).get(reverse("core:notification_outbox")).content.decode()
    assert "已关泵" not in qitai and "没有符合条件的通知" in qitai
    filtered = signed_in(client, world.hutubi).get(reverse("core:notification_outbox") + "?channel=sms&state=sent")
    assert "没有符合条件的通知" in filtered.content.decode()
    assert client.get(reverse("core:notification_outbox") + "?state=lost").status_code == 400


def test_an_operator_retries_a_failed_notice_of_their_region(client, world, stop):
    failed = Notification.objects.get(event="water.quota.stop", user=None)
    failed.state, failed.attempts, failed.last_error = "failed", 5, "isv.MOBILE_NUMBER_ILLEGAL"
    failed.save()
    outbox = reverse("core:notification_outbox")
    assert signed_in(client, world.qitai).post(outbox, {"id": failed.pk}).status_code == 404
    page = signed_in(client, world.hutubi).get(reverse("core:notification_outbox") + "?state=failed").content.decode()
    assert 'class="retry"' in page
    answer = client.post(reverse("core:notification_outbox") + "?state=failed", {"id": failed.pk})
    assert answer.status_code == 302 and answer["Location"].endswith("?state=failed")
    failed.refresh_from_db()
    assert failed.state == "pending" and failed.attempts == 0
    again = client.post(reverse("core:notification_outbox"), {"id": failed.pk})  # pending: cannot be retried
    assert again.status_code == 400 and "不能从「待发送」转为「待发送」" in again.content.decode()


def test_the_api_lists_and_reads_the_callers_inbox(client, world, stop):
    audit.record("water.quota.restore", target=world.allocation, mode="unlock")
    signed_in(client, world.hutubi)
    listed = client.get("/api/notifications").json()
    assert listed["count"] == 2
    assert [item["event"] for item in listed["items"]] == ["water.quota.restore", "water.quota.stop"]
    answer = client.post(f"/api/notifications/{stop.pk}/read")
    assert answer.status_code == 200 and answer.json()["read_at"] is not None
    unread = client.get("/api/notifications?unread=true").json()
    assert [item["event"] for item in unread["items"]] == ["water.quota.restore"]
    signed_in(client, world.qitai)
    assert client.get("/api/notifications").json()["count"] == 0
    assert client.post(f"/api/notifications/{stop.pk}/read").status_code == 404


def test_the_api_needs_credentials(client, world):
    assert client.get("/api/notifications").status_code == 401
