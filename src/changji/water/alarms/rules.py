"""Alarm rules for extraction wells (井电双控): the documented rule table and its pure evaluation.

Every well's terminal reports every 5 minutes (flow, cumulative volume and energy registers,
battery voltage, pump/door/AC status, meter-fault bits mapped by the caller from the SZY206 alarm
word D0/D1/D5/D7/D13 or the SL651 表58 status word bits 0/1/5/6/7/10). ``evaluate`` turns a well's
recent readings into one ``Signal`` per rule that can be judged; ``debounce`` turns a stream of
signals into "raise" and "clear" actions so a single noisy report neither raises nor clears.

Two kinds of rule:

* **conditions** (offline, door, AC, battery, meter fault, ratio, 有电无水, 有水无电, clock) recover
  by themselves, so the alarm auto-clears after ``clear_after`` inactive evaluations;
* **events** (register reversal, impossible jump, parameter change) happened at one reading and
  need an operator to close them (``auto_clear=False``). An event is active while its reading is in
  the window; once it has left, the counter re-arms silently so the next event raises again.

Deltas over the window are sums of the non-negative rises between consecutive readings carrying
the register, so a reversal or meter replacement inside the window is reported by its own rule and
never shows up as negative usage (docs/architecture.md, "Cumulative registers, not deltas").

``Signal.at`` is the observation time of the reading that shows the state (``now`` for OFFLINE and
OVER_QUOTA, which no single reading shows). Evidence values are JSON-serialisable.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

__pure__ = True  # no Django: tests/test_architecture.py checks it


class AlarmKind(StrEnum):
    OFFLINE = "offline"
    ENERGY_WITHOUT_WATER = "energy_without_water"
    WATER_WITHOUT_ENERGY = "water_without_energy"
    RATIO_ABNORMAL = "ratio_abnormal"
    REGISTER_REVERSAL = "register_reversal"
    IMPOSSIBLE_JUMP = "impossible_jump"
    DOOR_OPEN = "door_open"
    AC_POWER_LOST = "ac_power_lost"
    LOW_BATTERY = "low_battery"
    METER_FAULT = "meter_fault"
    OVER_QUOTA = "over_quota"
    CLOCK_DRIFT = "clock_drift"
    PARAMETER_CHANGE = "parameter_change"
    GROUNDWATER_DECLINE = "groundwater_decline"
    UNLICENSED = "unlicensed"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    MAJOR = "major"
    CRITICAL = "critical"


#: The one name of each severity (``Alarm.severity``'s choices; pages, API and exports read it).
SEVERITY_LABELS: Mapping[str, str] = MappingProxyType({
    Severity.INFO: "提示", Severity.WARNING: "一般", Severity.MAJOR: "重要", Severity.CRITICAL: "紧急",
})


@dataclass(frozen=True)
class RuleSpec:
    """One row of the rule table: what the alarm means in the field, what shows it, and its tuning."""

    kind: AlarmKind
    title: str
    meaning: str
    evidence: str
    severity: Severity
    thresholds: Mapping[str, float]
    auto_clear: bool
    raise_after: int
    clear_after: int


def _rule(kind: AlarmKind, title: str, meaning: str, evidence: str, severity: Severity, thresholds: Mapping[str, float],
          auto_clear: bool, raise_after: int, clear_after: int) -> RuleSpec:
    return RuleSpec(kind, title, meaning, evidence, severity, MappingProxyType(dict(thresholds)), auto_clear,
                    raise_after, clear_after)


K = AlarmKind
RULES: Mapping[AlarmKind, RuleSpec] = MappingProxyType({r.kind: r for r in (
    _rule(K.OFFLINE, "终端离线", "终端在 3 个上报周期内没有送来任何数据：断电、通信故障或人为拆除。",
          "最新一条数据的观测时间距今超过 intervals × 上报周期（看数据，不看 TCP 连接）。",
          Severity.MAJOR, {"intervals": 3}, True, 1, 1),
    _rule(K.ENERGY_WITHOUT_WATER, "有电无水", "水泵耗电却不计水量：可能旁通偷水、流量计故障或被遮挡。",
          "窗口内电量增加 ≥ energy_kwh 而水量增加 ≤ volume_m3；或连续 pump_on_reports 次水泵运行而瞬时流量为 0。",
          Severity.MAJOR, {"energy_kwh": 2.0, "volume_m3": 0.1, "pump_on_reports": 3, "zero_flow_m3h": 0.0},
          True, 2, 2),
    _rule(K.WATER_WITHOUT_ENERGY, "有水无电", "计水而不耗电：电表被短接或绕开、私拉电源，或流量计误计。",
          "窗口内水量增加 ≥ volume_m3 而电量增加 ≤ energy_kwh。",
          Severity.MAJOR, {"volume_m3": 1.0, "energy_kwh": 0.05}, True, 2, 2),
    _rule(K.RATIO_ABNORMAL, "水电比异常", "实测水电比偏离以电折水系数：计量失准、水泵老化或动水位变化。",
          "窗口内电量 ≥ min_energy_kwh 时，|实测水量/电量 − 系数| / 系数 > deviation。",
          Severity.WARNING, {"deviation": 0.3, "min_energy_kwh": 10.0}, True, 3, 3),
    _rule(K.REGISTER_REVERSAL, "表码倒走", "累计水量或电量读数变小：换表未登记、表计被回拨或故障。",
          "相邻两条数据的累计水量下降 > volume_drop_m3 或累计电量下降 > energy_drop_kwh。",
          Severity.MAJOR, {"volume_drop_m3": 0.5, "energy_drop_kwh": 0.5}, False, 1, 1),
    _rule(K.IMPOSSIBLE_JUMP, "表码突变", "读数增量超过水泵能力：表计故障、篡改或补录错误。",
          "相邻两条数据的水量增量 > 额定流量 × 间隔 × factor，或电量增量 > 额定功率 × 间隔 × factor。",
          Severity.MAJOR, {"factor": 1.5}, False, 1, 1),
    _rule(K.DOOR_OPEN, "柜门打开", "井房或表箱门被打开：巡检维护，或有人动计量设施。",
          "最新数据的门状态为打开（SZY206 报警字 D13 / 状态字 D5；SL651 表58 第 7 位为 0）。",
          Severity.WARNING, {}, True, 1, 1),
    _rule(K.AC_POWER_LOST, "交流失电", "终端失去市电、靠电池运行：停电，或有人断开终端电源。",
          "最新数据的交流失电标志（SZY206 报警字 D0；SL651 表58 第 0 位）。",
          Severity.WARNING, {}, True, 2, 2),
    _rule(K.LOW_BATTERY, "电池欠压", "终端蓄电池电压过低，停电时即将离线。",
          "最新数据的电池电压 < min_battery_v（SZY206 报警字 D1；SL651 表58 第 1 位）。",
          Severity.WARNING, {"min_battery_v": 11.0}, True, 3, 3),
    _rule(K.METER_FAULT, "计量设备故障", "流量计或水位计自报故障，计量数据不可信，需以电折水。",
          "最新数据的故障位（SZY206 报警字 D5/D7；SL651 表58 第 5/6 位）。",
          Severity.MAJOR, {}, True, 2, 2),
    _rule(K.OVER_QUOTA, "超定额取水", "取水量达到年度许可/定额，按总量控制应关泵。",
          "已用水量 / 分配水量 ≥ share。", Severity.CRITICAL, {"share": 1.0}, True, 1, 1),
    _rule(K.CLOCK_DRIFT, "终端时钟超前", "终端时钟快于平台：数据时间不可信，需对时。",
          "观测时间比接收时间超前 > ahead_s 秒，或数据被标记为未来时间。",
          Severity.WARNING, {"ahead_s": 600.0}, True, 2, 2),
    _rule(K.PARAMETER_CHANGE, "参数变更", "终端参数被修改（SL651 ERC2 计数增加）：可能改了系数或地址，需核实。",
          "相邻两条数据的参数变更计数增加。", Severity.INFO, {}, False, 1, 1),
    _rule(K.GROUNDWATER_DECLINE, "地下水位下降预警", "监测井水位下降过快，同时周边 5 km 内机井取水量大：应限采或核查。",
          "近 30 天埋深趋势下降 > fall_m_per_30d 米，且半径内机井同期取水 > extraction_m3 立方米"
          "（下降达 2 倍阈值为严重）；每日由地下水融合任务判定，不随单条数据判定。",
          Severity.WARNING, {"fall_m_per_30d": 0.5, "extraction_m3": 50_000.0}, True, 1, 1),
    _rule(K.UNLICENSED, "无证取水", "机井无有效取水许可却在取水：许可证过期、暂停、吊销或从未办理"
          "（《水法》第四十八条、第六十九条；《取水许可和水资源费征收管理条例》第四十八条）。",
          "某日该井计量用水量 > 0，而当日没有覆盖该井的有效取水许可证；每日由取水许可任务判定，"
          "有效许可证重新覆盖该井时自动恢复。",
          Severity.MAJOR, {}, True, 1, 1),
)})
#: Kinds judged by a daily sweep over many wells (``aquifer``, ``water.licences.expiry``), not from one
#: terminal's readings.
SWEPT_KINDS = frozenset({AlarmKind.GROUNDWATER_DECLINE, AlarmKind.UNLICENSED})
del K
#: The one name of each kind: its rule's title (``Alarm.kind``'s choices; pages, API and exports read it).
KIND_LABELS: Mapping[str, str] = MappingProxyType({kind: spec.title for kind, spec in RULES.items()})


def rule_of(kind: str) -> RuleSpec | None:
    """The rule of a kind as stored (``Alarm.kind`` is a plain string), or None for a kind not in ``RULES``."""
    try:
        return RULES[AlarmKind(kind)]
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class ReadingView:
    """The fields of one stored reading that the rules read; protocol bits are mapped by the caller."""

    reading_id: int | None
    observed_at: datetime
    received_at: datetime | None = None
    flow_m3h: float | None = None
    volume_m3: float | None = None
    energy_kwh: float | None = None
    battery_v: float | None = None
    pump_on: bool | None = None
    door_open: bool | None = None
    ac_power_lost: bool | None = None
    future_dated: bool = False
    flowmeter_fault: bool | None = None
    level_meter_fault: bool | None = None
    parameter_changes: int | None = None
    late: bool = False  #: the time label is older than the allowed delay (KPI validity; no alarm rule)


@dataclass(frozen=True, slots=True)
class WellContext:
    """What the rules need to know about the well besides its readings."""

    expected_interval_s: float = 300
    rated_flow_m3h: float | None = None
    rated_power_kw: float | None = None
    coefficient_m3_per_kwh: float | None = None
    quota_share: float | None = None


@dataclass(frozen=True, slots=True)
class Signal:
    """The verdict of one rule at one evaluation, with the values that show it."""

    kind: AlarmKind
    active: bool
    severity: Severity
    at: datetime
    reading_id: int | None
    evidence: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class AlarmCounter:
    """Per (well, kind) debounce state; the caller stores it between evaluations."""

    active_streak: int = 0
    inactive_streak: int = 0
    raised: bool = False


Window = Sequence[ReadingView]
Thresholds = Mapping[str, float]
Judge = Callable[[Window, WellContext, datetime, Thresholds], "Signal | None"]
Pair = tuple[ReadingView, ReadingView]
StepTest = Callable[[ReadingView, ReadingView, Any, Any], bool]


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _num(value: float) -> float:
    return round(float(value), 6)


def _signal(kind: AlarmKind, active: bool, reading: ReadingView | None, at: datetime,
            evidence: Mapping[str, Any]) -> Signal:
    """Build a signal; only an active signal points at the reading that raised it."""
    reading_id = reading.reading_id if (active and reading is not None) else None
    return Signal(kind, bool(active), RULES[kind].severity, at, reading_id, evidence)


def _carrying(window: Sequence[ReadingView], *names: str) -> list[ReadingView]:
    return [r for r in window if all(getattr(r, n) is not None for n in names)]


def _pairs(window: Sequence[ReadingView], *names: str) -> list[Pair]:
    """Consecutive pairs among the readings that carry every named field."""
    rows = _carrying(window, *names)
    return list(zip(rows, rows[1:], strict=False))


def _rise(pairs: Sequence[Pair], name: str) -> float:
    """Sum of the non-negative steps of a cumulative register (drops belong to REGISTER_REVERSAL)."""
    return sum(max(0.0, float(getattr(b, name)) - float(getattr(a, name))) for a, b in pairs)


def _register_window(pairs: Sequence[Pair]) -> dict[str, Any]:
    return {"energy_kwh_delta": _num(_rise(pairs, "energy_kwh")), "volume_m3_delta": _num(_rise(pairs, "volume_m3")),
            "window_from": _iso(pairs[0][0].observed_at), "window_to": _iso(pairs[-1][1].observed_at)}


def _offline(window: Window, context: WellContext, now: datetime, th: Thresholds) -> Signal:
    """Judge silence from data, not from the TCP session: a connected terminal sending nothing is offline.

    A reading counts as seen at ``min(observed_at, received_at)`` so a terminal whose clock runs ahead
    cannot hide its silence behind future timestamps.
    """
    limit_s = th["intervals"] * context.expected_interval_s
    seen = [(min(r.observed_at, r.received_at) if r.received_at else r.observed_at, r) for r in window]
    if not seen:
        return _signal(AlarmKind.OFFLINE, True, None, now, {"last_seen": None, "limit_s": _num(limit_s)})
    last_seen, last = max(seen, key=lambda item: item[0])
    silence_s = (now - last_seen).total_seconds()
    evidence = {"last_seen": _iso(last_seen), "last_reading_id": last.reading_id, "silence_s": _num(silence_s),
                "limit_s": _num(limit_s)}
    return _signal(AlarmKind.OFFLINE, silence_s > limit_s, None, now, evidence)


def _zero_flow_streak(window: Sequence[ReadingView], zero_flow: float) -> list[ReadingView]:
    """The newest run of reports with the pump on and no flow (reports without either field are skipped)."""
    streak: list[ReadingView] = []
    for reading in reversed(_carrying(window, "pump_on", "flow_m3h")):
        if not (reading.pump_on and reading.flow_m3h is not None and reading.flow_m3h <= zero_flow):
            break
        streak.append(reading)
    return streak


def _energy_without_water(window: Window, context: WellContext, now: datetime, th: Thresholds) -> Signal | None:
    pairs = _pairs(window, "volume_m3", "energy_kwh")
    statused = _carrying(window, "pump_on", "flow_m3h")
    if not pairs and not statused:
        return None
    evidence: dict[str, Any] = _register_window(pairs) if pairs else {}
    registers = bool(pairs) and (_rise(pairs, "energy_kwh") >= th["energy_kwh"]
                                 and _rise(pairs, "volume_m3") <= th["volume_m3"])
    streak = _zero_flow_streak(window, th["zero_flow_m3h"])
    evidence["pump_on_zero_flow_reports"] = len(streak)
    witnesses = ([pairs[-1][1]] if registers else []) + ([streak[0]] if len(streak) >= th["pump_on_reports"] else [])
    judged = [pair[1] for pair in pairs[-1:]] + statused[-1:]
    newest = max(witnesses or judged, key=lambda r: r.observed_at)
    return _signal(AlarmKind.ENERGY_WITHOUT_WATER, bool(witnesses), newest, newest.observed_at, evidence)


def _water_without_energy(window: Window, context: WellContext, now: datetime, th: Thresholds) -> Signal | None:
    pairs = _pairs(window, "volume_m3", "energy_kwh")
    if not pairs:
        return None
    active = _rise(pairs, "volume_m3") >= th["volume_m3"] and _rise(pairs, "energy_kwh") <= th["energy_kwh"]
    newest = pairs[-1][1]
    return _signal(AlarmKind.WATER_WITHOUT_ENERGY, active, newest, newest.observed_at, _register_window(pairs))


def _ratio_abnormal(window: Window, context: WellContext, now: datetime, th: Thresholds) -> Signal | None:
    """Compare metered water per kWh with the well's 以电折水 coefficient; too little energy is not judged."""
    coefficient = context.coefficient_m3_per_kwh
    pairs = _pairs(window, "volume_m3", "energy_kwh")
    if not coefficient or coefficient <= 0 or not pairs:
        return None
    energy = _rise(pairs, "energy_kwh")
    if energy < th["min_energy_kwh"]:
        return None
    ratio = _rise(pairs, "volume_m3") / energy
    deviation = abs(ratio - coefficient) / coefficient
    evidence = {**_register_window(pairs), "ratio_m3_per_kwh": _num(ratio), "coefficient_m3_per_kwh": coefficient,
                "deviation": _num(deviation)}
    newest = pairs[-1][1]
    return _signal(AlarmKind.RATIO_ABNORMAL, deviation > th["deviation"], newest, newest.observed_at, evidence)


