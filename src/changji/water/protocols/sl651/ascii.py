"""SL651-2014 ASCII frames (6.4): the HEX/BCD layout rendered as text.

Header: ``SOH``, centre (2 hex chars), station (10), password (4), function (2), direction +
length (4: ``0`` up / ``8`` down, then 3 hex chars = body length in characters), ``STX`` (or
``SYN`` + 3 + 3 hex chars for total and sequence, counted in the length like the HEX packet bytes).
Body: serial (4 chars) + send time (12 digits), then ``identifier<space>value<space>`` pairs with
the 附录C ASCII identifiers; values are decimal text, ``M`` = missing. Trailer: end character and
the CRC-16/MODBUS of ``SOH``..end character as 4 uppercase hex chars.

Choices where 6.4 is silent (all round-trip byte for byte):

* Every field that is HEX in the HEX/BCD encoding is its hex rendering here, so the serial
  ``0019`` is 0x19 = 25, like the password ``04D2`` = 1234 and the length ``04D`` = 77.
* ``Element.definer`` records the text format as ``digits << 3 | decimals`` (``10.91`` -> 4 digits,
  2 decimals), so ``0.5`` and ``10.91`` re-encode exactly. Series (31H) are several values after one
  identifier; an identifier with no value is an empty tuple.
* ``ZT`` is hex text (``00000481``), ``DRP``/``DRZn`` are the hex rendering of the 12 slots
  (``FF``/``FFFF`` = missing), the time step is the bare token ``DRxnn`` (x = D/H/N),
  ``RGZS``/``PIC`` take the rest of the body. [UNVERIFIED: only the A02 test report was seen.]
* Configuration, version, event and switch bodies (40–51) and downlink parameters stay raw text in
  ``payload``.

Tolerated on decoding (README, "Frames from other implementations"): any run of spaces between the
identifier/value groups, and spaces between the send time and ``ST``, as other encoders write them. The
final space stays mandatory. Such a frame decodes to the frame its single-spaced form gives; re-encoding
writes single spaces (the gateway archives the raw bytes).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from changji.water.protocols.crc import crc16_modbus
from changji.water.protocols.errors import ChecksumError, DecodeError, EncodeError, FramingError
from changji.water.protocols.sl651.codes import (
    CONFIG_FUNCTIONS_UP,
    GUIDE_F2_MANUAL,
    GUIDE_F3_PICTURE,
    KNOWN_FUNCTIONS,
    RAW_TAIL_FUNCTIONS_UP,
    SOH,
    STX,
    SYN,
    TYPED_FUNCTIONS,
)
from changji.water.protocols.sl651.elements import (
    EXACT_FLOAT_LIMIT,
    SCALE,
    body_station_field,
    body_station_to_write,
    encode_time,
    scaled_int,
)
from changji.water.protocols.sl651.frame import Element, Sl651Frame, make_time
from changji.water.protocols.sl651.hex import BODY_NAMES, MAX_LENGTH, BodyFields, check_end, check_header, check_start

__pure__ = True  # no Django: tests/test_architecture.py checks it

MIN_FRAME = 29  #: 24-character header with STX, end character and 4 CRC characters
_UPPER_HEX = frozenset(b"0123456789ABCDEF")
_NUMBER = re.compile(rb"(-?)(\d*)(?:\.(\d+))?")
_STEP = re.compile(rb"DR([DHN])(\d\d)")
_STEP_UNITS = {b"D": 1440, b"H": 60, b"N": 1}
_SLOT_KEYS = {"DRP": (2, 1), **{f"DRZ{i}": (4, 2) for i in range(1, 9)}}
_REST_TOKENS = {b"RGZS": GUIDE_F2_MANUAL, b"PIC": GUIDE_F3_PICTURE}
_REST_NAMES = {GUIDE_F2_MANUAL: "RGZS", GUIDE_F3_PICTURE: "PIC"}
_RESERVED = frozenset({"ST", "TT", "RGZS", "PIC", "M"})


def _hex_field(data: bytes, what: str) -> int:
    if not data or not _UPPER_HEX.issuperset(data):
        raise DecodeError(f"SL651 ASCII {what} {data!r} is not uppercase hex")
    return int(data, 16)


def decode_ascii(frame: bytes) -> Sl651Frame:
    """Decode one whole ASCII frame starting with ``SOH``."""
    size = len(frame)
    if size < MIN_FRAME:
        raise FramingError(f"SL651 ASCII frame too short: {size} bytes, at least {MIN_FRAME} needed")
    crc_text = frame[-4:]
    if not _UPPER_HEX.issuperset(crc_text.upper()):
        raise FramingError(f"SL651 ASCII CRC {crc_text!r} is not 4 hex characters")
    expected, found = crc16_modbus(frame[:-4]), int(crc_text, 16)
    if expected != found:
        raise ChecksumError("sl651", expected, found)
    direction = frame[19:20]
    length = _hex_field(frame[20:23], "length")
    if size != length + MIN_FRAME:
        raise FramingError(
            f"SL651 ASCII length field says {length} (frame of {length + MIN_FRAME}), got {size}"
        )
    if direction not in (b"0", b"8"):
        raise FramingError(f"SL651 ASCII direction {direction!r} is neither 0 (up) nor 8 (down)")
    up, start = direction == b"0", frame[23]
    end = check_end(frame[-5], up)
    total = seq = None
    if not check_start(start):
        if length < 6:
            raise FramingError(f"SL651 ASCII SYN length {length} leaves no room for the packet counter")
        total, seq = _hex_field(frame[24:27], "packet total"), _hex_field(frame[27:30], "packet number")
        if not 1 <= seq <= total:
            raise FramingError(f"SL651 packet {seq} of {total} is out of range")
        body = frame[30:-5]
    else:
        body = frame[24:-5]
    centre, address = (frame[1:3], frame[3:13]) if up else (frame[11:13], frame[1:11])
    _hex_field(address, "station address")
    function = _hex_field(frame[17:19], "function code")
    return Sl651Frame(
        "ascii",
        "up" if up else "down",
        _hex_field(centre, "centre address"),
        address.decode(),
        _hex_field(frame[13:17], "password"),
        function,
        start,
        end,
        total,
        seq,
        *_body(function, up, body, seq, total, address.decode()),
    )


def join_packets(first: Sl651Frame, payload: bytes) -> Sl651Frame:
    """Return the uplink an M3 message would be in one packet (see ``sl651_hex.join_packets``)."""
    joined = replace(first, start=STX, packet_total=None, packet_seq=None, payload=payload)
    fields = _body(first.function, True, _encode_body(joined, True), None, None, first.station)
    body: dict[str, Any] = dict(zip(BODY_NAMES, fields, strict=True))
    return replace(joined, **body)


def _body(
    function: int, up: bool, body: bytes, seq: int | None, total: int | None, header: str
) -> BodyFields:
    if up and seq is not None and seq > 1:
        return None, None, None, None, (), body, None, None
    if len(body) < 16:
        raise DecodeError(f"SL651 ASCII body of {len(body)} characters is shorter than serial + send time")
    serial = _hex_field(body[:4], "serial")
    sent_at = make_time(_digits(body[4:16], 12))
    rest = body[16:]
    if not up or function in RAW_TAIL_FUNCTIONS_UP or function in CONFIG_FUNCTIONS_UP:
        return serial, sent_at, None, None, (), rest, None, None
    lenient = seq == 1 and total is not None and total > 1
    try:
        station_type, tt, elements, payload, station, guide = _TokenWalk(function, rest, lenient).run()
    except DecodeError:
        if function in KNOWN_FUNCTIONS:
            raise
        return serial, sent_at, None, None, (), rest, None, None
    station = body_station_field(station, header, True, function)
    return serial, sent_at, station_type, tt, elements, payload, station, guide


class _TokenWalk:
    """Walk ``identifier value... `` tokens of an ASCII body (after serial and send time)."""

    def __init__(self, function: int, rest: bytes, lenient: bool) -> None:
        self.function, self.rest, self.pos = function, rest, 0
        self.tail = b""
        if lenient and rest and rest[-1:] != b" ":
            cut = rest.rfind(b" ") + 1
            self.rest, self.tail = rest[:cut], rest[cut:]
        self.elements: list[Element] = []
        self.tt: datetime | None = None
        self.first_tt: datetime | None = None

    def run(self) -> tuple[Any, ...]:
        """Return (station_type, observed_at, elements, payload, body_station, payload_guide)."""
        station = station_type = None
        self._skip_spaces()
        if self.rest[self.pos : self.pos + 3] == b"ST ":
            self.pos += 3
            token = self._take()
            if len(token) != 10 or not _UPPER_HEX.issuperset(token):
                raise DecodeError(f"ASCII ST value {token!r} is not 10 uppercase hex digits")
            station = token.decode()
            if self.function in TYPED_FUNCTIONS:
                station_type = self._take().decode("latin-1")
        while self._skip_spaces() < len(self.rest):
            token = self._take()
            guide = _REST_TOKENS.get(token)
            if guide is not None:
                return self._result(station, station_type, self.rest[self.pos :] + self.tail, guide)
            self._token(token)
        return self._result(station, station_type, self.tail, None)

    def _result(
        self, station: str | None, station_type: str | None, payload: bytes, guide: int | None
    ) -> tuple[Any, ...]:
        return station_type, self.first_tt, tuple(self.elements), payload, station, guide

    def _skip_spaces(self) -> int:
        """Skip a run of separators (other encoders write two, or one before ``ST``); return the position."""
        rest, pos = self.rest, self.pos
        while rest[pos : pos + 1] == b" ":
            pos += 1
        self.pos = pos
        return pos

    def _take(self) -> bytes:
        if self.rest[self.pos : self.pos + 1] == b" ":
            self._skip_spaces()
        stop = self.rest.find(b" ", self.pos)
        if stop < 0:
            raise DecodeError("SL651 ASCII element list must end with a space")
        token, self.pos = self.rest[self.pos : stop], stop + 1
        if not token or not token.isascii():
            raise DecodeError(f"empty or non-ASCII token {token!r} at body offset {self.pos + 16}")
        return token

    def _peek_value(self) -> bool:
        pos = self._skip_spaces()
        stop = self.rest.find(b" ", pos)
        return stop > pos and _is_value(self.rest[pos:stop])

    def _token(self, token: bytes) -> None:
        if token == b"TT":
            self.tt = make_time(_digits(self._take(), 10))
            self.first_tt = self.first_tt or self.tt
            return
        if _is_value(token) or token == b"ST":
            raise DecodeError(f"ASCII value {token!r} has no identifier")
        step = _STEP.fullmatch(token)
        if step:
            self._add("DRxnn", int(step[2]) * _STEP_UNITS[step[1]], None)
            return
        key = token.decode("latin-1")
        if key in _SLOT_KEYS or key == "ZT":
            self._add(key, *_special_value(key, self._take()))
            return
        values: list[bytes] = []
        while self._peek_value():
            values.append(self._take())
        self._add(key, *_values(values))

    def _add(self, key: str, value: Any, definer: int | None) -> None:
        self.elements.append(Element(key, value, definer, self.tt))


def _digits(token: bytes, count: int) -> str:
    if len(token) != count or not token.isdigit():
        raise DecodeError(f"ASCII time {token!r} must be {count} digits")
    return token.decode()


def _is_value(token: bytes) -> bool:
    if token == b"M":
        return True
    match = _NUMBER.fullmatch(token)
    return bool(match and (match[2] or match[3]))


def _number(token: bytes) -> tuple[Any, int | None]:
    """Parse a decimal token into (value, definer = digits << 3 | decimals)."""
    if token == b"M":
        return None, None
    match = _NUMBER.fullmatch(token)
    assert match is not None
    sign, whole, frac = match[1], match[2], match[3] or b""
    digits = whole + frac
    number = int(digits)
    if len(digits) > 31 or len(frac) > 7 or (sign and number == 0) or frac and number >= EXACT_FLOAT_LIMIT:
        return token.decode(), None
    value: float | int = number if not frac else number / SCALE[len(frac)]
    return (-value if sign else value), len(digits) << 3 | len(frac)


def _values(tokens: list[bytes]) -> tuple[Any, int | None]:
    if len(tokens) == 1:
        return _number(tokens[0])
    parsed = [_number(token) for token in tokens]
    formats = {definer for value, definer in parsed if value is not None}
    if len(formats) <= 1 and None not in formats:
        return tuple(value for value, _ in parsed), (formats.pop() if formats else None)
    return tuple(None if token == b"M" else token.decode() for token in tokens), None


def _special_value(key: str, token: bytes) -> tuple[Any, int | None]:
    if token == b"M":
        return None, None
    text = token.decode("latin-1")
    if not _UPPER_HEX.issuperset(token):
        raise DecodeError(f"ASCII {key} value {text!r} is not uppercase hex")
    if key == "ZT":
        return int(text, 16), len(text) << 3
    width, decimals = _SLOT_KEYS[key]
    if len(text) % width:
        raise DecodeError(f"ASCII {key} value {text!r} is not a whole number of slots")
    missing = "F" * width
    return tuple(
        None if text[i : i + width] == missing else int(text[i : i + width], 16) / SCALE[decimals]
        for i in range(0, len(text), width)
    ), None


# --- Encoding ----------------------------------------------------------------------------------------


def encode_ascii(frame: Sl651Frame) -> bytes:
    """Encode ``frame`` as an ASCII frame (the exact inverse of ``decode_ascii``)."""
    up = check_header(frame)
    body = _encode_body(frame, up)
    packet = b""
    if frame.start == SYN:
        total, seq = frame.packet_total, frame.packet_seq
        if total is None or seq is None or not 1 <= seq <= total <= MAX_LENGTH:
            raise EncodeError(f"SYN frame needs 1 <= packet_seq <= packet_total <= 4095, got {seq}/{total}")
        packet = f"{total:03X}{seq:03X}".encode()
    length = len(packet) + len(body)
    if length > MAX_LENGTH:
        raise EncodeError(f"SL651 ASCII body of {length} characters exceeds the 12-bit length field")
    station = _station_text(frame.station).decode()
    centre = f"{frame.centre:02X}"
    address = centre + station if up else station + centre
    head = f"{address}{frame.password:04X}{frame.function:02X}{'0' if up else '8'}{length:03X}"
    raw = bytes([SOH]) + head.encode() + bytes([frame.start]) + packet + body + bytes([frame.end])
    return raw + f"{crc16_modbus(raw):04X}".encode()


def _encode_body(frame: Sl651Frame, up: bool) -> bytes:
    if up and frame.start == SYN and (frame.packet_seq or 0) > 1:
        if frame.elements or frame.serial is not None:
            raise EncodeError("later M3 packets carry only continuation bytes (payload)")
        return bytes(frame.payload)
    if frame.serial is None or frame.sent_at is None or not 0 <= frame.serial <= 0xFFFF:
        raise EncodeError("serial (0..65535) and sent_at are required in this frame")
    head = f"{frame.serial:04X}{encode_time(frame.sent_at, with_seconds=True).hex()}".encode()
    function = frame.function
    if not up or function in RAW_TAIL_FUNCTIONS_UP or function in CONFIG_FUNCTIONS_UP:
        if frame.elements or frame.body_station is not None or frame.observed_at is not None:
            raise EncodeError(f"ASCII function {function:02X} carries its body as raw text (payload)")
        return head + bytes(frame.payload)
    parts = [head]
    address = body_station_to_write(frame, up)
    if address is not None:
        parts.append(b"ST " + _station_text(address) + b" ")
        if function in TYPED_FUNCTIONS:
            parts.append(_token(frame.station_type, "station type") + b" ")
    elif frame.station_type is not None:
        raise EncodeError("station_type needs an ST group (body_station must not be empty)")
    parts.extend(_encode_elements(frame))
    if frame.payload_guide is not None:
        if frame.payload_guide not in _REST_NAMES:
            raise EncodeError(f"payload_guide {frame.payload_guide!r} must be None, F2 or F3")
        parts.append(f"{_REST_NAMES[frame.payload_guide]} ".encode())
    parts.append(bytes(frame.payload))
    return b"".join(parts)


def _encode_elements(frame: Sl651Frame) -> list[bytes]:
    parts: list[bytes] = []
    current: datetime | None = None
    written = False
    for element in frame.elements:
        if element.observed_at != current:
            if element.observed_at is None or not written and element.observed_at != frame.observed_at:
                raise EncodeError("elements' TT must start with the frame's observed_at and never unset")
            current, written = element.observed_at, True
            parts.append(b"TT " + encode_time(current, with_seconds=False).hex().encode() + b" ")
        parts.append(_encode_element(element))
    if frame.observed_at is not None and not written:
        parts.append(b"TT " + encode_time(frame.observed_at, with_seconds=False).hex().encode() + b" ")
    return parts


def _encode_element(element: Element) -> bytes:
    key, value, definer = element.key, element.value, element.definer
    if key == "DRxnn":
        return _step_token(value) + b" "
    ident = _token(key, "identifier")
    if key in _RESERVED or _is_value(ident) or _STEP.fullmatch(ident):
        raise EncodeError(f"identifier {key!r} cannot be written in ASCII")
    if key in _SLOT_KEYS or key == "ZT":
        return ident + b" " + _special_text(key, value, definer) + b" "
    if isinstance(value, tuple):
        return b"".join([ident, b" ", *(_value_text(item, definer) + b" " for item in value)])
    return ident + b" " + _value_text(value, definer) + b" "


def _station_text(station: Any) -> bytes:
    if not isinstance(station, str) or len(station) != 10 or not set(station) <= set("0123456789ABCDEF"):
        raise EncodeError(f"station address {station!r} must be 10 uppercase hex digits")
    return station.encode()


def _token(text: Any, what: str) -> bytes:
    if not isinstance(text, str) or not text or " " in text or not text.isascii():
        raise EncodeError(f"{what} {text!r} must be non-empty ASCII without spaces")
    return text.encode()


def _step_token(minutes: Any) -> bytes:
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
        raise EncodeError(f"time step {minutes!r} must be a non-negative number of minutes")
    for unit, size in ((b"D", 1440), (b"H", 60), (b"N", 1)):
        if minutes % size == 0 and minutes // size <= 99 and (minutes or size == 1):
            return b"DR" + unit + f"{minutes // size:02d}".encode()
    raise EncodeError(f"time step of {minutes} minutes has no DRxnn form")


def _special_text(key: str, value: Any, definer: int | None) -> bytes:
    if value is None:
        return b"M"
    if key == "ZT":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise EncodeError(f"ZT value {value!r} must be a non-negative int")
        return f"{value:0{(definer or 0x40) >> 3}X}".encode()
    if not isinstance(value, tuple):
        raise EncodeError(f"{key} needs a tuple of slot values")
    width, decimals = _SLOT_KEYS[key]
    top = 16**width - 1
    texts = []
    for item in value:
        raw = top if item is None else scaled_int(item, decimals)
        if not 0 <= raw <= top or item is not None and raw == top:
            raise EncodeError(f"{key} slot value {item!r} is out of range")
        texts.append(f"{raw:0{width}X}")
    return "".join(texts).encode()


def _value_text(value: Any, definer: int | None) -> bytes:
    if value is None:
        return b"M"
    if isinstance(value, str):
        token = _token(value, "value")
        if not _is_value(token):
            raise EncodeError(f"value {value!r} is not decimal text")
        return token
    if definer is None:
        scaled = scaled_int(value, 0) if isinstance(value, int) else None
        return str(scaled).encode() if scaled is not None else repr(float(value)).encode()
    count, decimals = definer >> 3, definer & 7
    scaled = scaled_int(value, decimals)
    digits = str(abs(scaled)).zfill(count)
    if len(digits) > count or count < decimals or count == 0:
        raise EncodeError(f"value {value!r} does not fit the ASCII format {definer:02X}")
    text = digits[: count - decimals] + ("." + digits[count - decimals :] if decimals else "")
    return ("-" + text if scaled < 0 else text).encode()
