"""Packed BCD in both byte orders."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from changji.water.protocols.bcd import bcd_le_to_int, bcd_to_int, int_to_bcd, int_to_bcd_le
from changji.water.protocols.errors import DecodeError, EncodeError


def test_big_endian_bcd():
    assert bcd_to_int(bytes.fromhex("00014420")) == 14420


def test_little_endian_bcd_reads_the_lowest_digits_first():
    assert bcd_le_to_int(bytes.fromhex("0800000000")) == 8
    assert bcd_le_to_int(bytes.fromhex("0059000000")) == 5900


def test_non_decimal_nibble_is_a_decode_error():
    with pytest.raises(DecodeError, match="invalid BCD byte 1A"):
        bcd_to_int(b"\x1a")


def test_value_too_large_is_an_encode_error():
    with pytest.raises(EncodeError):
        int_to_bcd(100, 1)
    with pytest.raises(EncodeError):
        int_to_bcd(-1, 2)


@given(st.integers(min_value=0, max_value=10**10 - 1))
def test_round_trip_in_both_orders(value):
    assert bcd_to_int(int_to_bcd(value, 5)) == value
    assert bcd_le_to_int(int_to_bcd_le(value, 5)) == value
