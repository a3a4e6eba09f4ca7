"""The ``readings`` stream: a well's raw readings for a period, sent only when the upstream asks for them.

``queue_readings(well_code, since, until)`` writes the readings of the well's terminals observed in
[since, until) to the outbox (the exchange helper calls it when the upstream asks). Key
``<protocol>:<address>|<observed_at>``, the unique observation of ``Reading``; the payload holds the measured
values under the model's field names, the protocol's native values and the raw frame (hex) the reading came
from, so the upstream stores it with its evidence. Received readings are not pushed further up: each level
asks its own downstream. The upstream never derives from them (the well is reported from below).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction

from changji.water.models import Frame, FrameOutcome, Reading, Terminal, Well
from changji.water.sharing import capture, wire
from changji.water.sharing.outbox import Change, record_many
from changji.water.sharing.streams import ApplyResult, Row, Stream, apply_each, register

STREAM = "readings"
VALUES = ("flow_m3h", "volume_m3", "energy_kwh", "level_m", "depth_m", "battery_v", "pump_on", "door_open",
          "ac_power_lost", "future_dated")
CHUNK = 2000


def queue_readings(well_code: str, since: datetime, until: datetime) -> int:
    """Write the well's readings observed in [since, until) to the outbox; return how many (0: unknown well)."""
    well = Well.objects.filter(code=well_code).first()
    if well is None:
        return 0
    readings = (Reading.objects.filter(terminal__well=well, observed_at__gte=since, observed_at__lt=until)
                .select_related("terminal", "frame").order_by("observed_at"))
    written, batch = 0, []
    stamp = capture.stamp()
    with transaction.atomic():
        for reading in readings.iterator(chunk_size=CHUNK):
            terminal, frame = reading.terminal, reading.frame
            key = wire.terminal_key(terminal.protocol, terminal.address)
            at = wire.instant(reading.observed_at) or ""
            payload = {"terminal": key, "observed_at": at, "received_at": wire.instant(reading.received_at),
                       **{name: getattr(reading, name) for name in VALUES}, "native": reading.native,
                       "frame": {"received_at": wire.instant(frame.received_at), "function": frame.function,
                                 "raw_hex": bytes(frame.raw).hex()}, "changed_at": stamp}
            batch.append(Change(STREAM, wire.compound(key, at), terminal.region_id, payload))
            if len(batch) >= CHUNK:
                written += record_many(batch)
                batch = []
        written += record_many(batch)
    return written


def _apply_one(row: Row, source: str, terminals: dict[str, Terminal | None]) -> None:
    p = row.payload
    key = p["terminal"]
    if key not in terminals:
        protocol, address = wire.split_terminal_key(key)
        terminals[key] = Terminal.objects.filter(protocol=protocol, address=address, reported_by=source).first()
    terminal = terminals[key]
    if terminal is None:
        raise LookupError(f"未知终端 {key}，或该终端不是该下级平台上报的")
    observed_at = wire.required_instant(p["observed_at"])
    if Reading.objects.filter(terminal=terminal, observed_at=observed_at).exists():
        return  # a reading is stored once (一数一源); a re-sent one changes nothing
    raw = p.get("frame") or {}
    frame = Frame.objects.create(received_at=wire.parse_instant(raw.get("received_at")) or observed_at,
                                 peer=f"exchange:{source}"[:64], protocol=terminal.protocol, address=terminal.address,
                                 terminal=terminal, function=str(raw.get("function") or "")[:4],
                                 observed_at=observed_at, raw=bytes.fromhex(raw.get("raw_hex") or ""),
                                 outcome=FrameOutcome.STORED)
    Reading.objects.create(terminal=terminal, observed_at=observed_at, frame=frame,
                           received_at=wire.parse_instant(p.get("received_at")) or observed_at,
                           native=p.get("native") or {}, **{name: p.get(name) for name in VALUES if name in p})


def apply(rows: Sequence[Row], source: str) -> ApplyResult:
    """Store readings of terminals the sender reported, with their frames; idempotent by observation."""
    terminals: dict[str, Terminal | None] = {}
    return apply_each(wire.latest_per_key(rows), lambda row: _apply_one(row, source, terminals))

STREAM_DEF = Stream(STREAM, "原始监测数据（按需）", apply, order=60)


def register_stream() -> Stream:
    return register(STREAM_DEF)
