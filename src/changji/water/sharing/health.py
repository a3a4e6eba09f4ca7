"""The upstream's view of its downstreams' health (下级平台运行状况): one row per peer and stream.

Lag is the age of the newest applied batch; backlog is what the downstream last reported (entries not yet
acknowledged, sent with each batch); gaps, duplicates and refused rows are counted as they happen
(``receiving``). A peer that never sent anything gets one row with its credential only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from changji.core import localtime
from changji.core.exports import FormulaSafeWorkbook, active_worksheet, append_row, workbook_bytes
from changji.water.models import DownstreamPeer, PeerStream, StreamDelivery
from changji.water.sharing import delivery, streams

COLUMNS = ("下级平台", "区划代码", "凭据编号", "状态", "数据流", "已入库批次", "最近入库时间", "滞后（分钟）",
           "下级积压（条）", "缺号次数", "重复批次", "已入库条数", "拒收条数")


@dataclass(frozen=True)
class HealthRow:
    """One peer's stream as the upstream sees it."""

    peer: DownstreamPeer
    stream: str
    applied_seq: int
    last_batch_at: datetime | None
    lag: timedelta | None
    backlog: int | None
    gaps: int
    duplicates: int
    rows_applied: int
    rows_refused: int

    @property
    def lag_minutes(self) -> int | None:
        """The lag in whole minutes, or None before the first batch."""
        return None if self.lag is None else int(self.lag.total_seconds() // 60)

    @property
    def state_label(self) -> str:
        """The credential's state, in Chinese."""
        return "已吊销" if self.peer.revoked_at is not None or not self.peer.active else "有效"


def _label(name: str) -> str:
    stream = streams.get(name)
    return stream.label if stream is not None else name


def health_rows(peers: Iterable[DownstreamPeer], now: datetime) -> list[HealthRow]:
    """The health rows of ``peers`` (already scoped by the caller)."""
    peers = list(peers)
    by_peer: dict[int, list[PeerStream]] = {}
    for state in PeerStream.objects.filter(peer__in=peers).order_by("stream"):
        by_peer.setdefault(state.peer_id, []).append(state)
    rows = []
    for peer in peers:
        for state in by_peer.get(peer.pk, []):
            rows.append(HealthRow(peer, _label(state.stream), state.expected_seq - 1, state.last_batch_at,
                                  now - state.last_batch_at if state.last_batch_at else None,
                                  state.backlog if state.backlog_at else None, state.gaps, state.duplicates,
                                  state.rows_applied, state.rows_refused))
        if peer.pk not in by_peer:
            rows.append(HealthRow(peer, "—", 0, None, None, None, 0, 0, 0, 0))
    return rows


def export_health(rows: Iterable[HealthRow]) -> bytes:
    """The health table as an XLSX workbook (formula-safe, ``core.exports``)."""
    book = FormulaSafeWorkbook()
    sheet = active_worksheet(book)
    sheet.title = "下级平台运行状况"
    append_row(sheet, COLUMNS)
    for row in rows:
        at = row.last_batch_at.astimezone(localtime.SHANGHAI).strftime("%Y-%m-%d %H:%M") if row.last_batch_at else ""
        append_row(sheet, [row.peer.name, row.peer.region_id, row.peer.key_id, row.state_label, row.stream,
                           row.applied_seq, at, row.lag_minutes, row.backlog, row.gaps, row.duplicates,
                           row.rows_applied, row.rows_refused])
    return workbook_bytes(book)


@dataclass(frozen=True)
class PushState:
    """The downstream's push state of one stream (its upstream page)."""

    stream: str
    label: str
    next_seq: int
    backlog: int
    attempts: int
    last_error: str
    next_try_at: datetime | None
    last_delivered_at: datetime | None


def push_states() -> list[PushState]:
    """Each stream's push state on this (downstream) instance."""
    known = {s.stream: s for s in StreamDelivery.objects.all()}
    rows = []
    for name in delivery.stream_names() + sorted(set(known) - set(delivery.stream_names())):
        state = known.get(name) or StreamDelivery(stream=name)
        rows.append(PushState(name, _label(name), state.next_seq, delivery.backlog(name) if name in known else
                              delivery.unbatched(name), state.attempts, state.last_error, state.next_try_at,
                              state.last_delivered_at))
    return rows
