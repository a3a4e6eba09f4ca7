"""A year of demo history, generated fast: readings written in bulk, then derived like live data.

``changji demo`` shows a platform that has run for a year: the dashboard's quota use, 以电折水
figures, KPIs, monthly rollups, over-plan wells and alarms of every kind. Replaying a year through
the gateway at 5-minute reports would take hours, so :func:`generate_history` writes the readings of
the demo fleet directly (``bulk_create``), a few a day (every 4 h in the irrigation season, 6 h
otherwise: the history keeps one report in 48–72 of what the terminals sent), and derives them with
the platform's own arithmetic: daily usage (``usage.reference.compute_days``, the rows ``rebuild_usage``
makes, computed from the readings still in memory), terminal days, monthly rollups and seals, the 以电折水
coefficients (a 率定 of every well when the history starts) and the alarm rules (``sim/incidents.py``).

The physics is ``sim/pumping.py`` (pure): the same figures give the annual plans of the demo
(:func:`pumping.plan_volume_m3`). Registers are continuous: meter replacements are registered as
``MeterReplacement`` rows, one register wraps at its capacity, two terminals fall silent for days.

Each reading points at a ``Frame``: one archive row per terminal and month (``peer`` = :data:`PEER`,
no raw bytes: these reports never crossed a wire), so the frame archive says plainly which readings
were generated. A second run finds those frames and does nothing (idempotent).

The terminal-day counts (``TerminalDay``) are those of the full 5-minute stream the history stands for:
288 expected a day, every one received on a day the history has readings for, none on a silent day.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Max

from changji.core import localtime
from changji.water.gateway.records import FrameOutcome
from changji.water.kpi.terminal_days import DEVICE_FAULT_KINDS
from changji.water.models import (
    Alarm,
    CoefficientMethod,
    DailyUsage,
    DerivationCursor,
    Frame,
    Meter,
    MeterKind,
    MeterReplacement,
    Reading,
    Terminal,
    TerminalDay,
    Well,
    WellCoefficient,
)
from changji.water.sim import incidents as incident_module
from changji.water.sim import pumping
from changji.water.sim.fleet import FleetWell, build_fleet
from changji.water.sim.profiles import BATCHES
from changji.water.sim.stories import CLOCK_AHEAD, RECEIVE_DELAY, Burst, WellStory, started_at
from changji.water.usage import monthly, reference, registers
from changji.water.usage.derive import CURSOR
from changji.water.usage.monthly import seal_closed_months

#: ``Frame.peer`` of the generated history's archive rows: how a second run knows the history exists.
PEER = "demo-history"
REPORTS_PER_DAY = 288  # one every 5 minutes, the terminals' reporting interval
@dataclass(frozen=True)
class HistoryResult:
    """What :func:`generate_history` did, for the line ``changji demo`` prints."""

    skipped: bool
    readings: int = 0
    frames: int = 0
    usage_rows: int = 0
    alarms: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    #: CPU seconds of this process (the wall time also counts waiting for the disk and other processes).
    cpu_seconds: float = 0.0

    def summary(self) -> str:
        if self.skipped:
            return "history already present (kept)"
        timings = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.seconds.items())
        return (f"{self.readings} readings, {self.usage_rows} daily usage rows, {self.alarms} alarms "
                f"in {sum(self.seconds.values()):.1f} s, {self.cpu_seconds:.1f} s CPU ({timings})")


def history_exists() -> bool:
    """True once a history was generated (its archive rows are there)."""
    return Frame.objects.filter(peer=PEER).exists()


def fleet_of_registry(seed: int = 2026) -> list[FleetWell]:
    """The fleet wells registered by ``seed_fleet`` (the first N of the deterministic fleet)."""
    count = Terminal.objects.filter(batch__name__in=list(BATCHES)).count()
    registered = set(Well.objects.values_list("code", flat=True))
    return [well for well in build_fleet(count, seed) if well.code in registered]


@transaction.atomic
def generate_history(first_day: date, last_day: date, wells: Sequence[FleetWell] | None = None,
                     seed: int = 2026, incidents: bool = True) -> HistoryResult:
    """Write and derive the demo fleet's history of local days first..last; nothing if one exists.

    ``wells`` are fleet wells already registered (``sim/demo.seed_fleet``); default: all of them.
    ``incidents`` adds the alarm stories (``sim/incidents.py``): at least one alarm of every kind.
    One transaction: an interrupted run leaves nothing behind, and the next one starts again.
    """
    if history_exists():
        return HistoryResult(skipped=True)
    fleet = list(wells) if wells is not None else fleet_of_registry(seed)
    timings: dict[str, float] = {}
    clock, cpu = time.perf_counter(), time.process_time()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    stories = incident_module.plan_stories(fleet, first_day, last_day, seed) if incidents else {}
    registry = {w.code: w for w in Well.objects.filter(code__in=[f.code for f in fleet])}
    terminals = {t.well_id: t for t in Terminal.objects.filter(well__in=registry.values()) if t.well_id is not None}
    _calibrate(fleet, registry, first_day, seed)
    readings, frames, usage_rows = _write_readings(fleet, registry, terminals, stories, first_day, last_day, seed)
    lap("readings and usage")
    _terminal_days(fleet, registry, terminals, stories, first_day, last_day)
    monthly.refresh(None, first_day, last_day)
    seal_closed_months(first_day, last_day)
    lap("terminal days, months")
    alarms = incident_module.raise_alarms(fleet, registry, terminals, stories, first_day, last_day, seed) \
        if incidents else 0
    _mark_faulty_days(list(terminals.values()), first_day, last_day)
    lap("alarms")
    return HistoryResult(False, readings, frames, usage_rows, alarms, timings, time.process_time() - cpu)


def _calibrate(fleet: Sequence[FleetWell], registry: dict[str, Well], first_day: date, seed: int) -> None:
    """Record a field calibration (率定) of every extraction well on the history's first day.

    The measured coefficient is the well's true ratio within ±3 %, so 以电折水 agrees with the meter.
    """
    have = set(WellCoefficient.objects.filter(well__in=registry.values()).values_list("well_id", flat=True))
    rows = []
    for well in fleet:
        registered = registry.get(well.code)
        if registered is None or registered.pk in have or not well.ratio_m3_per_kwh:
            continue
        rng = random.Random(f"{seed}:calibration:{well.code}")
        coefficient = round(well.ratio_m3_per_kwh * rng.uniform(0.97, 1.03), 4)
        measured_m3 = round(well.pump_rated_flow_m3h or 50.0, 1)
        rows.append(WellCoefficient(
            well=registered, m3_per_kwh=coefficient, valid_from=first_day, method=CoefficientMethod.CALIBRATION,
            measured_m3=measured_m3, measured_kwh=round(measured_m3 / coefficient, 2), calibrated_on=first_day,
            note="演示：安装验收时现场率定（1 小时抽水试验）",
        ))
    WellCoefficient.objects.bulk_create(rows, batch_size=1000)


class Row(NamedTuple):
    """One generated reading, as light as a tuple: a year of the demo fleet is 650,000 of them."""

    observed_at: datetime
    received_at: datetime
    flow_m3h: float | None = None
    volume_m3: float | None = None
    energy_kwh: float | None = None
    depth_m: float | None = None
    battery_v: float | None = None
    pump_on: bool | None = None
    door_open: bool | None = False
    ac_power_lost: bool | None = False
    future_dated: bool = False
    native: dict | None = None


#: Reading columns written, in the order of ``Row`` followed by the terminal and the frame.
COLUMNS = (*Row._fields, "terminal", "frame")


class _Registers:
    """One extraction well's volume and energy registers along its history, with its story's steps."""

    def __init__(self, well: FleetWell, story: WellStory, seed: int) -> None:
        self.well = well
        self.volume, self.energy = pumping.initial_registers(well, well.ratio_m3_per_kwh, seed)
        if story.role == "rollover":
            self.volume = pumping.VOLUME_CAPACITY_M3 - 0.25 * pumping.annual_volume_m3(well, seed)
        self.ratio = well.ratio_m3_per_kwh or 2.0
        self.replaced_at = story.replaced_at
        self.replacement: tuple[float, float] | None = None  # (old final, new initial)

    def at(self, day_volume: float, plan: pumping.DayPlan, hour: float) -> tuple[float, float]:
        """Volume and energy registers at local ``hour`` of the plan's day (``day_volume`` at midnight)."""
        pumped = plan.pumped_until(hour)
        return round((day_volume + pumped) % pumping.VOLUME_CAPACITY_M3, 1), round(self.energy + pumped / self.ratio, 2)


