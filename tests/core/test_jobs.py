"""Recurring jobs (``core.jobs``): registered by their apps, one stored run per period, caught up and retried.

The runner tests use a registry of their own with probe jobs and a clock they move by hand; the database is
real. Two runner processes race over the same periods on SQLite (a file, as in production) or on PostgreSQL
(the test database) when DATABASE_URL names it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from changji.core import jobs
from changji.core.jobs import Period, Registry, Runner
from changji.core.localtime import SHANGHAI
from changji.core.models import JobRun, JobRunState

ROOT = Path(__file__).resolve().parents[2]
CHANGJI = str(Path(sys.executable).with_name("changji"))
#: 03:10 on 5 July 2026 in Changji.
AT = datetime(2026, 7, 5, 3, 10, tzinfo=SHANGHAI)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


class Clock:
    """The runner's clock, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class Probe:
    """A job that records the periods it was called with and fails while ``failures`` lasts."""

    def __init__(self, failures: int = 0) -> None:
        self.calls: list[datetime] = []
        self.failures = failures

    def __call__(self, at: datetime) -> dict[str, int]:
        """Record the period."""
        self.calls.append(at)
        if self.failures:
            self.failures -= 1
            raise RuntimeError("probe failed; api_key=sk-probe-secret")
        return {"calls": len(self.calls)}


def registry_with(period: Period, probe: Probe, **options) -> Registry:
    probes = Registry()
    probes.register("probe.job", period, **options)(probe)
    return probes


def ran(period: Period, start: datetime, state: str = JobRunState.SUCCEEDED, **fields) -> JobRun:
    """A run stored earlier (as if by a runner before a gap)."""
    fields.setdefault("started_at", start)
    fields.setdefault("finished_at", start)
    return JobRun.objects.create(job="probe.job", period=period, period_start=start, state=state, **fields)


# --- the registry ------------------------------------------------------------------------------------------------


def test_every_app_registers_its_jobs_in_its_jobs_module():
    found = {job.name: job for job in jobs.registry.jobs()}
    assert {
        "core.jobs.prune",
        "water.alarms.evaluate", "water.quotas.sweep", "water.kpi.dashboard", "water.groundwater.sweep",
        "water.coefficients.estimate", "water.registry.calibrations", "water.registry.overdue",
        "water.usage.seal_month", "water.reports.scheduled",
        "services.claims.release", "services.deadlines.warn", "services.queue.close_day",
        "services.catalogue.supersede",
        "community.wishes.unlock", "community.issues.deadlines", "community.participation.rebuild",
    } <= set(found)
    assert found["water.alarms.evaluate"].period == Period.MINUTELY
    assert found["water.coefficients.estimate"].period == Period.DAILY
    assert found["water.reports.scheduled"].period == Period.MONTHLY
    assert found["community.issues.deadlines"].period == Period.HOURLY
    assert found["community.participation.rebuild"].period == Period.DAILY
    assert found["services.catalogue.supersede"].period == Period.DAILY
    assert all(job.function.__doc__ for job in found.values())  # the admin shows what each one does


def test_a_name_is_app_area_action_and_taken_once():
    probes = Registry()
    with pytest.raises(ValueError, match="app.area.action"):
        probes.register("Probe", Period.DAILY)
    probes.register("probe.job", Period.DAILY)(Probe())
    with pytest.raises(ValueError, match="already registered"):
        probes.register("probe.job", Period.HOURLY)(lambda at: None)
    with pytest.raises(jobs.UnknownJob):
        Runner(probes, names=["probe.other"]).selected()
    assert probes.get("probe.job").look_back == jobs.LOOK_BACK[Period.DAILY] == 7


