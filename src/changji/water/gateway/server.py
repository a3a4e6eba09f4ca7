"""The gateway's TCP server: one port for both protocol families, one task per connection.

The server holds what its connections share: the connection cap (``max_connections``), the idle
reaper (which also expires incomplete multi-packet messages) and the memory budget of every
connection's incomplete multi-packet messages (``multipacket_total_bytes``).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Coroutine
from typing import Any

from changji.water.gateway.config import GatewayConfig
from changji.water.gateway.records import Metrics
from changji.water.gateway.session import TerminalSession
from changji.water.gateway.sink import Sink
from changji.water.protocols.reassembly import MemoryBudget

__pure__ = True  # no Django: tests/test_architecture.py checks it

log = logging.getLogger("changji.gateway")


class GatewayServer:
    """Accept terminal connections and run a ``TerminalSession`` for each."""

    def __init__(self, sink: Sink, config: GatewayConfig) -> None:
        self.sink = sink
        self.config = config
        self.metrics = Metrics()
        self.multipacket_budget = MemoryBudget(config.multipacket_total_bytes)
        self._server: asyncio.Server | None = None
        self._sessions: set[asyncio.Task[None]] = set()
        self._live: set[TerminalSession] = set()
        self._reaper: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """Return the bound port (useful when configured with port 0)."""
        assert self._server is not None and self._server.sockets
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        """Start the sink, then listen."""
        await self.sink.start()
        self._server = await asyncio.start_server(
            self._accept, self.config.host, self.config.port, backlog=4096, limit=self.config.max_frame_bytes,
            reuse_port=self.config.reuse_port or None,
        )
        self._reaper = asyncio.create_task(self._reap_idle())
        log.info("gateway listening on %s:%d", self.config.host, self.port)

    async def _reap_idle(self) -> None:
        """Close connections silent past the idle timeout and expire their idle multi-packet messages.

        One timer serves all connections, not one per read.
        """
        shortest = min(self.config.idle_timeout_s, self.config.multipacket_max_idle_s)
        period = max(0.05, min(shortest / 4, 30.0))
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(period)
            now = loop.time()
            for session in list(self._live):
                if not session.close_if_idle(now):
                    session.expire_messages(now)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.metrics.connections_open >= self.config.max_connections:
            self.metrics.connections_refused += 1
            writer.close()
            return
        self.metrics.connections_open += 1
        self.metrics.connections_total += 1
        task = asyncio.current_task()
        if task is not None:
            self._sessions.add(task)
        session = TerminalSession(reader, writer, self.sink, self.config, self.metrics, self.multipacket_budget)
        self._live.add(session)
        try:
            await session.run()
        except Exception:  # a session must never take the server down
            log.exception("session failed")
        finally:
            self._live.discard(session)
            self.metrics.connections_open -= 1
            if task is not None:
                self._sessions.discard(task)

    async def close(self) -> None:
        """Stop listening, end the sessions and flush the sink."""
        if self._server is not None:
            self._server.close()
        if self._reaper is not None:
            self._reaper.cancel()
        # Close the connections rather than cancel the sessions: each session then ends its read
        # loop normally, waits for what it is archiving, and the stream machinery sees no
        # cancelled task (asyncio 3.11 logs one as an error).
        for session in list(self._live):
            session.close_reason = session.close_reason or "gateway shutting down"
            session.writer.close()
        if self._sessions:
            await asyncio.wait(list(self._sessions), timeout=10)
        if self._server is not None:
            await self._server.wait_closed()
        await self.sink.close()

    async def serve_until_signalled(self, status_every_s: float = 60.0) -> None:
        """Serve until SIGINT or SIGTERM, logging the counters now and then."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await self.start()
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), status_every_s)
            except TimeoutError:
                log.info("status %s", self.metrics)
        await self.close()


def run_event_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main`` on uvloop (libuv, about twice the socket throughput of the stdlib loop)."""
    import uvloop  # deferred: uvloop is loaded only by the process that runs the loop

    uvloop.run(main)
