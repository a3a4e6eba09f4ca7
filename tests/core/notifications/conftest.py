"""Fixtures of the notification tests: a water world in two counties, a local Aliyun-format SMS server."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

SECRET = "local-secret-Zq8"
KEY_ID = "LTAI-local-test"
TEMPLATES = {event: f"SMS_{100000 + n}" for n, event in enumerate([
    "water.quota.warning", "water.quota.stop_announced", "water.quota.stop", "water.quota.restore",
    "water.licence.expiring", "water.alarm.open", "water.alarm.assigned"])}


@pytest.fixture
def sms_server():
    """A local SMS provider speaking Aliyun SendSms on a free port (real socket), verifying signatures."""
    from changji.core.notifications.local_sms import LocalSmsServer

    with LocalSmsServer({KEY_ID: SECRET}) as server:
        yield server


@pytest.fixture
def sms_settings(settings, sms_server):
    """Point the SMS channel at the local server."""
    settings.CHANGJI_SMS_ENDPOINT = sms_server.url
    settings.CHANGJI_SMS_ACCESS_KEY_ID = KEY_ID
    settings.CHANGJI_SMS_ACCESS_KEY_SECRET = SECRET
    settings.CHANGJI_SMS_SIGN_NAME = "昌吉州水利局"
    settings.CHANGJI_SMS_TEMPLATE_CODES = json.dumps(TEMPLATES)
    return settings


@pytest.fixture
def world(db, make_user):
    """呼图壁县 (652323): water user 张三 (phone) with well 652323-00001 and its 2026 allocation; staff.

    Accounts: ``hutubi`` (county operator, phone), ``viewer`` (township viewer role bound to the county),
    ``crew`` (maintenance worker), ``clerk`` (window clerk), ``prefecture`` (prefecture admin of 652300),
    ``qitai`` (county operator of 奇台县 652325).
    """
    from changji.core.models import Role
    from changji.water.models import Allocation, WaterUser, Well

    user = WaterUser.objects.create(code="WU-001", name="张三", kind="person", region_id="652323",
                                    contact_phone="138 0013 8000")
    well = Well.objects.create(code="652323-00001", name="一号井", region_id="652323", latitude=44.2,
                               longitude=86.9, water_user=user)
    allocation = Allocation.objects.create(year=2026, well=well, allocation_m3=10000)
    return SimpleNamespace(
        water_user=user, well=well, allocation=allocation,
        hutubi=make_user("hutubi", "652323", Role.COUNTY_OPERATOR, phone="13900000001", email="hutubi@example.cn"),
        viewer=make_user("viewer", "652323", Role.TOWNSHIP_VIEWER),
        crew=make_user("crew", "652323", Role.MAINTENANCE_WORKER, phone="13900000002"),
        clerk=make_user("clerk", "652323", Role.WINDOW_CLERK),
        prefecture=make_user("prefecture", "652300", Role.PREFECTURE_ADMIN),
        qitai=make_user("qitai", "652325", Role.COUNTY_OPERATOR, phone="13900000003"),
    )
