"""Conformance classes ``req/datamodel`` and ``req/resource-path/resource-path-to-entities`` (OGC 18-088 A.1).

As the OGC test suite (ets-sta11, ``Capability1Tests``) reads a service: the root lists every entity set and
the claimed classes; each set answers a collection; each entity its control information, its properties and
its navigation links, which lead where they say; a property, its ``$value`` and ``$ref`` are addressable;
what does not exist is a 404 with a JSON error.
"""

from __future__ import annotations

import json

import pytest

from changji.water.sharing.sensorthings.model import ENTITY_TYPES

pytestmark = pytest.mark.django_db

SETS = ["Things", "Locations", "HistoricalLocations", "Sensors", "ObservedProperties", "Datastreams", "Observations",
        "FeaturesOfInterest"]
CONFORMANCE = {"http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel",
               "http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities",
               "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data"}


def test_the_root_lists_every_entity_set_and_the_claimed_conformance(sta):
    root = sta().data
    assert [s["name"] for s in root["value"]] == SETS
    assert all(s["url"] == f"http://testserver/sta/v1.1/{s['name']}" for s in root["value"])
    assert set(root["serverSettings"]["conformance"]) == CONFORMANCE


@pytest.mark.parametrize("name", SETS)
def test_each_entity_has_its_control_information_properties_and_links(sta, name):
    entity = next(t for t in ENTITY_TYPES.values() if t.set_name == name)
    listed = sta(name).data
    assert set(listed) <= {"value", "@iot.count", "@iot.nextLink"}
    if name == "HistoricalLocations":
        assert listed["value"] == []  # the registry keeps no history of well positions
        return
    assert listed["value"], name
    for item in listed["value"]:
        assert item["@iot.selfLink"] == f"http://testserver/sta/v1.1/{name}('{item['@iot.id']}')"
        for nav in entity.navs:
            assert item[f"{nav.name}@iot.navigationLink"] == f"{item['@iot.selfLink']}/{nav.name}"
        mandatory = set(entity.properties) - {"properties", "parameters"}
        assert mandatory <= set(item), (name, mandatory - set(item))
        one = sta(item["@iot.selfLink"].split("/sta/v1.1/")[1]).data
        assert one == item


def test_a_thing_is_a_well_without_personal_data(sta):
    thing = sta("Things('652323-00001')").data
    assert thing["properties"] == {"code": "652323-00001", "kind": "extraction", "use": "agricultural",
                                   "countyCode": "652323", "county": "呼图壁县"}
    everything = json.dumps([sta(name, **{"$expand": "Datastreams"} if name == "Things" else {}).data
                             for name in SETS], ensure_ascii=False)
    for personal in ("张三丰", "13912345678", "取水(2026)第0042号", "U-001"):
        assert personal not in everything


def test_a_location_is_a_geojson_point(sta):
    location = sta("Things('652323-00001')/Locations").data["value"][0]
    assert location["encodingType"] == "application/geo+json"
    assert location["location"] == {"type": "Point", "coordinates": [86.89, 44.19]}
    assert sta("Observations('652323-00001:water:2026-05-01')/FeatureOfInterest").data["feature"] == \
        location["location"]


def test_datastreams_exist_per_well_and_property(sta):
    ids = [d["@iot.id"] for d in sta("Datastreams").data["value"]]
    assert ids == ["652323-00001:water", "652323-00002:water", "652323-00001:energy", "652323-00002:energy",
                   "652324-00001:depth"]
    assert [d["@iot.id"] for d in sta("Things('652324-00001')/Datastreams").data["value"]] == ["652324-00001:depth"]
    stream = sta("Datastreams('652323-00001:energy')").data
    assert stream["unitOfMeasurement"]["symbol"] == "kW.h"
    assert sta("Datastreams('652323-00001:energy')/Sensor").data["name"] == "电能表"
    assert sta("Datastreams('652323-00001:energy')/ObservedProperty").data["name"] == "日用电量"
    assert sta("Datastreams('652323-00001:energy')/Thing").data["@iot.id"] == "652323-00001"


def test_observations_are_daily_values_in_local_days(sta):
    water = sta("Observations('652323-00001:water:2026-05-01')").data
    assert water["phenomenonTime"] == "2026-05-01T00:00:00+08:00/2026-05-02T00:00:00+08:00"
    assert water["resultTime"] == "2026-05-02T00:00:00+08:00"
    assert water["result"] == 13.0 and water["parameters"] == {"source": "estimated"}
    depth = sta("Datastreams('652324-00001:depth')/Observations").data["value"]
    # 20.0 and 21.0 m on 1 May local; 22.0 m at 00:30 local on 2 May, which is still 1 May in UTC.
    assert [(o["@iot.id"], o["result"]) for o in depth] == [
        ("652324-00001:depth:2026-05-01", 20.5), ("652324-00001:depth:2026-05-02", 22.0)]
    assert sta("Observations('652323-00002:energy:2026-05-01')", status=404).data["code"] == 404


def test_navigation_paths_go_as_deep_as_the_links(sta):
    deep = sta("Observations('652323-00001:water:2026-05-01')/Datastream/Thing/Locations").data["value"]
    assert [loc["@iot.id"] for loc in deep] == ["652323-00001"]
    streams = sta("Sensors('flowmeter')/Datastreams").data["value"]
    assert {d["@iot.id"] for d in streams} == {"652323-00001:water", "652323-00002:water"}
    assert sta("Things('652323-00001')/Datastreams('652323-00001:water')").data["name"] == "呼图壁县1号机井 日用水量"
    sta("Things('652323-00002')/Datastreams('652323-00001:water')", status=404)


def test_a_property_and_its_raw_value(sta):
    assert sta("Things('652323-00001')/name").data == {"name": "呼图壁县1号机井"}
    raw = sta("Things('652323-00001')/name/$value")
    assert raw["Content-Type"].startswith("text/plain") and raw.content.decode() == "呼图壁县1号机井"
    assert sta("Things('652323-00001')/properties").data["properties"]["county"] == "呼图壁县"
    assert sta("Observations('652323-00001:water:2026-05-01')/result/$value").content == b"13.0"


def test_references(sta):
    refs = sta("Things('652323-00001')/Datastreams/$ref").data
    assert refs["value"] == [{"@iot.selfLink": "http://testserver/sta/v1.1/Datastreams('652323-00001:water')"},
                             {"@iot.selfLink": "http://testserver/sta/v1.1/Datastreams('652323-00001:energy')"}]
    assert sta("Datastreams('652323-00001:water')/Thing/$ref").data == {
        "@iot.selfLink": "http://testserver/sta/v1.1/Things('652323-00001')"}


@pytest.mark.parametrize("path", ["Wells", "Things('652399-99999')", "Things('652323-00001')/colour",
                                  "Things('652323-00001')/name/extra", "Observations('x')",
                                  "Datastreams('652323-00001:rain')", "Things/name", "Sensors('flowmeter')/Thing"])
def test_what_does_not_exist_is_a_json_404(sta, path):
    error = sta(path, status=404).data
    assert error["code"] == 404 and error["type"] == "error" and error["message"]


def test_the_service_is_read_only(client, sta_data):
    response = client.post("/sta/v1.1/Things", data="{}", content_type="application/json")
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD"
    assert response.json()["code"] == 405
