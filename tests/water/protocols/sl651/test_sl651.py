"""SL651-2014 HEX/BCD codec: the documented vectors, acks, errors, commands, M3, readings."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime

import pytest

from changji.water.protocols.bcd import CST
from changji.water.protocols.crc import crc16_modbus
from changji.water.protocols.errors import ChecksumError, DecodeError, EncodeError, FramingError
from changji.water.protocols.sl651 import (
    Element,
    Sl651Frame,
    Sl651Options,
    Sl651Reassembler,
    build_ack,
    build_message_ack,
    decode_sl651,
    encode_nak,
    encode_pump_control,
    encode_query_elements,
    encode_query_period,
    encode_query_picture,
    encode_query_realtime,
    encode_quota_control,
    encode_set_clock,
    encode_sl651,
    join_message,
    to_reading,
)
from changji.water.protocols.sl651.codes import (
    EOT,
    ESC,
    ETB,
    ETX,
    FC_36_PICTURE,
    GUIDE_F2_MANUAL,
    GUIDE_F3_PICTURE,
    NAK,
    STX,
    SYN,
)
from tests.water.protocols.vectors import SL651_ASCII_A02

# SL651 HEX example frames (L01…), the stray trailing 7E of some sample files removed (docs/protocols.md §1.3).
VECTORS: dict[str, str] = {
    "L01": "7E7E0000000000010000490013020002221206161150F1F10000000001031004D2030573",
    "L02": (
        "7E7E100012345678123434003A020003140612020000F1F1001234567848F0F01406120200F55C0AAA0AAAFFFFFFFFFF"
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFF391A0027303812129003ADF7"
    ),
    "L03": (
        "7E7E1000123456781234320025020003140612020000F1F1001234567848F0F014061202002019000055071900021538"
        "121290033D9E"
    ),
    "L04": (
        "7E7E011000000006000031004E022F7E221205110019F1F1100000000648F0F022120510050418000005392300028960"
        "0002896000028960000289600002896000028960000289600002896000028960000289600002896000028960035B94"
    ),
    "L05": (
        "7E7E011000000006000032002B022F7C221202133716F1F1100000000648F0F022120213352019000000261900319639"
        "23000289603812131203367C"
    ),
    "L06": (
        "7E7E011000000006000033002B022F7A221202131027F1F1100000000648F0F022120213103923000289602019000000"
        "26190031963812131703DAF1"
    ),
    "L07": (
        "7E7E0110000000060000340068022F7B221202131525F1F1100000000648F0F02212021220F460000000000000000000"
        "000000F0F022120213152619003196F0F02212021220F55C0A2D0A2D0A2D0A2D0A2D0A2D0A2D0A2D0A2D0A2D0AEC0AEC"
        "F0F0221202131539230002896020190000003812131603329C"
    ),
    "L08": "7E7E0110000000060000350011022F7D221205102729F2F25120312E32333403BF56",
    "L09": (
        "7E7E001000000006000037002B02013D221206100758F1F1100000000648F0F022120610072019000000261900000039"
        "23FFFFFFFF3812114303C7CD"
    ),
    "L10": (
        "7E7E001000000006000038002A020146221206121045F1F1100000000648F0F022120612050418000000F460FFFFFFFF"
        "FFFFFFFFFFFFFFFF031457"
    ),
    "L11": ("7E7E00100000000600003A001C020148221206123328F1F1100000000648F0F0221206123326190000000395F2"),
    "L12": (
        "7E7E0010000000060000410020020149221206124917F1F11000000006012000000000022810000000060310000003E0E3"
    ),
    "L13": "7E7E001000000006000043001602014B221206130005F1F110000000062008012310030003B998",
    "L14": ("7E7E001000000006000045001D02014F221206131606F1F110000000060D56312E302E32303232303432300329D2"),
    "L15": "7E7E0010000000060000460015020150221206133007F1F11000000006452000000481031603",
    "L16": "7E7E0010000000060000400013020151221206134855F1F11000000006031004D2031B0F",
    "L17": "7E7E00100000000604D2420012020157221206140233F1F1100000000627081003E317",
    "L18": "7E7E00100000000604D247000F02015D221206155554F1F1100000000603AE40",
    "L19": "7E7E00100000000604D248000F020162221206160337F1F1100000000603A83B",
    "L20": "7E7E00100000000604D24A000F02015C221206143628F1F11000000006033D6B",
    "L21": "7E7E00100000000604D251000F020158221206141622F1F11000000006031D77",
    "L22": (
        "7E7E00100000000604D250004F020159221206142731F1F1100000000600000002000000000001000000000000000000"
        "00000000CC000000000000000C002C000000000000000000000000000000000000000000000000000000000000033734"
    ),
    "L48": "7E7E020012345678000A2F000802000C14120509435703FB2D",
    "L49": (
        "7E7E02001234567804D232002B020012141205110002F1F1001234567848F0F014120511002019000100261900010039"
        "230001442038121220039FE1"
    ),
    "L50": "7E7E00123456780204D23280080200121412051100021BBD6C",
    "L51": (
        "7E7E000000000022000032002B020001190305150035F1F1000000002248F0F0190305150022190000501A1900005020"
        "190000502619000050038A15"
    ),
    "L52": "7E7E000000002200000032800802000119030514160604FBE9",
    "L53": (
        "7E7E02001234567804D2330025020008141205105002F1F1001234567848F0F014120510502019000100261900010038"
        "1212200317B4"
    ),
    "L54": "7E7E00123456780204D23380080200081412051050021BA2EE",
    "L55": (
        "7E7E000000000022000033002B020001190305145031F1F1000000002248F0F0190305145022190000401A1900004020"
        "19000040261900004003E848"
    ),
    "L56": "7E7E000000002200000033800802000119030514060304EFE9",
    "L67": "7E7E01001234567812342F0008020003591011155111036BCA",
    "L68": "7E7E00987654321012342F0008027E0822101110074703C3AE",
    "L69": (
        "7E7E010012345678123430002B020003591011154947F1F1001234567848F0F059101115492019000005261900000539"
        "2300000127381211150320FA"
    ),
    "L70": "7E7E00123456780112343080080200035910111549471B75D4",
    "L71": (
        "7E7E05001122334403E832002B020034170718110016F1F1001122334448F0F017071811002019000040261900004039"
        "23000104903812109903A421"
    ),
    "L72": "7E7E00112233440503E83280080200341707181100161BE5D4",
    "P01": (
        "7E7E01100000000600003600F8160040012F7F221205161519F1F1100000000648F0F02212051615F3F3FFD8FFE00010"
        "4A46494600010101009000900000FFDB004300080606070605080707070909080A0C140D0C0B0B0C1912130F141D1A1F"
        "1E1D1A1C1C20242E2720222C231C1C2837292C30313434341F27393D38323C2E333432FFDB0043010909090C0B0C180D"
        "0D1832211C21323232323232323232323232323232323232323232323232323232323232323232323232323232323232"
        "3232323232323232FFC00011080015001903012200021101031101FFC4001F0000010501010101010100000000000000"
        "000102030405060708090A0BFFC400B510000201030317DA10"
    ),
}


def vector(name: str) -> bytes:
    return bytes.fromhex(VECTORS[name])


def t(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=CST)


def recrc(frame: bytes) -> bytes:
    """Return ``frame`` with its CRC recomputed (to reach the checks behind the CRC)."""
    return frame[:-2] + crc16_modbus(frame[:-2]).to_bytes(2, "big")


FJ = "1000000006"
H12 = [None] * 10
EVENTS = {f"ERC{i}": 0 for i in range(1, 33)} | {"ERC2": 2, "ERC5": 1, "ERC12": 204, "ERC16": 12, "ERC17": 44}

# id: function, direction, centre, station, password, serial, sent_at, station type, TT, values
# fmt: off
GOLDEN: dict[str, tuple] = {
    "L01": (0x49, "up", 0x00, "0000000001", 0x0000, 2, t(2022, 12, 6, 16, 11, 50), None, None,
            {"03": "04D2", "password": "04D2"}),
    "L02": (0x34, "up", 0x10, "0012345678", 0x1234, 3, t(2014, 6, 12, 2, 0), "H", t(2014, 6, 12, 2, 0),
            {"DRZ1": (27.3, 27.3, *H12), "Z": 27.3, "VT": 12.9}),
    "L03": (0x32, "up", 0x10, "0012345678", 0x1234, 3, t(2014, 6, 12, 2, 0), "H", t(2014, 6, 12, 2, 0),
            {"PJ": 5.5, "EJ": 21.5, "VT": 12.9}),
    "L04": (0x31, "up", 0x01, FJ, 0x0000, 12158, t(2022, 12, 5, 11, 0, 19), "H", t(2022, 12, 5, 10, 5),
            {"DRxnn": 5, "Z": (28.96,) * 12}),
    "L05": (0x32, "up", 0x01, FJ, 0x0000, 12156, t(2022, 12, 2, 13, 37, 16), "H", t(2022, 12, 2, 13, 35),
            {"PJ": 0.0, "PT": 319.6, "Z": 28.96, "VT": 13.12}),
    "L06": (0x33, "up", 0x01, FJ, 0x0000, 12154, t(2022, 12, 2, 13, 10, 27), "H", t(2022, 12, 2, 13, 10),
            {"Z": 28.96, "PJ": 0.0, "PT": 319.6, "VT": 13.17}),
    "L07": (0x34, "up", 0x01, FJ, 0x0000, 12155, t(2022, 12, 2, 13, 15, 25), "H", t(2022, 12, 2, 12, 20),
            {"DRP": (0.0,) * 12, "PT": 319.6, "DRZ1": (26.05,) * 10 + (27.96, 27.96), "Z": 28.96,
             "PJ": 0.0, "VT": 13.16}),
    "L08": (0x35, "up", 0x01, FJ, 0x0000, 12157, t(2022, 12, 5, 10, 27, 29), None, None,
            {"manual": "Q 1.234"}),
    "L09": (0x37, "up", 0x00, FJ, 0x0000, 317, t(2022, 12, 6, 10, 7, 58), "H", t(2022, 12, 6, 10, 7),
            {"PJ": 0.0, "PT": 0.0, "Z": None, "VT": 11.43}),
    "L10": (0x38, "up", 0x00, FJ, 0x0000, 326, t(2022, 12, 6, 12, 10, 45), "H", t(2022, 12, 6, 12, 5),
            {"DRxnn": 0, "DRP": (None,) * 12}),
    "L11": (0x3A, "up", 0x00, FJ, 0x0000, 328, t(2022, 12, 6, 12, 33, 28), "H", t(2022, 12, 6, 12, 33),
            {"PT": 0.0}),
    "L12": (0x41, "up", 0x00, FJ, 0x0000, 329, t(2022, 12, 6, 12, 49, 17), None, None,
            {"01": "00000000", "02": "1000000006", "03": "0000",
             "config": {"centre_addresses": [], "station_address": "1000000006", "password": "0000"}}),
    "L13": (0x43, "up", 0x00, FJ, 0x0000, 331, t(2022, 12, 6, 13, 0, 5), None, None,
            {"20": 1, "23": 300, "config": {"timed_report_interval_h": 1, "sampling_interval_s": 300}}),
    "L14": (0x45, "up", 0x00, FJ, 0x0000, 335, t(2022, 12, 6, 13, 16, 6), None, None,
            {"version": "V1.0.20220420"}),
    "L15": (0x46, "up", 0x00, FJ, 0x0000, 336, t(2022, 12, 6, 13, 30, 7), None, None, {"ZT": 0x481}),
    "L16": (0x40, "up", 0x00, FJ, 0x0000, 337, t(2022, 12, 6, 13, 48, 55), None, None,
            {"03": "04D2", "password": "04D2", "config": {"password": "04D2"}}),
    "L17": (0x42, "up", 0x00, FJ, 0x04D2, 343, t(2022, 12, 6, 14, 2, 33), None, None,
            {"27": 10, "config": {"rain_extra_report_threshold_mm": 10}}),
    "L18": (0x47, "up", 0x00, FJ, 0x04D2, 349, t(2022, 12, 6, 15, 55, 54), None, None,
            {"config": {"storage_initialised": True}}),
    "L19": (0x48, "up", 0x00, FJ, 0x04D2, 354, t(2022, 12, 6, 16, 3, 37), None, None,
            {"config": {"factory_reset": True}}),
    "L20": (0x4A, "up", 0x00, FJ, 0x04D2, 348, t(2022, 12, 6, 14, 36, 28), None, None,
            {"clock": "2022-12-06T14:36:28+08:00"}),
    "L21": (0x51, "up", 0x00, FJ, 0x04D2, 344, t(2022, 12, 6, 14, 16, 22), None, None,
            {"clock": "2022-12-06T14:16:22+08:00"}),
    "L22": (0x50, "up", 0x00, FJ, 0x04D2, 345, t(2022, 12, 6, 14, 27, 31), None, None, {"events": EVENTS}),
    "L48": (0x2F, "up", 0x02, "0012345678", 0x000A, 12, t(2014, 12, 5, 9, 43, 57), None, None, {}),
    "L49": (0x32, "up", 0x02, "0012345678", 0x04D2, 18, t(2014, 12, 5, 11, 0, 2), "H",
            t(2014, 12, 5, 11, 0), {"PJ": 10.0, "PT": 10.0, "Z": 14.42, "VT": 12.2}),
    "L50": (0x32, "down", 0x02, "0012345678", 0x04D2, 18, t(2014, 12, 5, 11, 0, 2), None, None, {}),
    "L51": (0x32, "up", 0x00, "0000000022", 0x0000, 1, t(2019, 3, 5, 15, 0, 35), "H",
            t(2019, 3, 5, 15, 0), {"PN05": 5.0, "P1": 5.0, "PJ": 5.0, "PT": 5.0}),
    "L52": (0x32, "down", 0x00, "0000000022", 0x0000, 1, t(2019, 3, 5, 14, 16, 6), None, None, {}),
    "L53": (0x33, "up", 0x02, "0012345678", 0x04D2, 8, t(2014, 12, 5, 10, 50, 2), "H",
            t(2014, 12, 5, 10, 50), {"PJ": 10.0, "PT": 10.0, "VT": 12.2}),
    "L54": (0x33, "down", 0x02, "0012345678", 0x04D2, 8, t(2014, 12, 5, 10, 50, 2), None, None, {}),
    "L55": (0x33, "up", 0x00, "0000000022", 0x0000, 1, t(2019, 3, 5, 14, 50, 31), "H",
            t(2019, 3, 5, 14, 50), {"PN05": 4.0, "P1": 4.0, "PJ": 4.0, "PT": 4.0}),
    "L56": (0x33, "down", 0x00, "0000000022", 0x0000, 1, t(2019, 3, 5, 14, 6, 3), None, None, {}),
    "L67": (0x2F, "up", 0x01, "0012345678", 0x1234, 3, t(2059, 10, 11, 15, 51, 11), None, None, {}),
    "L68": (0x2F, "up", 0x00, "9876543210", 0x1234, 32264, t(2022, 10, 11, 10, 7, 47), None, None, {}),
    "L69": (0x30, "up", 0x01, "0012345678", 0x1234, 3, t(2059, 10, 11, 15, 49, 47), "H",
            t(2059, 10, 11, 15, 49), {"PJ": 0.5, "PT": 0.5, "Z": 0.127, "VT": 11.15}),
    "L70": (0x30, "down", 0x01, "0012345678", 0x1234, 3, t(2059, 10, 11, 15, 49, 47), None, None, {}),
    "L71": (0x32, "up", 0x05, "0011223344", 0x03E8, 52, t(2017, 7, 18, 11, 0, 16), "H",
            t(2017, 7, 18, 11, 0), {"PJ": 4.0, "PT": 4.0, "Z": 10.49, "VT": 10.99}),
    "L72": (0x32, "down", 0x05, "0011223344", 0x03E8, 52, t(2017, 7, 18, 11, 0, 16), None, None, {}),
    "P01": (0x36, "up", 0x01, FJ, 0x0000, 0x2F7F, t(2022, 12, 5, 16, 15, 19), "H", t(2022, 12, 5, 16, 15),
            {}),
}
# fmt: on


ENDS = {"L50": ESC, "L52": EOT, "L54": ESC, "L56": EOT, "L70": ESC, "L72": ESC, "P01": ETB}


def test_every_vector_has_a_golden_entry():
    """The golden table covers L01–L22, L48–L56, L67–L72 and P01."""
    assert set(GOLDEN) == set(VECTORS)
    assert len(VECTORS) == 38


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_vector_decodes_to_documented_values(name):
    """Each vector decodes to the header fields and values recorded with it in ``GOLDEN``."""
    function, direction, centre, station, password, serial, sent_at, station_type, observed_at, values = (
        GOLDEN[name]
    )
    frame = decode_sl651(vector(name))
    assert frame.encoding == "hex"
    assert (frame.function, frame.direction, frame.centre, frame.station, frame.password) == (
        function,
        direction,
        centre,
        station,
        password,
    )
    assert frame.serial == serial
    assert frame.sent_at == sent_at
    assert frame.station_type == station_type
    assert frame.observed_at == observed_at
    assert frame.values == values
    assert frame.end == ENDS.get(name, ETX)
    assert frame.start == (SYN if name == "P01" else STX)


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_vector_reencodes_byte_identically(name):
    """encode_sl651(decode_sl651(x)) == x for every documented frame."""
    assert encode_sl651(decode_sl651(vector(name))) == vector(name)


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_describe_is_json_serialisable(name):
    """describe() gives the CLI fields as plain JSON data."""
    described = decode_sl651(vector(name)).describe()
    json.dumps(described)
    assert described["protocol"] == "sl651"
    assert described["function"] == f"{GOLDEN[name][0]:02X}"
    assert described["station"] == GOLDEN[name][3]
    assert {
        "encoding",
        "direction",
        "serial",
        "sent_at",
        "observed_at",
        "station_type",
        "values",
        "status_bits",
    } <= set(described)


def test_describe_renders_series_as_lists_and_times_in_cst():
    described = decode_sl651(vector("L02")).describe()
    assert described["values"]["DRZ1"] == [27.3, 27.3, *H12]
    assert described["sent_at"] == "2014-06-12T02:00:00+08:00"
    assert described["status_bits"] is None
    assert "packet_total" not in described


def test_l02_fujian_f5_5c_keeps_its_definer():
    """Fujian's F5 5C (instead of F5 C0) still reads 24 bytes and re-encodes as 5C."""
    (drz, z, vt) = decode_sl651(vector("L02")).elements
    assert (drz.key, drz.definer) == ("DRZ1", 0x5C)
    assert (z.key, z.definer, vt.definer) == ("Z", 0x1A, 0x12)


