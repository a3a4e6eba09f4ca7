"""Delivery through a real local SMS server (Aliyun SendSms, signatures verified) and a real SMTP server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
from datetime import timedelta
from email.header import decode_header, make_header
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.utils import timezone

from changji.core.jobs import registry
from changji.core.models import Notification
from changji.core.notifications import aliyun_sms, delivery
from changji.core.notifications.senders import EmailSender, SmsSender

from .conftest import TEMPLATES


def outbox(n=1, *, address="13800138000", event="water.quota.stop", channel="sms"):
    now = timezone.now()
    return [Notification.objects.create(event=event, channel=channel, address=address, title="已关泵",
                                        body=f"第{i}条", sms_params={"well": "652323-00001", "time": "08:00"},
                                        next_attempt_at=now) for i in range(n)]


def deliver(now=None, **kwargs):
    return delivery.deliver_batch({"sms": SmsSender(workers=2)}, now=now, **kwargs)


def test_the_signature_follows_the_documented_steps():
    """Aliyun 签名机制, written out step by step here rather than through the module's helpers."""
    params = {"AccessKeyId": "testId", "Action": "SendSms", "Format": "JSON", "PhoneNumbers": "13800138000",
              "SignName": "昌吉州水利局", "TemplateCode": "SMS_1", "TemplateParam": '{"well":"652323-00001 *~"}',
              "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b", "SignatureVersion": "1.0",
              "Timestamp": "2026-07-01T00:00:00Z", "Version": "2017-05-25", "RegionId": "cn-hangzhou"}

    def enc(text):  # RFC 3986: unreserved kept, space %20, * %2A, ~ kept
        return quote(text, safe="").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")

    canonical = "&".join(f"{enc(k)}={enc(params[k])}" for k in sorted(params))
    assert "TemplateParam=%7B%22well%22%3A%22652323-00001%20%2A~%22%7D" in canonical
    to_sign = "POST&%2F&" + enc(canonical)
    expected = base64.b64encode(hmac.new(b"testSecret&", to_sign.encode(), hashlib.sha1).digest()).decode()
    assert aliyun_sms.signature("testSecret", "POST", params) == expected
    assert aliyun_sms.string_to_sign("POST", params) == to_sign


def test_sms_is_delivered_through_the_provider_and_the_signature_verified(world, sms_settings, sms_server):
    notices = outbox(3)
    counts = deliver()
    assert counts.sent == 3 and counts.failed == 0
    assert sms_server.provider.rejected == []
    received = sms_server.provider.received
    assert len(received) == 3
    assert {r.template_code for r in received} == {TEMPLATES["water.quota.stop"]}
    assert received[0].phone == "13800138000" and received[0].sign_name == "昌吉州水利局"
    assert received[0].params == {"well": "652323-00001", "time": "08:00"}
    assert sorted(r.out_id for r in received) == sorted(str(n.pk) for n in notices)
    for notice in notices:
        notice.refresh_from_db()
        assert notice.state == "sent" and notice.attempts == 1 and notice.sent_at is not None
        assert notice.provider_message_id in {r.biz_id for r in received}
    assert deliver().claimed == 0  # idempotent: nothing is due any more


def test_a_wrong_secret_is_refused_by_the_provider_and_not_retried(world, sms_settings, sms_server):
    sms_settings.CHANGJI_SMS_ACCESS_KEY_SECRET = "not-the-secret"
    [notice] = outbox()
    deliver()
    notice.refresh_from_db()
    assert sms_server.provider.rejected == ["SignatureDoesNotMatch"]
    assert notice.state == "failed" and notice.last_error.startswith("SignatureDoesNotMatch")


def test_a_server_error_is_retried_with_backoff_until_the_attempts_are_used(world, sms_settings, sms_server):
    sms_server.provider.fail_next = 5
    [notice] = outbox()
    start = timezone.now()
    waits = []
    for attempt in range(1, 6):
        at = start + sum(waits, timedelta()) + timedelta(seconds=attempt)
        assert deliver(now=at, clock=lambda at=at: at).claimed == 1
        notice.refresh_from_db()
        assert notice.attempts == attempt
        if attempt < 5:
            assert notice.state == "retrying" and notice.last_error.startswith("InternalError")
            waits.append(notice.next_attempt_at - at)
            assert deliver(now=notice.next_attempt_at - timedelta(seconds=1)).claimed == 0  # not before
    assert [w.total_seconds() for w in waits] == [60, 240, 960, 3840]
    assert notice.state == "failed"


def test_a_retry_after_a_server_error_is_sent(world, sms_settings, sms_server):
    sms_server.provider.fail_next = 1
    [notice] = outbox()
    deliver()
    notice.refresh_from_db()
    assert notice.state == "retrying"
    later = notice.next_attempt_at
    deliver(now=later, clock=lambda: later)
    notice.refresh_from_db()
    assert notice.state == "sent" and notice.attempts == 2 and notice.last_error == ""


