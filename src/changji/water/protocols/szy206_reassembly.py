"""Reassembly of split SZY206 messages (DIV/DIVS, notes §2.11, SL/T 427-2021 §帧结构 控制域 D6).

A long message (a picture, a long query answer) is sent as frames with DIV = 1 whose DIVS byte counts
down to 1 (the last frame). The frames of one message share the address and the AFN. The first frame
carries the highest count, so a frame with a count above the one being collected starts a new
message (the terminal restarted); a repeated count replaces the earlier copy (a retransmission).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import DecodeError
from .szy206_codes import IMAGE_AFNS
from .szy206_frame import Szy206Frame

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


@dataclass
class _Partial:
    total: int
    parts: dict[int, Szy206Frame] = field(default_factory=dict)
    size: int = 0


class Szy206Reassembler:
    """DIV/DIVS reassembly (§2.11): frames of one split message share address + AFN; DIVS counts down to
    1 (last). Feed decoded frames; a whole message comes back once every count from the first down to 1
    has arrived, in any order."""

    def __init__(self, max_frames: int = 255, max_bytes: int = 8 * 1024 * 1024) -> None:
        self.max_frames = max_frames
        self.max_bytes = max_bytes
        self._partials: dict[tuple[str, int], _Partial] = {}

    @property
    def pending(self) -> int:
        """Return the number of messages still being collected."""
        return len(self._partials)

    def discard(self, address: str, afn: int) -> None:
        """Forget the partial message of ``address`` and ``afn`` (timeout, lost connection)."""
        self._partials.pop((address, afn), None)

    def feed(self, frame: Szy206Frame) -> Szy206Message | None:
        """Add ``frame``; return the whole message when it completes, else None.

        An unsplit frame is a message by itself. DecodeError when a message exceeds the limits.
        """
        if not frame.div or frame.divs is None:
            return Szy206Message(frame.address, frame.afn, 1, frame.data, frame)
        key = (frame.address, frame.afn)
        count = frame.divs
        partial = self._partials.get(key)
        if partial is None or count > partial.total:
            if count > self.max_frames:
                self.discard(*key)
                raise DecodeError(
                    f"szy206 split message of {count} frames exceeds the limit of {self.max_frames}"
                )
            partial = self._partials[key] = _Partial(count)
        previous = partial.parts.get(count)
        partial.size += len(frame.data) - (len(previous.data) if previous is not None else 0)
        partial.parts[count] = frame
        if partial.size > self.max_bytes:
            self.discard(*key)
            raise DecodeError(f"szy206 split message exceeds the limit of {self.max_bytes} bytes")
        if len(partial.parts) < partial.total:
            return None
        del self._partials[key]
        ordered = [partial.parts[n] for n in range(partial.total, 0, -1)]
        return Szy206Message(key[0], key[1], partial.total, b"".join(f.data for f in ordered), ordered[0])
