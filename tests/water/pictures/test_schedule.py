"""When a daily picture is due (pure): times parsed, the slot due now, caught up within two hours, once."""

from __future__ import annotations

from datetime import datetime

import pytest

from changji.water.pictures.schedule import (
    DEFAULT_ALARM_KINDS,
    SHANGHAI,
    check_alarm_kinds,
    due_slot,
    parse_times,
    slot_key,
)


def local(hour: int, minute: int = 0, day: int = 15) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=SHANGHAI)


def test_times_are_sorted_unique_minutes():
    assert parse_times(["16:00", "10:00", " 10:00 ", "8", "9：30", ""]) == ["08:00", "09:30", "10:00", "16:00"]


@pytest.mark.parametrize("bad", ["25:00", "10:61", "ten", "10:00:30"])
def test_a_bad_time_is_refused_in_chinese(bad):
    with pytest.raises(ValueError, match="抓拍时间"):
        parse_times([bad])


def test_alarm_kinds_are_checked_against_the_known_ones():
    assert check_alarm_kinds(["meter_fault", "door_open"], DEFAULT_ALARM_KINDS) == ["door_open", "meter_fault"]
    with pytest.raises(ValueError, match="未知的告警类型"):
        check_alarm_kinds(["nope"], DEFAULT_ALARM_KINDS)


def test_the_slot_is_due_from_its_time_for_two_hours_and_once():
    times = ["10:00", "16:00"]
    assert due_slot(times, local(9, 59), None) is None
    assert due_slot(times, local(10, 0), None) == local(10)
    assert due_slot(times, local(11, 59), None) == local(10)  # a runner that was down catches up
    assert due_slot(times, local(12, 1), None) is None  # too late: not this morning's picture at noon
    assert due_slot(times, local(10, 1), local(10)) is None  # queued already
    assert due_slot(times, local(16, 30), local(10)) == local(16)
    assert due_slot(times, local(10, 0, day=16), local(16, day=15)) == local(10, day=16)
    assert slot_key(local(10)) == "2026-06-15T10:00"
