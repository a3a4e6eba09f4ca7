"""Closed-loop report load over TCP: many terminals, each sending a report and waiting for its ack.

Used by ``benchmarks/ingest.py`` and the gateway fault tests. Each terminal behaves as field
terminals do: it sends one report, waits for the acknowledgement, and re-sends the same report when
none comes (so a frame that was not acknowledged is never counted as delivered). Extraction wells
send SZY206 C0 flow reports; monitoring wells (fleet addresses ``xxxxxx8xxx``) SL651 32H reports.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from changji.water.protocols import sl651, szy206
from changji.water.protocols.bcd import CST

__pure__ = True  # no Django: tests/test_architecture.py checks it


def report_frame(address: str, observed_at: datetime, options: Any = None) -> bytes:
    """Return the report a fleet terminal sends for ``observed_at`` (label delay 0: no time check).

    ``options`` are the codec options of the terminal's profile (``sim.profiles``); None = the defaults.
    """
    if address[6] == "8":
        tt = observed_at.astimezone(CST).replace(second=0, microsecond=0)
        return sl651.encode_sl651(sl651.Sl651Frame(
            encoding="hex", direction="up", centre=1, station=address, password=0, function=0x32, start=0x02,
            end=0x03, packet_total=None, packet_seq=None, serial=1, sent_at=tt, station_type="G",
            observed_at=tt, elements=(sl651.Element("H", 12.34, 0x1A, tt), sl651.Element("VT", 12.9, 0x12, tt)),
            payload=b"",
        ))
    options = options or szy206.Szy206Options()
    label = szy206.TimeLabel.from_datetime(observed_at, 0, options.time_label_length or 5)
    values = {"flow": [42.5], "flow_unit": ["m3/h"], "volume_m3": [int(observed_at.timestamp()) % 10**8]}
    return szy206.encode_self_report(address, 0x3, values, label, status_word=0x20, options=options)


@dataclass
class LoadResult:
    acked: list[tuple[str, datetime]] = field(default_factory=list)
    latencies_s: list[float] = field(default_factory=list)
    retransmissions: int = 0
    reconnects: int = 0
    failed_connects: int = 0


class ReportLoad:
    """A fleet of terminal connections to one gateway port."""

    def __init__(self, addresses: list[str], port: int, host: str = "127.0.0.1", ack_timeout_s: float = 30.0,
                 options: dict[str, Any] | None = None) -> None:
        self.addresses = addresses
        #: Each terminal's codec options by address (its profile); a missing one encodes with the defaults.
        self.options = options or {}
        self.host = host
        self.port = port
        self.ack_timeout_s = ack_timeout_s
        self.connections: dict[int, tuple[asyncio.StreamReader, asyncio.StreamWriter]] = {}
        self.result = LoadResult()
        self.slot = 0

    async def connect_all(self, batch: int = 500) -> None:
        """Open one connection per terminal, ``batch`` at a time."""
        for start in range(0, len(self.addresses), batch):
            indexes = range(start, min(start + batch, len(self.addresses)))
            opened = await asyncio.gather(
                *(asyncio.open_connection(self.host, self.port) for _ in indexes), return_exceptions=True
            )
            for index, result in zip(indexes, opened, strict=True):
                if isinstance(result, BaseException):
                    self.result.failed_connects += 1
                else:
                    self.connections[index] = result

    async def held(self, settle_s: float = 2.0) -> int:
        """Return how many connections are still open after ``settle_s``."""
        await asyncio.sleep(settle_s)
        return sum(not w.is_closing() and not r.at_eof() for r, w in self.connections.values())

    async def _reconnect(self, index: int) -> bool:
        try:
            self.connections[index] = await asyncio.open_connection(self.host, self.port)
        except OSError:
            return False
        self.result.reconnects += 1
        return True

    async def report(self, index: int, observed_at: datetime, deadline: float | None = None,
                     stop: asyncio.Event | None = None) -> bool:
        """Send one report until acked (or ``deadline`` on the loop clock passes, or ``stop`` is set); return acked."""
        address = self.addresses[index]
        frame = report_frame(address, observed_at, self.options.get(address))
        loop = asyncio.get_running_loop()
        first = True
        while (deadline is None or loop.time() < deadline) and not (stop is not None and stop.is_set()):
            if not first:
                self.result.retransmissions += 1
            first = False
            if index not in self.connections and not await self._reconnect(index):
                await asyncio.sleep(0.2)
                continue
            reader, writer = self.connections[index]
            sent = time.perf_counter()
            try:
                writer.write(frame)
                ack = await asyncio.wait_for(reader.read(64), self.ack_timeout_s)
            except (TimeoutError, OSError):
                ack = b""
            if ack:
                self.result.latencies_s.append(time.perf_counter() - sent)
                self.result.acked.append((address, observed_at.replace(second=0, microsecond=0)))
                return True
            writer.close()
            self.connections.pop(index, None)
        return False

    async def saturate(self, reports_each: int, base: datetime) -> float:
        """Every terminal sends ``reports_each`` reports back to back; return the elapsed seconds."""

        async def terminal(index: int) -> None:
            for k in range(reports_each):
                await self.report(index, base - timedelta(minutes=5 * (self.slot + k)))

        started = time.perf_counter()
        await asyncio.gather(*(terminal(i) for i in list(self.connections)))
        self.slot += reports_each
        return time.perf_counter() - started

    async def run_until(self, stop: asyncio.Event, base: datetime) -> None:
        """Every terminal keeps reporting (re-sending what is not acknowledged) until ``stop`` is set."""

        async def terminal(index: int) -> None:
            k = 0
            while not stop.is_set():
                await self.report(index, base - timedelta(minutes=5 * (self.slot + k)), stop=stop)
                k += 1

        await asyncio.gather(*(terminal(i) for i in list(self.connections)))

    async def steady(self, rate_per_s: float, seconds: float, base: datetime) -> None:
        """Send ``rate_per_s`` reports a second round-robin over the terminals for ``seconds``."""
        order = list(self.connections)
        random.Random(7).shuffle(order)
        start = time.perf_counter()
        tasks = []
        for n in range(int(rate_per_s * seconds)):
            await asyncio.sleep(max(0.0, start + n / rate_per_s - time.perf_counter()))
            observed = base - timedelta(minutes=5 * (self.slot + n // len(order)))
            tasks.append(asyncio.create_task(self.report(order[n % len(order)], observed)))
        await asyncio.gather(*tasks)
        self.slot += int(rate_per_s * seconds) // len(order) + 1

    def close(self) -> None:
        for _, writer in self.connections.values():
            writer.close()