def test_l07_tt_groups_apply_to_following_elements():
    """A mid-body F0F0 group sets the TT of the elements after it (34H)."""
    frame = decode_sl651(vector("L07"))
    early, late = t(2022, 12, 2, 12, 20), t(2022, 12, 2, 13, 15)
    assert [(el.key, el.observed_at) for el in frame.elements] == [
        ("DRP", early),
        ("PT", late),
        ("DRZ1", early),
        ("Z", late),
        ("PJ", late),
        ("VT", late),
    ]


def test_l04_equal_interval_series():
    """31H: TT, 04 18 step, one identifier, then 12 values of its size."""
    step, series = decode_sl651(vector("L04")).elements
    assert (step.key, step.value, step.definer) == ("DRxnn", 5, 0x18)
    assert (series.key, series.definer, len(series.value)) == ("Z", 0x23, 12)


def test_l08_manual_text_after_f2f2():
    frame = decode_sl651(vector("L08"))
    assert frame.payload == b"Q 1.234"
    assert frame.payload_guide == GUIDE_F2_MANUAL
    assert frame.body_station is None


def test_l15_status_word_bits():
    """45H word 00000481 sets bits 0 (AC cut), 7 (door closed) and 10 (pump stopped)."""
    frame = decode_sl651(vector("L15"))
    assert frame.status_bits == [0, 7, 10]
    assert frame.describe()["status_bits"] == [0, 7, 10]


