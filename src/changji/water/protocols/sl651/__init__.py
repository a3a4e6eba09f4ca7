"""SL651-2014 水文监测数据通信规约: the codec's public entry points.

* ``decode_sl651`` / ``encode_sl651``: one whole frame, HEX/BCD (``7E 7E``, ``sl651_hex``) or ASCII
  (``SOH``, ``sl651_ascii``), exact inverses of each other.
* ``build_ack`` / ``build_message_ack``: the centre's acknowledgement (6.3 M2/M3; the recipe real centres
  follow, docs/protocols.md §1.1).
* ``to_reading``: the canonical ``Reading`` of a data frame; ``join_message`` turns a complete M3
  message into the one frame it would be, so an M3 report gives its reading like a single packet.
* ``encode_query_*`` and friends: centre -> station commands (6.6.4, serial 0 by default as in the
  Guangdong rule "下行第一帧固定为0000").
* ``Sl651Reassembler``: M3 multi-packet messages (reports and pictures), within memory caps.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from changji.water.protocols.errors import EncodeError, FramingError
from changji.water.protocols.reading import Reading
from changji.water.protocols.sl651.ascii import decode_ascii, encode_ascii
from changji.water.protocols.sl651.ascii import join_packets as _join_ascii
from changji.water.protocols.sl651.codes import (
    ACK,
    ACKNOWLEDGED_FUNCTIONS,
    ENQ,
    EOT,
    ESC,
    ETB,
    FC_3A_QUERY_ELEMENTS,
    FC_4A_SET_CLOCK,
    FC_4C_PUMP_CONTROL,
    FC_4F_QUOTA_CONTROL,
    FC_31_EQUAL_INTERVAL_REPORT,
    FC_35_MANUAL_REPORT,
    FC_36_PICTURE,
    FC_37_QUERY_REALTIME,
    FC_38_QUERY_PERIOD,
    HEX_START,
    NAK,
    READING_FUNCTIONS,
    STATUS_00_AC_POWER_CUT,
    STATUS_07_DOOR_CLOSED,
    STATUS_10_PUMP_STOPPED,
    STX,
    SYN,
)
from changji.water.protocols.sl651.elements import encode_step, encode_time
from changji.water.protocols.sl651.frame import Element, Sl651Frame, Sl651Options, jsonable
from changji.water.protocols.sl651.hex import decode_hex, encode_hex
from changji.water.protocols.sl651.hex import join_packets as _join_hex
from changji.water.protocols.sl651.reassembly import Sl651Message, Sl651Reassembler

__pure__ = True  # no Django: tests/test_architecture.py checks it

__all__ = [
    "Element",
    "Sl651Frame",
    "Sl651Message",
    "Sl651Options",
    "Sl651Reassembler",
    "build_ack",
    "build_message_ack",
    "decode_sl651",
    "encode_nak",
    "encode_pump_control",
    "encode_query_elements",
    "encode_query_period",
    "encode_query_picture",
    "encode_query_realtime",
    "encode_quota_control",
    "encode_set_clock",
    "encode_sl651",
    "extension_key",
    "join_message",
    "to_reading",
]

_DEFAULT_OPTIONS = Sl651Options()

#: Multi-packet uplinks the centre confirms once per message (表B.1: M3 for 31H, 35H, 36H).
M3_ACKNOWLEDGED_FUNCTIONS = frozenset({FC_31_EQUAL_INTERVAL_REPORT, FC_35_MANUAL_REPORT, FC_36_PICTURE})


def decode_sl651(frame: bytes) -> Sl651Frame:
    """Decode one whole frame; raise a ProtocolError subclass (CRC first, then framing, body)."""
    if type(frame) is not bytes:
        try:
            frame = bytes(frame)
        except TypeError:
            raise FramingError(f"SL651 frame must be bytes, not {type(frame).__name__}") from None
    if frame[:2] == HEX_START:
        return decode_hex(frame)
    if frame[:1] == b"\x01":
        return decode_ascii(frame)
    raise FramingError(f"SL651 frame must start with 7E7E or SOH (01), got {frame[:2].hex().upper()!r}")


def encode_sl651(frame: Sl651Frame) -> bytes:
    """Encode ``frame`` in its own encoding; raise EncodeError for values that cannot be sent."""
    if frame.encoding == "hex":
        return encode_hex(frame)
    if frame.encoding == "ascii":
        return encode_ascii(frame)
    raise EncodeError(f"encoding {frame.encoding!r} must be 'hex' or 'ascii'")


# --- Acknowledgements (6.3) ------------------------------------------------------------------------


def build_ack(frame: Sl651Frame, now: datetime, options: Sl651Options = _DEFAULT_OPTIONS) -> bytes | None:
    """Return the centre's ack of an uplink report 30H–36H, or None when no ack is due.

    Recipe (SL651-2014 §6.3, docs/protocols.md §1.1): downlink, same station, centre, password and
    function, ``STX``, the uplink's serial, the send time (echoed or the centre clock ``now`` per
    ``options.ack_time``), end ``EOT``/``ESC`` per ``options.ack_end`` (``ACK`` "continue" for an ``ETB``
    frame). 2FH link keep-alives (M1) and responses to centre queries get no ack.

    M3 (``SYN``) messages are acknowledged once, when complete: pass ``message.first`` (packet 1,
    the one with the serial) and the ack carries ``SYN`` with packet counter total/total. Later
    packets (no serial) get None. ``build_message_ack`` does the same from the ``Sl651Message``.
    """
    if frame.direction != "up" or frame.serial is None:
        return None
    sent_at = _ack_time(frame.sent_at, now, options)
    if frame.start == SYN:
        if frame.function not in M3_ACKNOWLEDGED_FUNCTIONS:
            return None
        return _ack(frame, frame.serial, sent_at, _ack_end(options), SYN, frame.packet_total)
    if frame.function not in ACKNOWLEDGED_FUNCTIONS:
        return None
    end = ACK if frame.end == ETB else _ack_end(options)
    return _ack(frame, frame.serial, sent_at, end, STX, None)


def build_message_ack(
    message: Sl651Message, now: datetime, options: Sl651Options = _DEFAULT_OPTIONS
) -> bytes:
    """Return the single ack of a complete M3 message: ``SYN``, packet counter total/total."""
    first = message.first
    serial = 0 if first.serial is None else first.serial
    return _ack(
        first, serial, _ack_time(first.sent_at, now, options), _ack_end(options), SYN, message.packet_total
    )


def _ack_end(options: Sl651Options) -> int:
    if options.ack_end not in (EOT, ESC):
        raise EncodeError(f"ack_end {options.ack_end!r} must be EOT (04) or ESC (1B)")
    return options.ack_end


def _ack_time(sent_at: datetime | None, now: datetime, options: Sl651Options) -> datetime:
    if options.ack_time not in ("echo", "centre"):
        raise EncodeError(f"ack_time {options.ack_time!r} must be 'echo' or 'centre'")
    return sent_at if options.ack_time == "echo" and sent_at is not None else now


def _ack(frame: Sl651Frame, serial: int, sent_at: datetime, end: int, start: int, total: int | None) -> bytes:
    ack = Sl651Frame(
        frame.encoding,
        "down",
        frame.centre,
        frame.station,
        frame.password,
        frame.function,
        start,
        end,
        packet_total=total,
        packet_seq=total,
        serial=serial,
        sent_at=sent_at,
    )
    return encode_sl651(ack)


# --- Canonical reading -----------------------------------------------------------------------------


def to_reading(frame: Sl651Frame, options: Sl651Options = _DEFAULT_OPTIONS) -> Reading | None:
    """Return the canonical reading of a data uplink (30–34, 37, 38, 3A, 44, 46), else None.

    Flow Q (27H) is m³/s in SL651 and becomes m³/h; without Q the first of Q1..Q8 present is used.
    Series values (31H, slots) contribute their first slot, which is the one at ``observed_at``.
    Volume and energy have no SL651 element and come from the configured ``FFxx`` extensions.
    """
    if frame.direction != "up" or frame.function not in READING_FUNCTIONS or not frame.elements:
        return None
    values = frame.values
    flow = _number(values.get("Q"))
    if flow is None:
        flow = next((q for q in (_number(values.get(f"Q{i}")) for i in range(1, 9)) if q is not None), None)
    bits = frame.status_bits
    return Reading(
        protocol="sl651",
        station=frame.station,
        observed_at=frame.observed_at or frame.sent_at,
        flow_m3h=None if flow is None else flow * 3600,
        volume_m3=_extension(values, options.volume_extension),
        energy_kwh=_extension(values, options.energy_extension),
        level_m=_number(values.get("Z")),
        depth_m=_number(values.get("H")),
        battery_v=_number(values.get("VT")),
        pump_on=None if bits is None else STATUS_10_PUMP_STOPPED not in bits,
        door_open=None if bits is None else STATUS_07_DOOR_CLOSED not in bits,
        ac_power_lost=None if bits is None else STATUS_00_AC_POWER_CUT in bits,
        native=jsonable(values),
    )


def join_message(message: Sl651Message) -> Sl651Frame:
    """Return a complete message as one frame.

    A single packet is returned as it is; an M3 message's packets are joined behind packet 1's header
    (ProtocolError when the joined body does not decode).
    """
    first = message.first
    if first.start != SYN:
        return first
    join = _join_hex if first.encoding == "hex" else _join_ascii
    return join(first, message.payload)


def _number(value: Any) -> float | None:
    if isinstance(value, tuple):
        value = value[0] if value else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _extension(values: dict[str, Any], key: str | None) -> float | None:
    return None if key is None else _number(values.get(extension_key(key)))


def extension_key(key: str) -> str:
    """Return the element key an option names: ``FF01`` whatever definer a profile wrote after it.

    A user-defined element is keyed by its identifier alone (the definer is metadata), so the options
    ``"FF01"``, ``"ff01"`` and ``"FF0119"`` (identifier as a vendor sheet writes it, with definer ``19``)
    all find ``FF01``; ``"9A"`` and ``"9A12"`` find the unnamed guide ``9A``.
    """
    text = key.strip().upper()
    if text.startswith("FF") and len(text) == 6:
        return text[:4]
    if len(text) == 4 and not text.startswith("FF") and all(c in "0123456789ABCDEF" for c in text):
        return text[:2]
    return text


# --- Centre -> station commands (6.6.4) ------------------------------------------------------------


def _command(
    station: str,
    centre: int,
    password: int,
    function: int,
    sent_at: datetime,
    serial: int,
    payload: bytes = b"",
) -> bytes:
    frame = Sl651Frame(
        "hex",
        "down",
        centre,
        station,
        password,
        function,
        STX,
        ENQ,
        serial=serial,
        sent_at=sent_at,
        payload=payload,
    )
    return encode_sl651(frame)


def encode_query_realtime(
    station: str, centre: int, password: int, sent_at: datetime, serial: int = 0
) -> bytes:
    """Encode 37H "query real-time data" (the response has the layout of a timed report)."""
    return _command(station, centre, password, FC_37_QUERY_REALTIME, sent_at, serial)


def encode_query_period(
    station: str,
    centre: int,
    password: int,
    sent_at: datetime,
    start: datetime,
    end: datetime,
    step_minutes: int,
    identifier: bytes,
    serial: int = 0,
) -> bytes:
    """Encode 38H: start and end ``YYMMDDhh``, ``04 18`` time step, the element identifier."""
    _check_identifier(identifier)
    period = encode_time(start, with_seconds=False)[:4] + encode_time(end, with_seconds=False)[:4]
    payload = period + b"\x04\x18" + encode_step(step_minutes) + bytes(identifier)
    return _command(station, centre, password, FC_38_QUERY_PERIOD, sent_at, serial, payload)


def encode_query_elements(
    station: str, centre: int, password: int, sent_at: datetime, identifiers: list[bytes], serial: int = 0
) -> bytes:
    """Encode 3AH "query specified elements": the identifiers (guide + definer) back to back."""
    for identifier in identifiers:
        _check_identifier(identifier)
    payload = b"".join(bytes(identifier) for identifier in identifiers)
    return _command(station, centre, password, FC_3A_QUERY_ELEMENTS, sent_at, serial, payload)


def _check_identifier(identifier: bytes) -> None:
    if not isinstance(identifier, bytes | bytearray) or len(identifier) != (
        3 if identifier[:1] == b"\xff" else 2
    ):
        raise EncodeError(f"element identifier {identifier!r} must be 2 bytes (3 for FF extensions)")


def encode_set_clock(station: str, centre: int, password: int, sent_at: datetime, serial: int = 0) -> bytes:
    """Encode 4AH "set clock": the frame's send time is the station's new clock."""
    return _command(station, centre, password, FC_4A_SET_CLOCK, sent_at, serial)


def encode_pump_control(
    station: str, centre: int, password: int, sent_at: datetime, pumps: list[bool], serial: int = 0
) -> bytes:
    """Encode 4CH: byte count, then one bit per pump (D0 of the first byte = pump 1, 1 = on)."""
    size = max(1, (len(pumps) + 7) // 8)
    bitmap = bytearray(size)
    for number, on in enumerate(pumps):
        if on:
            bitmap[number // 8] |= 1 << number % 8
    if size > 0xFF:
        raise EncodeError(f"{len(pumps)} pumps do not fit a one-byte count")
    return _command(station, centre, password, FC_4C_PUMP_CONTROL, sent_at, serial, bytes([size]) + bitmap)


def encode_quota_control(
    station: str, centre: int, password: int, sent_at: datetime, enabled: bool, serial: int = 0
) -> bytes:
    """Encode 4FH water-quota control: ``FF`` on, ``00`` off."""
    return _command(
        station, centre, password, FC_4F_QUOTA_CONTROL, sent_at, serial, b"\xff" if enabled else b"\x00"
    )


def encode_query_picture(
    station: str, centre: int, password: int, sent_at: datetime, serial: int = 0
) -> bytes:
    """Encode 36H "query picture" (the answer is an M3 picture message)."""
    return _command(station, centre, password, FC_36_PICTURE, sent_at, serial)


def encode_nak(
    station: str,
    centre: int,
    password: int,
    function: int,
    sent_at: datetime,
    packet_total: int,
    packet_seq: int,
    serial: int,
) -> bytes:
    """Encode the M3 ``NAK`` asking the station to resend packet ``packet_seq`` of ``packet_total``."""
    frame = Sl651Frame(
        "hex",
        "down",
        centre,
        station,
        password,
        function,
        SYN,
        NAK,
        packet_total=packet_total,
        packet_seq=packet_seq,
        serial=serial,
        sent_at=sent_at,
    )
    return encode_sl651(frame)
