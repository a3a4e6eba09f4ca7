"""Where the gateway's frames go: the database sink, the only part of the gateway that touches the database.

``Sink`` is the interface the sessions depend on; ``DatabaseSink`` implements it with group commit
(docs/architecture.md, "Nothing acknowledged is lost"): ``store`` returns only after the transaction holding
the frame (and its reading) has committed, so a session acknowledges a frame only when it is
durable. Throughput comes from committing many frames per transaction, not from acking early.

All database work runs on one dedicated thread with its own connection, so the event loop never
blocks on I/O and transactions never interleave. When the database fails, every waiting ``store``
raises and nothing is acknowledged; the next batch reconnects. When the database answers but
refuses a row, only that frame's ``store`` reports it (``StoreResult.rejected``, or
``SinkUnavailable`` if it could not even be archived): the rest of its batch commits.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from django.db import connection

from changji.water.gateway import storage
from changji.water.gateway.records import (
    Histogram,
    InboundFrame,
    PendingCommand,
    SnapshotRecord,
    StoreResult,
    TerminalInfo,
)
from changji.water.gateway.sink import Sink, SinkUnavailable

log = logging.getLogger("changji.gateway.sink")

#: Frames per group commit (``batch_max`` is 1000) and the seconds a commit takes.
BATCH_SIZE_BOUNDS = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0)
COMMIT_BOUNDS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class DatabaseSink(Sink):
    """The Django-backed sink with group commit on one database thread."""

    def __init__(
        self,
        batch_max: int = 1000,
        batch_linger_s: float = 0.005,
        command_refresh_s: float = 2.0,
        negative_cache_s: float = 30.0,
        media_root: str | None = None,
    ) -> None:
        self.batch_max = batch_max
        self.batch_linger_s = batch_linger_s
        self.command_refresh_s = command_refresh_s
        self.negative_cache_s = negative_cache_s
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="changji-db")
        self._queue: list[tuple[InboundFrame, asyncio.Future[StoreResult]]] = []
        self._wakeup = asyncio.Event()
        self._terminals: dict[tuple[str, str], TerminalInfo] = {}
        self._unknown: dict[tuple[str, str], float] = {}
        self._commands: dict[int, list[PendingCommand]] = {}
        self._stamp: tuple[Any, ...] = ()
        self.generation = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False
        self.batches = 0
        self.committed = 0
        self.failures = 0
        self._batch_sizes = self.batch_sizes = Histogram(BATCH_SIZE_BOUNDS)
        self._commit_s = self.commit_s = Histogram(COMMIT_BOUNDS_S)

    async def _db(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def start(self) -> None:
        self._wakeup = asyncio.Event()
        self._stamp = await self._db(storage.profile_stamp)
        self._terminals = await self._db(storage.load_terminals)
        await self._refresh_commands()
        self._tasks = [
            asyncio.create_task(self._writer(), name="changji-writer"),
            asyncio.create_task(self._command_refresher(), name="changji-commands"),
        ]

    async def close(self) -> None:
        self._closing = True
        self._wakeup.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._queue:
            await self._commit(self._take_batch())
        await self._db(_close_connection)
        self._executor.shutdown(wait=True)

    async def store(self, inbound: InboundFrame) -> StoreResult:
        future: asyncio.Future[StoreResult] = asyncio.get_running_loop().create_future()
        self._queue.append((inbound, future))
        self._wakeup.set()
        return await future

    def _take_batch(self) -> list[tuple[InboundFrame, asyncio.Future[StoreResult]]]:
        batch, self._queue = self._queue[: self.batch_max], self._queue[self.batch_max :]
        return batch

    async def _writer(self) -> None:
        while not self._closing:
            await self._wakeup.wait()
            self._wakeup.clear()
            if len(self._queue) < self.batch_max and self.batch_linger_s:
                await asyncio.sleep(self.batch_linger_s)
            while self._queue:
                await self._commit(self._take_batch())

    async def _commit(self, batch: list[tuple[InboundFrame, asyncio.Future[StoreResult]]]) -> None:
        started = time.perf_counter()
        try:
            results: Sequence[StoreResult | None] = await self._db(
                storage.commit_frames, [item for item, _ in batch]
            )
        except Exception as exc:  # the database is down or refused the batch: ack nothing
            self.failures += 1
            log.error("commit of %d frame(s) failed, none acknowledged: %s", len(batch), exc)
            await self._db(_close_connection)
            for _, future in batch:
                if not future.done():
                    future.set_exception(SinkUnavailable(str(exc)))
            await asyncio.sleep(0.5)  # back off; terminals retransmit what was not acked
            return
        self.batches += 1
        self.committed += len(batch)
        self._batch_sizes.observe(len(batch))
        self._commit_s.observe(time.perf_counter() - started)
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if result is None:
                future.set_exception(SinkUnavailable("the database refused to archive this frame"))
            else:
                future.set_result(result)
        log.debug("committed %d frame(s) in %.1f ms", len(batch), (time.perf_counter() - started) * 1e3)

    async def terminal(self, protocol: str, address: str) -> TerminalInfo | None:
        key = (protocol, address)
        info = self._terminals.get(key)
        if info is not None:
            return info
        if time.monotonic() - self._unknown.get(key, -1e9) < self.negative_cache_s:
            return None
        try:
            info = await self._db(storage.find_terminal, protocol, address)
        except Exception as exc:
            await self._db(_close_connection)
            raise SinkUnavailable(str(exc)) from exc
        if info is None:
            self._unknown[key] = time.monotonic()
        else:
            self._terminals[key] = info
        return info

    async def register(self, protocol: str, address: str, peer: str) -> TerminalInfo:
        info: TerminalInfo = await self._db(storage.register_terminal, protocol, address, peer)
        self._terminals[(protocol, address)] = info
        self._unknown.pop((protocol, address), None)
        return info

    async def store_snapshot(self, snapshot: SnapshotRecord) -> None:
        await self._db(storage.store_snapshot, snapshot)

    async def mark_abandoned(self, frame_ids: list[int], reason: str) -> None:
        await self._db(storage.mark_abandoned, frame_ids, reason)

    def pending_commands(self, terminal_id: int) -> list[PendingCommand]:
        return self._commands.get(terminal_id, [])

    def pending_command_count(self) -> int:
        return sum(len(queue) for queue in list(self._commands.values()))

    async def command_sent(self, command: PendingCommand, at: datetime, frame: bytes) -> None:
        await self._db(storage.mark_command_sent, command.id, at, frame)
        self._replace_command(command, storage.sent_copy(command, at))

    async def command_finished(
        self, command: PendingCommand, state: str, at: datetime, answer: dict[str, Any], error: str = ""
    ) -> None:
        await self._db(storage.finish_command, command.id, state, at, answer, error)
        self._replace_command(command, None)

    def _replace_command(self, command: PendingCommand, new: PendingCommand | None) -> None:
        commands = [c for c in self._commands.get(command.terminal_id, []) if c.id != command.id]
        if new is not None:
            commands.insert(0, new)
        self._commands[command.terminal_id] = commands

    async def _refresh_commands(self) -> None:
        self._commands = await self._db(storage.load_open_commands)

    async def _command_refresher(self) -> None:
        while not self._closing:
            await asyncio.sleep(self.command_refresh_s)
            try:
                await self._refresh_commands()
                await self._refresh_profiles()
            except Exception as exc:  # keep serving frames while the database is away
                log.warning("could not refresh the command queue or the profiles: %s", exc)
                await self._db(_close_connection)

    async def _refresh_profiles(self) -> None:
        """Reload the terminals with their profiles when the profile stamp changed (no restart needed)."""
        stamp = await self._db(storage.profile_stamp)
        if stamp == self._stamp:
            return
        self._terminals = await self._db(storage.load_terminals)
        self._unknown.clear()
        self._stamp = stamp
        self.generation += 1
        log.info("protocol profiles or their assignments changed: %d terminal(s) reloaded", len(self._terminals))


def _close_connection() -> None:
    connection.close()