def test_l14_version_payload():
    frame = decode_sl651(vector("L14"))
    assert frame.payload == b"V1.0.20220420"
    assert frame.station_type is None
    assert frame.body_station is None  # the ST group repeats the header address


def test_p01_first_picture_packet():
    """P01: SYN, packet 1 of 4, ETB, JPEG after F3F3."""
    frame = decode_sl651(vector("P01"))
    assert (frame.start, frame.packet_total, frame.packet_seq, frame.end) == (SYN, 4, 1, ETB)
    assert frame.payload_guide == GUIDE_F3_PICTURE
    assert frame.payload.startswith(bytes.fromhex("FFD8FFE0"))
    assert len(frame.payload) == 245 - 25
    described = frame.describe()
    assert (described["packet_total"], described["packet_seq"]) == (4, 1)


def test_decode_accepts_bytearray_and_memoryview():
    data = vector("L49")
    assert decode_sl651(bytearray(data)) == decode_sl651(memoryview(data)) == decode_sl651(data)


# --- Acknowledgements -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uplink", "ack", "options", "now"),
    [
        ("L49", "L50", Sl651Options(ack_end=ESC), t(2030, 1, 1, 0, 0)),
        ("L51", "L52", Sl651Options(ack_end=EOT, ack_time="centre"), t(2019, 3, 5, 14, 16, 6)),
        ("L53", "L54", Sl651Options(ack_end=ESC), t(2030, 1, 1, 0, 0)),
        ("L55", "L56", Sl651Options(ack_end=EOT, ack_time="centre"), t(2019, 3, 5, 14, 6, 3)),
        ("L69", "L70", Sl651Options(ack_end=ESC), t(2030, 1, 1, 0, 0)),
        ("L71", "L72", Sl651Options(ack_end=ESC, ack_time="echo"), t(2030, 1, 1, 0, 0)),
    ],
)
def test_build_ack_reproduces_real_acks(uplink, ack, options, now):
    """The ack recipe of §1.10 reproduces the captured centre acks byte for byte."""
    assert build_ack(decode_sl651(vector(uplink)), now, options) == vector(ack)


