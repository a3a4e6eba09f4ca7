"""The water bureau's KPIs for the monitoring network, computed from terminal-days.

The unit of account is the **terminal-day**: one terminal on one local day (Asia/Shanghai). A
county, the prefecture, a month or a year is simply the set of its terminal-days, so every figure
below is a ratio of sums over that set and never an average of averages. For a single day a rate
"over terminal-days" is the same as the rate over terminals; for a month it is the daily rate
weighted by the number of terminals each day.

Definitions (each rate is ``None`` when its denominator is 0):

* **terminals**: the number of distinct ``terminal_id`` in the set.
* **设备完好率 intact_rate** = terminal-days with ``faulty`` false / all terminal-days. A terminal-day
  is faulty when the device shows it is broken (``kpi.validity.day_condition``: a meter-fault or
  low-battery alarm open, a fault status or implausible register in its readings, talking without a
  valid measurement, silent after unhealthy last words or never heard). A day silent because of the
  network (``comm_lost``) is not faulty: it counts as intact.
* **通信中断率 comm_loss_rate** = terminal-days with ``comm_lost`` / all terminal-days, shown beside
  完好率 so a network outage is seen without being blamed on the devices.
* **数据上线率 online_rate** = terminal-days with at least one report received / terminal-days on
  which at least one report was expected. Days with nothing expected (terminal commissioned later,
  seasonal shutdown) count neither way.
* **到报率 arrival_rate** = Σ min(received_reports, expected_reports) / Σ expected_reports. The
  ``min`` stops retransmissions and extra reports on one day from hiding gaps on another.
* **数据准确率 accuracy_rate** (validation part) = Σ readings_valid / Σ readings_total, where
  readings_total counts every reading received (stored readings and frames refused as late) and a valid
  reading is one no rule marks invalid (``kpi.validity.invalid_reasons``: register reversal, impossible
  jump, meter fault, clock drift, future-dated, late beyond the allowed delay).
* **水电一致率 agreement_rate** = among terminal-days where both the metered volume and the volume
  estimated from electricity (以电折水) are known and at least 1 m³, the share whose relative
  difference ``|metered − estimated| / metered`` is at most ``tolerance`` (default 0.2). The meter is
  the reference because the estimate exists to check it and to stand in when it fails; days below
  1 m³ are left out because a rounding step of the registers there is a large relative error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__pure__ = True  # no Django: tests/test_architecture.py checks it

#: Days below this metered or estimated volume are not judged for agreement (register resolution).
AGREEMENT_MIN_M3 = 1.0
#: Metered and 以电折水 water agree when they differ by at most this share of the metered figure.
AGREEMENT_TOLERANCE = 0.2


@dataclass(frozen=True, slots=True)
class TerminalDay:
    """One terminal on one local day, as the daily compilation counted it."""

    terminal_id: int
    expected_reports: int
    received_reports: int
    faulty: bool
    readings_total: int
    readings_valid: int
    metered_m3: float | None
    estimated_m3: float | None
    comm_lost: bool = False


@dataclass(frozen=True, slots=True)
class KpiFigures:
    terminals: int
    intact_rate: float | None  #: 设备完好率
    online_rate: float | None  #: 数据上线率
    arrival_rate: float | None  #: 到报率
    accuracy_rate: float | None  #: 数据准确率 (validation part)
    agreement_rate: float | None  #: 水电一致率 (以电折水 check)
    comm_loss_rate: float | None = None  #: 通信中断率 (silent because of the network, not a device fault)


def _rate(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _agrees(day: TerminalDay, tolerance: float) -> bool | None:
    """True/False when the day can be judged, None when a volume is missing or below 1 m³."""
    metered, estimated = day.metered_m3, day.estimated_m3
    if metered is None or estimated is None or metered < AGREEMENT_MIN_M3 or estimated < AGREEMENT_MIN_M3:
        return None
    return abs(metered - estimated) / metered <= tolerance


@dataclass(frozen=True, slots=True)
class KpiSums:
    """The numerators and denominators of the KPIs, so a database can sum them and ``rates`` divide."""

    terminals: int
    terminal_days: int
    intact_days: int
    due_days: int
    online_days: int
    arrived_reports: int
    expected_reports: int
    valid_readings: int
    readings: int
    agreement_judged: int
    agreement_ok: int
    comm_lost_days: int = 0


def rates(sums: KpiSums) -> KpiFigures:
    """Turn summed counts into the KPI rates (see the module docstring)."""
    return KpiFigures(
        terminals=sums.terminals,
        intact_rate=_rate(sums.intact_days, sums.terminal_days),
        online_rate=_rate(sums.online_days, sums.due_days),
        arrival_rate=_rate(sums.arrived_reports, sums.expected_reports),
        accuracy_rate=_rate(sums.valid_readings, sums.readings),
        agreement_rate=_rate(sums.agreement_ok, sums.agreement_judged),
        comm_loss_rate=_rate(sums.comm_lost_days, sums.terminal_days),
    )


def sum_days(days: Sequence[TerminalDay], agreement_tolerance: float = AGREEMENT_TOLERANCE) -> KpiSums:
    """Sum a set of terminal-days into the KPIs' counts."""
    due = [d for d in days if d.expected_reports > 0]
    judged = [verdict for verdict in (_agrees(d, agreement_tolerance) for d in days) if verdict is not None]
    return KpiSums(
        terminals=len({d.terminal_id for d in days}),
        terminal_days=len(days),
        intact_days=sum(not d.faulty for d in days),
        due_days=len(due),
        online_days=sum(d.received_reports > 0 for d in due),
        arrived_reports=sum(min(d.received_reports, d.expected_reports) for d in due),
        expected_reports=sum(d.expected_reports for d in due),
        valid_readings=sum(d.readings_valid for d in days),
        readings=sum(d.readings_total for d in days),
        agreement_judged=len(judged),
        agreement_ok=sum(judged),
        comm_lost_days=sum(d.comm_lost for d in days),
    )


def compute_kpis(days: Sequence[TerminalDay], agreement_tolerance: float = AGREEMENT_TOLERANCE) -> KpiFigures:
    """Compute the KPIs of a set of terminal-days (see the module docstring for the definitions)."""
    return rates(sum_days(days, agreement_tolerance))


def meets_target(value: float | None, target_pct: float | None) -> bool | None:
    """Whether a rate (0..1) reaches the bureau's target in percent; None when either is unknown."""
    if value is None or target_pct is None:
        return None
    return round(value * 100, 6) >= target_pct
