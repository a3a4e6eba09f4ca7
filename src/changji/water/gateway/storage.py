"""The gateway's database work, run synchronously on the sink's database thread.

Group commit lives here: ``commit_frames`` archives a batch of frames and upserts their readings
in one transaction. Readings are keyed by (terminal, observation time); a value that a later frame
leaves empty keeps what an earlier frame of the same report said (SZY206 sends flow and energy as
separate parameter classes with one time label), so frames merge in any order and retransmissions
change nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from changji.core import audit
from changji.core.models import Region
from changji.water.models import Command, CommandState, Frame, FrameOutcome, QuarantinedTerminal, Snapshot, Terminal
from changji.water.protocols.reading import CANONICAL_FIELDS

from .records import InboundFrame, PendingCommand, SnapshotRecord, StoreResult, TerminalInfo

_READING_COLUMNS = (
    "terminal_id", "observed_at", "received_at", *CANONICAL_FIELDS, "future_dated", "native", "frame_id",
)


def load_terminals() -> dict[tuple[str, str], TerminalInfo]:
    """Return every registered terminal keyed by (protocol, address)."""
    rows = Terminal.objects.values_list("id", "protocol", "address", "password", "report_interval_s")
    return {(p, a): TerminalInfo(i, p, a, pw, interval) for i, p, a, pw, interval in rows.iterator()}


def find_terminal(protocol: str, address: str) -> TerminalInfo | None:
    """Return one registered terminal, or None."""
    row = Terminal.objects.filter(protocol=protocol, address=address).values_list(
        "id", "protocol", "address", "password", "report_interval_s"
    ).first()
    return TerminalInfo(*row) if row else None


def register_terminal(protocol: str, address: str, peer: str) -> TerminalInfo:
    """Register a terminal on first contact (``--auto-register``); the region comes from its address.

    SZY206 address mode 1 and SL651 "other" stations start with the 6-digit GB 2260 code of their
    county; when that names a known region it is used, else the deployment's root region.
    """
    region = Region.objects.filter(code=address[:6]).first() or Region.objects.get(
        code=getattr(settings, "CHANGJI_ROOT_REGION", "652300")
    )
    with transaction.atomic():
        terminal, created = Terminal.objects.get_or_create(
            protocol=protocol, address=address,
            defaults={"region": region, "last_peer": peer, "batch": "auto-registered"},
        )
        QuarantinedTerminal.objects.filter(protocol=protocol, address=address).delete()
        if created:
            audit.record("water.terminal.auto_register", actor="gateway", target=terminal, peer=peer)
    return TerminalInfo(terminal.id, protocol, address, terminal.password, terminal.report_interval_s)


def commit_frames(items: list[InboundFrame]) -> list[StoreResult]:
    """Archive ``items`` and store their readings in one transaction; return one result per item."""
    with transaction.atomic():
        frames = Frame.objects.bulk_create([_frame_row(item) for item in items])
        readings = _merge_readings(items, frames)
        if readings:
            _upsert_readings(readings.values())
        _touch_terminals(items)
        _upsert_quarantine(items)
    return [
        StoreResult(frame.pk, item.reading is not None and item.outcome == FrameOutcome.STORED)
        for item, frame in zip(items, frames, strict=True)
    ]


def _frame_row(item: InboundFrame) -> Frame:
    return Frame(
        received_at=item.received_at, peer=item.peer[:64], protocol=item.protocol, address=item.address,
        terminal_id=item.terminal_id, function=item.function, observed_at=item.observed_at, raw=item.raw,
        outcome=item.outcome, error=item.error[:255],
    )


def _merge_readings(items: list[InboundFrame], frames: list[Frame]) -> dict[tuple[int, datetime], dict[str, Any]]:
    """Merge the batch's readings per (terminal, observed_at): later non-empty values win."""
    merged: dict[tuple[int, datetime], dict[str, Any]] = {}
    for item, frame in zip(items, frames, strict=True):
        reading = item.reading
        if reading is None or item.outcome != FrameOutcome.STORED or item.terminal_id is None:
            continue
        key = (item.terminal_id, item.observed_at or item.received_at)
        row = merged.get(key)
        if row is None:
            row = merged[key] = {
                "terminal_id": key[0], "observed_at": key[1], "received_at": item.received_at,
                **dict.fromkeys(CANONICAL_FIELDS), "future_dated": False, "native": {},
            }
        for name in CANONICAL_FIELDS:
            value = getattr(reading, name)
            if value is not None:
                row[name] = value
        row["future_dated"] = row["future_dated"] or item.future_dated
        row["native"].update(reading.native)
        row["frame_id"] = frame.pk
    return merged


def _upsert_sql() -> str:
    table = "water_reading"
    columns = ", ".join(_READING_COLUMNS)
    placeholders = ", ".join(["%s"] * len(_READING_COLUMNS))
    updates = [f"{name} = COALESCE(excluded.{name}, {table}.{name})" for name in CANONICAL_FIELDS]
    updates.append(
        f"future_dated = CASE WHEN excluded.future_dated THEN excluded.future_dated ELSE {table}.future_dated END"
    )
    if connection.vendor == "postgresql":
        updates.append(f"native = {table}.native || excluded.native")
    else:
        updates.append(f"native = json_patch({table}.native, excluded.native)")
    updates.append("frame_id = excluded.frame_id")
    return (
        f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) "
        f"ON CONFLICT (terminal_id, observed_at) DO UPDATE SET {', '.join(updates)}"
    )