@pytest.mark.parametrize("name", ["L48", "L67", "L09", "L12", "L15", "L50"])
def test_no_ack_for_keepalives_responses_and_downlinks(name):
    assert build_ack(decode_sl651(vector(name)), t(2030, 1, 1, 0, 0)) is None


def test_m3_ack_from_the_first_packet():
    """Packet 1 of a complete M3 message gets the SYN ack with counter total/total."""
    ack = decode_sl651(build_ack(decode_sl651(vector("P01")), t(2030, 1, 1, 0, 0)))
    assert (ack.start, ack.packet_total, ack.packet_seq, ack.end) == (SYN, 4, 4, EOT)
    assert (ack.direction, ack.function, ack.serial, ack.sent_at) == (
        "down",
        0x36,
        0x2F7F,
        t(2022, 12, 5, 16, 15, 19),
    )


def test_ack_default_is_eot_with_echoed_time():
    ack = decode_sl651(build_ack(decode_sl651(vector("L49")), t(2030, 1, 1, 0, 0)))
    assert (ack.end, ack.sent_at, ack.serial, ack.direction) == (EOT, t(2014, 12, 5, 11, 0, 2), 18, "down")


def test_ack_rejects_bad_options():
    frame = decode_sl651(vector("L49"))
    with pytest.raises(EncodeError, match="ack_end"):
        build_ack(frame, t(2030, 1, 1, 0, 0), Sl651Options(ack_end=0x03))
    with pytest.raises(EncodeError, match="ack_time"):
        build_ack(frame, t(2030, 1, 1, 0, 0), Sl651Options(ack_time="later"))


