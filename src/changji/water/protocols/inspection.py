"""Describe a single frame as plain data: the ``changji decode`` contract.

One JSON object per frame with ``ok``, ``error``, ``protocol``, the header fields, ``values``,
``status_bits``, the canonical ``reading`` and the ``ack`` the centre should answer with. Tools
outside the platform parse this output, so the keys are a stable contract (README, "The changji command").
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from changji.water.protocols import sl651, szy206
from changji.water.protocols.errors import LimitError, ProtocolError
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


# --- M3 messages given packet by packet (``changji decode`` with all the packets of a message) -------


class PacketCollector:
    """Collect the SL651 M3 packets of one ``changji decode`` run and describe each message once complete.

    Every packet is still described on its own line; when the last missing packet of a message arrives,
    ``feed`` returns the message's description (``describe_message``). Packets may come in any order;
    a repeated packet is ignored, as the gateway's reassembler does.
    """

    def __init__(self, sl651_options: sl651.Sl651Options | None = None) -> None:
        self.options = sl651_options or sl651.Sl651Options()
        self.parts = sl651.Sl651Reassembler()
        self.started: dict[tuple[str, int], int] = {}
        self._picture: bytes | None = None

    def take_picture(self) -> bytes | None:
        """Return the JPEG bytes of the picture message the last ``feed`` completed (once), else None."""
        picture, self._picture = self._picture, None
        return picture

    def feed(self, data: bytes, received_at: datetime) -> dict[str, Any] | None:
        """Add one frame; return the description of the M3 message it completes, else None."""
        if detect_protocol(data) != SL651:
            return None
        try:
            frame = sl651.decode_sl651(data)
            if frame.direction != "up" or frame.packet_total is None:
                return None
            message = self.parts.feed(frame)
        except LimitError as exc:
            return {"ok": False, "error": exc.message, "protocol": SL651, "reassembled": False}
        except ProtocolError:
            return None  # already reported on the packet's own line
        key = (frame.station, frame.function)
        if message is None:
            self.started[key] = frame.packet_total
            return None
        self.started.pop(key, None)
        self._picture = message.picture
        return describe_message(message, received_at, self.options)

    def incomplete(self) -> list[dict[str, Any]]:
        """Describe the messages still missing packets (an error line each)."""
        out = []
        for (station, function), total in self.started.items():
            missing = self.parts.missing(station, function)
            out.append({
                "ok": False,
                "protocol": SL651,
                "reassembled": False,
                "station": station,
                "function": f"{function:02X}",
                "packet_total": total,
                "missing_packets": missing,
                "error": f"M3 message incomplete: {len(missing)} of {total} packets missing",
            })
        return out


def describe_message(
    message: sl651.Sl651Message, received_at: datetime, options: sl651.Sl651Options | None = None
) -> dict[str, Any]:
    """Describe a complete SL651 M3 message: a picture (size, SHA-256) or the report its packets make."""
    options = options or sl651.Sl651Options()
    first = message.first
    out: dict[str, Any] = {
        "ok": True,
        "protocol": SL651,
        "reassembled": True,
        "station": message.station,
        "function": f"{message.function:02X}",
        "packet_total": message.packet_total,
        "serial": first.serial,
        "sent_at": _iso(first.sent_at),
        "observed_at": _iso(first.observed_at),
    }
    picture = message.picture
    if picture is not None:
        out["picture_bytes"] = len(picture)
        out["picture_sha256"] = hashlib.sha256(picture).hexdigest()
        out["picture_is_jpeg"] = picture[:3] == b"\xff\xd8\xff" and picture[-2:] == b"\xff\xd9"
    else:
        try:
            joined = sl651.join_message(message)
        except ProtocolError as exc:
            return {**out, "ok": False, "error": exc.message}
        out["values"] = joined.describe()["values"]
        out["reading"] = _reading_json(sl651.to_reading(joined, options))
    out["ack"] = _hex(sl651.build_message_ack(message, received_at, options))
    return out


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