def _write_readings(fleet: Sequence[FleetWell], registry: dict[str, Well], terminals: dict[int, Terminal],
                    stories: dict[str, WellStory], first_day: date, last_day: date, seed: int
                    ) -> tuple[int, int, int]:
    """Write every well's readings, their month frames and daily usage; return (readings, frames, usage rows)."""
    readings = frames = usage_rows = 0
    insert = _reading_insert()
    for chunk_start in range(0, len(fleet), 50):
        with transaction.atomic():
            batch: list[tuple[Terminal, FleetWell, dict[date, list[Row]]]] = []
            for well in fleet[chunk_start: chunk_start + 50]:
                registered = registry.get(well.code)
                terminal = terminals.get(registered.pk) if registered else None
                if terminal is None or registered is None:
                    continue
                story = stories.get(well.code, WellStory())
                by_day = _well_readings(well, story, first_day, last_day, seed)
                if story.replaced_at is not None:
                    _register_replacement(registered, story)
                batch.append((terminal, well, by_day))
            month_frames = _month_frames(batch)
            params = _reading_params(batch, month_frames)
            with connection.cursor() as cursor:
                cursor.executemany(insert, params)
            readings += len(params)
            frames += len(month_frames)
            usage_rows += _derive_usage(registry, batch)
    _advance_cursor()
    return readings, frames, usage_rows