# --- Errors -------------------------------------------------------------------------------------------


def test_flipped_byte_reports_expected_and_found_crc():
    data = bytearray(vector("L49"))
    data[30] ^= 0x01
    with pytest.raises(ChecksumError) as caught:
        decode_sl651(bytes(data))
    error = caught.value
    assert error.found == 0x9FE1
    assert error.expected == crc16_modbus(bytes(data[:-2]))
    assert f"expected {error.expected:04X}, found 9FE1" in str(error)


def test_truncated_frame_is_a_framing_error():
    data = vector("L49")
    with pytest.raises(FramingError):
        decode_sl651(data[:-5])
    with pytest.raises(FramingError, match="length field says 43"):
        decode_sl651(recrc(data[:-5] + data[-2:]))
    with pytest.raises(FramingError, match="too short"):
        decode_sl651(data[:12])


def test_length_field_mismatch():
    data = bytearray(vector("L49"))
    data[12] = 0x2C
    with pytest.raises(FramingError, match=r"length field says 44 \(frame of 61 bytes\), got 60"):
        decode_sl651(recrc(bytes(data)))


def test_wrong_end_character():
    data = bytearray(vector("L49"))
    data[-3] = EOT  # a downlink end in an uplink
    with pytest.raises(FramingError, match="end character 04 is not valid for an uplink"):
        decode_sl651(recrc(bytes(data)))


def test_bad_direction_nibble_and_start_character():
    data = bytearray(vector("L49"))
    data[11] = 0x40
    with pytest.raises(FramingError, match="direction nibble 4"):
        decode_sl651(recrc(bytes(data)))
    data = bytearray(vector("L49"))
    data[13] = 0x03
    with pytest.raises(FramingError, match="neither STX"):
        decode_sl651(recrc(bytes(data)))


def test_bad_bcd_in_element_and_time():
    data = bytearray(vector("L49"))
    data[-8] = 0x1A  # inside VT 38 12 1220
    with pytest.raises(DecodeError, match="invalid BCD element data"):
        decode_sl651(recrc(bytes(data)))
    data = bytearray(vector("L49"))
    data[17] = 0x1D  # month of the send time
    with pytest.raises(DecodeError, match="invalid BCD"):
        decode_sl651(recrc(bytes(data)))
    data = bytearray(vector("L49"))
    data[17] = 0x13  # month 13
    with pytest.raises(DecodeError, match="invalid date/time"):
        decode_sl651(recrc(bytes(data)))


