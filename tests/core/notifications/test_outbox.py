from __future__ import annotations

import pytest
from django.db import transaction

from changji.core import audit
from changji.core.models import AuditEntry, Notification, NotificationPreference
from changji.core.notifications import events
from changji.core.notifications.events import EventSpec, Message, Recipient


def notices(event=None):
    rows = Notification.objects.order_by("channel", "user__username", "address")
    return list(rows.filter(event=event) if event else rows)


def test_a_rolled_back_event_leaves_no_notice(world):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record("water.quota.stop", target=world.allocation, used_m3=10100.0, allocation_m3=10000.0)
        assert Notification.objects.count() > 0  # written inside the event's transaction
        raise RuntimeError("the stop failed after its audit entry")
    assert Notification.objects.count() == 0
    assert AuditEntry.objects.filter(action="water.quota.stop").count() == 0


def test_a_committed_event_has_its_notices_with_its_audit_entry(world):
    entry = audit.record("water.quota.stop", target=world.allocation, used_m3=10100.0, allocation_m3=10000.0)
    rows = notices()
    assert rows and all(row.source_id == entry.pk for row in rows)
    assert {row.region_id for row in rows} == {"652323"}


def test_an_unregistered_action_notifies_nobody(world):
    audit.record("water.quota.override", target=world.allocation, until="2026-07-01T00:00:00+08:00")
    assert Notification.objects.count() == 0


def test_an_in_app_notice_is_delivered_by_being_written(world):
    audit.record("water.quota.warning", target=world.allocation, threshold=0.8, share=0.81, used_m3=8100.0,
                 allocation_m3=10000.0)
    in_app = [row for row in notices() if row.channel == "in_app"]
    assert in_app and all(row.state == "sent" and row.sent_at is not None for row in in_app)
    sms = [row for row in notices() if row.channel == "sms"]
    assert sms and all(row.state == "pending" and row.next_attempt_at is not None for row in sms)


def test_a_failing_renderer_leaves_the_event_standing(world, caplog):
    def broken(entry):
        raise KeyError("no such figure")

    spec = EventSpec("test.broken.render", "坏模板", "water.allocation.read", broken)
    events._events[spec.action] = spec
    try:
        with caplog.at_level("ERROR", "changji.core.notifications"):
            entry = audit.record("test.broken.render", target=world.allocation)
    finally:
        del events._events[spec.action]
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
    assert Notification.objects.count() == 0
    assert "were not written" in caplog.text


def test_a_spec_with_direct_recipients_and_no_staff(world):
    spec = EventSpec("test.direct.only", "直达", "water.allocation.read",
                     lambda entry: Message("标题", "正文"),
                     lambda entry: [Recipient("in_app", user=world.crew), Recipient("in_app", user=world.crew),
                                    Recipient("sms", address="13700000000", name="某人"),
                                    Recipient("in_app", address="13700000000")],
                     notify_staff=False)
    events._events[spec.action] = spec
    try:
        audit.record("test.direct.only", target=world.allocation)
    finally:
        del events._events[spec.action]
    rows = notices()
    assert [(row.channel, row.user, row.address) for row in rows] == [
        ("in_app", world.crew, ""), ("sms", None, "13700000000")]  # deduplicated; in-app needs an account


def test_registering_an_action_twice_is_refused():
    spec = events.lookup("water.quota.stop")
    assert spec is not None
    events.register(spec)  # the same spec again (a module imported twice) is fine
    with pytest.raises(ValueError, match="already registered"):
        events.register(EventSpec("water.quota.stop", "x", "water.allocation.read", lambda entry: None))
    with pytest.raises(ValueError, match="unknown channels"):
        events.register(EventSpec("test.bad.channel", "x", "water.allocation.read", lambda entry: None,
                                  staff_channels=frozenset({"pigeon"})))


def test_staff_preferences_choose_the_channels(world):
    NotificationPreference.objects.create(user=world.hutubi, event="water.quota.warning", channels=["email", "sms"])
    NotificationPreference.objects.create(user=world.viewer, event="water.quota.warning", channels=[])
    audit.record("water.quota.warning", target=world.allocation, threshold=0.9, share=0.9, used_m3=9000.0,
                 allocation_m3=10000.0)
    by_user = {(row.user.username if row.user else row.address, row.channel) for row in notices()}
    assert ("hutubi", "email") in by_user and ("hutubi", "sms") in by_user
    assert ("hutubi", "in_app") not in by_user
    assert not any(name == "viewer" for name, _ in by_user)  # chose no channel
    hutubi_sms = Notification.objects.get(user=world.hutubi, channel="sms")
    assert hutubi_sms.address == "13900000001"
    assert Notification.objects.get(user=world.hutubi, channel="email").address == "hutubi@example.cn"
