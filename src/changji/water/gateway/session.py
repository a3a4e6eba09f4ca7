"""One terminal connection: framing, decoding, acknowledgement after commit, commands.

The rules of a session (issues 3 and 12):

* a frame is acknowledged only after the sink has committed it (and its reading); a frame the
  database refused (archived as rejected) is not acknowledged;
* a bad frame (CRC, undecodable) is logged, counted and archived, and the connection survives;
  so does any error after decoding (a time label out of range in ``to_reading``, a multi-packet
  limit, a failing ack): the frame is archived with its outcome and the error, and not answered;
* a peer that floods frames, whose garbage outweighs its valid frames (``guard``), or that stays
  silent past the idle timeout is cut off;
* incomplete multi-packet messages are capped per connection and in total and expire; the
  archived packets of an abandoned message are marked rejected with the reason, once;
* frames of unregistered terminals are archived as quarantined and never acknowledged;
* after each uplink, the terminal's oldest open command is delivered (dial-in terminals listen
  right after they report), and a matching answer confirms or fails it; not while a multi-packet
  message (a picture) is still arriving, which a picture query's resend would interrupt;
* each terminal is decoded and answered with the options of its own protocol profile (``TerminalInfo.options``,
  else the deployment's): an SZY206 frame's address is read before decoding (it does not depend on the options),
  an SL651 frame decodes without options; a profile changed in the database reaches the connection at its
  next frame (the sink's ``generation``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta
from typing import Any

from changji.water.gateway import commands
from changji.water.gateway.config import GatewayConfig
from changji.water.gateway.guard import TrafficGuard
from changji.water.gateway.records import FrameOutcome, InboundFrame, Metrics, TerminalInfo
from changji.water.gateway.sink import Sink, SinkUnavailable
from changji.water.gateway.uplinks import Archived, UplinkHandling
from changji.water.protocols import sl651, szy206
from changji.water.protocols.errors import ProtocolError
from changji.water.protocols.framing import Framer, RawFrame, Rejected
from changji.water.protocols.reassembly import MemoryBudget

__pure__ = True  # no Django: tests/test_architecture.py checks it

log = logging.getLogger("changji.gateway")

class TerminalSession(UplinkHandling):
    """Serve one TCP connection until the peer leaves or is cut off."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        sink: Sink,
        config: GatewayConfig,
        metrics: Metrics,
        budget: MemoryBudget | None = None,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.sink = sink
        self.config = config
        self.metrics = metrics
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        self.framer = Framer(config.max_frame_bytes)
        self.terminal: TerminalInfo | None = None
        self.generation = 0  # the sink's generation when ``terminal`` was looked up (profiles reloaded since?)
        self.centre = 0
        self.multipacket = False  # set once a multi-packet frame arrives: only then is there any to expire
        self.last_activity = asyncio.get_running_loop().time()
        self.read_at = time.perf_counter()  # when the last chunk was read: the start of its frames' ack latency
        self.guard = TrafficGuard(config, self.last_activity)
        self.sl651_parts = sl651.Sl651Reassembler(
            max_bytes=config.multipacket_max_bytes, max_idle_s=config.multipacket_max_idle_s, budget=budget
        )
        self.szy206_parts = szy206.Szy206Reassembler(
            max_bytes=config.multipacket_max_bytes, max_idle_s=config.multipacket_max_idle_s, budget=budget
        )
        self._background: set[asyncio.Task[Any]] = set()
        self.close_reason = ""

    def close_if_idle(self, now: float) -> bool:
        """Close the connection when the peer has been silent past the idle timeout (server reaper)."""
        if now - self.last_activity < self.config.idle_timeout_s or self.close_reason:
            return False
        self.close_reason = "idle timeout"
        self.writer.close()
        return True

    async def run(self) -> None:
        """Read, frame and answer until the connection ends."""
        try:
            while not self.close_reason:
                chunk = await self.reader.read(65536)
                self.read_at = time.perf_counter()
                self.last_activity = asyncio.get_running_loop().time()
                if not chunk:
                    self.close_reason = "closed by peer"
                    break
                await self._process(self.framer.feed(chunk))
        except (ConnectionError, TimeoutError, OSError) as exc:
            self.close_reason = self.close_reason or f"connection error: {exc}"
        finally:
            for item in self.framer.flush():
                self._count_rejected(item)
            self.sl651_parts.close()
            self.szy206_parts.close()
            self._report_abandoned()
            if self._background:
                await asyncio.gather(*self._background, return_exceptions=True)
            self.writer.close()
            log.debug("%s closed: %s", self.peer, self.close_reason)

    async def _process(self, items: list[RawFrame | Rejected]) -> None:
        frames: list[RawFrame] = []
        bad_crc: list[Rejected] = []
        valid_bytes = garbage_bytes = 0
        for item in items:
            if isinstance(item, RawFrame):
                frames.append(item)
                valid_bytes += len(item.data)
                continue
            self._count_rejected(item)
            garbage_bytes += len(item.data)
            if _crc_failed(item):
                bad_crc.append(item)
        self.metrics.frames += len(frames)
        now = asyncio.get_running_loop().time()
        verdict = self.guard.observe(now, len(frames) + len(bad_crc), valid_bytes, garbage_bytes)
        if verdict:
            self._cut_off(verdict)
            return
        for item in bad_crc:
            self._archive(InboundFrame(self._now(), self.peer, "", item.data, FrameOutcome.REJECTED, error=item.reason))
        if frames:
            await self._answer(frames)
        if self.multipacket:
            self.expire_messages(now)

    async def _answer(self, frames: list[RawFrame]) -> None:
        """Handle the frames of one read, send their acks, then deliver a waiting command."""
        if len(frames) == 1:  # the usual case: no task per frame
            try:
                replies: list[Any] = [await self._handle(frames[0])]
            except Exception as exc:
                replies = [exc]
        else:
            replies = await asyncio.gather(*(self._handle(frame) for frame in frames), return_exceptions=True)
        acked = 0
        for reply in replies:
            if isinstance(reply, SinkUnavailable):
                self.metrics.not_acked_sink_down += 1
            elif isinstance(reply, BaseException):
                log.error("%s: frame handling failed: %r", self.peer, reply)
            elif reply and self._send(reply):
                acked += 1
        if acked:
            self.metrics.acked += acked
            self.metrics.ack_latency_s.observe(time.perf_counter() - self.read_at, acked)
        await self._drain()
        if self.terminal is not None and not self.close_reason:
            try:
                await self._deliver_commands()
            except Exception as exc:  # the command stays queued; the connection lives on
                log.warning("%s: command delivery failed: %r", self.peer, exc)

    def expire_messages(self, now: float) -> None:
        """Abandon incomplete multi-packet messages idle for too long (also called by the server)."""
        self.sl651_parts.expire(now)
        self.szy206_parts.expire(now)
        self._report_abandoned()

    def _report_abandoned(self) -> None:
        """Count and log abandoned messages; mark their archived packets rejected with the reason."""
        for parts in (self.sl651_parts, self.szy206_parts):
            for gone in parts.take_abandoned():
                self.metrics.messages_abandoned += 1
                reason = f"multi-packet message abandoned with {gone.packets} of {gone.total} packets: {gone.reason}"
                log.info("%s: %s %s %s", self.peer, gone.key[0], f"{gone.key[1]:02X}", reason)
                tags = [tag for tag in gone.tags if isinstance(tag, Archived)]
                if tags:
                    self._background_task(self._mark_abandoned(tags, reason))

    async def _mark_abandoned(self, tags: list[Archived], reason: str) -> None:
        ids = [frame_id for frame_id in await asyncio.gather(*(tag.frame_id for tag in tags)) if frame_id]
        if ids:
            await self.sink.mark_abandoned(ids, reason)

    def _count_rejected(self, item: Rejected) -> None:
        if _crc_failed(item):
            self.metrics.rejected += 1
            log.warning("%s: %s: %s", self.peer, item.reason, item.data[:64].hex().upper())
        else:
            self.metrics.garbage_bytes += len(item.data)
            log.info("%s: %s", self.peer, item.reason)

    def _cut_off(self, reason: str) -> None:
        self.close_reason = f"cut off: {reason}"
        self.metrics.cut_off += 1
        log.warning("%s %s", self.peer, self.close_reason)

    def _send(self, data: bytes) -> bool:
        """Write to the peer unless the connection is already closing (peer gone, or shutdown).

        A frame committed but not acknowledged this way is re-sent by its terminal and stored once.
        """
        if self.writer.is_closing():
            return False
        self.writer.write(data)
        return True

    async def _drain(self) -> None:
        """Wait (at most the write timeout) until the peer has taken what was written.

        An ack usually leaves at once (the transport's buffer is empty): then there is nothing to wait
        for, and no timeout task is made per frame.
        """
        if not self.writer.transport.get_write_buffer_size():
            return
        try:
            await asyncio.wait_for(self.writer.drain(), self.config.write_timeout_s)
        except TimeoutError:
            self._cut_off("peer does not read (write timeout)")

    def _archive(self, inbound: InboundFrame) -> None:
        """Archive a frame that is not acknowledged, without holding up the connection."""
        self.metrics.count_outcome(inbound.outcome)
        self._background_task(self.sink.store(inbound))

    def _background_task(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._archived)

    def _archived(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("%s: background database work failed: %s", self.peer, task.exception())

    def _cached(self, protocol: str, address: str) -> TerminalInfo | None:
        """Return the connection's terminal when it is this one and its profile is still current."""
        terminal = self.terminal
        if (terminal is not None and terminal.address == address and terminal.protocol == protocol
                and self.generation == self.sink.generation):
            return terminal
        return None

    async def _lookup(self, protocol: str, address: str) -> TerminalInfo | None:
        """Return the registered terminal (never registers it): the connection's own one without a lookup."""
        return self._cached(protocol, address) or await self.sink.terminal(protocol, address)

    async def _identify(self, protocol: str, address: str) -> TerminalInfo | None:
        cached = self._cached(protocol, address)
        if cached is not None:
            return cached
        generation = self.sink.generation
        info = await self.sink.terminal(protocol, address)
        if info is None and self.config.auto_register:
            info = await self.sink.register(protocol, address, self.peer)
            log.info("%s: registered %s terminal %s on first contact", self.peer, protocol, address)
        if info is not None:
            self.terminal, self.generation = info, generation
        return info

    # -- commands ----------------------------------------------------------------------------------

    def _check_answers(self, protocol: str, frame: Any, received_at: datetime) -> None:
        """Confirm or fail the command this frame answers (a failure here never stops the frame)."""
        assert self.terminal is not None
        for command in self.sink.pending_commands(self.terminal.id):
            if command.last_sent_at is None:
                continue
            try:
                outcome = commands.answer_outcome(command, protocol, frame)
            except Exception:
                log.exception("%s: could not match an answer to command %s", self.peer, command.id)
                continue
            if outcome is not None:
                state, answer = outcome
                self._background_task(self.sink.command_finished(command, state, received_at, answer))
                return

    async def _deliver_commands(self) -> None:
        assert self.terminal is not None
        pending = self.sink.pending_commands(self.terminal.id)
        if not pending or self.sl651_parts.pending or self.szy206_parts.pending:
            return  # nothing to send, or a multi-packet message (a picture) is still arriving: not interrupted
        command = pending[0]
        now = self._now()
        timeout = timedelta(seconds=self.config.command_answer_timeout_s)
        if command.last_sent_at is not None and now - command.last_sent_at < timeout:
            return  # waiting for the answer to the last attempt
        if command.attempts >= command.max_attempts:
            await self.sink.command_finished(
                command, "failed", now, {}, f"no answer after {command.attempts} attempt(s)"
            )
            return
        try:
            frame = commands.encode_command(self.terminal, command, now, self.centre)
        except (commands.UnsupportedCommand, ProtocolError) as exc:
            await self.sink.command_finished(command, "failed", now, {}, str(exc))
            return
        if not self._send(frame):
            return
        await self._drain()
        self.metrics.commands_sent += 1
        await self.sink.command_sent(command, now, frame)
        log.info("%s: sent %s to %s (attempt %d)", self.peer, command.kind, self.terminal.address,
                 command.attempts + 1)


def _crc_failed(item: Rejected) -> bool:
    """Return whether the framer rejected a whole frame for its CRC (archived), not stray bytes."""
    return item.reason.startswith(("sl651 CRC", "szy206 CRC"))
