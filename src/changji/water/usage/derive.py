"""Follow the frame archive and keep derived figures current as readings arrive (live and late).

The gateway only stores; this loop (``changji water derive``) reads the frames stored since its
cursor, groups their observation times by terminal and recomputes exactly the affected days
(``usage.update_for_readings``) and the terminals' daily counts (``performance``). Frames
younger than ``settle`` are left for the next pass, so a transaction that reserved lower ids but
committed later (several gateways on PostgreSQL) is not skipped. The recurring jobs are not run
here: ``changji jobs`` runs them (``water/jobs.py``).

Each pass is counted for Prometheus (served by ``changji water derive --metrics-addr``): frames taken, the
pass's duration and the lag (how long ago the newest frame it took was received; 0 when nothing waited).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone
from prometheus_client import Counter, Gauge, Histogram

from changji.core import localtime
from changji.water.kpi.terminal_days import refresh_terminal_days
from changji.water.models import DerivationCursor, Frame, FrameOutcome, Reading, Terminal, Well
from changji.water.usage import reference
from changji.water.usage.batch import rebuild_usage_batch
from changji.water.usage.live import append_readings

DERIVED_FRAMES = Counter("changji_derive_frames", "Archived frames the derivation loop has taken.")
DERIVE_PASS = Histogram("changji_derive_pass_seconds", "Duration of one pass of the derivation loop.",
                        buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0))
DERIVE_LAG = Gauge("changji_derive_lag_seconds",
                   "How long ago the newest frame of the last pass was received (0: nothing waited).",
                   multiprocess_mode="max")

CURSOR = "usage"
SETTLE = timedelta(seconds=5)


def rebuild_usage(since: date | None = None, wells: Iterable[Well] | None = None) -> int:
    """Rebuild DailyUsage for ``wells`` (default: all) from ``since``; idempotent. Return rows written.

    Runs in batches (``usage/batch.py``): clean series in bulk over arrays, the rest through
    :func:`reference.rebuild_well`, with the same rows either way.
    """
    return rebuild_usage_batch(since, list(wells) if wells is not None else None)


def update_for_readings(terminal: Terminal | int, observed: Iterable[datetime]) -> tuple[date, date] | None:
    """Recompute exactly the days that new or late readings of one terminal affect.

    A reading changes the segment from the reading before it and the one to the reading after it,
    so the affected days run from the day of the previous reading to the day of the next one (a
    back-filled reading inside a long gap re-spreads the whole gap). Return (first, last) day.
    ``terminal`` may be the terminal with its well loaded (the live path saves the query) or its id.
    """
    times = sorted(observed)
    if not times:
        return None
    if not isinstance(terminal, Terminal):
        terminal = Terminal.objects.select_related("well").get(pk=terminal)
    if terminal.well is None or terminal.well.reported_by:  # a well reported from below keeps its received rows
        return None
    appended = append_readings(terminal.well, terminal.report_interval_s, times[0])
    if appended is not None:
        return appended
    terminal_ids = list(Terminal.objects.filter(well=terminal.well).values_list("id", flat=True))
    around = Reading.objects.filter(terminal_id__in=terminal_ids)
    previous = around.filter(observed_at__lt=times[0]).aggregate(at=Max("observed_at"))["at"]
    following = around.filter(observed_at__gt=times[-1]).aggregate(at=Min("observed_at"))["at"]
    first = localtime.local_day(previous or times[0])
    last = localtime.local_day(following or times[-1])
    start, _ = localtime.day_bounds(first)
    _, end = localtime.day_bounds(last)
    before = around.filter(observed_at__lt=start).aggregate(at=Max("observed_at"))["at"]
    after = around.filter(observed_at__gte=end).aggregate(at=Min("observed_at"))["at"]
    series = reference.load_series(terminal_ids, before or start, after or end)
    rows = reference.compute_days(terminal.well, series)
    reference.write_days(terminal.well, rows, first, last)
    return first, last


def derive_pending(limit: int = 50_000, settle: timedelta = SETTLE) -> int:
    """Derive the readings of frames stored since the cursor; return how many frames were taken."""
    cursor, _ = DerivationCursor.objects.get_or_create(name=CURSOR)
    frames = list(
        Frame.objects.filter(
            pk__gt=cursor.last_frame_id, received_at__lt=timezone.now() - settle,
        ).order_by("pk").values_list("pk", "terminal_id", "observed_at", "outcome", "received_at")[:limit]
    )
    if not frames:
        DERIVE_LAG.set(0)
        return 0
    DERIVE_LAG.set(max((timezone.now() - max(frame[4] for frame in frames)).total_seconds(), 0.0))
    touched: dict[int, list[datetime]] = defaultdict(list)
    for _, terminal_id, observed_at, outcome, _received in frames:
        if outcome == FrameOutcome.STORED and terminal_id is not None and observed_at is not None:
            touched[terminal_id].append(observed_at)
    terminals = Terminal.objects.select_related("well").in_bulk(list(touched))
    for terminal_id, times in touched.items():
        derive_terminal(terminals[terminal_id], times)
    DerivationCursor.objects.filter(pk=cursor.pk).update(last_frame_id=frames[-1][0])
    DERIVED_FRAMES.inc(len(frames))
    return len(frames)


def derive_terminal(terminal: Terminal, observed: list[datetime]) -> None:
    """Bring one terminal's derived figures up to date with readings observed at ``observed``.

    One short transaction per terminal: the gateway shares the SQLite writer lock, and a pass over
    thousands of terminals in one transaction would hold it for seconds. Re-deriving a terminal
    after a crash is harmless: both paths recompute or fold only what is not in yet.
    """
    with transaction.atomic():
        update_for_readings(terminal, observed)
        refresh_terminal_days(terminal, {localtime.local_day(t) for t in observed})


def follow(interval_s: float = 10.0, once: bool = False) -> None:
    """Derive in a loop, sleeping ``interval_s`` when idle.

    Only the derivation: the recurring jobs (alarm rules, quota sweep, daily and monthly work) are
    registered in ``water/jobs.py`` and run by ``changji jobs``.
    """
    while True:
        with DERIVE_PASS.time():
            taken = derive_pending()
        if once:
            return
        if not taken:
            time.sleep(interval_s)
