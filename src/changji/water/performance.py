"""The bureau's KPIs (考核指标) from stored figures: 设备完好率, 数据上线率, 到报率, 数据准确率.

Definitions are in ``kpi`` (pure). This module keeps ``TerminalDay`` current (counts of reports and
valid readings per terminal and local day, and whether a device fault was open) and computes the
figures for any region and span of days, so a month is a ratio of sums, never a mean of means.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q

from changji.core.models import Region

from . import kpi, stats
from .models import Alarm, DailyUsage, Reading, Terminal, TerminalDay

#: Alarm kinds that mean the device is not intact (设备完好率 counts terminals without them).
DEVICE_FAULT_KINDS = ("meter_fault", "ac_power_lost", "low_battery", "offline")


def _faulty_days(terminal_id: int, first: date, last: date) -> set[date]:
    start, _ = stats.day_bounds(first)
    _, end = stats.day_bounds(last)
    faulty: set[date] = set()
    alarms = Alarm.objects.filter(terminal_id=terminal_id, kind__in=DEVICE_FAULT_KINDS, raised_at__lt=end).filter(
        Q(cleared_at__isnull=True, closed_at__isnull=True) | Q(cleared_at__gte=start) | Q(closed_at__gte=start)
    )
    for raised_at, cleared_at, closed_at in alarms.values_list("raised_at", "cleared_at", "closed_at"):
        until = min(t for t in (cleared_at, closed_at, end) if t is not None)
        day = max(stats.local_day(raised_at), first)
        while day <= min(stats.local_day(until), last):
            faulty.add(day)
            day += timedelta(days=1)
    return faulty


@transaction.atomic
def refresh_terminal_days(terminal: Terminal, days: Iterable[date]) -> int:
    """Recount the terminal's reports and valid readings for ``days``; return rows written."""
    days = sorted(set(days))
    if not days:
        return 0
    start, _ = stats.day_bounds(days[0])
    _, end = stats.day_bounds(days[-1])
    received: dict[date, int] = defaultdict(int)
    valid: dict[date, int] = defaultdict(int)
    rows = Reading.objects.filter(terminal=terminal, observed_at__gte=start, observed_at__lt=end)
    for observed_at, future_dated, native in rows.values_list("observed_at", "future_dated", "native").iterator():
        day = stats.local_day(observed_at)
        received[day] += 1
        valid[day] += not future_dated and not (native or {}).get("late")
    faulty = _faulty_days(terminal.pk, days[0], days[-1])
    expected = max(1, 86_400 // max(terminal.report_interval_s, 1))
    TerminalDay.objects.filter(terminal=terminal, day__in=days).delete()
    TerminalDay.objects.bulk_create([
        TerminalDay(terminal=terminal, day=day, expected_reports=expected, received_reports=received[day],
                    readings_valid=valid[day], faulty=day in faulty or not received[day])
        for day in days
    ])
    return len(days)


def kpi_figures(region: Region, first: date, last: date, agreement_tolerance: float = 0.2) -> kpi.KpiFigures:
    """Return the KPIs of every terminal within ``region`` over days first..last."""
    rows = TerminalDay.objects.filter(
        terminal__region__path__startswith=region.path, day__gte=first, day__lte=last
    ).values_list("terminal_id", "terminal__well_id", "day", "expected_reports", "received_reports",
                  "readings_valid", "faulty")
    usage = {
        (well_id, day): (water, estimated)
        for well_id, day, water, estimated in DailyUsage.objects.filter(
            well__region__path__startswith=region.path, day__gte=first, day__lte=last
        ).values_list("well_id", "day", "water_m3", "estimated_water_m3")
    }
    days = []
    for terminal_id, well_id, day, expected, received, valid, faulty in rows.iterator(chunk_size=5000):
        metered, estimated = usage.get((well_id, day), (None, None))
        days.append(kpi.TerminalDay(terminal_id, expected, received, faulty, received, valid, metered, estimated))
    return kpi.compute_kpis(days, agreement_tolerance)


def rebuild_terminal_days(since: date | None = None, terminals: Iterable[Terminal] | None = None) -> int:
    """Recount every terminal's days from ``since`` (default: its first reading) to its last."""
    written = 0
    for terminal in terminals if terminals is not None else Terminal.objects.all():
        readings = Reading.objects.filter(terminal=terminal)
        if since is not None:
            readings = readings.filter(observed_at__gte=stats.day_bounds(since)[0])
        first = readings.order_by("observed_at").values_list("observed_at", flat=True).first()
        last = readings.order_by("-observed_at").values_list("observed_at", flat=True).first()
        if first is None or last is None:
            continue
        day, end = stats.local_day(first), stats.local_day(last)
        written += refresh_terminal_days(terminal, [day + timedelta(days=n) for n in range((end - day).days + 1)])
    return written
