"""以电折水 coefficients in the database: estimate them from readings, record calibrations, show drift.

The estimate itself is ``estimate.estimate_coefficient`` (robust over pumping sessions); this
module feeds it a well's readings and keeps the validity periods. A field calibration (率定) is
authoritative: an automatic estimate never replaces a calibration in force, it is only reported
beside it, so an operator can see when the two drift apart.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from changji.core import audit, localtime
from changji.water.coefficients import estimate
from changji.water.models import CoefficientMethod, Reading, Terminal, Well, WellCoefficient
from changji.water.usage.reference import register_specs

DEFAULT_WINDOW_DAYS = 90


def joint_samples(well: Well, first: date, last: date) -> list[estimate.JointSample]:
    """Return the well's readings of days first..last as joint (volume, energy) samples."""
    start, _ = localtime.day_bounds(first)
    _, end = localtime.day_bounds(last)
    terminals = Terminal.objects.filter(well=well).values_list("id", flat=True)
    rows = Reading.objects.filter(terminal_id__in=list(terminals), observed_at__gte=start, observed_at__lt=end)
    return [
        estimate.JointSample(at, volume, energy, pump_on)
        for at, volume, energy, pump_on in rows.order_by("observed_at").values_list(
            "observed_at", "volume_m3", "energy_kwh", "pump_on").iterator(chunk_size=5000)
    ]


def sessions_of(well: Well, first: date, last: date) -> list[estimate.PumpingSession]:
    """Return the well's clean pumping sessions in days first..last."""
    water_spec, energy_spec = register_specs(well, 300.0)
    return estimate.pumping_sessions(joint_samples(well, first, last), water_spec, energy_spec)


@transaction.atomic
def estimate_well_coefficient(well: Well, until: date, window_days: int = DEFAULT_WINDOW_DAYS
                              ) -> estimate.CoefficientEstimate | None:
    """Estimate the well's coefficient from the ``window_days`` up to ``until`` and record it.

    The new estimate is valid from the day after ``until`` and closes the previous automatic one.
    When a calibration is in force that day the estimate is returned but not recorded. Estimating the
    same ``until`` again replaces that day's estimate, so the daily job may be retried.
    """
    found = estimate.estimate_coefficient(sessions_of(well, until - timedelta(days=window_days - 1), until))
    if found is None:
        return None
    starts = until + timedelta(days=1)
    in_force = (
        WellCoefficient.objects.filter(well=well, valid_from__lte=starts)
        .exclude(valid_to__lt=starts).order_by("-valid_from").first()
    )
    if in_force is not None and in_force.method == CoefficientMethod.CALIBRATION:
        return found
    figures = {"m3_per_kwh": round(found.m3_per_kwh, 4), "sessions_used": found.sessions_used,
               "spread": round(found.spread, 4),
               "note": f"{window_days} 天内 {found.sessions_used} 个抽水时段（剔除 {found.sessions_rejected} 个）"}
    if in_force is not None and in_force.valid_from == starts:  # this day was estimated before (a retried job)
        WellCoefficient.objects.filter(pk=in_force.pk).update(**figures)
        return found
    if in_force is not None:
        in_force.valid_to = until
        in_force.save(update_fields=["valid_to"])
    WellCoefficient.objects.create(well=well, valid_from=starts, method=CoefficientMethod.ESTIMATED, **figures)
    return found


def estimate_all(until: date, window_days: int = DEFAULT_WINDOW_DAYS) -> int:
    """Estimate every extraction well's coefficient; return how many wells got one."""
    wells = Well.objects.filter(kind="extraction", terminals__isnull=False, reported_by="").distinct()  # not from below
    return sum(estimate_well_coefficient(well, until, window_days) is not None for well in wells)


@transaction.atomic
def record_calibration(well: Well, *, measured_m3: float, measured_kwh: float, on: date, by: Any,
                       note: str = "") -> WellCoefficient:
    """Record a field calibration (率定): the coefficient is measured m³ / measured kWh from ``on``."""
    if measured_kwh <= 0 or measured_m3 <= 0:
        raise ValidationError({"measured_kwh": "率定水量和电量必须大于零"})
    WellCoefficient.objects.filter(well=well, valid_to__isnull=True, valid_from__lt=on).update(
        valid_to=on - timedelta(days=1))
    coefficient = WellCoefficient.objects.create(
        well=well, m3_per_kwh=round(measured_m3 / measured_kwh, 4), valid_from=on, method=CoefficientMethod.CALIBRATION,
        measured_m3=measured_m3, measured_kwh=measured_kwh, calibrated_on=on, note=note,
    )
    audit.record("water.coefficient.calibrate", actor=by, target=coefficient, region=well.region,
                 m3_per_kwh=coefficient.m3_per_kwh, measured_m3=measured_m3, measured_kwh=measured_kwh)
    return coefficient


def drift(well: Well, first: date, last: date, period_days: int = 30) -> list[tuple[date, float]]:
    """Return (period start, coefficient) per period: how the well's ratio moved over time."""
    return [
        (start, round(estimate.m3_per_kwh, 4))
        for start, estimate in estimate.coefficient_drift(sessions_of(well, first, last), period_days)
    ]
