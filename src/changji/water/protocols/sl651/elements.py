"""SL651-2014 HEX/BCD element groups: the walk over a body and its exact inverse.

An element group is an identifier (guide byte of 附录C + data-definition byte, SL651 6.6.3 表26) and
its data. The data-definition byte gives the size (high 5 bits, bytes) and the decimals (low 3 bits)
of packed BCD; all-F data means "no data" and is checked before the sign rule (first byte ``FF`` =
negative). The special guides of 表C.1 have fixed sizes and are handled first: ``F0 F0`` TT (applies
to the elements after it), ``F1 F1`` ST, ``F2 F2``/``F3 F3`` manual text / picture (rest of body),
``F4`` 12 rain slots, ``F5``..``FC`` 12 level slots, ``FD`` velocity batch, ``04`` time step,
``45`` status word (HEX), ``FF xx`` user extension. In 31H the element after the time step is a
series: one identifier, then values back to back up to the end of the body (6.6.4.3).
"""

from __future__ import annotations

import struct
from datetime import datetime
from typing import Any

from changji.water.protocols.bcd import CST, int_to_bcd
from changji.water.protocols.errors import DecodeError, EncodeError
from changji.water.protocols.sl651.codes import (
    CONFIG_HEX_ITEMS,
    ELEMENT_GUIDES,
    ELEMENTS,
    GUIDE_04_TIME_STEP,
    GUIDE_45_STATUS_WORD,
    GUIDE_F0_OBSERVATION_TIME,
    GUIDE_F1_STATION,
    GUIDE_F2_MANUAL,
    GUIDE_F3_PICTURE,
    GUIDE_F4_RAIN_SLOTS,
    GUIDE_FC_LEVEL_SLOTS_8,
    GUIDE_FD_VELOCITY_BATCH,
    GUIDE_FF_EXTENSION,
    LEVEL_SLOTS_DEFINER,
    LEVEL_SLOTS_SIZE,
    RAIN_SLOTS_DEFINER,
    RAIN_SLOTS_SIZE,
    STATUS_WORD_DEFINER,
    TIME_STEP_DEFINER,
    TYPED_FUNCTIONS,
    UNTYPED_ST_FUNCTIONS,
)
from changji.water.protocols.sl651.frame import Element, Sl651Frame, bcd_digits, make_time, step_minutes

__pure__ = True  # no Django: tests/test_architecture.py checks it

SCALE: tuple[int, ...] = tuple(10**d for d in range(8))
#: Scaled values below this survive int -> float -> int exactly; larger ones stay text.
EXACT_FLOAT_LIMIT = 10**15
_KEYS: dict[int, str] = {guide: info.key for guide, info in ELEMENTS.items()}
_CONFIG_KEYS = tuple(f"{guide:02X}" for guide in range(256))
#: A guide 附录C does not name is keyed by its byte alone (the definer is metadata, ``Element.definer``).
_GUIDE_KEYS = _CONFIG_KEYS
_LEVEL_SLOTS = struct.Struct(">12H")
#: Guides whose data size is fixed by 表C.1 rather than read from the data-definition byte.
_FIXED_GUIDES = frozenset(
    {GUIDE_04_TIME_STEP, GUIDE_45_STATUS_WORD, *range(0xF0, GUIDE_FD_VELOCITY_BATCH + 1)}
)

Walk = tuple[tuple[Element, ...], datetime | None, bytes, int | None]


class _Truncated(Exception):
    """Internal: an element runs past the end of the body (lenient walks stop here)."""


# --- Times -----------------------------------------------------------------------------------------


def decode_sent_time(data: bytes) -> datetime:
    """Decode the 6-byte BCD send time ``YYMMDDhhmmss`` (SL651 表24 field 2)."""
    return make_time(bcd_digits(data))


def decode_minute_time(data: bytes) -> datetime:
    """Decode the 5-byte BCD observation time ``YYMMDDhhmm`` (TT, 表C.1 F0)."""
    return make_time(bcd_digits(data))


