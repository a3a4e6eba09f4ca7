"""The /api/water/quota-norms and /api/water/crop-plans operations: typed, scoped, audited."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from changji.core.models import ApiToken, AuditEntry
from changji.water.models import CropPlan, QuotaNorm

pytestmark = pytest.mark.django_db
BASE = "/api/water"


def api(user) -> Client:
    _, raw = ApiToken.issue(user, "t")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def send(client, method, url, body):
    return client.generic(method, url, json.dumps(body), content_type="application/json")


def test_list_filters_and_scope(world):
    client = api(world.accounts.hutubi)
    rows = client.get(f"{BASE}/quota-norms?year=2026").json()["items"]
    assert {(r["category"], r["zone"]) for r in rows} == {
        ("棉花", None), ("小麦", "652323"), ("小麦", None), ("城镇居民", None)}
    assert len(client.get(f"{BASE}/quota-norms?year=2026&zone=prefecture&kind=crop&method=drip").json()["items"]) == 2
    assert client.get(f"{BASE}/quota-norms?kind=forestry").status_code == 422
    assert client.get(f"{BASE}/quota-norms?year=99999").status_code == 422
    assert len(api(world.accounts.pref).get(f"{BASE}/quota-norms").json()["items"]) == QuotaNorm.objects.count()


def test_create_patch_delete_audited_and_refused_outside_the_editors_zones(world):
    county = api(world.accounts.hutubi)
    body = {"year": 2026, "kind": "crop", "category": "葡萄", "zone": "652323", "method": "drip", "value": 390,
            "unit": "m³/亩"}
    created = send(county, "POST", f"{BASE}/quota-norms", body)
    assert created.status_code == 201 and created.json()["zone"] == "652323"
    refused = send(county, "POST", f"{BASE}/quota-norms", {**body, "zone": None})
    assert refused.status_code == 400 and "region" in refused.json()["detail"]
    bad = send(county, "POST", f"{BASE}/quota-norms", {**body, "category": "苜蓿", "value": -1})
    assert bad.status_code == 400 and "value" in bad.json()["detail"]
    norm_id = created.json()["id"]
    patched = send(county, "PATCH", f"{BASE}/quota-norms/{norm_id}", {"value": 370})
    assert patched.status_code == 200 and patched.json()["value"] == 370
    assert send(county, "PATCH", f"{BASE}/quota-norms/{world.norms.cotton_2026.pk}", {"value": 1}).status_code == 400
    assert send(county, "PATCH", f"{BASE}/quota-norms/{world.norms.maize_manas_2026.pk}",
                {"value": 1}).status_code == 404
    assert county.delete(f"{BASE}/quota-norms/{norm_id}").status_code == 204
    assert sorted(AuditEntry.objects.filter(action__startswith="water.norm").values_list("action", flat=True)) == [
        "water.norm.create", "water.norm.delete", "water.norm.update"]
    viewer = api(world.accounts.viewer)
    assert viewer.get(f"{BASE}/quota-norms").status_code == 200
    assert send(viewer, "POST", f"{BASE}/quota-norms", body).status_code == 403


def test_crop_plans_by_user_and_year(world):
    county = api(world.accounts.hutubi)
    body = {"water_user_id": world.users.hutubi.pk, "year": 2026, "crop": "棉花", "area_mu": 50, "method": "drip"}
    created = send(county, "POST", f"{BASE}/crop-plans", body)
    assert created.status_code == 201 and created.json()["area_mu"] == 50
    assert send(county, "POST", f"{BASE}/crop-plans", {**body, "water_user_id": world.users.manas.pk}).status_code \
        == 404
    assert send(county, "POST", f"{BASE}/crop-plans", {**body, "crop": "小麦", "area_mu": 0}).status_code == 400
    CropPlan.objects.create(water_user=world.users.manas, year=2026, crop="棉花", area_mu=1, method="drip")
    rows = county.get(f"{BASE}/crop-plans?year=2026").json()["items"]
    assert [r["water_user_id"] for r in rows] == [world.users.hutubi.pk]
    assert county.get(f"{BASE}/crop-plans?water_user_id={world.users.hutubi.pk}&year=2025").json()["items"] == []
    assert AuditEntry.objects.filter(action="water.crop_plan.create").count() == 1


def test_a_crop_plan_cannot_borrow_another_countys_norms(world):
    """A zone outside the caller's scope is refused: its own rows (玛纳斯's 玉米 330) are not theirs to see."""
    county = api(world.accounts.hutubi)
    body = {"water_user_id": world.users.hutubi.pk, "year": 2026, "crop": "玉米", "area_mu": 1, "method": "drip",
            "zone": "652324"}
    refused = send(county, "POST", f"{BASE}/crop-plans", body)
    assert refused.status_code == 400 and "管辖范围" in refused.content.decode("unicode_escape")
    assert not CropPlan.objects.filter(crop="玉米").exists()
