"""SL651-2014 configuration answers (40H–43H, 47H, 48H) as named values with units.

The configuration functions carry 附录D items in the element form (identifier + data-definition byte +
data): 表D.1 遥测站基本配置表 for 40H (centre modifies) / 41H (read, or the station's self-report), 表D.4
遥测站运行参数配置表 for 42H / 43H; 47H (initialise solid-state storage, item 97H) and 48H (factory reset,
item 98H) answer with the ST group and, in some stations, their item. ``Sl651Frame.values`` keeps the raw
items by their two hex digits (``"20": 1``) and adds ``values["config"]``: the same items by name, the
unit in the name (``timed_report_interval_h``), channels and the work mode decoded.

Item sizes and meanings follow the standard's tables (docs/protocols.md §1.3); where a public
implementation was consulted, it is the ``yu-xiaoyao/sl651-2014-server`` Java server
(``TelemetryBaseConfigTable`` / ``TelemetryRuntimeConfigTable``: 25H 雨量计分辨力 and 26H 水位计分辨力 with
one decimal, 40H–48H the extra-report thresholds), which agrees with 表D.4.
"""

from __future__ import annotations

from typing import Any

__pure__ = True  # no Django: tests/test_architecture.py checks it

#: Channel type byte of items 04H–0BH (表D.1 note: 信道类型).
CHANNEL_TYPES: dict[int, str] = {
    0: "disabled 禁用",
    1: "SMS 短信",
    2: "IPv4",
    3: "BeiDou 北斗",
    4: "Inmarsat 海事卫星",
    5: "PSTN 电话",
    6: "UHF 超短波",
}

#: Work mode, item 0CH (表D.1): 1 自报, 2 自报确认, 3 查询/应答, 4 调试或维修.
WORK_MODES: dict[int, str] = {
    1: "self-report 自报",
    2: "self-report with confirmation 自报确认",
    3: "query/answer 查询/应答",
    4: "debug or repair 调试或维修",
}

#: Numeric items by identifier: the name with its unit (表D.4 and the water-meter items after 8DH).
RUNTIME_NAMES: dict[int, str] = {
    0x20: "timed_report_interval_h",
    0x21: "extra_report_interval_min",
    0x22: "rain_day_start_hour",
    0x23: "sampling_interval_s",
    0x24: "level_storage_interval_min",
    0x25: "rain_gauge_resolution_mm",
    0x26: "level_gauge_resolution_cm",
    0x27: "rain_extra_report_threshold_mm",
    **{0x28 + i: f"level_base_{i + 1}_m" for i in range(8)},
    **{0x30 + i: f"level_correction_{i + 1}_m" for i in range(8)},
    **{0x38 + i: f"extra_report_level_{i + 1}_m" for i in range(8)},
    0x40: "threshold_above_extra_level_m",
    0x41: "threshold_below_extra_level_m",
    0x42: "flow_extra_report_threshold_m3s",
    0x43: "velocity_extra_report_threshold_ms",
    0x44: "gate_extra_report_threshold_m",
    0x45: "power_extra_report_threshold_kw",
    0x46: "pressure_extra_report_threshold_hpa",
    0x47: "wind_extra_report_threshold_ms",
    0x48: "water_temperature_extra_report_threshold_c",
    0x8D: "flow_upper_limit_m3s",
    **{0x8E + i: f"meter_{i + 1}_recharge_m3" for i in range(8)},
    0x96: "quota_m3",
    **{0x99 + i: f"meter_{i + 1}_base_reading_m3" for i in range(8)},
    **{0xA1 + i: f"meter_{i + 1}_remaining_alarm_m3" for i in range(8)},
}

#: Items whose presence is the answer (47H / 48H).
ACTION_NAMES: dict[int, str] = {0x97: "storage_initialised", 0x98: "factory_reset"}
FUNCTION_ACTIONS: dict[int, str] = {0x47: "storage_initialised", 0x48: "factory_reset"}


def config_values(function: int, items: dict[str, Any]) -> dict[str, Any]:
    """Name the 附录D ``items`` (raw values by two hex digits) of a configuration frame."""
    named: dict[str, Any] = {}
    if function in FUNCTION_ACTIONS:
        named[FUNCTION_ACTIONS[function]] = True
    for key, value in items.items():
        try:
            item = int(key, 16)
        except ValueError:
            continue
        name, decoded = _item(item, value)
        named[name] = decoded
    return named


def _item(item: int, value: Any) -> tuple[str, Any]:
    if item == 0x01:
        return "centre_addresses", _centres(value)
    if item == 0x02:
        return "station_address", value
    if item == 0x03:
        return "password", value
    if 0x04 <= item <= 0x0B:
        centre, backup = divmod(item - 0x04, 2)
        return f"centre_{centre + 1}_{'backup' if backup else 'main'}_channel", channel(value)
    if item == 0x0C:
        return "work_mode", WORK_MODES.get(value, value) if isinstance(value, int) else value
    if item == 0x0D:
        return "collected_element_bits", _bits(value)
    if item == 0x0F:
        return "communication_device_id", value
    if item in ACTION_NAMES:
        return ACTION_NAMES[item], True
    return RUNTIME_NAMES.get(item, f"item_{item:02X}"), value


def _centres(value: Any) -> Any:
    """Item 01H: four one-byte centre addresses (HEX); 00 = no centre in that slot."""
    if not isinstance(value, str):
        return value
    data = bytes.fromhex(value)
    return [byte for byte in data if byte]


def _bits(value: Any) -> Any:
    """Item 0DH: the 表D.2 bitmap of collected elements, as the numbers of its set bits (bit 0 = first)."""
    if not isinstance(value, str):
        return value
    word = int(value, 16) if value else 0
    width = len(value) * 4
    return [bit for bit in range(width) if word >> (width - 1 - bit) & 1]


def channel(value: Any) -> Any:
    """Items 04H–0BH: channel type (1 byte BCD), then its address.

    IPv4: 6 bytes BCD address (``192168001001`` -> 192.168.1.1) and 3 bytes BCD port; SMS and PSTN: the
    number in BCD (``F`` padding dropped); others: the address bytes as hex.
    """
    if not isinstance(value, str) or len(value) < 2 or not value[:2].isdigit():
        return value
    kind, address = int(value[:2]), value[2:]
    out: dict[str, Any] = {"type": CHANNEL_TYPES.get(kind, f"type {kind}")}
    if kind == 2 and len(address) >= 18 and address[:18].isdigit():
        digits = address[:12]
        out["address"] = ".".join(str(int(digits[i : i + 3])) for i in range(0, 12, 3))
        out["port"] = int(address[12:18])
    elif kind in (1, 5):
        out["address"] = address.rstrip("F")
    elif address:
        out["address"] = address
    return out
