"""The pictures API: list (filters, latest per well, flagged first), flag/review/attach, policy CRUD; scoped."""

from __future__ import annotations

from datetime import datetime

import pytest

from changji.core.models import AuditEntry, Role
from changji.water.models import Alarm, PicturePolicy, WorkOrder
from changji.water.pictures.schedule import SHANGHAI

pytestmark = pytest.mark.django_db
BASE = "/api/water"


def at(hour: int) -> datetime:
    return datetime(2026, 6, 15, hour, tzinfo=SHANGHAI)


@pytest.fixture
def token_client():
    """Return a factory: a test Client that sends a fresh bearer token of ``user``."""
    from django.test import Client

    from changji.core.models import ApiToken

    def make(user) -> Client:
        _, raw = ApiToken.issue(user, "t")
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return make


@pytest.fixture
def world(make_terminal, make_picture, make_user):
    hutubi = make_terminal("6523230001", county="652323")
    city = make_terminal("6523010001", county="652301")
    return {
        "old": make_picture(hutubi, at(8), flagged=True, flag_reason="表计遮挡"),
        "latest": make_picture(hutubi, at(10)),
        "city": make_picture(city, at(11)),
        "operator": make_user("op-652323", "652323", Role.COUNTY_OPERATOR),
        "worker": make_user("worker-652323", "652323", Role.MAINTENANCE_WORKER),
    }


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["items"]]


def test_list_is_scoped_filtered_and_flagged_first(token_client, world):
    api = token_client(world["operator"])
    assert ids(api.get(f"{BASE}/pictures")) == [world["old"].pk, world["latest"].pk]
    assert ids(api.get(f"{BASE}/pictures", {"latest": "true"})) == [world["latest"].pk]
    assert ids(api.get(f"{BASE}/pictures", {"flagged": "false"})) == [world["latest"].pk]
    assert ids(api.get(f"{BASE}/pictures", {"day": "2026-06-14"})) == []
    row = api.get(f"{BASE}/pictures/{world['latest'].pk}").json()
    assert row["well"] == "652323-30001" and row["trigger"] == "terminal" and row["image_url"].endswith("image.jpg")
    assert api.get(f"{BASE}/pictures/{world['city'].pk}").status_code == 404
    assert api.get(f"{BASE}/pictures", {"flagged": "maybe"}).status_code == 400
    assert api.get(f"{BASE}/pictures", {"trigger": "magic"}).status_code == 400
    assert token_client(world["worker"]).get(f"{BASE}/pictures").status_code == 403


def test_flag_review_attach_through_the_api(token_client, world):
    api = token_client(world["operator"])
    picture = world["latest"]
    terminal = picture.terminal
    flagged = api.post(f"{BASE}/pictures/{picture.pk}/flag", {"reason": "无人值守异常"},
                       content_type="application/json")
    assert flagged.status_code == 200 and flagged.json()["flagged"] is True
    reviewed = api.post(f"{BASE}/pictures/{picture.pk}/review")
    assert reviewed.json()["reviewed_by"] == "op-652323"
    alarm = Alarm.objects.create(terminal=terminal, well=terminal.well, kind="door_open", severity="major",
                                 state="open", raised_at=at(9))
    order = WorkOrder.objects.create(kind="site_check", well=terminal.well, due_on=at(9).date())
    attached = api.post(f"{BASE}/pictures/{picture.pk}/attach", {"alarm_id": str(alarm.pk), "work_order_id": order.pk},
                        content_type="application/json").json()
    assert (attached["alarm_id"], attached["work_order_id"]) == (str(alarm.pk), order.pk)
    assert list(order.pictures.all()) == [picture]
    city_alarm = Alarm.objects.create(terminal=world["city"].terminal, kind="door_open", severity="major",
                                      state="open", raised_at=at(9))
    refused = api.post(f"{BASE}/pictures/{picture.pk}/attach", {"alarm_id": str(city_alarm.pk)},
                       content_type="application/json")
    assert refused.status_code == 400 and "alarm_id" in refused.json()["detail"]
    detached = api.post(f"{BASE}/pictures/{picture.pk}/attach", {"detach_alarm": True},
                        content_type="application/json").json()
    assert detached["alarm_id"] is None and detached["work_order_id"] == order.pk
    assert api.post(f"{BASE}/pictures/{picture.pk}/unflag", {}, content_type="application/json").json()[
        "flagged"] is False
    assert api.post(f"{BASE}/pictures/{world['city'].pk}/flag", {"reason": "x"},
                    content_type="application/json").status_code == 404
    assert api.post(f"{BASE}/pictures/{picture.pk}/flag", {"reason": " "},
                    content_type="application/json").status_code == 400
    assert AuditEntry.objects.filter(action__startswith="water.picture.").count() == 6  # attach: one per link


def test_policy_crud(token_client, world):
    api = token_client(world["operator"])
    body = {"enabled": True, "times": ["10:00"], "alarm_kinds": ["door_open", "ac_power_lost"]}
    created = api.put(f"{BASE}/picture-policies/652323", body, content_type="application/json")
    assert created.status_code == 201 and created.json()["times"] == ["10:00"]
    changed = api.put(f"{BASE}/picture-policies/652323", {**body, "times": ["16:00", "09:30"]},
                      content_type="application/json")
    assert changed.status_code == 200 and changed.json()["times"] == ["09:30", "16:00"]
    assert [row["region"] for row in api.get(f"{BASE}/picture-policies").json()] == ["652323"]
    assert api.get(f"{BASE}/picture-policies/652323").json()["alarm_kinds"] == ["door_open", "ac_power_lost"]
    assert api.put(f"{BASE}/picture-policies/652323", {"times": ["99:00"]},
                   content_type="application/json").status_code == 400
    assert api.put(f"{BASE}/picture-policies/652301", body, content_type="application/json").status_code == 404
    assert api.delete(f"{BASE}/picture-policies/652323").status_code == 204
    assert not PicturePolicy.objects.exists()
    assert api.get(f"{BASE}/picture-policies/652323").status_code == 404
    assert token_client(world["worker"]).put(f"{BASE}/picture-policies/652323", body,
                                             content_type="application/json").status_code == 403
