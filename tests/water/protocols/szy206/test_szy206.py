"""SZY206-2016 / SL/T 427-2021 codec: golden vectors (the S frames), time labels, errors, frames, readings.

Constructed SL/T 427 / voltage / picture frames, reassembly and acknowledgements.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest

from changji.water.protocols.bcd import CST
from changji.water.protocols.crc import crc8_e5
from changji.water.protocols.errors import ChecksumError, DecodeError, EncodeError, FramingError
from changji.water.protocols.szy206 import (
    AFN_02_LINK_CHECK,
    AFN_11_SET_CLOCK,
    AFN_32_QUOTA_CONTROL_ON,
    AFN_33_QUOTA_CONTROL_OFF,
    AFN_34_SET_QUOTA,
    AFN_83_IMAGE_REPORT,
    AFN_92_START_PUMP,
    AFN_93_STOP_PUMP,
    AFN_B0_QUERY_REALTIME,
    AFN_C0_SELF_REPORT,
    TYPE_2_WATER_LEVEL,
    TYPE_3_FLOW,
    TYPE_8_ENERGY,
    Szy206Frame,
    Szy206Options,
    Szy206Reassembler,
    TimeLabel,
    address_parts,
    build_ack,
    decode_szy206,
    encode_confirm,
    encode_link_echo,
    encode_query_realtime,
    encode_quota_control,
    encode_self_report,
    encode_set_clock,
    encode_set_quota,
    encode_start_pump,
    encode_stop_pump,
    encode_szy206,
    to_reading,
)

S2 = "681A68B31237899876C000000000000800000000000000000057172800F116"
S3 = "681568B34406070001C0AAAAAAAAAA004040000000000101E516"
S5 = "680868335303810D00C0003E16"
S6 = "680868305303810D00C0003816"
S7 = "680868805303810D0002F25C16"
S8 = "680868005303810D0002F21A16"
NOW = datetime(2026, 6, 15, 12, 31, 0, tzinfo=CST)


def wrap(user_hex: str) -> bytes:
    """Build a whole frame around a user data area (C … Tp) given as hex: L, CS and start/end."""
    user = bytes.fromhex(user_hex.replace(" ", ""))
    return bytes([0x68, len(user), 0x68]) + user + bytes([crc8_e5(user), 0x16])


def crc8(data: bytes, poly: int) -> int:
    """Bitwise CRC-8, MSB first, init 0: an independent reference for the table-driven one."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ poly) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


# --- 1. golden vectors -------------------------------------------------------------------------


@pytest.mark.parametrize("vector", [S2, S3, S5, S6, S7, S8], ids=["S2", "S3", "S5", "S6", "S7", "S8"])
def test_vector_reencodes_byte_identical(vector: str) -> None:
    raw = bytes.fromhex(vector)
    assert encode_szy206(decode_szy206(raw)) == raw


def test_s2_flow_self_report() -> None:
    frame = decode_szy206(bytes.fromhex(S2))
    assert (frame.direction, frame.div, frame.fcb, frame.type_code) == ("up", False, 3, TYPE_3_FLOW)
    assert frame.control == 0xB3
    assert frame.address == "1237899876"
    assert frame.afn == AFN_C0_SELF_REPORT
    assert frame.values == {"flow": [0.0], "flow_unit": ["m3/s"], "flow_m3h": [0.0], "volume_m3": [8]}
    assert (frame.alarm_word, frame.status_word) == (0, 0)
    assert frame.time_label == TimeLabel(second=0, minute=57, hour=17, day=28, delay_minutes=0)
    assert frame.password is None
    assert bytes.fromhex(S2)[-2] == 0xF1 == crc8_e5(bytes.fromhex(S2)[3:-2])