def _step_event(kind: AlarmKind, window: Sequence[ReadingView],
                checks: Sequence[tuple[str, StepTest]]) -> Signal | None:
    """Judge an event over every consecutive pair: ``checks`` maps a field to ``test(a, b, value_a, value_b)``.

    The newest offending reading raises the signal; every offending step is listed in the evidence.
    """
    judged: list[ReadingView] = []
    offending: list[tuple[ReadingView, dict[str, Any]]] = []
    for name, test in checks:
        for a, b in _pairs(window, name):
            judged.append(b)
            before, after = getattr(a, name), getattr(b, name)
            if test(a, b, before, after):
                offending.append((b, {"field": name, "before": before, "after": after, "from": _iso(a.observed_at),
                                      "to": _iso(b.observed_at), "reading_id": b.reading_id}))
    if not judged:
        return None
    shown = max([b for b, _ in offending] or judged, key=lambda r: r.observed_at)
    return _signal(kind, bool(offending), shown, shown.observed_at, {"steps": [step for _, step in offending]})


def _reversal(window: Window, context: WellContext, now: datetime, th: Thresholds) -> Signal | None:
    return _step_event(AlarmKind.REGISTER_REVERSAL, window, [
        ("volume_m3", lambda a, b, x, y: x - y > th["volume_drop_m3"]),
        ("energy_kwh", lambda a, b, x, y: x - y > th["energy_drop_kwh"]),
    ])


