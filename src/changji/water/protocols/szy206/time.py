"""The SZY206 time label Tp and the centre-clock field of AFN 11H.

SZY206-2016 (and 2012) Tp is 5 bytes: second, minute, hour, day (BCD) and the allowed transmission
delay in minutes (BIN); SL/T 427-2021 Tp is 7 bytes, adding month and year (BCD) before the delay
(SL/T 427-2021 表7; docs/protocols.md §2.7). The 5-byte form carries no month or year, so the receiver picks the
month that puts the label nearest to its own clock (terminals drift a few minutes either way).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from changji.water.protocols.bcd import BCD_BYTE, CST
from changji.water.protocols.errors import DecodeError, EncodeError

__pure__ = True  # no Django: tests/test_architecture.py checks it

TP_2016_LENGTH = 5
TP_SL427_LENGTH = 7
CLOCK_LENGTH = 6  # AFN 11H data: second, minute, hour, day, month, year (BCD), Tp order

def bcd_bytes(raw: bytes, what: str) -> list[int]:
    """Return the two-digit value of each BCD byte of ``raw``; DecodeError on a non-decimal nibble."""
    out = [BCD_BYTE.get(byte, -1) for byte in raw]
    if -1 in out:
        raise DecodeError(f"szy206 {what} {raw.hex().upper()}: invalid BCD digits")
    return out


def _bcd_byte(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 99:
        raise EncodeError(f"szy206 {what}: {value!r} is not a two-digit BCD value")
    return (value // 10) << 4 | value % 10


def to_cst(when: datetime) -> datetime:
    """Return ``when`` in China Standard Time; a naive datetime is taken to be CST already."""
    return when.replace(tzinfo=CST) if when.tzinfo is None else when.astimezone(CST)


@dataclass(frozen=True, slots=True)
class TimeLabel:
    """Tp, the time label: 5 bytes in SZY206-2016, 7 in SL/T 427-2021 (表7).

    SZY206-2016 sends s, min, h, day (BCD) and the allowed delay in minutes (BIN); SL/T 427-2021 adds month and
    year. ``year`` is the full year (2000 + the two BCD digits).
    """

    second: int
    minute: int
    hour: int
    day: int
    delay_minutes: int
    month: int | None = None
    year: int | None = None

    @property
    def length(self) -> int:
        """Return the wire length: 7 with month and year, else 5."""
        return TP_2016_LENGTH if self.month is None else TP_SL427_LENGTH

    @classmethod
    def from_bytes(cls, raw: bytes) -> TimeLabel:
        """Read a 5- or 7-byte Tp. Only BCD validity is checked; ranges are checked by ``resolve``."""
        if len(raw) not in (TP_2016_LENGTH, TP_SL427_LENGTH):
            raise DecodeError(f"szy206 time label must be 5 or 7 bytes, got {len(raw)}")
        parts = bcd_bytes(raw[:-1], "time label")
        if len(parts) == 4:
            return cls(parts[0], parts[1], parts[2], parts[3], raw[-1])
        return cls(parts[0], parts[1], parts[2], parts[3], raw[-1], parts[4], 2000 + parts[5])

    @classmethod
    def from_datetime(cls, when: datetime, delay_minutes: int = 0, length: int = TP_2016_LENGTH) -> TimeLabel:
        """Build the Tp of ``when`` (converted to CST) in the 5- or 7-byte form."""
        if length not in (TP_2016_LENGTH, TP_SL427_LENGTH):
            raise EncodeError(f"szy206 time label length must be 5 or 7, got {length!r}")
        t = to_cst(when)
        if length == TP_2016_LENGTH:
            return cls(t.second, t.minute, t.hour, t.day, delay_minutes)
        return cls(t.second, t.minute, t.hour, t.day, delay_minutes, t.month, t.year)

    def to_bytes(self) -> bytes:
        """Return the wire form; EncodeError when a part does not fit its BCD/BIN byte."""
        if isinstance(self.delay_minutes, bool) or not isinstance(self.delay_minutes, int):
            raise EncodeError(f"szy206 time label delay {self.delay_minutes!r} is not an integer")
        if not 0 <= self.delay_minutes <= 255:
            raise EncodeError(f"szy206 time label delay {self.delay_minutes} is outside 0-255 minutes")
        parts = [self.second, self.minute, self.hour, self.day]
        if (self.month is None) != (self.year is None):
            raise EncodeError("szy206 time label needs both month and year, or neither")
        if self.month is not None and self.year is not None:
            if isinstance(self.year, bool) or not isinstance(self.year, int) or not 2000 <= self.year <= 2099:
                raise EncodeError(f"szy206 time label year {self.year!r} is outside 2000-2099")
            parts += [self.month, self.year - 2000]
        return bytes(_bcd_byte(p, "time label") for p in parts) + bytes([self.delay_minutes])

    def _check_ranges(self) -> None:
        bad = (
            not 0 <= self.second <= 59
            or not 0 <= self.minute <= 59
            or not 0 <= self.hour <= 23
            or not 1 <= self.day <= 31
            or (self.month is not None and not 1 <= self.month <= 12)
        )
        if bad:
            raise DecodeError(f"szy206 time label {self.as_dict()} is not a valid time")

    def resolve(self, received_at: datetime) -> datetime:
        """Return the observation time (CST); DecodeError if there is none.

        A 5-byte label takes the month (and year) that puts it nearest to ``received_at``; months without its day
        are skipped.
        """
        self._check_ranges()
        if self.month is not None and self.year is not None:
            try:
                return datetime(
                    self.year, self.month, self.day, self.hour, self.minute, self.second, tzinfo=CST
                )
            except ValueError as exc:
                raise DecodeError(f"szy206 time label {self.as_dict()} is not a valid date") from exc
        ref = to_cst(received_at)
        best: datetime | None = None
        for shift in (-1, 0, 1):
            index = ref.year * 12 + ref.month - 1 + shift
            try:
                candidate = ref.replace(year=index // 12, month=index % 12 + 1, day=self.day)
            except ValueError:
                continue  # day 31 in a 30-day month, Feb 29 in a common year, year 0 or 10000
            candidate = candidate.replace(
                hour=self.hour, minute=self.minute, second=self.second, microsecond=0
            )
            if best is None or abs(candidate - ref) < abs(best - ref):
                best = candidate
        if best is None:  # pragma: no cover - three consecutive months always include a 31-day one
            raise DecodeError(f"szy206 time label day {self.day} fits no month near {ref.isoformat()}")
        return best

    def is_late(self, received_at: datetime) -> bool:
        """Return True when the frame is off by more than the allowed delay; delay 0 = no check."""
        if self.delay_minutes == 0:
            return False
        return abs(to_cst(received_at) - self.resolve(received_at)) > timedelta(minutes=self.delay_minutes)

    def as_dict(self) -> dict[str, Any]:
        """Return the parts as plain data (month and year only in the 7-byte form)."""
        out: dict[str, Any] = {
            "second": self.second,
            "minute": self.minute,
            "hour": self.hour,
            "day": self.day,
            "delay_minutes": self.delay_minutes,
        }
        if self.month is not None:
            out["month"] = self.month
            out["year"] = self.year
        return out


def decode_clock(raw: bytes) -> str:
    """Return the AFN 11H clock field (s, min, h, day, month, year BCD) as ISO 8601 text in CST."""
    s, mi, h, d, mo, y = bcd_bytes(raw, "clock")
    return f"{2000 + y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}+08:00"


def encode_clock(when: datetime) -> bytes:
    """Return the AFN 11H clock field of ``when`` (converted to CST)."""
    t = to_cst(when)
    if not 2000 <= t.year <= 2099:
        raise EncodeError(f"szy206 clock year {t.year} is outside 2000-2099")
    parts = (t.second, t.minute, t.hour, t.day, t.month, t.year - 2000)
    return bytes(_bcd_byte(p, "clock") for p in parts)