@pytest.mark.parametrize(
    ("order", "alarm", "status", "status_bits"),
    [("little", 0x4000, 0x0040, [6]), ("big", 0x0040, 0x4000, [14])],
)
def test_s3_missing_value_and_word_order(order: str, alarm: int, status: int, status_bits: list[int]) -> None:
    frame = decode_szy206(bytes.fromhex(S3), Szy206Options(word_order=order))
    assert frame.address == "4406070001"
    assert frame.values == {"flow": [None], "flow_unit": [None], "flow_m3h": [None], "volume_m3": [None]}
    assert (frame.alarm_word, frame.status_word) == (alarm, status)
    assert frame.status_bits == status_bits
    assert frame.time_label == TimeLabel(0, 0, 0, 1, 1)


def _report_from_5303810d00() -> Szy206Frame:
    raw = wrap("B3 5303810D00 C0 0059000000 0800000000 0000 0000 0057172800")
    return decode_szy206(raw)


def test_s5_hm1212_confirm_is_built_and_decodes_as_downlink_confirm() -> None:
    assert build_ack(_report_from_5303810d00(), NOW) == bytes.fromhex(S5)
    confirm = decode_szy206(bytes.fromhex(S5))
    assert (confirm.direction, confirm.afn, confirm.data, confirm.time_label) == ("down", 0xC0, b"\x00", None)
    assert confirm.values == {"work_mode": 0}


def test_s6_blg_confirm() -> None:
    options = Szy206Options(ack_style="blg")
    assert build_ack(_report_from_5303810d00(), NOW, options) == bytes.fromhex(S6)
    assert decode_szy206(bytes.fromhex(S6)).control == 0x30


def test_sl427_confirm_carries_the_centre_clock() -> None:
    ack = build_ack(_report_from_5303810d00(), NOW, Szy206Options(ack_style="sl427"))
    assert ack is not None
    confirm = decode_szy206(ack)
    assert (confirm.control, confirm.data) == (0x30, b"\x00")
    assert confirm.time_label == TimeLabel(0, 31, 12, 15, 0, 6, 2026)


def test_s7_keepalive_and_s8_echo() -> None:
    s7 = decode_szy206(bytes.fromhex(S7))
    assert (s7.direction, s7.afn, s7.link, s7.control) == ("up", AFN_02_LINK_CHECK, "keepalive", 0x80)
    assert encode_link_echo(s7) == bytes.fromhex(S8)
    assert build_ack(s7, NOW) == bytes.fromhex(S8)
    s8 = decode_szy206(bytes.fromhex(S8))
    assert (s8.direction, s8.link) == ("down", "keepalive")
    assert build_ack(s8, NOW) is None


def test_crc8_check_values() -> None:
    assert crc8_e5(b"123456789") == 0xF7 == crc8(b"123456789", 0xE5)
    s3 = bytes.fromhex(S3)
    assert crc8_e5(s3[3:-2]) == 0xE5 == s3[-2]
    assert crc8(s3[3:-2], 0xE1) == 0x9B  # the wrong polynomial of some public code (docs/protocols.md §2.6)


# --- constructed SL/T 427 frames ---------------------------------------------------------------


def test_sl427_energy_frame_with_7_byte_time_label() -> None:
    raw = wrap("B8 6523010001 C0 67452301 0100 3000 00301215062605")
    frame = decode_szy206(raw)
    assert frame.type_code == TYPE_8_ENERGY
    assert frame.values == {"energy_kwh": [12345.67]}
    assert frame.time_label == TimeLabel(0, 30, 12, 15, 5, month=6, year=2026)
    assert frame.describe()["variant"] == "sl427"
    assert encode_szy206(frame) == raw
    reading = to_reading(frame, NOW)
    assert reading is not None
    assert reading.energy_kwh == 12345.67
    assert reading.observed_at == datetime(2026, 6, 15, 12, 30, tzinfo=CST)
    assert (reading.ac_power_lost, reading.pump_on, reading.door_open) == (True, False, False)
    assert reading.native["late"] is False
    built = encode_self_report(
        "6523010001",
        TYPE_8_ENERGY,
        {"energy_kwh": [12345.67]},
        frame.time_label,
        alarm_word=1,
        status_word=0x30,
    )
    assert built == raw


