"""Helpers for gateway tests: a server on an ephemeral port and a terminal-side client."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from changji.water.gateway.config import GatewayConfig
from changji.water.gateway.server import GatewayServer
from changji.water.gateway.sink import Sink
from changji.water.protocols.framing import Framer, RawFrame


@contextlib.asynccontextmanager
async def running_gateway(sink: Sink, **settings) -> AsyncIterator[GatewayServer]:
    """Run a gateway on 127.0.0.1 with an ephemeral port around the block."""
    server = GatewayServer(sink, GatewayConfig(host="127.0.0.1", port=0, **settings))
    await server.start()
    try:
        yield server
    finally:
        await server.close()


class TerminalClient:
    """The terminal side of a TCP connection: send frames, read whole frames back."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.framer = Framer()
        self.inbox: list[bytes] = []

    @classmethod
    async def connect(cls, port: int) -> TerminalClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def send(self, *frames: bytes) -> None:
        self.writer.write(b"".join(frames))
        await self.writer.drain()

    async def receive(self, timeout: float = 2.0) -> bytes | None:
        """Return the next whole frame from the gateway, or None if none comes in ``timeout``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.inbox:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            try:
                chunk = await asyncio.wait_for(self.reader.read(4096), remaining)
            except TimeoutError:
                return None
            if not chunk:
                return None
            self.inbox += [i.data for i in self.framer.feed(chunk) if isinstance(i, RawFrame)]
        return self.inbox.pop(0)

    async def closed_by_gateway(self, timeout: float = 2.0) -> bool:
        try:
            data = await asyncio.wait_for(self.reader.read(65536), timeout)
        except TimeoutError:
            return False
        except ConnectionError:
            return True
        return data == b""

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()
