"""Check codes of the two protocol families, table-driven.

* SL651-2014 §6.5 / 附录 (CRC校验): CRC-16 with generator X16+X15+X2+1, preset 0xFFFF, reflected
  (0xA001), i.e. CRC-16/MODBUS. It is transmitted high byte first, the opposite of Modbus RTU.
  check("123456789") == 0x4B37.
* SZY206-2016 / SL/T 427-2021 (校验码 CS): CRC-8 with generator X7+X6+X5+X2+1 (0xE5), init 0,
  MSB first, no reflection, no final XOR. check("123456789") == 0xF7.
"""

from __future__ import annotations

__pure__ = True  # no Django: tests/test_architecture.py checks it


def _build_crc16_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


def _build_crc8_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0xE5) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
        table.append(crc)
    return tuple(table)


_CRC16_TABLE = _build_crc16_table()
_CRC8_TABLE = _build_crc8_table()


def crc16_modbus(data: bytes | bytearray | memoryview) -> int:
    """Return the SL651 CRC-16/MODBUS of ``data`` (send it big-endian)."""
    crc = 0xFFFF
    table = _CRC16_TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


def crc8_e5(data: bytes | bytearray | memoryview) -> int:
    """Return the SZY206 CRC-8 (polynomial 0xE5) of ``data``."""
    return crc8_e5_update(0, data)


def crc8_e5_update(crc: int, data: bytes | bytearray | memoryview) -> int:
    """Return the CRC-8 state after folding ``data`` into state ``crc`` (a running check code).

    ``crc8_e5_update(crc8_e5(a), b) == crc8_e5(a + b)``: a scan can carry the state forward
    instead of recomputing the check code of a growing prefix.
    """
    table = _CRC8_TABLE
    for byte in data:
        crc = table[crc ^ byte]
    return crc