# --- one run per period ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_due_period_runs_once_and_its_run_is_stored():
    probe = Probe()
    runner = Runner(registry_with(Period.DAILY, probe), clock=Clock(AT))
    [outcome] = runner.run_due()
    assert (outcome.job, outcome.period_start, outcome.state, outcome.attempts) == (
        "probe.job", local(2026, 7, 5), "succeeded", 1)
    assert probe.calls == [local(2026, 7, 5)] and probe.calls[0].utcoffset() == timedelta(hours=8)
    assert runner.run_due() == []  # succeeded: not again, by this runner or another
    assert Runner(registry_with(Period.DAILY, probe), clock=Clock(AT)).run_due() == []
    run = JobRun.objects.get()
    assert (run.job, run.period, run.state, run.attempts, run.result, run.error) == (
        "probe.job", "daily", "succeeded", 1, {"calls": 1}, "")
    assert run.period_start == datetime(2026, 7, 4, 16, 0, tzinfo=UTC)  # stored in UTC
    assert run.started_at == run.finished_at == AT and run.runner == runner.id


@pytest.mark.django_db
def test_a_job_new_to_the_installation_starts_with_the_current_period():
    probe = Probe()
    Runner(registry_with(Period.MONTHLY, probe), clock=Clock(AT)).run_due()
    assert probe.calls == [local(2026, 7, 1)]  # not May and June, though monthly jobs look back 3 months


# --- catch-up ----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_daily_job_catches_up_the_days_missed_while_the_runner_was_down():
    probe = Probe()
    ran(Period.DAILY, local(2026, 7, 1))
    Runner(registry_with(Period.DAILY, probe), clock=Clock(AT)).run_due()  # down from 1 July to 5 July 03:10
    assert probe.calls == [local(2026, 7, 2), local(2026, 7, 3), local(2026, 7, 4), local(2026, 7, 5)]
    assert JobRun.objects.filter(state="succeeded").count() == 5


@pytest.mark.django_db
def test_catch_up_is_bounded_by_the_look_back():
    probe = Probe()
    ran(Period.DAILY, local(2026, 6, 1))
    Runner(registry_with(Period.DAILY, probe), clock=Clock(AT)).run_due()
    assert probe.calls == [local(2026, 6, 29) + timedelta(days=n) for n in range(7)]  # 29 June .. 5 July


@pytest.mark.django_db
def test_a_monthly_job_catches_up_the_1st_of_the_months_missed():
    probe = Probe()
    ran(Period.MONTHLY, local(2026, 3, 1))
    Runner(registry_with(Period.MONTHLY, probe), clock=Clock(AT)).run_due()
    assert probe.calls == [local(2026, 5, 1), local(2026, 6, 1), local(2026, 7, 1)]  # April is past 3 months


@pytest.mark.django_db
def test_a_minutely_job_runs_only_the_current_minute_after_a_gap():
    probe = Probe()
    ran(Period.MINUTELY, local(2026, 7, 5, 2, 0))
    Runner(registry_with(Period.MINUTELY, probe), clock=Clock(AT)).run_due()
    assert probe.calls == [local(2026, 7, 5, 3, 10)]


# --- retries -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_failed_period_is_retried_after_its_backoff_and_then_succeeds():
    probe, clock = Probe(failures=1), Clock(AT)
    runner = Runner(registry_with(Period.DAILY, probe), clock=clock)
    [failed] = runner.run_due(AT)
    assert failed.state == "failed" and "RuntimeError: probe failed" in failed.error
    run = JobRun.objects.get()
    assert (run.state, run.attempts) == ("failed", 1)
    assert "sk-probe-secret" not in run.error and "[REDACTED]" in run.error  # no secret in the record
    assert "test_jobs.py" in run.error  # where it was raised
    clock.advance(minutes=1)
    assert runner.run_due(AT) == []  # backing off: the first retry waits 2 minutes
    clock.advance(minutes=1)
    [retried] = runner.run_due(AT)
    assert (retried.state, retried.attempts) == ("succeeded", 2)
    run.refresh_from_db()
    assert (run.state, run.attempts, run.error, run.result) == ("succeeded", 2, "", {"calls": 2})
    assert probe.calls == [local(2026, 7, 5)] * 2


