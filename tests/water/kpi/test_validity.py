"""The pure judgements behind 数据准确率 and 设备完好率: every rule excludes a reading, every condition cause."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from changji.water.alarms.rules import ReadingView
from changji.water.kpi.validity import (
    Cause,
    Condition,
    DayFacts,
    InvalidReason,
    ValidityContext,
    area_silent,
    day_condition,
    healthy_last_words,
    invalid_reasons,
)

T0 = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
CONTEXT = ValidityContext(rated_flow_m3h=55.0, rated_power_kw=30.0)


def view(at=T0 + HOUR, received=None, **fields) -> ReadingView:
    return ReadingView(reading_id=None, observed_at=at, received_at=received or at, **fields)


PREVIOUS = view(T0, volume_m3=100.0, energy_kwh=50.0)


@pytest.mark.parametrize(("reading", "reason"), [
    (view(volume_m3=99.0, energy_kwh=51.0), InvalidReason.REGISTER_REVERSAL),
    (view(volume_m3=101.0, energy_kwh=49.0), InvalidReason.REGISTER_REVERSAL),
    (view(volume_m3=100.0 + 55 * 1.5 + 1, energy_kwh=51.0), InvalidReason.IMPOSSIBLE_JUMP),
    (view(volume_m3=101.0, energy_kwh=50.0 + 30 * 1.5 + 1), InvalidReason.IMPOSSIBLE_JUMP),
    (view(volume_m3=101.0, flowmeter_fault=True), InvalidReason.METER_FAULT),
    (view(volume_m3=101.0, level_meter_fault=True), InvalidReason.METER_FAULT),
    (view(volume_m3=101.0, received=T0 + HOUR - timedelta(seconds=601)), InvalidReason.CLOCK_DRIFT),
    (view(volume_m3=101.0, future_dated=True), InvalidReason.FUTURE_DATED),
    (view(volume_m3=101.0, late=True), InvalidReason.LATE),
])
def test_each_rule_marks_a_reading_invalid(reading, reason):
    assert invalid_reasons(reading, PREVIOUS, CONTEXT) == {reason}


def test_a_healthy_reading_and_the_limits_are_valid():
    assert invalid_reasons(view(volume_m3=100.0 + 55 * 1.5, energy_kwh=50.0), PREVIOUS, CONTEXT) == set()
    assert invalid_reasons(view(volume_m3=99.6), PREVIOUS, CONTEXT) == set()  # 0.4 m³ back: rounding, not 倒走
    assert invalid_reasons(view(volume_m3=101.0, received=T0 + HOUR - timedelta(seconds=600)), PREVIOUS,
                           CONTEXT) == set()
    assert invalid_reasons(view(volume_m3=5000.0), PREVIOUS) == set()  # no nameplate: no jump is judged
    assert invalid_reasons(view(volume_m3=5.0), None, CONTEXT) == set()  # the first reading has nothing to compare
    assert invalid_reasons(view(battery_v=12.0), PREVIOUS, CONTEXT) == set()  # a register missing: not judged


def test_county_thresholds_override_the_rule_table():
    from changji.water.alarms.rules import AlarmKind

    loose = ValidityContext(rated_flow_m3h=55.0, thresholds={AlarmKind.IMPOSSIBLE_JUMP: {"factor": 3.0}})
    assert invalid_reasons(view(volume_m3=100.0 + 55 * 2), PREVIOUS, loose) == set()


def facts(**values) -> DayFacts:
    base = {"received": 0, "live": 0, "valid_measurements": 0, "device_readings": 0, "fault_alarm": False,
            "last_words_healthy": True, "area_silent": False}
    return DayFacts(**{**base, **values})


@pytest.mark.parametrize(("day", "expected"), [
    (facts(received=4, live=4, valid_measurements=4), (Condition.INTACT, None)),
    (facts(received=4, live=4, valid_measurements=4, fault_alarm=True), (Condition.DEVICE_FAULT, Cause.FAULT_ALARM)),
    (facts(fault_alarm=True, area_silent=True), (Condition.DEVICE_FAULT, Cause.FAULT_ALARM)),
    (facts(received=4, live=4, valid_measurements=3, device_readings=1),
     (Condition.DEVICE_FAULT, Cause.FAULT_READING)),
    (facts(received=3, live=3), (Condition.DEVICE_FAULT, Cause.NO_VALID_MEASUREMENT)),
    (facts(received=4, valid_measurements=4), (Condition.COMM_LOSS, Cause.BUFFERED)),
    (facts(area_silent=True, last_words_healthy=False), (Condition.COMM_LOSS, Cause.AREA_SILENT)),
    (facts(), (Condition.COMM_LOSS, Cause.HEARTBEAT_LOST)),
    (facts(last_words_healthy=False), (Condition.DEVICE_FAULT, Cause.UNHEALTHY_LAST_WORDS)),
    (facts(last_words_healthy=None), (Condition.DEVICE_FAULT, Cause.NEVER_HEARD)),
])
def test_a_device_fault_is_told_from_a_communication_loss(day, expected):
    assert day_condition(day) == expected


def test_last_words_and_area_silence():
    assert healthy_last_words(None, frozenset()) is None
    assert healthy_last_words(view(volume_m3=1.0), frozenset({InvalidReason.LATE})) is True  # late: the link's
    assert healthy_last_words(view(volume_m3=1.0), frozenset({InvalidReason.METER_FAULT})) is False
    assert healthy_last_words(view(battery_v=10.5), frozenset()) is False  # died of a flat battery
    assert area_silent(2, 3) and area_silent(2, 4) and not area_silent(1, 3) and not area_silent(2, 2)
