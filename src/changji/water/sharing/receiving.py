"""The upstream's side of the exchange.

Apply a numbered batch once, and serve a peer's status, raw-reading requests and 总量控制 targets.

A batch ``{stream, seq, entries, backlog?}`` from a peer is compared with the next sequence number the
upstream expects of that peer and stream (``PeerStream.expected_seq``, starting at 1):

* ``seq == expected`` — applied in one transaction: each row outside the peer's region subtree
  (``subtree.within``) is refused and recorded (``RefusedRow``), the rest go to the stream's ``apply``
  (idempotent by natural keys), rows the stream refuses are recorded too; then ``expected`` moves on;
* ``seq < expected`` — a re-send of a batch already applied: answered 200, nothing changes;
* ``seq > expected`` — a gap: 409 with ``expected_seq``, the sender rewinds and re-sends from there.

The peer's row is locked (``select_for_update``) so two concurrent requests of one stream apply in turn.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from changji.water.models import CountyWaterTarget, DownstreamPeer, PeerStream, RawReadingRequest, RefusedRow
from changji.water.sharing import streams, subtree
from changji.water.sharing.errors import ExchangeError, GapError, UnknownStreamError

log = logging.getLogger("changji.water.exchange")
#: Most entries one batch may carry (a link's batch size is capped to it).
MAX_ENTRIES = 5000
#: Largest request body accepted, in bytes.
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_SEQ = 2**62


@dataclass(frozen=True, slots=True)
class Batch:
    """A received batch, parsed and checked for shape."""

    stream: str
    seq: int
    rows: list[streams.Row]
    backlog: int | None


@dataclass(frozen=True, slots=True)
class Received:
    """What receiving a batch did: ``status`` is ``applied`` or ``duplicate``."""

    status: str
    seq: int
    expected_seq: int
    applied: int = 0
    refused: int = 0

    def as_json(self) -> dict[str, Any]:
        """The answer's body."""
        return {"status": self.status, "seq": self.seq, "expected_seq": self.expected_seq,
                "applied": self.applied, "refused": self.refused}


def _text(entry: Mapping[str, Any], name: str, limit: int, index: int) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not value or len(value) > limit or "\x00" in value:
        raise ExchangeError("bad_entry", f"第 {index + 1} 条的 {name} 应为 1–{limit} 个字符的字符串",
                            f"entries[{index}].{name}")
    return value


def _row(entry: Any, index: int) -> streams.Row:
    if not isinstance(entry, dict):
        raise ExchangeError("bad_entry", f"第 {index + 1} 条应为对象", f"entries[{index}]")
    payload = entry.get("payload", {})
    deleted = entry.get("deleted", False)
    if not isinstance(payload, dict):
        raise ExchangeError("bad_entry", f"第 {index + 1} 条的 payload 应为对象", f"entries[{index}].payload")
    if not isinstance(deleted, bool):
        raise ExchangeError("bad_entry", f"第 {index + 1} 条的 deleted 应为布尔值", f"entries[{index}].deleted")
    return streams.Row(key=_text(entry, "key", 128, index), region_code=_text(entry, "region_code", 15, index),
                       payload=payload, deleted=deleted)


