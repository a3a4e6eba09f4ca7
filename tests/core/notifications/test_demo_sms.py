"""The demo's SMS go to the local SendSms provider with a template code for every registered event."""

from __future__ import annotations

import json

import pytest

from changji.core import demo
from changji.core.models import Notification
from changji.core.notifications.events import events
from changji.core.notifications.local_sms import LocalSmsServer

from .test_delivery import deliver, outbox

pytestmark = pytest.mark.django_db


def test_a_configured_provider_is_left_as_it_is(monkeypatch):
    monkeypatch.setenv("CHANGJI_SMS_ACCESS_KEY_ID", "LTAI-real")
    assert demo.demo_sms_environment() == {}


def test_the_demo_delivers_every_events_sms_to_the_local_provider(monkeypatch, settings):
    monkeypatch.delenv("CHANGJI_SMS_ACCESS_KEY_ID", raising=False)
    env = demo.demo_sms_environment()
    codes = json.loads(env["CHANGJI_SMS_TEMPLATE_CODES"])
    assert set(codes) == {spec.action for spec in events()} and "water.quota.stop" in codes
    key_id, secret = env["CHANGJI_SMS_ACCESS_KEY_ID"], env["CHANGJI_SMS_ACCESS_KEY_SECRET"]
    with LocalSmsServer({key_id: secret}) as server:
        settings.CHANGJI_SMS_ENDPOINT = server.url  # the demo's fixed port, moved to a free one for the test
        settings.CHANGJI_SMS_ACCESS_KEY_ID, settings.CHANGJI_SMS_ACCESS_KEY_SECRET = key_id, secret
        settings.CHANGJI_SMS_TEMPLATE_CODES = env["CHANGJI_SMS_TEMPLATE_CODES"]
        notices = [*outbox(1, event="water.quota.stop"), *outbox(1, event="water.licence.expiring",
                                                                 address="13900000002")]
        counts = deliver()
        assert counts.sent == 2 and server.provider.rejected == []
    assert {n.state for n in Notification.objects.filter(pk__in=[n.pk for n in notices])} == {"sent"}


def test_the_demo_starts_the_local_provider_beside_the_jobs(monkeypatch):
    monkeypatch.delenv("CHANGJI_SMS_ACCESS_KEY_ID", raising=False)
    started = []
    monkeypatch.setattr(demo.subprocess, "Popen", lambda argv, env: started.append((argv, env)))
    demo.start_demo_processes()
    provider = [argv for argv, _ in started if "changji.core.notifications.local_sms" in argv]
    assert provider and str(demo.DEMO_SMS_PORT) in provider[0]
    jobs_env = next(env for argv, env in started if argv[3:4] == ["jobs"])
    assert jobs_env["CHANGJI_SMS_ENDPOINT"] == f"http://127.0.0.1:{demo.DEMO_SMS_PORT}/"
