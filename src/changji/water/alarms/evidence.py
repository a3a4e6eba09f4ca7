"""An alarm's evidence (``Alarm.evidence``) as labelled Chinese fields, for pages and exports.

The rules (``alarms/rules.py``) store the values that show an alarm under short English keys; this
table gives each key its Chinese label and how its value reads: units, shares as percentages,
durations in minutes and hours, and times in Asia/Shanghai local time (the evidence stores ISO 8601
instants in UTC). A key missing from the table keeps its name, and its value is still formatted, so
evidence is never shown as a raw dict.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

__pure__ = True  # no Django: tests/test_architecture.py checks it

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
Formatter = Callable[[Any], str]


def _number(value: Any, digits: int = 2) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        text = f"{value:,.{digits}f}".rstrip("0").rstrip(".")
        return text if text not in ("", "-0") else "0"
    return str(value)


def _unit(unit: str, digits: int = 2) -> Formatter:
    return lambda value: f"{_number(value, digits)} {unit}"


def _percent(value: Any) -> str:
    return f"{_number(float(value) * 100, 1)}%" if isinstance(value, int | float) else str(value)


def _duration(value: Any) -> str:
    """Seconds as the largest sensible unit: 90 → 1.5 分钟, 7200 → 2 小时, 259200 → 3 天."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return str(value)
    seconds = float(value)
    for size, unit in ((86_400, "天"), (3_600, "小时"), (60, "分钟")):
        if abs(seconds) >= size:
            return f"{_number(seconds / size, 1)} {unit}"
    return f"{_number(seconds, 0)} 秒"


def local_time(value: Any) -> str:
    """An ISO 8601 instant as Asia/Shanghai local time (``2026-07-01 14:05:00``); other text unchanged."""
    if not isinstance(value, str):
        return str(value)
    if ":" not in value:  # a date or plain text, not an instant
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def _yes_no(value: Any) -> str:
    return "是" if value else "否"


def _window(value: Any) -> str:
    """A span of days ``2026-07-01..2026-07-30`` as ``2026-07-01 至 2026-07-30``."""
    return str(value).replace("..", " 至 ")


#: Register names in step evidence (``steps[].field``).
FIELD_NAMES: Mapping[str, str] = {
    "volume_m3": "累计水量（m³）", "energy_kwh": "累计电量（kWh）", "parameter_changes": "参数变更计数",
}
LEVELS: Mapping[str, str] = {"warning": "预警", "critical": "严重"}


def _steps(value: Any) -> str:
    """Register steps of an event rule: each as 字段 前值 → 后值（起 至 止）."""
    if not isinstance(value, list) or not value:
        return "—"
    parts = []
    for step in value:
        if not isinstance(step, Mapping):
            parts.append(format_value("", step))
            continue
        name = FIELD_NAMES.get(str(step.get("field")), str(step.get("field", "")))
        parts.append(f"{name} {format_value('', step.get('before'))} → {format_value('', step.get('after'))}"
                     f"（{local_time(step.get('from'))} 至 {local_time(step.get('to'))}）")
    return "；".join(parts)


BASES = {"seasonal_baseline": "往年同期基准", "slope_fallback": "无往年同期数据，按近30日趋势", "no_data": "无数据"}

#: key → (label, formatter). Keys of every rule in ``rules.py``, of the groundwater sweep and of 无证取水.
LABELS: Mapping[str, tuple[str, Formatter]] = {
    "observed_at": ("观测时间", local_time),
    "received_at": ("接收时间", local_time),
    "last_seen": ("最后一次收到数据", local_time),
    "window_from": ("统计窗口起", local_time),
    "window_to": ("统计窗口止", local_time),
    "last_reading_id": ("最后一条数据编号", str),
    "silence_s": ("已静默", _duration),
    "limit_s": ("离线判定时限", _duration),
    "ahead_s": ("时钟超前", _duration),
    "future_dated": ("观测时间超前（未来数据）", _yes_no),
    "flow_m3h": ("瞬时流量（m³/h）", _number),
    "volume_m3_delta": ("窗口内水量增加", _unit("m³")),
    "energy_kwh_delta": ("窗口内电量增加", _unit("kWh")),
    "pump_on_zero_flow_reports": ("水泵运行而流量为零的连续报数", _number),
    "ratio_m3_per_kwh": ("实测水电比", _unit("m³/kWh", 3)),
    "coefficient_m3_per_kwh": ("以电折水系数", _unit("m³/kWh", 3)),
    "deviation": ("偏差", _percent),
    "steps": ("读数变化", _steps),
    "door_open": ("柜门打开", _yes_no),
    "ac_power_lost": ("交流失电", _yes_no),
    "battery_v": ("电池电压", _unit("V")),
    "flowmeter_fault": ("流量计故障", _yes_no),
    "level_meter_fault": ("水位计故障", _yes_no),
    "quota_share": ("已用水量占分配水量", _percent),
    "limit": ("判定阈值", _percent),
    "window": ("判定时段", _window),
    "nearby_wells": ("半径内机井数", _number),
    "radius_km": ("统计半径", _unit("km", 1)),
    "nearby_extraction_m3": ("半径内机井同期取水量", _unit("m³", 1)),
    "slope_m_per_30d": ("埋深变化趋势（米/30天，正为下降）", _unit("m", 3)),
    "level": ("预警级别", lambda value: LEVELS.get(str(value), str(value))),
    # the seasonal baseline and red line of the groundwater sweep (water/groundwater/baseline.py)
    "basis": ("判定依据", lambda value: BASES.get(str(value), str(value))),
    "reason": ("判定说明", str),
    "current_depth_m": ("近7日平均埋深", _unit("m", 2)),
    "baseline_depth_m": ("往年同期平均埋深", _unit("m", 2)),
    "baseline_years": ("同期基准年份", str),
    "baseline_spread_m": ("往年同期年际差异", _unit("m", 2)),
    "tolerance_m": ("容差", _unit("m", 2)),
    "excess_m": ("比往年同期深", _unit("m", 2)),
    "red_line_depth_m": ("管控水位埋深", _unit("m", 2)),
    # 无证取水 (water/licences/expiry.py)
    "day": ("取水日期", local_time),
    "usage_m3": ("当日取水量", _unit("m³", 1)),
    "licences": ("当日有效的取水许可证", lambda value: "、".join(str(v) for v in value) if value else "无"),
}


def format_value(key: str, value: Any) -> str:
    """One evidence value as text: by the key's formatter, else by its type (never a raw dict or list)."""
    if value is None:
        return "—"
    if key in LABELS:
        return LABELS[key][1](value)
    if isinstance(value, Mapping):
        return "；".join(f"{label_of(k)}：{format_value(str(k), v)}" for k, v in value.items()) or "—"
    if isinstance(value, list | tuple):
        return "、".join(format_value("", item) for item in value) or "—"
    if isinstance(value, str):
        return local_time(value)
    return _number(value)


def label_of(key: str) -> str:
    """The Chinese label of an evidence key; an unknown key is shown by its own name."""
    return LABELS[key][0] if key in LABELS else str(key)


def evidence_rows(evidence: Any) -> list[tuple[str, str]]:
    """The evidence as (label, text) rows in the order stored; evidence that is not a mapping is one row."""
    if not isinstance(evidence, Mapping):
        return [] if evidence in (None, "", [], {}) else [("依据", format_value("", evidence))]
    return [(label_of(str(key)), format_value(str(key), value)) for key, value in evidence.items()]
