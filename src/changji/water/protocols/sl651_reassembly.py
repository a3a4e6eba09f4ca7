"""SL651-2014 M3 multi-packet reassembly (6.3, 表20 field 7a).

In link mode M3 a message is sent as packets that start with ``SYN`` and a 3-byte counter (total,
sequence 1..total); all but the last end with ``ETB``. Only packet 1 carries serial, send time, ST
and TT (final text of the standard); the later packets are continuation bytes. The centre answers
once the message is complete, or asks for one missing packet at a time with ``NAK``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .codes import FC_36_PICTURE, SYN
from .errors import DecodeError
from .sl651_frame import Sl651Frame


@dataclass(frozen=True)
class Sl651Message:
    """A complete message: header information from packet 1 and the concatenated packet payloads."""

    station: str
    function: int
    first: Sl651Frame
    payload: bytes
    packet_total: int

    @property
    def picture(self) -> bytes | None:
        """Return the JPEG bytes of a 36H picture message (after ``F3 F3``), else None."""
        if self.function == FC_36_PICTURE and self.payload:
            return self.payload
        return None


@dataclass
class _Pending:
    total: int
    packets: dict[int, Sl651Frame] = field(default_factory=dict)
    size: int = 0


class Sl651Reassembler:
    """Collect M3 packets keyed by (station, function) until packets 1..total are all present."""

    def __init__(self, max_packets: int = 4095, max_bytes: int = 8 * 1024 * 1024) -> None:
        self.max_packets = max_packets
        self.max_bytes = max_bytes
        self._pending: dict[tuple[str, int], _Pending] = {}

    def feed(self, frame: Sl651Frame) -> Sl651Message | None:
        """Add one uplink packet; return the message when its last missing packet arrives.

        A single-packet (``STX``) uplink is a complete message at once; downlinks are ignored. A
        duplicate packet is ignored (the first copy is kept); a packet announcing a different total
        restarts the message.
        """
        if frame.direction != "up":
            return None
        if frame.start != SYN or frame.packet_total is None or frame.packet_seq is None:
            return Sl651Message(frame.station, frame.function, frame, frame.payload, 1)
        total, seq = frame.packet_total, frame.packet_seq
        if total > self.max_packets:
            raise DecodeError(f"M3 message of {total} packets exceeds the limit of {self.max_packets}")
        key = (frame.station, frame.function)
        pending = self._pending.get(key)
        if pending is None or pending.total != total:
            pending = self._pending[key] = _Pending(total)
        if seq in pending.packets:
            return None
        pending.size += len(frame.payload)
        if pending.size > self.max_bytes:
            del self._pending[key]
            raise DecodeError(f"M3 message from {frame.station} exceeds {self.max_bytes} bytes; discarded")
        pending.packets[seq] = frame
        if len(pending.packets) < total:
            return None
        del self._pending[key]
        payload = b"".join(pending.packets[number].payload for number in range(1, total + 1))
        return Sl651Message(frame.station, frame.function, pending.packets[1], payload, total)

    def missing(self, station: str, function: int) -> list[int]:
        """Return the packet numbers still missing from the pending message (for NAKs)."""
        pending = self._pending.get((station, function))
        if pending is None:
            return []
        return [number for number in range(1, pending.total + 1) if number not in pending.packets]

    def discard(self, station: str, function: int) -> None:
        """Forget the pending message of ``station`` and ``function``, if any."""
        self._pending.pop((station, function), None)
