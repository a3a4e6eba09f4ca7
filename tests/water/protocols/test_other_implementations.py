"""Frames as other implementations write them: tolerated separators, user-defined keys, years, M3, config.

Each frame is built byte for byte as the other encoder writes it (CRC computed over those bytes), so the
test shows the receiver takes the frame as it arrives, not a normalised copy of it.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from changji.cli import decode as cli_decode
from changji.water.protocols.bcd import CST
from changji.water.protocols.crc import crc8_e5, crc16_modbus
from changji.water.protocols.inspection import describe_frame
from changji.water.protocols.plausibility import implausible_time
from changji.water.protocols.sl651 import (
    Element,
    Sl651Frame,
    Sl651Options,
    decode_sl651,
    encode_sl651,
    extension_key,
    to_reading,
)
from changji.water.protocols.szy206 import Szy206Options

RECEIVED = datetime(2026, 11, 25, 10, 5, tzinfo=CST)
CHANGJI = str(Path(sys.executable).with_name("changji"))


def ascii_frame(body: str, function: str = "30", station: str = "0012341234", centre: str = "06") -> bytes:
    """An SL651 ASCII uplink around ``body`` exactly as given (SOH header, STX, ETX, CRC as 4 hex chars)."""
    head = "\x01" + centre + station + "04D2" + function + "0" + f"{len(body):03X}" + "\x02"
    raw = (head + body + "\x03").encode("ascii")
    return raw + f"{crc16_modbus(raw):04X}".encode()


def hex_frame(function: int, body: bytes, station: str = "6523230001", password: bytes = b"\x00\x00") -> bytes:
    """An SL651 HEX/BCD uplink around ``body`` (7E7E, centre 01, STX, ETX, CRC-16/MODBUS big-endian)."""
    head = b"\x7e\x7e\x01" + bytes.fromhex(station) + password + bytes([function])
    frame = head + len(body).to_bytes(2, "big") + b"\x02" + body + b"\x03"
    return frame + crc16_modbus(frame).to_bytes(2, "big")


# --- 1. Extra separators in ASCII frames ---------------------------------------------------------------------

#: The ASCII example of SL651-2014 6.4 (checked against real frames), as the standard writes it.
STANDARD_BODY = "0019170718111204ST 0012341234 H TT 1707181112 PJ 0.5 PT 0.5 Z 0.301 VT 10.91 "
VALUES = {"PJ": 0.5, "PT": 0.5, "Z": 0.301, "VT": 10.91}


def test_the_standard_example_is_byte_exact():
    frame = ascii_frame(STANDARD_BODY)
    assert frame[-4:] == b"FDEE"  # the CRC printed with the example: the test builds the same bytes
    assert decode_sl651(frame).values == VALUES


@pytest.mark.parametrize(
    "body",
    [
        # one public encoder writes a space between the send time and ST
        "0019170718111204 ST 0012341234 H TT 1707181112 PJ 0.5 PT 0.5 Z 0.301 VT 10.91 ",
        # doubled separators between groups and inside a group, two trailing spaces
        "0019170718111204ST  0012341234 H  TT 1707181112  PJ 0.5   PT  0.5 Z 0.301 VT 10.91  ",
        # both at once
        "0019170718111204   ST 0012341234  H TT  1707181112 PJ  0.5 PT 0.5  Z 0.301  VT 10.91 ",
    ],
)
def test_runs_of_spaces_between_ascii_groups_are_tolerated(body):
    frame = decode_sl651(ascii_frame(body))
    assert frame.values == VALUES
    assert (frame.station_type, frame.body_station) == ("H", None)
    assert frame.observed_at == datetime(2017, 7, 18, 11, 12, tzinfo=CST)
    out = describe_frame(ascii_frame(body), datetime(2017, 7, 18, 11, 13, tzinfo=CST))
    assert out["ok"] and out["reading"]["level_m"] == 0.301 and out["ack"]


def test_a_missing_final_space_is_still_an_error():
    out = describe_frame(ascii_frame(STANDARD_BODY.rstrip()), RECEIVED)
    assert out["ok"] is False and "end with a space" in out["error"]


# --- 2. A user-defined element is keyed by its identifier alone --------------------------------------------


def _well_report(*groups: bytes) -> bytes:
    body = (
        bytes.fromhex("0007") + bytes.fromhex("261125100000")
        + bytes.fromhex("F1F1") + bytes.fromhex("6523230001") + b"G"
        + bytes.fromhex("F0F0") + bytes.fromhex("2611251000")
        + b"".join(groups)
        + bytes.fromhex("3812") + bytes.fromhex("1290")
    )
    return hex_frame(0x32, body)


@pytest.mark.parametrize(
    ("group", "definer", "volume"),
    [
        ("FF01 1A 123456", "1A", 1234.56),  # 3 bytes, 2 decimals (one vendor)
        ("FF01 23 00123456", "23", 123.456),  # 4 bytes, 3 decimals (another)
        ("FF01 28 0000123456", "28", 123456),  # 5 bytes, no decimals
    ],
)
def test_volume_extension_finds_ff01_whatever_its_definer(group, definer, volume):
    frame = decode_sl651(_well_report(bytes.fromhex(group.replace(" ", ""))))
    assert frame.values["FF01"] == volume
    assert frame.values["definers"] == {"FF01": definer}  # the definer rides beside the value
    reading = to_reading(frame, Sl651Options(volume_extension="FF01"))
    assert reading is not None and reading.volume_m3 == volume
    assert reading.native["definers"] == {"FF01": definer}


def test_an_unnamed_guide_is_keyed_by_its_guide_byte():
    frame = decode_sl651(_well_report(bytes.fromhex("9A1A001234"), bytes.fromhex("FF0208 42")))
    assert frame.values["9A"] == 12.34 and frame.values["FF02"] == 42
    assert frame.values["definers"] == {"9A": "1A", "FF02": "08"}
    assert encode_sl651(frame) == _well_report(bytes.fromhex("9A1A001234"), bytes.fromhex("FF020842"))
    reading = to_reading(frame, Sl651Options(volume_extension="9A12", energy_extension="ff0208"))
    assert reading is not None and (reading.volume_m3, reading.energy_kwh) == (12.34, 42)


@pytest.mark.parametrize(
    ("option", "key"),
    [("FF01", "FF01"), ("ff01", "FF01"), ("FF0119", "FF01"), (" FF01 ", "FF01"), ("9A12", "9A"), ("9A", "9A"),
     ("Z", "Z"), ("SBL1", "SBL1")],
)
def test_extension_options_name_the_identifier_alone(option, key):
    assert extension_key(option) == key


def test_the_older_four_digit_key_still_encodes():
    tt = datetime(2026, 11, 25, 10, 0, tzinfo=CST)
    old = Sl651Frame("hex", "up", 1, "6523230001", 0, 0x32, 0x02, 0x03, serial=7,
                     sent_at=datetime(2026, 11, 25, 10, 0, tzinfo=CST), station_type="G", observed_at=tt,
                     elements=(Element("9A1A", 12.34, 0x1A, tt), Element("VT", 12.9, 0x12, tt)))
    assert decode_sl651(encode_sl651(old)).values["9A"] == 12.34


# --- comger/sl651's simulator writes TT as F0 28 (guide + definer) after the header's F0 F0 ----------------


def test_comger_simulator_frame_with_f0_28_time_group():
    """A 34H body as ``comger/sl651`` builds it (internal/sl651/protocol.go ``BuildMessage`` + ``BuildTimeTLV``).

    Header: centre 01, password A000; body: serial, send time, ``F1 F1`` address + type ``50`` (P), ``F0 F0``
    observation time, then the simulator's own ``F0 28`` time group and its element groups (``22 19``,
    ``39 23``, ``38 12`` with the lengths of its ``BuildTLV``).
    """
    body = (
        bytes.fromhex("1F40") + bytes.fromhex("261125100500")
        + bytes.fromhex("F1F1") + bytes.fromhex("0000000042") + b"\x50"
        + bytes.fromhex("F0F0") + bytes.fromhex("2611251005")
        + bytes.fromhex("F028") + bytes.fromhex("2611251005")
        + bytes.fromhex("2219") + bytes.fromhex("000012")
        + bytes.fromhex("3923") + bytes.fromhex("00015600")
        + bytes.fromhex("3812") + bytes.fromhex("1320")
    )
    raw = hex_frame(0x34, body, station="0000000042", password=bytes.fromhex("A000"))
    frame = decode_sl651(raw)
    assert frame.values == {"PN05": 1.2, "Z": 15.6, "VT": 13.2}
    assert frame.observed_at == datetime(2026, 11, 25, 10, 5, tzinfo=CST)
    assert describe_frame(raw, RECEIVED)["ok"]


# --- 3. Implausible two-digit years ------------------------------------------------------------------------


def _report_observed(tt: str, sent: str = "261125100000") -> bytes:
    body = (
        bytes.fromhex("0007") + bytes.fromhex(sent)
        + bytes.fromhex("F1F1") + bytes.fromhex("6523230001") + b"G"
        + bytes.fromhex("F0F0") + bytes.fromhex(tt)
        + bytes.fromhex("0E1A") + bytes.fromhex("001234")
    )
    return hex_frame(0x32, body)


def test_year_59_is_flagged_not_read_as_2059_silently():
    out = describe_frame(_report_observed("5911251000"), RECEIVED)
    assert out["ok"] is True  # it decodes: the values are there to look at
    assert out["observed_at"] == "2059-11-25T10:00:00+08:00"
    assert "two-digit year 59" in out["time_implausible"] and "more than a year after" in out["time_implausible"]
    assert out["reading"] is None  # but it is not a reading
    assert out["ack"] is not None  # archived and acknowledged, as the gateway does


def test_a_reset_clock_year_00_is_flagged_and_a_send_time_counts_too():
    out = describe_frame(_report_observed("0001010000"), RECEIVED)
    assert "before 2005" in out["time_implausible"] and out["reading"] is None
    out = describe_frame(_report_observed("2611251000", sent="591125100000"), RECEIVED)
    assert "send time" in out["time_implausible"]


def test_plausible_years_pass():
    out = describe_frame(_report_observed("2611251000"), RECEIVED)
    assert "time_implausible" not in out and out["reading"]["depth_m"] == 12.34
    # a clock a few months ahead is future-dated (the gateway's own flag), not an implausible year
    assert implausible_time(datetime(2027, 3, 1, tzinfo=CST), RECEIVED, "observation time") is None
    assert implausible_time(datetime(2027, 11, 27, tzinfo=CST), RECEIVED, "observation time") is not None
    assert implausible_time(datetime(2014, 6, 12, tzinfo=CST), RECEIVED, "observation time") is None


def test_szy206_seven_byte_time_label_with_year_59_is_flagged():
    def frame(year: str) -> bytes:
        user = bytes.fromhex(f"BD6523010001C034120000000000301225 11{year}00".replace(" ", ""))
        return bytes([0x68, len(user), 0x68]) + user + bytes([crc8_e5(user), 0x16])

    options = Szy206Options(time_label_length=7)
    good = describe_frame(frame("26"), datetime(2026, 11, 25, 12, 31, tzinfo=CST), szy206_options=options)
    assert good["ok"] and "time_implausible" not in good and good["reading"]["battery_v"] == 12.34
    bad = describe_frame(frame("59"), datetime(2026, 11, 25, 12, 31, tzinfo=CST), szy206_options=options)
    assert bad["ok"] and bad["reading"] is None and "2059" in bad["time_implausible"]


# --- 5. Configuration answers decode to named values -------------------------------------------------------

#: 41H read basic config and 43H read runtime parameters, Fujian samples (L12, L13 in sl651/test_sl651.py).
L12 = "7E7E0010000000060000410020020149221206124917F1F11000000006012000000000022810000000060310000003E0E3"
L13 = "7E7E001000000006000043001602014B221206130005F1F110000000062008012310030003B998"


def test_fujian_config_answers_decode_to_names():
    out = describe_frame(bytes.fromhex(L12), RECEIVED)
    assert out["values"]["config"] == {"centre_addresses": [], "station_address": "1000000006", "password": "0000"}
    out = describe_frame(bytes.fromhex(L13), RECEIVED)
    assert out["values"]["config"] == {"timed_report_interval_h": 1, "sampling_interval_s": 300}


def test_a_full_basic_configuration_answer():
    """41H with centres, an IPv4 main channel, an SMS backup, the work mode and the element bitmap."""
    body = (
        bytes.fromhex("0021") + bytes.fromhex("261125100000")
        + bytes.fromhex("F1F1") + bytes.fromhex("6523230001")
        + bytes.fromhex("0120") + bytes.fromhex("01020000")  # centres 1 and 2
        + bytes.fromhex("0228") + bytes.fromhex("6523230001")
        + bytes.fromhex("0310") + bytes.fromhex("1234")
        + bytes.fromhex("0450") + bytes.fromhex("02" "010002030004" "005005")  # IPv4 10.2.30.4:5005
        + bytes.fromhex("0538") + bytes.fromhex("01" "13912345678F")  # SMS 13912345678
        + bytes.fromhex("0C08") + bytes.fromhex("02")  # 自报确认
        + bytes.fromhex("0D40") + bytes.fromhex("8000000000000001")
    )
    out = describe_frame(hex_frame(0x41, body), RECEIVED)
    assert out["ok"], out
    assert out["values"]["config"] == {
        "centre_addresses": [1, 2],
        "station_address": "6523230001",
        "password": "1234",
        "centre_1_main_channel": {"type": "IPv4", "address": "10.2.30.4", "port": 5005},
        "centre_1_backup_channel": {"type": "SMS 短信", "address": "13912345678"},
        "work_mode": "self-report with confirmation 自报确认",
        "collected_element_bits": [0, 63],
    }


def test_runtime_parameters_with_units_and_a_modify_answer():
    body = (
        bytes.fromhex("0022") + bytes.fromhex("261125100000")
        + bytes.fromhex("F1F1") + bytes.fromhex("6523230001")
        + bytes.fromhex("2008") + bytes.fromhex("04")  # 4 h
        + bytes.fromhex("2108") + bytes.fromhex("30")  # 30 min
        + bytes.fromhex("2823") + bytes.fromhex("01234500")  # level base 1: 1234.500 m
        + bytes.fromhex("9923") + bytes.fromhex("00056789")  # meter 1 base reading 56.789 m³
    )
    config = describe_frame(hex_frame(0x42, body), RECEIVED)["values"]["config"]
    assert config == {"timed_report_interval_h": 4, "extra_report_interval_min": 30, "level_base_1_m": 1234.5,
                      "meter_1_base_reading_m3": 56.789}


# --- 4. An M3 picture given packet by packet to ``changji decode`` -----------------------------------------


def real_jpeg() -> bytes:
    """A real JPEG (Pillow's encoder): a 96 x 64 gradient, a few kilobytes."""
    from PIL import Image  # deferred: only this test needs Pillow

    image = Image.new("RGB", (96, 64))
    image.putdata([(x * 2, y * 3, (x + y) % 256) for y in range(64) for x in range(96)])
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def picture_packets(jpeg: bytes, total: int) -> list[str]:
    size = -(-len(jpeg) // total)
    chunks = [jpeg[i : i + size] for i in range(0, len(jpeg), size)]
    sent, tt = datetime(2026, 11, 25, 10, 0, 5, tzinfo=CST), datetime(2026, 11, 25, 10, 0, tzinfo=CST)
    frames = []
    for number, chunk in enumerate(chunks, start=1):
        first = number == 1
        frames.append(Sl651Frame(
            "hex", "up", 1, "6523230001", 0, 0x36, 0x16, 0x03 if number == len(chunks) else 0x17,
            len(chunks), number, serial=12 if first else None, sent_at=sent if first else None,
            station_type="G" if first else None, observed_at=tt if first else None, payload=chunk,
            payload_guide=0xF3 if first else None,
        ))
    return [encode_sl651(frame).hex().upper() for frame in frames]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CHANGJI, "decode", "--received-at", "2026-11-25T10:01:00+08:00", *args],
                          capture_output=True, text=True, timeout=120)