def test_not_an_sl651_frame():
    with pytest.raises(FramingError, match="must start with 7E7E or SOH"):
        decode_sl651(b"\x68\x1a\x68")
    with pytest.raises(FramingError):
        decode_sl651(b"")


def test_truncated_element_inside_a_valid_frame():
    """An element running past the body end is a DecodeError, not an IndexError."""
    data = vector("L49")
    body_cut = data[:14] + data[14:-5] + data[-3:-2]  # drop 2 bytes of VT
    data = body_cut[:11] + (len(data[14:-5]) & 0xFFF).to_bytes(2, "big") + body_cut[13:] + b"\0\0"
    with pytest.raises(DecodeError, match="truncated element"):
        decode_sl651(recrc(data))


def test_encode_rejects_bad_fields():
    frame = decode_sl651(vector("L49"))
    for change in (
        {"station": "00123"},
        {"password": 0x10000},
        {"end": ENQ_},
        {"serial": None},
        {"encoding": "binary"},
        {"body_station": ""},  # a station type without an ST group
    ):
        with pytest.raises(EncodeError):
            encode_sl651(_replace(frame, **change))


ENQ_ = 0x05


def _replace(frame: Sl651Frame, **changes) -> Sl651Frame:
    from dataclasses import replace

    return replace(frame, **changes)


# --- Commands (centre -> station) -----------------------------------------------------------------------

SENT = t(2024, 5, 6, 7, 8, 9)


def _down(data: bytes, function: int) -> Sl651Frame:
    frame = decode_sl651(data)
    assert (frame.direction, frame.function, frame.station, frame.centre, frame.password) == (
        "down",
        function,
        "0012345678",
        0x02,
        0x04D2,
    )
    assert (frame.serial, frame.sent_at) == (0, SENT)
    assert encode_sl651(frame) == data
    return frame


def test_query_realtime_and_picture():
    frame = _down(encode_query_realtime("0012345678", 2, 0x04D2, SENT), 0x37)
    assert (frame.start, frame.end, frame.payload) == (STX, ENQ_, b"")
    assert _down(encode_query_picture("0012345678", 2, 0x04D2, SENT), 0x36).end == ENQ_


def test_query_period():
    data = encode_query_period(
        "0012345678", 2, 0x04D2, SENT, t(2024, 5, 1, 8, 0), t(2024, 5, 2, 8, 0), 60, b"\x39\x23"
    )
    assert decode_sl651(data).values == {
        "start": "2024-05-01T08:00:00+08:00",
        "end": "2024-05-02T08:00:00+08:00",
        "step_minutes": 60,
        "identifier": "3923",
    }
    _down(data, 0x38)


def test_query_elements():
    data = encode_query_elements("0012345678", 2, 0x04D2, SENT, [b"\x39\x23", b"\xff\x09\x08", b"\x38\x12"])
    assert _down(data, 0x3A).values == {"identifiers": ["3923", "FF0908", "3812"]}
    with pytest.raises(EncodeError):
        encode_query_elements("0012345678", 2, 0x04D2, SENT, [b"\x39"])


def test_set_clock():
    assert _down(encode_set_clock("0012345678", 2, 0x04D2, SENT), 0x4A).values == {
        "clock": "2024-05-06T07:08:09+08:00"
    }


def test_pump_control_bitmap():
    frame = _down(encode_pump_control("0012345678", 2, 0x04D2, SENT, [True, False, True]), 0x4C)
    assert frame.payload == b"\x01\x05"
    assert frame.values["pumps"] == [True, False, True, False, False, False, False, False]
    nine = _down(encode_pump_control("0012345678", 2, 0x04D2, SENT, [False] * 8 + [True]), 0x4C)
    assert nine.payload == b"\x02\x00\x01"


def test_quota_control():
    assert _down(encode_quota_control("0012345678", 2, 0x04D2, SENT, True), 0x4F).values == {
        "quota_control": True
    }
    assert _down(encode_quota_control("0012345678", 2, 0x04D2, SENT, False), 0x4F).payload == b"\x00"


def test_nak_round_trip():
    data = encode_nak("0012345678", 2, 0x04D2, 0x36, SENT, 4, 2, 0)
    frame = _down(data, 0x36)
    assert (frame.start, frame.end, frame.packet_total, frame.packet_seq) == (SYN, NAK, 4, 2)


def _station_response(function: int, payload: bytes) -> Sl651Frame:
    frame = Sl651Frame(
        "hex",
        "up",
        2,
        "0012345678",
        0x04D2,
        function,
        STX,
        ETX,
        serial=7,
        sent_at=SENT,
        payload=payload,
    )
    decoded = decode_sl651(encode_sl651(frame))
    assert decoded == frame
    return decoded


def test_uplink_pump_and_quota_state():
    assert _station_response(0x4C, b"\x01\x03").values["pumps"][:3] == [True, True, False]
    assert _station_response(0x4F, b"\xff").values == {"quota_control": True}
    assert _station_response(0x4E, b"\x02\x01\x01\x50\x00\x00").values == {
        "gates": [True, False],
        "gate_openings_cm": [150, 0],
    }


