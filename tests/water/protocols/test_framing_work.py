"""The framer's work is linear in its input, whatever a peer sends.

Work is counted, not timed: a trace function counts the Python lines the framer (``framing.py``
and ``crc.py``, where every CRC step is a line) executes, and raises once a stream exceeds its
budget of ``LINES_PER_BYTE`` per byte plus ``LINES_PER_READ`` per ``feed`` call, so a quadratic
framer fails fast instead of hanging the suite. The budget does not grow with the stream: every
stream runs past the frame-size limit at least twice. Each is fed in one piece, in 7-byte reads and
one byte at a time.
"""

from __future__ import annotations

import sys

import pytest

from changji.water.protocols import crc, framing
from changji.water.protocols.crc import crc8_e5, crc16_modbus
from changji.water.protocols.framing import DEFAULT_MAX_FRAME_BYTES, Framer, RawFrame

#: Python lines allowed per input byte and per read: constants, independent of the stream's length.
LINES_PER_BYTE = 60
LINES_PER_READ = 120
MAX = DEFAULT_MAX_FRAME_BYTES
PICTURE_HEADER = bytes.fromhex("6883 68 C3 03 5303810D00 83")  # 68 L 68, C with DIV, DIVS, A, AFN 83H


class WorkExceeded(Exception):
    """The framer executed more lines than the stream's budget."""


def _work(chunks: list[bytes]) -> tuple[int, list]:
    """Feed ``chunks`` to a new Framer; return (lines executed in the framer, items out)."""
    budget = _budget(chunks)
    files = {framing.__file__, crc.__file__}
    lines = 0

    def count(frame, event, arg):
        nonlocal lines
        if event == "line":
            lines += 1
            if lines > budget:
                raise WorkExceeded(f"more than {budget} lines")
        return count

    def enter(frame, event, arg):
        return count if frame.f_code.co_filename in files else None

    framer, out = Framer(), []
    sys.settrace(enter)
    try:
        for chunk in chunks:
            out += framer.feed(chunk)
        out += framer.flush()
    finally:
        sys.settrace(None)
    return lines, out


def _budget(chunks: list[bytes]) -> int:
    return LINES_PER_BYTE * sum(map(len, chunks)) + LINES_PER_READ * len(chunks) + 1000


def _split(stream: bytes, size: int) -> list[bytes]:
    return [stream[i : i + size] for i in range(0, len(stream), size)]


def _hex_frame(length: int = 0xFFF) -> bytes:
    raw = bytes.fromhex("7E7E 01 0012345678 0000 32") + length.to_bytes(2, "big") + b"\x02" + bytes(length) + b"\x03"
    return raw + crc16_modbus(raw).to_bytes(2, "big")


def _ascii_frame(length: int = 0xFFF) -> bytes:
    raw = b"\x01" + b"010012345678000032" + f"0{length:03X}".encode() + b"\x02" + b"0" * length + b"\x03"
    return raw + f"{crc16_modbus(raw):04X}".encode()


def _picture_frame(size: int) -> bytes:
    """An AFN 83H picture frame of ``size`` bytes whose data holds no 16H (its L field says 01)."""
    user = PICTURE_HEADER[3:] + bytes(size - len(PICTURE_HEADER) - 2)
    return b"\x68\x01\x68" + user + bytes([crc8_e5(user), 0x16])


def _szy206_frame() -> bytes:
    user = bytes.fromhex("B3 1237899876 C0") + bytes(248)
    return bytes([0x68, len(user), 0x68]) + user + bytes([crc8_e5(user), 0x16])


ADVERSARIAL = {
    "picture header then a run of 16H": PICTURE_HEADER + b"\x16" * (3 * MAX),
    "overlapping picture headers with 16H inside": bytes.fromhex("68836 8C3 1616161616".replace(" ", "")) * 5000,
    "picture headers every 11 bytes": PICTURE_HEADER * 4000,
    "false SL651 HEX starts": b"\x7e" * 40000,
    "false SL651 HEX headers claiming 4 KiB": (bytes.fromhex("7E7E 01 0012345678 0000 32 0FFF 02") + b"\x16") * 3000,
    "false SL651 ASCII starts": b"\x01" * 40000,
    "ASCII headers that never complete": (b"\x01" + b"0" * 21) * 2000,
    "false SZY206 starts": b"\x68" * 40000,
    "every start byte in turn": b"\x7e\x01\x68" * 14000,
    "start bytes between garbage": b"\x01A\x68B\x7eC" * 7000,
}


@pytest.mark.slow
@pytest.mark.parametrize("name", ADVERSARIAL)
@pytest.mark.parametrize("read", [1 << 16, 7, 1])
def test_adversarial_streams_cost_a_bounded_number_of_lines_per_byte(name, read):
    stream = ADVERSARIAL[name]
    if read == 1:
        stream = stream[: 2 * MAX + 100]  # past the frame limit twice; one-byte reads cost more to trace
    chunks = _split(stream, read)
    lines, out = _work(chunks)
    assert lines <= _budget(chunks)
    assert sum(len(item.data) for item in out) == len(stream)  # every byte accounted for once


@pytest.mark.slow
@pytest.mark.parametrize(
    "frame", [_hex_frame(), _ascii_frame(), _szy206_frame(), _picture_frame(MAX - 1)],
    ids=["SL651 HEX", "SL651 ASCII", "SZY206", "SZY206 picture"],
)
@pytest.mark.parametrize("read", [1 << 16, 7, 1])
def test_largest_frames_fed_in_small_reads_cost_a_bounded_number_of_lines_per_byte(frame, read):
    stream = frame * 2
    chunks = _split(stream, read)
    lines, out = _work(chunks)
    assert lines <= _budget(chunks)
    assert [item.data for item in out if isinstance(item, RawFrame)] == [frame, frame]


def test_a_picture_frame_after_failed_picture_headers_is_still_found():
    """A false picture header is dropped after MAX bytes without rescanning what followed it."""
    frame = _picture_frame(1000)
    stream = PICTURE_HEADER + b"\x00" * 100 + PICTURE_HEADER + frame + b"\x7e" + b"\x00" * MAX
    chunks = _split(stream, 500)
    lines, out = _work(chunks)
    assert [item.data for item in out if isinstance(item, RawFrame)] == [frame]
    assert lines <= _budget(chunks)
