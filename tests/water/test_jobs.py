"""The recurring jobs run when due: alarms and quotas every minute, the daily jobs after midnight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from changji.water import jobs

pytestmark = pytest.mark.django_db


def test_schedule_runs_minutely_jobs_each_minute_and_daily_jobs_after_local_midnight(monkeypatch):
    calls = []
    monkeypatch.setattr(jobs, "run_minutely", lambda now: calls.append(("minute", now)) or {})
    monkeypatch.setattr(jobs, "run_daily", lambda today: calls.append(("day", today)) or {})
    schedule = jobs.Schedule(every_s=60)
    t0 = datetime(2026, 7, 1, 15, 58, 30, tzinfo=UTC)  # 23:58:30 in Changji
    for seconds in (0, 30, 60, 90, 120):
        schedule.tick(t0 + timedelta(seconds=seconds))
    assert [kind for kind, _ in calls] == ["minute", "day", "minute"]  # the first waits one period
    assert calls[1][1].isoformat() == "2026-07-02"


def test_jobs_run_against_an_empty_database():
    now = datetime(2026, 7, 1, 4, 0, tzinfo=UTC)
    assert jobs.run_minutely(now)["quota_stops"] == 0
    assert jobs.run_daily(now.date().replace(day=15))["reports"] == 0  # no report due mid-month


def test_first_run_can_wait_for_a_fleet_replaying_its_history(monkeypatch):
    calls = []
    monkeypatch.setattr(jobs, "run_minutely", lambda now: calls.append(now) or {})
    schedule = jobs.Schedule(every_s=60, first_delay_s=180)
    t0 = datetime(2026, 7, 1, 4, 0, tzinfo=UTC)
    for seconds in (0, 60, 120, 179, 180, 200, 240):
        schedule.tick(t0 + timedelta(seconds=seconds))
    assert calls == [t0 + timedelta(seconds=180), t0 + timedelta(seconds=240)]
