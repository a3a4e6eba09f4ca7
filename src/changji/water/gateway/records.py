"""Plain records passed between the gateway's sessions and its sink (no ORM objects cross)."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from changji.water.protocols.reading import Reading

__pure__ = True  # no Django: tests/test_architecture.py checks it


class FrameOutcome(StrEnum):
    """What the gateway did with a frame; stored in ``Frame.outcome`` (``models/frames.py``)."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    NO_DATA = "no_data"
    QUARANTINED = "quarantined"
    LATE = "late"
    REJECTED = "rejected"
    UNDECODABLE = "undecodable"

    @property
    def label(self) -> str:
        return FRAME_OUTCOME_LABELS[self]

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """``(value, label)`` pairs for a model field's ``choices``."""
        return [(outcome.value, outcome.label) for outcome in cls]


FRAME_OUTCOME_LABELS: dict[FrameOutcome, str] = {
    FrameOutcome.STORED: "已入库",
    FrameOutcome.DUPLICATE: "重复",
    FrameOutcome.NO_DATA: "无观测数据",
    FrameOutcome.QUARANTINED: "未登记终端",
    FrameOutcome.LATE: "超出允许时延",
    FrameOutcome.REJECTED: "校验失败",
    FrameOutcome.UNDECODABLE: "无法解析",
}


@dataclass(frozen=True, slots=True)
class TerminalInfo:
    """What a session needs to know of a registered terminal.

    ``options`` are the codec options of its effective protocol profile (``Sl651Options`` or
    ``Szy206Options``), None for the deployment default (``GatewayConfig``); ``profile`` names it.
    """

    id: int
    protocol: str
    address: str
    password: int = 0
    report_interval_s: int = 300
    options: Any = None
    profile: str = ""


@dataclass(slots=True)
class InboundFrame:
    """A received frame with what the session made of it, to be archived (and its reading stored)."""

    received_at: datetime
    peer: str
    protocol: str
    raw: bytes
    outcome: str
    address: str = ""
    function: str = ""
    terminal_id: int | None = None
    observed_at: datetime | None = None
    reading: Reading | None = None
    future_dated: bool = False
    error: str = ""


@dataclass(frozen=True, slots=True)
class SnapshotRecord:
    """A reassembled camera picture of a terminal's well; ``command_id`` names the picture query it answers."""

    terminal_id: int
    observed_at: datetime
    received_at: datetime
    jpeg: bytes
    command_id: str | None = None


@dataclass(frozen=True, slots=True)
class PendingCommand:
    """An open command as the gateway sees it."""

    id: str
    terminal_id: int
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    max_attempts: int = 3
    last_sent_at: datetime | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoreResult:
    """What the sink committed for one inbound frame.

    ``rejected`` says why a frame the database refused was archived as rejected instead (its
    reading is not stored, so the frame must not be acknowledged).
    """

    frame_id: int
    stored_reading: bool
    rejected: str = ""


class Histogram:
    """Observations counted per bucket, cheap to add on the event loop; read at scrape time (``gateway.metrics``).

    ``counts[i]`` holds the observations at most ``bounds[i]`` and above ``bounds[i - 1]``; the last slot those
    above every bound (Prometheus' ``+Inf``), so a scrape sums them into cumulative ``le`` buckets.
    """

    __slots__ = ("bounds", "counts", "total")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.total = 0.0

    def observe(self, value: float, times: int = 1) -> None:
        """Count ``times`` observations of ``value`` (the frames of one read share their latency)."""
        self.counts[bisect_left(self.bounds, value)] += times
        self.total += value * times


#: Ack latency (receipt to ack written): a batch commit takes milliseconds; a busy database, seconds.
ACK_LATENCY_BOUNDS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class Metrics:
    """Counters of one gateway process (read by the benchmark, the status log and ``gateway.metrics``).

    ``outcomes`` counts frames handed to the sink by the outcome they were archived with; ``ack_latency_s``
    the time from reading a frame to writing its acknowledgement.
    """

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
    not_storable: int = 0
    failed_after_decode: int = 0
    messages_abandoned: int = 0
    commands_sent: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FrameOutcome, 0))
    ack_latency_s: Histogram = field(default_factory=lambda: Histogram(ACK_LATENCY_BOUNDS_S), repr=False)

    def count_outcome(self, outcome: str) -> None:
        """Count one frame archived with ``outcome``."""
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