@pytest.mark.django_db
def test_a_period_that_keeps_failing_stops_at_the_attempt_cap_until_an_operator_retries():
    probe, clock = Probe(failures=100), Clock(AT)
    runner = Runner(registry_with(Period.DAILY, probe, max_attempts=3), clock=clock)
    waits = []
    for _ in range(5):
        runner.run_due(AT)
        waits.append(JobRun.objects.get().attempts)
        clock.advance(hours=7)  # past any backoff
    assert waits == [1, 2, 3, 3, 3] and len(probe.calls) == 3
    assert JobRun.objects.get().state == "failed"
    [again] = Runner(registry_with(Period.DAILY, probe, max_attempts=3), clock=clock, retry_now=True).run_due(AT)
    assert (again.state, again.attempts) == ("failed", 4)


def test_the_backoff_grows_fourfold_up_to_its_cap():
    job = registry_with(Period.DAILY, Probe()).get("probe.job")
    waits = [job.retry_after(n) for n in (1, 2, 3, 4, 5, 6)]
    assert waits == [timedelta(minutes=m) for m in (2, 8, 32, 128)] + [timedelta(hours=6)] * 2


@pytest.mark.django_db
def test_a_failed_minute_is_not_retried_the_next_minute_runs_instead():
    probe, clock = Probe(failures=1), Clock(local(2026, 7, 5, 3, 0, 5))
    runner = Runner(registry_with(Period.MINUTELY, probe), clock=clock)
    runner.run_due()
    runner.run_due(clock.advance(minutes=3))
    assert probe.calls == [local(2026, 7, 5, 3, 0), local(2026, 7, 5, 3, 3)]
    assert dict(JobRun.objects.values_list("period_start", "state")) == {
        local(2026, 7, 5, 3, 0): "failed", local(2026, 7, 5, 3, 3): "succeeded"}


# --- claims ------------------------------------------------------------------------------------------------------


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.mark.django_db
def test_a_claim_left_by_a_dead_runner_on_this_host_is_taken_over():
    probe = Probe()
    runner = Runner(registry_with(Period.DAILY, probe), clock=Clock(AT))
    ran(Period.DAILY, local(2026, 7, 5), state="running", started_at=AT, finished_at=None,
        runner=f"{runner.host}:{_dead_pid()}:dead")
    [outcome] = runner.run_due()
    assert (outcome.state, outcome.attempts) == ("succeeded", 2)


@pytest.mark.django_db
def test_a_claim_held_by_a_live_runner_is_left_alone_until_its_timeout():
    probe, clock = Probe(), Clock(AT)
    runner = Runner(registry_with(Period.DAILY, probe), clock=clock)
    other = Runner(registry_with(Period.DAILY, probe), clock=clock)  # same process, another runner
    ran(Period.DAILY, local(2026, 7, 5), state="running", started_at=AT, finished_at=None, runner=other.id)
    ran_elsewhere = ran(Period.DAILY, local(2026, 7, 4), state="running", started_at=AT, finished_at=None,
                        runner="another-host:1234:abcd")
    assert runner.run_due() == []
    clock.advance(minutes=59)
    assert runner.run_due() == []
    clock.advance(minutes=1)  # an hour without an end: abandoned, wherever its runner was
    outcomes = runner.run_due()
    assert [(o.period_start, o.attempts) for o in outcomes] == [(local(2026, 7, 4), 2), (local(2026, 7, 5), 2)]
    ran_elsewhere.refresh_from_db()
    assert ran_elsewhere.runner == runner.id and ran_elsewhere.state == "succeeded"


@pytest.mark.django_db
def test_an_abandoned_claim_at_the_attempt_cap_is_marked_failed_not_run():
    probe = Probe()
    runner = Runner(registry_with(Period.DAILY, probe, max_attempts=2), clock=Clock(AT))
    ran(Period.DAILY, local(2026, 7, 5), state="running", attempts=2, started_at=AT - timedelta(hours=2),
        finished_at=None, runner="another-host:1:x")
    assert runner.run_due() == [] and probe.calls == []
    run = JobRun.objects.get()
    assert run.state == "failed" and "未完成即中断" in run.error


@pytest.mark.django_db
def test_an_end_that_could_not_be_recorded_is_run_again_by_the_same_runner():
    probe = Probe()
    runner = Runner(registry_with(Period.DAILY, probe), clock=Clock(AT))
    ran(Period.DAILY, local(2026, 7, 5), state="running", started_at=AT, finished_at=None, runner=runner.id)
    [outcome] = runner.run_due()  # its own claim, not running here: the database was away when it ended
    assert (outcome.state, outcome.attempts) == ("succeeded", 2)