def test_an_unreachable_provider_is_a_transient_failure(world, sms_settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sms_settings.CHANGJI_SMS_ENDPOINT = f"http://127.0.0.1:{port}/"
    [notice] = outbox()
    deliver()
    notice.refresh_from_db()
    assert notice.state == "retrying" and "短信服务连接失败" in notice.last_error


def test_an_illegal_number_fails_at_once(world, sms_settings, sms_server):
    [notice] = outbox(address="10000000000")
    deliver()
    notice.refresh_from_db()
    assert notice.state == "failed" and notice.last_error.startswith("isv.MOBILE_NUMBER_ILLEGAL")
    assert notice.attempts == 1


def test_the_providers_throttling_holds_the_notice_for_an_hour(world, sms_settings, sms_server):
    sms_server.provider.throttled.add("13800138000")
    [notice] = outbox()
    now = timezone.now()
    deliver(now=now, clock=lambda: now)
    notice.refresh_from_db()
    assert notice.state == "rate_limited" and notice.next_attempt_at == now + timedelta(hours=1)


def test_an_event_without_a_template_code_fails_with_the_reason(world, sms_settings, sms_server):
    [notice] = outbox(event="water.unknown.event")
    deliver()
    notice.refresh_from_db()
    assert notice.state == "failed" and "未配置短信模板" in notice.last_error
    assert sms_server.provider.requests == 0


def test_at_most_five_sms_an_hour_reach_one_phone(world, sms_settings, sms_server):
    outbox(7)
    outbox(1, address="13800138001")
    now = timezone.now()
    counts = deliver(now=now, clock=lambda: now)
    assert counts.sent == 6 and counts.rate_limited == 2
    held = Notification.objects.filter(state="rate_limited")
    assert {n.address for n in held} == {"13800138000"}
    assert all(n.attempts == 0 and n.next_attempt_at == now + timedelta(hours=1) for n in held)
    assert "每小时 5 条" in held[0].last_error
    assert deliver(now=now + timedelta(minutes=59)).claimed == 0
    later = now + timedelta(hours=1, seconds=1)
    assert deliver(now=later, clock=lambda: later).sent == 2
    assert len(sms_server.provider.received) == 8


def test_the_limit_is_a_setting(world, sms_settings, sms_server):
    sms_settings.CHANGJI_SMS_PER_HOUR = 2
    outbox(3)
    assert deliver().rate_limited == 1


def test_an_operator_retries_a_failed_notice(world, sms_settings, sms_server):
    [notice] = outbox(address="10000000000")
    deliver()
    notice.refresh_from_db()
    notice.address = "13800138000"  # corrected
    notice.save()
    delivery.retry(notice)
    assert notice.state == "pending" and notice.attempts == 0
    deliver()
    notice.refresh_from_db()
    assert notice.state == "sent"


def test_a_sent_notice_cannot_be_retried(world, sms_settings, sms_server):
    from changji.core.transitions import TransitionError

    [notice] = outbox()
    deliver()
    notice.refresh_from_db()
    with pytest.raises(TransitionError):
        delivery.retry(notice)


def test_a_lease_left_by_a_dead_sender_is_taken_over(world, sms_settings, sms_server):
    [notice] = outbox()
    now = timezone.now()
    delivery.claim(["sms"], now)  # a sender that claims and dies
    assert deliver(now=now + timedelta(minutes=1)).claimed == 0
    assert deliver(now=now + delivery.LEASE + timedelta(seconds=1)).sent == 1


def test_no_sms_is_sent_without_credentials(world, settings):
    settings.CHANGJI_SMS_ACCESS_KEY_ID = ""
    outbox()
    assert delivery.deliver().claimed == 0
    assert Notification.objects.get().state == "pending"


def test_the_job_and_the_command_deliver(world, sms_settings, sms_server, capsys):
    assert registry.get("core.notifications.deliver").period == "minutely"
    outbox(2)
    assert registry.get("core.notifications.deliver").function(timezone.now())["sent"] == 2
    outbox(1)
    call_command("notifications", "deliver", "--once")
    assert '"sent": 1' in capsys.readouterr().out


def test_the_secret_never_reaches_a_repr():
    credentials = aliyun_sms.Credentials("id", "very-secret")
    assert "very-secret" not in repr(credentials)


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free port, keeping what it receives."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    class Keep(Message):
        def __init__(self):
            super().__init__()
            self.messages = []

        def handle_message(self, message):
            self.messages.append(message)

    handler = Keep()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, handler
    controller.stop()


def test_email_is_delivered_over_smtp(world, settings, smtp_server):
    controller, handler = smtp_server
    settings.CHANGJI_SMTP_HOST = settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    [notice] = outbox(channel="email", address="hutubi@example.cn")
    notice.link = "/water/wells/1/"
    notice.save()
    counts = delivery.deliver_batch({"email": EmailSender()})
    assert counts.sent == 1
    [message] = handler.messages
    assert message["To"] == "hutubi@example.cn"
    assert str(make_header(decode_header(message["Subject"]))) == "已关泵"
    assert "第0条" in message.get_payload(decode=True).decode("utf-8")
    notice.refresh_from_db()
    assert notice.state == "sent" and notice.provider_message_id == message["Message-ID"].strip("<>")


def test_email_to_an_unreachable_server_is_retried(world, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CHANGJI_SMTP_HOST = settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    [notice] = outbox(channel="email", address="hutubi@example.cn")
    delivery.deliver_batch({"email": EmailSender()})
    notice.refresh_from_db()
    assert notice.state == "retrying" and "邮件服务器连接失败" in notice.last_error
