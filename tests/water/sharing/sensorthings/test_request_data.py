"""Conformance class ``req/request-data`` (OGC 18-088 A.1, §9.3): every query option, alone and combined.

Following ets-sta11's ``Capability3Tests``: ``$select``, ``$expand`` (nested, with its own options),
``$orderby``, ``$top``/``$skip`` with ``@iot.nextLink`` (server-driven paging), ``$count``, and ``$filter`` with
comparison, logical and arithmetic operators and the common string, date and math functions; an option that
cannot be read or names an unknown property is a 400 with a JSON error.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def ids(data):
    return [item["@iot.id"] for item in data["value"]]


def test_select_keeps_only_what_it_names(sta):
    things = sta("Things", **{"$select": "id,name"}).data["value"]
    assert things[0] == {"@iot.id": "652323-00001", "name": "呼图壁县1号机井"}
    kept = sta("Things('652323-00001')", **{"$select": "name,Datastreams"}).data
    assert set(kept) == {"name", "Datastreams@iot.navigationLink"}
    assert sta("Things", status=400, **{"$select": "owner"}).data["code"] == 400


def test_expand_nested_with_options(sta):
    thing = sta("Things('652323-00001')", **{
        "$expand": "Datastreams($filter=ObservedProperty/name eq '日用水量';"
                   "$expand=Observations($orderby=phenomenonTime desc;$top=2;$count=true;$select=result))"}).data
    (stream,) = thing["Datastreams"]
    assert stream["@iot.id"] == "652323-00001:water"
    assert stream["Observations"] == [{"result": 15.0}, {"result": 14.0}]
    assert stream["Observations@iot.count"] == 6
    assert stream["Observations@iot.nextLink"].startswith(
        "http://testserver/sta/v1.1/Datastreams('652323-00001:water')/Observations?")
    observation = sta("Observations('652323-00001:water:2026-05-01')",
                      **{"$expand": "Datastream/Thing,FeatureOfInterest"}).data
    assert observation["Datastream"]["Thing"]["name"] == "呼图壁县1号机井"
    assert observation["FeatureOfInterest"]["feature"]["type"] == "Point"
    assert sta("Things", status=400, **{"$expand": "Owner"}).data["code"] == 400


def test_orderby_over_one_and_several_parts(sta):
    assert ids(sta("Things", **{"$orderby": "name desc"}).data) == ["652324-00001", "652323-00002", "652323-00001"]
    newest = sta("Observations", **{"$orderby": "phenomenonTime desc,result", "$top": "3"}).data
    assert ids(newest) == ["652323-00001:water:2026-05-03", "652323-00001:energy:2026-05-03",
                           "652323-00001:water:2026-05-02"]
    assert ids(sta("Datastreams", **{"$orderby": "ObservedProperty/name,Thing/name desc"}).data)[0] == \
        "652324-00001:depth"


def test_top_skip_and_next_link_walk_every_row_once(sta):
    """Paging through Observations without $orderby (the parts one after another) gives each row once."""
    everything = ids(sta("Observations", **{"$top": "1000"}).data)
    assert len(everything) == 6 + 1 + 6 + 2
    seen, path, params = [], "Observations", {"$top": "4"}
    while True:
        page = sta(path, **params).data
        seen += ids(page)
        if "@iot.nextLink" not in page:
            break
        path, _, query = page["@iot.nextLink"].split("/sta/v1.1/")[1].partition("?")
        params = dict(pair.split("=", 1) for pair in query.split("&"))
        params = {k.replace("%24", "$"): v for k, v in params.items()}
    assert seen == everything
    assert ids(sta("Observations", **{"$skip": "12", "$top": "2"}).data) == everything[12:14]
    assert sta("Things", **{"$top": "0", "$count": "true"}).data == {"@iot.count": 3, "value": []}


def test_count_counts_the_filtered_set_not_the_page(sta):
    page = sta("Observations", **{"$count": "true", "$top": "2", "$filter": "result gt 12"}).data
    assert page["@iot.count"] == 3 + 6 + 2 and len(page["value"]) == 2
    assert "@iot.count" not in sta("Observations", **{"$count": "false"}).data


@pytest.mark.parametrize(("expression", "expected"), [
    ("result eq 13", ["652323-00001:water:2026-05-01"]),
    ("result ne 5 and result lt 12", ["652323-00001:water:2026-04-28", "652323-00001:water:2026-04-29"]),
    ("result le 10 or result ge 25", ["652323-00001:water:2026-04-28", "652323-00002:water:2026-05-01",
                                      "652323-00001:energy:2026-05-03"]),
    ("not (result gt 5)", ["652323-00002:water:2026-05-01"]),
    ("result add 5 eq 20", ["652323-00001:water:2026-05-03"]),
    ("result sub 1 eq 20 or result mul 2 eq 10 or result div 2 eq 12.5",
     ["652323-00002:water:2026-05-01", "652323-00001:energy:2026-04-29", "652323-00001:energy:2026-05-03"]),
    ("Datastream/id eq '652324-00001:depth'", ["652324-00001:depth:2026-05-01", "652324-00001:depth:2026-05-02"]),
    ("@iot.id eq '652323-00002:water:2026-05-01'", ["652323-00002:water:2026-05-01"]),
    ("phenomenonTime ge 2026-05-02T00:00:00+08:00 and phenomenonTime lt 2026-05-03T00:00:00+08:00 "
     "and Datastream/ObservedProperty/name ne '日用电量'",
     ["652323-00001:water:2026-05-02", "652324-00001:depth:2026-05-02"]),
    ("resultTime eq 2026-05-02T00:00:00+08:00 and Datastream/Thing/properties/code eq '652324-00001'",
     ["652324-00001:depth:2026-05-01"]),
    ("year(phenomenonTime) eq 2026 and month(phenomenonTime) eq 4 and day(phenomenonTime) eq 30 "
     "and FeatureOfInterest/name eq '呼图壁县1号机井'",
     ["652323-00001:water:2026-04-30", "652323-00001:energy:2026-04-30"]),
    ("round(result) eq 21 or floor(result) eq 20 and ceiling(result) eq 21", [
        "652323-00001:energy:2026-04-29", "652324-00001:depth:2026-05-01"]),
    ("parameters/source eq 'estimated' and result gt 12", ["652323-00001:water:2026-05-01",
                                                            "652323-00001:water:2026-05-03"]),
])
def test_filter_on_observations(sta, expression, expected):
    assert sorted(ids(sta("Observations", **{"$filter": expression, "$top": "100"}).data)) == sorted(expected)


@pytest.mark.parametrize(("expression", "expected"), [
    ("substringof('2号', name)", ["652323-00002"]),
    ("startswith(name, '玛纳斯')", ["652324-00001"]),
    ("endswith(properties/code, '00002')", ["652323-00002"]),
    ("contains(description, '工业')", ["652323-00002"]),
    ("length(name) eq 8 and length(properties/code) eq 12", ["652323-00001", "652323-00002", "652324-00001"]),
    ("indexof(name, '县') eq 3", ["652323-00001", "652323-00002", "652324-00001"]),
    ("substring(properties/code, 7) eq '00001'", ["652323-00001", "652324-00001"]),
    ("tolower('ABC') eq 'abc' and toupper(properties/kind) eq 'MONITORING'", ["652324-00001"]),
    ("trim(concat(' ', properties/countyCode)) eq '652324'", ["652324-00001"]),
    ("properties/kind eq 'extraction' and properties/use in ('industrial', 'domestic')", ["652323-00002"]),
])
def test_filter_on_things_with_string_functions(sta, expression, expected):
    assert ids(sta("Things", **{"$filter": expression}).data) == expected


def test_filter_on_the_constant_sets(sta):
    assert ids(sta("Sensors", **{"$filter": "name eq '水位计' or startswith(name, '电能')"}).data) == [
        "electricity-meter", "level-gauge"]
    assert ids(sta("ObservedProperties", **{"$filter": "substringof('用', name)"}).data) == ["water", "energy"]
    assert ids(sta("Datastreams", **{"$filter": "Sensor/name eq '电磁流量计' and Thing/name eq '呼图壁县2号机井'"}
                   ).data) == ["652323-00002:water"]


def test_filter_combined_with_every_other_option(sta):
    page = sta("Datastreams('652323-00001:water')/Observations", **{
        "$filter": "phenomenonTime ge 2026-04-29T00:00:00+08:00 and phenomenonTime lt 2026-05-03T00:00:00+08:00",
        "$orderby": "result desc", "$top": "2", "$skip": "1", "$count": "true", "$select": "id,result",
        "$expand": "Datastream($select=name)"}).data
    assert page["@iot.count"] == 4
    assert [(o["@iot.id"], o["result"]) for o in page["value"]] == [
        ("652323-00001:water:2026-05-01", 13.0), ("652323-00001:water:2026-04-30", 12.0)]
    assert page["value"][0]["Datastream"] == {"name": "呼图壁县1号机井 日用水量"}
    assert "%24skip=3" in page["@iot.nextLink"] and "%24filter=" in page["@iot.nextLink"]


@pytest.mark.parametrize("expression", [
    "owner eq 'x'", "result eq", "name eq 'x'", "Datastream/Thing/owner/name eq 'x'", "geo.distance(location, "
    "geography'POINT(86 44)') lt 1", "Datastreams/any(d: d/name eq 'x')", "st_within(location, 'x')",
    "result eq 'text' and (", "unknownfunction(result) eq 1",
])
def test_a_filter_that_cannot_be_read_or_names_nothing_is_a_400(sta, expression):
    error = sta("Observations", status=400, **{"$filter": expression}).data
    assert error["code"] == 400 and error["message"]


@pytest.mark.parametrize("expression", [
    "result eq 'text'", "year(name) eq 2026", "result div 0 eq 1", "length(result) eq 1", "name gt 5",
    "phenomenonTime gt 9999-12-31T23:59:59Z", "result eq 1e400", "Datastream/Thing/name add 1 eq 2",
])
def test_a_filter_the_database_may_refuse_is_never_a_500(sta, client, expression):
    """SQLite compares across types where PostgreSQL refuses: either way the answer is 200 or a JSON 400."""
    response = client.get("/sta/v1.1/Observations", {"$filter": expression})
    assert response.status_code in (200, 400), response.content[:300]
    assert response.json()["value" if response.status_code == 200 else "code"] is not None
    assert sta("Things").status_code == 200  # the connection is still usable afterwards