def _reading_insert() -> str:
    names = [Reading._meta.get_field(name).get_attname_column()[1] for name in COLUMNS]  # type: ignore[union-attr]
    columns = ", ".join(connection.ops.quote_name(str(name)) for name in names)
    return (f"INSERT INTO {connection.ops.quote_name(Reading._meta.db_table)} ({columns}) "
            f"VALUES ({', '.join(['%s'] * len(names))})")


def _month_frames(batch: list[tuple[Terminal, FleetWell, dict[date, list[Row]]]]) -> dict[tuple[int, date], Frame]:
    """One archive row per terminal and month: the generated readings' ``frame`` (see the module docstring)."""
    frames: dict[tuple[int, date], Frame] = {}
    for terminal, well, by_day in batch:
        for rows in by_day.values():
            if not rows:
                continue
            last = rows[-1]
            frames[terminal.pk, localtime.month_of(localtime.local_day(last.observed_at))] = Frame(
                received_at=last.received_at, peer=PEER, protocol=terminal.protocol, address=terminal.address,
                terminal=terminal, function="C0" if well.kind == "extraction" else "32", observed_at=last.observed_at,
                raw=b"", outcome=FrameOutcome.STORED, error="演示历史：批量生成，非现场报文",
            )
    Frame.objects.bulk_create(frames.values(), batch_size=2000)
    return frames


def _reading_params(batch: list[tuple[Terminal, FleetWell, dict[date, list[Row]]]],
                    frames: dict[tuple[int, date], Frame]) -> list[tuple]:
    """The rows as database parameters: times and JSON adapted by the backend, in ``COLUMNS`` order."""
    adapt_time = functools.lru_cache(maxsize=None)(connection.ops.adapt_datetimefield_value)  # shared grid times
    native_field = Reading._meta.get_field("native")
    empty = native_field.get_db_prep_value({}, connection)
    params = []
    for terminal, _, by_day in batch:
        for day, rows in by_day.items():
            frame_id = frames[terminal.pk, localtime.month_of(day)].pk if rows else None
            for row in rows:
                native = empty if not row.native else native_field.get_db_prep_value(row.native, connection)
                params.append((adapt_time(row.observed_at), adapt_time(row.received_at), *row[2:11], native,
                               terminal.pk, frame_id))
    return params


