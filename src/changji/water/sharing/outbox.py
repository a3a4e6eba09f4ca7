"""Write changes to the outbox in the transaction of the change (the transactional-outbox pattern).

The caller is inside the ``transaction.atomic()`` block that changes the row, so the entry commits or rolls back
with it: nothing changed goes unreported, nothing reported was rolled back. ``record_many`` writes in one
``bulk_create`` for the derivation loop's batches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from changji.water.models import OutboxEntry


@dataclass(frozen=True, slots=True)
class Change:
    """One row of a stream as it now stands (``payload``), or its removal (``deleted``)."""

    stream: str
    key: str
    region_code: str
    payload: Mapping[str, Any]
    deleted: bool = False


def record(change: Change) -> None:
    """Write one change to the outbox (in the caller's transaction)."""
    record_many([change])


def record_many(changes: Iterable[Change]) -> int:
    """Write changes to the outbox in one statement; return how many."""
    rows = [OutboxEntry(stream=c.stream, key=c.key, region_code=c.region_code, payload=dict(c.payload),
                        deleted=c.deleted) for c in changes]
    OutboxEntry.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
