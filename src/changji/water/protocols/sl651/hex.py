"""SL651-2014 HEX/BCD frames (表20–25): header, body layout by function, CRC.

Frame: ``7E 7E``, centre (1) and station (5) — swapped in downlinks —, password (2), function (1),
direction nibble + 12-bit length (2), ``STX`` or ``SYN`` + 3-byte packet counter, body, end
character, CRC-16/MODBUS high byte first over everything before it. Total size is length + 17
(the length counts the packet counter of SYN frames). The CRC is checked first, then the length,
direction and end character, so a damaged frame reports the most useful error.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from changji.water.protocols.crc import crc16_modbus
from changji.water.protocols.errors import ChecksumError, DecodeError, EncodeError, FramingError
from changji.water.protocols.sl651.codes import (
    CONFIG_FUNCTIONS_DOWN,
    CONFIG_FUNCTIONS_UP,
    DOWNLINK_ENDS,
    FC_31_EQUAL_INTERVAL_REPORT,
    FC_45_QUERY_VERSION,
    GUIDE_F2_MANUAL,
    GUIDE_F3_PICTURE,
    HEX_START,
    KNOWN_FUNCTIONS,
    RAW_TAIL_FUNCTIONS_UP,
    STX,
    SYN,
    TYPED_FUNCTIONS,
    UPLINK_ENDS,
)
from changji.water.protocols.sl651.elements import (
    body_station_field,
    body_station_to_write,
    decode_sent_time,
    encode_elements,
    encode_station,
    encode_time,
    read_station,
    station_bytes,
    walk_elements,
)
from changji.water.protocols.sl651.frame import Element, Sl651Frame, function_values

__pure__ = True  # no Django: tests/test_architecture.py checks it

MIN_FRAME = 17  #: 14-byte header with STX, end character and CRC around an empty body
MAX_LENGTH = 0xFFF  #: 12-bit length field (表20 field 6)

#: The body fields in Sl651Frame order: serial, sent_at, station_type, observed_at, elements,
#: payload, body_station, payload_guide.
BODY_NAMES = (
    "serial", "sent_at", "station_type", "observed_at", "elements", "payload", "body_station", "payload_guide",
)
BodyFields = tuple[
    int | None,
    datetime | None,
    str | None,
    datetime | None,
    tuple[Element, ...],
    bytes,
    str | None,
    int | None,
]


def decode_hex(frame: bytes) -> Sl651Frame:
    """Decode one whole HEX/BCD frame starting with ``7E 7E``."""
    size = len(frame)
    if size < MIN_FRAME:
        raise FramingError(f"SL651 frame too short: {size} bytes, at least {MIN_FRAME} needed")
    expected = crc16_modbus(frame[:-2])
    found = frame[-2] << 8 | frame[-1]
    if expected != found:
        raise ChecksumError("sl651", expected, found)
    word = frame[11] << 8 | frame[12]
    length = word & MAX_LENGTH
    if size != length + MIN_FRAME:
        raise FramingError(
            f"SL651 length field says {length} (frame of {length + MIN_FRAME} bytes), got {size}"
        )
    up = _direction(word >> 12)
    end = check_end(frame[-3], up)
    start = frame[13]
    total = seq = None
    if start == SYN:
        if length < 3:
            raise FramingError(f"SL651 SYN frame length {length} leaves no room for the packet counter")
        total, seq = _packet_counter(frame[14:17])
        body = frame[17:-3]
    else:
        body = frame[14:-3] if check_start(start) else b""
    function = frame[10]
    if up:
        centre, station = frame[2], frame[3:8].hex().upper()
        fields = _uplink_body(function, body, total, seq, station)
    else:
        station, centre = frame[2:7].hex().upper(), frame[7]
        fields = _downlink_body(function, body, station)
    result = Sl651Frame(
        "hex",
        "up" if up else "down",
        centre,
        station,
        frame[8] << 8 | frame[9],
        function,
        start,
        end,
        total,
        seq,
        *fields,
    )
    if result.payload and result.payload_guide is None and seq in (None, 1):
        function_values(result)  # validates function-specific payloads (raises DecodeError)
    return result


def join_packets(first: Sl651Frame, payload: bytes) -> Sl651Frame:
    """Return the uplink an M3 message would be in one packet: ``first``'s header, the whole body.

    Packet 1 stops its element list at the packet boundary (keeping a cut element as payload);
    decoding packet 1's body followed by every continuation byte gives all the elements.
    """
    joined = replace(first, start=STX, packet_total=None, packet_seq=None, payload=payload)
    fields = _uplink_body(first.function, encode_body(joined, True), None, None, first.station)
    body: dict[str, Any] = dict(zip(BODY_NAMES, fields, strict=True))
    return replace(joined, **body)


def check_end(end: int, up: bool) -> int:
    """Return the end character after checking it suits the direction (表20/21 field 9)."""
    if end not in (UPLINK_ENDS if up else DOWNLINK_ENDS):
        raise FramingError(f"SL651 end character {end:02X} is not valid for an {'up' if up else 'down'}link")
    return end


def check_start(start: int) -> bool:
    """Return True for STX, False for SYN; raise FramingError for anything else."""
    if start not in (STX, SYN):
        raise FramingError(f"SL651 body start {start:02X} is neither STX (02) nor SYN (16)")
    return start == STX


def _direction(nibble: int) -> bool:
    if nibble == 0:
        return True
    if nibble == 8:
        return False
    raise FramingError(f"SL651 direction nibble {nibble:X} is neither 0 (up) nor 8 (down)")


def _packet_counter(data: bytes) -> tuple[int, int]:
    word = int.from_bytes(data, "big")
    total, seq = word >> 12, word & 0xFFF
    if not 1 <= seq <= total:
        raise FramingError(f"SL651 packet {seq} of {total} is out of range")
    return total, seq


def _uplink_body(function: int, body: bytes, total: int | None, seq: int | None, header: str) -> BodyFields:
    if seq is not None and seq > 1:
        return None, None, None, None, (), body, None, None  # later M3 packet: continuation bytes only
    serial, sent_at = _serial_and_time(body)
    pos, station, station_type = 8, None, None
    if body[8:10] == b"\xf1\xf1":
        station, station_type, pos = read_station(body, 8, function in TYPED_FUNCTIONS)
    station = body_station_field(station, header, True, function)
    if function in RAW_TAIL_FUNCTIONS_UP:
        tail = body[pos:]
        if function == FC_45_QUERY_VERSION and tail:
            if tail[0] != len(tail) - 1:
                raise DecodeError(f"45H version length byte {tail[0]} does not match {len(tail) - 1} bytes")
            tail = tail[1:]
        return serial, sent_at, station_type, None, (), tail, station, None
    lenient = seq == 1 and total is not None and total > 1
    try:
        elements, tt, payload, guide = walk_elements(
            body,
            pos,
            config=function in CONFIG_FUNCTIONS_UP,
            series=function == FC_31_EQUAL_INTERVAL_REPORT,
            lenient=lenient,
        )
    except DecodeError:
        if function in KNOWN_FUNCTIONS:
            raise
        return serial, sent_at, None, None, (), body[8:], None, None  # vendor function: keep raw
    return serial, sent_at, station_type, tt, elements, payload, station, guide


def _downlink_body(function: int, body: bytes, header: str) -> BodyFields:
    serial, sent_at = _serial_and_time(body)
    if function not in CONFIG_FUNCTIONS_DOWN:
        return serial, sent_at, None, None, (), body[8:], None, None
    pos, station = 8, None
    if body[8:10] == b"\xf1\xf1":
        station, _, pos = read_station(body, 8, False)
    elements, tt, payload, guide = walk_elements(body, pos, config=True, series=False, lenient=False)
    return (
        serial,
        sent_at,
        None,
        tt,
        elements,
        payload,
        body_station_field(station, header, False, function),
        guide,
    )


def _serial_and_time(body: bytes) -> tuple[int, datetime]:
    if len(body) < 8:
        raise DecodeError(f"SL651 body of {len(body)} bytes is shorter than serial + send time (8)")
    return body[0] << 8 | body[1], decode_sent_time(body[2:8])


# --- Encoding ----------------------------------------------------------------------------------------


def encode_hex(frame: Sl651Frame) -> bytes:
    """Encode ``frame`` as a HEX/BCD frame (the exact inverse of ``decode_hex``)."""
    up = check_header(frame)
    body = encode_body(frame, up)
    packet = b""
    if frame.start == SYN:
        packet = _encode_counter(frame.packet_total, frame.packet_seq)
    length = len(packet) + len(body)
    if length > MAX_LENGTH:
        raise EncodeError(f"SL651 body of {length} bytes exceeds the 12-bit length field")
    centre = bytes([frame.centre])
    address = station_bytes(frame.station)
    raw = b"".join(
        (
            HEX_START,
            centre + address if up else address + centre,
            frame.password.to_bytes(2, "big"),
            bytes([frame.function]),
            ((0 if up else 0x8000) | length).to_bytes(2, "big"),
            bytes([frame.start]),
            packet,
            body,
            bytes([frame.end]),
        )
    )
    return raw + crc16_modbus(raw).to_bytes(2, "big")


def check_header(frame: Sl651Frame) -> bool:
    """Validate the header fields shared by both encodings; return True for an uplink."""
    if frame.direction not in ("up", "down"):
        raise EncodeError(f"direction {frame.direction!r} must be 'up' or 'down'")
    up = frame.direction == "up"
    for name, value, top in (
        ("centre", frame.centre, 0xFF),
        ("password", frame.password, 0xFFFF),
        ("function", frame.function, 0xFF),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
            raise EncodeError(f"{name} {value!r} is out of range 0..{top:X}")
    if frame.start not in (STX, SYN):
        raise EncodeError(f"start character {frame.start!r} must be STX or SYN")
    if frame.end not in (UPLINK_ENDS if up else DOWNLINK_ENDS):
        raise EncodeError(f"end character {frame.end!r} is not valid for direction {frame.direction}")
    return up


def _encode_counter(total: int | None, seq: int | None) -> bytes:
    if total is None or seq is None or not 1 <= seq <= total <= MAX_LENGTH:
        raise EncodeError(f"SYN frame needs 1 <= packet_seq <= packet_total <= 4095, got {seq}/{total}")
    return (total << 12 | seq).to_bytes(3, "big")


def _encode_head(frame: Sl651Frame, up: bool) -> bytes:
    """Serial, send time and (when the frame has one) the ST group: the start of every HEX body."""
    if frame.serial is None or frame.sent_at is None:
        raise EncodeError("serial and sent_at are required in this frame")
    if not 0 <= frame.serial <= 0xFFFF:
        raise EncodeError(f"serial {frame.serial} is out of range 0..65535")
    head = frame.serial.to_bytes(2, "big") + encode_time(frame.sent_at, with_seconds=True)
    function = frame.function
    address = body_station_to_write(frame, up)
    if address is not None:
        if not up and function not in CONFIG_FUNCTIONS_DOWN:
            raise EncodeError(f"downlink function {function:02X} carries no ST group")
        head += encode_station(address, frame.station_type, up and function in TYPED_FUNCTIONS)
    elif frame.station_type is not None:
        raise EncodeError("station_type needs an ST group (body_station must not be empty)")
    return head


def encode_body(frame: Sl651Frame, up: bool) -> bytes:
    """Encode the HEX body: serial, send time, ST group, elements and payload by function."""
    if up and frame.start == SYN and (frame.packet_seq or 0) > 1:
        if frame.elements or frame.serial is not None:
            raise EncodeError("later M3 packets carry only continuation bytes (payload)")
        return bytes(frame.payload)
    head = _encode_head(frame, up)
    function = frame.function
    if frame.payload_guide not in (None, GUIDE_F2_MANUAL, GUIDE_F3_PICTURE):
        raise EncodeError(f"payload_guide {frame.payload_guide!r} must be None, F2 or F3")
    raw_tail = function in RAW_TAIL_FUNCTIONS_UP if up else function not in CONFIG_FUNCTIONS_DOWN
    if raw_tail:
        if frame.elements or frame.observed_at is not None or frame.payload_guide is not None:
            raise EncodeError(f"function {function:02X} carries no element list")
        if up and function == FC_45_QUERY_VERSION and frame.payload:
            if len(frame.payload) > 0xFF:
                raise EncodeError("45H version text is longer than 255 bytes")
            return head + bytes([len(frame.payload)]) + frame.payload
        return head + bytes(frame.payload)
    config = function in (CONFIG_FUNCTIONS_UP if up else CONFIG_FUNCTIONS_DOWN)
    elements = encode_elements(frame.elements, frame.observed_at, config=config)
    guide = frame.payload_guide
    marker = b"" if guide is None else bytes([guide, guide])
    return head + elements + marker + bytes(frame.payload)