def test_voltage_class_d_self_report() -> None:
    frame = decode_szy206(wrap("BD 6523010001 C0 3412 0100 0000 0030121506"))
    assert frame.values == {"voltage_v": [12.34]}
    assert frame.alarm_bits == [0]
    reading = to_reading(frame, NOW)
    assert reading is not None
    assert (reading.battery_v, reading.ac_power_lost, reading.pump_on) == (12.34, True, True)


def test_voltage_class_d_with_7_byte_tp_needs_the_option() -> None:
    raw = wrap("BD 6523010001 C0 3412 0000 0000 00301215062600")
    assert decode_szy206(raw).time_label.length == 5  # 2-byte items fit both: falls back to 5
    frame = decode_szy206(raw, Szy206Options(time_label_length=7))
    assert frame.values == {"voltage_v": [12.34]}
    assert frame.time_label == TimeLabel(0, 30, 12, 15, 0, 6, 2026)


@pytest.mark.parametrize(
    ("user", "words", "year"),
    [
        ("BD 6523010001 84 3412 0030121506", (None, None), None),
        ("BD 6523010001 84 3412 00301215062600", (None, None), 2026),
        ("BD 6523010001 84 3412 0100 2000 0030121506", (1, 0x20), None),
        ("BD 6523010001 84 3412 0100 2000 00301215062600", (1, 0x20), 2026),
    ],
)
def test_voltage_report_84(user: str, words: tuple[int | None, int | None], year: int | None) -> None:
    raw = wrap(user)
    frame = decode_szy206(raw)
    assert frame.values == {"voltage_v": [12.34]}
    assert (frame.alarm_word, frame.status_word) == words
    assert frame.time_label is not None and frame.time_label.year == year
    assert encode_szy206(frame) == raw
    assert to_reading(frame, NOW).battery_v == 12.34  # type: ignore[union-attr]
    assert build_ack(frame, NOW) == wrap("3D 6523010001 84 00")


def test_user_defined_afn_is_two_bytes() -> None:
    raw = wrap("B0 6523010001 FF12 0102")
    frame = decode_szy206(raw)
    assert (frame.afn, frame.data, frame.function) == (0xFF12, b"\x01\x02", "FF12")
    assert frame.describe()["variant"] == "sl427"
    assert encode_szy206(frame) == raw


# --- class formats -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "values"),
    [
        ("B1 0000000001 C0 234501", {"rainfall_mm": [1452.3]}),
        ("B2 0000000001 C0 452301F0", {"level_m": [-12.345]}),
        ("B2 0000000001 C0 45230100", {"level_m": [12.345]}),
        ("B4 0000000001 C0 4023F1", {"velocity_ms": [-12.34]}),
        ("B5 0000000001 C0 563412", {"gate_m": [1234.56]}),
        ("B6 0000000001 C0 563412 AAAAAA", {"power_kw": [123456, None]}),
        ("B9 0000000001 C0 5501", {"water_temp_c": [15.5]}),
        ("BC 0000000001 C0 050000", {"evaporation_mm": [0.5]}),
        ("BF 0000000001 C0 56341200", {"pressure_kpa": [1234.56]}),
        ("BB 0000000001 C0 5502 5000", {"soil": [{"moisture_pct": 25.5, "depth_cm": 50}]}),
        (
            "B7 0000000001 C0 231001 3412A0 15F2",
            {"weather": [{"pressure_hpa": 11023, "wind_ms": 12.34, "wind_dir": None, "air_temp_c": -21.5}]},
        ),
        (
            "BA 0000000001 C0 0500000000 78563412 AAAAAAAA",
            {"water_quality": [{"parameters": [0, 2], "raw": [12345678, None]}]},
        ),
        ("BE 0000000001 C0 0102", {"raw": "0102"}),
    ],
)
def test_class_formats(user: str, values: dict[str, object]) -> None:
    raw = wrap(user + " 0000 0000 0000000100")
    frame = decode_szy206(raw)
    assert frame.values == values
    assert encode_szy206(frame) == raw
    assert encode_self_report(frame.address, frame.type_code, values, frame.time_label) == raw  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("byte5", "unit_bits", "flow", "unit", "m3h"),
    [
        ("00", True, 5.9, "m3/s", 21240.0),
        ("30", True, 5.9, "m3/h", 5.9),
        ("F0", True, -5.9, "m3/h", -5.9),
        ("C1", True, -100005.9, "m3/s", -100005.9 * 3600),
        ("F0", False, -5.9, "m3/s", -5.9 * 3600),
        ("00", False, 5.9, "m3/s", 21240.0),
    ],
)
def test_flow_sign_and_unit_bits(byte5: str, unit_bits: bool, flow: float, unit: str, m3h: float) -> None:
    raw = wrap(f"B3 0000000001 C0 00590000{byte5} 7856341200 0000 0000 0000000100")
    options = Szy206Options(flow_unit_bits=unit_bits)
    frame = decode_szy206(raw, options)
    assert frame.values == {"flow": [flow], "flow_unit": [unit], "flow_m3h": [m3h], "volume_m3": [12345678]}
    reading = to_reading(frame, NOW, options)
    assert reading is not None
    assert (reading.flow_m3h, reading.volume_m3) == (m3h, 12345678.0)


