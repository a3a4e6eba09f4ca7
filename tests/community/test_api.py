"""The community JSON API (``/api/community/``): grids, resident issues and micro-wishes, in the user's scope.

A grid worker reads their grid, a community worker their community, a street officer the street; an object
outside scope is a 404; no reporter's name, phone or e-mail and no resident appears in any answer.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.utils import timezone

from changji.community.issues import categories, intake
from changji.community.models import GridPartyOrganisation, IssueCategory, Liaison, MicroWish
from changji.core.models import ApiToken
from tests.urlwalk import seed_meeting
from tests.water.test_url_scope import fill, routes

pytestmark = pytest.mark.django_db

IN_A = (90.285, 43.835)  # grid A of the test town (tests/conftest.py)
IN_C = (90.275, 43.835)  # grid C
PHONE = "13912345678"


@pytest.fixture
def filed(community_world):
    """An issue in grid A and one in grid C, and a published wish in grid A."""
    categories.seed_categories()
    category = IssueCategory.objects.get(code="property")
    now = timezone.now()
    a = intake.report(category, "电梯经常停运", lon=IN_A[0], lat=IN_A[1], reporter_name="王五", reporter_phone=PHONE,
                      reporter_email="wang@example.com", now=now)
    c = intake.report(category, "路灯不亮", lon=IN_C[0], lat=IN_C[1], now=now)
    wish = MicroWish.objects.create(region=community_world.grid_a.region, resident=community_world.zhang,
                                    title="陪同就医", posted_at=now - timedelta(hours=1), state="published",
                                    published_at=now)
    return a, c, wish


def _bearer(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user, 'test')[1]}"}


def test_a_grid_worker_reads_their_grid_only(client, community_world, filed):
    a, c, wish = filed
    headers = _bearer(community_world.users.grid_a)
    grids = client.get("/api/community/grids", **headers).json()
    assert [g["code"] for g in grids] == [community_world.grid_a.region_id]
    assert grids[0]["counts"]["residents"] == 2 and grids[0]["counts"]["open_issues"] == 1
    assert grids[0]["boundary"]["type"] == "Polygon"
    listed = client.get("/api/community/issues", **headers).json()
    assert [i["request_id"] for i in listed["items"]] == [a.request_id]
    assert client.get(f"/api/community/issues/{c.pk}", **headers).status_code == 404
    assert [w["id"] for w in client.get("/api/community/wishes", **headers).json()["items"]] == [wish.pk]


def test_an_issue_shows_its_handling_and_the_users_actions_but_no_reporter(client, community_world, filed):
    a, _, _ = filed
    response = client.get(f"/api/community/issues/{a.pk}", **_bearer(community_world.users.grid_a))
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "reported" and body["level"] == "grid" and body["light"] == "green"
    assert body["category"] == "property" and body["region_id"] == community_world.grid_a.region_id
    assert "accept" in body["actions"] and body["events"][0]["kind"] == "state"
    text = response.content.decode()
    for secret in ("王五", PHONE, "wang@example.com"):
        assert secret not in text


def test_the_street_officer_sees_the_street_and_filters(client, community_world, filed):
    a, c, _ = filed
    headers = _bearer(community_world.users.street)
    everything = client.get("/api/community/issues", **headers).json()
    assert {i["id"] for i in everything["items"]} == {a.pk, c.pk}
    assert client.get("/api/community/issues?view=inbox", **headers).json()["count"] == 0  # both at the grid rung
    assert client.get("/api/community/issues?level=street", **headers).json()["count"] == 0
    assert client.get("/api/community/issues?state=reported&category=property", **headers).json()["count"] == 2
    assert client.get("/api/community/issues?state=bogus", **headers).status_code == 422
    assert len(client.get("/api/community/grids", **headers).json()) == 3


def test_a_wish_carries_no_resident(client, community_world, filed):
    _, _, wish = filed
    response = client.get(f"/api/community/wishes/{wish.pk}", **_bearer(community_world.users.east))
    assert response.json()["state_label"] == "待认领" and response.json()["claimed_by"] is None
    assert "张三" not in response.content.decode()


def test_staff_of_other_apps_are_refused_and_anonymous_must_authenticate(client, make_user):
    clerk = make_user("clerk", "652328", role="window_clerk")
    for url in ("/api/community/grids", "/api/community/issues", "/api/community/wishes"):
        assert client.get(url, **_bearer(clerk)).status_code == 403
        assert client.get(url).status_code == 401


def test_every_community_api_route_refuses_objects_outside_scope(client, community_world, filed):
    """The grid worker of grid C asks each route for grid A's objects: 404; lists never show them."""
    a, _, wish = filed
    headers = _bearer(community_world.users.grid_c)
    liaison = Liaison.objects.create(region=community_world.grid_a.region, kind="cadre", name="东城干部",
                                     starts_on=date(2026, 1, 1))
    organisation = GridPartyOrganisation.objects.get(name="东城社区第一网格党支部")
    ids = {"issue_id": a.pk, "wish_id": wish.pk, "liaison_id": liaison.pk, "organisation_id": organisation.pk,
           **{k: v[0] for k, v in seed_meeting(community_world.east, timezone.now(), issue=a).items()}}
    checked = 0
    for route, name in routes(prefixes=("api/community/",)):
        if "<" in route:
            response = client.get(fill(route, ids), **headers)
            if response.status_code == 405:  # an action: POST it (a valid body, so only scope can refuse)
                body = json.dumps({"done_on": f"{timezone.localdate()}"})
                response = client.post(fill(route, ids), body, content_type="application/json", **headers)
            assert response.status_code == 404, f"{name}: {response.status_code}"
        else:
            response = client.get("/" + route, **headers)
            assert response.status_code == 200, f"{name}: {response.status_code}"
            for shown in (a.request_id, "陪同就医", community_world.grid_a.region_id):
                assert shown not in response.content.decode() or name == "community_index", (name, shown)
        checked += 1
    assert checked >= 5
