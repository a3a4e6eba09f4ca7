"""The KPIs' judgements of one reading and one terminal-day (pure): what 数据准确率 and 设备完好率 count.

**Reading validity** (:func:`invalid_reasons`). A reading is invalid when any alarm rule marks it, judged
from the reading, the terminal's previous reading (by observation time) and the well's nameplate, with the
thresholds of ``alarms.rules.RULES`` so the KPI and the alarm never disagree:

* ``register_reversal`` 表码倒走: a cumulative register (volume or energy) fell by more than the rule's drop
  against the previous reading carrying it;
* ``impossible_jump`` 表码突变: a register rose more than rated flow/power × elapsed hours × factor;
* ``meter_fault`` 计量设备故障: the reading's own alarm/status word says the flowmeter or level meter is faulty;
* ``clock_drift`` 时钟超前: observed more than ``ahead_s`` (600 s) after it was received;
* ``future_dated`` 观测时间超前: the gateway flagged it as ahead of its receipt (``Reading.future_dated``);
* ``late`` 超出允许时延: its time label is older than the delay the terminal allows (SZY206 time label,
  ``native["late"]``), or the gateway refused the frame as late (``FrameOutcome.LATE``; counted by the caller
  as a received reading with only this reason).

**Terminal-day condition** (:func:`day_condition`), one of three, in this order:

1. ``device_fault`` 设备故障 when the device shows it is broken: a device-fault alarm (meter fault, low
   battery) was open that day; a reading of the day has a meter-fault status or an implausible register
   (reversal, impossible jump); the terminal reported that day but none of its readings is a valid
   measurement; or it was silent and its last words before the silence were unhealthy (a fault status, an
   implausible register, low battery) or it has never been heard.
2. ``comm_loss`` 通信中断 when it was silent on the network that day (no reading of the day arrived within
   ``BUFFERED_AFTER_S`` of its observation) and nothing says the device is broken: its area was silent (at
   least ``AREA_SILENT_SHARE`` of the terminals of its region, at least ``AREA_MIN_TERMINALS`` of them), or it
   came back with buffered data for the day, or its last words were healthy (heartbeat lost, no fault status).
3. ``intact`` 完好 otherwise.

设备完好率 counts ``device_fault`` days as not intact; ``comm_loss`` days are intact (a well silent because of
the network is not a broken device) and are shown on their own as 通信中断率.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from changji.water.alarms.rules import RULES, AlarmKind, ReadingView

__pure__ = True  # no Django: tests/test_architecture.py checks it

#: A reading received more than this long after its observation was buffered (补报), not live.
BUFFERED_AFTER_S = 3600.0
#: A region is silent when at least this share of its terminals were silent on the day ...
AREA_SILENT_SHARE = 0.5
#: ... and it has at least this many terminals (a lone well's silence says nothing about the network).
AREA_MIN_TERMINALS = 3
#: Battery below this (the LOW_BATTERY rule's limit) in the last words makes a silence a device fault.
LOW_BATTERY_V = RULES[AlarmKind.LOW_BATTERY].thresholds["min_battery_v"]
#: The measurement fields: a reading carrying none of them is a heartbeat, not a measurement.
MEASUREMENTS = ("flow_m3h", "volume_m3", "energy_kwh")


class InvalidReason(StrEnum):
    REGISTER_REVERSAL = "register_reversal"
    IMPOSSIBLE_JUMP = "impossible_jump"
    METER_FAULT = "meter_fault"
    CLOCK_DRIFT = "clock_drift"
    FUTURE_DATED = "future_dated"
    LATE = "late"


INVALID_REASON_LABELS: Mapping[str, str] = MappingProxyType({
    InvalidReason.REGISTER_REVERSAL: "表码倒走", InvalidReason.IMPOSSIBLE_JUMP: "表码突变",
    InvalidReason.METER_FAULT: "计量设备故障", InvalidReason.CLOCK_DRIFT: "时钟超前",
    InvalidReason.FUTURE_DATED: "观测时间超前", InvalidReason.LATE: "超出允许时延",
})
#: Reasons that say the device (meter, register) is broken rather than its clock or its link.
DEVICE_REASONS = frozenset({InvalidReason.REGISTER_REVERSAL, InvalidReason.IMPOSSIBLE_JUMP,
                            InvalidReason.METER_FAULT})


class Condition(StrEnum):
    INTACT = "intact"
    DEVICE_FAULT = "device_fault"
    COMM_LOSS = "comm_loss"


CONDITION_LABELS: Mapping[str, str] = MappingProxyType({
    Condition.INTACT: "完好", Condition.DEVICE_FAULT: "设备故障", Condition.COMM_LOSS: "通信中断",
})


class Cause(StrEnum):
    """Why a terminal-day is a device fault or a communication loss (``TerminalDay.condition_cause``)."""

    FAULT_ALARM = "fault_alarm"  #: a meter-fault or low-battery alarm was open
    FAULT_READING = "fault_reading"  #: a reading showed a meter fault or an implausible register
    NO_VALID_MEASUREMENT = "no_valid_measurement"  #: talked, but no valid measurement
    UNHEALTHY_LAST_WORDS = "unhealthy_last_words"  #: silent after a fault status or low battery
    NEVER_HEARD = "never_heard"  #: silent and never heard before
    AREA_SILENT = "area_silent"  #: silent with most of its area
    BUFFERED = "buffered"  #: silent live, its data for the day came later (补报)
    HEARTBEAT_LOST = "heartbeat_lost"  #: silent, last words healthy


CAUSE_LABELS: Mapping[str, str] = MappingProxyType({
    Cause.FAULT_ALARM: "故障报警未消除", Cause.FAULT_READING: "数据显示计量故障或表码异常",
    Cause.NO_VALID_MEASUREMENT: "有通信无有效数据", Cause.UNHEALTHY_LAST_WORDS: "中断前已报故障或欠压",
    Cause.NEVER_HEARD: "从未上线", Cause.AREA_SILENT: "所在区域整体中断", Cause.BUFFERED: "恢复后补报",
    Cause.HEARTBEAT_LOST: "心跳中断、无故障状态",
})


@dataclass(frozen=True, slots=True)
class ValidityContext:
    """What the judgement knows besides the readings: the well's nameplate and the rule thresholds."""

    rated_flow_m3h: float | None = None
    rated_power_kw: float | None = None
    thresholds: Mapping[AlarmKind, Mapping[str, float]] = field(default_factory=dict)

    def threshold(self, kind: AlarmKind, name: str) -> float:
        """The rule's threshold, overridden where the context says so."""
        return self.thresholds.get(kind, {}).get(name, RULES[kind].thresholds[name])


