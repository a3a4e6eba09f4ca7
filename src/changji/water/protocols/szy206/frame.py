"""SZY206 frames: ``68 L 68 C [DIVS] A AFN D [PW] [Tp] CS 16``, decoded and encoded.

Frame layout per SZY206-2016 / SL/T 427-2021 §帧结构 (docs/protocols.md §2.2): L counts the user data area
C … Tp, the whole frame is L + 5 bytes, CS is the CRC-8/0xE5 of the user data area (§2.6). The
layout of D and of the AUX fields (PW, Tp) depends on the AFN and the direction; the rules used here
are listed in the ``szy206`` module docstring.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from changji.water.protocols.bcd import bcd_le_to_int
from changji.water.protocols.crc import crc8_e5
from changji.water.protocols.errors import ChecksumError, DecodeError, EncodeError, FramingError
from changji.water.protocols.szy206.codes import (
    AFN_02_LINK_CHECK,
    AFN_5D_QUERY_EVENTS,
    AFN_5E_QUERY_STATUS_ALARM,
    AFN_11_SET_CLOCK,
    AFN_32_QUOTA_CONTROL_ON,
    AFN_33_QUOTA_CONTROL_OFF,
    AFN_34_SET_QUOTA,
    AFN_84_VOLTAGE_REPORT,
    AFN_92_START_PUMP,
    AFN_93_STOP_PUMP,
    AFN_FF_USER_DEFINED,
    C_DIR_UPLINK,
    C_DIV_SPLIT,
    COMMAND_AFNS,
    CONFIRMED_AFNS,
    DOWNLINK_DATA_SIZE,
    IMAGE_AFNS,
    LINK_NAMES,
    PASSWORD_AFNS,
    REPORT_AFNS,
    TYPE_D_ALARM_STATUS,
    UPLINK_DATA_SIZE,
)
from changji.water.protocols.szy206.time import TP_2016_LENGTH, TP_SL427_LENGTH, TimeLabel, decode_clock
from changji.water.protocols.szy206.values import class_fits, decode_values

__pure__ = True  # no Django: tests/test_architecture.py checks it

FRAME_START = 0x68
FRAME_END = 0x16
MIN_FRAME_LENGTH = 12  # 68 L 68 C A(5) AFN CS 16
WORDS_LENGTH = 4  # alarm word + terminal status word (§2.10)
PASSWORD_LENGTH = 2
_ORDERS = ("little", "big")


@dataclass(frozen=True)
class Szy206Options:
    """Field variants of the 68H family (§2.10, §2.12) that a frame cannot tell by itself."""

    word_order: str = "little"
    flow_first: bool = True
    flow_unit_bits: bool = True
    time_label_length: int | None = None
    ack_style: str = "hm1212"
    address_order: str = "raw"

    def __post_init__(self) -> None:
        checks = (
            ("word_order", self.word_order, _ORDERS),
            ("time_label_length", self.time_label_length, (None, TP_2016_LENGTH, TP_SL427_LENGTH)),
            ("ack_style", self.ack_style, ("hm1212", "blg", "sl427")),
            ("address_order", self.address_order, ("raw", "be", "le", "le_bcd")),
        )
        for name, value, allowed in checks:
            if value not in allowed:
                raise ValueError(f"Szy206Options.{name} must be one of {allowed}, got {value!r}")


DEFAULT_OPTIONS = Szy206Options()


def _bits(word: int | None) -> list[int] | None:
    return None if word is None else [bit for bit in range(16) if word >> bit & 1]


def address_parts(address: str, order: str) -> dict[str, Any]:
    """Split A into the region code A1 (3 BCD bytes) and station number A2 read per ``order`` (§2.4)."""
    raw = bytes.fromhex(address)
    a2 = raw[3:5]
    number: int | None
    if order == "be":
        number = int.from_bytes(a2, "big")
    elif order == "le":
        number = int.from_bytes(a2, "little")
    else:
        digits = a2[::-1].hex()
        number = int(digits) if digits.isdigit() else None
    return {"region_code": raw[:3].hex().upper(), "station_number": number}


@dataclass(frozen=True, slots=True)
class Szy206Frame:
    """One SZY206 frame. ``data`` is D exactly as sent; the fields after it are decoded from it."""

    direction: str
    div: bool
    divs: int | None
    fcb: int
    type_code: int
    address: str
    afn: int
    data: bytes
    password: int | None
    time_label: TimeLabel | None
    values: dict[str, Any] = field(default_factory=dict)
    alarm_word: int | None = None
    status_word: int | None = None
    link: str | None = None
    image: bytes = b""

    @property
    def control(self) -> int:
        """Return the control byte C (DIR, DIV, FCB, type code)."""
        return (
            (C_DIR_UPLINK if self.direction == "up" else 0)
            | (C_DIV_SPLIT if self.div else 0)
            | (self.fcb & 3) << 4
            | (self.type_code & 0x0F)
        )

    @property
    def function(self) -> str:
        """Return the AFN as hex text: two digits, four for a user-defined ``FF xx``."""
        return f"{self.afn:02X}"

    @property
    def alarm_bits(self) -> list[int] | None:
        """Return the numbers of the set bits of the alarm word (§2.10)."""
        return _bits(self.alarm_word)

    @property
    def status_bits(self) -> list[int] | None:
        """Return the numbers of the set bits of the terminal status word (§2.10)."""
        return _bits(self.status_word)

    @property
    def variant(self) -> str:
        """Return "sl427" for a 7-byte Tp or a 2-byte AFN, else "2016"."""
        long_tp = self.time_label is not None and self.time_label.length == TP_SL427_LENGTH
        return "sl427" if long_tp or self.afn > 0xFF else "2016"

    def describe(self, address_order: str = "raw") -> dict[str, Any]:
        """Return the frame as JSON-ready data (the ``changji decode`` fields)."""
        out: dict[str, Any] = {
            "protocol": "szy206",
            "variant": self.variant,
            "direction": self.direction,
            "function": self.function,
            "station": self.address,
            "control": f"{self.control:02X}",
            "type_code": self.type_code,
        }
        if address_order != "raw":
            out["address_parts"] = address_parts(self.address, address_order)
        if self.div:
            out["div"] = True
            out["divs"] = self.divs
        out["time_label"] = self.time_label.as_dict() if self.time_label is not None else None
        out["values"] = self.values
        out["alarm_bits"] = self.alarm_bits
        out["status_bits"] = self.status_bits
        out["link"] = self.link
        if self.password is not None:
            out["password"] = f"{self.password:04X}"
        if self.image:
            out["image_bytes"] = len(self.image)
        return out


# --- decode -------------------------------------------------------------------------------------

_Body = tuple[bytes, int | None, TimeLabel | None, dict[str, Any], int | None, int | None, str | None, bytes]


def decode_szy206(frame: bytes, options: Szy206Options = DEFAULT_OPTIONS) -> Szy206Frame:
    """Decode one whole frame. FramingError/ChecksumError for the envelope, DecodeError for D."""
    if not isinstance(frame, bytes | bytearray | memoryview):
        raise FramingError(f"szy206 frame must be bytes, got {type(frame).__name__}")
    raw = bytes(frame)
    size = len(raw)
    if size < MIN_FRAME_LENGTH:
        raise FramingError(f"szy206 frame too short: {size} bytes, a frame has at least {MIN_FRAME_LENGTH}")
    if raw[0] != FRAME_START or raw[2] != FRAME_START:
        raise FramingError(f"szy206 frame must start with 68 L 68, got {raw[:3].hex(' ').upper()}")
    if raw[-1] != FRAME_END:
        raise FramingError(f"szy206 frame must end with 16, got {raw[-1]:02X}")
    user = raw[3:-2]
    expected = crc8_e5(user)
    if expected != raw[-2]:
        raise ChecksumError("szy206", expected, raw[-2], width=2)
    control = user[0]
    div = bool(control & C_DIV_SPLIT)
    pos = 2 if div else 1
    if len(user) < pos + 6 or user[pos + 5] == AFN_FF_USER_DEFINED and len(user) < pos + 7:
        raise FramingError(f"szy206 user data area of {len(user)} bytes is too short for C, A and AFN")
    address = user[pos : pos + 5].hex().upper()
    afn = user[pos + 5]
    pos += 6
    if afn == AFN_FF_USER_DEFINED:
        afn = 0xFF00 | user[pos]
        pos += 1
    if size != raw[1] + 5 and not (div and afn in IMAGE_AFNS):
        raise FramingError(f"szy206 length field L={raw[1]} means {raw[1] + 5} bytes, the frame has {size}")
    divs = user[1] if div else None
    if divs == 0:
        raise DecodeError("szy206 DIVS is 0: a split message counts down to 1")
    up = bool(control & C_DIR_UPLINK)
    body = _decode_body(up, control & 0x0F, afn, user[pos:], options)
    return Szy206Frame(
        "up" if up else "down", div, divs, control >> 4 & 3, control & 0x0F, address, afn, *body
    )


def _decode_body(up: bool, type_code: int, afn: int, rest: bytes, options: Szy206Options) -> _Body:
    if up:
        if afn in REPORT_AFNS:
            return _decode_report(type_code, rest, options)
        if afn == AFN_84_VOLTAGE_REPORT:
            return _decode_voltage_report(rest, options)
        if afn in IMAGE_AFNS:
            return rest, None, None, {}, None, None, None, rest
        size = UPLINK_DATA_SIZE.get(afn)
        if size is None:
            values = {"result": rest.hex().upper()} if afn in COMMAND_AFNS else {}
            return rest, None, None, values, None, None, None, b""
        data, password, time_label = _split_aux(rest, size, afn, options, downlink=False)
        return (data, password, time_label, *_fixed_uplink(afn, data, options), b"")
    size = DOWNLINK_DATA_SIZE.get(afn)
    if size is None:
        return rest, None, None, {}, None, None, None, b""
    data, password, time_label = _split_aux(rest, size, afn, options, downlink=True)
    values, link = _downlink_values(afn, data)
    return data, password, time_label, values, None, None, link, b""


def _infer_time_label_length(type_code: int, rest: bytes) -> int:
    """Pick 5 or 7 by which one leaves a value block that fits the class; 5 when both or neither.

    Decision 4 of the ``szy206`` package docstring.
    """
    fits_2016 = len(rest) >= WORDS_LENGTH + 5 and class_fits(type_code, rest[: -WORDS_LENGTH - 5])
    fits_sl427 = len(rest) >= WORDS_LENGTH + 7 and class_fits(type_code, rest[: -WORDS_LENGTH - 7])
    return TP_SL427_LENGTH if fits_sl427 and not fits_2016 else TP_2016_LENGTH


def _words(raw: bytes, order: str) -> tuple[int, int]:
    """Read the alarm and status words (§2.10) in the configured byte order."""
    if order == "big":
        return int.from_bytes(raw[0:2], "big"), int.from_bytes(raw[2:4], "big")
    return int.from_bytes(raw[0:2], "little"), int.from_bytes(raw[2:4], "little")


def _decode_report(type_code: int, rest: bytes, options: Szy206Options) -> _Body:
    """C0/81/82/B0 uplink (§2.8): values, alarm word, status word, Tp."""
    tp_length = options.time_label_length or _infer_time_label_length(type_code, rest)
    split = len(rest) - tp_length
    if split < WORDS_LENGTH:
        raise DecodeError(
            f"szy206 report: {len(rest)} bytes after AFN cannot hold the alarm and status words "
            f"and a {tp_length}-byte time label"
        )
    data = rest[:split]
    values = decode_values(type_code, data[:-WORDS_LENGTH], options.flow_first, options.flow_unit_bits)
    alarm, status = _words(data[-WORDS_LENGTH:], options.word_order)
    return data, None, TimeLabel.from_bytes(rest[split:]), values, alarm, status, None, b""


def _decode_voltage_report(rest: bytes, options: Szy206Options) -> _Body:
    """84H (SL/T 427): one 2-byte voltage, optionally alarm + status words, then Tp; told by length."""
    lengths = (options.time_label_length,) if options.time_label_length else (TP_2016_LENGTH, TP_SL427_LENGTH)
    for tp_length in lengths:
        split = len(rest) - tp_length
        if split in (2, 2 + WORDS_LENGTH):
            data = rest[:split]
            values = decode_values(TYPE_D_ALARM_STATUS, data[:2])
            words = _words(data[2:], options.word_order) if split > 2 else (None, None)
            return data, None, TimeLabel.from_bytes(rest[split:]), values, *words, None, b""
    raise DecodeError(f"szy206 voltage report: {len(rest)} bytes after AFN are not voltage [+ words] + Tp")


def _split_aux(
    rest: bytes, size: int, afn: int, options: Szy206Options, downlink: bool
) -> tuple[bytes, int | None, TimeLabel | None]:
    """Split a fixed-size data field from the AUX bytes that follow: [PW (downlink only)] [Tp]."""
    if len(rest) < size:
        raise DecodeError(
            f"szy206 AFN {afn:02X}: {len(rest)} bytes after AFN, the data field alone is {size}"
        )
    aux = rest[size:]
    if len(aux) == 7 and downlink:  # PW + 5-byte Tp, or a 7-byte Tp
        prefer_password = options.time_label_length == TP_2016_LENGTH or (
            options.time_label_length is None and afn in PASSWORD_AFNS
        )
        password_length = PASSWORD_LENGTH if prefer_password else 0
    else:
        layouts = {0: 0, 5: 0, 7: 0, 2: 2, 9: 2} if downlink else {0: 0, 5: 0, 7: 0}
        if len(aux) not in layouts:
            raise DecodeError(
                f"szy206 AFN {afn:02X}: {len(aux)} bytes after the {size}-byte data field are not [PW] [Tp]"
            )
        password_length = layouts[len(aux)]
    password = int.from_bytes(aux[:password_length], "little") if password_length else None
    tp = aux[password_length:]
    return rest[:size], password, TimeLabel.from_bytes(tp) if tp else None


def _fixed_uplink(
    afn: int, data: bytes, options: Szy206Options
) -> tuple[dict[str, Any], int | None, int | None, str | None]:
    """Values, alarm word, status word and link state of the fixed-layout uplinks (02, 5D, 5E)."""
    if afn == AFN_02_LINK_CHECK:
        return {}, None, None, LINK_NAMES.get(data[0])
    if afn == AFN_5E_QUERY_STATUS_ALARM:
        return {}, *_words(data, options.word_order), None
    if afn == AFN_5D_QUERY_EVENTS:  # ERC1…ERC32, 2-byte BIN counters, low byte first
        return (
            {"events": [int.from_bytes(data[i : i + 2], "little") for i in range(0, len(data), 2)]},
            None,
            None,
            None,
        )
    return {}, None, None, None  # pragma: no cover - UPLINK_DATA_SIZE lists only these three


def _downlink_values(afn: int, data: bytes) -> tuple[dict[str, Any], str | None]:
    """Values of the downlinks this codec builds (confirm, echo, commands), to confirm round trips."""
    if afn == AFN_02_LINK_CHECK:
        return {}, LINK_NAMES.get(data[0])
    if afn in CONFIRMED_AFNS:
        return {"work_mode": data[0]}, None
    if afn == AFN_11_SET_CLOCK:
        return {"clock": decode_clock(data)}, None
    if afn in (AFN_32_QUOTA_CONTROL_ON, AFN_33_QUOTA_CONTROL_OFF):
        return {"quota_control": afn == AFN_32_QUOTA_CONTROL_ON}, None
    if afn == AFN_34_SET_QUOTA:
        return {"quota_m3": bcd_le_to_int(data)}, None
    if afn in (AFN_92_START_PUMP, AFN_93_STOP_PUMP):
        return {"pump": data[0]}, None
    return {}, None


# --- encode -------------------------------------------------------------------------------------


def _address_bytes(address: Any) -> bytes:
    try:
        raw = bytes.fromhex(address)
    except (TypeError, ValueError):
        raw = b""
    if len(raw) != 5 or len(address) != 10:
        raise EncodeError(f"szy206 address must be 10 hex digits, got {address!r}")
    return raw


def _afn_bytes(afn: Any) -> bytes:
    if isinstance(afn, int) and not isinstance(afn, bool):
        if 0 <= afn < AFN_FF_USER_DEFINED:
            return bytes([afn])
        if 0xFF00 <= afn <= 0xFFFF:
            return afn.to_bytes(2, "big")
    raise EncodeError(f"szy206 AFN must be 00-FE or FF00-FFFF (user-defined FF xx), got {afn!r}")


def assemble(control: int, divs: int | None, address: str, afn: int, payload: bytes) -> bytes:
    """Wrap C [DIVS] A AFN payload into a whole frame with L, CS and the start/end characters.

    A split picture frame (AFN 61/83 with DIV) longer than 255 bytes gets L = its size in whole KiB
    (at least 1), the "L×1K" of SL/T 427; every other frame must fit the one-byte L.
    """
    if divs is not None and (isinstance(divs, bool) or not isinstance(divs, int) or not 1 <= divs <= 255):
        raise EncodeError(f"szy206 DIVS must be 1-255, got {divs!r}")
    head = bytes([control]) if divs is None else bytes([control, divs])
    user = head + _address_bytes(address) + _afn_bytes(afn) + bytes(payload)
    length = len(user)
    if length > 255:
        if not (control & C_DIV_SPLIT and afn in IMAGE_AFNS):
            raise EncodeError(f"szy206 user data area of {length} bytes does not fit L (max 255)")
        length = min(255, max(1, length // 1024))
    return bytes([FRAME_START, length, FRAME_START]) + user + bytes([crc8_e5(user), FRAME_END])


def _check_header(frame: Szy206Frame) -> None:
    if frame.direction not in ("up", "down"):
        raise EncodeError(f"szy206 direction must be 'up' or 'down', got {frame.direction!r}")
    if not (isinstance(frame.fcb, int) and 0 <= frame.fcb <= 3):
        raise EncodeError(f"szy206 FCB must be 0-3, got {frame.fcb!r}")
    if not (isinstance(frame.type_code, int) and 0 <= frame.type_code <= 15):
        raise EncodeError(f"szy206 type code must be 0-15, got {frame.type_code!r}")
    if frame.div != (frame.divs is not None):
        raise EncodeError(
            f"szy206 DIVS must be given exactly when DIV is set (div={frame.div}, divs={frame.divs})"
        )
    if frame.password is not None and not (isinstance(frame.password, int) and 0 <= frame.password <= 0xFFFF):
        raise EncodeError(f"szy206 password must be 0000-FFFF, got {frame.password!r}")


def encode_szy206(frame: Szy206Frame, options: Szy206Options = DEFAULT_OPTIONS) -> bytes:
    """Encode ``frame`` from its header, ``data``, PW and Tp (the decoded fields are not used)."""
    _check_header(frame)
    aux = b"" if frame.password is None else frame.password.to_bytes(PASSWORD_LENGTH, "little")
    if frame.time_label is not None:
        aux += frame.time_label.to_bytes()
    return assemble(frame.control, frame.divs, frame.address, frame.afn, bytes(frame.data) + aux)
