"""The demo's outbox: what a county instance queues for the prefecture when it is first connected.

The demo fleet and its history are written in bulk (no change is recorded), so the demo queues the snapshot a
bureau would queue on connecting to its upstream (``changji water share-snapshot``): the registry and the last
week's usage, alarms and terminal-days. Once only: a second preparation finds the wells queued already (the
licences and plans seeded before record themselves on save, so the test is the wells). The live derivation and
the jobs then add their changes as they happen.
"""

from __future__ import annotations

from datetime import timedelta

from changji.core.localtime import today
from changji.water.models import OutboxEntry
from changji.water.sharing.snapshot import queue_snapshot

DEMO_DAYS = 7


def seed_outbox() -> str:
    """Queue the snapshot unless the wells are queued already; describe what was queued."""
    if OutboxEntry.objects.filter(stream="registry", key__startswith="well:").exists():
        return "outbox kept"
    counts = queue_snapshot(today() - timedelta(days=DEMO_DAYS))
    return "outbox (上报待发): " + ", ".join(f"{name} {n}" for name, n in counts.items())
