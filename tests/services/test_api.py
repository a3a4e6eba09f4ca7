"""The services JSON API (``/api/services/``): the public catalogue, the window's cases, the inbox, statistics.

Each operation answers like the page it mirrors: the same permission, the same region scope (an object of
another region is a 404), and no applicant's identity number, phone or query code in any answer.
"""

from __future__ import annotations

import pytest

from changji.core.models import ApiToken
from changji.services import cases
from changji.services.cases import Applicant
from changji.services.models import Bundle, BundleStatus, Department, SubCase
from tests.services.test_cases import ANSWERS, MATERIALS, MONDAY, USCC
from tests.water.test_url_scope import fill, routes

pytestmark = pytest.mark.django_db

PHONE = "13800000000"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def accepted(restaurant, staff):
    """A restaurant case of 阜康市 (652302), accepted at the window: one sub-case per item."""
    clerk, _ = staff
    case = cases.submit(restaurant, Applicant("enterprise", "阜康市老王餐饮有限公司", USCC, PHONE), "window",
                        ANSWERS, MATERIALS, by=clerk, now=MONDAY)
    cases.accept(case, clerk, now=MONDAY)
    case.refresh_from_db()
    return case


def _bearer(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user, 'test')[1]}"}


def test_the_catalogue_is_public_and_shows_published_bundles_only(client, restaurant):
    draft = Bundle.objects.create(code="YJS-DRAFT", name="草稿一件事", category=restaurant.category,
                                  region=restaurant.region, lead_department=restaurant.lead_department,
                                  status=BundleStatus.DRAFT)
    listed = client.get("/api/services/bundles")
    assert listed.status_code == 200
    codes = {b["code"] for b in listed.json()["items"]}
    assert "YJS-CY" in codes and "YJS-DRAFT" not in codes
    one = client.get(f"/api/services/bundles/{restaurant.pk}").json()
    assert one["name"] == restaurant.name and one["lead_department"] == restaurant.lead_department.name
    assert [item["code"] for item in one["items"]] == [link.item.code for link in
                                                      restaurant.bundle_items.order_by("position")]
    assert {m["code"] for m in one["materials"]} >= set(MATERIALS)
    assert client.get(f"/api/services/bundles/{draft.pk}").status_code == 404
    assert client.get("/api/services/bundles?category=nonsense").status_code == 422


def test_the_window_reads_its_cases_without_personal_identifiers(client, staff, accepted):
    clerk, _ = staff
    headers = _bearer(clerk)
    queue = client.get("/api/services/cases?state=accepted", **headers)
    assert queue.status_code == 200
    assert [c["receipt_number"] for c in queue.json()["items"]] == [accepted.receipt_number]
    detail = client.get(f"/api/services/cases/{accepted.pk}", **headers)
    body = detail.json()
    assert body["state"] == "accepted" and body["state_label"] == "审批中"
    assert len(body["sub_cases"]) == accepted.sub_cases.count()
    assert [e["to_state"] for e in body["events"]][:2] == ["submitted", "accepted"]
    for secret in (USCC, PHONE, accepted.query_code):
        assert secret not in detail.content.decode()
    assert client.get("/api/services/cases", **headers).json()["count"] == 0  # nothing waiting at the window


def test_a_reviewer_reads_only_the_sub_cases_of_their_departments(client, staff, accepted):
    _, reviewers = staff
    own = SubCase.objects.filter(case=accepted, department__code="652302-SCJG")
    other = SubCase.objects.exclude(department__code="652302-SCJG").filter(case=accepted).first()
    headers = _bearer(reviewers["SCJG"])
    inbox = client.get("/api/services/sub-cases", **headers).json()
    assert {s["id"] for s in inbox["items"]} == set(own.values_list("pk", flat=True))
    first = inbox["items"][0]
    assert first["department_code"] == "652302-SCJG" and first["state"] == "pending"
    assert first["warning"] in ("green", "yellow", "red")
    assert client.get(f"/api/services/sub-cases/{other.pk}", **headers).status_code == 404
    assert client.get("/api/services/sub-cases?state=approved", **headers).json()["count"] == 0
    assert client.get("/api/services/sub-cases?state=bogus", **headers).status_code == 422


def test_statistics_of_the_users_region(client, make_user, accepted):
    officer = make_user("stats", "652302", role="prefecture_admin")
    response = client.get("/api/services/statistics?first=2026-01-01&last=2026-12-31", **_bearer(officer))
    assert response.status_code == 200
    stats = response.json()
    assert stats["region"] == "652302" and stats["total"]["cases"] == 1
    assert [row["code"] for row in stats["bundles"]] == ["YJS-CY"] and len(stats["months"]) == 12
    bad = client.get("/api/services/statistics?first=2026-12-31&last=2026-01-01", **_bearer(officer))
    assert bad.status_code == 400 and "last" in bad.json()["detail"]


@pytest.mark.parametrize(("role", "url"), [("window_clerk", "/api/services/sub-cases"),
                                           ("department_reviewer", "/api/services/cases"),
                                           ("grid_worker", "/api/services/statistics")])
def test_roles_without_the_permission_are_refused(client, make_user, role, url):
    assert client.get(url, **_bearer(make_user(f"no-{role}", "652302", role=role))).status_code == 403
    assert client.get(url).status_code == 401


def test_every_services_api_route_refuses_another_regions_objects(client, make_user, accepted):
    """Staff of 昌吉市 (652301) with every services permission ask each route for 阜康市's objects.

    Each answers 404, and the lists never show its receipt number.
    """
    sub = SubCase.objects.filter(case=accepted).first()
    ids = {"case_id": accepted.pk, "sub_case_id": sub.pk, "bundle_id": accepted.bundle_id,
           "department_code": sub.department.code, "item_code": sub.item.code, "material_code": "id"}
    outsiders = [make_user("changji-clerk", "652301", role="window_clerk"),
                 make_user("changji-reviewer", "652301", role="department_reviewer")]
    Department.objects.create(code="652301-SCJG", name="市场监督管理局", region_id="652301").reviewers.add(outsiders[1])
    checked = 0
    for route, name in routes(prefixes=("api/services/",)):
        if "bundle" in route:  # the public catalogue: every region's published bundles
            continue
        if "queue/" in route:  # the hall's numbers: tests/services/web/test_queue_pages.py (POST calls, public takes)
            continue
        for user in outsiders:
            headers = _bearer(user)
            if "<" in route:
                response = client.get(fill(route, ids), **headers)
                assert response.status_code in (403, 404, 405), f"{name}: answered {response.status_code} to {user}"
            else:
                for query in ("", "?state=accepted", "?state=all"):
                    response = client.get("/" + route + query, **headers)
                    # 405: a POST-only route (the catalogue import)
                    assert response.status_code in (200, 403, 405, 422), f"{name}{query}: {response.status_code}"
                    assert accepted.receipt_number.encode() not in response.content, f"{name} shows the case"
            checked += 1
    assert checked >= 8