def _derive_usage(registry: dict[str, Well], batch: list[tuple[Terminal, FleetWell, dict[date, list[Row]]]]) -> int:
    """Daily usage of the batch's wells by the platform's own arithmetic (``usage.reference.compute_days``).

    The readings are still in memory, so they are not read back; the rows are those ``rebuild_usage``
    makes (a test holds them equal), written in one insert. Monthly rollups follow (``monthly.refresh``).
    """
    rows: list[DailyUsage] = []
    for _, well, by_day in batch:
        if well.kind != "extraction":
            continue
        registered = registry[well.code]
        volume, energy = [], []
        for day_rows in by_day.values():
            for row in day_rows:
                if row.volume_m3 is not None:
                    volume.append(registers.Sample(row.observed_at, row.volume_m3, row.pump_on))
                if row.energy_kwh is not None:
                    energy.append(registers.Sample(row.observed_at, row.energy_kwh, row.pump_on))
        days = reference.compute_days(registered, reference.WellSeries(volume, energy))
        water_sum = energy_sum = 0.0
        for day in sorted(days):
            usage = days[day]
            water_sum += usage.water_m3 or 0.0
            energy_sum += usage.energy_kwh or 0.0
            usage.water_sum_m3, usage.energy_sum_kwh = round(water_sum, 6), round(energy_sum, 6)
            rows.append(usage)
    DailyUsage.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _advance_cursor() -> None:
    """Move the derivation cursor past the history's frames when it had nothing else pending.

    The history is derived here in bulk; ``changji water derive`` must not derive it again frame by frame.
    """
    cursor, _ = DerivationCursor.objects.get_or_create(name=CURSOR)
    first_history = Frame.objects.filter(peer=PEER).order_by("pk").values_list("pk", flat=True).first()
    if first_history is None:
        return
    if not Frame.objects.filter(pk__gt=cursor.last_frame_id, pk__lt=first_history).exists():
        last = Frame.objects.aggregate(pk=Max("pk"))["pk"] or 0
        DerivationCursor.objects.filter(pk=cursor.pk).update(last_frame_id=last)


def _well_readings(well: FleetWell, story: WellStory, first_day: date, last_day: date,
                   seed: int) -> dict[date, list[Row]]:
    """The well's readings day by day, bursts of its incidents included."""
    if well.kind == "monitoring":
        return _monitoring_readings(well, story, first_day, last_day, seed)
    registers_ = _Registers(well, story, seed)
    plans = pumping.day_plans(well, first_day, last_day, seed)
    bursts = {burst.day: burst for burst in story.bursts}
    volume_offset = energy_offset = 0.0
    out: dict[date, list[Row]] = {}
    day_volume = registers_.volume
    jitter = random.Random(f"{seed}:flow:{well.code}")  # the instantaneous flow wanders ±4 % around the run's
    for plan in plans:
        day = plan.day
        burst = bursts.get(day)
        if burst is not None:
            plan = pumping.DayPlan(day, 0.0, 0.0, 0.0)  # the incident's day: the pump is off otherwise
        if story.replaced_at is not None and day == localtime.local_day(story.replaced_at):
            local_hour = (story.replaced_at - started_at(day)).total_seconds() / 3600
            story.old_final_m3 = registers_.at(day_volume, plan, local_hour)[0]
            registers_.replacement = (story.old_final_m3, 0.0)
        rows: list[Row] = []
        for hour in pumping.reading_hours(day):
            at = pumping.local_instant(day, hour)
            if story.silent and story.silent[0] <= at < story.silent[1]:
                continue
            volume, energy = registers_.at(day_volume, plan, hour)
            if registers_.replaced_at is not None and at >= registers_.replaced_at:
                volume = _after_replacement(registers_, volume)
            running = plan.running_at(hour)
            rows.append(Row(at, at + RECEIVE_DELAY, round(plan.flow_m3h * jitter.uniform(0.96, 1.04), 2) if running
                            else 0.0, round(volume + volume_offset, 1), round(energy + energy_offset, 2),
                            pump_on=running))
        if burst is not None:
            volume, energy = registers_.at(day_volume, plan, 13.0)  # the incident wells keep their meters
            ended = burst.readings[-1][0]
            # the day's later reports show what the incident left on the registers
            rows = [row._replace(volume_m3=round((row.volume_m3 or 0.0) + burst.after[0], 1),
                                 energy_kwh=round((row.energy_kwh or 0.0) + burst.after[1], 2))
                    if row.observed_at > ended else row for row in rows]
            rows.extend(_burst_rows(burst, volume + volume_offset, energy + energy_offset))
            rows.sort(key=lambda r: r.observed_at)
            volume_offset += burst.after[0]
            energy_offset += burst.after[1]
        out[day] = rows
        day_volume += plan.pumped_until(24.0)
        registers_.energy = round(registers_.energy + plan.pumped_until(24.0) / registers_.ratio, 2)
    return out


