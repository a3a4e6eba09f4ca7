"""A sink that publishes frames to NATS JetStream instead of writing them to the database.

``changji gateway --via jetstream``: ``store`` publishes the frame (``stream.encode_frame``) with its natural
``Nats-Msg-Id`` and returns once JetStream's PubAck says the stream stored it, so a session acknowledges its
terminal only for a frame the stream holds (file storage); ``changji writer`` processes store it in the
database later (``stream_writer``). A publish that fails or is not answered within ``publish_timeout_s``
(NATS down, the stream full) raises ``SinkUnavailable``: the terminal is not acknowledged and re-sends, and the
re-sent frame has the same id, so a publish that did reach the stream after all is stored once. At most
``max_in_flight`` publishes wait for their PubAck at a time; a frame that cannot get a slot within the timeout
is not acknowledged either (back-pressure). The connection reconnects on its own.

Everything else a session needs stays on the database, read-only or rare, through a ``DatabaseSink`` (the
same code as the direct path): the registered terminals with their protocol profiles (loaded at start and
refreshed when a profile changes, so frames of known terminals keep flowing while the database is away),
auto-registration, the command queue and its deliveries, and reassembled pictures. ``StoreResult.frame_id``
is the frame's stream sequence: an abandoned multi-packet message is published as an abandon message naming
its packets' sequences, and a writer marks those frames.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Any

from nats.aio.client import Client
from nats.js import JetStreamContext

from changji.water.gateway import stream, stream_client
from changji.water.gateway.database_sink import DatabaseSink
from changji.water.gateway.records import (
    FrameOutcome,
    InboundFrame,
    PendingCommand,
    SnapshotRecord,
    StoreResult,
    TerminalInfo,
)
from changji.water.gateway.sink import Sink, SinkUnavailable

log = logging.getLogger("changji.gateway.sink")


class JetStreamSink(Sink):
    """Publish frames to JetStream; acknowledge after the PubAck; look terminals up in the database."""

    def __init__(self, servers: str = stream.DEFAULT_SERVERS, database: DatabaseSink | None = None,
                 max_in_flight: int = 4096, publish_timeout_s: float = 5.0) -> None:
        self.servers = servers
        self.database = database or DatabaseSink()
        self.max_in_flight = max_in_flight
        self.publish_timeout_s = publish_timeout_s
        self._slots = asyncio.Semaphore(max_in_flight)
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._setup: asyncio.Task[None] | None = None
        self.published = 0
        self.failures = 0

    @property
    def generation(self) -> int:
        """The database sink's generation: it reloads the terminals' profiles."""
        return self.database.generation

    @generation.setter
    def generation(self, value: int) -> None:
        self.database.generation = value

    async def start(self) -> None:
        await self.database.start()
        self._slots = asyncio.Semaphore(self.max_in_flight)
        self._setup = asyncio.create_task(self._connect(), name="changji-stream-connect")
        with contextlib.suppress(TimeoutError):  # NATS down at start: serve anyway, acknowledge nothing yet
            await asyncio.wait_for(asyncio.shield(self._setup), 5.0)

    async def _connect(self) -> None:
        """Connect and create or update the stream, retrying until NATS answers (publishes fail until then)."""
        self._nc = await stream_client.connect_when_up(self.servers, "changji-gateway")
        js = self._nc.jetstream(timeout=self.publish_timeout_s)
        while True:
            try:
                await stream_client.set_up(js, consumer=False)
                self._js = js
                return
            except Exception as exc:
                log.warning("could not set up the JetStream stream yet: %s", exc)
                await asyncio.sleep(1.0)

    async def close(self) -> None:
        if self._setup is not None and not self._setup.done():
            self._setup.cancel()
            await asyncio.gather(self._setup, return_exceptions=True)
        if self._nc is not None:
            with contextlib.suppress(Exception):  # every publish was awaited: nothing is left to flush
                await asyncio.wait_for(self._nc.close(), 5)
        await self.database.close()

    async def store(self, inbound: InboundFrame) -> StoreResult:
        seq = await self._publish(stream.FRAME_SUBJECT, stream.encode_frame(inbound), stream.frame_msg_id(inbound))
        stored = inbound.reading is not None and inbound.outcome == FrameOutcome.STORED
        return StoreResult(seq, stored)

    async def _publish(self, subject: str, payload: bytes, msg_id: str) -> int:
        """Publish and return the stream sequence once stored; raise ``SinkUnavailable`` otherwise."""
        if self._js is None:
            raise SinkUnavailable("not connected to JetStream yet")
        try:
            await asyncio.wait_for(self._slots.acquire(), self.publish_timeout_s)
        except TimeoutError as exc:
            self.failures += 1
            raise SinkUnavailable(f"{self.max_in_flight} publishes already wait for JetStream") from exc
        try:
            ack = await self._js.publish(
                subject, payload, timeout=self.publish_timeout_s, stream=stream.STREAM,
                headers={"Nats-Msg-Id": msg_id},
            )
        except Exception as exc:  # NATS down, timed out, stream missing or full: not stored, not acknowledged
            self.failures += 1
            log.debug("publish to JetStream failed: %r", exc)
            raise SinkUnavailable(f"JetStream did not store the frame: {type(exc).__name__}: {exc}") from exc
        finally:
            self._slots.release()
        self.published += 1
        return int(ack.seq)

    async def mark_abandoned(self, frame_ids: list[int], reason: str) -> None:
        abandoned = stream.Abandoned(tuple(frame_ids), reason)
        await self._publish(stream.ABANDON_SUBJECT, stream.encode_abandoned(abandoned), abandoned.msg_id)

    async def terminal(self, protocol: str, address: str) -> TerminalInfo | None:
        return await self.database.terminal(protocol, address)

    async def register(self, protocol: str, address: str, peer: str) -> TerminalInfo:
        return await self.database.register(protocol, address, peer)

    async def store_snapshot(self, snapshot: SnapshotRecord) -> None:
        await self.database.store_snapshot(snapshot)

    def pending_commands(self, terminal_id: int) -> list[PendingCommand]:
        return self.database.pending_commands(terminal_id)

    def pending_command_count(self) -> int:
        return self.database.pending_command_count()

    async def command_sent(self, command: PendingCommand, at: datetime, frame: bytes) -> None:
        await self.database.command_sent(command, at, frame)

    async def command_finished(
        self, command: PendingCommand, state: str, at: datetime, answer: dict[str, Any], error: str = ""
    ) -> None:
        await self.database.command_finished(command, state, at, answer, error)
