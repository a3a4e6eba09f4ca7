"""What the centre does with one uplink frame: decode, identify, reading, multi-packet, store, answer.

``UplinkHandling`` is the part of ``TerminalSession`` that handles one frame; the session supplies
the connection (peer, sink, configuration, reassemblers, the terminal) and archives in the
background. Its rule: everything after a frame was framed and before it is stored is contained
in ``_handle``. A frame that cannot be decoded, a time label out of range in ``to_reading``, a
multi-packet limit, an ack that cannot be built, a picture that cannot be saved: the frame is
archived with its outcome (undecodable or rejected) and the error, it is not answered, and the
connection serves its next frame. Only ``SinkUnavailable`` passes (nothing could be stored).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from changji.water.gateway import commands
from changji.water.gateway.config import GatewayConfig
from changji.water.gateway.records import FrameOutcome, InboundFrame, Metrics, SnapshotRecord, TerminalInfo
from changji.water.gateway.sink import Sink, SinkUnavailable
from changji.water.protocols import sl651, szy206
from changji.water.protocols.errors import LimitError, ProtocolError
from changji.water.protocols.framing import SL651, RawFrame
from changji.water.protocols.plausibility import first_implausible, implausible_time

__pure__ = True  # no Django: tests/test_architecture.py checks it

log = logging.getLogger("changji.gateway")

_SZY206_IMAGE_AFNS = (0x61, 0x83)


class Archived:
    """A multi-packet message's packet as a reassembly tag: ``frame_id`` resolves to its archive id.

    Packets of one read are fed before any of them is committed, so a message abandoned at once
    waits for its packets' ids; every handler settles its tag (None when nothing was archived).
    """

    __slots__ = ("frame_id",)

    def __init__(self) -> None:
        self.frame_id: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()

    def settle(self, frame_id: int | None) -> None:
        """Resolve the archive id, once."""
        if not self.frame_id.done():
            self.frame_id.set_result(frame_id)


class UplinkHandling:
    """Handle uplink frames for a ``TerminalSession`` (which implements the methods below)."""

    peer: str
    sink: Sink
    config: GatewayConfig
    metrics: Metrics
    centre: int
    multipacket: bool
    sl651_parts: sl651.Sl651Reassembler
    szy206_parts: szy206.Szy206Reassembler

    async def _identify(self, protocol: str, address: str) -> TerminalInfo | None:
        raise NotImplementedError("the session must implement _identify()")

    async def _lookup(self, protocol: str, address: str) -> TerminalInfo | None:
        raise NotImplementedError("the session must implement _lookup()")

    def _archive(self, inbound: InboundFrame) -> None:
        raise NotImplementedError("the session must implement _archive()")

    def _check_answers(self, protocol: str, frame: Any, received_at: datetime) -> None:
        raise NotImplementedError("the session must implement _check_answers()")

    @staticmethod
    def _now() -> datetime:
        return datetime.now(UTC)

    async def _handle(self, raw: RawFrame) -> bytes | None:
        """Handle one frame; return the answer to send once it is stored, or None.

        Anything that goes wrong after the frame was framed, but before it is stored, is contained
        here: the frame is archived with the error and not answered, and the connection lives on.
        Only ``SinkUnavailable`` (nothing could be stored) passes through.
        """
        inbound = InboundFrame(self._now(), self.peer, raw.protocol, raw.data, FrameOutcome.NO_DATA)
        try:
            if raw.protocol == SL651:
                return await self._handle_sl651(inbound)
            return await self._handle_szy206(inbound)
        except SinkUnavailable:
            raise
        except Exception as exc:
            self._failed(inbound, exc)
            return None

    def _failed(self, inbound: InboundFrame, exc: Exception) -> None:
        """Archive a frame whose handling failed after decoding, with why; it is not answered."""
        if isinstance(exc, ProtocolError) and not isinstance(exc, LimitError):
            inbound.outcome, inbound.error = FrameOutcome.UNDECODABLE, exc.message
        else:
            message = exc.message if isinstance(exc, ProtocolError) else f"{type(exc).__name__}: {exc}"
            inbound.outcome, inbound.error = FrameOutcome.REJECTED, f"not processed: {message}"
        if not isinstance(exc, ProtocolError):
            log.exception("%s: %s frame from %s could not be processed", self.peer, inbound.protocol,
                          inbound.address or "?")
        self.metrics.failed_after_decode += 1
        inbound.reading, inbound.observed_at, inbound.future_dated = None, None, False
        log.warning("%s: %s frame archived as %s: %s", self.peer, inbound.protocol, inbound.outcome, inbound.error)
        self._archive(inbound)

    def _undecodable(self, inbound: InboundFrame, exc: ProtocolError) -> None:
        self.metrics.undecodable += 1
        log.warning("%s: undecodable %s frame: %s: %s", self.peer, inbound.protocol, exc.message,
                    inbound.raw[:64].hex().upper())
        inbound.outcome, inbound.error = FrameOutcome.UNDECODABLE, exc.message
        self._archive(inbound)

    async def _quarantine(self, inbound: InboundFrame) -> None:
        self.metrics.quarantined += 1
        inbound.outcome = FrameOutcome.QUARANTINED
        log.info("%s: frame from unregistered %s terminal %s quarantined", self.peer, inbound.protocol,
                 inbound.address)
        self._archive(inbound)

    async def _store(self, inbound: InboundFrame, tag: Archived | None = None) -> bool:
        """Store the frame (and its reading); return whether it may be acknowledged."""
        result = await self.sink.store(inbound)
        if tag is not None:
            tag.settle(result.frame_id)
        if result.rejected:
            self.metrics.not_storable += 1
            self.metrics.count_outcome(FrameOutcome.REJECTED)
            return False
        self.metrics.count_outcome(inbound.outcome)
        return True

    # -- SL651 -------------------------------------------------------------------------------------

    async def _handle_sl651(self, inbound: InboundFrame) -> bytes | None:
        received_at = inbound.received_at
        try:
            frame = sl651.decode_sl651(inbound.raw)
        except ProtocolError as exc:
            self._undecodable(inbound, exc)
            return None
        inbound.address, inbound.function = frame.station, f"{frame.function:02X}"
        if frame.direction != "up":
            inbound.error = "downlink frame sent by a terminal"
            self._archive(inbound)
            return None
        terminal = await self._identify(SL651, frame.station)
        if terminal is None:
            await self._quarantine(inbound)
            return None
        inbound.terminal_id = terminal.id
        options = terminal.options or self.config.sl651
        self.centre = frame.centre
        self._check_answers(SL651, frame, received_at)
        if frame.packet_total is not None:
            return await self._sl651_packet(frame, inbound, options)
        reading = sl651.to_reading(frame, options)
        if reading is None:
            if frame.function == 0x2F:  # link keep-alive: M1, never answered
                self._archive(inbound)
                return None
        else:
            self._as_reading(inbound, reading, reading.observed_at or frame.sent_at or received_at, frame.sent_at)
        ack = sl651.build_ack(frame, received_at, options)
        return ack if await self._store(inbound) else None

    async def _sl651_packet(self, frame: Any, inbound: InboundFrame, options: sl651.Sl651Options) -> bytes | None:
        """Collect an M3 packet; the completing one carries the message's reading or picture."""
        tag, self.multipacket = Archived(), True
        try:
            message = self.sl651_parts.feed(frame, asyncio.get_running_loop().time(), tag)
            if message is None:
                await self._store(inbound, tag)
                return None
        finally:
            tag.settle(None)
        received_at = inbound.received_at
        first = message.first
        if message.picture:
            observed = first.observed_at or first.sent_at or received_at
            if implausible_time(observed, received_at, "picture time") is not None:
                observed = received_at  # a picture is kept whatever its clock says; placed at its receipt
            await self._store_picture(inbound, observed, message.picture, first.function, message.packet_total)
        else:
            reading = sl651.to_reading(sl651.join_message(message), options)
            if reading is not None:
                self._as_reading(inbound, reading, reading.observed_at or first.sent_at or received_at, first.sent_at)
        ack = sl651.build_message_ack(message, received_at, options)
        return ack if await self._store(inbound) else None

    # -- SZY206 ------------------------------------------------------------------------------------

    async def _handle_szy206(self, inbound: InboundFrame) -> bytes | None:
        received_at = inbound.received_at
        known = await self._lookup("szy206", szy206_address(inbound.raw))
        options = known.options if known is not None and known.options is not None else self.config.szy206
        try:
            frame = szy206.decode_szy206(inbound.raw, options)
        except ProtocolError as exc:
            self._undecodable(inbound, exc)
            return None
        inbound.address, inbound.function = frame.address, f"{frame.afn:02X}"
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
            ack = szy206.build_ack(frame, received_at, options)
            self._archive(inbound)
            return ack
        self._check_answers("szy206", frame, received_at)
        if frame.afn in _SZY206_IMAGE_AFNS:
            return await self._szy206_picture(frame, inbound, options)
        reading = szy206.to_reading(frame, received_at, options)
        if reading is not None:
            self._as_reading(inbound, reading, reading.observed_at or received_at)
            label = frame.time_label
            policy = self.config.time_label_delay
            untrusted = inbound.reading is None  # implausible year: archived with that reason already
            if label is not None and policy != "ignore" and not untrusted and label.is_late(received_at):
                inbound.error = f"older than the allowed delay of {label.delay_minutes} min"
                if policy == "reject":
                    inbound.outcome = FrameOutcome.LATE
        ack = szy206.build_ack(frame, received_at, options)
        return ack if await self._store(inbound) else None

    async def _szy206_picture(self, frame: Any, inbound: InboundFrame, options: szy206.Szy206Options) -> bytes | None:
        """Collect a picture frame (each one is confirmed); the completing one stores the picture."""
        received_at, tag, self.multipacket = inbound.received_at, Archived(), True
        ack = szy206.build_ack(frame, received_at, options)
        try:
            message = self.szy206_parts.feed(frame, asyncio.get_running_loop().time(), tag)
            if message is None:
                return ack if await self._store(inbound, tag) else None
        finally:
            tag.settle(None)
        if message.picture:
            label = message.first.time_label
            observed = label.resolve(received_at) if label is not None else received_at
            if implausible_time(observed, received_at, "picture time") is not None:
                observed = received_at
            await self._store_picture(inbound, observed, message.picture, message.afn, message.frames)
        return ack if await self._store(inbound) else None

    async def _store_picture(self, inbound: InboundFrame, observed: datetime, jpeg: bytes, function: int,
                             frames: int) -> None:
        """Store a whole picture; it confirms the picture query sent to the terminal, if one waits.

        The picture is stored first, naming the command (trigger, alarm); the command is then confirmed. A
        failure to confirm leaves the command open (it is sent again or expires), the picture is kept.
        """
        terminal_id = inbound.terminal_id or 0
        command = commands.picture_command(self.sink.pending_commands(terminal_id))
        await self.sink.store_snapshot(SnapshotRecord(terminal_id, observed, inbound.received_at, jpeg,
                                                      command.id if command is not None else None))
        if command is None:
            return
        try:
            await self.sink.command_finished(command, "confirmed", inbound.received_at,
                                             commands.picture_answer(function, frames, jpeg))
        except SinkUnavailable:
            raise
        except Exception:
            log.exception("%s: picture stored, but command %s could not be confirmed", self.peer, command.id)

    # -- shared ------------------------------------------------------------------------------------

    def _as_reading(
        self, inbound: InboundFrame, reading: Any, observed_at: datetime, sent_at: datetime | None = None
    ) -> None:
        """Take ``reading`` from the frame, unless its time cannot be trusted (two-digit year rule).

        An implausible observation or send time (``protocols/plausibility.py``: ``59`` read as 2059)
        archives the frame as rejected with the reason and takes no reading; the frame is still
        acknowledged, as a late time label under the "reject" policy is, because it is archived.
        """
        reason = first_implausible(
            [(observed_at, "observation time"), (sent_at, "send time")], inbound.received_at
        )
        if reason is not None:
            inbound.reading, inbound.observed_at = None, None
            inbound.outcome, inbound.error = FrameOutcome.REJECTED, reason
            log.warning("%s: %s frame from %s: %s", self.peer, inbound.protocol, inbound.address or "?", reason)
            return
        inbound.reading = reading
        inbound.observed_at = observed_at
        inbound.outcome = FrameOutcome.STORED
        if observed_at - inbound.received_at > timedelta(seconds=self.config.future_tolerance_s):
            inbound.future_dated = True
            inbound.error = "observation time is ahead of the receipt time"


def szy206_address(raw: bytes) -> str:
    """Return the address A of an SZY206 frame without decoding it ("" when the frame is too short).

    A sits after C (and DIVS when C's DIV bit is set) whatever the profile, so the session finds the
    terminal, and with it the options to decode the frame with, before decoding.
    """
    start = 5 if len(raw) > 3 and raw[3] & szy206.C_DIV_SPLIT else 4
    return raw[start : start + 5].hex().upper() if len(raw) >= start + 5 else ""
