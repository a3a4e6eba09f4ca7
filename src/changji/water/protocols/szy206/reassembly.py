"""Reassembly of split SZY206 messages (DIV/DIVS, SL/T 427-2021 §帧结构 控制域 D6; docs/protocols.md §2.11).

A long message (a picture, a long query answer) is sent as frames with DIV = 1 whose DIVS byte counts
down to 1 (the last frame). The frames of one message share the address and the AFN. The first frame
carries the highest count, so a frame with a count above the one being collected starts a new
message (the terminal restarted); a repeated count replaces the earlier copy (a retransmission).

Incomplete messages are held within the memory caps and the idle expiry of ``reassembly``: one
peer that starts messages and never finishes them cannot exhaust the process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from changji.water.protocols.errors import LimitError
from changji.water.protocols.reassembly import Abandoned, MemoryBudget, PendingMessages
from changji.water.protocols.szy206.codes import IMAGE_AFNS
from changji.water.protocols.szy206.frame import Szy206Frame

__pure__ = True  # no Django: tests/test_architecture.py checks it

JPEG_START = b"\xff\xd8"
JPEG_END = b"\xff\xd9"


@dataclass(frozen=True)
class Szy206Message:
    """A whole message: the data fields of its frames in sending order (highest DIVS first)."""

    address: str
    afn: int
    frames: int
    data: bytes
    first: Szy206Frame

    @property
    def picture(self) -> bytes | None:
        """Return the JPEG (FFD8 … FFD9) of a picture message (AFN 61/83), else None."""
        if self.afn not in IMAGE_AFNS:
            return None
        start = self.data.find(JPEG_START)
        end = self.data.rfind(JPEG_END)
        if start < 0 or end < start:
            return None
        return self.data[start : end + len(JPEG_END)]


class Szy206Reassembler:
    """DIV/DIVS reassembly (SL/T 427-2021 控制域 D6): a whole message once all of its frames have arrived.

    Frames of one split message share address + AFN; DIVS counts down to 1 (last). Feed decoded frames; a
    whole message comes back once every count from the first down to 1 has arrived, in any order.

    ``max_bytes`` caps what all incomplete messages of this reassembler hold (the gateway keeps one
    per connection), ``budget`` the total over every reassembler sharing it, and a message fed
    nothing for ``max_idle_s`` expires; see ``reassembly``. Abandoned messages are reported once by
    ``take_abandoned``.
    """

    def __init__(
        self,
        max_frames: int = 255,
        max_bytes: int = 8 * 1024 * 1024,
        max_idle_s: float = 300.0,
        budget: MemoryBudget | None = None,
    ) -> None:
        self.max_frames = max_frames
        self._partials = PendingMessages(max_bytes, max_idle_s, budget)

    @property
    def max_bytes(self) -> int:
        """Return the cap on the bytes held by this reassembler's incomplete messages."""
        return self._partials.max_bytes

    @property
    def pending(self) -> int:
        """Return the number of messages still being collected."""
        return len(self._partials)

    @property
    def abandoned(self) -> int:
        """Return the number of abandoned messages not yet taken with ``take_abandoned``."""
        return self._partials.abandoned

    @property
    def pending_bytes(self) -> int:
        """Return the bytes charged to the incomplete messages (data plus per-frame overhead)."""
        return self._partials.size

    def discard(self, address: str, afn: int) -> None:
        """Forget the partial message of ``address`` and ``afn`` (timeout, lost connection)."""
        self._partials.drop((address, afn), "discarded")

    def expire(self, now: float) -> None:
        """Abandon the messages fed nothing for ``max_idle_s`` before ``now``."""
        self._partials.expire(now)

    def close(self, reason: str = "connection closed") -> None:
        """Abandon every incomplete message."""
        self._partials.close(reason)

    def take_abandoned(self) -> list[Abandoned]:
        """Return the messages abandoned since the last call."""
        return self._partials.take_abandoned()

    def feed(self, frame: Szy206Frame, now: float = 0.0, tag: Any = None) -> Szy206Message | None:
        """Add ``frame``, received at ``now`` (monotonic seconds); return the whole message once complete.

        None while it is incomplete. An unsplit frame is a message by itself. ``tag`` is reported with the
        message if it is abandoned. LimitError when a message exceeds the limits (it is then abandoned).
        """
        if not frame.div or frame.divs is None:
            return Szy206Message(frame.address, frame.afn, 1, frame.data, frame)
        self._partials.expire(now)
        key = (frame.address, frame.afn)
        count = frame.divs
        partial = self._partials.get(key)
        if partial is None or count > partial.total:
            if count > self.max_frames:
                self.discard(*key)
                raise LimitError(f"szy206 split message of {count} frames exceeds the limit of {self.max_frames}")
            partial = self._partials.start(key, count, now, f"restarted at frame count {count}")
        partial = self._partials.add(key, count, frame.data, now, tag, "szy206 split message")
        if count == partial.total:
            partial.first = frame
        if len(partial.parts) < partial.total:
            return None
        self._partials.complete(key)
        data = b"".join(partial.parts[n] for n in range(partial.total, 0, -1))
        return Szy206Message(key[0], key[1], partial.total, data, partial.first)
