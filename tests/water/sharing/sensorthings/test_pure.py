"""The pure parts: paths and options (OGC 18-088 §9.2, §9.3), ids, and local-day intervals against instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from changji.core.localtime import SHANGHAI
from changji.water.sharing.sensorthings import intervals
from changji.water.sharing.sensorthings.errors import StaError
from changji.water.sharing.sensorthings.model import ENTITY_TYPES, format_id, parse_id, quote_id
from changji.water.sharing.sensorthings.options import MAX_TOP, Segment, parse_options, parse_path, to_params


def test_a_path_is_split_into_sets_keys_and_properties():
    assert parse_path("Things('652323-00001')/Datastreams/$ref") == [
        Segment("Things", "652323-00001"), Segment("Datastreams"), Segment("$ref")]
    assert parse_path("Things('it''s')/name/$value")[0].key == "it's"
    assert parse_path("Things(7)")[0].key == "7"
    with pytest.raises(StaError) as caught:
        parse_path("Things('x'")
    assert caught.value.status == 404


def test_nested_expand_carries_its_own_options():
    options = parse_options({"$expand": "Datastreams($select=name;$expand=Observations($top=3;$orderby=result desc))"
                                        ",Locations", "$top": "5000", "$count": "true"})
    assert options.top == MAX_TOP and options.count is True
    datastreams, locations = options.expand
    assert datastreams.nav == "Datastreams" and datastreams.options.select == ("name",)
    observations = datastreams.options.expand[0]
    assert observations.options.top == 3 and observations.options.orderby[0].descending is True
    assert locations.nav == "Locations"


def test_an_expand_path_expands_each_level():
    (item,) = parse_options({"$expand": "Datastreams/Observations"}).expand
    assert item.nav == "Datastreams" and item.options.expand[0].nav == "Observations"


@pytest.mark.parametrize("params", [{"$top": "-1"}, {"$top": "²"}, {"$skip": "٣"}, {"$skip": "x"}, {"$count": "yes"},
                                    {"$orderby": "name up"},
                                    {"$expand": "Datastreams($top=1"}, {"$select": ""}, {"$bogus": "1"},
                                    {"$filter": " "}, {"$resultFormat": "dataArray"}])
def test_an_unreadable_option_is_a_400(params):
    with pytest.raises(StaError) as caught:
        parse_options(params)
    assert caught.value.status == 400


def test_ids_are_natural_keys_and_round_trip():
    observation = ENTITY_TYPES["Observation"]
    found = parse_id(observation, "652323-00001:water:2026-05-01")
    assert found == {"well": "652323-00001", "prop": "water", "day": "2026-05-01", "sensor": "flowmeter"}
    assert format_id(observation, found) == "652323-00001:water:2026-05-01"
    assert quote_id("a'b") == "'a''b'"
    for entity, raw in [("Observation", "652323-00001:rain:2026-05-01"), ("Datastream", "652323-00001"),
                        ("Observation", "652323-00001:water:2026-13-01"), ("Sensor", "thermometer")]:
        with pytest.raises(StaError):
            parse_id(ENTITY_TYPES[entity], raw)


def test_a_daily_value_is_the_local_day_as_an_interval():
    assert intervals.day_interval(date(2026, 5, 1)) == "2026-05-01T00:00:00+08:00/2026-05-02T00:00:00+08:00"
    assert intervals.day_end(date(2026, 5, 1)) == "2026-05-02T00:00:00+08:00"


def _days(condition, around=date(2026, 5, 1)):
    """The days within three of ``around`` that meet a DayCondition."""
    ops = {"lt": lambda a, b: a < b, "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
           "eq": lambda a, b: a == b, "ne": lambda a, b: a != b}
    days = [around + timedelta(days=d) for d in range(-3, 4)]
    if condition.always is not None:
        return days if condition.always else []
    return [d for d in days if ops[condition.op](d, condition.value)]


@pytest.mark.parametrize("moment", [datetime(2026, 5, 1, tzinfo=SHANGHAI), datetime(2026, 5, 1, 9, 30, tzinfo=SHANGHAI),
                                    datetime(2026, 4, 30, 16, tzinfo=UTC)])
@pytest.mark.parametrize("op", ["lt", "le", "gt", "ge", "eq", "ne"])
def test_interval_comparisons_agree_with_their_definition(op, moment):
    """Each rule of ``intervals`` equals the comparison of the day's bounds with the instant, day by day."""
    def holds(day):
        start, end = intervals.midnight(day), intervals.midnight(day + timedelta(days=1))
        return {"lt": end <= moment, "le": end <= moment, "gt": start > moment, "ge": start >= moment,
                "eq": False, "ne": True}[op]

    expected = [d for d in (date(2026, 5, 1) + timedelta(days=k) for k in range(-3, 4)) if holds(d)]
    assert _days(intervals.phenomenon_condition(op, moment)) == expected


@pytest.mark.parametrize("op", ["lt", "le", "gt", "ge", "eq", "ne"])
def test_result_time_is_the_end_of_the_day(op):
    moment = datetime(2026, 5, 2, tzinfo=SHANGHAI)
    ends = {"lt": lambda e: e < moment, "le": lambda e: e <= moment, "gt": lambda e: e > moment,
            "ge": lambda e: e >= moment, "eq": lambda e: e == moment, "ne": lambda e: e != moment}[op]
    expected = [d for d in (date(2026, 5, 1) + timedelta(days=k) for k in range(-3, 4))
                if ends(intervals.midnight(d + timedelta(days=1)))]
    assert _days(intervals.result_time_condition(op, moment)) == expected


def test_options_written_back_read_the_same():
    params = {"$filter": "name eq 'a;b(c)'", "$select": "id,name", "$orderby": "name desc,id", "$count": "true",
              "$top": "7", "$skip": "3", "$expand": "Datastreams($filter=name ne 'x';$expand=Observations($top=2))"}
    options = parse_options(params)
    assert parse_options(to_params(options)) == options
