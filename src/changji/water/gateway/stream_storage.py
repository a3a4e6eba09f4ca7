"""The writers' database work: store frames taken from the JetStream stream exactly once.

A writer stores a fetched batch through the direct path's own ``storage.commit_frames`` (the same
archive, reading upsert, quarantine list and rejection of what the database refuses), inside one
transaction that also stamps each archived frame with its stream sequence (``Frame.stream_seq``). A
writer killed after that commit and before its acks reach JetStream gets the batch redelivered (to itself
or another writer): the frames whose (stream sequence, receipt time) are already archived are skipped, the
rest are stored. Readings are idempotent anyway (unique on terminal and observation time); the stamp makes
the raw frames so too. The unique key includes ``received_at`` because frames will be partitioned by it,
and a partitioned table needs its partition key in every unique key; two writers storing one redelivered
message at once meet at that key, and the loser's transaction rolls back and is retried.

Frames are stored ordered by terminal and observation time, so two writers on PostgreSQL take the row locks
of shared readings and terminals in the same order (no deadlock).
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction

from changji.water.gateway import storage
from changji.water.gateway.records import InboundFrame
from changji.water.gateway.storable import storable_text
from changji.water.gateway.stream import Abandoned
from changji.water.models import Frame, FrameOutcome


def store_stream_frames(entries: list[tuple[int, InboundFrame]]) -> list[bool]:
    """Store ``(stream sequence, frame)`` entries once; return per entry whether it may be acknowledged.

    An entry may be acknowledged when its frame is archived (now or by an earlier delivery), stored or
    as rejected; not when the database would not even archive it (it is then delivered again later).
    A failure of the database propagates: nothing is acknowledged.
    """
    with transaction.atomic():
        done = _already_stored(entries)
        fresh = sorted(
            (entry for entry in entries if (entry[0], entry[1].received_at) not in done), key=_lock_order
        )
        results = storage.commit_frames([item for _, item in fresh]) if fresh else []
        stamps = [(seq, result.frame_id) for (seq, _), result in zip(fresh, results, strict=True) if result]
        _stamp(stamps)
    archived = {seq for seq, _ in stamps} | {seq for seq, _ in done}
    return [seq in archived for seq, _ in entries]


def _lock_order(entry: tuple[int, InboundFrame]) -> tuple[int, str, datetime, int]:
    _, item = entry
    return (item.terminal_id or 0, item.address, item.observed_at or item.received_at, entry[0])


def _already_stored(entries: list[tuple[int, InboundFrame]]) -> set[tuple[int, datetime]]:
    """Return the (stream sequence, receipt time) pairs of these entries that are archived already."""
    seqs = [seq for seq, _ in entries]
    rows = Frame.objects.filter(stream_seq__in=seqs).values_list("stream_seq", "received_at")
    return {(seq, received_at) for seq, received_at in rows if seq is not None}


def _stamp(stamps: list[tuple[int, int]]) -> None:
    if not stamps:
        return
    with connection.cursor() as cursor:
        cursor.executemany("UPDATE water_frame SET stream_seq = %s WHERE id = %s", stamps)


def mark_abandoned(abandoned: Abandoned) -> int:
    """Mark the archived packets of an abandoned message rejected, with why; return how many are archived."""
    frames = Frame.objects.filter(stream_seq__in=abandoned.stream_seqs)
    found = frames.count()
    frames.update(outcome=FrameOutcome.REJECTED, error=storable_text(abandoned.reason, 255))
    return found
