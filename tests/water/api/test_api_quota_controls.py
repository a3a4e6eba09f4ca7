"""Water API quota controls: policies, top-ups and reversals, overrides, per role and region."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from changji.core.models import AuditEntry, Role
from changji.water.models import Allocation, AllocationChange, QuotaPolicy

pytestmark = pytest.mark.django_db
BASE = "/api/water"


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def allocation_of(county) -> Allocation:
    return Allocation.objects.get(well=county.well)


def test_policies_are_listed_with_those_above_and_set_by_post_and_put(api, operator):
    QuotaPolicy.objects.create(region_id="652300", thresholds=[0.8, 0.9, 1.0])
    QuotaPolicy.objects.create(region_id="652324", thresholds=[0.5, 1.0])  # 玛纳斯: not the operator's
    response = post(api, f"{BASE}/quota-policies", {"region": "652323", "use": "domestic", "thresholds": [0.9, 1.0],
                                                    "stop_at_full": False, "notice_hours": 24})
    assert response.status_code == 200
    assert response.json()["use"] == "domestic" and response.json()["updated_by_name"] == operator.username
    response = api.put(f"{BASE}/quota-policies", json.dumps({"region": "652323", "use": "domestic",
                                                             "thresholds": [0.7, 1.0], "notice_hours": 12}),
                       content_type="application/json")
    assert response.status_code == 200 and response.json()["thresholds"] == [0.7, 1.0]
    rows = api.get(f"{BASE}/quota-policies").json()
    assert [(r["region_id"], r["use"]) for r in rows] == [("652300", ""), ("652323", "domestic")]
    assert AuditEntry.objects.filter(action="water.quota.policy").count() == 2


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"region": "652323", "thresholds": [0.9, 0.8]}, 400, "thresholds"),
    ({"region": "652323", "thresholds": [0.8, 3.0]}, 422, "thresholds"),
    ({"region": "652323", "thresholds": []}, 422, "thresholds"),
    ({"region": "652323", "thresholds": [0.8], "notice_hours": 9999}, 422, "notice_hours"),
    ({"region": "652323", "thresholds": [0.8], "use": "sewage"}, 422, "use"),
])
def test_bad_policies_name_the_field(api, fields_named, body, status, field):
    response = post(api, f"{BASE}/quota-policies", body)
    detail = response.json()["detail"]
    named = set(detail) if isinstance(detail, dict) else {str(part) for error in detail for part in error["loc"]}
    assert response.status_code == status and field in named
    assert not QuotaPolicy.objects.exists()


def test_a_policy_outside_the_region_is_not_found_and_a_viewer_is_refused(api, make_user, token_client):
    assert post(api, f"{BASE}/quota-policies", {"region": "652324", "thresholds": [0.8]}).status_code == 404
    viewer = token_client(make_user("viewer", "652323", role=Role.TOWNSHIP_VIEWER))
    assert viewer.get(f"{BASE}/quota-policies").status_code == 200
    assert post(viewer, f"{BASE}/quota-policies", {"region": "652323", "thresholds": [0.8]}).status_code == 403
    assert not QuotaPolicy.objects.exists()


def test_a_top_up_then_its_reversal(api, operator, hutubi):
    allocation = allocation_of(hutubi)
    response = post(api, f"{BASE}/allocations/{allocation.pk}/top-ups",
                    {"amount_m3": 500, "reason": "抗旱追加", "approved_by_name": "王局长"})
    assert response.status_code == 200
    change = response.json()
    assert change["approved_by_name"] == "王局长" and change["approver_id"] is None and change["amount_m3"] == 500
    state = api.get(f"{BASE}/allocations/{allocation.pk}/quota").json()
    assert state["effective_allocation_m3"] == 1500 and state["used_m3"] == 20 and state["share"] == 0.0133
    response = post(api, f"{BASE}/allocation-changes/{change['id']}/reverse", {"reason": "撤回"})
    assert response.status_code == 200 and response.json()["reverses_id"] == change["id"]
    again = post(api, f"{BASE}/allocation-changes/{change['id']}/reverse", {"reason": "再撤回"})
    assert again.status_code == 400 and "change" in again.json()["detail"]
    changes = api.get(f"{BASE}/allocations/{allocation.pk}/changes").json()
    assert [c["amount_m3"] for c in changes] == [-500, 500]
    assert api.get(f"{BASE}/allocations", {"year": 2026}).status_code == 200  # the existing read still works


def test_a_top_up_defaults_its_approver_to_the_caller_and_checks_an_approver_id(api, operator, hutubi, make_user):
    allocation = allocation_of(hutubi)
    response = post(api, f"{BASE}/allocations/{allocation.pk}/top-ups", {"amount_m3": 10, "reason": "追加"})
    assert response.json()["approver_id"] == operator.pk
    outsider = make_user("manas-op", "652324")
    response = post(api, f"{BASE}/allocations/{allocation.pk}/top-ups",
                    {"amount_m3": 10, "reason": "追加", "approver_id": outsider.pk})
    assert response.status_code == 400 and "approver_id" in response.json()["detail"]


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"amount_m3": 0, "reason": "x"}, 422, "amount_m3"), ({"amount_m3": 5, "reason": " "}, 400, "reason"),
    ({"amount_m3": 5, "reason": "x", "expires_on": "2001-01-01"}, 400, "expires_on"),
])
def test_bad_top_ups_name_the_field(api, hutubi, fields_named, body, status, field):
    response = post(api, f"{BASE}/allocations/{allocation_of(hutubi).pk}/top-ups", body)
    assert response.status_code == status and field in fields_named(response)
    assert not AllocationChange.objects.exists()


def test_an_override_and_its_revocation(api, hutubi):
    allocation = allocation_of(hutubi)
    until = (timezone.now() + timedelta(days=2)).isoformat()
    response = post(api, f"{BASE}/allocations/{allocation.pk}/override", {"until": until, "reason": "抗旱灌溉"})
    assert response.status_code == 200 and response.json()["override_reason"] == "抗旱灌溉"
    response = api.delete(f"{BASE}/allocations/{allocation.pk}/override?reason=灌溉结束")
    assert response.status_code == 200 and response.json()["override_until"] is None
    again = api.delete(f"{BASE}/allocations/{allocation.pk}/override?reason=x")
    assert again.status_code == 400
    assert api.delete(f"{BASE}/allocations/{allocation.pk}/override").status_code == 400  # no reason
    assert {e.action for e in AuditEntry.objects.filter(action__startswith="water.quota.override")} == {
        "water.quota.override", "water.quota.override_revoked"}


def test_a_naive_or_past_override_is_refused(api, hutubi):
    allocation = allocation_of(hutubi)
    for until in ("2030-01-01T00:00:00", (timezone.now() - timedelta(hours=1)).isoformat()):
        response = post(api, f"{BASE}/allocations/{allocation.pk}/override", {"until": until, "reason": "x"})
        assert response.status_code == 400 and "until" in response.json()["detail"]


def test_other_regions_allocations_are_not_found(api, manas):
    allocation = allocation_of(manas)
    assert post(api, f"{BASE}/allocations/{allocation.pk}/top-ups", {"amount_m3": 5, "reason": "x"}).status_code == 404
    assert api.get(f"{BASE}/allocations/{allocation.pk}/quota").status_code == 404
    change = AllocationChange.objects.create(allocation=allocation, amount_m3=5, reason="r", by_name="x")
    assert post(api, f"{BASE}/allocation-changes/{change.pk}/reverse", {"reason": "x"}).status_code == 404


def test_a_viewer_reads_but_may_not_top_up(make_user, token_client, hutubi):
    viewer = token_client(make_user("viewer", "652323", role=Role.TOWNSHIP_VIEWER))
    allocation = allocation_of(hutubi)
    assert viewer.get(f"{BASE}/allocations/{allocation.pk}/quota").status_code == 200
    assert post(viewer, f"{BASE}/allocations/{allocation.pk}/top-ups",
                {"amount_m3": 5, "reason": "x"}).status_code == 403
    assert not AllocationChange.objects.exists()