def _register_reasons(reading: ReadingView, previous: ReadingView, context: ValidityContext) -> set[InvalidReason]:
    reasons: set[InvalidReason] = set()
    hours = (reading.observed_at - previous.observed_at).total_seconds() / 3600
    factor = context.threshold(AlarmKind.IMPOSSIBLE_JUMP, "factor")
    for name, drop, rated in (
            ("volume_m3", context.threshold(AlarmKind.REGISTER_REVERSAL, "volume_drop_m3"), context.rated_flow_m3h),
            ("energy_kwh", context.threshold(AlarmKind.REGISTER_REVERSAL, "energy_drop_kwh"), context.rated_power_kw)):
        before, after = getattr(previous, name), getattr(reading, name)
        if before is None or after is None:
            continue
        if before - after > drop:
            reasons.add(InvalidReason.REGISTER_REVERSAL)
        elif rated and hours > 0 and after - before > rated * hours * factor:
            reasons.add(InvalidReason.IMPOSSIBLE_JUMP)
    return reasons


def invalid_reasons(reading: ReadingView, previous: ReadingView | None,
                    context: ValidityContext | None = None) -> frozenset[InvalidReason]:
    """Return why ``reading`` is invalid (empty: valid); ``previous`` is the terminal's reading before it."""
    context = context or ValidityContext()
    reasons = _register_reasons(reading, previous, context) if previous is not None else set()
    if reading.flowmeter_fault or reading.level_meter_fault:
        reasons.add(InvalidReason.METER_FAULT)
    if reading.received_at is not None and (reading.observed_at - reading.received_at).total_seconds() > \
            context.threshold(AlarmKind.CLOCK_DRIFT, "ahead_s"):
        reasons.add(InvalidReason.CLOCK_DRIFT)
    if reading.future_dated:
        reasons.add(InvalidReason.FUTURE_DATED)
    if reading.late:
        reasons.add(InvalidReason.LATE)
    return frozenset(reasons)


def is_measurement(reading: ReadingView) -> bool:
    """True when the reading carries a measured value (flow, volume or energy), not only status."""
    return any(getattr(reading, name) is not None for name in MEASUREMENTS)


def is_buffered(reading: ReadingView) -> bool:
    """True when the reading arrived more than ``BUFFERED_AFTER_S`` after its observation (补报)."""
    return reading.received_at is not None and (
        reading.received_at - reading.observed_at).total_seconds() > BUFFERED_AFTER_S


def healthy_last_words(reading: ReadingView | None, reasons: frozenset[InvalidReason]) -> bool | None:
    """Whether the last reading before a silence was healthy; None when there was none (never heard)."""
    if reading is None:
        return None
    low_battery = reading.battery_v is not None and reading.battery_v < LOW_BATTERY_V
    return not (reasons & DEVICE_REASONS) and not low_battery


@dataclass(frozen=True, slots=True)
class DayFacts:
    """What one terminal-day showed, counted by the derivation from its readings and alarms."""

    received: int  #: readings observed that day (live or buffered)
    live: int  #: of them, received within ``BUFFERED_AFTER_S``
    valid_measurements: int  #: valid readings carrying a measurement
    device_readings: int  #: readings with a device reason (meter fault, reversal, jump)
    fault_alarm: bool  #: a meter-fault or low-battery alarm was open that day
    last_words_healthy: bool | None  #: the last reading before the day (None: never heard)
    area_silent: bool  #: most of the terminal's region was silent that day


def day_condition(facts: DayFacts) -> tuple[Condition, Cause | None]:
    """Judge one terminal-day: intact, device fault or communication loss, with the cause (module docstring)."""
    if facts.fault_alarm:
        return Condition.DEVICE_FAULT, Cause.FAULT_ALARM
    if facts.device_readings:
        return Condition.DEVICE_FAULT, Cause.FAULT_READING
    if facts.received and not facts.valid_measurements:
        return Condition.DEVICE_FAULT, Cause.NO_VALID_MEASUREMENT
    if facts.live:
        return Condition.INTACT, None
    if facts.received:
        return Condition.COMM_LOSS, Cause.BUFFERED
    if facts.area_silent:
        return Condition.COMM_LOSS, Cause.AREA_SILENT
    if facts.last_words_healthy is None:
        return Condition.DEVICE_FAULT, Cause.NEVER_HEARD
    if facts.last_words_healthy:
        return Condition.COMM_LOSS, Cause.HEARTBEAT_LOST
    return Condition.DEVICE_FAULT, Cause.UNHEALTHY_LAST_WORDS


def area_silent(silent: int, terminals: int) -> bool:
    """True when ``silent`` of the region's ``terminals`` make the region's network silent that day."""
    return terminals >= AREA_MIN_TERMINALS and silent >= AREA_SILENT_SHARE * terminals
