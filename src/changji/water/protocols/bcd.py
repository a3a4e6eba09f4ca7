"""Packed BCD, the number encoding of both protocol families.

SL651-2014 §6.6.3 writes BCD most significant digit first (big-endian); SZY206-2016 / SL/T 427-2021
§数据格式 write it least significant byte first. Both are handled here so the codecs share one
implementation and one definition of "invalid digit".
"""

from __future__ import annotations

from changji.core.localtime import SHANGHAI
from changji.water.protocols.errors import DecodeError, EncodeError

__pure__ = True  # no Django: tests/test_architecture.py checks it

#: China Standard Time: both standards put local time on the wire (``core/localtime.py`` defines it once).
CST = SHANGHAI

#: Value of every valid packed-BCD byte; a byte missing here has a non-decimal nibble.
BCD_BYTE: dict[int, int] = {(d // 10) << 4 | d % 10: d for d in range(100)}


def bcd_to_int(data: bytes | bytearray | memoryview) -> int:
    """Decode big-endian packed BCD (SL651 order). Raise DecodeError on a non-decimal nibble."""
    value = 0
    table = BCD_BYTE
    for byte in data:
        digits = table.get(byte)
        if digits is None:
            raise DecodeError(f"invalid BCD byte {byte:02X} in {bytes(data).hex().upper()}")
        value = value * 100 + digits
    return value


def bcd_le_to_int(data: bytes | bytearray | memoryview) -> int:
    """Decode little-endian packed BCD (SZY206 order, lowest two digits in the first byte)."""
    return bcd_to_int(bytes(reversed(bytes(data))))


def int_to_bcd(value: int, length: int) -> bytes:
    """Encode a non-negative integer as ``length`` bytes of big-endian packed BCD."""
    if value < 0 or value >= 10 ** (2 * length):
        raise EncodeError(f"{value} does not fit in {length} BCD bytes")
    digits = f"{value:0{2 * length}d}"
    return bytes.fromhex(digits)


def int_to_bcd_le(value: int, length: int) -> bytes:
    """Encode a non-negative integer as ``length`` bytes of little-endian packed BCD."""
    return bytes(reversed(int_to_bcd(value, length)))
