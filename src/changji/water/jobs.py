"""The water app's recurring work, run by ``changji water derive`` beside the derivation loop.

Every minute: alarm rules over every terminal's recent readings, the quota sweep (warnings and
automatic stops), and the dashboard figures that are more than five minutes old. Once a day,
after local midnight: the monthly rollup of a month that just closed, the groundwater fusion
sweep, the 以电折水 coefficient estimates, the reports due (月报 on the 1st, 季报 and 年报 when a
quarter or year ends), meter calibrations coming due and overdue work orders. No extra server: the jobs run in
the process that already follows the readings.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from changji.core import localtime
from changji.water.alarms.evaluation import evaluate_all
from changji.water.coefficients.calibration import estimate_all
from changji.water.groundwater.fusion import sweep_groundwater
from changji.water.kpi.dashboard import refresh_due
from changji.water.quotas.sweep import sweep_quotas
from changji.water.registry.work_orders import schedule_calibrations, warn_overdue
from changji.water.reports import scheduled_reports
from changji.water.usage.monthly import seal_closed_months

log = logging.getLogger("changji.water.jobs")


def run_minutely(now: datetime) -> dict[str, int]:
    """Evaluate alarms and sweep quotas; return counts for the log."""
    alarms = evaluate_all(now)
    sweep = sweep_quotas(localtime.local_day(now), now=now)
    return {**alarms, "quota_warnings": len(sweep.warnings), "quota_stops": len(sweep.stops),
            "quota_starts": len(sweep.starts), "dashboards": refresh_due(now)}


def run_daily(today: date) -> dict[str, int]:
    """Run the once-a-day jobs for the day that just ended; return counts for the log."""
    yesterday = today - timedelta(days=1)
    return {
        "months_sealed": len(seal_closed_months(yesterday, yesterday)),
        "groundwater_warnings": len(sweep_groundwater(yesterday)),
        "coefficients": estimate_all(yesterday),
        "reports": len(scheduled_reports(today)),
        "calibrations_due": len(schedule_calibrations(today)),
        "work_orders_overdue": len(warn_overdue(today)),
    }


class Schedule:
    """Decide when the minutely and daily jobs are due; remembers only the last runs."""

    def __init__(self, every_s: float = 60.0, first_delay_s: float | None = None) -> None:
        self.every = timedelta(seconds=every_s)
        self.first_delay = timedelta(seconds=every_s if first_delay_s is None else first_delay_s)
        self.last_minutely: datetime | None = None
        self.last_day: date | None = None

    def tick(self, now: datetime) -> None:
        """Run whatever is due at ``now``; a failing job is logged and retried at the next tick.

        The first minutely run waits ``first_delay`` (one period by default), so terminals that dial
        in as the platform starts are not judged offline before they had a chance to report.
        """
        if self.last_minutely is None:
            self.last_minutely = now - self.every + self.first_delay
        elif now - self.last_minutely >= self.every:
            self.last_minutely = now
            self._run("minutely", run_minutely, now)
        today = localtime.local_day(now)
        if self.last_day is None:
            self.last_day = today  # the first day of a run: nothing ended while we watched
        elif today != self.last_day:
            self.last_day = today
            self._run("daily", run_daily, today)

    @staticmethod
    def _run(name: str, job: object, arg: object) -> None:
        try:
            log.info("%s jobs: %s", name, job(arg))  # type: ignore[operator]
        except Exception:  # keep deriving; the next tick tries again
            log.exception("%s jobs failed", name)
