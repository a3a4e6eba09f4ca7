"""One terminal connection: framing, decoding, acknowledgement after commit, commands.

The rules of a session (issue 3):

* a frame is acknowledged only after the sink has committed it (and its reading);
* a bad frame (CRC, undecodable) is logged, counted and archived, and the connection survives;
* a peer that sends only garbage, floods frames, or stays silent past the idle timeout is cut off;
* frames of unregistered terminals are archived as quarantined and never acknowledged;
* after each uplink, the terminal's oldest open command is delivered (dial-in terminals listen
  right after they report), and a matching answer confirms or fails it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from changji.water.models.frames import FrameOutcome
from changji.water.protocols import sl651, szy206
from changji.water.protocols.errors import ProtocolError
from changji.water.protocols.framing import SL651, Framer, RawFrame, Rejected

from . import commands
from .config import GatewayConfig
from .records import InboundFrame, SnapshotRecord, TerminalInfo
from .sink import Sink, SinkUnavailable

log = logging.getLogger("changji.gateway")

_SZY206_IMAGE_AFNS = (0x61, 0x83)


@dataclass
class Metrics:
    """Counters of one gateway process (read by the benchmark and the status log)."""

    connections_open: int = 0
    connections_total: int = 0
    connections_refused: int = 0
    frames: int = 0
    acked: int = 0
    rejected: int = 0
    undecodable: int = 0
    quarantined: int = 0
    garbage_bytes: int = 0
    cut_off: int = 0
    not_acked_sink_down: int = 0
    commands_sent: int = 0


class TerminalSession:
    """Serve one TCP connection until the peer leaves or is cut off."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        sink: Sink,
        config: GatewayConfig,
        metrics: Metrics,
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
        self.centre = 0
        self.valid_frames = 0
        self.garbage_bytes = 0
        self.recent: deque[float] = deque()
        self.sl651_parts = sl651.Sl651Reassembler()
        self.szy206_parts = szy206.Szy206Reassembler()
        self._background: set[asyncio.Task[Any]] = set()
        self.close_reason = ""
        self.last_activity = asyncio.get_running_loop().time()

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
            if self._background:
                await asyncio.gather(*self._background, return_exceptions=True)
            self.writer.close()
            log.debug("%s closed: %s", self.peer, self.close_reason)

    async def _process(self, items: list[RawFrame | Rejected]) -> None:
        frames: list[RawFrame] = []
        for item in items:
            if isinstance(item, Rejected):
                self._count_rejected(item)
                if item.reason.startswith(("sl651 CRC", "szy206 CRC")):
                    self._archive(InboundFrame(self._now(), self.peer, "", item.data, FrameOutcome.REJECTED,
                                               error=item.reason))
                continue
            frames.append(item)
        self.valid_frames += len(frames)
        self.metrics.frames += len(frames)
        if self._flooding(len(frames)):
            self._cut_off(f"flood: more than {self.config.max_frames_per_s:g} frames/s")
            return
        if self.garbage_bytes >= self.config.garbage_limit_bytes and not self.valid_frames:
            self._cut_off(f"{self.garbage_bytes} bytes of garbage and no valid frame")
            return
        if not frames:
            return
        if len(frames) == 1:  # the usual case: no task per frame
            try:
                replies: list[Any] = [await self._handle(frames[0])]
            except Exception as exc:
                replies = [exc]
        else:
            replies = await asyncio.gather(*(self._handle(frame) for frame in frames), return_exceptions=True)
        for reply in replies:
            if isinstance(reply, SinkUnavailable):
                self.metrics.not_acked_sink_down += 1
            elif isinstance(reply, BaseException):
                log.error("%s: frame handling failed: %r", self.peer, reply)
            elif reply and self._send(reply):
                self.metrics.acked += 1
        await self._drain()
        if self.terminal is not None:
            await self._deliver_commands()

    def _count_rejected(self, item: Rejected) -> None:
        if item.reason.startswith(("sl651 CRC", "szy206 CRC")):
            self.metrics.rejected += 1
            log.warning("%s: %s: %s", self.peer, item.reason, item.data[:64].hex().upper())
        else:
            self.garbage_bytes += len(item.data)
            self.metrics.garbage_bytes += len(item.data)
            log.info("%s: %s", self.peer, item.reason)

    def _flooding(self, count: int) -> bool:
        now = asyncio.get_running_loop().time()
        self.recent.extend([now] * count)
        while self.recent and now - self.recent[0] > 10.0:
            self.recent.popleft()
        return len(self.recent) > self.config.max_frames_per_s * 10

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
        try:
            await asyncio.wait_for(self.writer.drain(), self.config.write_timeout_s)
        except TimeoutError:
            self._cut_off("peer does not read (write timeout)")

    @staticmethod
    def _now() -> datetime:
        return datetime.now(UTC)

    def _archive(self, inbound: InboundFrame) -> None:
        """Archive a frame that is not acknowledged, without holding up the connection."""
        task = asyncio.ensure_future(self.sink.store(inbound))
        self._background.add(task)
        task.add_done_callback(self._archived)

    def _archived(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("%s: could not archive a frame: %s", self.peer, task.exception())

    async def _identify(self, protocol: str, address: str) -> TerminalInfo | None:
        if self.terminal is not None and self.terminal.address == address and self.terminal.protocol == protocol:
            return self.terminal
        info = await self.sink.terminal(protocol, address)
        if info is None and self.config.auto_register:
            info = await self.sink.register(protocol, address, self.peer)
            log.info("%s: registered %s terminal %s on first contact", self.peer, protocol, address)
        if info is not None:
            self.terminal = info
        return info

    async def _handle(self, raw: RawFrame) -> bytes | None:
        received_at = self._now()
        if raw.protocol == SL651:
            return await self._handle_sl651(raw.data, received_at)
        return await self._handle_szy206(raw.data, received_at)

    def _undecodable(self, protocol: str, data: bytes, received_at: datetime, exc: ProtocolError) -> None:
        self.metrics.undecodable += 1
        log.warning("%s: undecodable %s frame: %s: %s", self.peer, protocol, exc.message, data[:64].hex().upper())
        self._archive(InboundFrame(received_at, self.peer, protocol, data, FrameOutcome.UNDECODABLE,
                                   error=exc.message))

    async def _quarantine(self, inbound: InboundFrame) -> None:
        self.metrics.quarantined += 1
        inbound.outcome = FrameOutcome.QUARANTINED
        log.info("%s: frame from unregistered %s terminal %s quarantined", self.peer, inbound.protocol,
                 inbound.address)
        self._archive(inbound)

    # -- SL651 -------------------------------------------------------------------------------------

    async def _handle_sl651(self, data: bytes, received_at: datetime) -> bytes | None:
        options = self.config.sl651
        try:
            frame = sl651.decode_sl651(data)
        except ProtocolError as exc:
            self._undecodable(SL651, data, received_at, exc)
            return None
        inbound = InboundFrame(received_at, self.peer, SL651, data, FrameOutcome.NO_DATA,
                               address=frame.station, function=f"{frame.function:02X}")
        if frame.direction != "up":
            inbound.error = "downlink frame sent by a terminal"
            self._archive(inbound)
            return None
        terminal = await self._identify(SL651, frame.station)
        if terminal is None:
            await self._quarantine(inbound)
            return None
        inbound.terminal_id = terminal.id
        self.centre = frame.centre
        self._check_answers(SL651, frame, received_at)
        if frame.packet_total is not None:
            return await self._sl651_packet(frame, inbound, received_at)
        reading = sl651.to_reading(frame, options)
        if reading is None:
            if frame.function == 0x2F:  # link keep-alive: M1, never answered
                self._archive(inbound)
                return None
        else:
            self._as_reading(inbound, reading, reading.observed_at or frame.sent_at or received_at)
        await self.sink.store(inbound)
        return sl651.build_ack(frame, received_at, options)

    async def _sl651_packet(self, frame: Any, inbound: InboundFrame, received_at: datetime) -> bytes | None:
        message = self.sl651_parts.feed(frame)
        await self.sink.store(inbound)
        if message is None:
            return None
        if message.picture:
            observed = message.first.observed_at or message.first.sent_at or received_at
            await self.sink.store_snapshot(SnapshotRecord(inbound.terminal_id or 0, observed, received_at,
                                                          message.picture))
        return sl651.build_message_ack(message, received_at, self.config.sl651)

    # -- SZY206 ------------------------------------------------------------------------------------

    async def _handle_szy206(self, data: bytes, received_at: datetime) -> bytes | None:
        options = self.config.szy206
        try:
            frame = szy206.decode_szy206(data, options)
        except ProtocolError as exc:
            self._undecodable("szy206", data, received_at, exc)
            return None
        inbound = InboundFrame(received_at, self.peer, "szy206", data, FrameOutcome.NO_DATA,
                               address=frame.address, function=f"{frame.afn:02X}")
        if frame.direction != "up":
            inbound.error = "downlink frame sent by a terminal"
            self._archive(inbound)
            return None
        terminal = await self._identify("szy206", frame.address)
        if terminal is None:
            await self._quarantine(inbound)
            return None
        inbound.terminal_id = terminal.id
        if frame.link is not None:  # AFN 02 link check: echo at once, archive alongside
            self._archive(inbound)
            return szy206.build_ack(frame, received_at, options)
        self._check_answers("szy206", frame, received_at)
        if frame.div and frame.afn in _SZY206_IMAGE_AFNS:
            return await self._szy206_picture(frame, inbound, received_at)
        reading = szy206.to_reading(frame, received_at, options)
        if reading is not None:
            observed_at = reading.observed_at or received_at
            self._as_reading(inbound, reading, observed_at)
            label = frame.time_label
            policy = self.config.time_label_delay
            if label is not None and policy != "ignore" and label.is_late(received_at):
                inbound.error = f"older than the allowed delay of {label.delay_minutes} min"
                if policy == "reject":
                    inbound.outcome = FrameOutcome.LATE
        await self.sink.store(inbound)
        return szy206.build_ack(frame, received_at, options)

    async def _szy206_picture(self, frame: Any, inbound: InboundFrame, received_at: datetime) -> bytes | None:
        message = self.szy206_parts.feed(frame)
        await self.sink.store(inbound)
        if message is not None and message.picture:
            label = message.first.time_label
            observed = label.resolve(received_at) if label is not None else received_at
            await self.sink.store_snapshot(SnapshotRecord(inbound.terminal_id or 0, observed, received_at,
                                                          message.picture))
        return szy206.build_ack(frame, received_at, self.config.szy206)

    # -- shared ------------------------------------------------------------------------------------

    def _as_reading(self, inbound: InboundFrame, reading: Any, observed_at: datetime) -> None:
        inbound.reading = reading
        inbound.observed_at = observed_at
        inbound.outcome = FrameOutcome.STORED
        if observed_at - inbound.received_at > timedelta(seconds=self.config.future_tolerance_s):
            inbound.future_dated = True
            inbound.error = "observation time is ahead of the receipt time"

    def _check_answers(self, protocol: str, frame: Any, received_at: datetime) -> None:
        assert self.terminal is not None
        for command in self.sink.pending_commands(self.terminal.id):
            if command.last_sent_at is None:
                continue
            outcome = commands.answer_outcome(command, protocol, frame)
            if outcome is not None:
                state, answer = outcome
                task = asyncio.ensure_future(self.sink.command_finished(command, state, received_at, answer))
                self._background.add(task)
                task.add_done_callback(self._archived)
                return

    async def _deliver_commands(self) -> None:
        assert self.terminal is not None
        pending = self.sink.pending_commands(self.terminal.id)
        if not pending:
            return
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
