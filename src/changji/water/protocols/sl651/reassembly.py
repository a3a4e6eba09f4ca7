"""SL651-2014 M3 multi-packet reassembly (6.3, 表20 field 7a).

In link mode M3 a message is sent as packets that start with ``SYN`` and a 3-byte counter (total,
sequence 1..total); all but the last end with ``ETB``. Only packet 1 carries serial, send time, ST
and TT (final text of the standard); the later packets are continuation bytes. The centre answers
once the message is complete, or asks for one missing packet at a time with ``NAK``.

Incomplete messages are held within the memory caps and the idle expiry of ``reassembly``: one
peer that starts messages and never finishes them cannot exhaust the process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from changji.water.protocols.errors import LimitError
from changji.water.protocols.reassembly import Abandoned, MemoryBudget, PendingMessages
from changji.water.protocols.sl651.codes import FC_36_PICTURE, SYN
from changji.water.protocols.sl651.frame import Sl651Frame

__pure__ = True  # no Django: tests/test_architecture.py checks it


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


class Sl651Reassembler:
    """Collect M3 packets keyed by (station, function) until packets 1..total are all present.

    ``max_bytes`` caps what all incomplete messages of this reassembler hold (the gateway keeps
    one per connection), ``budget`` the total over every reassembler sharing it, and a message fed
    nothing for ``max_idle_s`` expires; see ``reassembly``. Abandoned messages are reported once by
    ``take_abandoned``.
    """

    def __init__(
        self,
        max_packets: int = 4095,
        max_bytes: int = 8 * 1024 * 1024,
        max_idle_s: float = 300.0,
        budget: MemoryBudget | None = None,
    ) -> None:
        self.max_packets = max_packets
        self._pending = PendingMessages(max_bytes, max_idle_s, budget)

    @property
    def max_bytes(self) -> int:
        """Return the cap on the bytes held by this reassembler's incomplete messages."""
        return self._pending.max_bytes

    @property
    def pending(self) -> int:
        """Return the number of messages still being collected."""
        return len(self._pending)

    @property
    def abandoned(self) -> int:
        """Return the number of abandoned messages not yet taken with ``take_abandoned``."""
        return self._pending.abandoned

    @property
    def pending_bytes(self) -> int:
        """Return the bytes charged to the incomplete messages (payloads plus per-packet overhead)."""
        return self._pending.size

    def feed(self, frame: Sl651Frame, now: float = 0.0, tag: Any = None) -> Sl651Message | None:
        """Add one uplink packet; return the message when its last missing packet arrives.

        The packet was received at ``now`` (monotonic seconds). A single-packet (``STX``) uplink is a
        complete message at once; downlinks are ignored. A duplicate packet is ignored (the first copy is
        kept); a packet announcing a different total restarts the message. ``tag`` is reported with the
        message if it is abandoned. LimitError when the message breaks a limit (it is then abandoned).
        """
        if frame.direction != "up":
            return None
        if frame.start != SYN or frame.packet_total is None or frame.packet_seq is None:
            return Sl651Message(frame.station, frame.function, frame, frame.payload, 1)
        self._pending.expire(now)
        total, seq = frame.packet_total, frame.packet_seq
        if total > self.max_packets:
            raise LimitError(f"M3 message of {total} packets exceeds the limit of {self.max_packets}")
        key = (frame.station, frame.function)
        pending = self._pending.get(key)
        if pending is None or pending.total != total:
            pending = self._pending.start(key, total, now, f"restarted with {total} packets")
        if seq in pending.parts:
            return None
        what = f"M3 message from {frame.station}"
        pending = self._pending.add(key, seq, frame.payload, now, tag, what)
        if seq == 1:
            pending.first = frame
        if len(pending.parts) < total:
            return None
        self._pending.complete(key)
        payload = b"".join(pending.parts[number] for number in range(1, total + 1))
        return Sl651Message(frame.station, frame.function, pending.first, payload, total)

    def expire(self, now: float) -> None:
        """Abandon the messages fed nothing for ``max_idle_s`` before ``now``."""
        self._pending.expire(now)

    def close(self, reason: str = "connection closed") -> None:
        """Abandon every incomplete message."""
        self._pending.close(reason)

    def take_abandoned(self) -> list[Abandoned]:
        """Return the messages abandoned since the last call."""
        return self._pending.take_abandoned()

    def missing(self, station: str, function: int) -> list[int]:
        """Return the packet numbers still missing from the pending message (for NAKs)."""
        pending = self._pending.get((station, function))
        if pending is None:
            return []
        return [number for number in range(1, pending.total + 1) if number not in pending.parts]

    def discard(self, station: str, function: int) -> None:
        """Forget the pending message of ``station`` and ``function``, if any."""
        self._pending.drop((station, function), "discarded")