def test_st_group_defaults_to_the_header_address():
    """body_station None writes the usual ST group; "" omits it; another address is kept."""
    assert b"\xf1\xf1\x00\x12\x34\x56\x78" in encode_sl651(_station_response(0x4A, b""))
    bare = Sl651Frame(
        "hex", "up", 2, "0012345678", 0, 0x4A, STX, ETX, serial=7, sent_at=SENT, body_station=""
    )
    assert b"\xf1\xf1" not in encode_sl651(bare)
    assert decode_sl651(encode_sl651(bare)) == bare
    relayed = _replace(bare, body_station="0099999999")
    assert decode_sl651(encode_sl651(relayed)) == relayed
    no_type = _replace(decode_sl651(vector("L49")), station_type=None)
    assert b"\xf1\xf1" not in encode_sl651(no_type)


def test_malformed_switch_payload_is_a_decode_error():
    frame = Sl651Frame(
        "hex",
        "up",
        2,
        "0012345678",
        0x04D2,
        0x4C,
        STX,
        ETX,
        serial=7,
        sent_at=SENT,
        payload=b"\x03\x01",
    )
    with pytest.raises(DecodeError, match="switch bitmap"):
        decode_sl651(encode_sl651(frame))


def test_change_password_downlink_round_trip():
    frame = Sl651Frame(
        "hex",
        "down",
        2,
        "0012345678",
        0x04D2,
        0x49,
        STX,
        ENQ_,
        serial=0,
        sent_at=SENT,
        elements=(Element("03", "04D2", 0x10), Element("03", "1234", 0x10)),
    )
    decoded = decode_sl651(encode_sl651(frame))
    assert decoded == frame
    assert decoded.values["password"] == "1234"


# --- M3 reassembly ------------------------------------------------------------------------------------------

JPEG = bytes.fromhex("FFD8FFE000104A464946") + bytes(range(256)) * 3 + bytes.fromhex("FFD9")


