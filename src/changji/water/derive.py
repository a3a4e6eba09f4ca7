"""Follow the frame archive and keep derived figures current as readings arrive (live and late).

The gateway only stores; this loop (``changji water derive``) reads the frames stored since its
cursor, groups their observation times by terminal and recomputes exactly the affected days
(``usage.update_for_readings``) and the terminals' daily counts (``performance``). Frames
younger than ``settle`` are left for the next pass, so a transaction that reserved lower ids but
committed later (several gateways on PostgreSQL) is not skipped.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from . import stats
from .models import DerivationCursor, Frame, FrameOutcome, Terminal
from .performance import refresh_terminal_days
from .usage import update_for_readings

CURSOR = "usage"
SETTLE = timedelta(seconds=5)


def derive_pending(limit: int = 50_000, settle: timedelta = SETTLE) -> int:
    """Derive the readings of frames stored since the cursor; return how many frames were taken."""
    cursor, _ = DerivationCursor.objects.get_or_create(name=CURSOR)
    frames = list(
        Frame.objects.filter(
            pk__gt=cursor.last_frame_id, received_at__lt=timezone.now() - settle,
        ).order_by("pk").values_list("pk", "terminal_id", "observed_at", "outcome")[:limit]
    )
    if not frames:
        return 0
    touched: dict[int, list[datetime]] = defaultdict(list)
    for _, terminal_id, observed_at, outcome in frames:
        if outcome == FrameOutcome.STORED and terminal_id is not None and observed_at is not None:
            touched[terminal_id].append(observed_at)
    terminals = Terminal.objects.select_related("well").in_bulk(list(touched))
    for terminal_id, times in touched.items():
        derive_terminal(terminals[terminal_id], times)
    DerivationCursor.objects.filter(pk=cursor.pk).update(last_frame_id=frames[-1][0])
    return len(frames)


def derive_terminal(terminal: Terminal, observed: list[datetime]) -> None:
    """Bring one terminal's derived figures up to date with readings observed at ``observed``.

    One short transaction per terminal: the gateway shares the SQLite writer lock, and a pass over
    thousands of terminals in one transaction would hold it for seconds. Re-deriving a terminal
    after a crash is harmless: both paths recompute or fold only what is not in yet.
    """
    with transaction.atomic():
        update_for_readings(terminal, observed)
        refresh_terminal_days(terminal, {stats.local_day(t) for t in observed})


def follow(interval_s: float = 10.0, once: bool = False, jobs: bool = True, jobs_delay_s: float = 60.0) -> None:
    """Derive in a loop, sleeping ``interval_s`` when idle, and run the recurring jobs when due.

    The first alarm evaluation waits ``jobs_delay_s``, so terminals that dial in (or replay their
    history) as the platform starts are not judged offline before they could report.
    """
    from .jobs import Schedule

    schedule = Schedule(first_delay_s=jobs_delay_s)
    while True:
        taken = derive_pending()
        if jobs:
            schedule.tick(timezone.now())
        if once:
            return
        if not taken:
            time.sleep(interval_s)
