"""``changji writer``: take frames from the JetStream stream and store them, then acknowledge the stream.

A writer fetches up to ``batch`` messages from the durable pull consumer ``writers`` (several writer
processes share it: JetStream hands each message to one of them), stores them in one transaction on its
database thread (``stream_storage``, exactly once even when a message is delivered again), and only after
the commit acknowledges them. A writer killed before its acks arrive loses nothing: JetStream delivers the
unacknowledged messages again after ``stream.ACK_WAIT_S``. When the database fails, nothing is acknowledged
and the batch is fetched again after a pause. A message that is not a frame is terminated (logged), never
retried forever.

On SQLite one writer works at a time: a writer first takes an exclusive lock on a file beside the database
(``flock``), so a second writer waits as a standby, and takes over when the first one ends or is killed
(the kernel releases the lock), instead of the two fighting over SQLite's write lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.db import connection
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError

from changji.water.gateway import stream, stream_client, stream_storage

log = logging.getLogger("changji.gateway.writer")

#: How often an abandon message is retried while its packets are not archived yet (another writer has them).
ABANDON_RETRIES = 20


@dataclass
class WriterCounters:
    """What one writer process did (logged now and then)."""

    batches: int = 0
    stored: int = 0
    redelivered: int = 0
    failures: int = 0


class StreamWriter:
    """One writer process: fetch, store, acknowledge; until ``stop`` is set."""

    def __init__(self, servers: str = stream.DEFAULT_SERVERS, batch: int = 500, fetch_timeout_s: float = 1.0,
                 ack_wait_s: float = stream.ACK_WAIT_S) -> None:
        self.servers = servers
        self.ack_wait_s = ack_wait_s
        self.batch = batch
        self.fetch_timeout_s = fetch_timeout_s
        self.counters = WriterCounters()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="changji-writer-db")

    async def _db(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until ``stop`` is set."""
        connecting = asyncio.ensure_future(stream_client.connect_when_up(self.servers, "changji-writer"))
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait([connecting, stopped], return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if not connecting.done():  # stopped before NATS ever answered
            connecting.cancel()
            await asyncio.gather(connecting, return_exceptions=True)
            return
        nc = connecting.result()
        js = nc.jetstream(timeout=5.0)
        while not stop.is_set():
            try:
                await stream_client.set_up(js, ack_wait_s=self.ack_wait_s)
                subscription = await js.pull_subscribe_bind(durable=stream.CONSUMER, stream=stream.STREAM)
                break
            except Exception as exc:
                log.warning("JetStream not ready yet: %s", exc)
                await asyncio.sleep(1.0)
        else:
            await nc.close()
            return
        log.info("writer consuming %s from %s", stream.STREAM, self.servers)
        try:
            while not stop.is_set():
                try:
                    messages = await subscription.fetch(self.batch, timeout=self.fetch_timeout_s)
                except (NatsTimeoutError, TimeoutError):
                    continue
                except Exception as exc:  # disconnected: the client reconnects on its own
                    log.warning("fetch failed: %r", exc)
                    await asyncio.sleep(0.25)
                    continue
                await self._process(messages)
        finally:
            with contextlib.suppress(Exception):  # the acks sent last go out before the connection closes
                await nc.flush(timeout=2)
            with contextlib.suppress(Exception):  # NATS gone: closing must not wait for it
                await asyncio.wait_for(nc.close(), 5)
            await self._db(_close_connection)
            self._executor.shutdown(wait=True)

    async def _process(self, messages: list[Msg]) -> None:
        frames, abandons = [], []
        for message in messages:
            try:
                if message.subject == stream.ABANDON_SUBJECT:
                    abandons.append((message, stream.decode_abandoned(message.data)))
                else:
                    frames.append((message, stream.decode_frame(message.data)))
            except Exception as exc:
                log.error("message %s on %s is not a frame, dropped: %r", _seq(message), message.subject, exc)
                await message.term()
        if frames:
            await self._store(frames)
        for message, abandoned in abandons:
            await self._abandon(message, abandoned)

    async def _store(self, frames: list[tuple[Msg, Any]]) -> None:
        started = time.perf_counter()
        entries = [(_seq(message), item) for message, item in frames]
        try:
            verdicts: list[bool] = await self._db(stream_storage.store_stream_frames, entries)
        except Exception as exc:  # database down, or another writer stored a redelivered frame meanwhile
            self.counters.failures += 1
            log.error("storing %d frame(s) failed, none acknowledged: %s", len(frames), exc)
            await self._db(_close_connection)
            for message, _ in frames:
                await message.nak(delay=1.0)
            await asyncio.sleep(0.5)
            return
        self.counters.batches += 1
        for (message, _), stored in zip(frames, verdicts, strict=True):
            if message.metadata.num_delivered > 1:
                self.counters.redelivered += 1
            if stored:
                self.counters.stored += 1
                await message.ack()
            else:
                await message.nak(delay=5.0)
        log.debug("stored %d frame(s) in %.1f ms", len(frames), (time.perf_counter() - started) * 1e3)

    async def _abandon(self, message: Msg, abandoned: stream.Abandoned) -> None:
        try:
            found = await self._db(stream_storage.mark_abandoned, abandoned)
        except Exception as exc:
            log.error("could not mark an abandoned message: %s", exc)
            await self._db(_close_connection)
            await message.nak(delay=1.0)
            return
        if found < len(abandoned.stream_seqs) and message.metadata.num_delivered < ABANDON_RETRIES:
            await message.nak(delay=1.0)  # some packets are still with another writer
        else:
            await message.ack()


def _close_connection() -> None:
    connection.close()  # on the database thread: ``connection`` is per thread


def _seq(message: Msg) -> int:
    return int(message.metadata.sequence.stream)


@contextlib.contextmanager
def sqlite_writer_lock(database_path: str, stop: asyncio.Event | None = None) -> Iterator[None]:
    """Hold the exclusive writer lock of a SQLite database; wait (as a standby) while another writer holds it."""
    with open(f"{database_path}.writer-lock", "a+b") as handle:
        waiting_logged = False
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waiting_logged:
                    log.warning("another writer stores into %s; standing by", database_path)
                    waiting_logged = True
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def run_writer(servers: str, batch: int, ack_wait_s: float = stream.ACK_WAIT_S) -> None:
    """Run one writer until SIGINT or SIGTERM (on SQLite, once it holds the writer lock)."""
    import signal  # deferred: only the writer process installs signal handlers

    from changji.water.gateway.server import run_event_loop  # deferred: uvloop loads in the serving process

    writer = StreamWriter(servers, batch, ack_wait_s=ack_wait_s)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        status = asyncio.create_task(_log_status(writer, stop))
        await writer.run(stop)
        status.cancel()

    if connection.vendor == "sqlite":
        with sqlite_writer_lock(str(connection.settings_dict["NAME"])):
            run_event_loop(main())
    else:
        run_event_loop(main())


async def _log_status(writer: StreamWriter, stop: asyncio.Event, every_s: float = 60.0) -> None:
    while not stop.is_set():
        await asyncio.sleep(every_s)
        log.info("writer status %s", writer.counters)