def _after_replacement(registers: _Registers, volume: float) -> float:
    """The new meter's register: it starts at 0 when the old one is taken out at ``replaced_at``."""
    old_final, new_initial = registers.replacement or (volume, 0.0)
    return round(new_initial + max(0.0, volume - old_final), 1)


def _register_replacement(well: Well, story: WellStory) -> None:
    """Record the replacement (换表) the story's readings show: the old meter's final and the new one's 0."""
    replaced_at = story.replaced_at
    assert replaced_at is not None
    old_final = story.old_final_m3 or 0.0
    installed = replaced_at - timedelta(days=900)
    old = Meter.objects.create(well=well, kind=MeterKind.ELECTROMAGNETIC_FLOW, serial=f"DC-{well.code}-A",
                               accuracy_class="2级", installed_at=installed, removed_at=replaced_at)
    new = Meter.objects.create(well=well, kind=MeterKind.ELECTROMAGNETIC_FLOW, serial=f"DC-{well.code}-B",
                               accuracy_class="2级", installed_at=replaced_at,
                               last_calibrated_on=localtime.local_day(replaced_at))
    MeterReplacement.objects.create(well=well, old_meter=old, new_meter=new, replaced_at=replaced_at,
                                    old_final_register=old_final, new_initial_register=0.0,
                                    reason="演示：流量计显示屏损坏，更换新表")


def _burst_rows(burst: Burst, volume: float, energy: float) -> list[Row]:
    """The burst's 5-minute reports of an extraction well; rises count from the registers before it."""
    rows = []
    for at, fields in burst.readings:
        values = dict(fields)
        received = at + RECEIVE_DELAY
        future = bool(values.pop("clock_ahead", False))
        if future:  # the terminal's clock runs 15 minutes ahead of the centre's
            received = at - CLOCK_AHEAD
        values.setdefault("flow_m3h", 0.0)
        values.setdefault("pump_on", False)
        values["volume_m3"] = round(volume + values.pop("volume_rise", 0.0), 1)
        values["energy_kwh"] = round(energy + values.pop("energy_rise", 0.0), 2)
        rows.append(Row(at, received, future_dated=future, **values))
    return rows


