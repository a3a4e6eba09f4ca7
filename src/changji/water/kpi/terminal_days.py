"""The bureau's KPIs (考核指标) from stored figures: 设备完好率, 数据上线率, 到报率, 数据准确率.

Definitions are in ``kpi`` (pure). This module keeps ``TerminalDay`` current (counts of reports and
valid readings per terminal and local day, and whether a device fault was open) and computes the
figures for any region and span of days, so a month is a ratio of sums, never a mean of means.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Least

from changji.core import localtime
from changji.core.models import Region
from changji.water.alarms import rules
from changji.water.alarms.evaluation import fault_flags
from changji.water.kpi import definitions as kpi
from changji.water.kpi import validity
from changji.water.models import Alarm, DailyUsage, Frame, FrameOutcome, Reading, Terminal, TerminalDay
from changji.water.sharing import kpi as shared_kpi
from changji.water.usage import monthly

#: Alarm kinds that mean the device is broken (设备完好率). OFFLINE is not one of them: silence is judged
#: from the readings (``validity.day_condition``), which tells a network outage from a dead device; nor is
#: AC_POWER_LOST, the grid's fault, not the device's.
DEVICE_FAULT_KINDS = ("meter_fault", "low_battery")
_READING_FIELDS = ("id", "observed_at", "received_at", "flow_m3h", "volume_m3", "energy_kwh", "battery_v",
                   "future_dated", "native")


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


def validity_context(terminal: Terminal) -> validity.ValidityContext:
    """What the reading judgement knows of the terminal's well: the pump's rated flow and power."""
    well = terminal.well
    return validity.ValidityContext(rated_flow_m3h=well.pump_rated_flow_m3h if well else None,
                                    rated_power_kw=well.pump_rated_power_kw if well else None)


@dataclass
class _Day:
    """The counts of one terminal-day while the readings are walked."""

    received: int = 0
    live: int = 0
    valid: int = 0
    valid_measurements: int = 0
    device_readings: int = 0
    rejected_late: int = 0
    reasons: Counter[str] = field(default_factory=Counter)


def _views(terminal: Terminal, rows: Iterable[tuple[Any, ...]]) -> list[rules.ReadingView]:
    """Map ``_READING_FIELDS`` rows to what the rules read (as ``alarms.evaluation.reading_view``, without models)."""
    views = []
    for pk, observed_at, received_at, flow, volume, energy, battery, future_dated, native in rows:
        native = native if isinstance(native, dict) else {}
        flowmeter, level_meter = fault_flags(native, terminal.protocol)
        views.append(rules.ReadingView(
            reading_id=pk, observed_at=observed_at, received_at=received_at, flow_m3h=flow, volume_m3=volume,
            energy_kwh=energy, battery_v=battery, future_dated=future_dated, flowmeter_fault=flowmeter,
            level_meter_fault=level_meter, late=native.get("late") is True))
    return views


def _judged_readings(terminal: Terminal, start: datetime, end: datetime
                     ) -> list[tuple[rules.ReadingView, frozenset[validity.InvalidReason]]]:
    """The terminal's readings observed in [start, end) and the one before, each with its invalid reasons.

    Plain rows, not models: the derivation walks a day's 288 readings for every new one (about a millisecond).
    """
    readings = Reading.objects.filter(terminal=terminal)
    before = readings.filter(observed_at__lt=start).order_by("-observed_at").values_list(*_READING_FIELDS)[:1]
    rows = [*before, *readings.filter(observed_at__gte=start, observed_at__lt=end).order_by("observed_at")
            .values_list(*_READING_FIELDS)]
    context = validity_context(terminal)
    judged = []
    previous: rules.ReadingView | None = None
    for view in _views(terminal, rows):
        judged.append((view, validity.invalid_reasons(view, previous, context)))
        previous = view
    return judged


def _late_frames(terminal: Terminal, start: datetime, end: datetime, stored: set[datetime]) -> dict[date, int]:
    """Frames the gateway refused as late (``FrameOutcome.LATE``), one per observation time, per local day."""
    # a received_at bound keeps to the (terminal, -received_at) index: a frame arrives after its observation
    # (or, a clock ahead, at most a day before it)
    frames = Frame.objects.filter(terminal=terminal, received_at__gte=start - timedelta(days=1),
                                  outcome=FrameOutcome.LATE, observed_at__gte=start, observed_at__lt=end)
    times = {at for at in frames.values_list("observed_at", flat=True) if at}
    out: dict[date, int] = defaultdict(int)
    for observed_at in times - stored:
        out[localtime.local_day(observed_at)] += 1
    return out


def _area_silent(terminal: Terminal, day: date) -> bool:
    """Whether most terminals of the terminal's region were silent (no live reading) on ``day``."""
    start, end = localtime.day_bounds(day)
    peers = Terminal.objects.filter(region_id=terminal.region_id).filter(
        Q(installed_on__isnull=True) | Q(installed_on__lte=day))
    heard = Reading.objects.filter(
        terminal__in=peers, observed_at__gte=start, observed_at__lt=end,
        received_at__lte=F("observed_at") + timedelta(seconds=validity.BUFFERED_AFTER_S),
    ).values("terminal_id").distinct().count()
    total = peers.count()
    return validity.area_silent(total - heard, total)


