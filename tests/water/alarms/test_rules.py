"""The alarm rule table, each rule on hand-made windows (active and cleared), and debouncing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from changji.water.alarms.rules import (
    JUDGES,
    RULES,
    SWEPT_KINDS,
    AlarmCounter,
    AlarmKind,
    ReadingView,
    Severity,
    Signal,
    WellContext,
    debounce,
    evaluate,
)

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 5, 1, 8, 0, tzinfo=CST)
CTX = WellContext()


def reading(reading_id: int, minute: float, **fields) -> ReadingView:
    """A reading observed ``minute`` minutes after T0 and received 5 s later."""
    observed = T0 + timedelta(minutes=minute)
    fields.setdefault("received_at", observed + timedelta(seconds=5))
    return ReadingView(reading_id, observed, **fields)


def judge(window, kind: AlarmKind, context: WellContext = CTX, now: datetime | None = None,
          thresholds=None) -> Signal | None:
    """Return the signal of ``kind`` from evaluating ``window``, or None when it was omitted."""
    now = now or (max((r.observed_at for r in window), default=T0) + timedelta(minutes=1))
    found = [s for s in evaluate(window, context, now, thresholds) if s.kind == kind]
    assert len(found) <= 1
    return found[0] if found else None


def registers(pairs, start_id: int = 1, step_min: float = 5):
    """Readings carrying (volume_m3, energy_kwh) pairs every ``step_min`` minutes."""
    return [reading(start_id + i, i * step_min, volume_m3=v, energy_kwh=e) for i, (v, e) in enumerate(pairs)]


# --- the table ----------------------------------------------------------------------------------


def test_every_kind_has_one_rule_with_chinese_texts():
    assert set(RULES) == set(AlarmKind)
    assert set(JUDGES) | SWEPT_KINDS == set(AlarmKind) and not set(JUDGES) & SWEPT_KINDS
    for kind, rule in RULES.items():
        assert rule.kind is kind
        assert rule.title and rule.meaning and rule.evidence
        assert any("\u4e00" <= ch <= "\u9fff" for ch in rule.title + rule.meaning)
        assert rule.raise_after >= 1 and rule.clear_after >= 1
        assert isinstance(rule.severity, Severity)


def test_conditions_auto_clear_and_events_wait_for_an_operator():
    events = {AlarmKind.REGISTER_REVERSAL, AlarmKind.IMPOSSIBLE_JUMP, AlarmKind.PARAMETER_CHANGE}
    assert {kind for kind, rule in RULES.items() if not rule.auto_clear} == events


def test_documented_default_thresholds():
    assert RULES[AlarmKind.OFFLINE].thresholds["intervals"] == 3
    assert RULES[AlarmKind.ENERGY_WITHOUT_WATER].thresholds["energy_kwh"] == 2.0
    assert RULES[AlarmKind.ENERGY_WITHOUT_WATER].thresholds["volume_m3"] == 0.1
    assert RULES[AlarmKind.ENERGY_WITHOUT_WATER].thresholds["pump_on_reports"] == 3
    assert RULES[AlarmKind.WATER_WITHOUT_ENERGY].thresholds == {"volume_m3": 1.0, "energy_kwh": 0.05}
    assert RULES[AlarmKind.RATIO_ABNORMAL].thresholds == {"deviation": 0.3, "min_energy_kwh": 10.0}
    assert RULES[AlarmKind.REGISTER_REVERSAL].thresholds == {"volume_drop_m3": 0.5, "energy_drop_kwh": 0.5}
    assert RULES[AlarmKind.IMPOSSIBLE_JUMP].thresholds == {"factor": 1.5}
    assert RULES[AlarmKind.LOW_BATTERY].thresholds == {"min_battery_v": 11.0}
    assert RULES[AlarmKind.OVER_QUOTA].thresholds == {"share": 1.0}
    assert RULES[AlarmKind.CLOCK_DRIFT].thresholds == {"ahead_s": 600.0}


def test_table_is_read_only():
    with pytest.raises(TypeError):
        RULES[AlarmKind.OFFLINE] = RULES[AlarmKind.DOOR_OPEN]  # type: ignore[index]
    with pytest.raises(TypeError):
        RULES[AlarmKind.OFFLINE].thresholds["intervals"] = 1  # type: ignore[index]


# --- offline ------------------------------------------------------------------------------------


def test_empty_window_is_offline_with_no_last_seen():
    signal = judge([], AlarmKind.OFFLINE, now=T0)
    assert signal.active and signal.reading_id is None and signal.at == T0
    assert signal.evidence["last_seen"] is None
    assert signal.severity is Severity.MAJOR


@pytest.mark.parametrize(("silent_min", "active"), [(14, False), (15, False), (16, True)])
def test_offline_after_three_expected_intervals_of_silence(silent_min, active):
    window = [reading(1, 0, battery_v=12.5), reading(2, 5, battery_v=12.5)]
    signal = judge(window, AlarmKind.OFFLINE, now=T0 + timedelta(minutes=5 + silent_min))
    assert signal.active is active
    assert signal.evidence["limit_s"] == 900
    assert signal.evidence["silence_s"] == silent_min * 60
    assert signal.evidence["last_seen"] == (T0 + timedelta(minutes=5)).isoformat()
    assert signal.evidence["last_reading_id"] == 2


def test_offline_limit_follows_the_expected_interval():
    window = [reading(1, 0)]
    hourly = WellContext(expected_interval_s=3600)
    assert not judge(window, AlarmKind.OFFLINE, hourly, now=T0 + timedelta(hours=2, minutes=59)).active
    assert judge(window, AlarmKind.OFFLINE, hourly, now=T0 + timedelta(hours=3, minutes=1)).active


def test_a_clock_running_ahead_cannot_hide_silence():
    received = T0 - timedelta(minutes=20)
    window = [ReadingView(1, T0 + timedelta(hours=1), received)]
    signal = judge(window, AlarmKind.OFFLINE, now=T0)
    assert signal.active
    assert signal.evidence["last_seen"] == received.isoformat()


# --- energy without water (有电无水) --------------------------------------------------------------


def test_energy_without_water_from_registers():
    window = registers([(100.0, 50.0), (100.0, 51.25), (100.05, 52.5)])
    signal = judge(window, AlarmKind.ENERGY_WITHOUT_WATER)
    assert signal.active and signal.reading_id == 3
    assert signal.at == window[-1].observed_at
    assert signal.evidence["energy_kwh_delta"] == 2.5
    assert signal.evidence["volume_m3_delta"] == pytest.approx(0.05)
    assert signal.evidence["window_from"] == T0.isoformat()
    assert signal.evidence["window_to"] == (T0 + timedelta(minutes=10)).isoformat()


def test_normal_pumping_is_not_energy_without_water():
    window = registers([(100.0, 50.0), (104.5, 51.25), (109.0, 52.5)])
    signal = judge(window, AlarmKind.ENERGY_WITHOUT_WATER)
    assert not signal.active and signal.reading_id is None
    assert signal.evidence["volume_m3_delta"] == 9.0


def test_energy_below_two_kwh_is_not_energy_without_water():
    window = registers([(100.0, 50.0), (100.0, 51.5)])
    assert not judge(window, AlarmKind.ENERGY_WITHOUT_WATER).active


@pytest.mark.parametrize(("reports", "active"), [(2, False), (3, True), (4, True)])
def test_energy_without_water_from_pump_on_with_zero_flow(reports, active):
    window = [reading(i, i * 5, pump_on=True, flow_m3h=0.0) for i in range(1, reports + 1)]
    signal = judge(window, AlarmKind.ENERGY_WITHOUT_WATER)
    assert signal.active is active
    assert signal.evidence["pump_on_zero_flow_reports"] == reports
    assert signal.reading_id == (reports if active else None)


def test_flowing_report_breaks_the_zero_flow_streak():
    flows = [0.0, 0.0, 40.0, 0.0, 0.0]
    window = [reading(i, i * 5, pump_on=True, flow_m3h=f) for i, f in enumerate(flows, 1)]
    signal = judge(window, AlarmKind.ENERGY_WITHOUT_WATER)
    assert not signal.active and signal.evidence["pump_on_zero_flow_reports"] == 2


def test_pump_off_with_zero_flow_is_fine():
    window = [reading(i, i * 5, pump_on=False, flow_m3h=0.0) for i in range(1, 5)]
    assert not judge(window, AlarmKind.ENERGY_WITHOUT_WATER).active


def test_energy_without_water_is_omitted_without_registers_or_pump_status():
    assert judge([reading(1, 0, battery_v=12.0)], AlarmKind.ENERGY_WITHOUT_WATER) is None


# --- water without energy (有水无电) --------------------------------------------------------------


def test_water_without_energy():
    signal = judge(registers([(100.0, 50.0), (101.5, 50.03)]), AlarmKind.WATER_WITHOUT_ENERGY)
    assert signal.active and signal.reading_id == 2
    assert signal.evidence["volume_m3_delta"] == 1.5 and signal.evidence["energy_kwh_delta"] == 0.03


def test_water_with_energy_is_fine():
    assert not judge(registers([(100.0, 50.0), (101.5, 50.5)]), AlarmKind.WATER_WITHOUT_ENERGY).active


def test_little_water_is_not_water_without_energy():
    assert not judge(registers([(100.0, 50.0), (100.5, 50.0)]), AlarmKind.WATER_WITHOUT_ENERGY).active


def test_water_without_energy_needs_both_registers():
    window = [reading(1, 0, volume_m3=100.0), reading(2, 5, volume_m3=103.0)]
    assert judge(window, AlarmKind.WATER_WITHOUT_ENERGY) is None


def test_a_reversal_inside_the_window_counts_no_negative_usage():
    window = registers([(100.0, 50.0), (90.0, 50.0), (91.5, 50.0)])
    signal = judge(window, AlarmKind.WATER_WITHOUT_ENERGY)
    assert signal.evidence["volume_m3_delta"] == 1.5 and signal.active


# --- ratio abnormal (水电比异常) -----------------------------------------------------------------


def test_ratio_within_thirty_percent_of_coefficient_is_fine():
    signal = judge(registers([(0.0, 0.0), (30.0, 12.0)]), AlarmKind.RATIO_ABNORMAL,
                   WellContext(coefficient_m3_per_kwh=2.0))
    assert not signal.active
    assert signal.evidence["ratio_m3_per_kwh"] == 2.5 and signal.evidence["deviation"] == 0.25


def test_ratio_beyond_thirty_percent_is_abnormal():
    signal = judge(registers([(0.0, 0.0), (33.0, 12.0)]), AlarmKind.RATIO_ABNORMAL,
                   WellContext(coefficient_m3_per_kwh=2.0))
    assert signal.active and signal.reading_id == 2
    assert signal.evidence["ratio_m3_per_kwh"] == 2.75 and signal.evidence["deviation"] == 0.375
    assert signal.evidence["coefficient_m3_per_kwh"] == 2.0


def test_ratio_is_not_judged_on_little_energy_or_without_coefficient():
    window = registers([(0.0, 0.0), (2.0, 8.0)])
    assert judge(window, AlarmKind.RATIO_ABNORMAL, WellContext(coefficient_m3_per_kwh=2.0)) is None
    assert judge(registers([(0.0, 0.0), (33.0, 12.0)]), AlarmKind.RATIO_ABNORMAL) is None


# --- register reversal (表码倒走) ---------------------------------------------------------------


def test_small_dip_is_not_a_reversal():
    signal = judge(registers([(100.0, 50.0), (99.6, 50.0)]), AlarmKind.REGISTER_REVERSAL)
    assert not signal.active and signal.evidence == {"steps": []}


def test_volume_reversal_names_the_reading_and_the_step():
    signal = judge(registers([(100.0, 50.0), (99.0, 50.0), (99.5, 50.2)]), AlarmKind.REGISTER_REVERSAL)
    assert signal.active and signal.reading_id == 2
    assert signal.at == T0 + timedelta(minutes=5)
    assert signal.evidence["steps"] == [{
        "field": "volume_m3", "before": 100.0, "after": 99.0, "from": T0.isoformat(),
        "to": (T0 + timedelta(minutes=5)).isoformat(), "reading_id": 2,
    }]


def test_energy_reversal_and_the_newest_offender_raises():
    window = registers([(100.0, 50.0), (99.0, 50.0), (99.5, 49.0)])
    signal = judge(window, AlarmKind.REGISTER_REVERSAL)
    assert signal.active and signal.reading_id == 3
    assert [step["field"] for step in signal.evidence["steps"]] == ["volume_m3", "energy_kwh"]


def test_reversal_needs_two_readings_of_a_register():
    assert judge([reading(1, 0, volume_m3=5.0)], AlarmKind.REGISTER_REVERSAL) is None


# --- impossible jump (表码突变) -----------------------------------------------------------------

PUMP = WellContext(rated_flow_m3h=60.0, rated_power_kw=30.0)


def test_rise_within_rated_flow_is_fine():
    # 60 m³/h × 5/60 h × 1.5 = 7.5 m³; 30 kW × 5/60 h × 1.5 = 3.75 kWh
    signal = judge(registers([(100.0, 50.0), (107.5, 53.75)]), AlarmKind.IMPOSSIBLE_JUMP, PUMP)
    assert not signal.active


def test_volume_rise_beyond_rated_flow_is_a_jump():
    signal = judge(registers([(100.0, 50.0), (108.0, 52.0)]), AlarmKind.IMPOSSIBLE_JUMP, PUMP)
    assert signal.active and signal.reading_id == 2
    assert signal.evidence["steps"][0]["field"] == "volume_m3"


def test_energy_rise_beyond_rated_power_is_a_jump():
    signal = judge(registers([(100.0, 50.0), (101.0, 54.0)]), AlarmKind.IMPOSSIBLE_JUMP, PUMP)
    assert signal.active and signal.evidence["steps"][0]["field"] == "energy_kwh"


def test_a_long_gap_allows_a_large_rise():
    # 10 h × 60 m³/h × 1.5 = 900 m³
    window = [reading(1, 0, volume_m3=100.0), reading(2, 600, volume_m3=900.0)]
    assert not judge(window, AlarmKind.IMPOSSIBLE_JUMP, PUMP).active


def test_jump_is_not_judged_without_rated_values():
    assert judge(registers([(100.0, 50.0), (900.0, 50.0)]), AlarmKind.IMPOSSIBLE_JUMP) is None


def test_only_the_rated_register_is_judged():
    context = WellContext(rated_flow_m3h=60.0)
    assert not judge(registers([(100.0, 50.0), (101.0, 500.0)]), AlarmKind.IMPOSSIBLE_JUMP, context).active


# --- door, AC power, battery, meter fault -------------------------------------------------------


@pytest.mark.parametrize(("kind", "name"), [(AlarmKind.DOOR_OPEN, "door_open"),
                                            (AlarmKind.AC_POWER_LOST, "ac_power_lost")])
def test_status_flags_follow_the_newest_reading_that_carries_them(kind, name):
    opened = [reading(1, 0, **{name: False}), reading(2, 5, **{name: True})]
    signal = judge(opened, kind)
    assert signal.active and signal.reading_id == 2 and signal.evidence[name] is True
    closed = [*opened, reading(3, 10, **{name: False})]
    assert not judge(closed, kind).active
    # a later reading without the flag does not clear it
    silent = [*opened, reading(3, 10, battery_v=12.0)]
    assert judge(silent, kind).reading_id == 2
    assert judge([reading(1, 0, battery_v=12.0)], kind) is None


@pytest.mark.parametrize(("volts", "active"), [(10.9, True), (11.0, False), (12.6, False)])
def test_low_battery_below_eleven_volts(volts, active):
    signal = judge([reading(1, 0, battery_v=volts)], AlarmKind.LOW_BATTERY)
    assert signal.active is active and signal.evidence["battery_v"] == volts


def test_battery_threshold_can_be_overridden():
    overrides = {AlarmKind.LOW_BATTERY: {"min_battery_v": 11.5}}
    assert judge([reading(1, 0, battery_v=11.2)], AlarmKind.LOW_BATTERY, thresholds=overrides).active


@pytest.mark.parametrize(("flow_fault", "level_fault", "active"),
                         [(True, None, True), (None, True, True), (False, False, False), (False, None, False)])
def test_meter_fault_bits(flow_fault, level_fault, active):
    window = [reading(1, 0, flowmeter_fault=flow_fault, level_meter_fault=level_fault)]
    signal = judge(window, AlarmKind.METER_FAULT)
    assert signal.active is active
    assert signal.evidence["flowmeter_fault"] is flow_fault
    assert signal.evidence["level_meter_fault"] is level_fault


def test_meter_fault_is_omitted_without_bits():
    assert judge([reading(1, 0, battery_v=12.0)], AlarmKind.METER_FAULT) is None


# --- over quota, clock drift, parameter change --------------------------------------------------


@pytest.mark.parametrize(("share", "active"), [(0.99, False), (1.0, True), (1.2, True)])
def test_over_quota_at_one_hundred_percent(share, active):
    signal = judge([], AlarmKind.OVER_QUOTA, WellContext(quota_share=share), now=T0)
    assert signal.active is active and signal.at == T0 and signal.reading_id is None
    assert signal.evidence == {"quota_share": share, "limit": 1.0}
    assert signal.severity is Severity.CRITICAL


def test_over_quota_without_allocation_and_without_share():
    signal = judge([], AlarmKind.OVER_QUOTA, WellContext(quota_share=float("inf")), now=T0)
    assert signal.active and signal.evidence["quota_share"] is None
    assert judge([], AlarmKind.OVER_QUOTA, now=T0) is None


@pytest.mark.parametrize(("ahead_min", "active"), [(-60, False), (9, False), (10, False), (11, True)])
def test_clock_drift_when_observed_ahead_of_received(ahead_min, active):
    received = T0
    window = [ReadingView(1, received + timedelta(minutes=ahead_min), received)]
    signal = judge(window, AlarmKind.CLOCK_DRIFT, now=T0)
    assert signal.active is active and signal.evidence["ahead_s"] == ahead_min * 60


def test_future_dated_flag_is_clock_drift():
    signal = judge([ReadingView(1, T0, None, future_dated=True)], AlarmKind.CLOCK_DRIFT, now=T0)
    assert signal.active and signal.reading_id == 1 and signal.evidence["ahead_s"] is None


def test_clock_drift_follows_the_most_recently_received_reading():
    fast = ReadingView(1, T0 + timedelta(hours=2), T0)  # clock two hours ahead
    fixed = ReadingView(2, T0 + timedelta(minutes=10), T0 + timedelta(minutes=10))  # after time sync
    assert not judge([fast, fixed], AlarmKind.CLOCK_DRIFT, now=T0 + timedelta(minutes=11)).active


def test_parameter_change_when_the_erc2_counter_increases():
    same = [reading(1, 0, parameter_changes=3), reading(2, 5, parameter_changes=3)]
    assert not judge(same, AlarmKind.PARAMETER_CHANGE).active
    changed = [*same, reading(3, 10, parameter_changes=4)]
    signal = judge(changed, AlarmKind.PARAMETER_CHANGE)
    assert signal.active and signal.reading_id == 3
    assert signal.evidence["steps"][0]["before"] == 3 and signal.evidence["steps"][0]["after"] == 4
    assert judge(same[:1], AlarmKind.PARAMETER_CHANGE) is None


# --- evaluate as a whole ------------------------------------------------------------------------


def full_window():
    common = {"battery_v": 12.4, "pump_on": True, "door_open": False, "ac_power_lost": False,
              "flowmeter_fault": False, "level_meter_fault": False}
    return [reading(i, i * 5, volume_m3=100.0 + 4.0 * i, energy_kwh=50.0 + 2.0 * i, flow_m3h=48.0,
                    parameter_changes=7, **common) for i in range(12)]


def test_a_healthy_well_judges_every_rule_and_raises_nothing():
    context = WellContext(rated_flow_m3h=60.0, rated_power_kw=30.0, coefficient_m3_per_kwh=2.0, quota_share=0.4)
    window = full_window()
    signals = evaluate(window, context, window[-1].observed_at + timedelta(minutes=2))
    assert [s.kind for s in signals] == [kind for kind in AlarmKind if kind not in SWEPT_KINDS]
    assert [s.kind for s in signals if s.active] == []
    for signal in signals:
        json.dumps(signal.evidence)
        assert signal.severity is RULES[signal.kind].severity


def test_window_order_does_not_matter():
    window = full_window()
    now = window[-1].observed_at
    assert evaluate(window[::-1], CTX, now) == evaluate(window, CTX, now)


def test_only_judgeable_rules_come_back():
    kinds = [s.kind for s in evaluate([reading(1, 0, battery_v=12.0)], CTX, T0)]
    assert kinds == [AlarmKind.OFFLINE, AlarmKind.LOW_BATTERY, AlarmKind.CLOCK_DRIFT]


# --- debounce -----------------------------------------------------------------------------------


def run_debounce(kind: AlarmKind, pattern: str) -> list[str | None]:
    counter, actions = AlarmCounter(), []
    for ch in pattern:
        signal = Signal(kind, ch == "A", RULES[kind].severity, T0, None, {})
        counter, action = debounce(counter, signal, RULES[kind])
        actions.append(action)
    return actions


def test_debounce_raises_after_two_and_clears_after_two():
    # ENERGY_WITHOUT_WATER: raise_after 2, clear_after 2, auto_clear
    assert run_debounce(AlarmKind.ENERGY_WITHOUT_WATER, "AAAIAII") == [
        None, "raise", None, None, None, None, "clear"]


def test_debounce_single_blips_neither_raise_nor_clear():
    assert run_debounce(AlarmKind.ENERGY_WITHOUT_WATER, "AIAIAI") == [None] * 6


def test_low_battery_needs_three_in_a_row():
    assert run_debounce(AlarmKind.LOW_BATTERY, "AAIAAAIIAIII") == [
        None, None, None, None, None, "raise", None, None, None, None, None, "clear"]


def test_offline_raises_and_clears_at_once():
    assert run_debounce(AlarmKind.OFFLINE, "AAIA") == ["raise", None, "clear", "raise"]


def test_events_never_clear_but_re_arm_for_the_next_event():
    assert run_debounce(AlarmKind.REGISTER_REVERSAL, "AAIIAA") == ["raise", None, None, None, "raise", None]


def test_debounce_counter_fields():
    rule = RULES[AlarmKind.ENERGY_WITHOUT_WATER]
    on = Signal(AlarmKind.ENERGY_WITHOUT_WATER, True, rule.severity, T0, 1, {})
    off = Signal(AlarmKind.ENERGY_WITHOUT_WATER, False, rule.severity, T0, None, {})
    counter, _ = debounce(AlarmCounter(), on, rule)
    assert counter == AlarmCounter(active_streak=1, inactive_streak=0, raised=False)
    counter, action = debounce(counter, on, rule)
    assert (counter, action) == (AlarmCounter(2, 0, True), "raise")
    counter, action = debounce(counter, off, rule)
    assert (counter, action) == (AlarmCounter(0, 1, True), None)
    assert debounce(AlarmCounter(0, 5, False), off, rule) == (AlarmCounter(0, 6, False), None)
