"""The water app's recurring jobs, run by ``changji jobs`` (``core.jobs``) beside the derivation loop.

Every minute: alarm rules over every terminal's recent readings, the quota sweep (warnings and automatic
stops) and the dashboard figures that are more than five minutes old. Every day after local midnight: the
groundwater fusion sweep, the monthly partitions ahead (PostgreSQL), the 以电折水 coefficient estimates,
meter calibrations coming due and overdue work orders, and the protocol-profile check of every terminal's
recent raw frames. Every month from its 1st: the rollup of the month that just closed and the reports due
(月报, and 季报 and 年报 when a quarter or year ends).

Idempotent, run twice for one period:

* ``water.alarms.evaluate`` counts evaluations towards each rule's debounce, so a second evaluation of one
  minute counts twice; it is a minutely job, which the runner never repeats once it succeeded and never
  retries (a failed minute's retry is the next minute, ``core.jobs.LOOK_BACK``).
* ``water.quotas.sweep`` remembers warnings in ``level_reached``, announcements in ``stop_due_at`` and stops in
  ``stopped_by_quota``.
* ``water.kpi.dashboard`` recomputes only figures older than five minutes.
* ``water.groundwater.sweep`` joins an open decline alarm instead of raising another (raise and clear after 1).
* ``water.coefficients.estimate`` replaces the estimate it recorded for the same day.
* ``water.registry.calibrations`` skips meters with an open calibration order; ``water.registry.overdue``
  audits each overdue order once.
* ``water.licences.expiry`` remembers warnings in ``expiry_warned_days``; an expired licence is not valid any
  more, so it is not expired twice. ``water.licences.unlicensed`` joins an open 无证取水 alarm (raise and clear
  after 1).
* ``water.pictures.schedule`` locks each picture policy and remembers the daily time it queued
  (``last_slot_at``); a terminal whose picture query is still open gets no second one.
* ``water.profiles.detect`` updates a terminal's open 规约不符 suggestion instead of adding another.
* ``water.kpi.silent_days`` writes only the rows still missing.
* ``water.partitions.ensure`` creates only the monthly partitions still missing (PostgreSQL; nothing on SQLite).
* ``water.sharing.push`` sends numbered batches the upstream applies once (a re-send changes nothing);
  ``water.sharing.prune`` deletes only what is delivered and old.
* ``water.usage.seal_month`` skips sealed months; ``water.reports.scheduled`` skips reports already made.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from changji.core import localtime
from changji.core.jobs import Period, job
from changji.water.alarms.evaluation import evaluate_all
from changji.water.coefficients.calibration import estimate_all
from changji.water.groundwater.fusion import sweep_groundwater
from changji.water.kpi.dashboard import refresh_due
from changji.water.kpi.terminal_days import fill_silent_days
from changji.water.licences.expiry import sweep_unlicensed, warn_and_expire
from changji.water.partitions import ensure as ensure_partitions
from changji.water.pictures.service import queue_scheduled
from changji.water.profiles.service import detect as detect_profiles
from changji.water.quotas.sweep import sweep_quotas
from changji.water.registry.work_orders import schedule_calibrations, warn_overdue
from changji.water.reports import scheduled_reports
from changji.water.sharing.delivery import prune as prune_exchange
from changji.water.sharing.delivery import push as push_exchange
from changji.water.usage.monthly import seal_closed_months


def _yesterday(at: datetime) -> date:
    return localtime.local_day(at) - timedelta(days=1)


@job("water.alarms.evaluate", Period.MINUTELY)
def evaluate_alarms(at: datetime) -> dict[str, int]:
    """Evaluate the alarm rules over every installed terminal's recent readings."""
    return evaluate_all(at)


@job("water.quotas.sweep", Period.MINUTELY)
def sweep(at: datetime) -> dict[str, int]:
    """Sweep the year's quotas: warn at each threshold, stop or restart pumps."""
    result = sweep_quotas(localtime.local_day(at), now=at)
    return {"checked": result.checked, "warnings": len(result.warnings), "stops": len(result.stops),
            "starts": len(result.starts)}