def _count_days(terminal: Terminal, days: list[date]) -> tuple[dict[date, _Day], dict[date, bool | None]]:
    """Walk the readings of ``days``: per day its counts, and whether the last words before it were healthy."""
    start, _ = localtime.day_bounds(days[0])
    _, end = localtime.day_bounds(days[-1])
    judged = _judged_readings(terminal, start, end)
    counts: dict[date, _Day] = {day: _Day() for day in days}
    last_words: dict[date, bool | None] = {}
    previous: tuple[rules.ReadingView, frozenset[validity.InvalidReason]] | None = None
    for view, reasons in judged:
        day = localtime.local_day(view.observed_at)
        if day not in last_words and day in counts:
            last_words[day] = None if previous is None else validity.healthy_last_words(*previous)
        previous = (view, reasons)
        if day not in counts:
            continue
        count = counts[day]
        count.received += 1
        count.live += not validity.is_buffered(view)
        count.valid += not reasons
        count.valid_measurements += not reasons and validity.is_measurement(view)
        count.device_readings += bool(reasons & validity.DEVICE_REASONS)
        count.reasons.update(str(reason) for reason in reasons)
    for day, late in _late_frames(terminal, start, end, {view.observed_at for view, _ in judged}).items():
        if day in counts:
            counts[day].rejected_late += late
            counts[day].reasons[validity.InvalidReason.LATE] += late
    for day in days:  # silent days: the last words are those of the newest reading before the day
        if day not in last_words:
            day_start, _ = localtime.day_bounds(day)
            earlier = [item for item in judged if item[0].observed_at < day_start]
            last_words[day] = validity.healthy_last_words(*earlier[-1]) if earlier else None
    return counts, last_words


@transaction.atomic
def refresh_terminal_days(terminal: Terminal, days: Iterable[date]) -> int:
    """Recount the terminal's readings and judge its condition for ``days``; return rows written."""
    days = sorted(set(days))
    if not days or terminal.reported_by:  # a terminal reported from below keeps the days received for it
        return 0
    expected = max(1, 86_400 // max(terminal.report_interval_s, 1))
    counts, last_words = _count_days(terminal, days)
    fault_alarm = _faulty_days(terminal.pk, days[0], days[-1])
    rows = []
    for day in days:
        count = counts[day]
        facts = validity.DayFacts(
            received=count.received, live=count.live, valid_measurements=count.valid_measurements,
            device_readings=count.device_readings, fault_alarm=day in fault_alarm,
            last_words_healthy=last_words[day],
            area_silent=not count.received and _area_silent(terminal, day))
        condition, cause = validity.day_condition(facts)
        rows.append(TerminalDay(
            terminal=terminal, day=day, expected_reports=expected, received_reports=count.received,
            readings_valid=count.valid, readings_rejected_late=count.rejected_late,
            invalid_by_reason=dict(sorted(count.reasons.items())), condition=condition,
            condition_cause=cause or "", faulty=condition == validity.Condition.DEVICE_FAULT))
    TerminalDay.objects.filter(terminal=terminal, day__in=days).delete()
    TerminalDay.objects.bulk_create(rows)
    shared_kpi.record_terminal_days(terminal, rows)  # the outbox (water.sharing): one insert
    return len(rows)


def fill_silent_days(day: date) -> int:
    """Write ``day``'s row for every installed terminal that has none (silent all day); return rows written.

    The derivation writes a day when a reading of it arrives, so a terminal silent all day would have no
    row and drop out of 上线率 and 完好率; the daily job calls this for yesterday.
    """
    written = TerminalDay.objects.filter(day=day).values("terminal_id")
    silent = Terminal.objects.select_related("well").filter(
        installed_on__isnull=False, installed_on__lte=day, reported_by="").exclude(pk__in=written)
    return sum(refresh_terminal_days(terminal, [day]) for terminal in silent)


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
        readings=Sum(F("received_reports") + F("readings_rejected_late")),
        comm_lost_days=Count("id", filter=Q(condition=validity.Condition.COMM_LOSS)),
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
    for terminal in terminals if terminals is not None else Terminal.objects.filter(reported_by=""):
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


@dataclass(frozen=True, slots=True)
class WellsCondition:
    """设备完好率 and 通信中断率 of a set of wells over a span of days (terminal-days of their terminals)."""

    terminal_days: int
    device_fault_days: int
    comm_loss_days: int
    intact_rate: float | None  #: 设备完好率 = days not a device fault / terminal-days
    comm_loss_rate: float | None  #: 通信中断率 = communication-loss days / terminal-days


def wells_condition(well_ids: Iterable[int], first: date, last: date) -> WellsCondition:
    """The device condition of the terminals of ``well_ids`` over local days first..last (stable API).

    The caller scopes ``well_ids``; the figures follow ``kpi.validity.day_condition`` and are the same
    ratio of sums as ``kpi_figures`` (e.g. the O&M contractors' 完好率 of their wells).
    """
    counts = TerminalDay.objects.filter(terminal__well_id__in=list(well_ids), day__gte=first, day__lte=last).aggregate(
        n=Count("id"), fault=Count("id", filter=Q(condition=validity.Condition.DEVICE_FAULT)),
        comm=Count("id", filter=Q(condition=validity.Condition.COMM_LOSS)))
    n, fault, comm = counts["n"], counts["fault"], counts["comm"]
    return WellsCondition(n, fault, comm, (n - fault) / n if n else None, comm / n if n else None)


def intact_rate_of_wells(well_ids: Iterable[int], first: date, last: date) -> float | None:
    """设备完好率 of the wells ``well_ids`` over local days first..last; None when they have no terminal-days."""
    return wells_condition(well_ids, first, last).intact_rate
