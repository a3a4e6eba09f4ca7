"""A protocol profile's stored options (JSON) as codec options, checked with clear Chinese errors.

A profile (``models.ProtocolProfile``) keeps its codec options as a JSON object; ``parse_options`` turns it
into ``Sl651Options`` or ``Szy206Options`` or raises ``ProfileOptionsError`` listing every problem. Keys:

SZY206: ``ack_style`` (hm1212 / blg / sl427), ``word_order`` (little / big: the alarm and status words),
``flow_first`` (true: flow then volume in class 3), ``flow_unit_bits`` (true: SL/T 427 表35 sign/unit bits),
``time_label_length`` (null = inferred, 5 = 2016, 7 = SL/T 427), ``address_order`` (raw / be / le / le_bcd).

SL651: ``volume_extension`` and ``energy_extension`` (``FFxx`` codes or null), ``ack_end`` (EOT / ESC),
``ack_time`` (echo / centre).

Missing keys take the codec's defaults; unknown keys are refused (a typo must not pass silently).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from typing import Any

from changji.water.protocols.sl651 import Sl651Options
from changji.water.protocols.sl651.codes import EOT, ESC
from changji.water.protocols.szy206 import Szy206Options

__pure__ = True  # no Django: tests/test_architecture.py checks it

PROTOCOLS = ("szy206", "sl651")
LINK_MODES = {"online": "永久在线", "dial_in": "定时上线（拨号）", "sms": "短信唤醒"}

_SZY206_CHOICES: dict[str, tuple[Any, ...]] = {
    "ack_style": ("hm1212", "blg", "sl427"),
    "word_order": ("little", "big"),
    "time_label_length": (None, 5, 7),
    "address_order": ("raw", "be", "le", "le_bcd"),
}
_SZY206_FLAGS = ("flow_first", "flow_unit_bits")
_SL651_ENDS = {"EOT": EOT, "ESC": ESC}
_EXTENSION = re.compile(r"^FF[0-9A-F]{2}$")

#: Chinese names of the option keys, for error messages and the pages.
LABELS = {
    "ack_style": "确认帧样式", "word_order": "报警/状态字字节序", "flow_first": "流量在前（水量在后）",
    "flow_unit_bits": "流量单位位（SL/T 427 表35）", "time_label_length": "时间标签长度",
    "address_order": "地址编码顺序", "volume_extension": "累计水量扩展码", "energy_extension": "累计电量扩展码",
    "ack_end": "确认结束符", "ack_time": "确认帧时间",
}

Options = Sl651Options | Szy206Options


class ProfileOptionsError(ValueError):
    """The stored options are not valid for the protocol; ``problems`` lists each one in Chinese."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("；".join(problems))
        self.problems = problems


def load_json(text: str) -> dict[str, Any]:
    """Parse options typed as JSON text (forms, imports); refuse anything but an object."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"第 {exc.lineno} 行第 {exc.colno} 列"
        raise ProfileOptionsError([f"规约参数不是合法的 JSON：{exc.msg}（{where}）"]) from exc
    if not isinstance(value, dict):
        raise ProfileOptionsError(["规约参数必须是 JSON 对象，例如 {\"word_order\": \"big\"}"])
    return value


def parse_options(protocol: str, stored: Any) -> Options:
    """Return the codec options of ``stored`` (a JSON object) for ``protocol``; ProfileOptionsError when wrong."""
    if protocol not in PROTOCOLS:
        raise ProfileOptionsError([f"规约必须是 szy206 或 sl651，而不是 {protocol!r}"])
    if stored is None:
        stored = {}
    if not isinstance(stored, dict):
        raise ProfileOptionsError(["规约参数必须是 JSON 对象"])
    if protocol == "szy206":
        return _szy206(stored)
    return _sl651(stored)


def _unknown(stored: dict[str, Any], known: set[str], protocol: str) -> list[str]:
    return [f"未知参数 {key!r}（{protocol} 可用：{'、'.join(sorted(known))}）" for key in stored if key not in known]


def _szy206(stored: dict[str, Any]) -> Szy206Options:
    known = set(_SZY206_CHOICES) | set(_SZY206_FLAGS)
    problems = _unknown(stored, known, "szy206")
    values: dict[str, Any] = {}
    for key, allowed in _SZY206_CHOICES.items():
        if key in stored:
            value = stored[key]
            if isinstance(value, bool) or value not in allowed:
                shown = "、".join("自动" if a is None else str(a) for a in allowed)
                problems.append(f"{LABELS[key]}（{key}）必须是 {shown} 之一，而不是 {value!r}")
            else:
                values[key] = value
    for key in _SZY206_FLAGS:
        if key in stored:
            if not isinstance(stored[key], bool):
                problems.append(f"{LABELS[key]}（{key}）必须是 true 或 false，而不是 {stored[key]!r}")
            else:
                values[key] = stored[key]
    if problems:
        raise ProfileOptionsError(problems)
    return Szy206Options(**values)


def _sl651(stored: dict[str, Any]) -> Sl651Options:
    known = {"volume_extension", "energy_extension", "ack_end", "ack_time"}
    problems = _unknown(stored, known, "sl651")
    values: dict[str, Any] = {}
    for key in ("volume_extension", "energy_extension"):
        value = stored.get(key)
        if value is None or value == "":
            continue
        if not isinstance(value, str) or not _EXTENSION.match(value.upper()):
            problems.append(f"{LABELS[key]}（{key}）必须是 FF00–FFFF 的扩展码（如 FF01），而不是 {value!r}")
        else:
            values[key] = value.upper()
    if "ack_end" in stored:
        end = stored["ack_end"]
        if end not in _SL651_ENDS:
            problems.append(f"{LABELS['ack_end']}（ack_end）必须是 EOT 或 ESC，而不是 {end!r}")
        else:
            values["ack_end"] = _SL651_ENDS[end]
    if "ack_time" in stored:
        if stored["ack_time"] not in ("echo", "centre"):
            problems.append(f"{LABELS['ack_time']}（ack_time）必须是 echo 或 centre，而不是 {stored['ack_time']!r}")
        else:
            values["ack_time"] = stored["ack_time"]
    if values.get("volume_extension") and values.get("volume_extension") == values.get("energy_extension"):
        problems.append("累计水量与累计电量不能使用同一个扩展码")
    if problems:
        raise ProfileOptionsError(problems)
    return Sl651Options(**values)


def to_json(options: Options) -> dict[str, Any]:
    """Return ``options`` as the stored JSON object (every key, so a profile shows what it means)."""
    data = asdict(options)
    if isinstance(options, Sl651Options):
        data["ack_end"] = "ESC" if options.ack_end == ESC else "EOT"
    return data


def normalise(protocol: str, stored: Any) -> dict[str, Any]:
    """Return ``stored`` checked and completed with the defaults (what is saved)."""
    return to_json(parse_options(protocol, stored))


def describe(protocol: str, stored: dict[str, Any]) -> list[tuple[str, str]]:
    """Return (label, value) rows of a profile's options for the pages."""
    rows = []
    for key, value in normalise(protocol, stored).items():
        shown = "自动" if value is None else ("是" if value is True else "否" if value is False else str(value))
        rows.append((f"{LABELS.get(key, key)}（{key}）", shown))
    return rows