def test_cli_reassembles_a_picture_from_a_file_of_packets(tmp_path):
    jpeg = real_jpeg()
    packets = picture_packets(jpeg, 4)
    listing = tmp_path / "packets.txt"
    listing.write_text("# 36H picture, packets out of order\n" + "\n".join([packets[2], packets[0], packets[3],
                                                                              packets[1]]) + "\n")
    out = tmp_path / "picture.jpg"
    result = _run("--file", str(listing), "--picture-out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line.get("packet_seq") for line in lines[:4]] == [3, 1, 4, 2]
    message = lines[4]
    assert message["reassembled"] is True and message["function"] == "36" and message["packet_total"] == 4
    assert message["picture_bytes"] == len(jpeg)
    assert message["picture_sha256"] == hashlib.sha256(jpeg).hexdigest()
    assert message["picture_is_jpeg"] is True and message["observed_at"] == "2026-11-25T10:00:00+08:00"
    assert message["picture_out"] == str(out) and out.read_bytes() == jpeg
    ack = decode_sl651(bytes.fromhex(message["ack"]))
    assert (ack.direction, ack.function, ack.packet_seq, ack.packet_total) == ("down", 0x36, 4, 4)


def test_cli_reassembles_from_hex_arguments_and_reports_a_missing_packet(capsys):
    jpeg = real_jpeg()
    packets = picture_packets(jpeg, 3)
    assert cli_decode(["--received-at", "2026-11-25T10:01:00+08:00", *packets]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[-1]["picture_sha256"] == hashlib.sha256(jpeg).hexdigest() and len(lines) == 4
    assert cli_decode(["--received-at", "2026-11-25T10:01:00+08:00", packets[0], packets[2]]) == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[-1]["ok"] is False and lines[-1]["missing_packets"] == [2]


def test_cli_joins_a_report_sent_as_m3_packets(capsys):
    """A 32H report re-sent as three M3 packets (its body cut mid-element) gives the single packet's values."""
    single = _well_report(bytes.fromhex("FF011A123456"))
    body = single[14:-3]
    chunks = [body[:25], body[25:31], body[31:]]
    packets = []
    for seq, chunk in enumerate(chunks, 1):
        raw = (single[:11] + (3 + len(chunk)).to_bytes(2, "big") + b"\x16" + (3 << 12 | seq).to_bytes(3, "big")
               + chunk + (b"\x03" if seq == 3 else b"\x17"))
        packets.append((raw + crc16_modbus(raw).to_bytes(2, "big")).hex())
    assert cli_decode(["--received-at", "2026-11-25T10:01:00+08:00", *packets]) == 0
    message = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert message["reassembled"] is True and message["function"] == "32" and message["packet_total"] == 3
    assert message["values"] == {"FF01": 1234.56, "VT": 12.9, "definers": {"FF01": "1A"}}
    assert message["reading"]["battery_v"] == 12.9 and "picture_bytes" not in message
