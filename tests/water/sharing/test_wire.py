"""The exchange format's pure parts: keys, instants, and which row of a key wins."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from changji.water.sharing import wire
from changji.water.sharing.streams import Row


def test_terminal_keys_round_trip_and_refuse_garbage():
    assert wire.split_terminal_key(wire.terminal_key("szy206", "6523230001")) == ("szy206", "6523230001")
    with pytest.raises(ValueError):
        wire.split_terminal_key("6523230001")


def test_instants_are_utc_and_naive_ones_are_refused():
    local = datetime(2026, 6, 1, 8, 0, 0, 123, tzinfo=timezone(timedelta(hours=8)))
    text = wire.instant(local)
    assert text == "2026-06-01T00:00:00.000123+00:00"
    assert wire.parse_instant(text) == local
    with pytest.raises(ValueError):
        wire.parse_instant("2026-06-01T00:00:00")
    assert wire.parse_day(wire.day(date(2026, 6, 1))) == date(2026, 6, 1)


def test_the_latest_change_of_a_key_wins_whatever_the_order():
    older = Row("well:1", "652323", {"name": "old", "changed_at": "2026-06-01T00:00:00+00:00"})
    newer = Row("well:1", "652323", {"name": "new", "changed_at": "2026-06-01T00:00:01+00:00"})
    other = Row("well:2", "652323", {"name": "other", "changed_at": "2026-05-01T00:00:00+00:00"})
    assert [r.payload["name"] for r in wire.latest_per_key([newer, other, older])] == ["new", "other"]
    assert [r.payload["name"] for r in wire.latest_per_key([older, newer])] == ["new"]


def test_changed_ignores_the_stamp_and_lists_removals():
    before = {"a": {"x": 1, "changed_at": "1"}, "b": {"x": 2, "changed_at": "1"}}
    after = {"a": {"x": 1, "changed_at": "2"}, "c": {"x": 3, "changed_at": "2"}}
    assert wire.changed(before, after) == (["c"], ["b"])


def test_region_chain_lists_the_levels_below_the_province_parents_first():
    names = {"000000": ("中国", 0), "650000": ("新疆", 1), "652300": ("昌吉州", 2), "652323": ("呼图壁县", 3),
             "652323100": ("呼图壁镇", 4)}
    assert wire.region_chain("000000/650000/652300/652323/652323100/", names) == [
        ["652300", "昌吉州", 2, "650000"], ["652323", "呼图壁县", 3, "652300"], ["652323100", "呼图壁镇", 4, "652323"]]


def test_no_datetime_leaks_naive():
    assert wire.instant(datetime(2026, 1, 1, tzinfo=UTC)).endswith("+00:00")