def test_volume_first_and_odd_item_count() -> None:
    raw = wrap("B3 0000000001 C0 0800000000 0059000000 0900000000 0000 0000 0000000100")
    frame = decode_szy206(raw, Szy206Options(flow_first=False))
    assert frame.values["volume_m3"] == [8, 9]
    assert frame.values["flow"] == [5.9, None]
    flow_first = decode_szy206(raw)
    assert flow_first.values["flow"] == [0.008, 0.009]
    assert flow_first.values["volume_m3"] == [5900, None]


def test_flow_unit_m3h_cannot_be_sent_without_unit_bits() -> None:
    with pytest.raises(EncodeError, match="unit"):
        encode_self_report(
            "0000000001",
            TYPE_3_FLOW,
            {"flow": [1.0], "flow_unit": ["m3/h"], "volume_m3": [1]},
            TimeLabel(0, 0, 0, 1, 0),
            options=Szy206Options(flow_unit_bits=False),
        )


# --- 2. time labels ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "received", "expected"),
    [
        (TimeLabel(0, 58, 23, 31, 0), datetime(2027, 1, 1, 0, 2, tzinfo=CST), datetime(2026, 12, 31, 23, 58)),
        (TimeLabel(0, 1, 0, 1, 0), datetime(2026, 12, 31, 23, 59, tzinfo=CST), datetime(2027, 1, 1, 0, 1)),
        (TimeLabel(0, 50, 23, 28, 0), datetime(2026, 3, 1, 0, 5, tzinfo=CST), datetime(2026, 2, 28, 23, 50)),
        (TimeLabel(0, 10, 0, 1, 0), datetime(2026, 4, 30, 23, 55, tzinfo=CST), datetime(2026, 5, 1, 0, 10)),
        (TimeLabel(0, 0, 23, 29, 0), datetime(2028, 3, 1, 0, 10, tzinfo=CST), datetime(2028, 2, 29, 23, 0)),
        (TimeLabel(0, 0, 23, 29, 0), datetime(2027, 3, 1, 0, 10, tzinfo=CST), datetime(2027, 3, 29, 23, 0)),
        (
            TimeLabel(0, 59, 23, 31, 0),
            datetime(2026, 12, 1, 0, 5, tzinfo=CST),
            datetime(2026, 12, 31, 23, 59),
        ),
        (TimeLabel(0, 59, 23, 31, 0), datetime(2026, 5, 1, 0, 5, tzinfo=CST), datetime(2026, 5, 31, 23, 59)),
        (
            TimeLabel(0, 58, 23, 31, 0),
            datetime(2026, 12, 31, 16, 2, tzinfo=UTC),
            datetime(2026, 12, 31, 23, 58),
        ),
        (TimeLabel(5, 4, 3, 2, 0, 1, 2030), datetime(2026, 6, 1, tzinfo=CST), datetime(2030, 1, 2, 3, 4, 5)),
    ],
)
def test_time_label_resolve(label: TimeLabel, received: datetime, expected: datetime) -> None:
    assert label.resolve(received) == expected.replace(tzinfo=CST)
    assert label.resolve(received).utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(
    "label",
    [
        TimeLabel(0, 0, 0, 0, 0),
        TimeLabel(0, 0, 25, 1, 0),
        TimeLabel(0, 60, 0, 1, 0),
        TimeLabel(60, 0, 0, 1, 0),
        TimeLabel(0, 0, 0, 32, 0),
        TimeLabel(0, 0, 0, 1, 0, 13, 2026),
        TimeLabel(0, 0, 0, 30, 0, 2, 2026),
    ],
)
def test_time_label_impossible_values(label: TimeLabel) -> None:
    with pytest.raises(DecodeError, match="time label"):
        label.resolve(NOW)


