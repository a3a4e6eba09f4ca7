"""Each water event renders a Chinese notice to the right recipients (water/notices.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from changji.core import audit
from changji.core.localtime import SHANGHAI
from changji.core.models import Notification, NotificationPreference
from changji.water.alarms import service
from changji.water.alarms.evaluation import record_step
from changji.water.models import Alarm, Licence, Terminal


def recipients(event):
    return sorted((row.channel, row.user.username if row.user else row.address)
                  for row in Notification.objects.filter(event=event))


def one(event, channel, who):
    rows = Notification.objects.filter(event=event, channel=channel)
    return rows.get(user__username=who) if not who.isdigit() else rows.get(address=who)


def test_quota_warning_tells_the_water_user_by_sms_and_the_county_staff_in_app(world):
    audit.record("water.quota.warning", target=world.allocation, region=world.allocation.scope_region,
                 reason="用水量达到年度指标的 80%", threshold=0.8, share=0.8123, used_m3=8123.0, allocation_m3=10000.0)
    assert recipients("water.quota.warning") == [
        ("in_app", "hutubi"), ("in_app", "prefecture"), ("in_app", "viewer"), ("sms", "13800138000")]
    sms = one("water.quota.warning", "sms", "13800138000")
    assert sms.recipient_name == "张三"
    assert sms.sms_params == {"well": "652323-00001", "percent": "81%", "used": "8123", "quota": "10000"}
    assert "机井 652323-00001" in sms.body and "8,123立方米" in sms.body and "80%预警线" in sms.body
    assert sms.title == "用水指标预警：机井 652323-00001 已用81%"
    assert sms.link == f"/water/wells/{world.well.pk}/"
    assert sms.target_type == "water.allocation" and sms.target_id == str(world.allocation.pk)


@pytest.mark.parametrize("threshold", [0.8, 0.9, 1.0])
def test_every_threshold_is_told(world, threshold):
    audit.record("water.quota.warning", target=world.allocation, threshold=threshold, share=threshold,
                 used_m3=10000.0 * threshold, allocation_m3=10000.0)
    assert f"已达{threshold:.0%}预警线" in one("water.quota.warning", "in_app", "hutubi").body


def test_another_county_and_roles_without_the_permission_are_not_told(world):
    audit.record("water.quota.stop", target=world.allocation, used_m3=10100.0, allocation_m3=10000.0)
    told = {who for _, who in recipients("water.quota.stop")}
    assert "qitai" not in told  # 奇台县's operator
    assert "clerk" not in told and "crew" not in told  # no water.allocation.read


def test_stop_announced_names_the_local_time_and_the_notice_period(world):
    due = datetime(2026, 8, 1, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
    audit.record("water.quota.stop_announced", target=world.allocation, reason="预告关泵",
                 stop_due_at=due.isoformat(), notice_hours=24, used_m3=10000.0, allocation_m3=10000.0)
    sms = one("water.quota.stop_announced", "sms", "13800138000")
    assert sms.title == "关泵预告：机井 652323-00001 将于2026-08-01 10:00关泵"
    assert "提前24小时告知" in sms.body and "2026-08-01 10:00" in sms.body
    assert sms.sms_params == {"well": "652323-00001", "time": "2026-08-01 10:00", "hours": "24"}
    # stops go to staff by SMS as well as in-app by default
    assert ("sms", "hutubi") in recipients("water.quota.stop_announced")
    assert ("in_app", "hutubi") in recipients("water.quota.stop_announced")


def test_stop_executed_is_sms_to_the_user_and_staff(world):
    entry = audit.record("water.quota.stop", target=world.allocation, region=world.allocation.scope_region,
                         reason="超年度用水指标", commands=[], share=1.01, used_m3=10100.0, allocation_m3=10000.0)
    sms = one("water.quota.stop", "sms", "13800138000")
    when = entry.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    assert sms.body == (f"机井 652323-00001 {world.allocation.year}年度已用10,100立方米，超过年度指标10,000立方米，"
                        f"已于{when}远程关泵。追加指标或人工放行后恢复供水。")
    assert ("sms", "hutubi") in recipients("water.quota.stop")


@pytest.mark.parametrize(("mode", "said"), [("unlock", "已解除关泵锁定"), ("start", "已远程开泵")])
def test_restore_says_how(world, mode, said):
    audit.record("water.quota.restore", target=world.allocation, mode=mode, reason="追加指标")
    sms = one("water.quota.restore", "sms", "13800138000")
    assert said in sms.body and "（追加指标）" in sms.body
    assert ("sms", "hutubi") not in recipients("water.quota.restore")  # in-app only by default


def test_licence_expiring_tells_the_holder_and_staff(world):
    licence = Licence.objects.create(number="取水(呼)字[2021]第001号", water_user=world.water_user,
                                     permitted_m3_per_year=50000, valid_from=date(2021, 9, 1),
                                     valid_to=date(2026, 8, 31), issuing_authority="呼图壁县水利局")
    audit.record("water.licence.expiring", target=licence, days_left=30, valid_to="2026-08-31",
                 number=licence.number)
    assert recipients("water.licence.expiring") == [
        ("in_app", "hutubi"), ("in_app", "prefecture"), ("in_app", "viewer"), ("sms", "13800138000")]
    sms = one("water.licence.expiring", "sms", "13800138000")
    assert sms.title == "取水许可证即将到期：取水(呼)字[2021]第001号（剩余30天）"
    assert "将于2026-08-31到期" in sms.body and "45日前" in sms.body
    assert sms.link.startswith("/water/licences/") and sms.link.endswith("/")  # the in-app notice opens the licence


def test_a_water_user_without_a_mobile_number_gets_no_sms(world):
    world.water_user.contact_phone = "0994-1234567"
    world.water_user.save()
    audit.record("water.quota.stop", target=world.allocation, used_m3=1.0, allocation_m3=1.0)
    assert not Notification.objects.filter(event="water.quota.stop", user=None).exists()


@pytest.fixture
def terminal(world):
    return Terminal.objects.create(protocol="szy206", address="6523230001", well=world.well, region_id="652323")


def raise_alarm(terminal, severity, kind):
    alarm = Alarm.objects.create(terminal=terminal, well=terminal.well, kind=kind, severity=severity, state="open",
                                 raised_at=timezone.now(), evidence={})
    record_step(alarm, "", "open", None, "系统产生")
    return alarm


def test_a_critical_alarm_is_told_to_staff_who_see_alarms(world, terminal):
    alarm = raise_alarm(terminal, "critical", "quota_exceeded")
    told = recipients("water.alarm.open")
    assert ("in_app", "crew") in told and ("in_app", "hutubi") in told and ("in_app", "viewer") in told
    assert not any(who in ("qitai", "clerk", "13800138000") for _, who in told)
    notice = one("water.alarm.open", "in_app", "crew")
    assert notice.title.startswith("紧急告警：机井 652323-00001")
    assert notice.link == f"/water/alarms/{alarm.pk}/"


@pytest.mark.parametrize("severity", ["info", "warning", "major"])
def test_a_lesser_alarm_is_not_told(world, terminal, severity):
    raise_alarm(terminal, severity, "door_open")
    assert not Notification.objects.filter(event="water.alarm.open").exists()


def test_an_assignment_tells_the_assignee_only(world, terminal):
    alarm = raise_alarm(terminal, "major", "door_open")
    service.acknowledge(alarm, world.hutubi)
    service.assign(alarm, world.hutubi, assignee=world.crew, due=timezone.now() + timedelta(days=1), note="带上相机")
    assert recipients("water.alarm.assigned") == [("in_app", "crew"), ("sms", "crew")]
    notice = one("water.alarm.assigned", "in_app", "crew")
    assert notice.body.startswith("hutubi派给您一张现场核查工单：机井 652323-00001")
    assert Notification.objects.get(event="water.alarm.assigned", channel="sms").address == "13900000002"


def test_the_assignee_may_turn_the_sms_off(world, terminal):
    NotificationPreference.objects.create(user=world.crew, event="water.alarm.assigned", channels=["in_app"])
    alarm = raise_alarm(terminal, "major", "door_open")
    service.acknowledge(alarm, world.hutubi)
    service.assign(alarm, world.hutubi, assignee=world.crew, due=timezone.now() + timedelta(days=1))
    assert recipients("water.alarm.assigned") == [("in_app", "crew")]


def test_no_phone_number_is_logged_in_full(world, caplog):
    world.water_user.contact_phone = "12345"  # not a mobile number: logged as skipped
    world.water_user.save()
    with caplog.at_level("INFO"):
        audit.record("water.quota.stop", target=world.allocation, used_m3=1.0, allocation_m3=1.0)
    assert "13900000001" not in caplog.text and "13800138000" not in caplog.text


def test_the_real_quota_sweep_notifies_through_its_audit_entries(world):
    """The sweep (water/quotas/sweep.py) writes warning and stop entries; each brings its notices with it."""
    from changji.water.models import DailyUsage, QuotaPolicy
    from changji.water.quotas.sweep import sweep_quotas

    # No notice period: the sweep announces and stops at once (water/quotas/policy.py), so one sweep shows both.
    QuotaPolicy.objects.create(region_id="652323", thresholds=[0.8, 0.9, 1.0], stop_at_full=True, notice_hours=0)
    Terminal.objects.create(protocol="szy206", address="6523230002", well=world.well, region_id="652323")
    DailyUsage.objects.create(well=world.well, day=date(2026, 5, 1), water_m3=10_050, usage_m3=10_050,
                              source="metered")
    result = sweep_quotas(date(2026, 7, 1))
    assert len(result.stops) == 1
    warnings = Notification.objects.filter(event="water.quota.warning", channel="sms")
    assert sorted(n.sms_params["percent"] for n in warnings) == ["100%", "100%", "100%"]  # 80, 90, 100 % at once
    assert sorted(n.body.split("已达")[1][:3] for n in warnings) == ["100", "80%", "90%"]
    stop = Notification.objects.get(event="water.quota.stop", address="13800138000")
    assert stop.region_id == "652323" and "超过年度指标10,000立方米" in stop.body
    assert Notification.objects.filter(event="water.quota.stop", user=world.hutubi, channel="sms").exists()
