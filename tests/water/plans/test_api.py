"""The plans API: scoped lists, upserts with the balance warning, county targets, roles."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from changji.core.models import ApiToken, Region
from changji.water.models import AnnualPlan, CountyWaterTarget
from changji.water.plans import service


def api_client(user) -> Client:
    _, raw = ApiToken.issue(user, "t")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_list_is_scoped_and_filtered(make_licence, operator):
    own, other = make_licence(), make_licence(county="652301")
    service.save_plan(own, 2026, 1000, None, "", "test")
    service.save_plan(other, 2026, 2000, None, "", "test")
    service.save_plan(own, 2027, 3000, None, "", "test")
    client = api_client(operator)
    items = client.get("/api/water/plans").json()["items"]
    assert {i["licence_number"] for i in items} == {own.number}
    assert [i["volume_m3"] for i in client.get("/api/water/plans?year=2027").json()["items"]] == [3000]
    assert client.get(f"/api/water/plans?licence={other.pk}").json()["items"] == []
    assert client.get("/api/water/plans?region=652301").status_code == 404
    assert client.get("/api/water/plans?year=99999").status_code == 422


def test_post_upserts_and_returns_the_balance_warning(make_licence, operator):
    service.save_county_target(Region.objects.get(code="652323"), 2026, 50_000, None, "", "test")
    licence = make_licence()
    client = api_client(operator)
    response = post(client, "/api/water/plans", {"licence_id": licence.pk, "year": 2026, "volume_m3": 40_000})
    assert response.status_code == 200, response.content
    assert response.json()["balance"]["over"] is False and response.json()["plan"]["monthly_m3"][0] == 0
    response = post(client, "/api/water/plans", {"licence_id": licence.pk, "year": 2026, "volume_m3": 60_000,
                                                 "monthly_m3": [5000] * 12, "note": "调增"})
    body = response.json()
    assert body["balance"]["over"] is True and "超过用水总量控制指标" in body["balance"]["warning"]
    assert AnnualPlan.objects.get().volume_m3 == 60_000
    balance = client.get("/api/water/plans/balance?year=2026").json()
    assert balance[0]["region"] == "652323" and balance[0]["over"] is True


def test_post_refusals(make_licence, operator):
    licence, other = make_licence(), make_licence(county="652301")
    client = api_client(operator)
    response = post(client, "/api/water/plans", {"licence_id": licence.pk, "year": 2026, "volume_m3": 500_000})
    assert response.status_code == 400 and "volume_m3" in response.json()["detail"]
    response = post(client, "/api/water/plans", {"licence_id": licence.pk, "year": 2026, "volume_m3": 1000,
                                                  "monthly_m3": [1] * 12})
    assert response.status_code == 400 and "monthly_m3" in response.json()["detail"]
    assert post(client, "/api/water/plans", {"licence_id": other.pk, "year": 2026,
                                             "volume_m3": 1}).status_code == 404
    assert post(client, "/api/water/plans", {"licence_id": licence.pk, "year": 2026, "volume_m3": 1,
                                             "monthly_m3": [1] * 3}).status_code == 422
    assert not AnnualPlan.objects.exists()


def test_viewer_reads_but_may_not_write(make_licence, viewer):
    licence = make_licence()
    client = api_client(viewer)
    assert client.get("/api/water/plans").status_code == 200
    assert client.get("/api/water/county-targets").status_code == 200
    assert post(client, "/api/water/plans", {"licence_id": licence.pk, "year": 2026,
                                             "volume_m3": 1}).status_code == 403
    assert post(client, "/api/water/county-targets", {"region": "652323", "year": 2026,
                                                      "target_m3": 1}).status_code == 403


@pytest.mark.parametrize(("region", "status"), [("652323", 200), ("652301", 404), ("652300", 404)])
def test_county_targets(operator, region, status):
    client = api_client(operator)
    response = post(client, "/api/water/county-targets", {"region": region, "year": 2026, "target_m3": 1_000_000,
                                                          "groundwater_target_m3": 600_000, "note": "州下达"})
    assert response.status_code == status
    if status == 200:
        assert CountyWaterTarget.objects.get().target_m3 == 1_000_000
        assert client.get("/api/water/county-targets?year=2026").json()[0]["region"] == "652323"
    else:
        assert not CountyWaterTarget.objects.exists()