def _hours(a: ReadingView, b: ReadingView) -> float:
    return (b.observed_at - a.observed_at).total_seconds() / 3600


def _faster_than(rated: float, factor: float) -> StepTest:
    """A step test: the register rose more than ``factor`` × the rated rate over the elapsed hours."""

    def test(a: ReadingView, b: ReadingView, x: Any, y: Any) -> bool:
        hours = _hours(a, b)
        return hours > 0 and bool(y - x > rated * hours * factor)

    return test


def _impossible_jump(window: Window, context: WellContext, now: datetime, th: Thresholds) -> Signal | None:
    """A rise no pump could deliver in the elapsed time; pairs with no elapsed time are not judged."""
    checks: list[tuple[str, StepTest]] = []
    for name, rated in (("volume_m3", context.rated_flow_m3h), ("energy_kwh", context.rated_power_kw)):
        if rated:
            checks.append((name, _faster_than(rated, th["factor"])))
    return _step_event(AlarmKind.IMPOSSIBLE_JUMP, window, checks) if checks else None


def _parameter_change(window: Window, context: WellContext, now: datetime, th: Thresholds) -> Signal | None:
    return _step_event(AlarmKind.PARAMETER_CHANGE, window, [("parameter_changes", lambda a, b, x, y: y > x)])


