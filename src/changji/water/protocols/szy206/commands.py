"""Centre-side SZY206 frames: confirms, link echo, downlink commands; and the canonical reading.

Confirm styles (docs/protocols.md §2.8; the 2016 text is not at hand, so the style is an option):

* ``hm1212``: C with DIR cleared (C & 0x7F), same A and AFN, data ``00``, no Tp (vector S5);
* ``blg`` (SZY206-2012): C = DIV + echoed FCB + type 0, data = work mode ``00``, no Tp (S6);
* ``sl427`` (SL/T 427-2021 表52): as ``blg`` plus the centre clock as a 7-byte Tp, from which the
  terminal sets its clock.

A split frame is confirmed on its own, the confirm carrying the same DIV/DIVS (§2.11). AFN 02 is
answered with its echo: DIR cleared, same data byte (S7 → S8).

Downlinks are built with DIR = 0, FCB 3 and type code 0 (B0: the wanted parameter class), a Tp from
the centre clock (5 bytes, or 7 with ``time_label_length=7``; delay 0 = "no check" unless given)
and PW (2 bytes, low byte first) when a password is given.
"""

from __future__ import annotations

import struct
from datetime import datetime
from typing import Any

from changji.water.protocols.bcd import int_to_bcd_le
from changji.water.protocols.errors import EncodeError
from changji.water.protocols.reading import Reading
from changji.water.protocols.szy206.codes import (
    AFN_02_LINK_CHECK,
    AFN_11_SET_CLOCK,
    AFN_32_QUOTA_CONTROL_ON,
    AFN_33_QUOTA_CONTROL_OFF,
    AFN_34_SET_QUOTA,
    AFN_61_QUERY_IMAGE,
    AFN_83_IMAGE_REPORT,
    AFN_84_VOLTAGE_REPORT,
    AFN_92_START_PUMP,
    AFN_93_STOP_PUMP,
    AFN_B0_QUERY_REALTIME,
    AFN_C0_SELF_REPORT,
    C_DIR_UPLINK,
    C_DIV_SPLIT,
    CONFIRMED_AFNS,
    FCB_DEFAULT,
    REPORT_AFNS,
    TYPE_0_COMMAND,
    WORK_MODE_00_REPORT_AND_QUERY,
)
from changji.water.protocols.szy206.frame import DEFAULT_OPTIONS, Szy206Frame, Szy206Options, assemble
from changji.water.protocols.szy206.time import TP_2016_LENGTH, TP_SL427_LENGTH, TimeLabel, encode_clock, to_cst
from changji.water.protocols.szy206.values import encode_values

__pure__ = True  # no Django: tests/test_architecture.py checks it

#: Uplinks that carry measurements and become a ``Reading``.
READING_AFNS = REPORT_AFNS | {AFN_84_VOLTAGE_REPORT}

STATUS_BIT_4_PUMP_STOPPED = 4  # terminal status word D4: 0 = pump running, 1 = stopped (§2.10)
STATUS_BIT_5_DOOR_CLOSED = 5  # D5: 0 = cabinet door open, 1 = closed
ALARM_BIT_0_AC_POWER_LOST = 0  # alarm word D0: AC power failure


def _needs_confirm(frame: Szy206Frame) -> bool:
    """Self-reports and pictures are confirmed; a split 61H answer frame by frame (§2.11)."""
    return frame.direction == "up" and (
        frame.afn in CONFIRMED_AFNS or frame.afn == AFN_61_QUERY_IMAGE and frame.div
    )


def encode_link_echo(frame: Szy206Frame) -> bytes:
    """Return the centre's echo of an AFN 02 link check: DIR cleared, same data byte (vector S8)."""
    if frame.afn != AFN_02_LINK_CHECK or frame.direction != "up":
        raise EncodeError(
            f"szy206 link echo needs an uplink AFN 02 frame, got {frame.direction} AFN {frame.function}"
        )
    return assemble(frame.control & ~C_DIR_UPLINK & 0xFF, frame.divs, frame.address, frame.afn, frame.data)


def encode_confirm(frame: Szy206Frame, now: datetime, options: Szy206Options = DEFAULT_OPTIONS) -> bytes:
    """Return the centre's confirm of ``frame`` in ``options.ack_style``; EncodeError if it needs none."""
    if frame.afn == AFN_02_LINK_CHECK and frame.direction == "up":
        return encode_link_echo(frame)
    if not _needs_confirm(frame):
        raise EncodeError(
            f"szy206 {frame.direction} AFN {frame.function} frame is not confirmed by the centre"
        )
    if options.ack_style == "hm1212":
        control, payload = frame.control & ~C_DIR_UPLINK & 0xFF, b"\x00"
    else:
        control = (C_DIV_SPLIT if frame.div else 0) | frame.fcb << 4 | TYPE_0_COMMAND
        payload = bytes([WORK_MODE_00_REPORT_AND_QUERY])
        if options.ack_style == "sl427":
            payload += TimeLabel.from_datetime(now, 0, TP_SL427_LENGTH).to_bytes()
    return assemble(control, frame.divs, frame.address, frame.afn, payload)


