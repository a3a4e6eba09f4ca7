"""The gateway's TCP server: one port for both protocol families, one task per connection."""

from __future__ import annotations

import asyncio
import logging
import signal

from .config import GatewayConfig
from .session import Metrics, TerminalSession
from .sink import Sink

log = logging.getLogger("changji.gateway")


class GatewayServer:
    """Accept terminal connections and run a ``TerminalSession`` for each."""

    def __init__(self, sink: Sink, config: GatewayConfig) -> None:
        self.sink = sink
        self.config = config
        self.metrics = Metrics()
        self._server: asyncio.Server | None = None
        self._sessions: set[asyncio.Task[None]] = set()

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
        )
        log.info("gateway listening on %s:%d", self.config.host, self.port)

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
        try:
            await TerminalSession(reader, writer, self.sink, self.config, self.metrics).run()
        except Exception:  # a session must never take the server down
            log.exception("session failed")
        finally:
            self.metrics.connections_open -= 1
            if task is not None:
                self._sessions.discard(task)

    async def close(self) -> None:
        """Stop listening, end the sessions and flush the sink."""
        if self._server is not None:
            self._server.close()
        for task in list(self._sessions):
            task.cancel()
        await asyncio.gather(*self._sessions, return_exceptions=True)
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
