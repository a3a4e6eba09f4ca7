"""The water app's recurring jobs, run by ``changji jobs``: every minute, after local midnight, on the 1st."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from changji.core.jobs import Runner, registry
from changji.core.localtime import SHANGHAI
from changji.water import jobs

pytestmark = pytest.mark.django_db

WATER = [job.name for job in registry.jobs() if job.name.startswith("water.")]


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def test_minutely_jobs_run_each_minute_daily_ones_after_local_midnight_and_monthly_ones_on_the_1st():
    runner = Runner(names=WATER)

    def round_at(moment: datetime) -> list[tuple[str, str]]:
        runner.clock = lambda: moment
        outcomes = runner.run_due(moment)
        assert {outcome.state for outcome in outcomes} <= {"succeeded"}, [o.error for o in outcomes]
        return [(outcome.job, f"{outcome.period_start:%d %H:%M}") for outcome in outcomes]

    minutely = ["water.alarms.evaluate", "water.quotas.sweep", "water.kpi.dashboard"]
    daily = ["water.groundwater.sweep", "water.coefficients.estimate", "water.registry.calibrations",
             "water.registry.overdue", "water.licences.expiry", "water.licences.unlicensed",
             "water.profiles.detect", "water.partitions.ensure"]
    monthly = ["water.usage.seal_month", "water.reports.scheduled"]
    added = ["water.pictures.schedule"]  # minutely, registered after the others (issue 15)
    daily_after = ["water.kpi.silent_days"]  # registered after the monthly ones (water/jobs.py order)
    sharing = ["water.sharing.push", "water.sharing.prune"]  # minutely and daily (issue 16)
    first = round_at(local(2026, 6, 30, 23, 58, 30))  # a new installation: each job's current period
    assert [name for name, _ in first] == minutely + daily + monthly + added + daily_after + sharing
    minutely = minutely + added + sharing[:1]
    daily_after = daily_after + sharing[1:]
    assert round_at(local(2026, 6, 30, 23, 58, 50)) == []  # the same minute: done
    assert round_at(local(2026, 6, 30, 23, 59, 5)) == [(name, "30 23:59") for name in minutely]
    assert sorted(round_at(local(2026, 7, 1, 0, 0, 5))) == sorted(
        [(name, "01 00:00") for name in minutely + daily + monthly + daily_after])
    assert round_at(local(2026, 7, 1, 0, 1, 5)) == [(name, "01 00:01") for name in minutely]


def test_the_jobs_run_against_an_empty_database():
    now = local(2026, 7, 15, 12, 0)
    assert jobs.sweep(now) == {"checked": 0, "warnings": 0, "stops": 0, "starts": 0}
    assert jobs.evaluate_alarms(now) == {"terminals": 0, "raised": 0, "cleared": 0}
    assert jobs.reports(now) == {"reports": 0}  # no report due mid-month
    assert jobs.licence_expiry(now) == {"warned": 0, "expired": 0}
    assert jobs.unlicensed(now) == {"wells": 0, "raised": 0, "cleared": 0}
    assert jobs.pictures(now) == {"policies": 0, "queued": 0, "skipped_open": 0}
    assert jobs.seal_month(local(2026, 7, 1)) == {"months_sealed": 1}  # June closed
    assert jobs.seal_month(local(2026, 7, 1)) == {"months_sealed": 0}  # and stays sealed


def test_the_runner_waits_for_the_fleet_before_its_first_round(monkeypatch):
    """``changji jobs`` waits a minute (the demo: three) before judging terminals that are still dialling in."""
    from django.core.management import call_command

    from changji.core.management.commands import jobs as command

    slept = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) > 1:
            raise KeyboardInterrupt  # the loop's wait for the next minute: stop here

    monkeypatch.setattr(command, "time", SimpleNamespace(sleep=sleep, time=time.time))
    with pytest.raises(KeyboardInterrupt):
        call_command("jobs", "--job", "core.jobs.prune")
    assert slept[0] == command.START_DELAY_S == 60
    assert 0.5 <= slept[1] <= 60.5
    slept.clear()
    call_command("jobs", "--once", "--job", "core.jobs.prune", "--start-delay", "180",
                 "--at", (local(2026, 7, 2) + timedelta(hours=1)).isoformat())
    assert slept == [180]