def _upsert_readings(rows: Iterable[dict[str, Any]]) -> None:
    ops = connection.ops
    params = []
    for row in rows:
        values = [row[name] for name in _READING_COLUMNS]
        values[1] = ops.adapt_datetimefield_value(row["observed_at"])
        values[2] = ops.adapt_datetimefield_value(row["received_at"])
        values[-2] = json.dumps(row["native"], ensure_ascii=False, default=str)
        params.append(values)
    with connection.cursor() as cursor:
        cursor.executemany(_upsert_sql(), params)


def _touch_terminals(items: list[InboundFrame]) -> None:
    seen: dict[int, tuple[datetime, str]] = {}
    for item in items:
        if item.terminal_id is not None:
            seen[item.terminal_id] = (item.received_at, item.peer[:64])
    if not seen:
        return
    ops = connection.ops
    with connection.cursor() as cursor:
        cursor.executemany(
            "UPDATE water_terminal SET last_seen_at = %s, last_peer = %s WHERE id = %s",
            [(ops.adapt_datetimefield_value(at), peer, tid) for tid, (at, peer) in seen.items()],
        )


def _upsert_quarantine(items: list[InboundFrame]) -> None:
    for item in items:
        if item.outcome != FrameOutcome.QUARANTINED or not item.address:
            continue
        updated = QuarantinedTerminal.objects.filter(protocol=item.protocol, address=item.address).update(
            last_seen_at=item.received_at, last_peer=item.peer[:64], frame_count=F("frame_count") + 1
        )
        if not updated:
            QuarantinedTerminal.objects.create(
                protocol=item.protocol, address=item.address, first_seen_at=item.received_at,
                last_seen_at=item.received_at, last_peer=item.peer[:64], frame_count=1,
            )


def store_snapshot(record: SnapshotRecord) -> None:
    """Write the JPEG to media storage (fsynced) and record it; a repeated picture is stored once."""
    digest = hashlib.sha256(record.jpeg).hexdigest()
    if Snapshot.objects.filter(terminal_id=record.terminal_id, observed_at=record.observed_at, sha256=digest).exists():
        return
    local = timezone.localtime(record.observed_at)
    relative = f"snapshots/{local:%Y/%m}/{record.terminal_id}-{local:%Y%m%d%H%M%S}-{digest[:8]}.jpg"
    path = os.path.join(settings.MEDIA_ROOT, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(record.jpeg)
        handle.flush()
        os.fsync(handle.fileno())
    Snapshot.objects.create(
        terminal_id=record.terminal_id, observed_at=record.observed_at, received_at=record.received_at,
        image=relative, size_bytes=len(record.jpeg), sha256=digest,
    )


def load_open_commands() -> dict[int, list[PendingCommand]]:
    """Expire overdue commands, then return the open ones per terminal, oldest first."""
    now = timezone.now()
    for command in Command.objects.filter(
        state__in=[CommandState.QUEUED, CommandState.SENT], expires_at__lt=now
    ).select_related("terminal__region"):
        finish_command(str(command.pk), CommandState.EXPIRED, now, command.answer or {}, "expired before an answer")
    open_commands: dict[int, list[PendingCommand]] = {}
    for command in Command.objects.filter(state__in=[CommandState.QUEUED, CommandState.SENT]).order_by("created_at"):
        open_commands.setdefault(command.terminal_id, []).append(
            PendingCommand(
                id=str(command.pk), terminal_id=command.terminal_id, kind=command.kind, params=command.params,
                attempts=command.attempts, max_attempts=command.max_attempts,
                last_sent_at=command.last_sent_at, expires_at=command.expires_at,
            )
        )
    return open_commands


def mark_command_sent(command_id: str, at: datetime, frame: bytes) -> None:
    """Count one more delivery attempt and audit it with the frame sent."""
    with transaction.atomic():
        Command.objects.filter(pk=command_id).update(
            state=CommandState.SENT, attempts=F("attempts") + 1, last_sent_at=at
        )
        command = Command.objects.select_related("terminal__region").get(pk=command_id)
        audit.record(
            "water.command.sent", actor="gateway", target=command, region=command.terminal.region,
            attempt=command.attempts, frame=frame.hex().upper(),
        )


def finish_command(command_id: str, state: str, at: datetime, answer: dict[str, Any], error: str = "") -> None:
    """End a command (confirmed, failed or expired) and audit the terminal's answer."""
    with transaction.atomic():
        Command.objects.filter(pk=command_id).update(state=state, finished_at=at, answer=answer, error=error[:255])
        command = Command.objects.select_related("terminal__region").get(pk=command_id)
        audit.record(
            f"water.command.{state}", actor="gateway", target=command, region=command.terminal.region,
            answer=answer, error=error,
        )


def sent_copy(command: PendingCommand, at: datetime) -> PendingCommand:
    """Return the cached command as it is after one more delivery."""
    return replace(command, attempts=command.attempts + 1, last_sent_at=at)
