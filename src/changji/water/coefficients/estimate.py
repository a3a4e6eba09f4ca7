"""以电折水: water estimated from electricity, with a coefficient learnt robustly from pumping sessions.

A well's pump lifts a nearly constant volume per kWh (m³/kWh) while head and pump are unchanged, so
the electricity meter is a second witness for the flowmeter: when the flowmeter is missing or
faulty, water is estimated from kWh, and a metered volume far from the estimate is a lead for
inspection (bypass pipe, tampered or failing flowmeter). The coefficient is learnt per well from
pumping sessions in which both registers are clean, and is tracked over time because a falling
water table or a worn pump changes it.

Pure functions over frozen dataclasses; registers are segmented by :mod:`changji.water.usage.registers`.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from changji.core.localtime import local_day
from changji.water.usage.registers import RegisterSpec, Sample, Segment, SegmentKind, ordered_by_time, segment_register

__pure__ = True  # no Django: tests/test_architecture.py checks it

ENERGY_EPSILON_KWH = 1e-6
"""A segment whose energy rises by no more than this is a stopped pump (register resolution is 0.01 kWh)."""

MAD_TO_SIGMA = 1.4826
"""Scales the median absolute deviation to a standard deviation for normally distributed ratios."""

BAND_WIDTH = 3.0
"""Sessions further than this many robust standard deviations from the median ratio are outliers."""


@dataclass(frozen=True, slots=True)
class JointSample:
    """One report carrying both registers (either may be missing) and the pump flag."""

    at: datetime
    volume_m3: float | None
    energy_kwh: float | None
    pump_on: bool | None = None


@dataclass(frozen=True, slots=True)
class PumpingSession:
    """A continuous clean run of the pump, with the water and energy it used."""

    start: datetime
    end: datetime
    water_m3: float
    energy_kwh: float

    @property
    def ratio(self) -> float:
        """Return the session's m³/kWh (0 when no energy was used, which sessions never have)."""
        return self.water_m3 / self.energy_kwh if self.energy_kwh > 0 else 0.0


@dataclass(frozen=True, slots=True)
class CoefficientEstimate:
    """A well's m³/kWh coefficient, how many sessions support it, and the accepted band of ratios."""

    m3_per_kwh: float
    sessions_used: int
    sessions_rejected: int
    spread: float
    low: float
    high: float


def pumping_sessions(
    samples: Iterable[JointSample], water_spec: RegisterSpec, energy_spec: RegisterSpec, min_kwh: float = 1.0
) -> list[PumpingSession]:
    """Return the maximal runs of segments in which both registers are NORMAL and energy rises.

    Only reports carrying both registers are used, so the two registers are segmented over the same
    intervals. A gap, reversal, impossible jump, replacement or rollover on either register, a noise
    dip of the energy meter, or a stopped pump ends the session: a session must be a span over which
    both totals are trustworthy, or the ratio learnt from it is not the pump's.
    """
    joint = ordered_by_time(s for s in samples if _finite(s.volume_m3) and _finite(s.energy_kwh))
    water = segment_register((Sample(s.at, s.volume_m3 or 0.0, s.pump_on) for s in joint), water_spec)
    energy = segment_register((Sample(s.at, s.energy_kwh or 0.0, s.pump_on) for s in joint), energy_spec)
    sessions: list[PumpingSession] = []
    run: list[tuple[Segment, Segment]] = []
    for w, e in zip(water, energy, strict=True):
        if _clean(w) and _clean(e) and e.usage > ENERGY_EPSILON_KWH:
            run.append((w, e))
            continue
        sessions.extend(_close(run, min_kwh))
        run = []
    sessions.extend(_close(run, min_kwh))
    return sessions


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _clean(segment: Segment) -> bool:
    return segment.kind is SegmentKind.NORMAL


def _close(run: list[tuple[Segment, Segment]], min_kwh: float) -> list[PumpingSession]:
    if not run:
        return []
    energy = sum(e.usage for _, e in run)
    if energy < min_kwh:
        return []
    return [PumpingSession(run[0][0].start, run[-1][0].end, sum(w.usage for w, _ in run), energy)]


def estimate_coefficient(
    sessions: Sequence[PumpingSession], min_sessions: int = 5, min_session_kwh: float = 5.0
) -> CoefficientEstimate | None:
    """Return the m³/kWh coefficient over sessions, robust to outlier sessions; None if too few.

    Not the ratio of totals: a bypass episode (energy with no metered water) or a flowmeter fault
    produces sessions whose ratios are far from the pump's, and because they can be long they drag a
    ratio of totals well off. The median and MAD of per-session ratios are not moved by a minority
    of such sessions, so sessions outside median ± 3 robust standard deviations are rejected, and the
    coefficient is the energy-weighted ratio (water over energy) of the accepted ones, so a long
    session counts more than a short one. Sessions below ``min_session_kwh`` are ignored (their
    ratio is dominated by register resolution) and counted neither used nor rejected.
    """
    candidates = [s for s in sessions if s.energy_kwh >= min_session_kwh]
    if not candidates:
        return None
    ratios = [s.ratio for s in candidates]
    median = statistics.median(ratios)
    spread = MAD_TO_SIGMA * statistics.median(abs(r - median) for r in ratios)
    low, high = median - BAND_WIDTH * spread, median + BAND_WIDTH * spread
    if spread > 0:
        accepted = [s for s in candidates if low <= s.ratio <= high]
    else:
        accepted = [s for s in candidates if math.isclose(s.ratio, median, rel_tol=1e-9)]
    if len(accepted) < min_sessions:
        return None
    coefficient = sum(s.water_m3 for s in accepted) / sum(s.energy_kwh for s in accepted)
    return CoefficientEstimate(coefficient, len(accepted), len(candidates) - len(accepted), spread, low, high)


def coefficient_drift(
    sessions: Sequence[PumpingSession], period_days: int = 30, min_sessions: int = 5
) -> list[tuple[date, CoefficientEstimate]]:
    """Return one estimate per consecutive period of ``period_days`` local days, keyed by its first day.

    Periods start at the first session's local day; a session belongs to the period of its start.
    Periods with too few sessions are skipped rather than reported with a noisy figure. A change
    between periods means the pump, the water table or a meter changed, and is worth a look.
    """
    if period_days < 1:
        raise ValueError("period_days must be at least 1")
    ordered = sorted(sessions, key=lambda s: s.start)
    if not ordered:
        return []
    first = local_day(ordered[0].start)
    periods: dict[int, list[PumpingSession]] = {}
    for session in ordered:
        periods.setdefault((local_day(session.start) - first).days // period_days, []).append(session)
    drift: list[tuple[date, CoefficientEstimate]] = []
    for index, members in sorted(periods.items()):
        estimate = estimate_coefficient(members, min_sessions=min_sessions)
        if estimate is not None:
            drift.append((first + timedelta(days=index * period_days), estimate))
    return drift


def estimate_water(energy_kwh: float, coefficient_m3_per_kwh: float) -> float:
    """Return the water (m³) that ``energy_kwh`` lifts at the coefficient, never negative."""
    return max(0.0, energy_kwh * coefficient_m3_per_kwh)


def relative_difference(metered_m3: float, estimated_m3: float) -> float | None:
    """Return ``(metered − estimated) / estimated``; None when there is no positive estimate to compare with.

    A strongly negative value (metered far below what the electricity implies) is the signature of
    a bypass or an under-reading flowmeter.
    """
    if estimated_m3 <= 0:
        return None
    return (metered_m3 - estimated_m3) / estimated_m3