def parse_batch(body: bytes) -> Batch:
    """Parse and check a batch body; raise ``ExchangeError`` naming what is wrong."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ExchangeError("bad_json", "请求体不是有效的 UTF-8 JSON") from None
    if not isinstance(data, dict):
        raise ExchangeError("bad_json", "请求体应为 JSON 对象")
    name, seq, entries, backlog = data.get("stream"), data.get("seq"), data.get("entries"), data.get("backlog")
    if not isinstance(name, str) or streams.get(name) is None:
        raise UnknownStreamError("unknown_stream", f"未知的数据流：{str(name)[:32]}", "stream")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= MAX_SEQ:
        raise ExchangeError("bad_seq", "seq 应为正整数", "seq")
    if not isinstance(entries, list) or len(entries) > MAX_ENTRIES:
        raise ExchangeError("bad_entries", f"entries 应为至多 {MAX_ENTRIES} 条的数组", "entries")
    if backlog is not None and (not isinstance(backlog, int) or isinstance(backlog, bool) or backlog < 0):
        raise ExchangeError("bad_backlog", "backlog 应为非负整数", "backlog")
    return Batch(name, seq, [_row(entry, i) for i, entry in enumerate(entries)], backlog)


def _state(peer: DownstreamPeer, stream: str) -> PeerStream:
    PeerStream.objects.get_or_create(peer=peer, stream=stream)
    return PeerStream.objects.select_for_update().get(peer=peer, stream=stream)


def receive(peer: DownstreamPeer, batch: Batch, now: datetime | None = None) -> Received:
    """Apply ``batch`` from ``peer`` once (see the module docstring); raise ``GapError`` beyond a gap."""
    now = now or timezone.now()
    with transaction.atomic():
        state = _state(peer, batch.stream)
        if batch.backlog is not None:
            state.backlog, state.backlog_at = batch.backlog, now
        if batch.seq == state.expected_seq:
            applied, refused = _apply(peer, batch)
            state.expected_seq += 1
            state.rows_applied += applied
            state.rows_refused += refused
            state.last_batch_at = now
            state.save()
            return Received("applied", batch.seq, state.expected_seq, applied, refused)
        if batch.seq < state.expected_seq:
            state.duplicates += 1
            state.save()
            return Received("duplicate", batch.seq, state.expected_seq)
        state.gaps += 1
        state.last_gap_at = now
        state.save()
    # Raised after the commit, so the gap is counted.
    log.warning("exchange gap: peer=%s stream=%s expected=%s got=%s", peer.key_id, batch.stream,
                state.expected_seq, batch.seq)
    raise GapError(state.expected_seq, batch.seq)


def _apply(peer: DownstreamPeer, batch: Batch) -> tuple[int, int]:
    """Apply the rows inside the peer's subtree; record the others and the stream's refusals."""
    inside: list[streams.Row] = []
    refused: list[tuple[streams.Row | None, str, str]] = []
    for row in batch.rows:
        if subtree.within(peer.region_id, row.region_code):
            inside.append(row)
        else:
            refused.append((row, row.key, f"区划 {row.region_code[:15]} 不在本下级平台的管辖范围 {peer.region_id} 内"))
    stream = streams.get(batch.stream)
    result = stream.apply(inside, peer.key_id) if stream is not None and inside else streams.ApplyResult()
    codes = {row.key: row.region_code for row in inside}
    refused += [(None, key, reason) for key, reason in result.refused]
    RefusedRow.objects.bulk_create([
        RefusedRow(peer=peer, stream=batch.stream, seq=batch.seq, key=key[:128],
                   region_code=(row.region_code if row else codes.get(key, ""))[:15], reason=reason[:200])
        for row, key, reason in refused])
    if refused:
        log.warning("exchange refused %d row(s): peer=%s stream=%s seq=%s", len(refused), peer.key_id,
                    batch.stream, batch.seq)
    return result.applied, len(refused)


def status(peer: DownstreamPeer) -> dict[str, Any]:
    """The peer's status: the next sequence number expected of each stream."""
    known = {s.stream: s for s in PeerStream.objects.filter(peer=peer)}
    names = sorted({s.name for s in streams.all_streams()} | set(known))
    rows = []
    for name in names:
        state = known.get(name)
        at = state.last_batch_at if state is not None else None
        rows.append({"stream": name, "expected_seq": state.expected_seq if state is not None else 1,
                     "last_batch_at": at.isoformat() if at is not None else None})
    return {"key_id": peer.key_id, "name": peer.name, "region_code": peer.region_id, "streams": rows}


def pending_requests(peer: DownstreamPeer, now: datetime | None = None) -> list[dict[str, Any]]:
    """The raw-reading requests the peer has not finished; marks them served."""
    rows = list(RawReadingRequest.objects.filter(peer=peer, done_at__isnull=True).order_by("id")[:100])
    RawReadingRequest.objects.filter(pk__in=[r.pk for r in rows], served_at__isnull=True).update(
        served_at=now or timezone.now())
    return [{"id": r.pk, "well_code": r.well_code, "since": r.since.isoformat(), "until": r.until.isoformat()}
            for r in rows]


def finish_requests(peer: DownstreamPeer, ids: Any, now: datetime | None = None) -> int:
    """Mark the peer's requests ``ids`` done (the readings were queued downstream); return how many."""
    if not isinstance(ids, list) or len(ids) > 1000 or not all(isinstance(i, int) and not isinstance(i, bool)
                                                                for i in ids):
        raise ExchangeError("bad_ids", "ids 应为至多 1000 个整数的数组", "ids")
    return RawReadingRequest.objects.filter(peer=peer, pk__in=ids, done_at__isnull=True).update(
        done_at=now or timezone.now())


def targets(peer: DownstreamPeer, year: int) -> list[dict[str, Any]]:
    """The 总量控制 targets set here for the peer's region and the regions below it, for ``year``."""
    rows = CountyWaterTarget.objects.filter(year=year, region__path__startswith=peer.region.path)
    return [{"region_code": t.region_id, "year": t.year, "target_m3": t.target_m3,
             "groundwater_target_m3": t.groundwater_target_m3, "note": t.note} for t in rows.order_by("region")]


def parse_year(raw: str | None, today: date) -> int:
    """The ``year`` query parameter (default: this year), between 2000 and 2100."""
    if raw is None or raw == "":
        return today.year
    if not raw.isascii() or not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        raise ExchangeError("bad_year", "year 应为 2000–2100 之间的年份", "year")
    return int(raw)