def build_ack(frame: Szy206Frame, now: datetime, options: Szy206Options = DEFAULT_OPTIONS) -> bytes | None:
    """Return what the centre answers to ``frame``: a confirm, a link echo, or None (no answer)."""
    if frame.direction != "up":
        return None
    if frame.afn == AFN_02_LINK_CHECK or _needs_confirm(frame):
        return encode_confirm(frame, now, options)
    return None


# --- downlink commands --------------------------------------------------------------------------


def _int_in(value: Any, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise EncodeError(f"szy206 {what} must be an integer {low}-{high}, got {value!r}")
    return value


def _command(
    address: str,
    afn: int,
    data: bytes,
    now: datetime,
    password: int | None,
    fcb: int,
    time_label_length: int,
    delay_minutes: int,
    type_code: int = TYPE_0_COMMAND,
) -> bytes:
    """Build a downlink: C = FCB + type, A, AFN, data, [PW], Tp from ``now``."""
    control = _int_in(fcb, 0, 3, "FCB") << 4 | _int_in(type_code, 0, 15, "type code")
    aux = b"" if password is None else _int_in(password, 0, 0xFFFF, "password").to_bytes(2, "little")
    aux += TimeLabel.from_datetime(now, delay_minutes, time_label_length).to_bytes()
    return assemble(control, None, address, afn, data + aux)


def encode_start_pump(
    address: str,
    now: datetime,
    password: int | None = None,
    fcb: int = FCB_DEFAULT,
    *,
    pump: int = 1,
    time_label_length: int = TP_2016_LENGTH,
    delay_minutes: int = 0,
) -> bytes:
    """92H remote start of a pump/valve/gate; data = 1 byte, the pump number (1 = first/only pump)."""
    return _pump_command(AFN_92_START_PUMP, address, now, password, fcb, pump, time_label_length, delay_minutes)


def encode_stop_pump(
    address: str,
    now: datetime,
    password: int | None = None,
    fcb: int = FCB_DEFAULT,
    *,
    pump: int = 1,
    time_label_length: int = TP_2016_LENGTH,
    delay_minutes: int = 0,
) -> bytes:
    """93H remote stop of a pump/valve/gate; data as for 92H."""
    return _pump_command(AFN_93_STOP_PUMP, address, now, password, fcb, pump, time_label_length, delay_minutes)


def _pump_command(afn: int, address: str, now: datetime, password: int | None, fcb: int, pump: int,
                  time_label_length: int, delay_minutes: int) -> bytes:
    data = bytes([_int_in(pump, 0, 255, "pump number")])
    return _command(address, afn, data, now, password, fcb, time_label_length, delay_minutes)


def encode_quota_control(
    address: str,
    enabled: bool,
    now: datetime,
    password: int | None = None,
    *,
    fcb: int = FCB_DEFAULT,
    time_label_length: int = TP_2016_LENGTH,
    delay_minutes: int = 0,
) -> bytes:
    """32H quota (定值) control on / 33H off; no data field."""
    afn = AFN_32_QUOTA_CONTROL_ON if enabled else AFN_33_QUOTA_CONTROL_OFF
    return _command(address, afn, b"", now, password, fcb, time_label_length, delay_minutes)


def encode_set_quota(
    address: str,
    quota_m3: int,
    now: datetime,
    password: int | None = None,
    *,
    fcb: int = FCB_DEFAULT,
    time_label_length: int = TP_2016_LENGTH,
    delay_minutes: int = 0,
) -> bytes:
    """34H set the quota: 5 bytes BCD, low byte first, integer m³ (the cumulative-volume format)."""
    quota = _int_in(quota_m3, 0, 9_999_999_999, "quota (m³)")
    data = int_to_bcd_le(quota, 5)
    return _command(address, AFN_34_SET_QUOTA, data, now, password, fcb, time_label_length, delay_minutes)


def encode_query_realtime(
    address: str,
    type_code: int,
    now: datetime,
    *,
    fcb: int = FCB_DEFAULT,
    time_label_length: int = TP_2016_LENGTH,
    delay_minutes: int = 0,
) -> bytes:
    """B0H query real-time values of parameter class ``type_code`` (C low nibble); no data field."""
    return _command(
        address, AFN_B0_QUERY_REALTIME, b"", now, None, fcb, time_label_length, delay_minutes, type_code
    )


def encode_set_clock(
    address: str,
    now: datetime,
    password: int | None = None,
    *,
    fcb: int = FCB_DEFAULT,
    time_label_length: int = TP_2016_LENGTH,
    delay_minutes: int = 0,
) -> bytes:
    """11H set the terminal clock to ``now`` (CST): data = s, min, h, day, month, year BCD (Tp order)."""
    return _command(
        address, AFN_11_SET_CLOCK, encode_clock(now), now, password, fcb, time_label_length, delay_minutes
    )


def encode_query_image(
    address: str,
    now: datetime,
    *,
    fcb: int = FCB_DEFAULT,
    time_label_length: int = TP_2016_LENGTH,
    delay_minutes: int = 0,
) -> bytes:
    """61H query image record (查询图像记录): no data field, the terminal takes a picture and sends it.

    The answer is AFN 61 uplinks split with DIV/DIVS (§2.11), each confirmed by the centre, whose data
    fields joined are the JPEG (``szy206_reassembly``).
    """
    return _command(address, AFN_61_QUERY_IMAGE, b"", now, None, fcb, time_label_length, delay_minutes)


# --- uplinks built by simulators ----------------------------------------------------------------

#: Picture bytes per split frame: SL/T 427 counts picture frames in KiB ("L×1K").
IMAGE_CHUNK_BYTES = 1024


def encode_image_frames(
    address: str, jpeg: bytes, *, afn: int = AFN_61_QUERY_IMAGE, chunk: int = IMAGE_CHUNK_BYTES,
    fcb: int = FCB_DEFAULT,
) -> list[bytes]:
    """Build a terminal's picture answer (61H) or self-report (83H): split frames, DIVS counting down to 1.

    Every frame has DIV set (even a picture that fits one frame), so each one is confirmed (§2.11).
    """
    if afn not in (AFN_61_QUERY_IMAGE, AFN_83_IMAGE_REPORT):
        raise EncodeError(f"szy206 picture frames are AFN 61 or 83, got {afn!r}")
    if not jpeg:
        raise EncodeError("szy206 picture is empty")
    size = _int_in(chunk, 16, 4096, "picture chunk size")
    parts = [jpeg[i : i + size] for i in range(0, len(jpeg), size)]
    if len(parts) > 255:
        raise EncodeError(f"szy206 picture of {len(jpeg)} bytes needs {len(parts)} frames, at most 255")
    control = C_DIR_UPLINK | C_DIV_SPLIT | _int_in(fcb, 0, 3, "FCB") << 4 | TYPE_0_COMMAND
    return [assemble(control, len(parts) - n, address, afn, part) for n, part in enumerate(parts)]



def encode_self_report(
    address: str,
    type_code: int,
    values: dict[str, Any],
    time_label: TimeLabel,
    *,
    alarm_word: int = 0,
    status_word: int = 0,
    afn: int = AFN_C0_SELF_REPORT,
    fcb: int = FCB_DEFAULT,
    options: Szy206Options = DEFAULT_OPTIONS,
) -> bytes:
    """Build a terminal's C0 (or 81/82/B0) uplink from ``values`` as ``decode_szy206`` returns them."""
    words = struct.pack(
        ">HH" if options.word_order == "big" else "<HH",
        _int_in(alarm_word, 0, 0xFFFF, "alarm word"),
        _int_in(status_word, 0, 0xFFFF, "status word"),
    )
    data = encode_values(type_code, values, options.flow_first, options.flow_unit_bits) + words
    control = C_DIR_UPLINK | _int_in(fcb, 0, 3, "FCB") << 4 | _int_in(type_code, 0, 15, "type code")
    return assemble(control, None, address, afn, data + time_label.to_bytes())


# --- canonical reading --------------------------------------------------------------------------


def _first(values: dict[str, Any], key: str) -> float | None:
    items = values.get(key)
    if not items or items[0] is None:
        return None
    return float(items[0])


def to_reading(
    frame: Szy206Frame, received_at: datetime, options: Szy206Options = DEFAULT_OPTIONS
) -> Reading | None:
    """Return the canonical reading of a C0/81/82/84 report or B0 answer; None for other frames.

    The first instrument of each class is used; flow is converted to m³/h by its unit bits. Alarm
    D0 gives ``ac_power_lost``; status D4 (0 = running) ``pump_on``; D5 (0 = open) ``door_open``.
    """
    if frame.direction != "up" or frame.afn not in READING_AFNS:
        return None
    label = frame.time_label
    observed_at = label.resolve(received_at) if label is not None else to_cst(received_at)
    alarm, status = frame.alarm_word, frame.status_word
    native: dict[str, Any] = {
        **frame.values,
        "alarm_bits": frame.alarm_bits,
        "status_bits": frame.status_bits,
    }
    if label is not None:
        native["late"] = label.is_late(received_at)
    return Reading(
        protocol="szy206",
        station=frame.address,
        observed_at=observed_at,
        flow_m3h=_first(frame.values, "flow_m3h"),
        volume_m3=_first(frame.values, "volume_m3"),
        energy_kwh=_first(frame.values, "energy_kwh"),
        level_m=_first(frame.values, "level_m"),
        battery_v=_first(frame.values, "voltage_v"),
        pump_on=None if status is None else not status >> STATUS_BIT_4_PUMP_STOPPED & 1,
        door_open=None if status is None else not status >> STATUS_BIT_5_DOOR_CLOSED & 1,
        ac_power_lost=None if alarm is None else bool(alarm >> ALARM_BIT_0_AC_POWER_LOST & 1),
        native=native,
    )