def _latest_state(kind: AlarmKind, window: Sequence[ReadingView], names: Sequence[str],
                  test: Callable[[ReadingView], bool]) -> Signal | None:
    """Judge a condition from the newest reading that carries any of ``names``."""
    carrying = [r for r in window if any(getattr(r, n) is not None for n in names)]
    if not carrying:
        return None
    newest = carrying[-1]
    evidence = {n: getattr(newest, n) for n in names} | {"observed_at": _iso(newest.observed_at)}
    return _signal(kind, test(newest), newest, newest.observed_at, evidence)


def _door_open(window: Window, context: WellContext, now: datetime, th: Thresholds) -> Signal | None:
    return _latest_state(AlarmKind.DOOR_OPEN, window, ["door_open"], lambda r: bool(r.door_open))


def _ac_power_lost(window: Window, context: WellContext, now: datetime, th: Thresholds) -> Signal | None:
    return _latest_state(AlarmKind.AC_POWER_LOST, window, ["ac_power_lost"], lambda r: bool(r.ac_power_lost))


def _low_battery(window: Window, context: WellContext, now: datetime, th: Thresholds) -> Signal | None:
    minimum = th["min_battery_v"]
    return _latest_state(AlarmKind.LOW_BATTERY, window, ["battery_v"],
                         lambda r: r.battery_v is not None and r.battery_v < minimum)