def test_time_label_is_late() -> None:
    label = TimeLabel(0, 0, 12, 15, 5)
    assert not label.is_late(datetime(2026, 6, 15, 12, 3, tzinfo=CST))
    assert label.is_late(datetime(2026, 6, 15, 12, 10, tzinfo=CST))
    assert label.is_late(datetime(2026, 6, 15, 11, 50, tzinfo=CST))  # terminal clock ahead
    assert not TimeLabel(0, 0, 12, 15, 0).is_late(datetime(2026, 6, 20, tzinfo=CST))


def test_time_label_wire_form() -> None:
    assert TimeLabel.from_bytes(bytes.fromhex("0045080905")) == TimeLabel(0, 45, 8, 9, 5)
    assert TimeLabel(0, 45, 8, 9, 10).to_bytes() == bytes.fromhex("004508090A")
    assert TimeLabel.from_datetime(NOW, 3, 7).to_bytes() == bytes.fromhex("00311215062603")
    with pytest.raises(EncodeError, match="year"):
        TimeLabel(0, 0, 0, 1, 0, 1, 1999).to_bytes()
    with pytest.raises(EncodeError, match="delay"):
        TimeLabel(0, 0, 0, 1, 256).to_bytes()


# --- 3. errors ---------------------------------------------------------------------------------


def test_flipped_byte_raises_checksum_error_with_expected_and_found() -> None:
    raw = bytearray.fromhex(S2)
    raw[15] ^= 0x01
    with pytest.raises(ChecksumError) as info:
        decode_szy206(bytes(raw))
    expected = crc8_e5(bytes(raw[3:-2]))
    assert (info.value.expected, info.value.found) == (expected, 0xF1)
    assert f"expected {expected:02X}, found F1" in info.value.message


def test_wrong_cs_byte_message() -> None:
    raw = bytes.fromhex(S2[:-4] + "F016")
    with pytest.raises(ChecksumError, match="szy206 CRC mismatch: expected F1, found F0"):
        decode_szy206(raw)


@pytest.mark.parametrize("cut", range(1, len(bytes.fromhex(S2))))
def test_truncated_frames_raise_framing_errors(cut: int) -> None:
    with pytest.raises(FramingError):
        decode_szy206(bytes.fromhex(S2)[:cut])


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "too short"),
        (bytes.fromhex("69" + S2[2:]), "start with 68 L 68"),
        (bytes.fromhex(S2[:4] + "69" + S2[6:]), "start with 68 L 68"),
        (bytes.fromhex(S2[:-2] + "17"), "end with 16"),
        (bytes.fromhex("681B" + S2[4:]), "L=27 means 32 bytes, the frame has 31"),
        (wrap("F3 01 0000000001"), "too short for C, A and AFN"),
        ("681A68", "must be bytes"),
    ],
)
def test_framing_errors(raw: bytes, message: str) -> None:
    with pytest.raises(FramingError, match=message):
        decode_szy206(raw)


