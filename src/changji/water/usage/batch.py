"""Rebuild daily usage for many wells at once: readings loaded as arrays, clean series in bulk.

``usage.rebuild_well`` loads one well's readings as objects and walks them in Python, a few tens of
thousands of readings a second. Rebuilding the prefecture (10,401 wells, about 3 million readings a
day) needs more: this module loads the readings of a chunk of wells in one ordered query straight
into numpy arrays, derives every clean series with ``stats_arrays`` and writes the chunk's rows in
one delete and one bulk insert. A well whose series is not clean (a gap, a reversal, a rollover, a
jump), that has more than one terminal, or that had a meter replaced, takes the reference path in
``usage``, so the rows are the same either way (a test compares them).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from itertools import chain

import numpy as np
from django.db import connection, transaction
from django.db.models import Max, OuterRef, Subquery

from changji.core import localtime
from changji.water.models import DailyUsage, MeterReplacement, MonthlyUsage, Reading, Terminal, Well, WellCoefficient
from changji.water.sharing import usage as shared_usage
from changji.water.usage import arrays, monthly, registers
from changji.water.usage.reference import coefficient_on, count_usage, rebuild_well, register_specs

CHUNK_WELLS = 200
#: A reading this close before the rebuild's first day is the start of that day's first segment;
#: one further back would open a gap, which the reference path spreads.
LOOKBACK = timedelta(hours=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


#: Stands for a missing register in the fetched rows (NULL cannot pass through ``np.fromiter``).
_MISSING = -1e308


def _epoch_sql() -> str:
    """SQL for ``observed_at`` as float seconds since the epoch, exact to the microsecond (``%`` escaped)."""
    if connection.vendor == "postgresql":
        return "extract(epoch from observed_at)::float8"
    # SQLite stores 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC; julianday() would round to ~20 µs.
    fraction = "CASE WHEN length(observed_at) > 19 THEN CAST(substr(observed_at, 20) AS REAL) ELSE 0 END"
    if sqlite3.sqlite_version_info >= (3, 38):
        return f"unixepoch(observed_at) + {fraction}"
    return f"CAST(strftime('%%s', observed_at) AS INTEGER) + {fraction}"


def _to_datetime(epoch_s: float) -> datetime:
    return _EPOCH + timedelta(microseconds=round(epoch_s * 1e6))


def load_arrays(terminal_ids: list[int], start: datetime | None) -> dict[int, np.ndarray]:
    """Return each terminal's readings from ``start`` as an (n, 3) array: epoch s, m³, kWh (NaN if missing).

    One query per chunk, in the order of the (terminal, time) index, read straight into numpy.
    """
    if not terminal_ids:
        return {}
    marks = ",".join(["%s"] * len(terminal_ids))
    sql = (f"SELECT terminal_id, {_epoch_sql()}, COALESCE(volume_m3, {_MISSING}), COALESCE(energy_kwh, {_MISSING})"
           f" FROM {Reading._meta.db_table} WHERE terminal_id IN ({marks})")
    params: list = list(terminal_ids)
    if start is not None:
        sql += " AND observed_at >= %s"
        params.append(connection.ops.adapt_datetimefield_value(start))
    sql += " ORDER BY terminal_id, observed_at"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return {}
    table = np.fromiter(chain.from_iterable(rows), dtype=np.float64, count=4 * len(rows)).reshape(-1, 4)
    table[table == _MISSING] = np.nan
    ids = table[:, 0].astype(np.int64)
    cuts = np.flatnonzero(np.diff(ids)) + 1
    return {int(block[0, 0]): block[:, 1:] for block in np.split(table, cuts)}


def rebuild_usage_batch(since: date | None = None, wells: list[Well] | None = None) -> int:
    """Rebuild DailyUsage of ``wells`` (default: all) from ``since`` (default: the beginning); return rows."""
    # Wells reported from below (water.sharing) keep the rows received for them: they have no readings here.
    wells = [w for w in (wells if wells is not None else Well.objects.filter(reported_by="").order_by("pk"))
             if not w.reported_by]
    written = 0
    for offset in range(0, len(wells), CHUNK_WELLS):
        written += _rebuild_chunk(wells[offset: offset + CHUNK_WELLS], since)
    return written


def _rebuild_chunk(wells: list[Well], since: date | None) -> int:
    by_well: dict[int, list[int]] = defaultdict(list)
    for terminal_pk, well_id in Terminal.objects.filter(well__in=wells).values_list("id", "well_id"):
        by_well[well_id].append(terminal_pk)
    replaced = set(MeterReplacement.objects.filter(well__in=wells).values_list("well_id", flat=True))
    single = {well.pk: by_well[well.pk][0] for well in wells if len(by_well[well.pk]) == 1 and well.pk not in replaced}
    day_start = localtime.day_bounds(since)[0] if since is not None else None
    previous: dict[int, datetime] = {}
    if day_start is not None:
        previous = dict(Reading.objects.filter(terminal_id__in=single.values(), observed_at__lt=day_start)
                        .values_list("terminal_id").annotate(at=Max("observed_at")))
    tables = load_arrays(list(single.values()), day_start - LOOKBACK if day_start is not None else None)
    coefficients: dict[int, list[WellCoefficient]] = defaultdict(list)
    for coefficient in WellCoefficient.objects.filter(well__in=single).order_by("-valid_from"):
        coefficients[coefficient.well_id].append(coefficient)
    fast: dict[int, dict[date, DailyUsage]] = {}
    slow: list[Well] = []
    for well in wells:
        terminal_id = single.get(well.pk)
        if terminal_id is None:
            slow.append(well)
            continue
        loaded = tables.get(terminal_id, np.empty((0, 3)))
        table = _from_previous(loaded, previous.get(terminal_id), day_start) if day_start is not None else loaded
        rows = None if table is None else days_from_arrays(well, table, coefficients[well.pk])
        if rows is None:
            slow.append(well)
        else:
            fast[well.pk] = rows
    written = _write_chunk(fast, since)
    for well in slow:
        written += rebuild_well(well, by_well[well.pk], since) if by_well[well.pk] else _clear(well, since)
    return written


def _from_previous(table: np.ndarray, previous: datetime | None, day_start: datetime) -> np.ndarray | None:
    """Trim a lookback window to start at the last reading before the day (None: a gap, use the reference)."""
    start_s = (day_start - _EPOCH).total_seconds()
    if previous is None:
        return table[table[:, 0] >= start_s]
    previous_s = (previous - _EPOCH).total_seconds()
    if previous_s < start_s - LOOKBACK.total_seconds():
        return None
    return table[table[:, 0] >= previous_s - 1e-7]


def days_from_arrays(well: Well, table: np.ndarray, coefficients: list[WellCoefficient]
                     ) -> dict[date, DailyUsage] | None:
    """Return unsaved rows for a single-terminal well's clean series, or None if a register is not clean."""
    times = table[:, 0]
    water_spec, energy_spec = register_specs(well, 300.0)
    per_register = []
    for column, spec in ((1, water_spec), (2, energy_spec)):
        present = ~np.isnan(table[:, column])
        days = arrays.clean_daily_usage(times[present], table[present, column], spec)
        if days is None:
            return None
        per_register.append(dict(zip(days.day_numbers.tolist(), zip(days.usage.tolist(), days.last_value.tolist(),
                                                                     strict=True), strict=True)))
    water, energy = per_register
    seen = ~(np.isnan(table[:, 1]) & np.isnan(table[:, 2]))
    seen_times = times[seen]
    seen_days = arrays.local_day_numbers(seen_times)
    last_index: np.ndarray | list[int] = (
        np.flatnonzero(np.append(seen_days[1:] != seen_days[:-1], True)) if len(seen_days) else [])
    last_seen = {int(seen_days[i]): float(seen_times[i]) for i in last_index}
    rows: dict[date, DailyUsage] = {}
    for number in sorted(set(water) | set(energy)):
        day = arrays.day_number_to_date(number)
        water_usage, last_volume = water.get(number, (None, None))
        energy_usage, last_energy = energy.get(number, (None, None))
        row = DailyUsage(
            well=well, day=day, water_m3=water_usage, energy_kwh=energy_usage,
            last_volume_m3=last_volume, last_energy_kwh=last_energy,
            water_reason=registers.SegmentKind.NORMAL.value if number in water else "",
            energy_reason=registers.SegmentKind.NORMAL.value if number in energy else "",
            spread=False, coefficient_m3_per_kwh=coefficient_on(coefficients, day),
            last_observed_at=_to_datetime(last_seen[number]) if number in last_seen else None,
        )
        count_usage(row, suspect=False)
        rows[day] = row
    return rows


