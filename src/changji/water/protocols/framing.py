"""Stream framing for both protocol families on one TCP byte stream.

Terminals dial in over GPRS/4G and send frames over TCP, which preserves order but not boundaries:
a read may hold half a frame, three frames, or a stray byte between frames (9 of the 23 Fujian
SL651 sample lines end in a spurious ``7E``, notes §1.13). ``Framer.feed`` buffers partial input
across reads, like httpx's ``LineDecoder``, and returns whole frames and what it had to throw away.

Frame boundaries per family:

* SL651-2014 HEX (表20–23): ``7E 7E``, 11 header bytes, 2-byte direction+length word whose low
  12 bits are L; whole frame = L + 17 bytes; the character at 13 is STX (02) or SYN (16).
* SL651-2014 ASCII (§6.4): ``SOH`` (01), 22 header characters, all hexadecimal, the last 4 of which
  are direction + 3-digit length in characters; then STX (or SYN + 6 packet characters, counted in
  L); whole frame = L + 29 bytes (SOH + 22 + STX + L + end + 4 CRC characters).
* SZY206-2016 / SL/T 427-2021 (§2.2): ``68 L 68 … CS 16``, whole frame = L + 5, except picture
  frames (AFN 61H/83H, split with DIV) whose L field lies ("L×1K"): their end is found by scanning
  for a ``16`` preceded by a matching CRC-8 and followed by the end of the data or a frame start.

A candidate whose CRC fails is reported and skipped as a whole when its end character is where the
length says (a real frame damaged in transit); otherwise the start was a false alarm and only one
byte is dropped, so a real frame that follows garbage is never swallowed.
"""

from __future__ import annotations

from dataclasses import dataclass

from .crc import crc8_e5, crc16_modbus
from .errors import ChecksumError

SL651 = "sl651"
SZY206 = "szy206"

_SL651_HEX_END = frozenset({0x03, 0x17, 0x05, 0x04, 0x06, 0x15, 0x1B})
_HEX_DIGITS = frozenset(b"0123456789ABCDEFabcdef")
_SZY206_IMAGE_AFNS = frozenset({0x61, 0x83})
_FRAME_STARTS = frozenset({0x7E, 0x01, 0x68})

#: Largest frame accepted by default: an SL651 frame is at most 4,095 + 17 bytes; SZY206 picture
#: frames are about 1 KiB. Anything longer is a hostile or broken peer.
DEFAULT_MAX_FRAME_BYTES = 16 * 1024


@dataclass(frozen=True, slots=True)
class RawFrame:
    """A whole frame, checksum verified, not yet decoded."""

    protocol: str
    data: bytes

    @property
    def encoding(self) -> str:
        """Return "ascii" for SL651 ASCII frames and "hex" otherwise."""
        return "ascii" if self.data[:1] == b"\x01" else "hex"


@dataclass(frozen=True, slots=True)
class Rejected:
    """Bytes the framer threw away, and why (garbage, bad CRC, oversize)."""

    reason: str
    data: bytes


