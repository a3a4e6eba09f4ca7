"""Parameter values of SZY206 / SL/T 427 self-reports: the per-class data formats.

SL/T 427-2021 表33–表47 (docs/protocols.md §2.9). Every value is packed BCD, **least significant byte first**;
one item per instrument, items back to back. An item starting with ``AA AA`` (all ``AA`` for the
composite weather and soil items) means "no instrument / invalid" and decodes to ``None``.

Keys of the decoded ``values`` dict, each a list with one entry per instrument:

====  ==================  =====  ============================================================
Type  key                 bytes  layout
====  ==================  =====  ============================================================
1     rainfall_mm         3      1 decimal
2     level_m             4      3 decimals, top nibble of byte 4 = sign (0 +, F −)
3     flow / flow_unit /  5      3 decimals; byte 5: D7–D6 sign (00 +, 11 −), D5–D4 unit
      flow_m3h                   (00 m³/s, 11 m³/h), D3–D0 the 10⁵ digit (表35, wainshine reading);
                                 with ``flow_unit_bits=False`` the top nibble is a sign (0/F) only
3     volume_m3           5      integer m³ (0–799999999)
4     velocity_ms         3      3 decimals, top nibble of byte 3 = sign
5     gate_m              3      2 decimals
6     power_kw            3      integer
7     weather             8      dict: pressure_hpa (3 B, ×100 Pa), wind_ms (2.5 B, 2 dp),
                                 wind_dir (high nibble of byte 6, 0–8), air_temp_c (2 B, 1 dp,
                                 sign nibble); an ``A`` part = not collected = None
8     energy_kwh          4      2 decimals
9     water_temp_c        2      1 decimal
A     water_quality       5+4n   dict: parameters (bit numbers 0–39 of the 5-byte bitmap) and raw
                                 (4-byte BCD each, unscaled: decimals per 表43 are per parameter)
B     soil                4      dict: moisture_pct (2 B, 1 dp), depth_cm (2 B)
C     evaporation_mm      3      1 decimal
D     voltage_v           2      2 decimals (terminal voltage)
F     pressure_kpa        4      2 decimals
====  ==================  =====  ============================================================

Class 3 sends, per meter, instantaneous flow then cumulative volume (``flow_first``; JXJS firmware
can swap them). An odd item count means the last meter sent only its first item; the missing
partner decodes to ``None``. Classes 0 and E have no per-item layout: their bytes are kept as
``{"raw": hex}``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from changji.water.protocols.errors import DecodeError, EncodeError
from changji.water.protocols.szy206.codes import (
    TYPE_1_RAINFALL,
    TYPE_2_WATER_LEVEL,
    TYPE_3_FLOW,
    TYPE_4_VELOCITY,
    TYPE_5_GATE,
    TYPE_6_POWER,
    TYPE_7_WEATHER,
    TYPE_8_ENERGY,
    TYPE_9_WATER_TEMPERATURE,
    TYPE_A_WATER_QUALITY,
    TYPE_B_SOIL_MOISTURE,
    TYPE_C_EVAPORATION,
    TYPE_D_ALARM_STATUS,
    TYPE_F_WATER_PRESSURE,
)

__pure__ = True  # no Django: tests/test_architecture.py checks it

MISSING = 0xAA
UNIT_M3S = "m3/s"
UNIT_M3H = "m3/h"
FLOW_SIZE = 5
WEATHER_SIZE = 8
SOIL_SIZE = 4
QUALITY_BITMAP_SIZE = 5
QUALITY_VALUE_SIZE = 4


@dataclass(frozen=True, slots=True)
class ScalarFormat:
    """One BCD number per item: ``size`` bytes, ``decimals`` implied, optional sign nibble."""

    key: str
    size: int
    decimals: int
    signed: bool = False


SCALAR_FORMATS: dict[int, ScalarFormat] = {
    TYPE_1_RAINFALL: ScalarFormat("rainfall_mm", 3, 1),
    TYPE_2_WATER_LEVEL: ScalarFormat("level_m", 4, 3, signed=True),
    TYPE_4_VELOCITY: ScalarFormat("velocity_ms", 3, 3, signed=True),
    TYPE_5_GATE: ScalarFormat("gate_m", 3, 2),
    TYPE_6_POWER: ScalarFormat("power_kw", 3, 0),
    TYPE_8_ENERGY: ScalarFormat("energy_kwh", 4, 2),
    TYPE_9_WATER_TEMPERATURE: ScalarFormat("water_temp_c", 2, 1),
    TYPE_C_EVAPORATION: ScalarFormat("evaporation_mm", 3, 1),
    TYPE_D_ALARM_STATUS: ScalarFormat("voltage_v", 2, 2),
    TYPE_F_WATER_PRESSURE: ScalarFormat("pressure_kpa", 4, 2),
}

#: Bytes per item of every fixed-size class (water quality is variable, 0 and E have none).
ITEM_SIZES: dict[int, int] = {
    **{code: fmt.size for code, fmt in SCALAR_FORMATS.items()},
    TYPE_3_FLOW: FLOW_SIZE,
    TYPE_7_WEATHER: WEATHER_SIZE,
    TYPE_B_SOIL_MOISTURE: SOIL_SIZE,
}

_PRESSURE = ScalarFormat("pressure_hpa", 3, 0)
_AIR_TEMP = ScalarFormat("air_temp_c", 2, 1, signed=True)
_MOISTURE = ScalarFormat("moisture_pct", 2, 1)
_DEPTH = ScalarFormat("depth_cm", 2, 0)
_VOLUME = ScalarFormat("volume_m3", 5, 0)


# --- numbers ------------------------------------------------------------------------------------


def _number(digits: str, decimals: int, what: str, raw: bytes) -> int | float:
    if not digits.isdigit():
        raise DecodeError(f"szy206 {what}: invalid BCD digits in {raw.hex().upper()}")
    value = int(digits)
    return value / 10**decimals if decimals else value


def decode_scalar(item: bytes, fmt: ScalarFormat) -> int | float | None:
    """Decode one little-endian BCD item; ``None`` for the ``AA`` "missing" marker."""
    if item[:2] == b"\xaa\xaa":
        return None
    digits = item[::-1].hex()
    if not fmt.signed:
        return _number(digits, fmt.decimals, fmt.key, item)
    sign = digits[0]
    if sign not in "0f":
        raise DecodeError(
            f"szy206 {fmt.key}: sign nibble {sign.upper()} is neither 0 nor F in {item.hex().upper()}"
        )
    value = _number(digits[1:], fmt.decimals, fmt.key, item)
    return -value if sign == "f" else value


def _scaled(value: Any, decimals: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise EncodeError(f"szy206 {what}: {value!r} is not a finite number")
    return round(value * 10**decimals) if decimals else round(value)


def encode_scalar(value: Any, fmt: ScalarFormat) -> bytes:
    """Encode one item; ``None`` becomes ``AA``×size."""
    if value is None:
        return bytes([MISSING]) * fmt.size
    number = _scaled(value, fmt.decimals, fmt.key)
    digits = 2 * fmt.size - (1 if fmt.signed else 0)
    if number < 0 and not fmt.signed or abs(number) >= 10**digits:
        raise EncodeError(f"szy206 {fmt.key}: {value!r} does not fit {fmt.size} BCD bytes")
    text = f"{abs(number):0{digits}d}"
    if fmt.signed:
        text = ("f" if number < 0 else "0") + text
    return bytes.fromhex(text)[::-1]


# --- flow (class 3) -----------------------------------------------------------------------------


def decode_flow(item: bytes, unit_bits: bool) -> tuple[float | None, str | None]:
    """Decode an instantaneous flow item (表35) into (value in its unit, unit)."""
    if item[:2] == b"\xaa\xaa":
        return None, None
    top = item[4] >> 4
    if unit_bits:
        sign, unit_code = top >> 2, top & 3
        if sign not in (0, 3) or unit_code not in (0, 3):
            raise DecodeError(f"szy206 flow: byte 5 bits {top:04b} are not sign 00/11 + unit 00/11")
        negative, unit = sign == 3, UNIT_M3H if unit_code == 3 else UNIT_M3S
    else:
        if top not in (0, 0xF):
            raise DecodeError(f"szy206 flow: sign nibble {top:X} is neither 0 nor F")
        negative, unit = top == 0xF, UNIT_M3S
    digits = (bytes([item[4] & 0x0F]) + item[3::-1]).hex()
    value = _number(digits, 3, "flow", item)
    return (-value if negative else value), unit


def encode_flow(value: Any, unit: str | None, unit_bits: bool) -> bytes:
    """Encode an instantaneous flow item; ``None`` becomes ``AA``×5."""
    if value is None:
        return bytes([MISSING]) * FLOW_SIZE
    number = _scaled(value, 3, "flow")
    if abs(number) >= 10**9:
        raise EncodeError(f"szy206 flow: {value!r} is outside ±999999.999")
    unit = unit or UNIT_M3S
    if unit not in (UNIT_M3S, UNIT_M3H) or unit == UNIT_M3H and not unit_bits:
        raise EncodeError(
            f"szy206 flow: unit {unit!r} cannot be sent (unit bits {'on' if unit_bits else 'off'})"
        )
    low = bytes.fromhex(f"{abs(number):010d}")[::-1]  # 4 bytes + the 10^5 digit in a fifth
    if unit_bits:
        top = (0xC if number < 0 else 0) | (0x3 if unit == UNIT_M3H else 0)
    else:
        top = 0xF if number < 0 else 0
    return low[:4] + bytes([top << 4 | low[4]])


def flow_to_m3h(value: float | None, unit: str | None) -> float | None:
    """Convert a flow in its native unit to m³/h."""
    if value is None:
        return None
    return value * 3600 if unit == UNIT_M3S else value


def _decode_flow_class(body: bytes, flow_first: bool, unit_bits: bool) -> dict[str, Any]:
    items: list[bytes | None] = list(_split(body, FLOW_SIZE, "flow"))
    if len(items) % 2:
        items.append(None)
    flows_raw, volumes_raw = (items[0::2], items[1::2]) if flow_first else (items[1::2], items[0::2])
    flows: list[float | None] = []
    units: list[str | None] = []
    for raw in flows_raw:
        value, unit = decode_flow(raw, unit_bits) if raw is not None else (None, None)
        flows.append(value)
        units.append(unit)
    return {
        "flow": flows,
        "flow_unit": units,
        "flow_m3h": [flow_to_m3h(v, u) for v, u in zip(flows, units, strict=True)],
        "volume_m3": [decode_scalar(raw, _VOLUME) if raw is not None else None for raw in volumes_raw],
    }


def _encode_flow_class(values: dict[str, Any], flow_first: bool, unit_bits: bool) -> bytes:
    flows = list(values.get("flow") or [])
    volumes = list(values.get("volume_m3") or [])
    units = list(values.get("flow_unit") or [])
    count = max(len(flows), len(volumes))
    flows += [None] * (count - len(flows))
    volumes += [None] * (count - len(volumes))
    units += [None] * (count - len(units))
    out = bytearray()
    for flow, unit, volume in zip(flows, units, volumes, strict=False):
        pair = (encode_flow(flow, unit, unit_bits), encode_scalar(volume, _VOLUME))
        out += pair[0] + pair[1] if flow_first else pair[1] + pair[0]
    return bytes(out)


# --- weather (class 7), soil (class B), water quality (class A) ---------------------------------


def _decode_weather(item: bytes) -> dict[str, Any] | None:
    if item == bytes([MISSING]) * WEATHER_SIZE:
        return None
    wind_raw = item[3:6]
    wind_nibble = wind_raw[2] >> 4
    wind_speed = None
    if wind_raw[:2] != b"\xaa\xaa":
        wind_speed = _number((bytes([wind_raw[2] & 0x0F]) + wind_raw[1::-1]).hex()[1:], 2, "wind", item)
    if wind_nibble != 0xA and wind_nibble > 9:
        raise DecodeError(f"szy206 weather: wind direction nibble {wind_nibble:X} is not a digit")
    return {
        "pressure_hpa": None if item[0:3] == b"\xaa\xaa\xaa" else decode_scalar(item[0:3], _PRESSURE),
        "wind_ms": wind_speed,
        "wind_dir": None if wind_nibble == 0xA else wind_nibble,
        "air_temp_c": decode_scalar(item[6:8], _AIR_TEMP),
    }


def _encode_weather(item: Any) -> bytes:
    if item is None:
        return bytes([MISSING]) * WEATHER_SIZE
    if not isinstance(item, dict):
        raise EncodeError(f"szy206 weather: item {item!r} is not a dict")
    pressure = encode_scalar(item.get("pressure_hpa"), _PRESSURE)
    speed, direction = item.get("wind_ms"), item.get("wind_dir")
    wind = (
        bytearray(b"\xaa\xaa\x0a")
        if speed is None
        else bytearray(encode_scalar(speed, ScalarFormat("wind", 3, 2)))
    )
    if wind[2] > 0x0F and speed is not None:
        raise EncodeError(f"szy206 weather: wind {speed!r} is above 999.99 m/s")
    if direction is None:
        wind[2] |= 0xA0
    elif isinstance(direction, int) and not isinstance(direction, bool) and 0 <= direction <= 9:
        wind[2] |= direction << 4
    else:
        raise EncodeError(f"szy206 weather: wind direction {direction!r} is not 0-9")
    return pressure + bytes(wind) + encode_scalar(item.get("air_temp_c"), _AIR_TEMP)


def _decode_soil(item: bytes) -> dict[str, Any] | None:
    if item == bytes([MISSING]) * SOIL_SIZE:
        return None
    return {"moisture_pct": decode_scalar(item[0:2], _MOISTURE), "depth_cm": decode_scalar(item[2:4], _DEPTH)}


def _encode_soil(item: Any) -> bytes:
    if item is None:
        return bytes([MISSING]) * SOIL_SIZE
    if not isinstance(item, dict):
        raise EncodeError(f"szy206 soil: item {item!r} is not a dict")
    return encode_scalar(item.get("moisture_pct"), _MOISTURE) + encode_scalar(item.get("depth_cm"), _DEPTH)


_QUALITY_RAW = ScalarFormat("water_quality", QUALITY_VALUE_SIZE, 0)


def _quality_blocks(body: bytes) -> list[tuple[list[int], bytes]] | None:
    """Split a class-A body into (parameter bits, value bytes) blocks; None if it does not fit."""
    blocks = []
    pos = 0
    while pos < len(body):
        if len(body) - pos < QUALITY_BITMAP_SIZE:
            return None
        bitmap = int.from_bytes(body[pos : pos + QUALITY_BITMAP_SIZE], "little")
        bits = [bit for bit in range(40) if bitmap >> bit & 1]
        start = pos + QUALITY_BITMAP_SIZE
        pos = start + QUALITY_VALUE_SIZE * len(bits)
        if pos > len(body):
            return None
        blocks.append((bits, body[start:pos]))
    return blocks


def _decode_quality(body: bytes) -> list[dict[str, Any]]:
    blocks = _quality_blocks(body)
    if blocks is None:
        raise DecodeError(f"szy206 water quality: {len(body)} bytes do not split into bitmap + values blocks")
    out = []
    for bits, raw in blocks:
        items = [raw[i : i + QUALITY_VALUE_SIZE] for i in range(0, len(raw), QUALITY_VALUE_SIZE)]
        out.append({"parameters": bits, "raw": [decode_scalar(item, _QUALITY_RAW) for item in items]})
    return out


def _encode_quality(blocks: list[Any]) -> bytes:
    out = bytearray()
    for block in blocks:
        bits, raws = list(block.get("parameters", [])), list(block.get("raw", []))
        if len(bits) != len(raws) or bits != sorted(set(bits)) or any(not 0 <= b < 40 for b in bits):
            raise EncodeError(f"szy206 water quality: bad block {block!r}")
        out += sum((1 << bit for bit in bits), 0).to_bytes(QUALITY_BITMAP_SIZE, "little")
        for raw in raws:
            out += encode_scalar(raw, _QUALITY_RAW)
    return bytes(out)


# --- dispatch -----------------------------------------------------------------------------------


def class_fits(type_code: int, body: bytes) -> bool:
    """Return True when ``body`` can be the value bytes of class ``type_code`` (length check only)."""
    if type_code == TYPE_A_WATER_QUALITY:
        return _quality_blocks(body) is not None
    size = ITEM_SIZES.get(type_code)
    return size is None or len(body) % size == 0


def _split(body: bytes, size: int, what: str) -> list[bytes]:
    if len(body) % size:
        raise DecodeError(f"szy206 {what}: {len(body)} value bytes are not a multiple of {size}")
    return [body[i : i + size] for i in range(0, len(body), size)]


def decode_values(
    type_code: int, body: bytes, flow_first: bool = True, unit_bits: bool = True
) -> dict[str, Any]:
    """Decode the value bytes of a self-report of parameter class ``type_code``."""
    fmt = SCALAR_FORMATS.get(type_code)
    if fmt is not None:
        return {fmt.key: [decode_scalar(item, fmt) for item in _split(body, fmt.size, fmt.key)]}
    if type_code == TYPE_3_FLOW:
        return _decode_flow_class(body, flow_first, unit_bits)
    if type_code == TYPE_7_WEATHER:
        return {"weather": [_decode_weather(item) for item in _split(body, WEATHER_SIZE, "weather")]}
    if type_code == TYPE_B_SOIL_MOISTURE:
        return {"soil": [_decode_soil(item) for item in _split(body, SOIL_SIZE, "soil")]}
    if type_code == TYPE_A_WATER_QUALITY:
        return {"water_quality": _decode_quality(body)}
    return {"raw": body.hex().upper()} if body else {}


def encode_values(
    type_code: int, values: dict[str, Any], flow_first: bool = True, unit_bits: bool = True
) -> bytes:
    """Encode ``values`` (the dict ``decode_values`` returns) into value bytes of class ``type_code``."""
    fmt = SCALAR_FORMATS.get(type_code)
    if fmt is not None:
        return b"".join(encode_scalar(v, fmt) for v in values.get(fmt.key) or [])
    if type_code == TYPE_3_FLOW:
        return _encode_flow_class(values, flow_first, unit_bits)
    if type_code == TYPE_7_WEATHER:
        return b"".join(_encode_weather(item) for item in values.get("weather") or [])
    if type_code == TYPE_B_SOIL_MOISTURE:
        return b"".join(_encode_soil(item) for item in values.get("soil") or [])
    if type_code == TYPE_A_WATER_QUALITY:
        return _encode_quality(list(values.get("water_quality") or []))
    try:
        return bytes.fromhex(values.get("raw", ""))
    except (TypeError, ValueError) as exc:
        raise EncodeError(f"szy206 raw values {values.get('raw')!r} are not hex") from exc