@pytest.mark.parametrize(
    ("user", "message"),
    [
        ("B3 0000000001 C0 0059000000 0A00000000 0000 0000 0057172800", "invalid BCD digits"),
        ("B3 0000000001 C0 0059000000 0800000000 0000 0000 005A172800", "time label"),
        ("B2 0000000001 C0 34561250 0000 0000 0057172800", "sign nibble 5"),
        ("B3 0000000001 C0 0059000010 0800000000 0000 0000 0057172800", "sign 00/11"),
        ("B3 0000000001 C0 000000", "cannot hold the alarm and status words"),
        ("B1 0000000001 C0 23450123 0000 0000 0057172800", "not a multiple of 3"),
        ("F3 00 0000000001 83 FFD8", "DIVS is 0"),
        ("00 0000000001 92 01 000000", "not \\[PW\\] \\[Tp\\]"),
        ("00 0000000001 11 0102", "the data field alone is 6"),
        ("B9 0000000001 84 01 0057172800", "voltage report"),
    ],
)
def test_decode_errors(user: str, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        decode_szy206(wrap(user))


def test_decode_errors_name_the_frame_part() -> None:
    with pytest.raises(DecodeError, match=r"szy206 volume_m3: invalid BCD digits in 0A00000000"):
        decode_szy206(wrap("B3 0000000001 C0 0059000000 0A00000000 0000 0000 0057172800"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"address": "12345"}, "10 hex digits"),
        ({"address": "GG37899876"}, "10 hex digits"),
        ({"afn": 0xFF}, "AFN"),
        ({"fcb": 4}, "FCB"),
        ({"divs": 3}, "DIVS"),
        ({"direction": "sideways"}, "direction"),
        ({"password": 0x10000}, "password"),
        ({"data": bytes(300)}, "does not fit L"),
    ],
)
def test_encode_errors(changes: dict[str, object], message: str) -> None:
    frame = decode_szy206(bytes.fromhex(S2))
    fields = {name: getattr(frame, name) for name in frame.__dataclass_fields__}
    with pytest.raises(EncodeError, match=message):
        encode_szy206(Szy206Frame(**{**fields, **changes}))  # type: ignore[arg-type]


def test_options_are_validated() -> None:
    with pytest.raises(ValueError, match="word_order"):
        Szy206Options(word_order="middle")
    with pytest.raises(ValueError, match="time_label_length"):
        Szy206Options(time_label_length=6)


# --- downlinks and answers ---------------------------------------------------------------------


def test_start_and_stop_pump_round_trip() -> None:
    start = decode_szy206(encode_start_pump("6523010001", NOW, password=0x1234))
    assert (start.direction, start.afn, start.fcb, start.type_code) == ("down", AFN_92_START_PUMP, 3, 0)
    assert (start.values, start.password) == ({"pump": 1}, 0x1234)
    assert start.time_label == TimeLabel(0, 31, 12, 15, 0)
    raw = encode_stop_pump("6523010001", NOW, pump=2, time_label_length=7)
    misread = decode_szy206(raw)  # 7 AUX bytes of a password AFN read as PW + 5-byte Tp by default ...
    assert (misread.afn, misread.values, misread.password) == (AFN_93_STOP_PUMP, {"pump": 2}, 0x3100)
    stop = decode_szy206(raw, Szy206Options(time_label_length=7))  # ... unless the options say 7
    assert (stop.password, stop.time_label) == (None, TimeLabel(0, 31, 12, 15, 0, 6, 2026))


