"""The JetStream stream between gateways and writers: names, limits and the message form (pure, no Django).

``changji gateway --via jetstream`` publishes every frame it would have archived to the stream
``CHANGJI_INGEST`` and acknowledges its terminal once JetStream's PubAck says the stream stored it;
``changji writer`` processes pull them through one durable consumer and store them as the direct path
does (``stream_storage``). This module holds what both sides must agree on:

* the stream (file storage, work-queue retention: a message stays until a writer has stored and acked it;
  when the stream reaches ``max_bytes`` a publish is refused, so the gateway stops acknowledging instead of
  anything being dropped) and the consumer (explicit acks, a bound on unacknowledged messages);
* the message: one frame as compact JSON (times as UTC microseconds, the raw bytes in base64), and its
  ``Nats-Msg-Id``, derived from the frame itself (protocol and a digest of its bytes), so a publish the
  gateway repeats, or a frame a terminal re-sends within the stream's duplicate window, is stored once;
* the abandon message: which stream sequences of a multi-packet message were abandoned, and why.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from changji.water.gateway.records import InboundFrame
from changji.water.protocols.reading import CANONICAL_FIELDS, Reading

__pure__ = True  # no Django: tests/test_architecture.py checks it

STREAM = "CHANGJI_INGEST"
SUBJECTS = "changji.ingest.>"
FRAME_SUBJECT = "changji.ingest.frame"
ABANDON_SUBJECT = "changji.ingest.abandon"
CONSUMER = "writers"
DEFAULT_SERVERS = "nats://127.0.0.1:4222"

#: A publish repeated within this window (same ``Nats-Msg-Id``) is stored once.
DUPLICATE_WINDOW_S = 120.0
#: The stream refuses new frames past this size (the writers are behind): terminals are then not acknowledged.
MAX_BYTES = 8 * 1024**3
#: A writer that neither acks nor reports progress within this time is presumed dead: its messages go to another.
ACK_WAIT_S = 60.0
#: Messages delivered to writers and not yet acknowledged, at most (back-pressure on the writers' side).
MAX_ACK_PENDING = 20_000

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def stream_config() -> dict[str, Any]:
    """Return the stream's configuration (``nats.js.api.StreamConfig`` fields)."""
    return {
        "name": STREAM, "subjects": [SUBJECTS], "storage": "file", "retention": "workqueue",
        "discard": "new", "max_bytes": MAX_BYTES, "duplicate_window": DUPLICATE_WINDOW_S,
    }


def consumer_config(ack_wait_s: float = ACK_WAIT_S) -> dict[str, Any]:
    """Return the writers' durable pull consumer's configuration (``nats.js.api.ConsumerConfig`` fields)."""
    return {
        "durable_name": CONSUMER, "name": CONSUMER, "ack_policy": "explicit", "deliver_policy": "all",
        "ack_wait": ack_wait_s, "max_ack_pending": MAX_ACK_PENDING, "filter_subject": SUBJECTS,
    }


def frame_msg_id(inbound: InboundFrame) -> str:
    """Return the frame's natural id for ``Nats-Msg-Id``: its protocol and a digest of its bytes.

    The bytes hold the terminal's address, function and times, so two frames with the same id said the
    same thing: the second is a retransmission (or a repeated publish) and is stored once.
    """
    return f"{inbound.protocol or 'bytes'}:{hashlib.sha256(inbound.raw).hexdigest()[:32]}"


def encode_frame(inbound: InboundFrame) -> bytes:
    """Return ``inbound`` as a stream message (compact ASCII JSON)."""
    reading = inbound.reading
    body: dict[str, Any] = {
        "r": _micros(inbound.received_at), "p": inbound.peer, "pr": inbound.protocol,
        "raw": base64.b64encode(inbound.raw).decode("ascii"), "o": inbound.outcome,
    }
    optional = {
        "a": inbound.address, "f": inbound.function, "t": inbound.terminal_id, "ob": _micros(inbound.observed_at),
        "fd": inbound.future_dated, "e": inbound.error,
    }
    body.update({key: value for key, value in optional.items() if value})
    if reading is not None:
        body["rd"] = {
            "pr": reading.protocol, "st": reading.station, "ob": _micros(reading.observed_at),
            **{name: value for name in CANONICAL_FIELDS if (value := getattr(reading, name)) is not None},
            "n": reading.native,
        }
    return json.dumps(body, separators=(",", ":"), default=_plain).encode("ascii")


def decode_frame(data: bytes) -> InboundFrame:
    """Return the frame a stream message carries (``ValueError``/``KeyError`` when it is not one)."""
    body = json.loads(data)
    reading = None
    if "rd" in body:
        rd = body["rd"]
        reading = Reading(
            protocol=rd["pr"], station=rd["st"], observed_at=_moment(rd.get("ob")),
            native=rd.get("n") or {}, **{name: rd[name] for name in CANONICAL_FIELDS if name in rd},
        )
    received_at = _moment(body["r"])
    assert received_at is not None
    return InboundFrame(
        received_at=received_at, peer=body["p"], protocol=body["pr"], raw=base64.b64decode(body["raw"]),
        outcome=body["o"], address=body.get("a", ""), function=body.get("f", ""), terminal_id=body.get("t"),
        observed_at=_moment(body.get("ob")), reading=reading, future_dated=bool(body.get("fd")),
        error=body.get("e", ""),
    )


@dataclass(frozen=True, slots=True)
class Abandoned:
    """The stream sequences of an abandoned multi-packet message's packets, and why it was abandoned."""

    stream_seqs: tuple[int, ...]
    reason: str

    @property
    def msg_id(self) -> str:
        """Return the natural id: the packets and the reason."""
        digest = hashlib.sha256(f"{self.stream_seqs}{self.reason}".encode("utf-8", "replace")).hexdigest()
        return f"abandon:{digest[:32]}"


def encode_abandoned(abandoned: Abandoned) -> bytes:
    """Return an abandon message."""
    return json.dumps({"seqs": list(abandoned.stream_seqs), "reason": abandoned.reason}).encode("ascii")


def decode_abandoned(data: bytes) -> Abandoned:
    """Return the abandon message's content."""
    body = json.loads(data)
    return Abandoned(tuple(int(seq) for seq in body["seqs"]), str(body["reason"]))


def _micros(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _moment(micros: int | None) -> datetime | None:
    return None if micros is None else _EPOCH + timedelta(microseconds=micros)


def _plain(value: Any) -> Any:
    """JSON for what the native values may hold beyond JSON (as ``storable_json`` would store it)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex().upper()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)
