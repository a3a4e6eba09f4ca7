"""The bureau's KPIs (考核指标) from stored figures: 设备完好率, 数据上线率, 到报率, 数据准确率.

Definitions are in ``kpi`` (pure). This module keeps ``TerminalDay`` current (counts of reports and
valid readings per terminal and local day, and whether a device fault was open) and computes the
figures for any region and span of days, so a month is a ratio of sums, never a mean of means.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any, cast

from django.db import transaction
from django.db.models import Count, Exists, Q, Sum
from django.db.models.functions import Least

from changji.core import localtime
from changji.core.models import Region
from changji.water.kpi import definitions as kpi
from changji.water.models import Alarm, DailyUsage, Reading, Terminal, TerminalDay
from changji.water.usage import monthly

#: Alarm kinds that mean the device is not intact (设备完好率 counts terminals without them).
DEVICE_FAULT_KINDS = ("meter_fault", "ac_power_lost", "low_battery", "offline")


def _faulty_days(terminal_id: int, first: date, last: date) -> set[date]:
    start, _ = localtime.day_bounds(first)
    _, end = localtime.day_bounds(last)
    faulty: set[date] = set()
    alarms = Alarm.objects.filter(_fault_open(terminal_id, start, end))
    for raised_at, cleared_at, closed_at in alarms.values_list("raised_at", "cleared_at", "closed_at"):
        until = min(t for t in (cleared_at, closed_at, end) if t is not None)
        day = max(localtime.local_day(raised_at), first)
        while day <= min(localtime.local_day(until), last):
            faulty.add(day)
            day += timedelta(days=1)
    return faulty


def _fault_open(terminal_id: Any, start: datetime, end: datetime) -> Q:
    """Device-fault alarms of the terminal that were open at some moment of [start, end)."""
    return Q(terminal_id=terminal_id, kind__in=DEVICE_FAULT_KINDS, raised_at__lt=end) & (
        Q(cleared_at__isnull=True, closed_at__isnull=True) | Q(cleared_at__gte=start) | Q(closed_at__gte=start)
    )


def _refresh_one_day(terminal: Terminal, day: date, expected: int) -> None:
    """The live case: count the day in the database in one query, then upsert its row in another."""
    start, end = localtime.day_bounds(day)
    readings = Reading.objects.filter(terminal=terminal, observed_at__gte=start, observed_at__lt=end)
    counts = readings.aggregate(
        n=Count("id"), bad=Count("id", filter=Q(future_dated=True) | Q(native__late=True)),
        faulty=Count("id", filter=Exists(Alarm.objects.filter(_fault_open(terminal.pk, start, end)))),
    )
    received = counts["n"]
    figures = {"expected_reports": expected, "received_reports": received, "readings_valid": received - counts["bad"],
               "faulty": bool(counts["faulty"]) or not received}
    TerminalDay.objects.bulk_create([TerminalDay(terminal=terminal, day=day, **figures)], update_conflicts=True,
                                    unique_fields=["terminal", "day"], update_fields=list(figures))


@transaction.atomic
def refresh_terminal_days(terminal: Terminal, days: Iterable[date]) -> int:
    """Recount the terminal's reports and valid readings for ``days``; return rows written."""
    days = sorted(set(days))
    if not days:
        return 0
    expected = max(1, 86_400 // max(terminal.report_interval_s, 1))
    if len(days) == 1:
        _refresh_one_day(terminal, days[0], expected)
        return 1
    start, _ = localtime.day_bounds(days[0])
    _, end = localtime.day_bounds(days[-1])
    received: dict[date, int] = defaultdict(int)
    valid: dict[date, int] = defaultdict(int)
    rows = Reading.objects.filter(terminal=terminal, observed_at__gte=start, observed_at__lt=end)
    for observed_at, future_dated, native in rows.values_list("observed_at", "future_dated", "native").iterator():
        day = localtime.local_day(observed_at)
        received[day] += 1
        valid[day] += not future_dated and not (native or {}).get("late")
    faulty = _faulty_days(terminal.pk, days[0], days[-1])
    TerminalDay.objects.filter(terminal=terminal, day__in=days).delete()
    TerminalDay.objects.bulk_create([
        TerminalDay(terminal=terminal, day=day, expected_reports=expected, received_reports=received[day],
                    readings_valid=valid[day], faulty=day in faulty or not received[day])
        for day in days
    ])
    return len(days)


def kpi_sums_by_region(root: Region, first: date, last: date, agreement_tolerance: float = kpi.AGREEMENT_TOLERANCE
                       ) -> dict[str, kpi.KpiSums]:
    """Sum the KPI counts per region code (of the terminals' and wells' own regions) within ``root``.

    The same counts as ``kpi.sum_days`` (a test holds them equal), summed by SQL in two grouped
    queries, so a month of the whole prefecture (about 312,000 terminal-days) is cheap; callers add
    the sums of the regions under each county (``roll_up_sums``). Agreement is judged per well-day,
    which is the terminal-day where a well has one terminal.
    """
    due = Q(expected_reports__gt=0)
    counts = TerminalDay.objects.filter(
        terminal__region__path__startswith=root.path, day__gte=first, day__lte=last
    ).values("terminal__region_id").annotate(
        terminals=Count("terminal", distinct=True), terminal_days=Count("id"),
        intact_days=Count("id", filter=Q(faulty=False)),
        due_days=Count("id", filter=due), online_days=Count("id", filter=due & Q(received_reports__gt=0)),
        arrived_reports=Sum(Least("received_reports", "expected_reports"), filter=due),
        expected_reports=Sum("expected_reports", filter=due), valid_readings=Sum("readings_valid"),
        readings=Sum("received_reports"),
    )
    # The rows are aggregate figures (ints, floats from the rollups, None for an empty Sum) keyed by name.
    agreement: Iterable[dict[str, Any]]
    if agreement_tolerance == kpi.AGREEMENT_TOLERANCE:  # the bureau's tolerance: compiled in the monthly rollups
        agreement = [{"well__region_id": code, "agreement_judged": figures["agreement_judged"],
                      "agreement_ok": figures["agreement_ok"]}
                     for code, figures in monthly.sums(first, last, root.path, by="well__region_id",
                                                      figures=monthly.AGREEMENT_FIGURES).items()]
    else:
        judged, agreeing = monthly.agreement_filters(agreement_tolerance)
        # .values() rows are fresh plain dicts, so popping the group key below is safe; the plugin types them as
        # TypedDicts, whose keys may not be popped.
        agreement = cast("Iterable[dict[str, Any]]", DailyUsage.objects.filter(
            well__region__path__startswith=root.path, day__gte=first, day__lte=last
        ).values("well__region_id").annotate(
            agreement_judged=Count("id", filter=judged), agreement_ok=Count("id", filter=agreeing)
        ))
    fields: dict[str, dict[str, Any]] = defaultdict(dict)
    for row in cast("Iterable[dict[str, Any]]", counts):
        fields[row.pop("terminal__region_id")].update(row)
    for row in agreement:
        fields[row.pop("well__region_id")].update(row)
    return {code: _sums(values) for code, values in fields.items()}


def _sums(values: Mapping[str, int | None]) -> kpi.KpiSums:
    return kpi.KpiSums(**{name: values.get(name) or 0 for name in kpi.KpiSums.__dataclass_fields__})


def roll_up_sums(parts: Iterable[kpi.KpiSums]) -> kpi.KpiSums:
    """Add KPI sums of disjoint sets (regions, days); terminals never span two regions."""
    total: dict[str, int] = defaultdict(int)
    for part in parts:
        for name in kpi.KpiSums.__dataclass_fields__:
            total[name] += getattr(part, name)
    return _sums(dict(total))


def kpi_sums(region: Region, first: date, last: date,
             agreement_tolerance: float = kpi.AGREEMENT_TOLERANCE) -> kpi.KpiSums:
    """Sum the KPI counts of everything within ``region`` over days first..last."""
    return roll_up_sums(kpi_sums_by_region(region, first, last, agreement_tolerance).values())


def kpi_figures(region: Region, first: date, last: date,
                agreement_tolerance: float = kpi.AGREEMENT_TOLERANCE) -> kpi.KpiFigures:
    """Return the KPIs of every terminal within ``region`` over days first..last."""
    return kpi.rates(kpi_sums(region, first, last, agreement_tolerance))


def rebuild_terminal_days(since: date | None = None, terminals: Iterable[Terminal] | None = None) -> int:
    """Recount every terminal's days from ``since`` (default: its first reading) to its last."""
    written = 0
    for terminal in terminals if terminals is not None else Terminal.objects.all():
        readings = Reading.objects.filter(terminal=terminal)
        if since is not None:
            readings = readings.filter(observed_at__gte=localtime.day_bounds(since)[0])
        first = readings.order_by("observed_at").values_list("observed_at", flat=True).first()
        last = readings.order_by("-observed_at").values_list("observed_at", flat=True).first()
        if first is None or last is None:
            continue
        day, end = localtime.local_day(first), localtime.local_day(last)
        written += refresh_terminal_days(terminal, [day + timedelta(days=n) for n in range((end - day).days + 1)])
    return written
