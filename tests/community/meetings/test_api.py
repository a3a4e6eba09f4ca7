"""The 四方联动 API: recording the three-issue meeting, scope, refusals, listing and completing decisions."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from changji.community.models import AgreedAction, CoordinationMeeting
from tests.community.meetings.conftest import FOUR
from tests.community.test_api import _bearer

pytestmark = pytest.mark.django_db

URL = "/api/community/meetings/"


def _post(client, url, body, user):
    return client.post(url, json.dumps(body), content_type="application/json", **_bearer(user))


def _body(world, issues, **extra):
    today = timezone.localdate()
    return {"community": world.east.code, "held_at": (timezone.now() - timedelta(hours=3)).isoformat(),
            "place": "东城社区党群服务中心", "minutes": "月度例会", **FOUR,
            "agenda": [{"request_id": issues.lift.request_id, "outcome": "物业限期整改"},
                       {"request_id": issues.rubbish.request_id}, {"request_id": issues.road.request_id}],
            "decisions": [{"description": "更换电梯控制板", "owner": "天山物业",
                           "due_on": f"{today + timedelta(days=7)}", "request_id": issues.lift.request_id},
                          {"description": "公示议定事项", "owner": "东城社区党委", "due_on": f"{today}"}], **extra}


def test_recording_and_reading_a_meeting_of_three_issues_from_two_grids(client, community_world, issues):
    world = community_world
    answer = _post(client, URL, _body(world, issues), world.users.east)
    assert answer.status_code == 201, answer.content
    made = answer.json()
    assert made["community"] == world.east.code and made["agenda_count"] == 3 and made["quorum"] == "四方到齐"
    assert {item["grid"] for item in made["agenda"]} == {world.grid_a.region_id, world.grid_b.region_id}
    assert [d["request_id"] for d in made["decisions"]] == [None, issues.lift.request_id]
    listed = client.get(URL, **_bearer(world.users.street)).json()
    assert listed["count"] == 1 and listed["items"][0]["open_count"] == 2
    assert client.get(f"{URL}?open_decisions=false", **_bearer(world.users.street)).json()["count"] == 0
    assert client.get(f"{URL}?community={world.west.code}", **_bearer(world.users.street)).json()["count"] == 0
    assert client.get(f"{URL}{made['id']}", **_bearer(world.users.grid_c)).status_code == 404
    decision = made["decisions"][0]["id"]
    done = _post(client, f"{URL}actions/{decision}/complete", {"done_on": f"{timezone.localdate()}", "note": "已公示"},
                 world.users.east)
    assert done.status_code == 200 and done.json()["done_note"] == "已公示"
    assert client.get(f"{URL}actions?status=done", **_bearer(world.users.east)).json()["count"] == 1
    again = _post(client, f"{URL}actions/{decision}/complete", {"done_on": f"{timezone.localdate()}"},
                  world.users.east)
    assert again.status_code == 400 and "done_on" in again.json()["detail"]


def test_refusals(client, community_world, issues):
    world = community_world
    three = _body(world, issues, property_attendee="")
    answer = _post(client, URL, three, world.users.east)
    assert answer.status_code == 400 and "absence_reason" in answer.json()["detail"]
    answer = _post(client, URL, {**_body(world, issues), "decisions": [],
                                 "agenda": [{"request_id": issues.lift.request_id},
                                            {"request_id": issues.west.request_id}]}, world.users.street)
    assert answer.status_code == 400 and "不属于东城社区" in answer.json()["detail"]["agenda"][0]
    answer = _post(client, URL, _body(world, issues), world.users.grid_a)  # the grid's worker: not their community
    assert answer.status_code == 400 and "community" in answer.json()["detail"]
    answer = _post(client, URL, _body(world, issues, community=world.west.code), world.users.east)
    assert answer.status_code == 400
    answer = _post(client, URL, _body(world, issues, held_at="2026-03-01T10:00:00"), world.users.east)  # no zone
    assert answer.status_code == 400 and "held_at" in answer.json()["detail"]
    assert client.get(f"{URL}?first=0001-01-01", **_bearer(world.users.east)).status_code == 400
    assert client.get(f"{URL}actions?status=late", **_bearer(world.users.east)).status_code == 422
    assert not CoordinationMeeting.objects.exists() and not AgreedAction.objects.exists()
    answer = _post(client, URL, {**three, "absence_reason": "物业经理外出培训"}, world.users.east)
    assert answer.status_code == 201 and answer.json()["quorum"] == "物业缺席：物业经理外出培训"