class Framer:
    """Incremental framer: ``feed`` bytes as they arrive, get whole frames back in order."""

    def __init__(self, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> None:
        self.max_frame_bytes = max_frame_bytes
        self._buffer = bytearray()
        self._garbage = bytearray()

    @property
    def pending(self) -> int:
        """Return the number of buffered bytes that do not yet form a frame."""
        return len(self._buffer)

    def feed(self, chunk: bytes) -> list[RawFrame | Rejected]:
        """Add ``chunk`` to the buffer and return every frame (or rejection) it completes."""
        self._buffer += chunk
        out: list[RawFrame | Rejected] = []
        buf = self._buffer
        pos = 0
        while pos < len(buf):
            byte = buf[pos]
            if byte not in _FRAME_STARTS:
                nxt = _next_start(buf, pos + 1)
                self._garbage += buf[pos:nxt]
                pos = nxt
                continue
            outcome = self._try_frame(buf, pos)
            if outcome is None:  # need more bytes
                break
            if isinstance(outcome, int):  # false start: drop one byte
                self._garbage.append(byte)
                pos += 1
                continue
            item, size = outcome
            self._flush_garbage(out)
            out.append(item)
            pos += size
        del buf[:pos]
        if len(buf) > self.max_frame_bytes:
            self._garbage += buf
            buf.clear()
        if len(self._garbage) >= 64:
            self._flush_garbage(out)
        return out

    def flush(self) -> list[Rejected]:
        """Return what is left at the end of the stream (garbage and a partial frame) as rejected."""
        out: list[RawFrame | Rejected] = []
        self._garbage += self._buffer
        self._buffer.clear()
        self._flush_garbage(out)
        return [item for item in out if isinstance(item, Rejected)]

    def _flush_garbage(self, out: list[RawFrame | Rejected]) -> None:
        if self._garbage:
            out.append(Rejected(f"{len(self._garbage)} byte(s) outside any frame", bytes(self._garbage)))
            self._garbage.clear()

    def _try_frame(self, buf: bytearray, pos: int) -> tuple[RawFrame | Rejected, int] | int | None:
        """Return (item, size) for a frame at ``pos``, 0 for a false start, None to wait for more."""
        byte = buf[pos]
        if byte == 0x7E:
            return self._sl651_hex(buf, pos)
        if byte == 0x01:
            return self._sl651_ascii(buf, pos)
        return self._szy206(buf, pos)

    def _sl651_hex(self, buf: bytearray, pos: int) -> tuple[RawFrame | Rejected, int] | int | None:
        if len(buf) - pos < 14:
            return None if buf[pos + 1 : pos + 2] in (b"", b"\x7e") else 0
        if buf[pos + 1] != 0x7E or buf[pos + 13] not in (0x02, 0x16):
            return 0
        size = ((buf[pos + 11] & 0x0F) << 8 | buf[pos + 12]) + 17
        if buf[pos + 11] >> 4 not in (0x0, 0x8) or size > self.max_frame_bytes:
            return 0
        if len(buf) - pos < size:
            return None
        frame = bytes(buf[pos : pos + size])
        if frame[-3] not in _SL651_HEX_END:
            return 0
        found = frame[-2] << 8 | frame[-1]
        expected = crc16_modbus(memoryview(frame)[:-2])
        if found != expected:
            return Rejected(ChecksumError(SL651, expected, found).message, frame), size
        return RawFrame(SL651, frame), size

    def _sl651_ascii(self, buf: bytearray, pos: int) -> tuple[RawFrame | Rejected, int] | int | None:
        header = buf[pos + 1 : pos + 24]
        for i, char in enumerate(header[:22]):
            if char not in _HEX_DIGITS or (i == 18 and char not in b"08"):
                return 0
        if len(header) < 23:
            return None
        if header[22] not in (0x02, 0x16):
            return 0
        size = int(bytes(header[19:22]), 16) + 29
        if size > self.max_frame_bytes:
            return 0
        if len(buf) - pos < size:
            return None
        frame = bytes(buf[pos : pos + size])
        if frame[-5] not in _SL651_HEX_END:
            return 0
        try:
            found = int(frame[-4:], 16)
        except ValueError:
            return 0
        expected = crc16_modbus(memoryview(frame)[:-4])
        if found != expected:
            return Rejected(ChecksumError(SL651, expected, found).message, frame), size
        return RawFrame(SL651, frame), size

    def _szy206(self, buf: bytearray, pos: int) -> tuple[RawFrame | Rejected, int] | int | None:
        if len(buf) - pos < 4:
            return None if len(buf) - pos < 3 or buf[pos + 2] == 0x68 else 0
        if buf[pos + 2] != 0x68:
            return 0
        size = buf[pos + 1] + 5
        control = buf[pos + 3]
        if control & 0x40 and len(buf) - pos >= 11 and buf[pos + 10] in _SZY206_IMAGE_AFNS:
            return self._szy206_image(buf, pos, size)
        if control & 0x40 and len(buf) - pos < 11:
            return None
        if len(buf) - pos < size:
            return None
        frame = bytes(buf[pos : pos + size])
        if frame[-1] != 0x16 or size < 10:
            return 0
        expected = crc8_e5(memoryview(frame)[3:-2])
        if frame[-2] != expected:
            return Rejected(ChecksumError(SZY206, expected, frame[-2], 2).message, frame), size
        return RawFrame(SZY206, frame), size

    def _szy206_image(self, buf: bytearray, pos: int, size: int) -> tuple[RawFrame, int] | int | None:
        """Find the end of a picture frame whose L field cannot be trusted (notes §2.2, §2.11)."""
        if len(buf) - pos >= size and _szy206_ends_at(buf, pos, pos + size - 1):
            return RawFrame(SZY206, bytes(buf[pos : pos + size])), size
        end = pos + 12
        limit = min(len(buf), pos + self.max_frame_bytes)
        while True:
            end = buf.find(b"\x16", end, limit)
            if end < 0:
                return None if len(buf) - pos < self.max_frame_bytes else 0
            if _szy206_ends_at(buf, pos, end) and (end + 1 == len(buf) or buf[end + 1] in _FRAME_STARTS):
                size = end + 1 - pos
                return RawFrame(SZY206, bytes(buf[pos : end + 1])), size
            end += 1


def _szy206_ends_at(buf: bytearray, pos: int, end: int) -> bool:
    return buf[end] == 0x16 and crc8_e5(memoryview(buf)[pos + 3 : end - 1]) == buf[end - 1]


def _next_start(buf: bytearray, start: int) -> int:
    """Return the index of the next byte that may start a frame, or len(buf)."""
    best = len(buf)
    for marker in (b"\x7e", b"\x01", b"\x68"):
        found = buf.find(marker, start, best)
        if found >= 0:
            best = found
    return best


def detect_protocol(frame: bytes) -> str | None:
    """Return the protocol family a single frame belongs to by its start, or None."""
    if frame[:2] == b"\x7e\x7e" or frame[:1] == b"\x01":
        return SL651
    if frame[:1] == b"\x68":
        return SZY206
    return None
