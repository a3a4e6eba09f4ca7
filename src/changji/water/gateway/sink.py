"""Where the gateway's frames go: the interface the sessions depend on (pure, no Django).

``Sink`` is what a session needs from storage; ``database_sink.DatabaseSink`` implements it over the
database with group commit, ``memory.MemorySink`` in memory for tests and the simulator.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from changji.water.gateway.records import (
    Histogram,
    InboundFrame,
    PendingCommand,
    SnapshotRecord,
    StoreResult,
    TerminalInfo,
)

__pure__ = True  # no Django: tests/test_architecture.py checks it

log = logging.getLogger("changji.gateway.sink")


class SinkUnavailable(Exception):
    """The sink could not make a frame durable; the frame must not be acknowledged."""


class Sink:
    """What a gateway session needs from storage. Subclasses implement every method.

    ``generation`` changes whenever the sink reloaded terminals' profiles: a session re-reads its cached
    ``TerminalInfo`` when the generation it identified its terminal at is not the current one.
    """

    generation: int = 0
    #: Frames per committed transaction and the seconds each commit took (a sink that commits in batches).
    batch_sizes: Histogram | None = None
    commit_s: Histogram | None = None

    async def start(self) -> None:
        """Prepare the sink (open connections, load caches)."""

    async def close(self) -> None:
        """Flush and release resources."""

    async def store(self, inbound: InboundFrame) -> StoreResult:
        """Archive the frame (and store its reading); return once durable, else raise SinkUnavailable."""
        raise NotImplementedError("subclasses of Sink must implement store()")

    async def terminal(self, protocol: str, address: str) -> TerminalInfo | None:
        """Return the registered terminal with this address, or None."""
        raise NotImplementedError("subclasses of Sink must implement terminal()")

    async def register(self, protocol: str, address: str, peer: str) -> TerminalInfo:
        """Register an unknown terminal (``--auto-register``) and return it."""
        raise NotImplementedError("subclasses of Sink must implement register()")

    async def store_snapshot(self, snapshot: SnapshotRecord) -> None:
        """Store a reassembled picture durably."""
        raise NotImplementedError("subclasses of Sink must implement store_snapshot()")

    async def mark_abandoned(self, frame_ids: list[int], reason: str) -> None:
        """Record on archived packets that their multi-packet message was abandoned, and why."""
        raise NotImplementedError("subclasses of Sink must implement mark_abandoned()")

    def pending_commands(self, terminal_id: int) -> list[PendingCommand]:
        """Return the open commands of a terminal (from a cache; must not block)."""
        raise NotImplementedError("subclasses of Sink must implement pending_commands()")

    def pending_command_count(self) -> int:
        """Return how many open commands the sink holds for all terminals (0 for a sink without a queue).

        Read from another thread at scrape time (``gateway.metrics``): it must only read.
        """
        return 0

    async def command_sent(self, command: PendingCommand, at: datetime, frame: bytes) -> None:
        """Record that a command went out (one more attempt)."""
        raise NotImplementedError("subclasses of Sink must implement command_sent()")

    async def command_finished(
        self, command: PendingCommand, state: str, at: datetime, answer: dict[str, Any], error: str = ""
    ) -> None:
        """Record a command's end (confirmed or failed) with the terminal's answer."""
        raise NotImplementedError("subclasses of Sink must implement command_finished()")
