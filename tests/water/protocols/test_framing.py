"""Stream framing: whole frames out of arbitrary TCP reads, garbage and bad CRCs survived."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from changji.water.protocols.crc import crc8_e5
from changji.water.protocols.framing import SL651, SZY206, Framer, RawFrame, Rejected, detect_protocol
from tests.water.protocols.vectors import (
    ALL_FRAMES,
    SL651_ASCII_A02,
    SL651_TIMED_L49,
    SZY206_FLOW_S2,
)

FRAMES = [bytes.fromhex(h) for h in ALL_FRAMES]
STREAM = b"".join(FRAMES)


def _frames(items):
    return [item.data for item in items if isinstance(item, RawFrame)]


def _feed_split(stream: bytes, cuts: list[int]) -> list:
    framer = Framer()
    out = []
    last = 0
    for cut in sorted(set(cuts)) + [len(stream)]:
        out += framer.feed(stream[last:cut])
        last = cut
    return out + framer.flush()


def test_whole_stream_in_one_read_gives_every_frame_in_order():
    out = Framer().feed(STREAM)
    assert _frames(out) == FRAMES
    assert not [item for item in out if isinstance(item, Rejected)]


def test_protocols_are_recognised():
    out = Framer().feed(STREAM)
    assert [item.protocol for item in out] == [SL651] * 5 + [SZY206] * 3
    assert [item.encoding for item in out][3] == "ascii"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=40))
def test_every_way_of_splitting_the_stream_gives_the_same_frames(cuts):
    out = _feed_split(STREAM, cuts)
    assert _frames(out) == FRAMES
    assert not [item for item in out if isinstance(item, Rejected)]


def test_byte_by_byte_feeding():
    assert _frames(_feed_split(STREAM, list(range(len(STREAM))))) == FRAMES


def test_garbage_between_frames_is_reported_and_skipped():
    noisy = b"\x7e" + FRAMES[0] + b"\x7e" + b"AT+CSQ\r\n\x68\x00" + FRAMES[1] + b"\x01\x01" + FRAMES[5]
    out = Framer().feed(noisy)
    assert _frames(out) == [FRAMES[0], FRAMES[1], FRAMES[5]]
    garbage = b"".join(item.data for item in out if isinstance(item, Rejected))
    assert garbage == b"\x7e" + b"\x7e" + b"AT+CSQ\r\n\x68\x00" + b"\x01\x01"


def test_bad_crc_is_reported_with_expected_and_found_and_framing_recovers():
    l49 = bytearray(bytes.fromhex(SL651_TIMED_L49))
    l49[30] ^= 0x01
    s2 = bytearray(bytes.fromhex(SZY206_FLOW_S2))
    s2[12] ^= 0x10
    out = Framer().feed(bytes(l49) + bytes(s2) + FRAMES[0])
    rejected = [item for item in out if isinstance(item, Rejected)]
    assert [r.data for r in rejected] == [bytes(l49), bytes(s2)]
    assert rejected[0].reason.startswith("sl651 CRC mismatch: expected ")
    assert "found 9FE1" in rejected[0].reason
    assert "szy206 CRC mismatch" in rejected[1].reason and "found F1" in rejected[1].reason
    assert _frames(out) == [FRAMES[0]]


def test_false_start_inside_garbage_does_not_swallow_the_next_frame():
    fake = bytes.fromhex("7E7E0000000000000000320FFF02")  # claims a 4 KiB body
    out = Framer().feed(fake + FRAMES[0])
    assert FRAMES[0] not in _frames(out)  # waiting: the false header's length is not reached yet
    framer = Framer(max_frame_bytes=1024)
    assert _frames(framer.feed(fake + FRAMES[0])) == [FRAMES[0]]


def test_oversize_buffer_is_dropped():
    framer = Framer(max_frame_bytes=256)
    out = framer.feed(b"\x68\xff\x68" + bytes(300))
    assert framer.pending == 0
    assert sum(len(item.data) for item in out if isinstance(item, Rejected)) == 303


def _szy206_picture_frame(divs: int, chunk: bytes) -> bytes:
    """Build an AFN 83H picture frame whose L field says 01, as real terminals send (docs/protocols.md §2.2)."""
    user = bytes([0xC0 | 0x03, divs]) + bytes.fromhex("5303810D00") + b"\x83" + chunk
    return b"\x68\x01\x68" + user + bytes([crc8_e5(user), 0x16])


def test_szy206_picture_frames_with_a_lying_length_are_framed_by_their_crc():
    rng = random.Random(7)
    chunks = [bytes(rng.randrange(256) for _ in range(1024)) for _ in range(3)]
    frames = [_szy206_picture_frame(3 - i, chunk) for i, chunk in enumerate(chunks)]
    stream = b"".join(frames) + FRAMES[5]
    assert _frames(_feed_split(stream, [100, 1500, 2100, 3000])) == frames + [FRAMES[5]]


def test_ascii_frame_header_must_be_hexadecimal():
    assert _frames(Framer().feed(b"\x01hello world, not a frame" + bytes.fromhex(SL651_ASCII_A02))) == [
        bytes.fromhex(SL651_ASCII_A02)
    ]


def test_detect_protocol():
    assert detect_protocol(FRAMES[0]) == SL651
    assert detect_protocol(bytes.fromhex(SL651_ASCII_A02)) == SL651
    assert detect_protocol(FRAMES[5]) == SZY206
    assert detect_protocol(b"\x00\x01") is None
    assert detect_protocol(b"") is None
