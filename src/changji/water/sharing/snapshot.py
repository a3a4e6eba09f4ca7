"""A full snapshot of this instance's rows into the outbox, for an upstream that has not seen them yet.

The outbox holds changes from the moment they happen; rows written before an instance was connected to its
upstream (a registry imported in bulk, a fleet seeded, a year of history) were never changes. When a link to an
upstream is set up, :func:`queue_snapshot` writes the registry as it stands and the derived figures since a day
(usage, KPI terminal-days, alarms raised since), in the streams' order, so the upstream starts complete. Applying
is idempotent, so a snapshot of rows the upstream already has changes nothing there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from django.db import transaction

from changji.core import localtime
from changji.water.models import (
    Alarm,
    AnnualPlan,
    Licence,
    Meter,
    MonthlyUsage,
    Terminal,
    TerminalDay,
    WaterUser,
    Well,
)
from changji.water.sharing import alarms, kpi, registry, usage
from changji.water.sharing.outbox import Change, record_many

CHUNK = 500


def _record(changes: Iterable[Change | None]) -> int:
    batch: list[Change] = []
    written = 0
    for change in changes:
        if change is not None:
            batch.append(change)
        if len(batch) >= CHUNK:
            written += record_many(batch)
            batch = []
    return written + record_many(batch)


def queue_registry() -> int:
    """Every water user, well, terminal, meter, licence and plan, parents first."""
    with registry.cached_chains():
        return (_record(registry.user_change(u) for u in WaterUser.objects.order_by("pk").iterator())
                + _record(registry.well_change(w) for w in Well.objects.order_by("pk").iterator())
                + _record(registry.terminal_change(t) for t in Terminal.objects.order_by("pk").iterator())
                + _record(registry.meter_change(m) for m in Meter.objects.order_by("pk").iterator())
                + _record(registry.licence_change(lic) for lic in Licence.objects.order_by("pk").iterator())
                + _record(registry.plan_change(p) for p in AnnualPlan.objects.order_by("pk").iterator()))


def queue_usage(since: date) -> int:
    """Daily usage from ``since`` and the rollups of the months from its month, in chunks of wells."""
    well_ids = list(Well.objects.order_by("pk").values_list("pk", flat=True))
    written = 0
    for offset in range(0, len(well_ids), CHUNK):
        chunk = well_ids[offset: offset + CHUNK]
        written += usage.record_day_diff({}, usage.snapshot_days(chunk, since), chunk)
    wells = usage.well_keys(well_ids)
    for month in MonthlyUsage.objects.filter(month__gte=localtime.month_of(since)).values_list(
            "month", flat=True).distinct():
        written += usage.record_month_diff({}, usage.snapshot_months(month, wells, None), wells)
    return written


def queue_kpi(since: date) -> int:
    """Terminal-days from ``since``, one statement per terminal."""
    written = 0
    for terminal in Terminal.objects.order_by("pk").iterator():
        rows = list(TerminalDay.objects.filter(terminal=terminal, day__gte=since).order_by("day"))
        if rows:
            written += kpi.record_terminal_days(terminal, rows)
    return written


def queue_alarms(since: date) -> int:
    """Alarms raised from ``since`` on, with their history."""
    start = localtime.day_bounds(since)[0]
    return _record(alarms.alarm_change(a) for a in Alarm.objects.filter(raised_at__gte=start).order_by("raised_at"))


def queue_snapshot(since: date, streams: Sequence[str] = ("registry", "usage", "alarms", "kpi")) -> dict[str, int]:
    """Write the snapshot of ``streams`` (figures from ``since``) to the outbox in one transaction; counts."""
    steps = {"registry": queue_registry, "usage": lambda: queue_usage(since), "alarms": lambda: queue_alarms(since),
             "kpi": lambda: queue_kpi(since)}
    with transaction.atomic():
        return {name: steps[name]() for name in streams if name in steps}