# --- operating ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_overview_shows_failed_and_missed_jobs_first():
    probes = Registry()
    probes.register("probe.fine", Period.DAILY)(Probe())
    probes.register("probe.broken", Period.DAILY)(Probe(failures=9))
    probes.register("probe.missed", Period.DAILY)(Probe())
    probes.register("probe.never", Period.DAILY)(Probe())
    yesterday = Runner(probes, names=["probe.fine", "probe.broken", "probe.missed"], clock=Clock(AT))
    yesterday.run_due(AT - timedelta(days=1))
    Runner(probes, names=["probe.fine", "probe.broken"], clock=Clock(AT)).run_due(AT)
    statuses = {status.job.name: status for status in jobs.overview(AT, probes)}
    assert {name: (s.late, s.label) for name, s in statuses.items()} == {
        "probe.fine": (False, "正常"), "probe.broken": (True, "逾期（最近一次失败）"),
        "probe.missed": (True, "逾期"), "probe.never": (True, "从未运行")}
    assert [s.job.name for s in jobs.overview(AT, probes)][-1] == "probe.fine"
    assert statuses["probe.missed"].last_success == local(2026, 7, 4)


@pytest.mark.django_db
def test_old_runs_of_frequent_jobs_are_pruned_and_daily_ones_kept():
    for days, period, state in ((8, "minutely", "succeeded"), (6, "minutely", "succeeded"), (8, "hourly", "failed"),
                                (91, "hourly", "failed"), (400, "daily", "succeeded")):
        JobRun.objects.create(job=f"probe.{period}", period=period, period_start=AT - timedelta(days=days),
                              state=state, started_at=AT)
    assert jobs.prune_runs(AT) == {"deleted": 2}
    assert jobs.prune_runs(AT) == {"deleted": 0}
    assert sorted((AT - start).days for start in JobRun.objects.values_list("period_start", flat=True)) == [
        6, 8, 400]


@pytest.mark.django_db
def test_the_job_runs_admin_is_read_only_and_for_administrators_of_the_whole_instance(client, make_user):
    probes = Registry()
    probes.register("probe.broken", Period.DAILY)(Probe(failures=1))
    Runner(probes, clock=Clock(AT)).run_due(AT)
    run = JobRun.objects.get()
    client.force_login(make_user("prefecture-admin", "652300", role="prefecture_admin"))
    page = client.get("/admin/core/jobrun/").content.decode()
    assert "probe.broken" in page and "RuntimeError: probe failed" in page and "任务概况" in page
    assert "water.alarms.evaluate" in page and "从未运行" in page  # the platform's jobs, none run yet
    assert client.get(f"/admin/core/jobrun/{run.pk}/change/").status_code == 200  # a view, no form
    assert client.get("/admin/core/jobrun/add/").status_code == 403
    assert client.post(f"/admin/core/jobrun/{run.pk}/delete/", {"post": "yes"}).status_code == 403
    client.force_login(make_user("county-admin", "652323", role="prefecture_admin"))
    assert client.get("/admin/core/jobrun/").status_code == 403
    client.force_login(make_user("operator", "652300", role="county_operator"))
    assert client.get("/admin/core/jobrun/").status_code == 403


@pytest.mark.django_db
def test_the_command_runs_one_round_and_names_unknown_jobs(capsys):
    from django.core.management import CommandError, call_command

    call_command("jobs", "--once", "--job", "core.jobs.prune", "--at", "2026-07-05T03:10")
    assert capsys.readouterr().out.startswith('core.jobs.prune 2026-07-05 00:00 succeeded (attempt 1) {"deleted": 0}')
    call_command("jobs", "--once", "--job", "core.jobs.prune", "--at", "2026-07-05T03:10")
    assert capsys.readouterr().out == ""  # done for that day
    call_command("jobs", "--list", "--job", "core.jobs.prune")
    assert capsys.readouterr().out.split("\t")[:2] == ["core.jobs.prune", "daily"]
    with pytest.raises(CommandError, match="no job named 'water.nothing'"):
        call_command("jobs", "--once", "--job", "water.nothing")
    with pytest.raises(CommandError, match="--once"):
        call_command("jobs", "--at", "2026-07-05T03:10")


