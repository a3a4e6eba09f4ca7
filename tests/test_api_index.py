"""``/api/`` answers with an index: each app's root (which lists its operations), the document, the docs, versions."""

from __future__ import annotations

from importlib.metadata import version

import pytest


def test_the_index_is_public_and_points_everywhere(client):
    response = client.get("/api/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    index = response.json()
    assert index["openapi"] == "/api/openapi.json" and index["docs"] == "/api/docs"
    assert index["api_version"] == "1" and index["platform_version"] == version("changji")
    assert [app["name"] for app in index["apps"]] == ["water", "services", "community"]
    assert [app["root"] for app in index["apps"]] == ["/api/water/", "/api/services/", "/api/community/"]
    assert index["apps"][0]["title"] == "井电双控 地下水取用水监管"
    assert index["open311"] == "/open311/v2/discovery.json"
    for url in (index["openapi"], index["docs"], index["open311"]):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("name", ["water", "services", "community"])
def test_each_app_root_lists_its_operations(client, name):
    response = client.get(f"/api/{name}/")
    assert response.status_code == 200
    root = response.json()
    assert root["name"] == name and root["root"] == f"/api/{name}/"
    paths = {op["path"] for op in root["operations"]}
    assert paths and all(path.startswith((f"/api/{name}/", "/open311/v2/")) for path in paths)
    document = client.get("/api/openapi.json").json()
    for op in root["operations"]:
        assert document["paths"][op["path"]][op["method"].lower()]["operationId"] == op["operation_id"]


def test_the_community_root_lists_open311_too(client):
    paths = {op["path"] for op in client.get("/api/community/").json()["operations"]}
    assert {"/api/community/issues", "/open311/v2/requests.json"} <= paths


def test_unknown_api_paths_are_404_json(client):
    response = client.get("/api/nothing/")
    assert response.status_code == 404