def _meter_fault(window: Window, context: WellContext, now: datetime, th: Thresholds) -> Signal | None:
    return _latest_state(AlarmKind.METER_FAULT, window, ["flowmeter_fault", "level_meter_fault"],
                         lambda r: bool(r.flowmeter_fault or r.level_meter_fault))


def _over_quota(window: Window, context: WellContext, now: datetime, th: Thresholds) -> Signal | None:
    share = context.quota_share
    if share is None:
        return None
    evidence = {"quota_share": share if math.isfinite(share) else None, "limit": th["share"]}
    return _signal(AlarmKind.OVER_QUOTA, share >= th["share"], None, now, evidence)


def _clock_drift(window: Window, context: WellContext, now: datetime, th: Thresholds) -> Signal | None:
    """Judge the most recently received reading: after a clock fix, older future-dated rows still sort last."""
    if not window:
        return None
    newest = max(window, key=lambda r: r.received_at or r.observed_at)
    ahead_s = (newest.observed_at - newest.received_at).total_seconds() if newest.received_at else None
    active = newest.future_dated or (ahead_s is not None and ahead_s > th["ahead_s"])
    evidence = {"observed_at": _iso(newest.observed_at), "received_at": _iso(newest.received_at),
                "ahead_s": None if ahead_s is None else _num(ahead_s), "future_dated": newest.future_dated}
    return _signal(AlarmKind.CLOCK_DRIFT, active, newest, newest.observed_at, evidence)


