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

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from changji.core import localtime
from changji.water.models import DailyUsage, MeterReplacement, Reading, Well, WellCoefficient
from changji.water.sharing import usage as shared_usage
from changji.water.usage import monthly, registers
from changji.water.usage.reference import SUSPECT_KINDS, coefficient_on, count_usage, register_specs

if TYPE_CHECKING:  # django-stubs-ext is a test dependency (pyproject.toml): its names are for mypy only
    from django_stubs_ext import WithAnnotations


class _LatestAnnotations(TypedDict):
    """What update_for_well annotates on the well's latest DailyUsage row."""

    swapped: bool
    coefficient_then: float | None

#: How many report intervals back the readings before the last derived one are looked for.
BASELINE_INTERVALS = 3
#: A meter replaced this close before the new readings sends the well to the general path.
SWAP_MARGIN = timedelta(days=1)


def _in_force(day: date) -> QuerySet[WellCoefficient]:
    """The well's coefficients in force on ``day``, latest first (correlated to an outer well)."""
    return WellCoefficient.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=day), well=OuterRef("well"), valid_from__lte=day,
    ).order_by("-valid_from")


def _new_segments(samples: list[registers.Sample], spec: registers.RegisterSpec, folded: int
                  ) -> list[registers.Segment] | None:
    """Segments after the first ``folded`` samples, or None when the fast path does not apply."""
    segments = registers.segment_register(samples, spec)
    if len(segments) != len(samples) - 1:  # duplicate times: let the general path sort them out
        return None
    if any(s.kind != registers.SegmentKind.NORMAL or s.noise for s in segments):
        return None
    return segments[folded - 1:] if folded else segments


def append_readings(well: Well, interval_s: float, earliest: datetime) -> tuple[date, date] | None:
    """Fold the well's readings newer than its last derived one into its rows; None if not applicable.

    ``earliest`` is the earliest reading the caller wants derived; an earlier-than-derived one is
    late data, which the general path handles. ``interval_s`` is the terminal's report interval:
    the two readings before the new ones (they fix the register's baseline) are looked for within
    a few intervals of the last one derived. Three queries: the latest row (with whether a meter
    was replaced lately and the coefficient for a new day), the readings from that window on, and
    the row's update or insert.
    """
    window = timedelta(seconds=BASELINE_INTERVALS * max(interval_s, 1))
    since = earliest - window - SWAP_MARGIN
    recent_swap = MeterReplacement.objects.filter(well=OuterRef("well"), replaced_at__gt=since)
    latest = DailyUsage.objects.filter(well=well).annotate(
        swapped=Exists(recent_swap),
        # The coefficient in force on the day of the first new reading, for the row it may open.
        coefficient_then=Subquery(_in_force(localtime.local_day(earliest)).values("m3_per_kwh")[:1]),
    ).order_by("-day").first()
    if latest is None or latest.last_observed_at is None or earliest <= latest.last_observed_at or latest.swapped:
        return None
    fields = ("observed_at", "volume_m3", "energy_kwh", "pump_on")
    rows = list(Reading.objects.filter(terminal__well=well, observed_at__gte=latest.last_observed_at - window)
                .order_by("observed_at").values_list(*fields))
    new = [r for r in rows if r[0] > latest.last_observed_at]
    before = [r for r in rows if r[0] <= latest.last_observed_at][-2:]
    if not new or not before or before[-1][0] != latest.last_observed_at:
        return None
    water_spec, energy_spec = register_specs(well, 300.0)
    per_register: list[dict[date, registers.DayUsage]] = []
    for column, spec in ((1, water_spec), (2, energy_spec)):
        fresh = [registers.Sample(r[0], r[column], r[3]) for r in new if r[column] is not None]
        if not fresh:
            per_register.append({})
            continue
        if before[-1][column] is None:
            return None
        old = [registers.Sample(r[0], r[column], r[3]) for r in before if r[column] is not None]
        segments = _new_segments(old + fresh, spec, len(old))
        if segments is None:
            return None
        per_register.append(registers.daily_usage(segments))
    return _fold(well, latest, per_register[0], per_register[1], [r[0] for r in new], localtime.local_day(earliest))


def _fold(well: Well, latest: WithAnnotations[DailyUsage, _LatestAnnotations],
          water: dict[date, registers.DayUsage], energy: dict[date, registers.DayUsage],
          new_times: list[datetime], coefficient_day: date) -> tuple[date, date]:
    """Add the new days' usage to the rows (creating rows for new days) and carry the sums on."""
    last_by_day: dict[date, datetime] = {}
    for at in new_times:
        last_by_day[localtime.local_day(at)] = at
    days = sorted(set(water) | set(energy) | set(last_by_day))
    rows: dict[date, DailyUsage] = {latest.day: latest}  # the latest row is the last one: every other day is new
    previous: DailyUsage = latest
    saved: list[DailyUsage] = []
    for day in days:
        row = rows.get(day)
        if row is None:  # a new day: the latest row brought the coefficient of ``coefficient_day``
            coefficient = latest.coefficient_then if day == coefficient_day else coefficient_on(
                list(well.coefficients.order_by("-valid_from")), day)
            row = DailyUsage(well=well, day=day, water_sum_m3=previous.water_sum_m3,
                             energy_sum_kwh=previous.energy_sum_kwh, coefficient_m3_per_kwh=coefficient)
        _add(row, water.get(day), "water_m3", "last_volume_m3", "water_sum_m3", "water_reason")
        _add(row, energy.get(day), "energy_kwh", "last_energy_kwh", "energy_sum_kwh", "energy_reason")
        if day in last_by_day:
            row.last_observed_at = last_by_day[day]
        kinds = {kind for kind in row.water_reason.split(",") if kind}
        count_usage(row, suspect=bool(kinds & {str(kind) for kind in SUSPECT_KINDS}))
        row.save()
        saved.append(row)
        previous = row
    shared_usage.record_days(saved, well)  # the outbox (water.sharing): one insert for the rows just saved
    if days[0] < monthly.open_month():  # a closed month took usage (a backlog, or the midnight ending it)
        monthly.refresh([well.pk], days[0], days[-1])
    return days[0], days[-1]


def _add(row: DailyUsage, part: registers.DayUsage | None, usage: str, last: str, total: str, reason: str) -> None:
    if part is None:
        return
    setattr(row, usage, (getattr(row, usage) or 0.0) + part.usage)
    setattr(row, total, round(getattr(row, total) + part.usage, 6))
    if part.last_value is not None:
        setattr(row, last, part.last_value)
    setattr(row, reason, getattr(row, reason) or registers.SegmentKind.NORMAL.value)
