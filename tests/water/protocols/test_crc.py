"""Check codes against the standards' check values and real frames."""

from changji.water.protocols.crc import crc8_e5, crc16_modbus
from tests.water.protocols.vectors import SL651_TIMED_L49, SZY206_MISSING_S3


def test_crc16_modbus_check_value():
    assert crc16_modbus(b"123456789") == 0x4B37


def test_crc8_e5_check_value():
    assert crc8_e5(b"123456789") == 0xF7


def test_crc16_over_a_real_sl651_frame_is_sent_high_byte_first():
    frame = bytes.fromhex(SL651_TIMED_L49)
    assert crc16_modbus(frame[:-2]).to_bytes(2, "big") == frame[-2:]


def test_crc8_over_a_real_szy206_frame_covers_control_to_last_data_byte():
    frame = bytes.fromhex(SZY206_MISSING_S3)
    assert crc8_e5(frame[3:-2]) == frame[-2] == 0xE5


def test_crc8_of_empty_input_is_zero():
    assert crc8_e5(b"") == 0
    assert crc16_modbus(b"") == 0xFFFF
