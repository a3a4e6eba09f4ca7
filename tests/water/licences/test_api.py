"""``/api/water/licences``: list and filters, read, create, PUT/PATCH, transition; scope and permissions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from changji.core.localtime import today
from changji.core.models import AuditEntry
from changji.water.models import Licence

BASE = "/api/water/licences"


def _body(**change):
    body = {"number": "API证", "water_user": "HTB-U1", "source": "groundwater", "purpose": "agricultural",
            "permitted_m3_per_year": 1000.0, "valid_from": "2026-01-01", "valid_to": "2029-12-31",
            "issuing_authority": "呼图壁县水利局", "wells": ["HTB-U1-W0"]}
    body.update(change)
    return body


def test_list_read_and_filters(client, world, licence):
    client.force_login(world.viewer)
    listed = client.get(BASE).json()
    assert listed["count"] == 1
    item = listed["items"][0]
    assert item["number"] == licence.number and item["water_user"] == "HTB-U1" and item["state_label"] == "有效"
    assert item["wells"] == ["HTB-U1-W0", "HTB-U1-W1", "HTB-U1-W2"] and item["region"] == "652323"
    assert client.get(f"{BASE}/{licence.pk}").json()["id"] == licence.pk
    assert client.get(BASE, {"state": "revoked"}).json()["count"] == 0
    assert client.get(BASE, {"state": "bogus"}).status_code == 400
    assert client.get(BASE, {"water_user": "HTB-U1", "region": "6523"}).json()["count"] == 1
    assert client.get(BASE, {"expiring_within_days": 30}).json()["count"] == 0
    days = (licence.valid_to - today()).days
    assert client.get(BASE, {"expiring_within_days": days}).json()["count"] == 1
    assert client.get(BASE, {"expiring_within_days": -1}).status_code == 422


def test_out_of_scope_is_404(client, world, licence):
    client.force_login(world.other_operator)
    assert client.get(BASE).json()["count"] == 0
    assert client.get(f"{BASE}/{licence.pk}").status_code == 404
    assert client.patch(f"{BASE}/{licence.pk}", {"permitted_m3_per_year": 1.0},
                        content_type="application/json").status_code == 404
    assert client.post(f"{BASE}/{licence.pk}/transition", {"to": "suspended", "reason": "x"},
                       content_type="application/json").status_code == 404
    refused = client.post(BASE, _body(), content_type="application/json")
    assert refused.status_code == 400 and "water_user" in refused.json()["detail"]


def test_create_update_and_transition(client, world):
    client.force_login(world.operator)
    created = client.post(BASE, _body(), content_type="application/json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert client.post(BASE, _body(), content_type="application/json").status_code == 400  # number taken
    patched = client.patch(f"{BASE}/{pk}", {"permitted_m3_per_year": 2000.0, "wells": ["HTB-U1-W1"]},
                           content_type="application/json")
    assert patched.status_code == 200 and patched.json()["wells"] == ["HTB-U1-W1"]
    put = client.put(f"{BASE}/{pk}", _body(valid_to=(today() + timedelta(days=400)).isoformat()),
                     content_type="application/json")
    assert put.status_code == 200 and put.json()["wells"] == ["HTB-U1-W0"]
    bad = client.patch(f"{BASE}/{pk}", {"valid_to": "2020-01-01"}, content_type="application/json")
    assert bad.status_code == 400 and "valid_to" in bad.json()["detail"]
    moved = client.post(f"{BASE}/{pk}/transition", {"to": "suspended", "reason": "整改"},
                        content_type="application/json")
    assert moved.status_code == 200 and moved.json()["state"] == "suspended"
    assert client.post(f"{BASE}/{pk}/transition", {"to": "expired", "reason": "x"},
                       content_type="application/json").status_code == 400
    assert [e.action for e in AuditEntry.objects.filter(object_id=str(pk)).order_by("at")] == [
        "water.licence.create", "water.licence.update", "water.licence.update", "water.licence.suspended"]


@pytest.mark.parametrize("who", ["viewer", "maintenance"])
def test_readers_may_not_change(client, world, licence, who):
    client.force_login(getattr(world, who))
    assert client.post(BASE, _body(number="x"), content_type="application/json").status_code == 403
    assert client.post(f"{BASE}/{licence.pk}/transition", {"to": "suspended", "reason": "x"},
                       content_type="application/json").status_code == 403
    assert Licence.objects.get().state == "valid"
