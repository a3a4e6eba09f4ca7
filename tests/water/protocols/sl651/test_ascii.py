"""SL651-2014 ASCII encoding (6.4): vector A02, round trips, acks and errors."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from changji.water.protocols.bcd import CST
from changji.water.protocols.crc import crc16_modbus
from changji.water.protocols.errors import ChecksumError, DecodeError, EncodeError, FramingError
from changji.water.protocols.sl651 import (
    Element,
    Sl651Frame,
    Sl651Options,
    build_ack,
    decode_sl651,
    encode_sl651,
    to_reading,
)
from changji.water.protocols.sl651.codes import ESC, ETX, GUIDE_F2_MANUAL, STX, SYN

A02 = (
    b"\x0106001234123404D230004D\x020019170718111204"
    b"ST 0012341234 H TT 1707181112 PJ 0.5 PT 0.5 Z 0.301 VT 10.91 \x03FDEE"
)


def t(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=CST)


def recrc(frame: bytes) -> bytes:
    return frame[:-4] + f"{crc16_modbus(frame[:-4]):04X}".encode()


def test_a02_decodes_to_documented_values():
    """A02: test report 30 from station 0012341234 (the verified ASCII sample)."""
    frame = decode_sl651(A02)
    assert (frame.encoding, frame.direction, frame.function, frame.centre) == ("ascii", "up", 0x30, 6)
    assert (frame.station, frame.password, frame.start, frame.end) == ("0012341234", 0x04D2, STX, ETX)
    assert frame.sent_at == t(2017, 7, 18, 11, 12, 4)
    assert (frame.body_station, frame.station_type) == (None, "H")  # ST repeats the header address
    assert frame.observed_at == t(2017, 7, 18, 11, 12)
    assert frame.values == {"PJ": 0.5, "PT": 0.5, "Z": 0.301, "VT": 10.91}


def test_a02_serial_is_the_hex_rendering():
    """ASCII renders every HEX field as hex text, so the serial "0019" is 0x19 = 25."""
    assert decode_sl651(A02).serial == 0x19


def test_a02_records_the_text_format_in_the_definer():
    """``definer`` keeps digits << 3 | decimals so "0.5" and "10.91" re-encode exactly."""
    assert [(el.key, el.definer) for el in decode_sl651(A02).elements] == [
        ("PJ", 2 << 3 | 1),
        ("PT", 2 << 3 | 1),
        ("Z", 4 << 3 | 3),
        ("VT", 4 << 3 | 2),
    ]


def test_a02_reencodes_byte_identically():
    assert encode_sl651(decode_sl651(A02)) == A02


def test_a02_reading_and_describe():
    frame = decode_sl651(A02)
    reading = to_reading(frame)
    assert (reading.level_m, reading.battery_v) == (0.301, 10.91)
    described = frame.describe()
    assert (described["encoding"], described["serial"], described["station_type"]) == ("ascii", 25, "H")


def test_ascii_ack():
    """An ASCII uplink is acknowledged in ASCII with the same recipe."""
    ack = build_ack(decode_sl651(A02), t(2030, 1, 1, 0, 0), Sl651Options(ack_end=ESC))
    assert ack == recrc(
        b"\x01" + b"0012341234" + b"06" + b"04D2" + b"30" + b"8010" + b"\x020019170718111204\x1b0000"
    )
    frame = decode_sl651(ack)
    assert (frame.direction, frame.serial, frame.end, frame.payload) == ("down", 25, ESC, b"")


TT = t(2024, 1, 2, 3, 4)
SENT = t(2024, 1, 2, 3, 5, 6)


def _frame(elements: tuple[Element, ...], **changes) -> Sl651Frame:
    base = Sl651Frame(
        "ascii",
        "up",
        1,
        "00ABCDEF12",
        0xBEEF,
        0x32,
        STX,
        ETX,
        serial=0xFFFF,
        sent_at=SENT,
        station_type="G",
        observed_at=TT if elements else None,
        elements=elements,
    )
    return replace(base, **changes)


@pytest.mark.parametrize(
    "elements",
    [
        (),
        (Element("H", 12.34, 4 << 3 | 2, TT), Element("VT", None, None, TT)),
        (Element("Z", -1.5, 2 << 3 | 1, TT), Element("PJ", 0.5, 1 << 3 | 1, TT)),
        (Element("Q", (1.5, None, 2.25), 3 << 3 | 2, TT),),
        (Element("Q", ("1.5", None, "2.25"), None, TT),),
        (Element("PT", (), None, TT), Element("FF09", 20, 2 << 3, TT)),
        (Element("ZT", 0x481, 8 << 3, TT), Element("DRP", (0.5, None) + (0.0,) * 10, None, TT)),
        (Element("DRZ1", (27.3, None) * 6, None, TT), Element("DRxnn", 5, None, TT)),
        (Element("DRxnn", 60, None, TT), Element("DRxnn", 2880, None, TT), Element("DRxnn", 0, None, TT)),
        (Element("PJ", 1, 1 << 3, TT), Element("PJ", 2, 1 << 3, t(2024, 1, 2, 4, 0))),
        (Element("PJ", 0.5, 1 << 3 | 1, TT), Element("PT", "1" * 40, None, TT)),
    ],
)
def test_ascii_round_trip(elements):
    frame = _frame(elements)
    assert decode_sl651(encode_sl651(frame)) == frame


def test_ascii_number_formats():
    """Leading zeros, a missing integer part and negative values keep their text form."""
    elements = (
        Element("PJ", 0.5, 1 << 3 | 1, TT),
        Element("Z", -0.25, 4 << 3 | 2, TT),
        Element("H", None, None, TT),
    )
    assert b"PJ .5 Z -00.25 H M \x03" in encode_sl651(_frame(elements))


def test_ascii_manual_text_and_m3_continuation():
    manual = _frame(
        (),
        function=0x35,
        station_type=None,
        body_station=None,
        payload=b"Q 1.234",
        payload_guide=GUIDE_F2_MANUAL,
    )
    data = encode_sl651(manual)
    assert b"RGZS Q 1.234\x03" in data
    assert decode_sl651(data) == manual
    assert decode_sl651(data).values == {"manual": "Q 1.234"}
    later = Sl651Frame("ascii", "up", 1, "00ABCDEF12", 0, 0x36, SYN, ETX, 3, 3, payload=b"\xff\xd9")
    assert decode_sl651(encode_sl651(later)) == later


def test_ascii_config_bodies_stay_raw_text():
    frame = _frame(
        (), function=0x41, station_type=None, body_station=None, payload=b"ST 00ABCDEF12 01 00000000 "
    )
    assert decode_sl651(encode_sl651(frame)) == frame


def test_ascii_errors():
    with pytest.raises(ChecksumError, match="expected .*, found FDEF"):
        decode_sl651(A02[:-4] + b"FDEF")
    with pytest.raises(FramingError, match="not 4 hex characters"):
        decode_sl651(A02[:-4] + b"FDEG")
    with pytest.raises(FramingError, match="too short"):
        decode_sl651(A02[:20])
    with pytest.raises(FramingError, match="length field"):
        decode_sl651(recrc(A02[:-6] + A02[-5:]))
    with pytest.raises(FramingError, match="direction"):
        decode_sl651(recrc(A02.replace(b"30004D", b"30404D")))
    with pytest.raises(DecodeError, match="must end with a space"):
        decode_sl651(recrc(A02[:-6] + b"1" + A02[-5:]))
    with pytest.raises(DecodeError, match="not uppercase hex"):
        decode_sl651(recrc(A02.replace(b"0600123412", b"060012341x")))
    with pytest.raises(DecodeError, match="has no identifier"):
        decode_sl651(recrc(A02.replace(b"PJ 0.5", b"00 0.5")))
    with pytest.raises(DecodeError, match="invalid date"):
        decode_sl651(recrc(A02.replace(b"170718111204", b"171318111204")))


def test_ascii_encode_errors():
    for elements in (
        (Element("7611", 1, 8, TT),),
        (Element("Z", 1234.5, 2 << 3 | 1, TT),),
        (Element("A B", 1, 8, TT),),
        (Element("DRxnn", 100, None, TT),),
    ):
        with pytest.raises(EncodeError):
            encode_sl651(_frame(elements))
    with pytest.raises(EncodeError, match="10 uppercase hex"):
        encode_sl651(_frame((), station="00abcdef12"))