@transaction.atomic
def _write_chunk(rows_by_well: dict[int, dict[date, DailyUsage]], since: date | None) -> int:
    """Replace the wells' rows from ``since`` (all rows without it), carrying the sums on from before."""
    if not rows_by_well:
        return 0
    existing = DailyUsage.objects.filter(well_id__in=list(rows_by_well))
    before_rows = shared_usage.snapshot_days(list(rows_by_well), since)  # the outbox records only what differs
    base: dict[int, tuple[float, float]] = {}
    if since is not None:
        latest_before = DailyUsage.objects.filter(well_id=OuterRef("well_id"), day__lt=since).order_by("-day")
        base = {
            well_id: (water_sum, energy_sum)
            for well_id, water_sum, energy_sum in existing.filter(day=Subquery(latest_before.values("day")[:1]))
            .values_list("well_id", "water_sum_m3", "energy_sum_kwh")
        }
        existing.filter(day__gte=since).delete()
    else:
        existing.delete()
    new_rows = []
    for well_id, rows in rows_by_well.items():
        water_sum, energy_sum = base.get(well_id, (0.0, 0.0))
        for day in sorted(rows):
            if since is not None and day < since:
                continue
            row = rows[day]
            water_sum += row.water_m3 or 0.0
            energy_sum += row.energy_kwh or 0.0
            row.water_sum_m3, row.energy_sum_kwh = round(water_sum, 6), round(energy_sum, 6)
            new_rows.append(row)
    DailyUsage.objects.bulk_create(new_rows, batch_size=2000)
    after_rows = {shared_usage.day_key(row.well.code, row.day): shared_usage.day_payload(row.__dict__, row.well.code,
                                                                                         row.day) for row in new_rows}
    shared_usage.record_day_diff(before_rows, after_rows, list(rows_by_well))
    _drop_rollups(list(rows_by_well), since)
    if new_rows:
        monthly.refresh(list(rows_by_well), min(row.day for row in new_rows), max(row.day for row in new_rows))
    return len(new_rows)


def _clear(well: Well, since: date | None) -> int:
    """A well without terminals has no readings, so nothing derived: remove what a rebuild would not make."""
    rows = DailyUsage.objects.filter(well=well)
    before_rows = shared_usage.snapshot_days([well.pk], since)
    (rows.filter(day__gte=since) if since is not None else rows).delete()
    shared_usage.record_day_diff(before_rows, {}, [well.pk])
    _drop_rollups([well.pk], since)
    return 0


def _drop_rollups(well_ids: list[int], since: date | None) -> None:
    """Remove the wells' rollups from the month of ``since`` on; the rows written are rolled up again."""
    rollups = MonthlyUsage.objects.filter(well_id__in=well_ids)
    (rollups.filter(month__gte=localtime.month_of(since)) if since is not None else rollups).delete()