JUDGES: Mapping[AlarmKind, Judge] = MappingProxyType({
    AlarmKind.OFFLINE: _offline,
    AlarmKind.ENERGY_WITHOUT_WATER: _energy_without_water,
    AlarmKind.WATER_WITHOUT_ENERGY: _water_without_energy,
    AlarmKind.RATIO_ABNORMAL: _ratio_abnormal,
    AlarmKind.REGISTER_REVERSAL: _reversal,
    AlarmKind.IMPOSSIBLE_JUMP: _impossible_jump,
    AlarmKind.DOOR_OPEN: _door_open,
    AlarmKind.AC_POWER_LOST: _ac_power_lost,
    AlarmKind.LOW_BATTERY: _low_battery,
    AlarmKind.METER_FAULT: _meter_fault,
    AlarmKind.OVER_QUOTA: _over_quota,
    AlarmKind.CLOCK_DRIFT: _clock_drift,
    AlarmKind.PARAMETER_CHANGE: _parameter_change,
})


def evaluate(window: Sequence[ReadingView], context: WellContext, now: datetime,
             thresholds: Mapping[AlarmKind, Mapping[str, float]] | None = None) -> list[Signal]:
    """Return one signal per rule that can be judged from ``window`` (a well's recent readings).

    ``thresholds`` overrides individual values of the table per kind (e.g. a county's own battery
    limit); missing keys keep the defaults. A rule with no data to judge is omitted, so its debounce
    counter stays as it was rather than counting a "not active" that nobody observed.
    """
    ordered = sorted(window, key=lambda r: r.observed_at)
    overrides = thresholds or {}
    signals = []
    for kind, judge in JUDGES.items():
        merged = {**RULES[kind].thresholds, **overrides.get(kind, {})}
        signal = judge(ordered, context, now, merged)
        if signal is not None:
            signals.append(signal)
    return signals


def unlicensed(day_end: datetime, usage_m3: float, covered: bool, evidence: Mapping[str, Any]) -> Signal | None:
    """Judge 无证取水 for one extraction well on one local day (``day_end``: the day's end).

    Covered by a valid licence: not active (an open alarm clears). Not covered and water taken: active. Not
    covered and no water taken: nothing to judge (None), so an open alarm stays open until a licence covers
    the well again.
    """
    if covered:
        return _signal(AlarmKind.UNLICENSED, False, None, day_end, evidence)
    if usage_m3 > 0:
        return _signal(AlarmKind.UNLICENSED, True, None, day_end, evidence)
    return None


def debounce(counter: AlarmCounter, signal: Signal, rule: RuleSpec) -> tuple[AlarmCounter, str | None]:
    """Advance the streaks and decide: "raise", "clear" or nothing.

    A raised event rule (``auto_clear=False``) never clears itself; after ``clear_after`` inactive
    evaluations the counter re-arms (``raised=False``, no action) so the next event raises again.
    The open alarm still waits for an operator in ``alarm_workflow``.
    """
    if signal.active:
        streak = counter.active_streak + 1
        if not counter.raised and streak >= rule.raise_after:
            return AlarmCounter(streak, 0, True), "raise"
        return AlarmCounter(streak, 0, counter.raised), None
    streak = counter.inactive_streak + 1
    if counter.raised and streak >= rule.clear_after:
        return AlarmCounter(0, streak, False), ("clear" if rule.auto_clear else None)
    return AlarmCounter(0, streak, counter.raised), None