def encode_time(moment: datetime, with_seconds: bool) -> bytes:
    """Encode a datetime as BCD in CST (a naive datetime is taken as CST; finer parts are dropped)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(CST)
    if not 2000 <= moment.year <= 2099:
        raise EncodeError(f"year {moment.year} is outside the SL651 range 2000-2099")
    text = f"{moment:%y%m%d%H%M%S}" if with_seconds else f"{moment:%y%m%d%H%M}"
    return bytes.fromhex(text)


# --- Station group ---------------------------------------------------------------------------------


def read_station(body: bytes, pos: int, typed: bool) -> tuple[str, str | None, int]:
    """Read ``F1 F1`` + 5-byte address (+ station-type byte when ``typed``) at ``pos``."""
    stop = pos + (8 if typed else 7)
    if len(body) < stop:
        raise DecodeError(f"truncated ST group: {body[pos:].hex().upper()}")
    station = body[pos + 2 : pos + 7].hex().upper()
    if not typed:
        return station, None, stop
    code = body[pos + 7]
    return station, chr(code) if 0x41 <= code <= 0x5A else f"{code:02X}", stop


def body_station_field(found: str | None, header: str, up: bool, function: int) -> str | None:
    """Return ``Sl651Frame.body_station`` for the ST address ``found`` in a body (None = no ST).

    None stands for the usual case so that frames built by hand need not repeat the address: an
    uplink with a station type (typed functions), or any 40H–51H response, carrying an ST group
    equal to the header address. An explicit address is kept when it differs or is unusual; ``""``
    marks a 40H–51H response without an ST group.
    """
    usual = up and (function in TYPED_FUNCTIONS or function in UNTYPED_ST_FUNCTIONS)
    if found is None:
        return "" if up and function in UNTYPED_ST_FUNCTIONS else None
    return None if usual and found == header else found


def body_station_to_write(frame: Sl651Frame, up: bool) -> str | None:
    """Return the ST address to encode for ``frame`` (inverse of ``body_station_field``), or None."""
    if frame.body_station is not None:
        return frame.body_station or None
    if not up:
        return None
    if frame.function in TYPED_FUNCTIONS:
        return frame.station if frame.station_type is not None else None
    return frame.station if frame.function in UNTYPED_ST_FUNCTIONS else None


def encode_station(station: str, station_type: str | None, typed: bool) -> bytes:
    """Encode the ST group; ``station_type`` is a letter (表A.1) or two hex digits."""
    data = b"\xf1\xf1" + station_bytes(station)
    if not typed:
        if station_type is not None:
            raise EncodeError("this function carries no station-type byte")
        return data
    if station_type is None:
        raise EncodeError("this function needs a station type after the ST address")
    if len(station_type) == 1 and "A" <= station_type <= "Z":
        return data + station_type.encode()
    code = _hex_byte(station_type, "station type")
    if 0x41 <= code <= 0x5A:
        raise EncodeError(f"station type {station_type} must be written as the letter {chr(code)}")
    return data + bytes([code])


def station_bytes(station: str) -> bytes:
    """Encode a 10-hex-digit station address (SL651 §6.2.3, treated as opaque)."""
    try:
        data = bytes.fromhex(station)
    except (ValueError, TypeError):
        raise EncodeError(f"station address {station!r} is not hex") from None
    if len(data) != 5 or len(station) != 10:
        raise EncodeError(f"station address {station!r} must be 10 hex digits")
    return data


def _hex_byte(text: str, what: str) -> int:
    try:
        data = bytes.fromhex(text)
    except (ValueError, TypeError):
        data = b""
    if len(data) != 1 or len(text) != 2:
        raise EncodeError(f"{what} {text!r} must be a letter or two hex digits")
    return data[0]


# --- Values ----------------------------------------------------------------------------------------


def bcd_value(data: bytes, decimals: int, strict: bool) -> float | int | str | None:
    """Decode BCD element data: all-F -> None, ``FF`` prefix -> negative, else scaled number.

    A non-BCD nibble raises DecodeError when ``strict`` (named 附录C guides); otherwise the data is
    returned as uppercase hex (unknown guides and ``FF`` extensions are vendor-specific). A decimal
    value of 16 or more digits, beyond float precision, is returned as its hex text too, so that it
    re-encodes exactly.
    """
    digits = data.hex()
    if digits.isdigit():
        number = int(digits)
        if decimals == 0:
            return number
        if number < EXACT_FLOAT_LIMIT:
            return number / SCALE[decimals]
        return digits  # too many digits for a float to carry exactly: keep the BCD text
    if not digits.strip("f"):
        return None
    if digits[:2] == "ff" and digits[2:].isdigit():
        number = int(digits[2:])
        if decimals == 0:
            return -number
        if number < EXACT_FLOAT_LIMIT:
            return -(number / SCALE[decimals])
        return digits.upper()
    if strict:
        raise DecodeError(f"invalid BCD element data {digits.upper()}")
    return digits.upper()


def encode_bcd_value(value: Any, definer: int) -> bytes:
    """Encode a number, None (all-F) or hex string with the data-definition byte ``definer``."""
    size, decimals = definer >> 3, definer & 7
    if value is None:
        return b"\xff" * size
    if isinstance(value, str):
        return _hex_data(value, size)
    scaled = scaled_int(value, decimals)
    if scaled >= 0 and size:
        return int_to_bcd(scaled, size)
    if scaled < 0 and size >= 2:
        return b"\xff" + int_to_bcd(-scaled, size - 1)
    raise EncodeError(f"value {value!r} does not fit definer {definer:02X}")


def scaled_int(value: Any, decimals: int) -> int:
    """Return ``value`` times 10**decimals as an int (EncodeError for non-numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EncodeError(f"element value {value!r} is not a number")
    if isinstance(value, int) and decimals == 0:
        return value
    try:
        return round(value * SCALE[decimals])
    except (ValueError, OverflowError):
        raise EncodeError(f"element value {value!r} is not finite") from None


def _hex_data(text: str, size: int) -> bytes:
    try:
        data = bytes.fromhex(text)
    except ValueError:
        raise EncodeError(f"element value {text!r} is neither a number nor hex data") from None
    if len(data) != size:
        raise EncodeError(f"hex value {text!r} has {len(data)} bytes, the definer says {size}")
    return data


def encode_step(minutes: Any) -> bytes:
    """Encode a DRxnn time step in minutes as BCD day, hour, minute (表C.1 04H)."""
    if minutes is None:
        return b"\xff\xff\xff"
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
        raise EncodeError(f"time step {minutes!r} must be a non-negative number of minutes")
    days, rest = divmod(minutes, 1440)
    if days > 99:
        raise EncodeError(f"time step of {minutes} minutes exceeds 99 days")
    return bytes.fromhex(f"{days:02d}{rest // 60:02d}{rest % 60:02d}")


# --- Walk --------------------------------------------------------------------------------------------


def walk_elements(body: bytes, pos: int, *, config: bool, series: bool, lenient: bool) -> Walk:
    """Decode the element groups of ``body`` from ``pos`` to the end.

    Return (elements, first TT, payload, payload guide). ``config`` selects 附录D keys (40–43, 47–49),
    ``series`` the 31H rule, ``lenient`` (first packet of an M3 message) turns an element cut off by
    the packet boundary into the payload instead of an error.
    """
    elements: list[Element] = []
    first_tt = tt = None
    end = len(body)
    after_step = False
    while pos < end:
        start = pos
        try:
            guide = body[pos]
            if pos + 2 > end:
                raise _Truncated
            if guide == GUIDE_F0_OBSERVATION_TIME:
                tt, pos = _read_tt(body, pos)
                first_tt = first_tt or tt
                continue
            if guide in (GUIDE_F2_MANUAL, GUIDE_F3_PICTURE):
                if body[pos + 1] != guide:
                    raise DecodeError(f"guide {guide:02X} must be doubled, found {body[pos : pos + 2].hex()}")
                return tuple(elements), first_tt, body[pos + 2 :], guide
            if series and after_step and guide not in _FIXED_GUIDES:
                element, pos = _read_series(body, pos, tt, lenient)
                elements.append(element)
                if pos < end:
                    return tuple(elements), first_tt, body[pos:], None
                break
            element, pos = _read_element(body, pos, guide, tt, config)
        except _Truncated:
            if lenient:
                return tuple(elements), first_tt, body[start:], None
            raise DecodeError(
                f"truncated element at body offset {start}: {body[start:].hex().upper()}"
            ) from None
        after_step = guide == GUIDE_04_TIME_STEP and not config
        elements.append(element)
    return tuple(elements), first_tt, b"", None


#: ``F0 28``: TT written as guide + data-definition byte (5 bytes, 0 decimals), as the public simulator of
#: ``comger/sl651`` does (``internal/sl651/protocol.go`` ``BuildTimeTLV``); read like ``F0 F0``.
TT_AS_ELEMENT_DEFINER = 0x28


def _read_tt(body: bytes, pos: int) -> tuple[datetime, int]:
    second = body[pos + 1]
    if second != GUIDE_F0_OBSERVATION_TIME and second != TT_AS_ELEMENT_DEFINER:
        raise DecodeError(f"TT guide must be F0F0, found {body[pos : pos + 2].hex().upper()}")
    if pos + 7 > len(body):
        raise _Truncated
    return decode_minute_time(body[pos + 2 : pos + 7]), pos + 7


def _take(body: bytes, pos: int, size: int) -> bytes:
    if pos + size > len(body):
        raise _Truncated
    return body[pos : pos + size]


def _read_element(
    body: bytes, pos: int, guide: int, tt: datetime | None, config: bool
) -> tuple[Element, int]:
    definer = body[pos + 1]
    if guide == GUIDE_FF_EXTENSION:
        if pos + 3 > len(body):
            raise _Truncated
        ext, definer = definer, body[pos + 2]
        data = _take(body, pos + 3, definer >> 3)
        return Element(f"FF{ext:02X}", bcd_value(data, definer & 7, False), definer, tt), pos + 3 + len(data)
    if guide not in _FIXED_GUIDES or config and guide != GUIDE_F1_STATION:
        data = _take(body, pos + 2, definer >> 3)
        if config:
            key = _CONFIG_KEYS[guide]
            value = data.hex().upper() if guide in CONFIG_HEX_ITEMS else bcd_value(data, definer & 7, False)
        else:
            key = _KEYS.get(guide) or _GUIDE_KEYS[guide]
            value = bcd_value(data, definer & 7, guide in _KEYS)
        return Element(key, value, definer, tt), pos + 2 + len(data)
    return _read_fixed(body, pos, guide, definer, tt)


def _read_fixed(body: bytes, pos: int, guide: int, definer: int, tt: datetime | None) -> tuple[Element, int]:
    if guide == GUIDE_F1_STATION:
        raise DecodeError(f"ST group F1F1 out of place at body offset {pos}")
    if guide == GUIDE_04_TIME_STEP:
        data = _take(body, pos + 2, 3)
        value = None if data == b"\xff\xff\xff" else step_minutes(bcd_digits(data))
        return Element("DRxnn", value, definer, tt), pos + 5
    if guide == GUIDE_45_STATUS_WORD:
        data = _take(body, pos + 2, definer >> 3)
        word = None if not data.hex().strip("f") else int.from_bytes(data, "big")
        return Element("ZT", word, definer, tt), pos + 2 + len(data)
    if guide == GUIDE_F4_RAIN_SLOTS:
        data = _take(body, pos + 2, RAIN_SLOTS_SIZE)
        rain = tuple(None if b == 0xFF else b / 10 for b in data)
        return Element("DRP", rain, definer, tt), pos + 2 + RAIN_SLOTS_SIZE
    if guide <= GUIDE_FC_LEVEL_SLOTS_8:
        data = _take(body, pos + 2, LEVEL_SLOTS_SIZE)
        levels = tuple(None if v == 0xFFFF else v / 100 for v in _LEVEL_SLOTS.unpack(data))
        return Element(_KEYS[guide], levels, definer, tt), pos + 2 + LEVEL_SLOTS_SIZE
    data = _take(body, pos + 2, definer >> 3)
    return Element("DATA", data.hex().upper(), definer, tt), pos + 2 + len(data)


def _read_series(body: bytes, pos: int, tt: datetime | None, lenient: bool) -> tuple[Element, int]:
    """Read the 31H series: one identifier, then values of its size up to the end of the body."""
    guide = body[pos]
    if guide == GUIDE_FF_EXTENSION:
        if pos + 3 > len(body):
            raise _Truncated
        key, definer, pos = f"FF{body[pos + 1]:02X}", body[pos + 2], pos + 3
    else:
        definer = body[pos + 1]
        key, pos = _KEYS.get(guide) or _GUIDE_KEYS[guide], pos + 2
    size, decimals = definer >> 3, definer & 7
    rest = len(body) - pos
    if size == 0:
        if rest:
            raise DecodeError(f"31H series identifier {key} has zero-size values")
        return Element(key, (), definer, tt), pos
    count, leftover = divmod(rest, size)
    if leftover and not lenient:
        raise DecodeError(f"31H series of {key}: {rest} bytes is not a multiple of {size}")
    strict = guide in _KEYS
    values = tuple(
        bcd_value(body[i : i + size], decimals, strict) for i in range(pos, pos + count * size, size)
    )
    return Element(key, values, definer, tt), pos + count * size


# --- Encoding ----------------------------------------------------------------------------------------


def encode_elements(elements: tuple[Element, ...], observed_at: datetime | None, *, config: bool) -> bytes:
    """Encode element groups, emitting ``F0 F0`` TT whenever the TT in force changes.

    ``observed_at`` (the frame's first TT) is written before the first element that needs it, or at
    the end when no element carries a TT (a picture frame: TT then ``F3 F3``).
    """
    parts: list[bytes] = []
    current: datetime | None = None
    written = False
    for element in elements:
        if element.observed_at != current:
            if element.observed_at is None:
                raise EncodeError(f"element {element.key} has no TT after a TT group")
            if not written and element.observed_at != observed_at:
                raise EncodeError("the frame's observed_at must be the first TT of the body")
            current, written = element.observed_at, True
            parts.append(b"\xf0\xf0" + encode_time(current, with_seconds=False))
        parts.append(encode_element(element, config))
    if observed_at is not None and not written:
        parts.append(b"\xf0\xf0" + encode_time(observed_at, with_seconds=False))
    return b"".join(parts)


def encode_element(element: Element, config: bool) -> bytes:
    """Encode one element group (identifier + data)."""
    key, value, definer = element.key, element.value, element.definer
    ident, guide = identifier_bytes(key, definer, config)
    if guide not in _FIXED_GUIDES or config:
        if definer is None:
            raise EncodeError(f"element {key} needs a data-definition byte")
        ident = ident + bytes([definer])
        if isinstance(value, tuple):
            return ident + b"".join(encode_bcd_value(item, definer) for item in value)
        return ident + encode_bcd_value(value, definer)
    return ident + _encode_fixed(guide, value, definer)


def identifier_bytes(key: str, definer: int | None, config: bool) -> tuple[bytes, int]:
    """Return the identifier bytes before the definer (guide, or FF + extension) and the guide."""
    if len(key) == 4 and key[:2] == "FF":
        return bytes([GUIDE_FF_EXTENSION, _hex_byte(key[2:], "extension")]), GUIDE_FF_EXTENSION
    if config:
        guide = _hex_byte(key, "configuration identifier")
        if GUIDE_F0_OBSERVATION_TIME <= guide <= GUIDE_F3_PICTURE:
            raise EncodeError(f"configuration identifier {key} collides with a special guide")
        return bytes([guide]), guide
    guide = ELEMENT_GUIDES.get(key, -1)
    if guide < 0:
        if len(key) not in (2, 4):
            raise EncodeError(f"unknown element identifier {key!r}")
        guide = _hex_byte(key[:2], "guide")
        # the older four-digit key (guide + definer) is still accepted when it agrees with the definer
        second = definer if len(key) == 2 else _hex_byte(key[2:], "definer")
        if guide in _KEYS or guide in _FIXED_GUIDES or definer != second:
            raise EncodeError(f"identifier {key} does not match a decodable unknown guide")
    return bytes([guide]), guide


def _encode_fixed(guide: int, value: Any, definer: int | None) -> bytes:
    if guide == GUIDE_04_TIME_STEP:
        return bytes([TIME_STEP_DEFINER if definer is None else definer]) + encode_step(value)
    if guide == GUIDE_45_STATUS_WORD:
        definer = STATUS_WORD_DEFINER if definer is None else definer
        return bytes([definer]) + _encode_word(value, definer >> 3)
    if guide == GUIDE_F4_RAIN_SLOTS:
        head = bytes([RAIN_SLOTS_DEFINER if definer is None else definer])
        return head + bytes(_slots(value, RAIN_SLOTS_SIZE, 1, 0xFF))
    if guide == GUIDE_FD_VELOCITY_BATCH:
        if not isinstance(value, str) or definer is None:
            raise EncodeError("DATA (FD) needs a hex string value and a definer")
        return bytes([definer]) + _hex_data(value, definer >> 3)
    head = bytes([LEVEL_SLOTS_DEFINER if definer is None else definer])
    return head + _LEVEL_SLOTS.pack(*_slots(value, LEVEL_SLOTS_SIZE // 2, 2, 0xFFFF))


def _encode_word(value: Any, size: int) -> bytes:
    if value is None:
        return b"\xff" * size
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise EncodeError(f"status word {value!r} must be a non-negative int")
    if value.bit_length() > 8 * size or value == (1 << 8 * size) - 1:
        raise EncodeError(f"status word {value:X} does not fit {size} bytes (all-F means missing)")
    return value.to_bytes(size, "big")


def _slots(value: Any, count: int, decimals: int, missing: int) -> list[int]:
    if not isinstance(value, tuple) or len(value) != count:
        raise EncodeError(f"slot series needs a tuple of {count} values, got {value!r}")
    result = []
    for item in value:
        raw = missing if item is None else scaled_int(item, decimals)
        if not 0 <= raw <= missing or item is not None and raw == missing:
            raise EncodeError(f"slot value {item!r} is out of range")
        result.append(raw)
    return result
