"""An in-memory sink: the gateway without a database, for tests and for measuring the server alone."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime
from typing import Any

from changji.water.gateway.records import InboundFrame, PendingCommand, SnapshotRecord, StoreResult, TerminalInfo
from changji.water.gateway.sink import Sink, SinkUnavailable

__pure__ = True  # no Django: tests/test_architecture.py checks it


class MemorySink(Sink):
    """Keep frames, readings, snapshots and commands in lists and dicts."""

    def __init__(self, terminals: list[TerminalInfo] | None = None, commit_delay_s: float = 0.0,
                 gate: asyncio.Event | None = None) -> None:
        self.terminals = {(t.protocol, t.address): t for t in terminals or []}
        self.frames: list[InboundFrame] = []
        self.readings: dict[tuple[int, datetime], dict[str, Any]] = {}
        self.snapshots: list[SnapshotRecord] = []
        self.abandoned: list[tuple[list[int], str]] = []
        self.commands: dict[int, list[PendingCommand]] = {}
        self.finished: list[tuple[str, str, dict[str, Any], str]] = []
        self.sent: list[tuple[str, bytes]] = []
        self.commit_delay_s = commit_delay_s
        #: While this event is clear, ``store`` waits: nothing commits, so nothing may be acked.
        self.gate = gate
        self.available = True

    async def store(self, inbound: InboundFrame) -> StoreResult:
        if self.commit_delay_s:
            await asyncio.sleep(self.commit_delay_s)
        if self.gate is not None:
            await self.gate.wait()
        if not self.available:
            raise SinkUnavailable("memory sink switched off")
        self.frames.append(inbound)
        stored = inbound.reading is not None and inbound.outcome == "stored" and inbound.terminal_id is not None
        if stored:
            assert inbound.reading is not None and inbound.terminal_id is not None
            key = (inbound.terminal_id, inbound.observed_at or inbound.received_at)
            row = self.readings.setdefault(key, {})
            for name, value in inbound.reading.canonical().items():
                if value is not None:
                    row[name] = value
        return StoreResult(len(self.frames), stored)

    def set_terminal(self, info: TerminalInfo) -> None:
        """Register or replace a terminal (e.g. a new profile); sessions pick it up at their next frame."""
        self.terminals[(info.protocol, info.address)] = info
        self.generation += 1

    async def terminal(self, protocol: str, address: str) -> TerminalInfo | None:
        return self.terminals.get((protocol, address))

    async def register(self, protocol: str, address: str, peer: str) -> TerminalInfo:
        info = TerminalInfo(len(self.terminals) + 1, protocol, address)
        self.terminals[(protocol, address)] = info
        return info

    async def store_snapshot(self, snapshot: SnapshotRecord) -> None:
        self.snapshots.append(snapshot)

    async def mark_abandoned(self, frame_ids: list[int], reason: str) -> None:
        self.abandoned.append((frame_ids, reason))
        for frame_id in frame_ids:
            frame = self.frames[frame_id - 1]
            frame.outcome, frame.error = "rejected", reason

    def pending_commands(self, terminal_id: int) -> list[PendingCommand]:
        return self.commands.get(terminal_id, [])

    async def command_sent(self, command: PendingCommand, at: datetime, frame: bytes) -> None:
        self.sent.append((command.id, frame))
        updated = replace(command, attempts=command.attempts + 1, last_sent_at=at)
        self.commands[command.terminal_id] = [
            updated if c.id == command.id else c for c in self.commands.get(command.terminal_id, [])
        ]

    async def command_finished(
        self, command: PendingCommand, state: str, at: datetime, answer: dict[str, Any], error: str = ""
    ) -> None:
        self.finished.append((command.id, state, answer, error))
        self.commands[command.terminal_id] = [
            c for c in self.commands.get(command.terminal_id, []) if c.id != command.id
        ]