@pytest.mark.parametrize("command", [["services", "jobs", "--once"], ["community", "jobs", "--once"]])
def test_the_old_loops_say_where_the_jobs_went(command):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="replaced by `changji jobs`"):
        call_command(*command)


# --- two runners, two processes ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sqlite_file(tmp_path_factory, migrated_sqlite):
    """A migrated SQLite file in WAL mode, as production runs it, for processes of their own."""
    data = tmp_path_factory.mktemp("jobs-db")
    migrated_sqlite(data)
    return {"CHANGJI_DATA_DIR": str(data), "DATABASE_URL": ""}


#: On PostgreSQL the other processes open the test database, so these tests commit their rows (and the
#: database's contents are restored after them); on SQLite they use a file of their own (``sqlite_file``).
POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")
SHARED = pytest.mark.django_db(transaction=True, serialized_rollback=True) if POSTGRES else (lambda test: test)


@pytest.fixture
def shared_database(request, tmp_path):
    """The environment of a database other processes can use.

    That is the PostgreSQL test database or, on SQLite (whose test database lives in memory), a migrated file.
    """
    if not POSTGRES:
        return request.getfixturevalue("sqlite_file")
    from django.db import connection

    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return {"DATABASE_URL": f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}",
            "CHANGJI_DATA_DIR": str(tmp_path)}


@SHARED
def test_two_runner_processes_never_run_the_same_period_twice(shared_database, tmp_path):
    log = tmp_path / "runs.log"
    env = {**os.environ, **shared_database, "DJANGO_SETTINGS_MODULE": "changji.settings", "PYTHONPATH": str(ROOT)}
    start = time.time() + 6  # both are set up and waiting by then
    runners = [subprocess.Popen([sys.executable, "-m", "tests.core.jobs_probe", str(log), AT.isoformat(),
                                 str(start)], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    for runner in runners:
        _, errors = runner.communicate(timeout=120)
        assert runner.returncode == 0, errors
    lines = [line.split() for line in log.read_text().splitlines()]
    periods = [period for period, _ in lines]
    assert len(periods) == len(set(periods)) == 7  # 29 June .. 5 July, each once
    assert sorted(periods) == [(local(2026, 6, 29) + timedelta(days=n)).isoformat() for n in range(7)]


@SHARED
def test_changji_jobs_once_through_the_cli(shared_database):
    env = {**os.environ, **shared_database}
    args = [CHANGJI, "jobs", "--once", "--at", "2026-07-05T03:10:00+08:00"]
    first = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert any(line.startswith("water.alarms.evaluate 2026-07-05 03:10 succeeded (attempt 1)") for line in lines)
    assert any(line.startswith("services.claims.release 2026-07-05 03:10 succeeded") for line in lines)
    assert any(line.startswith("community.wishes.unlock 2026-07-05 03:10 succeeded") for line in lines)
    assert any(line.startswith("water.reports.scheduled 2026-07-01 00:00 succeeded") for line in lines)
    again = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert (again.returncode, again.stdout) == (0, "")  # every period of that moment is done
    listed = subprocess.run([CHANGJI, "jobs", "--list", "--at", "2026-07-05T03:10:00+08:00"], env=env,
                            capture_output=True, text=True, timeout=300)
    assert "water.alarms.evaluate\tminutely\t正常" in listed.stdout


def test_the_demo_runs_one_jobs_process_instead_of_the_apps_loops(monkeypatch):
    from changji.core import demo

    started = []
    monkeypatch.setattr(demo.subprocess, "Popen", lambda argv, env: started.append(argv[3:]))
    demo.start_demo_processes()
    assert started[0] == ["jobs", "--start-delay", "180"]
    assert ["water", "derive"] in started
    assert not [argv for argv in started if argv[-1:] == ["jobs"] or "--jobs-delay" in argv]
