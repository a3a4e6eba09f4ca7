"""Downlink commands on the wire: encode a queued command, recognise the terminal's answer.

SL651-2014 表B.1: 4CH pump on/off, 4FH quota control, 4AH set clock, 37H query real-time data,
36H query picture; the station answers with the same function code. SZY206-2016 §2.5: 92H/93H
start/stop pump, 32H/33H quota control on/off, 11H set clock, B0H query real-time values, 61H query
image; the terminal answers with the same AFN. A picture query (SL651 36H, SZY206 61H) is answered by
a picture in many frames (M3 packets, DIV/DIVS): it is confirmed once the whole picture is stored, and
the stored picture names the command (its trigger, and the alarm it was taken for).

``pump_unlock`` (the quota restore, ``water.quotas.policy``) goes out as quota control off: SZY206 33H
(定值控制退出) and SL651 4FH with ``00``; the terminal stops holding the pump off for the quota and the
farmer restarts it on site. It is answered as ``quota_off`` is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from changji.water.gateway.records import PendingCommand, TerminalInfo
from changji.water.protocols import sl651, szy206

__pure__ = True  # no Django: tests/test_architecture.py checks it

#: Command kind -> function code the answer carries, per protocol family.
SL651_ANSWER = {
    "pump_stop": 0x4C, "pump_start": 0x4C, "quota_on": 0x4F, "quota_off": 0x4F,
    "pump_unlock": 0x4F, "set_clock": 0x4A, "query_realtime": 0x37, "query_picture": 0x36,
}
SZY206_ANSWER = {
    "pump_stop": 0x93, "pump_start": 0x92, "quota_on": 0x32, "quota_off": 0x33,
    "pump_unlock": 0x33, "set_clock": 0x11, "query_realtime": 0xB0, "query_picture": 0x61,
}


class UnsupportedCommand(Exception):
    """The terminal's protocol has no frame for this command."""


def encode_command(
    terminal: TerminalInfo, command: PendingCommand, now: datetime, centre: int = 0
) -> bytes:
    """Return the downlink frame that carries ``command`` to ``terminal``."""
    if terminal.protocol == "sl651":
        return _encode_sl651(terminal, command, now, centre)
    return _encode_szy206(terminal, command, now)


def _encode_sl651(terminal: TerminalInfo, command: PendingCommand, now: datetime, centre: int) -> bytes:
    args = (terminal.address, centre, terminal.password, now)
    kind = command.kind
    if kind in ("pump_stop", "pump_start"):
        return sl651.encode_pump_control(*args, pumps=[kind == "pump_start"])
    if kind in ("quota_on", "quota_off", "pump_unlock"):
        return sl651.encode_quota_control(*args, enabled=kind == "quota_on")
    if kind == "set_clock":
        return sl651.encode_set_clock(*args)
    if kind == "query_realtime":
        return sl651.encode_query_realtime(*args)
    if kind == "query_picture":
        return sl651.encode_query_picture(*args)
    raise UnsupportedCommand(f"SL651 has no frame for {kind}")


def _encode_szy206(terminal: TerminalInfo, command: PendingCommand, now: datetime) -> bytes:
    address = terminal.address
    kind = command.kind
    if kind == "pump_stop":
        return szy206.encode_stop_pump(address, now)
    if kind == "pump_start":
        return szy206.encode_start_pump(address, now)
    if kind in ("quota_on", "quota_off", "pump_unlock"):
        return szy206.encode_quota_control(address, kind == "quota_on", now)
    if kind == "set_clock":
        return szy206.encode_set_clock(address, now)
    if kind == "query_realtime":
        return szy206.encode_query_realtime(address, int(command.params.get("type_code", 3)), now)
    if kind == "query_picture":
        return szy206.encode_query_image(address, now)
    raise UnsupportedCommand(f"SZY206 has no frame for {kind}")


def answer_outcome(command: PendingCommand, protocol: str, frame: Any) -> tuple[str, dict[str, Any]] | None:
    """Return (state, answer) when ``frame`` answers ``command``, else None.

    A pump answer that shows the pump in the wrong state fails the command: the terminal answered
    but did not do it. A picture query is never answered by one frame: it is confirmed when the whole
    picture has been stored (``picture_command``, ``uplinks``).
    """
    if command.kind == "query_picture":
        return None
    if protocol == "sl651":
        if frame.function != SL651_ANSWER.get(command.kind):
            return None
        answer = {"function": f"{frame.function:02X}", "values": _jsonable(frame.values)}
        pumps = frame.values.get("pumps")
        if command.kind in ("pump_stop", "pump_start") and pumps:
            wanted = command.kind == "pump_start"
            return ("confirmed" if pumps[0] == wanted else "failed"), answer
        return "confirmed", answer
    if frame.afn != SZY206_ANSWER.get(command.kind):
        return None
    answer = {"function": f"{frame.afn:02X}", "values": _jsonable(frame.values)}
    return "confirmed", answer


def picture_command(pending: list[PendingCommand]) -> PendingCommand | None:
    """Return the picture query that a picture arriving now answers: the oldest one sent, else None."""
    for command in pending:
        if command.kind == "query_picture" and command.last_sent_at is not None:
            return command
    return None


def picture_answer(function: int, frames: int, jpeg: bytes) -> dict[str, Any]:
    """The answer recorded on a confirmed picture query: function code, frames and size of the picture."""
    return {"function": f"{function:02X}", "frames": frames, "size_bytes": len(jpeg)}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.hex().upper()
    if isinstance(value, datetime):
        return value.isoformat()
    return value