def test_quota_clock_and_query_downlinks() -> None:
    on = decode_szy206(encode_quota_control("6523010001", True, NOW, password=0x0001))
    off = decode_szy206(encode_quota_control("6523010001", False, NOW))
    assert (on.afn, on.values, on.password) == (AFN_32_QUOTA_CONTROL_ON, {"quota_control": True}, 1)
    assert (off.afn, off.values, off.password) == (AFN_33_QUOTA_CONTROL_OFF, {"quota_control": False}, None)
    quota = decode_szy206(encode_set_quota("6523010001", 123456, NOW))
    assert (quota.afn, quota.data, quota.values) == (
        AFN_34_SET_QUOTA,
        bytes.fromhex("5634120000"),
        {"quota_m3": 123456},
    )
    clock = decode_szy206(encode_set_clock("6523010001", datetime(2026, 6, 15, 4, 31, 7, tzinfo=UTC)))
    assert (clock.afn, clock.data) == (AFN_11_SET_CLOCK, bytes.fromhex("073112150626"))
    assert clock.values == {"clock": "2026-06-15T12:31:07+08:00"}
    query = decode_szy206(encode_query_realtime("6523010001", TYPE_2_WATER_LEVEL, NOW))
    assert (query.afn, query.type_code, query.data, query.control) == (AFN_B0_QUERY_REALTIME, 2, b"", 0x32)


def test_downlink_encoder_errors() -> None:
    with pytest.raises(EncodeError, match="pump number"):
        encode_start_pump("6523010001", NOW, pump=256)
    with pytest.raises(EncodeError, match="quota"):
        encode_set_quota("6523010001", -1, NOW)
    with pytest.raises(EncodeError, match="FCB"):
        encode_stop_pump("6523010001", NOW, fcb=4)
    with pytest.raises(EncodeError, match="not confirmed"):
        encode_confirm(decode_szy206(encode_start_pump("6523010001", NOW)), NOW)
    with pytest.raises(EncodeError, match="link echo"):
        encode_link_echo(decode_szy206(bytes.fromhex(S2)))


def test_terminal_answers_to_commands() -> None:
    answer = decode_szy206(wrap("80 6523010001 92 01"))
    assert (answer.direction, answer.afn, answer.values) == ("up", AFN_92_START_PUMP, {"result": "01"})
    assert build_ack(answer, NOW) is None and to_reading(answer, NOW) is None
    status = decode_szy206(wrap("8D 6523010001 5E 0100 3000 0030121506"))
    assert (status.alarm_word, status.status_word, status.alarm_bits) == (1, 0x30, [0])
    events = decode_szy206(wrap("80 6523010001 5D " + "0200" + "00" * 62))
    assert events.values["events"][:2] == [2, 0] and len(events.values["events"]) == 32


def test_describe_is_json_and_has_the_cli_fields() -> None:
    frame = decode_szy206(bytes.fromhex(S3))
    described = json.loads(json.dumps(frame.describe()))
    assert described == {
        "protocol": "szy206",
        "variant": "2016",
        "direction": "up",
        "function": "C0",
        "station": "4406070001",
        "control": "B3",
        "type_code": 3,
        "time_label": {"second": 0, "minute": 0, "hour": 0, "day": 1, "delay_minutes": 1},
        "values": {"flow": [None], "flow_unit": [None], "flow_m3h": [None], "volume_m3": [None]},
        "alarm_bits": [14],
        "status_bits": [6],
        "link": None,
    }
    assert frame.describe("be")["address_parts"] == {"region_code": "440607", "station_number": 1}


@pytest.mark.parametrize(("order", "number"), [("be", 1), ("le", 256), ("le_bcd", 100)])
def test_address_parts(order: str, number: int) -> None:
    assert address_parts("4406070001", order) == {"region_code": "440607", "station_number": number}


# --- 5. pictures and reassembly ----------------------------------------------------------------

JPEG = b"\xff\xd8\xff\xe0" + random.Random(7).randbytes(2600) + b"\xff\xd9"


def _picture_frames(jpeg: bytes = JPEG) -> list[Szy206Frame]:
    chunks = [jpeg[i : i + 1000] for i in range(0, len(jpeg), 1000)]
    frames = []
    for index, chunk in enumerate(chunks):
        divs = len(chunks) - index
        user = bytes([0xF0, divs]) + bytes.fromhex("6523010001") + bytes([AFN_83_IMAGE_REPORT]) + chunk
        raw = bytes([0x68, 0x01, 0x68]) + user + bytes([crc8_e5(user), 0x16])
        frames.append(decode_szy206(raw))
    return frames


