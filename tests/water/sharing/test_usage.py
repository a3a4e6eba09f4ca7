"""The usage stream: the derivation writes its rows to the outbox, the upstream applies them by (well, day)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from changji.water.models import DailyUsage, Frame, MonthlyUsage, Reading, Well
from changji.water.sharing import capture, usage
from changji.water.sharing.streams import Row, get
from changji.water.usage.derive import rebuild_usage, update_for_readings

from .conftest import PEER

pytestmark = pytest.mark.django_db
START = datetime(2026, 5, 31, 16, 0, tzinfo=UTC)  # local midnight of 1 June


def _readings(terminal, hours: int, start: datetime = START) -> list[datetime]:
    times = [start + timedelta(minutes=5 * i) for i in range(hours * 12)]
    frame = Frame.objects.create(received_at=times[0], peer="t", protocol=terminal.protocol, raw=b"\x68",
                                 outcome="stored", terminal=terminal)
    Reading.objects.bulk_create(Reading(terminal=terminal, observed_at=at, received_at=at, frame=frame,
                                        volume_m3=1000 + i * 2.0, energy_kwh=500 + i * 1.0, pump_on=True)
                                for i, at in enumerate(times))
    return times


def _day_rows(stream_rows):
    return {r.key: r for r in stream_rows if r.key.startswith("day:")}


def test_a_rebuild_records_its_rows_and_a_second_one_records_nothing(county_registry, sent):
    _readings(county_registry, 30)
    rebuild_usage()
    rows = _day_rows(sent("usage"))
    assert set(rows) == {"day:652323-00001|2026-06-01", "day:652323-00001|2026-06-02"}
    june1 = rows["day:652323-00001|2026-06-01"]
    stored = DailyUsage.objects.get(day=date(2026, 6, 1))
    assert june1.region_code == "652323100201" and june1.payload["water_m3"] == stored.water_m3
    rebuild_usage()
    assert _day_rows(sent("usage")) == {}


def test_the_live_path_records_the_rows_it_folds(county_registry, sent):
    _readings(county_registry, 2)
    rebuild_usage()
    sent("usage")
    later = _readings(county_registry, 1, START + timedelta(hours=2))
    update_for_readings(county_registry, later)
    rows = {r.key: r for r in sent("usage")}
    assert set(rows) == {"day:652323-00001|2026-06-01", "month:652323-00001|2026-06"}  # June is a closed month
    assert rows["day:652323-00001|2026-06-01"].payload["water_m3"] == DailyUsage.objects.get().water_m3
    assert rows["month:652323-00001|2026-06"].payload["water_m3"] == MonthlyUsage.objects.get().water_m3


def _as_upstream(rows):
    """Forget the derived rows and mark the well as reported by the peer, as the upstream holds it."""
    with capture.quiet():
        DailyUsage.objects.all().delete()
        MonthlyUsage.objects.all().delete()
        Well.objects.update(reported_by=PEER)
    return rows


def _figures():
    return list(DailyUsage.objects.order_by("day").values_list("well__code", "day", "water_m3", "water_sum_m3",
                                                               "usage_m3", "source", "last_observed_at"))


def test_applying_twice_equals_applying_once(county_registry, sent):
    _readings(county_registry, 30)
    rebuild_usage()
    derived = _figures()
    rows = _as_upstream(sent("usage"))
    assert get("usage").apply(rows, PEER).refused == []
    assert _figures() == derived
    assert get("usage").apply(rows, PEER).refused == []
    assert _figures() == derived


def test_an_older_row_of_a_day_later_in_the_batch_does_not_win(county_registry, sent):
    _readings(county_registry, 3)
    rebuild_usage()
    [row] = _day_rows(sent("usage")).values()
    _as_upstream([row])
    stale = Row(row.key, row.region_code, {**row.payload, "water_m3": 1.0, "changed_at": "2000-01-01T00:00:00+00:00"})
    get("usage").apply([row, stale], PEER)
    assert DailyUsage.objects.get().water_m3 == row.payload["water_m3"]


def test_usage_of_an_unknown_or_local_well_is_refused_with_a_reason(county_registry, sent):
    _readings(county_registry, 3)
    rebuild_usage()
    rows = list(_day_rows(sent("usage")).values())
    result = get("usage").apply(rows, PEER)  # the well is this level's own
    assert result.applied == 0 and "不是该下级平台上报的" in result.refused[0][1]
    unknown = Row("day:652399-00009|2026-06-01", "652323", {**rows[0].payload, "well_code": "652399-00009"})
    result = get("usage").apply([unknown], PEER)
    assert "未知机井 652399-00009" in result.refused[0][1]


def test_a_removed_day_is_removed_upstream(county_registry, sent):
    _readings(county_registry, 3)
    rebuild_usage()
    rows = _as_upstream(list(_day_rows(sent("usage")).values()))
    get("usage").apply(rows, PEER)
    gone = Row(rows[0].key, rows[0].region_code, {"changed_at": "2030-01-01T00:00:00+00:00"}, deleted=True)
    get("usage").apply([gone], PEER)
    assert not DailyUsage.objects.exists()


def test_received_usage_survives_the_upstreams_rebuild(county_registry, sent):
    _readings(county_registry, 30)
    rebuild_usage()
    rows = _as_upstream(sent("usage"))
    Reading.objects.all().delete()  # the upstream has no readings of the well
    get("usage").apply(rows, PEER)
    received = _figures()
    rebuild_usage()
    rebuild_usage(wells=list(Well.objects.all()))
    assert _figures() == received


def test_month_keys():
    assert usage.month_key("652323-00001", date(2026, 6, 1)) == "month:652323-00001|2026-06"
