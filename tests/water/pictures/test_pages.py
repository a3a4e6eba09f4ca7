"""The picture review page, the picture page's actions, the image view and the policy page: order, scope, rights."""

from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
from django.urls import reverse
from PIL import Image

from changji.core.models import AuditEntry, Role
from changji.water.models import Alarm, PicturePolicy, WorkOrder
from changji.water.pictures.schedule import SHANGHAI

pytestmark = pytest.mark.django_db


def at(hour: int, day: int = 15) -> datetime:
    return datetime(2026, 6, day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def world(make_terminal, make_picture, make_user):
    hutubi = make_terminal("6523230001", county="652323")
    hutubi2 = make_terminal("6523230002", county="652323")
    city = make_terminal("6523010001", county="652301")
    return {
        "old": make_picture(hutubi, at(8)),
        "latest": make_picture(hutubi, at(10)),
        "flagged": make_picture(hutubi2, at(9), flagged=True, flag_reason="管路改动"),
        "city": make_picture(city, at(11)),
        "operator": make_user("hutubi-op", "652323", Role.COUNTY_OPERATOR),
        "viewer": make_user("hutubi-viewer", "652323", Role.TOWNSHIP_VIEWER),
        "worker": make_user("hutubi-worker", "652323", Role.MAINTENANCE_WORKER),
        "admin": make_user("pref-admin", "652300", Role.PREFECTURE_ADMIN),
    }


def shown(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-picture="(\d+)"', page)]


def test_the_review_page_shows_the_latest_picture_per_well_flagged_first_and_in_scope(client, world):
    client.force_login(world["operator"])
    page = client.get(reverse("water:pictures")).content.decode()
    assert shown(page) == [world["flagged"].pk, world["latest"].pk]  # not the old one, not 昌吉市's
    client.force_login(world["admin"])
    page = client.get(reverse("water:pictures")).content.decode()
    assert shown(page) == [world["flagged"].pk, world["city"].pk, world["latest"].pk]
    assert shown(client.get(reverse("water:pictures"), {"county": "652301"}).content.decode()) == [world["city"].pk]
    assert shown(client.get(reverse("water:pictures"), {"flagged": "1"}).content.decode()) == [world["flagged"].pk]
    assert shown(client.get(reverse("water:pictures"), {"day": "2026-06-15", "reviewed": "0"}).content.decode())
    assert shown(client.get(reverse("water:pictures"), {"day": "2026-06-14"}).content.decode()) == []


@pytest.mark.parametrize("query", [{"day": "2026-13-01"}, {"flagged": "maybe"}, {"county": "999999"},
                                   {"page": "x"}, {"trigger": "magic"}])
def test_bad_filters_are_a_clear_400(client, world, query):
    client.force_login(world["operator"])
    assert client.get(reverse("water:pictures"), query).status_code == 400


def test_the_image_is_the_real_jpeg_for_those_in_scope_only(client, world, media):
    client.force_login(world["operator"])
    response = client.get(reverse("water:picture_image", args=[world["latest"].pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    body = b"".join(response.streaming_content)
    assert body == (media / world["latest"].image.name).read_bytes()
    with Image.open(io.BytesIO(body)) as image:
        assert image.format == "JPEG"
    assert client.get(reverse("water:picture_image", args=[world["city"].pk])).status_code == 404
    assert client.get(reverse("water:picture", args=[world["city"].pk])).status_code == 404
    client.force_login(world["worker"])  # no water.evidence.read
    assert client.get(reverse("water:picture_image", args=[world["latest"].pk])).status_code == 403


def test_flag_review_and_attach_from_the_pages(client, world):
    picture = world["latest"]
    terminal = picture.terminal
    alarm = Alarm.objects.create(terminal=terminal, well=terminal.well, kind="door_open", severity="major",
                                 state="open", raised_at=at(9))
    order = WorkOrder.objects.create(kind="site_check", well=terminal.well, due_on=at(10).date())
    client.force_login(world["operator"])
    url = reverse("water:picture", args=[picture.pk])
    listing = reverse("water:pictures") + "?reviewed=0"
    response = client.post(url, {"action": "flag", "flag-reason": "表计遮挡", "next": listing})
    assert response.status_code == 302 and response["Location"] == listing
    assert client.post(url, {"action": "review"}).status_code == 302
    assert client.post(url, {"action": "attach_alarm", "attach_alarm-alarm": str(alarm.pk)}).status_code == 302
    assert client.post(url, {"action": "attach_work_order", "attach_work_order-work_order": order.pk}
                       ).status_code == 302
    picture.refresh_from_db()
    assert (picture.flagged, picture.flag_reason, picture.reviewed_by, picture.alarm, picture.work_order) == (
        True, "表计遮挡", world["operator"], alarm, order)
    assert AuditEntry.objects.filter(action__startswith="water.picture.").count() == 4
    # the review list now shows it first; the alarm page shows it as evidence
    assert shown(client.get(reverse("water:pictures")).content.decode())[0] == picture.pk
    alarm_page = client.get(reverse("water:alarm", args=[alarm.pk])).content.decode()
    assert reverse("water:picture_image", args=[picture.pk]) in alarm_page and "表计遮挡" in alarm_page
    # an alarm of another well is not offered: refused with the form shown again
    other = Alarm.objects.create(terminal=world["flagged"].terminal, well=world["flagged"].terminal.well,
                                 kind="door_open", severity="major", state="open", raised_at=at(9))
    assert client.post(url, {"action": "attach_alarm", "attach_alarm-alarm": str(other.pk)}).status_code == 400
    assert client.post(url, {"action": "flag", "flag-reason": ""}).status_code == 400
    assert client.post(url, {"action": "explode"}).status_code == 400


def test_actions_need_the_review_right_and_the_scope(client, world):
    url = reverse("water:picture", args=[world["latest"].pk])
    client.force_login(world["viewer"])
    assert client.get(reverse("water:pictures")).status_code == 403  # township viewers read no evidence
    assert client.post(url, {"action": "review"}).status_code == 403
    client.force_login(world["operator"])
    city = reverse("water:picture", args=[world["city"].pk])
    assert client.post(city, {"action": "flag", "flag-reason": "管路改动"}).status_code == 404
    world["city"].refresh_from_db()
    assert not world["city"].flagged


def test_the_policy_page_saves_shows_and_deletes_a_county_policy(client, world):
    client.force_login(world["operator"])
    url = reverse("water:picture_policies")
    assert client.get(url).status_code == 200
    response = client.post(url, {"action": "save", "region": "652323", "enabled": "on", "times": "10:00，16:00",
                                 "alarm_kinds": ["door_open", "meter_fault"]})
    assert response.status_code == 302
    policy = PicturePolicy.objects.get(region_id="652323")
    assert (policy.times, policy.alarm_kinds) == (["10:00", "16:00"], ["door_open", "meter_fault"])
    page = client.get(url, {"region": "652323"}).content.decode()
    assert "10:00、16:00" in page and "柜门打开、计量设备故障" in page
    assert client.post(url, {"action": "save", "region": "652323", "times": "25:00"}).status_code == 400
    assert client.post(url, {"action": "save", "region": "652301", "times": "10:00"}).status_code == 400  # 昌吉市
    assert client.post(url, {"action": "delete", "region": "652323"}).status_code == 302
    assert not PicturePolicy.objects.exists()
    assert AuditEntry.objects.filter(action__startswith="water.picture.policy").count() == 2
    client.force_login(world["viewer"])
    assert client.post(url, {"action": "save", "region": "652323", "times": "10:00"}).status_code == 403
