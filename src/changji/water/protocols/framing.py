"""Stream framing for both protocol families on one TCP byte stream.

Terminals dial in over GPRS/4G and send frames over TCP, which preserves order but not boundaries:
a read may hold half a frame, three frames, or a stray byte between frames (9 of the 23 Fujian
SL651 sample lines end in a spurious ``7E``, docs/protocols.md §1.3). ``Framer.feed`` buffers partial
input across reads and returns whole frames and what it had to throw away.

Frame boundaries per family:

* SL651-2014 HEX (表20–23): ``7E 7E``, 11 header bytes, 2-byte direction+length word whose low
  12 bits are L; whole frame = L + 17 bytes; the character at 13 is STX (02) or SYN (16).
* SL651-2014 ASCII (§6.4): ``SOH`` (01), 22 header characters, all hexadecimal, the last 4 of which
  are direction + 3-digit length in characters; then STX (or SYN + 6 packet characters, counted in
  L); whole frame = L + 29 bytes (SOH + 22 + STX + L + end + 4 CRC characters).
* SZY206-2016 / SL/T 427-2021 (docs/protocols.md §2.2): ``68 L 68 … CS 16``, whole frame = L + 5, except picture
  frames (AFN 61H/83H, split with DIV) whose L field lies ("L×1K"): their end is the first ``16``
  preceded by a matching CRC-8 and followed by the end of the data or a frame start (or the end
  the L field names, when its CRC matches).

A candidate whose CRC fails is reported and skipped as a whole when its end character is where the
length says (a real frame damaged in transit); otherwise the start was a false alarm and only one
byte is dropped, so a real frame that follows garbage is never swallowed.

Work is linear in the input, whatever a peer sends (one connection must never stall the event loop
that serves every other terminal):

* a waiting candidate is re-examined in constant time per read, and a candidate's CRC is computed
  only once its end character is in place, so it is computed once per frame taken or skipped;
* picture frames are scanned by ``_PictureScan``, which keeps each candidate's running CRC-8 as
  the stream advances, so every byte is folded once per open candidate; at most
  ``MAX_OPEN_PICTURES`` candidates are open at a time and a picture header seen while that many
  are open is a false start (only a peer sending overlapping picture headers loses frames);
* consumed bytes are cut from the buffer only when they are at least as many as the bytes kept, so
  the copying is amortised over the bytes consumed.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass

from changji.water.protocols.crc import crc8_e5, crc8_e5_update, crc16_modbus
from changji.water.protocols.errors import ChecksumError

__pure__ = True  # no Django: tests/test_architecture.py checks it

SL651 = "sl651"
SZY206 = "szy206"

_SL651_HEX_END = frozenset({0x03, 0x17, 0x05, 0x04, 0x06, 0x15, 0x1B})
_HEX_DIGITS = frozenset(b"0123456789ABCDEFabcdef")
_SZY206_IMAGE_AFNS = frozenset({0x61, 0x83})
_FRAME_STARTS = frozenset({0x7E, 0x01, 0x68})
_START_PATTERN = re.compile(b"[\x01\x68\x7e]")
#: A SZY206 picture header at the match position (zero width, so overlapping headers are all found):
#: 68 L 68, C with DIV set, DIVS and the 5-byte address, AFN 61H or 83H.
_PICTURE_HEADER = re.compile(b"(?=\x68.\x68[\x40-\x7f\xc0-\xff].{6}[\x61\x83])", re.DOTALL)

#: Largest frame accepted by default: an SL651 frame is at most 4,095 + 17 bytes; SZY206 picture
#: frames are about 1 KiB. Anything longer is a hostile or broken peer.
DEFAULT_MAX_FRAME_BYTES = 16 * 1024

#: Picture-frame candidates scanned at once (each costs one CRC step per byte while open).
MAX_OPEN_PICTURES = 4

_OPEN, _FAILED = -1, -2  # _Picture.end before an end is found, and when none can be


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
        self._start = 0  # index in _buffer of the first byte not yet consumed
        self._base = 0  # stream offset of _buffer[0]
        self._garbage = bytearray()
        self._pictures = _PictureScan(max_frame_bytes)

    @property
    def pending(self) -> int:
        """Return the number of buffered bytes that do not yet form a frame."""
        return len(self._buffer) - self._start

    def feed(self, chunk: bytes) -> list[RawFrame | Rejected]:
        """Add ``chunk`` to the buffer and return every frame (or rejection) it completes."""
        buf = self._buffer
        buf += chunk
        self._pictures.advance(buf, self._base, self._base + self._start)
        out: list[RawFrame | Rejected] = []
        pos = self._start
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
        if len(buf) - pos > self.max_frame_bytes:
            self._garbage += buf[pos:]
            pos = len(buf)
        self._consume(pos)
        if len(self._garbage) >= 64:
            self._flush_garbage(out)
        return out

    def flush(self) -> list[Rejected]:
        """Return what is left at the end of the stream (garbage and a partial frame) as rejected."""
        out: list[RawFrame | Rejected] = []
        self._garbage += self._buffer[self._start :]
        self._consume(len(self._buffer))
        self._flush_garbage(out)
        return [item for item in out if isinstance(item, Rejected)]

    def _consume(self, pos: int) -> None:
        """Mark the bytes before ``pos`` consumed; cut them off once they outnumber the rest."""
        self._start = pos
        if self._pictures.candidates:
            self._pictures.forget_before(self._base + pos)
        if pos and pos >= len(self._buffer) - pos:
            del self._buffer[:pos]
            self._base += pos
            self._start = 0

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
            return None if bytes(buf[pos + 1 : pos + 2]) in (b"", b"\x7e") else 0
        if buf[pos + 1] != 0x7E or buf[pos + 13] not in (0x02, 0x16):
            return 0
        size = ((buf[pos + 11] & 0x0F) << 8 | buf[pos + 12]) + 17
        if buf[pos + 11] >> 4 not in (0x0, 0x8) or size > self.max_frame_bytes:
            return 0
        if len(buf) - pos < size:
            return None
        if buf[pos + size - 3] not in _SL651_HEX_END:
            return 0
        frame = bytes(buf[pos : pos + size])
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
        if buf[pos + size - 5] not in _SL651_HEX_END:
            return 0
        frame = bytes(buf[pos : pos + size])
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
            return self._szy206_image(buf, pos)
        if control & 0x40 and len(buf) - pos < 11:
            return None
        if len(buf) - pos < size:
            return None
        if buf[pos + size - 1] != 0x16 or size < 10:
            return 0
        frame = bytes(buf[pos : pos + size])
        expected = crc8_e5(memoryview(frame)[3:-2])
        if frame[-2] != expected:
            return Rejected(ChecksumError(SZY206, expected, frame[-2], 2).message, frame), size
        return RawFrame(SZY206, frame), size

    def _szy206_image(self, buf: bytearray, pos: int) -> tuple[RawFrame, int] | int | None:
        """Take the picture frame at ``pos`` once ``_PictureScan`` has found its end (docs/protocols.md §2.2, §2.11)."""
        end = self._pictures.end_of(self._base + pos)
        if end == _FAILED:
            return 0
        if end == _OPEN:
            return None
        size = end - self._base - pos + 1
        return RawFrame(SZY206, bytes(buf[pos : pos + size])), size


@dataclass(slots=True)
class _Picture:
    """One picture-frame candidate: where it starts, its running CRC and where its end was found."""

    start: int  # stream offset of its first 68H
    size: int  # L + 5: the size the L field names
    crc: int = 0  # CRC-8 of the stream from start + 3 up to ``folded``
    folded: int = 0  # stream offset of the next byte to fold into ``crc``
    checked: int = 0  # stream offset of the next byte that may be its closing 16H
    end: int = _OPEN  # stream offset of its closing 16H, or _OPEN / _FAILED


class _PictureScan:
    """Find where SZY206 picture frames end, folding each byte once into each open candidate's CRC.

    Every picture header in the stream is registered as it arrives (in stream order), whether or
    not the framer will reach it, so that a candidate after a failed one never rescans the bytes
    already seen. A candidate fails when ``max_frame_bytes`` have arrived without its end.
    """

    def __init__(self, max_frame_bytes: int) -> None:
        self.max_frame_bytes = max_frame_bytes
        self.candidates: deque[_Picture] = deque()  # in stream order, open and settled
        self._by_start: dict[int, _Picture] = {}
        self._open: list[_Picture] = []
        self._next = 0  # stream offset of the next byte that may start a header

    def end_of(self, start: int) -> int:
        """Return the stream offset of the end of the picture frame at ``start``, _OPEN or _FAILED."""
        candidate = self._by_start.get(start)
        return _FAILED if candidate is None else candidate.end

    def forget_before(self, offset: int) -> None:
        """Drop the candidates that start before ``offset`` (the framer has consumed them)."""
        while self.candidates and self.candidates[0].start < offset:
            gone = self.candidates.popleft()
            del self._by_start[gone.start]
            if gone.end == _OPEN:
                self._open.remove(gone)

    def advance(self, buf: bytearray, base: int, consumed: int) -> None:
        """Register the headers after ``consumed`` and scan the open candidates up to the end of ``buf``.

        ``buf[0]`` is at stream offset ``base``.
        """
        stream_end = base + len(buf)
        self._register(buf, base, max(self._next, consumed), stream_end)
        if self._open:
            for candidate in list(self._open):
                self._scan(candidate, buf, base, stream_end)

    def _register(self, buf: bytearray, base: int, at: int, stream_end: int) -> None:
        last = stream_end - 11  # the last start whose 11 header bytes are all here
        if at > last:
            return
        for match in _PICTURE_HEADER.finditer(buf, at - base, last - base + 11):
            start = base + match.start()
            candidate = _Picture(start, buf[match.start() + 1] + 5, 0, start + 3, start + 4)
            if len(self._open) >= MAX_OPEN_PICTURES:
                candidate.end = _FAILED
            else:
                self._open.append(candidate)
            self.candidates.append(candidate)
            self._by_start[start] = candidate
        self._next = last + 1

    def _scan(self, candidate: _Picture, buf: bytearray, base: int, stream_end: int) -> None:
        """Look for the candidate's end among the bytes that arrived since its last scan."""
        start = candidate.start
        length_end = start + candidate.size - 1
        limit = min(stream_end, start + self.max_frame_bytes)
        at = candidate.checked
        while at < limit:
            found = buf.find(b"\x16", at - base, limit - base)
            if found < 0:
                at = limit
                break
            at = base + found
            if at >= start + 12 or at == length_end:
                crc = crc8_e5_update(candidate.crc, buf[candidate.folded - base : found - 1])
                candidate.crc, candidate.folded = crc, at - 1
                follows = at + 1 == stream_end or buf[found + 1] in _FRAME_STARTS
                if crc == buf[found - 1] and (follows or at == length_end):
                    candidate.end = at
                    break
            at += 1
        candidate.checked = at
        if candidate.end == _OPEN and stream_end - start >= self.max_frame_bytes:
            candidate.end = _FAILED
        if candidate.end != _OPEN:
            self._open.remove(candidate)


def _next_start(buf: bytearray, start: int) -> int:
    """Return the index of the next byte that may start a frame, or len(buf)."""
    found = _START_PATTERN.search(buf, start)
    return len(buf) if found is None else found.start()


def detect_protocol(frame: bytes) -> str | None:
    """Return the protocol family a single frame belongs to by its start, or None."""
    if frame[:2] == b"\x7e\x7e" or frame[:1] == b"\x01":
        return SL651
    if frame[:1] == b"\x68":
        return SZY206
    return None
