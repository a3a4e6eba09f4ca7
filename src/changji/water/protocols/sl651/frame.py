"""SL651-2014 frame model: the decoded frame, its elements and the codec options.

``Sl651Frame`` holds every field of SL651 表20–25 needed to put the frame back on the wire byte for
byte (``encode_sl651(decode_sl651(x)) == x``), plus read-only views for callers: ``values`` (element
identifier -> value, plus function-specific items), ``status_bits`` (表58) and ``describe()`` (the
JSON shape printed by ``changji decode``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from changji.water.protocols.bcd import CST
from changji.water.protocols.errors import DecodeError, ProtocolError
from changji.water.protocols.sl651.codes import (
    CONFIG_FUNCTIONS_DOWN,
    CONFIG_FUNCTIONS_UP,
    ELEMENTS,
    EOT,
    FC_3A_QUERY_ELEMENTS,
    FC_4A_SET_CLOCK,
    FC_4C_PUMP_CONTROL,
    FC_4D_VALVE_CONTROL,
    FC_4E_GATE_CONTROL,
    FC_4F_QUOTA_CONTROL,
    FC_35_MANUAL_REPORT,
    FC_38_QUERY_PERIOD,
    FC_40_MODIFY_BASIC_CONFIG,
    FC_45_QUERY_VERSION,
    FC_49_CHANGE_PASSWORD,
    FC_50_QUERY_EVENTS,
    FC_51_QUERY_CLOCK,
    GUIDE_F2_MANUAL,
    SYN,
)
from changji.water.protocols.sl651.config import config_values

__pure__ = True  # no Django: tests/test_architecture.py checks it

_PASSWORD_FUNCTIONS = (FC_40_MODIFY_BASIC_CONFIG, FC_49_CHANGE_PASSWORD)
#: Configuration answers (and the 40H/42H commands) whose 附录D items get names (``sl651/config.py``).
_NAMED_CONFIG_FUNCTIONS = (CONFIG_FUNCTIONS_UP | CONFIG_FUNCTIONS_DOWN) - {FC_49_CHANGE_PASSWORD}
#: Keys 附录C names; any other key is user-defined (``FFxx``, an unnamed guide) and its definer is reported.
_NAMED_KEYS = frozenset(info.key for info in ELEMENTS.values()) | {"DRxnn"}

Value = float | int | str | tuple[Any, ...] | None


@dataclass(frozen=True, slots=True)
class Element:
    """One element group of the body (SL651 6.6.3 表26): identifier, value, definer, TT in force.

    ``key`` is the 附录C ASCII identifier (``"PT"``, ``"Z"``), ``"FFxx"`` for a user extension, the
    two hex digits of the guide byte for a guide the code table does not name, and the two hex
    digits of the 附录D item in configuration frames (``"03"`` password). A user-defined element is
    keyed by its identifier alone: the data-definition byte is metadata (``definer``, and
    ``values["definers"]``), so ``FF01`` is found whatever size and decimals a device gives it.
    ``value`` is ``None`` for "no data" (all-F), a tuple for slot series (F4..FC, 31H). ``definer`` is
    the data-definition byte (the second identifier byte for F4..FC, kept so that Fujian's ``F5 5C``
    round-trips); in ASCII frames it records the text format as ``digits << 3 | decimals``.
    """

    key: str
    value: Value
    definer: int | None = None
    observed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Sl651Frame:
    """One SL651 frame, HEX/BCD or ASCII, uplink or downlink (SL651 表20–25).

    ``station`` is the header address (opaque 10 hex digits); times are aware datetimes in CST.
    ``packet_total``/``packet_seq`` are set for ``SYN`` (M3) frames only; later M3 packets carry no
    serial, send time or ST, just ``payload``. ``payload`` holds what is not an element list:
    manual text or picture bytes after ``F2 F2``/``F3 F3`` (``payload_guide``), the 45H version
    text, 50H counters, 4B–4F bytes, downlink command parameters, or the element cut off at the end
    of an M3 packet.
    """

    encoding: str
    direction: str
    centre: int
    station: str
    password: int
    function: int
    start: int
    end: int
    packet_total: int | None = None
    packet_seq: int | None = None
    serial: int | None = None
    sent_at: datetime | None = None
    station_type: str | None = None
    observed_at: datetime | None = None
    elements: tuple[Element, ...] = ()
    payload: bytes = b""
    #: The body's ``F1 F1`` ST group. None = the usual one: the header address, present in typed
    #: reports when ``station_type`` is set and in every 40H–51H response, absent elsewhere; ``""`` =
    #: absent from a 40H–51H response; an address = present with that (different) address.
    body_station: str | None = None
    #: Guide (F2 manual / F3 picture) that introduced ``payload`` inside the element list.
    payload_guide: int | None = None

    @property
    def values(self) -> dict[str, Any]:
        """Return element values by key (last occurrence wins) plus function-specific items."""
        result: dict[str, Any] = {el.key: el.value for el in self.elements}
        if self.function in _NAMED_CONFIG_FUNCTIONS:
            if self.encoding == "hex":
                result["config"] = config_values(self.function, result)
        elif self.encoding == "hex" and self.function != FC_49_CHANGE_PASSWORD:
            definers = {
                el.key: f"{el.definer:02X}"
                for el in self.elements
                if el.key not in _NAMED_KEYS and el.definer is not None
            }
            if definers:
                result["definers"] = definers
        if self.payload or self.function in (FC_4A_SET_CLOCK, FC_51_QUERY_CLOCK):
            try:
                result.update(function_values(self))
            except ProtocolError:
                result["payload"] = self.payload.hex().upper()
        if self.function in _PASSWORD_FUNCTIONS and isinstance(result.get("03"), str):
            result["password"] = result["03"]
        return result

    @property
    def status_bits(self) -> list[int] | None:
        """Return the set bits of the 45H status and alarm word (表58), or None without one."""
        for el in reversed(self.elements):
            if el.key == "ZT" and isinstance(el.value, int):
                word = el.value
                return [bit for bit in range(word.bit_length()) if word >> bit & 1]
        return None

    def describe(self) -> dict[str, Any]:
        """Return the JSON-serialisable summary printed by ``changji decode``."""
        data: dict[str, Any] = {
            "protocol": "sl651",
            "encoding": self.encoding,
            "direction": self.direction,
            "function": f"{self.function:02X}",
            "centre": self.centre,
            "station": self.station,
            "serial": self.serial,
            "sent_at": _iso(self.sent_at),
            "observed_at": _iso(self.observed_at),
            "station_type": self.station_type,
            "values": {key: jsonable(value) for key, value in self.values.items()},
            "status_bits": self.status_bits,
        }
        if self.start == SYN:
            data["packet_total"] = self.packet_total
            data["packet_seq"] = self.packet_seq
        if self.payload:
            data["payload_length"] = len(self.payload)
        return data


@dataclass(frozen=True)
class Sl651Options:
    """Deployment choices the standard leaves open (docs/protocols.md §1.1, §1.3)."""

    #: Which ``FFxx`` extension carries the cumulative volume (m³); None = not sent.
    volume_extension: str | None = None
    #: Which ``FFxx`` extension carries the electric energy (kWh); None = not sent.
    energy_extension: str | None = None
    #: End character of acknowledgements: EOT (station may go offline) or ESC (stays online).
    ack_end: int = EOT
    #: Ack send time: ``"echo"`` the uplink's send time, or ``"centre"`` to use the centre clock.
    ack_time: str = "echo"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


# --- Function-specific payloads (SL651 6.6.4) ------------------------------------------------------


def function_values(frame: Sl651Frame) -> dict[str, Any]:
    """Decode the function-specific ``payload`` of ``frame``; raise DecodeError when malformed."""
    function, payload = frame.function, frame.payload
    if frame.payload_guide == GUIDE_F2_MANUAL or function == FC_35_MANUAL_REPORT and payload:
        return {"manual": payload.decode("latin-1")}
    if function in (FC_4A_SET_CLOCK, FC_51_QUERY_CLOCK) and frame.sent_at is not None:
        return {"clock": frame.sent_at.isoformat()}
    if frame.encoding != "hex" or frame.payload_guide is not None:
        return {}
    return _hex_payload_values(function, frame.direction, payload)


def _hex_payload_values(function: int, direction: str, payload: bytes) -> dict[str, Any]:
    """The payload of a HEX frame without an F2/F3 guide, by function code and direction."""
    if direction == "up":
        if function == FC_45_QUERY_VERSION:
            return {"version": payload.decode("latin-1")}
        if function == FC_50_QUERY_EVENTS:
            return {"events": parse_events(payload)}
    elif function == FC_38_QUERY_PERIOD:
        return parse_period_query(payload)
    elif function == FC_3A_QUERY_ELEMENTS:
        return {"identifiers": split_identifiers(payload)}
    if function in (FC_4C_PUMP_CONTROL, FC_4D_VALVE_CONTROL):
        name = "pumps" if function == FC_4C_PUMP_CONTROL else "valves"
        return {name: parse_switches(payload)}
    if function == FC_4E_GATE_CONTROL:
        return parse_gates(payload)
    if function == FC_4F_QUOTA_CONTROL:
        if len(payload) != 1:
            raise DecodeError(f"4FH quota control needs 1 byte, got {len(payload)}")
        return {"quota_control": payload[0] == 0xFF}
    return {}


def parse_events(payload: bytes) -> dict[str, int]:
    """Decode the 50H event record: 2-byte BIN counters ERC1, ERC2, ... (SL651 6.6.4.26)."""
    if len(payload) % 2:
        raise DecodeError(f"50H event record has odd length {len(payload)}")
    return {f"ERC{i // 2 + 1}": int.from_bytes(payload[i : i + 2], "big") for i in range(0, len(payload), 2)}


def parse_switches(payload: bytes) -> list[bool]:
    """Decode a 4CH/4DH bitmap: byte count, then one bit per device, D0 of byte 1 = device 1."""
    if not payload or len(payload) != payload[0] + 1:
        raise DecodeError(f"switch bitmap needs a count byte and that many bytes: {payload.hex().upper()}")
    return [bool(byte >> bit & 1) for byte in payload[1:] for bit in range(8)]


def parse_gates(payload: bytes) -> dict[str, Any]:
    """Decode 4EH: gate count, bitmap bytes, then a 2-byte BCD opening (cm) per gate."""
    if not payload:
        raise DecodeError("4EH gate control is empty")
    count = payload[0]
    map_len = (count + 7) // 8
    if len(payload) != 1 + map_len + 2 * count:
        raise DecodeError(f"4EH gate control for {count} gates has {len(payload)} bytes")
    bits = payload[1 : 1 + map_len]
    openings = []
    for i in range(count):
        digits = payload[1 + map_len + 2 * i : 3 + map_len + 2 * i].hex()
        if not digits.isdigit():
            raise DecodeError(f"invalid BCD gate opening {digits.upper()}")
        openings.append(int(digits))
    gates = [bool(bits[i // 8] >> (i % 8) & 1) for i in range(count)]
    return {"gates": gates, "gate_openings_cm": openings}


def split_identifiers(payload: bytes) -> list[str]:
    """Split a 3AH identifier list into hex identifiers (3 bytes for ``FF xx`` extensions)."""
    result, pos = [], 0
    while pos < len(payload):
        size = 3 if payload[pos] == 0xFF else 2
        if pos + size > len(payload):
            raise DecodeError(f"truncated identifier {payload[pos:].hex().upper()}")
        result.append(payload[pos : pos + size].hex().upper())
        pos += size
    return result


def parse_period_query(payload: bytes) -> dict[str, Any]:
    """Decode the 38H downlink: start and end ``YYMMDDhh``, ``04 18`` step, element identifier."""
    if len(payload) < 13 or payload[8] != 0x04:
        raise DecodeError(f"38H period query parameters malformed: {payload.hex().upper()}")
    start, end = (bcd_hour(payload[i : i + 4]) for i in (0, 4))
    step = bcd_digits(payload[10:13])
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "step_minutes": step_minutes(step),
        "identifier": payload[13:].hex().upper(),
    }


def bcd_digits(data: bytes) -> str:
    """Return the decimal digits of packed BCD ``data``; raise DecodeError on a non-decimal nibble."""
    digits = data.hex()
    if not digits.isdigit():
        raise DecodeError(f"invalid BCD {digits.upper()}")
    return digits


def step_minutes(digits: str) -> int:
    """Convert the DRxnn digits ``ddhhmm`` into minutes."""
    return int(digits[0:2]) * 1440 + int(digits[2:4]) * 60 + int(digits[4:6])


def bcd_hour(data: bytes) -> datetime:
    """Decode 4 BCD bytes ``YYMMDDhh`` into an aware CST datetime."""
    digits = bcd_digits(data)
    return make_time(digits + "00")


def make_time(digits: str) -> datetime:
    """Build an aware CST datetime from ``YYMMDDhhmm[ss]`` digits (year 2000 + YY)."""
    try:
        return datetime(
            2000 + int(digits[0:2]),
            int(digits[2:4]),
            int(digits[4:6]),
            int(digits[6:8]),
            int(digits[8:10]),
            int(digits[10:12] or 0),
            tzinfo=CST,
        )
    except ValueError as exc:
        raise DecodeError(f"invalid date/time {digits}: {exc}") from None
