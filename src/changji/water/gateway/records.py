"""Plain records passed between the gateway's sessions and its sink (no ORM objects cross)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from changji.water.protocols.reading import Reading


@dataclass(frozen=True, slots=True)
class TerminalInfo:
    """What a session needs to know of a registered terminal."""

    id: int
    protocol: str
    address: str
    password: int = 0
    report_interval_s: int = 300


@dataclass(slots=True)
class InboundFrame:
    """A received frame with what the session made of it, to be archived (and its reading stored)."""

    received_at: datetime
    peer: str
    protocol: str
    raw: bytes
    outcome: str
    address: str = ""
    function: str = ""
    terminal_id: int | None = None
    observed_at: datetime | None = None
    reading: Reading | None = None
    future_dated: bool = False
    error: str = ""


@dataclass(frozen=True, slots=True)
class SnapshotRecord:
    """A reassembled camera picture of a terminal's well."""

    terminal_id: int
    observed_at: datetime
    received_at: datetime
    jpeg: bytes


@dataclass(frozen=True, slots=True)
class PendingCommand:
    """An open command as the gateway sees it."""

    id: str
    terminal_id: int
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    max_attempts: int = 3
    last_sent_at: datetime | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoreResult:
    """What the sink committed for one inbound frame.

    ``rejected`` says why a frame the database refused was archived as rejected instead (its
    reading is not stored, so the frame must not be acknowledged).
    """

    frame_id: int
    stored_reading: bool
    rejected: str = ""