def picture_packets(jpeg: bytes, total: int = 4) -> list[bytes]:
    """Encode a 36H picture message as ``total`` M3 packets."""
    size = -(-len(jpeg) // total)
    chunks = [jpeg[i : i + size] for i in range(0, len(jpeg), size)]
    first = Sl651Frame(
        "hex",
        "up",
        1,
        FJ,
        0,
        FC_36_PICTURE,
        SYN,
        ETB,
        total,
        1,
        serial=99,
        sent_at=SENT,
        station_type="G",
        observed_at=t(2024, 5, 6, 7, 0),
        payload=chunks[0],
        payload_guide=GUIDE_F3_PICTURE,
    )
    frames = [first] + [
        Sl651Frame(
            "hex",
            "up",
            1,
            FJ,
            0,
            FC_36_PICTURE,
            SYN,
            ETX if n == total else ETB,
            total,
            n,
            payload=chunks[n - 1],
        )
        for n in range(2, total + 1)
    ]
    return [encode_sl651(frame) for frame in frames]


def test_reassembly_out_of_order_with_duplicate():
    packets = [decode_sl651(data) for data in picture_packets(JPEG)]
    for packet, data in zip(packets, picture_packets(JPEG), strict=True):
        assert encode_sl651(packet) == data
    assembler = Sl651Reassembler()
    assert assembler.feed(packets[2]) is None
    assert assembler.feed(packets[0]) is None
    assert assembler.feed(packets[2]) is None  # duplicate
    assert assembler.feed(packets[3]) is None
    assert assembler.missing(FJ, FC_36_PICTURE) == [2]
    message = assembler.feed(packets[1])
    assert message is not None
    assert message.picture == JPEG
    assert message.packet_total == 4
    assert message.first.serial == 99
    assert assembler.missing(FJ, FC_36_PICTURE) == []
    ack = decode_sl651(build_message_ack(message, SENT, Sl651Options(ack_end=ESC)))
    assert (ack.start, ack.packet_total, ack.packet_seq, ack.end, ack.serial) == (SYN, 4, 4, ESC, 99)
    assert build_ack(message.first, SENT, Sl651Options(ack_end=ESC)) == build_message_ack(
        message, SENT, Sl651Options(ack_end=ESC)
    )
    assert build_ack(packets[1], SENT) is None  # later packets carry no serial


def test_reassembly_limits_and_discard():
    packets = [decode_sl651(data) for data in picture_packets(JPEG)]
    assembler = Sl651Reassembler(max_bytes=300)
    assembler.feed(packets[0])
    with pytest.raises(DecodeError, match="exceeds 300 bytes"):
        assembler.feed(packets[1])
    with pytest.raises(DecodeError, match="exceeds the limit"):
        Sl651Reassembler(max_packets=3).feed(packets[0])
    assembler = Sl651Reassembler()
    assembler.feed(packets[1])
    assert assembler.missing(FJ, FC_36_PICTURE) == [1, 3, 4]
    assembler.discard(FJ, FC_36_PICTURE)
    assert assembler.missing(FJ, FC_36_PICTURE) == []


def test_reassembly_single_packet_message():
    message = Sl651Reassembler().feed(decode_sl651(vector("L49")))
    assert message is not None and message.packet_total == 1 and message.picture is None
    assert join_message(message) == message.first


def m3_packets(single: bytes, cuts: list[int]) -> list[bytes]:
    """Re-send a single-packet uplink as M3 packets, its body cut at ``cuts`` (HEX or ASCII)."""
    ascii_frame = single[:1] == b"\x01"
    body = single[24:-5] if ascii_frame else single[14:-3]
    bounds = [0, *cuts, len(body)]
    chunks = [body[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    packets = []
    for seq, chunk in enumerate(chunks, 1):
        end = ETX if seq == len(chunks) else ETB
        if ascii_frame:
            counter = f"{len(chunks):03X}{seq:03X}".encode()
            head = single[:19] + f"0{len(counter) + len(chunk):03X}".encode()
            raw = head + bytes([SYN]) + counter + chunk + bytes([end])
            packets.append(raw + f"{crc16_modbus(raw):04X}".encode())
        else:
            counter = (len(chunks) << 12 | seq).to_bytes(3, "big")
            raw = single[:11] + (3 + len(chunk)).to_bytes(2, "big") + bytes([SYN]) + counter + chunk + bytes([end])
            packets.append(raw + crc16_modbus(raw).to_bytes(2, "big"))
    return packets


@pytest.mark.parametrize(("single", "cuts"), [
    (vector("L49"), [31]),  # packet 1 ends inside an element
    (vector("L49"), [24, 30, 36]),
    (bytes.fromhex(SL651_ASCII_A02), [60]),  # inside a value token
    (bytes.fromhex(SL651_ASCII_A02), [33, 47, 70]),
], ids=["hex-2", "hex-4", "ascii-2", "ascii-4"])
def test_report_sent_as_m3_packets_gives_the_reading_of_the_single_packet(single, cuts):
    assembler = Sl651Reassembler()
    *head, last = [decode_sl651(packet) for packet in m3_packets(single, cuts)]
    assert all(packet.packet_total == len(cuts) + 1 for packet in head)
    assert [assembler.feed(packet) for packet in reversed(head)] == [None] * len(head)
    message = assembler.feed(last)
    assert message is not None and message.picture is None
    frame, expected = join_message(message), decode_sl651(single)
    assert frame.elements == expected.elements and frame.observed_at == expected.observed_at
    assert to_reading(frame) == to_reading(expected) is not None


# --- Readings ---------------------------------------------------------------------------------------


def _report(elements: tuple[Element, ...], station_type: str = "G", function: int = 0x32) -> Sl651Frame:
    frame = Sl651Frame(
        "hex",
        "up",
        1,
        "0012345678",
        0,
        function,
        STX,
        ETX,
        serial=5,
        sent_at=SENT,
        station_type=station_type,
        observed_at=elements[0].observed_at,
        elements=elements,
    )
    decoded = decode_sl651(encode_sl651(frame))
    assert decoded == frame
    return decoded


TT = t(2024, 5, 6, 7, 0)


def test_reading_monitoring_well():
    """A groundwater station (type G) reports depth H (0E 1A) and battery VT."""
    frame = _report((Element("H", 12.34, 0x1A, TT), Element("VT", 12.5, 0x12, TT)))
    reading = to_reading(frame)
    assert reading is not None
    assert (reading.protocol, reading.station, reading.observed_at) == ("sl651", "0012345678", TT)
    assert (reading.depth_m, reading.battery_v, reading.level_m, reading.flow_m3h) == (
        12.34,
        12.5,
        None,
        None,
    )
    json.dumps(reading.native)


def test_reading_flow_volume_and_energy():
    frame = _report(
        (
            Element("Q", 4.32, 0x2B, TT),
            Element("FF01", 123456.7, 0x39, TT),
            Element("FF02", 987.65, 0x22, TT),
            Element("Z", -1.5, 0x23, TT),
        )
    )
    reading = to_reading(frame, Sl651Options(volume_extension="FF01", energy_extension="ff02"))
    assert reading.flow_m3h == pytest.approx(4.32 * 3600)
    assert (reading.volume_m3, reading.energy_kwh, reading.level_m) == (123456.7, 987.65, -1.5)
    assert to_reading(frame).volume_m3 is None


def test_reading_intake_flow_when_q_absent():
    frame = _report((Element("Q2", 0.5, 0x2B, TT),), station_type="I")
    assert to_reading(frame).flow_m3h == 1800.0


def test_reading_status_word():
    """00000481: AC power lost, door closed, pump stopped."""
    reading = to_reading(decode_sl651(vector("L15")))
    assert (reading.ac_power_lost, reading.door_open, reading.pump_on) == (True, False, False)
    healthy = to_reading(_report((Element("ZT", 0x80, 0x20, TT),)))
    assert (healthy.ac_power_lost, healthy.door_open, healthy.pump_on) == (False, False, True)


def test_reading_of_timed_report_vector():
    reading = to_reading(decode_sl651(vector("L49")))
    assert (reading.level_m, reading.battery_v, reading.observed_at) == (14.42, 12.2, t(2014, 12, 5, 11, 0))
    assert reading.native == {"PJ": 10.0, "PT": 10.0, "Z": 14.42, "VT": 12.2}


@pytest.mark.parametrize("name", ["L48", "L12", "L14", "L50", "L08", "L18", "P01"])
def test_no_reading_for_frames_without_observations(name):
    assert to_reading(decode_sl651(vector(name))) is None


def test_no_reading_for_downlink_commands():
    assert to_reading(decode_sl651(encode_query_realtime("0012345678", 2, 0, SENT))) is None


def test_codec_imports_no_django():
    """The protocol package stays pure Python (STYLE §6)."""
    code = (
        "import sys, changji.water.protocols.sl651\n"
        "assert not [m for m in sys.modules if m.startswith('django')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
