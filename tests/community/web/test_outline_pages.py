"""The outlines on the maps: the public report map's endpoint and the grid map's data, scoped."""

from __future__ import annotations

import json

import pytest
from shapely.geometry import box, mapping

from changji.community.grids.outline_register import import_outlines

pytestmark = pytest.mark.django_db

URL = "/community/report/outlines.json"


def polygon(west: float, south: float, east: float, north: float) -> dict:
    return json.loads(json.dumps(mapping(box(west, south, east, north))))


@pytest.fixture
def drawn(community_world):
    """幸福小区 (grid A, 东城) and 和谐小区 (grid C, 西城) with walls; 幸福小区's 1号楼 drawn too."""
    result = import_outlines({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": polygon(90.284, 43.834, 90.286, 43.836),
         "properties": {"compound": "幸福小区"}},
        {"type": "Feature", "geometry": polygon(90.2845, 43.8348, 90.2851, 43.835),
         "properties": {"compound": "幸福小区", "building": "1号楼"}},
        {"type": "Feature", "geometry": polygon(90.274, 43.834, 90.276, 43.836),
         "properties": {"compound": "和谐小区"}},
    ]})
    assert result.ok, str(result)
    return community_world


def test_the_public_outlines_are_names_and_shapes_without_personal_data(client, drawn):
    response = client.get(URL)
    assert response.status_code == 200
    data = response.json()
    assert [row[1] for row in data["compounds"]] == ["幸福小区", "和谐小区"]
    assert data["buildings"][0][:2] == [0, "1号楼"]
    body = response.content.decode()
    for private in ("张三", "李四", "1-101", "13912345678", "652328199001011234", "业主委员会"):
        assert private not in body
    assert "public" in response["Cache-Control"] and "max-age=600" in response["Cache-Control"]
    again = client.get(URL, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again.content == b""


def test_the_public_outlines_are_gzipped_and_revalidate_with_the_weak_etag(client, drawn):
    response = client.get(URL, HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    assert client.get(URL, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_bbox_keeps_the_compounds_inside_it(client, drawn):
    data = client.get(URL, {"bbox": "90.27,43.83,90.28,43.84"}).json()
    assert [row[1] for row in data["compounds"]] == ["和谐小区"]
    assert data["buildings"] == []


@pytest.mark.parametrize("bbox", ["90.28,43.83,90.27,43.84", "a,b,c,d", "90.27,43.83,90.28", "1e3,0,1,1",
                                  "-181,0,1,1"])
def test_a_bad_bbox_is_a_400_in_chinese(client, drawn, bbox):
    response = client.get(URL, {"bbox": bbox})
    assert response.status_code == 400
    assert "bbox" in response.content.decode()


def test_the_grid_map_data_carries_the_outlines_of_the_scope_only(client, drawn):
    client.force_login(drawn.users.east)
    data = client.get("/community/grid_map/data/").json()
    assert [row[1] for row in data["compounds"]] == ["幸福小区"]  # 和谐小区 is 西城's
    assert [row[1] for row in data["buildings"]] == ["1号楼"]
    client.force_login(drawn.users.street)
    data = client.get("/community/grid_map/data/").json()
    assert sorted(row[1] for row in data["compounds"]) == ["和谐小区", "幸福小区"]
