"""Describe a single frame as plain data: the ``changji decode`` contract.

One JSON object per frame with ``ok``, ``error``, ``protocol``, the header fields, ``values``,
``status_bits``, the canonical ``reading`` and the ``ack`` the centre should answer with. Tools
outside the platform parse this output, so the keys are a stable contract (README, "The changji command").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from changji.water.protocols import sl651, szy206
from changji.water.protocols.errors import ProtocolError
from changji.water.protocols.framing import SL651, SZY206, detect_protocol
from changji.water.protocols.plausibility import first_implausible, implausible_time
from changji.water.protocols.reading import Reading

__pure__ = True  # no Django: tests/test_architecture.py checks it


def describe_frame(
    data: bytes,
    received_at: datetime,
    sl651_options: sl651.Sl651Options | None = None,
    szy206_options: szy206.Szy206Options | None = None,
) -> dict[str, Any]:
    """Decode one whole frame and return its description; errors become ``ok: false``."""
    protocol = detect_protocol(data)
    try:
        if protocol == SL651:
            return _describe_sl651(data, received_at, sl651_options or sl651.Sl651Options())
        if protocol == SZY206:
            return _describe_szy206(data, received_at, szy206_options or szy206.Szy206Options())
    except ProtocolError as exc:
        return {"ok": False, "error": exc.message, "protocol": protocol}
    start = data[:2].hex().upper() or "nothing"
    return {
        "ok": False,
        "error": f"not a frame of either protocol: starts with {start} (expected 7E7E, 01 or 68)",
        "protocol": None,
    }


def _describe_sl651(data: bytes, received_at: datetime, options: sl651.Sl651Options) -> dict[str, Any]:
    frame = sl651.decode_sl651(data)
    ack = sl651.build_ack(frame, received_at, options)
    reading = sl651.to_reading(frame, options)
    out = {"ok": True, **frame.describe(), "reading": _reading_json(reading), "ack": _hex(ack)}
    if frame.direction == "up":
        times = [(frame.observed_at, "observation time"), (frame.sent_at, "send time")]
        _check_times(out, first_implausible(times, received_at))
    return out


def _check_times(out: dict[str, Any], reason: str | None) -> None:
    """Flag an implausible two-digit year: ``time_implausible`` says why, and no reading is taken.

    The gateway archives such a frame with this reason (outcome rejected) and still acknowledges it,
    so ``ack`` stays (``protocols/plausibility.py``).
    """
    if reason is not None:
        out["time_implausible"] = reason
        out["reading"] = None


def _describe_szy206(data: bytes, received_at: datetime, options: szy206.Szy206Options) -> dict[str, Any]:
    frame = szy206.decode_szy206(data, options)
    ack = szy206.build_ack(frame, received_at, options)
    reading = szy206.to_reading(frame, received_at, options)
    described = frame.describe()
    if reading is not None and reading.observed_at is not None:
        described.setdefault("observed_at", reading.observed_at.isoformat())
    out = {"ok": True, **described, "reading": _reading_json(reading), "ack": _hex(ack)}
    if reading is not None:
        _check_times(out, implausible_time(reading.observed_at, received_at, "observation time"))
    return out


def _reading_json(reading: Reading | None) -> dict[str, Any] | None:
    if reading is None:
        return None
    out = reading.canonical()
    out["observed_at"] = reading.observed_at.isoformat() if reading.observed_at else None
    return out


def _hex(data: bytes | None) -> str | None:
    return data.hex().upper() if data is not None else None
