"""Alarm evidence reads as labelled Chinese fields with local times, for every kind the rules raise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from changji.water.alarms import rules
from changji.water.alarms.evidence import LABELS, evidence_rows, format_value, local_time

NOW = datetime(2026, 7, 1, 4, 5, tzinfo=UTC)  # 12:05 in Asia/Shanghai


def _window(kind: rules.AlarmKind) -> tuple[list[rules.ReadingView], rules.WellContext]:
    """Readings that make ``kind``'s rule active (where one reading stream can)."""
    minutes = [NOW - timedelta(minutes=5 * n) for n in range(6, -1, -1)]
    context = rules.WellContext(rated_flow_m3h=50.0, rated_power_kw=22.0, coefficient_m3_per_kwh=2.0, quota_share=1.2)
    views = [rules.ReadingView(
        n, at, at + timedelta(seconds=20), flow_m3h=0.0, volume_m3=1000.0 + (400 if kind == "water_without_energy"
                                                                         else 0) * n / 6,
        energy_kwh=500.0 + (3.0 * n if kind in ("energy_without_water", "ratio_abnormal") else 0.0),
        battery_v=10.5, pump_on=True, door_open=True, ac_power_lost=True, flowmeter_fault=True,
        parameter_changes=n, future_dated=kind == "clock_drift")
        for n, at in enumerate(minutes)]
    if kind == "register_reversal":
        views[-1] = rules.ReadingView(99, NOW, NOW, volume_m3=100.0, energy_kwh=500.0)
    if kind == "impossible_jump":
        views[-1] = rules.ReadingView(99, NOW, NOW, volume_m3=99_000.0, energy_kwh=500.0)
    if kind == "offline":
        views = views[:1]
    return views, context


def _evidence(kind: rules.AlarmKind) -> dict:
    if kind == rules.AlarmKind.GROUNDWATER_DECLINE:  # the sweep's evidence (groundwater/fusion.py, sim/incidents.py)
        return {"window": "2026-07-01..2026-07-30", "nearby_wells": 4, "radius_km": 5.0,
                "nearby_extraction_m3": 81234.5, "slope_m_per_30d": 1.62, "level": "critical"}
    if kind == rules.AlarmKind.UNLICENSED:  # judged per day by water/licences/expiry.py
        signal = rules.unlicensed(NOW, 35.5, False, {"day": "2026-07-01", "usage_m3": 35.5, "licences": []})
        assert signal is not None
        return dict(signal.evidence)
    views, context = _window(kind)
    signals = {s.kind: s for s in rules.evaluate(views, context, NOW + timedelta(minutes=1) if kind != "offline"
                                                 else NOW + timedelta(hours=2))}
    return dict(signals[kind].evidence)


@pytest.mark.parametrize("kind", list(rules.AlarmKind))
def test_every_kinds_evidence_is_labelled_without_a_raw_dict(kind):
    evidence = _evidence(kind)
    rows = evidence_rows(evidence)
    assert rows and len(rows) == len(evidence)
    for (label, text), key in zip(rows, evidence, strict=True):
        assert key in LABELS, f"{kind}: evidence key {key!r} has no label"
        assert label == LABELS[key][0]
        assert "{" not in text and "[" not in text and "'" not in text, (kind, key, text)
        assert "T" not in text or key in ("window",), (kind, key, text)  # ISO times were made local


def test_times_are_shown_in_asia_shanghai():
    assert local_time("2026-07-01T04:05:00+00:00") == "2026-07-01 12:05:00"
    assert local_time("2026-12-31T20:00:00Z") == "2027-01-01 04:00:00"
    assert local_time("2026-07-01") == "2026-07-01"  # a date stays a date
    rows = dict(evidence_rows({"observed_at": "2026-07-01T04:05:00+00:00", "flow_m3h": 42.5}))
    assert rows == {"观测时间": "2026-07-01 12:05:00", "瞬时流量（m³/h）": "42.5"}


def test_units_shares_and_durations_read_naturally():
    rows = dict(evidence_rows({"silence_s": 7200.0, "limit_s": 900.0, "quota_share": 1.085, "battery_v": 10.62,
                               "energy_kwh_delta": 12.0, "door_open": True, "last_seen": None}))
    assert rows == {"已静默": "2 小时", "离线判定时限": "15 分钟", "已用水量占分配水量": "108.5%",
                    "电池电压": "10.62 V", "窗口内电量增加": "12 kWh", "柜门打开": "是", "最后一次收到数据": "—"}


def test_unknown_keys_keep_their_name_and_are_still_formatted():
    rows = evidence_rows({"pump_test": {"at": "2026-07-01T04:05:00+00:00", "ok": True}, "codes": [1, 2]})
    assert rows == [("pump_test", "at：2026-07-01 12:05:00；ok：是"), ("codes", "1、2")]
    assert evidence_rows("旧数据") == [("依据", "旧数据")] and evidence_rows({}) == []
    assert format_value("x", None) == "—"