def test_split_picture_frames_with_lying_length() -> None:
    frames = _picture_frames()
    assert [f.divs for f in frames] == [3, 2, 1]
    assert all(f.image == f.data and f.time_label is None for f in frames)
    raw = encode_szy206(frames[0])
    assert raw[1] == 0x01 and len(raw) == 1013
    assert decode_szy206(raw) == frames[0]
    ack = decode_szy206(build_ack(frames[1], NOW))  # type: ignore[arg-type]
    assert (ack.direction, ack.div, ack.divs, ack.afn, ack.control) == ("down", True, 2, 0x83, 0x70)
    assert frames[0].describe()["image_bytes"] == 1000


def test_reassembly_in_order() -> None:
    reassembler = Szy206Reassembler()
    f3, f2, f1 = _picture_frames()
    assert reassembler.feed(f3) is None and reassembler.feed(f2) is None
    message = reassembler.feed(f1)
    assert message is not None
    assert (message.frames, message.address, message.afn, message.first) == (3, "6523010001", 0x83, f3)
    assert message.picture == JPEG
    assert reassembler.pending == 0


def test_reassembly_out_of_order_and_duplicates() -> None:
    reassembler = Szy206Reassembler()
    f3, f2, f1 = _picture_frames()
    results = [reassembler.feed(f) for f in (f3, f3, f1, f1, f2)]
    assert results[:4] == [None] * 4
    assert results[4] is not None and results[4].picture == JPEG


def test_reassembly_restart_discards_the_partial_message() -> None:
    reassembler = Szy206Reassembler()
    old = _picture_frames(b"\xff\xd8" + b"old" * 900 + b"\xff\xd9")
    new = _picture_frames()
    assert reassembler.feed(old[1]) is None  # count 2 of an old message ...
    results = [reassembler.feed(f) for f in new]  # ... then 3 = restart
    assert results[-1] is not None and results[-1].picture == JPEG


def test_reassembly_limits_and_single_frames() -> None:
    reassembler = Szy206Reassembler(max_bytes=1500)
    f3, f2, _ = _picture_frames()
    reassembler.feed(f3)
    with pytest.raises(DecodeError, match="1500 bytes"):
        reassembler.feed(f2)
    assert reassembler.pending == 0
    with pytest.raises(DecodeError, match="limit of 2"):
        Szy206Reassembler(max_frames=2).feed(f3)
    single = Szy206Reassembler().feed(decode_szy206(bytes.fromhex(S2)))
    assert single is not None and single.frames == 1 and single.picture is None
    reassembler = Szy206Reassembler()
    reassembler.feed(f3)
    reassembler.discard("6523010001", 0x83)
    assert reassembler.pending == 0


# --- 6. readings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "pump_on", "door_open"),
    [(0x0000, True, True), (0x0010, False, True), (0x0020, True, False), (0x0030, False, False)],
)
def test_reading_status_word(status: int, pump_on: bool, door_open: bool) -> None:
    raw = wrap(f"B3 0000000001 C0 0059000000 0800000000 0000 {status:02X}00 0057172800")
    reading = to_reading(decode_szy206(raw), datetime(2026, 3, 1, 12, tzinfo=CST))
    assert reading is not None
    assert (reading.pump_on, reading.door_open, reading.ac_power_lost) == (pump_on, door_open, False)
    assert reading.observed_at == datetime(2026, 2, 28, 17, 57, tzinfo=CST)
    assert reading.native["status_bits"] == [b for b in range(16) if status >> b & 1]
    assert reading.protocol == "szy206" and reading.station == "0000000001"


def test_reading_level_and_non_reading_frames() -> None:
    reading = to_reading(decode_szy206(wrap("B2 0000000001 C0 452301F0 0000 0000 0057172800")), NOW)
    assert reading is not None and reading.level_m == -12.345
    assert to_reading(decode_szy206(bytes.fromhex(S7)), NOW) is None
    assert to_reading(decode_szy206(bytes.fromhex(S5)), NOW) is None