@job("water.kpi.dashboard", Period.MINUTELY)
def dashboards(at: datetime) -> dict[str, int]:
    """Recompute the dashboard figures of the prefecture and each county that are older than five minutes."""
    return {"dashboards": refresh_due(at)}


@job("water.groundwater.sweep", Period.DAILY, look_back=1)
def groundwater(at: datetime) -> dict[str, int]:
    """Fuse each monitoring well with the extraction around it and judge the decline alarm, up to yesterday.

    Judged on the latest day only: a decline missed one day is seen the next.
    """
    return {"warnings": len(sweep_groundwater(_yesterday(at), now=at))}


@job("water.coefficients.estimate", Period.DAILY)
def coefficients(at: datetime) -> dict[str, int]:
    """Estimate each extraction well's 以电折水 coefficient up to yesterday."""
    return {"wells": estimate_all(_yesterday(at))}


@job("water.registry.calibrations", Period.DAILY, look_back=1)
def calibrations(at: datetime) -> dict[str, int]:
    """Open a calibration work order for each meter coming due."""
    return {"work_orders": len(schedule_calibrations(localtime.local_day(at)))}


@job("water.registry.overdue", Period.DAILY, look_back=1)
def overdue(at: datetime) -> dict[str, int]:
    """Audit the open work orders past their due date."""
    return {"overdue": len(warn_overdue(localtime.local_day(at)))}


@job("water.licences.expiry", Period.DAILY, look_back=1)
def licence_expiry(at: datetime) -> dict[str, int]:
    """Warn the licences 90 and 30 days before they end (once each) and expire those past their end."""
    return warn_and_expire(localtime.local_day(at))


@job("water.licences.unlicensed", Period.DAILY, look_back=1)
def unlicensed(at: datetime) -> dict[str, int]:
    """Judge 无证取水 on yesterday's use: water taken by a well no valid licence covered that day."""
    return sweep_unlicensed(_yesterday(at), now=at)


@job("water.profiles.detect", Period.DAILY, look_back=1)
def profile_check(at: datetime) -> dict[str, int]:
    """Score each terminal's recent raw frames under its protocol profile; flag those another profile fits."""
    return detect_profiles(now=at)


@job("water.partitions.ensure", Period.DAILY, look_back=1)
def partitions(at: datetime) -> dict[str, int]:
    """Create the monthly partitions of readings and raw frames for the coming months (PostgreSQL)."""
    return ensure_partitions(today=localtime.local_day(at))


@job("water.usage.seal_month", Period.MONTHLY)
def seal_month(at: datetime) -> dict[str, int]:
    """Compile the monthly rollups of the month that just closed."""
    yesterday = _yesterday(at)
    return {"months_sealed": len(seal_closed_months(yesterday, yesterday))}


@job("water.reports.scheduled", Period.MONTHLY)
def reports(at: datetime) -> dict[str, int]:
    """Generate the reports due on the 1st: last month's, and last quarter's and year's when they end."""
    return {"reports": len(scheduled_reports(localtime.local_day(at)))}


@job("water.pictures.schedule", Period.MINUTELY)
def pictures(at: datetime) -> dict[str, int]:
    """Queue the picture queries of each picture policy's daily time that has come (定时抓拍)."""
    return queue_scheduled(at)
@job("water.kpi.silent_days", Period.DAILY, look_back=1)
def silent_days(at: datetime) -> dict[str, int]:
    """Write yesterday's terminal-day of every installed terminal silent all day (上线率, 完好率, 通信中断)."""
    return {"terminal_days": fill_silent_days(_yesterday(at))}


@job("water.sharing.push", Period.MINUTELY, look_back=1)
def exchange_push(at: datetime) -> dict[str, int]:
    """Deliver the outbox's due batches to the upstream instance, and pull its requests and targets (四级联通)."""
    return push_exchange().summary()


@job("water.sharing.prune", Period.DAILY, look_back=1)
def exchange_prune(at: datetime) -> dict[str, int]:
    """Delete outbox entries delivered more than the retention period ago, and stale nonces."""
    return prune_exchange(at)
