"""The live path of daily usage: fold readings newer than everything derived into the day rows.

A terminal reporting every 5 minutes adds one short segment to today's row; recomputing the whole
day for it (``usage.update_for_readings``' general path) costs a day of readings. When the new
readings are all later than the last one folded in, and the segment into that last reading and
every new segment are NORMAL (so the register's baseline is the last raw value), the new usage is
exactly the sum of the new segments: add it to the rows and their sums. Anything else (a gap, a
reversal, a jump, a meter replacement, a small dip, a register the last reading did not carry, a
late reading) returns None and the caller recomputes the affected days in full. A test holds the
two paths equal over random report sequences.
"""

from __future__ import annotations

from datetime import date, datetime

from . import stats
from .models import DailyUsage, MeterReplacement, Reading, Well
from .usage import SUSPECT_KINDS, coefficient_on, count_usage, register_specs


def _new_segments(samples: list[stats.Sample], spec: stats.RegisterSpec, folded: int) -> list[stats.Segment] | None:
    """Segments after the first ``folded`` samples, or None when the fast path does not apply."""
    segments = stats.segment_register(samples, spec)
    if len(segments) != len(samples) - 1:  # duplicate times: let the general path sort them out
        return None
    if any(s.kind != stats.SegmentKind.NORMAL or s.noise for s in segments):
        return None
    return segments[folded - 1:] if folded else segments


def append_readings(well: Well, terminal_ids: list[int], earliest: datetime) -> tuple[date, date] | None:
    """Fold the well's readings newer than its last derived one into its rows; None if not applicable.

    ``earliest`` is the earliest reading the caller wants derived; an earlier-than-derived one is
    late data, which the general path handles.
    """
    latest = DailyUsage.objects.filter(well=well).order_by("-day").first()
    if latest is None or latest.last_observed_at is None or earliest <= latest.last_observed_at:
        return None
    readings = Reading.objects.filter(terminal_id__in=terminal_ids)
    fields = ("observed_at", "volume_m3", "energy_kwh", "pump_on")
    new = list(readings.filter(observed_at__gt=latest.last_observed_at).order_by("observed_at").values_list(*fields))
    before = list(readings.filter(observed_at__lte=latest.last_observed_at).order_by("-observed_at")
                  .values_list(*fields)[:2])[::-1]
    if not new or not before or before[-1][0] != latest.last_observed_at:
        return None
    if MeterReplacement.objects.filter(well=well, replaced_at__gt=before[0][0]).exists():
        return None
    water_spec, energy_spec = register_specs(well, 300.0)
    per_register = []
    for column, spec in ((1, water_spec), (2, energy_spec)):
        fresh = [stats.Sample(r[0], r[column], r[3]) for r in new if r[column] is not None]
        if not fresh:
            per_register.append({})
            continue
        if before[-1][column] is None:
            return None
        old = [stats.Sample(r[0], r[column], r[3]) for r in before if r[column] is not None]
        segments = _new_segments(old + fresh, spec, len(old))
        if segments is None:
            return None
        per_register.append(stats.daily_usage(segments))
    return _fold(well, latest, per_register[0], per_register[1], [r[0] for r in new])


def _fold(well: Well, latest: DailyUsage, water: dict[date, stats.DayUsage], energy: dict[date, stats.DayUsage],
          new_times: list[datetime]) -> tuple[date, date]:
    """Add the new days' usage to the rows (creating rows for new days) and carry the sums on."""
    last_by_day: dict[date, datetime] = {}
    for at in new_times:
        last_by_day[stats.local_day(at)] = at
    days = sorted(set(water) | set(energy) | set(last_by_day))
    rows = {latest.day: latest} if days == [latest.day] else {
        row.day: row for row in DailyUsage.objects.filter(well=well, day__in=days)
    }
    previous = latest
    for day in days:
        row = rows.get(day)
        if row is None:  # a new day: its coefficient is looked up once, here
            coefficients = list(well.coefficients.order_by("-valid_from"))
            row = DailyUsage(well=well, day=day, water_sum_m3=previous.water_sum_m3,
                             energy_sum_kwh=previous.energy_sum_kwh,
                             coefficient_m3_per_kwh=coefficient_on(coefficients, day))
        _add(row, water.get(day), "water_m3", "last_volume_m3", "water_sum_m3", "water_reason")
        _add(row, energy.get(day), "energy_kwh", "last_energy_kwh", "energy_sum_kwh", "energy_reason")
        if day in last_by_day:
            row.last_observed_at = last_by_day[day]
        kinds = {kind for kind in row.water_reason.split(",") if kind}
        count_usage(row, suspect=bool(kinds & {str(kind) for kind in SUSPECT_KINDS}))
        row.save()
        previous = row
    return days[0], days[-1]


def _add(row: DailyUsage, part: stats.DayUsage | None, usage: str, last: str, total: str, reason: str) -> None:
    if part is None:
        return
    setattr(row, usage, (getattr(row, usage) or 0.0) + part.usage)
    setattr(row, total, round(getattr(row, total) + part.usage, 6))
    if part.last_value is not None:
        setattr(row, last, part.last_value)
    setattr(row, reason, getattr(row, reason) or stats.SegmentKind.NORMAL.value)