def _monitoring_readings(well: FleetWell, story: WellStory, first_day: date, last_day: date,
                         seed: int) -> dict[date, list[Row]]:
    """A groundwater monitoring well: depth every 6 hours, battery voltage, and its story's bursts."""
    rng = random.Random(f"{seed}:battery:{well.code}")
    battery = round(rng.uniform(12.4, 13.4), 2)
    bursts = {burst.day: burst for burst in story.bursts}
    status = {"ZT": 1 << 7}  # SL651 表58: bit 7 set = the door is closed
    out: dict[date, list[Row]] = {}
    day = first_day
    while day <= last_day:
        rows = []
        for hour in range(0, 24, pumping.OFF_SEASON_STEP_H):
            at = pumping.local_instant(day, hour)
            depth = round(pumping.seasonal_depth_m(well.base_depth_m or 20.0, at) + _decline(story, day), 2)
            rows.append(Row(at, at + RECEIVE_DELAY, depth_m=depth, battery_v=battery, native=status))
        burst = bursts.get(day)
        if burst is not None:
            for at, fields in burst.readings:
                values = {"depth_m": round(pumping.seasonal_depth_m(well.base_depth_m or 20.0, at)
                                           + _decline(story, day), 2), "battery_v": battery, "native": status, **fields}
                rows.append(Row(at, at + RECEIVE_DELAY, **values))
            rows.sort(key=lambda r: r.observed_at)
        out[day] = rows
        day += timedelta(days=1)
    return out


def _decline(story: WellStory, day: date) -> float:
    """Extra depth of a monitoring well whose level falls fast for 30 days, then recovers over 60."""
    if story.decline is None:
        return 0.0
    start, end = story.decline
    if day < start:
        return 0.0
    if day <= end:
        return round(0.06 * (day - start).days, 2)
    return round(max(0.0, 0.06 * (end - start).days - 0.03 * (day - end).days), 2)


def _terminal_days(fleet: Sequence[FleetWell], registry: dict[str, Well], terminals: dict[int, Terminal],
                   stories: dict[str, WellStory], first_day: date, last_day: date) -> None:
    """Write the terminal days of the 5-minute stream the history stands for (see the module docstring)."""
    rows = []
    ids = []
    for well in fleet:
        registered = registry.get(well.code)
        terminal = terminals.get(registered.pk) if registered else None
        if terminal is None:
            continue
        ids.append(terminal.pk)
        story = stories.get(well.code, WellStory())
        day = first_day
        while day <= last_day:
            start, end = localtime.day_bounds(day)
            received = REPORTS_PER_DAY
            if story.silent is not None:
                silent = max(timedelta(), min(end, story.silent[1]) - max(start, story.silent[0]))
                received = round(REPORTS_PER_DAY * (1 - silent / (end - start)))
            # a terminal of the history falls silent after healthy last words: a communication loss
            condition, cause = ("comm_loss", "heartbeat_lost") if received == 0 else ("intact", "")
            rows.append(TerminalDay(terminal_id=terminal.pk, day=day, expected_reports=REPORTS_PER_DAY,
                                    received_reports=received, readings_valid=received, faulty=False,
                                    condition=condition, condition_cause=cause))
            day += timedelta(days=1)
    TerminalDay.objects.filter(terminal_id__in=ids, day__gte=first_day, day__lte=last_day).delete()
    TerminalDay.objects.bulk_create(rows, batch_size=5000)


def _mark_faulty_days(terminals: list[Terminal], first_day: date, last_day: date) -> None:
    """Mark the terminal days on which a device-fault alarm of the history was open (设备完好率)."""
    for alarm in Alarm.objects.filter(terminal__in=terminals, kind__in=DEVICE_FAULT_KINDS):
        until = min(t for t in (alarm.cleared_at, alarm.closed_at, localtime.day_bounds(last_day)[1]) if t is not None)
        TerminalDay.objects.filter(terminal_id=alarm.terminal_id, day__gte=max(first_day, localtime.local_day(
            alarm.raised_at)), day__lte=min(last_day, localtime.local_day(until))).update(
            faulty=True, condition="device_fault", condition_cause="fault_alarm")


def history_window(today: date | None = None, days: int = 365) -> tuple[date, date]:
    """The demo's history: the ``days`` local days up to yesterday."""
    last = (today or localtime.today()) - timedelta(days=1)
    return last - timedelta(days=days - 1), last
