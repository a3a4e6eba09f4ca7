"""Recurring jobs: each app registers its own, and one runner (``changji jobs``) runs every due period once.

**Registering.** An app declares its recurring work in its ``jobs`` module, found the way Django's admin finds
``admin`` modules (``autodiscover_modules``), so the core never imports an app::

    @job("water.alarms.evaluate", Period.MINUTELY)
    def evaluate_alarms(at: datetime) -> dict[str, int]:
        ...

``at`` is the start of the period (an aware Asia/Shanghai datetime, ``core.periods``); a period is due from
its start, so the daily job of 2 July runs from local midnight on 2 July and works on 1 July if that is its
work. The function returns a small dict of counts, stored with the run and printed by ``changji jobs``.

**One run per job and period** (``core.models.JobRun``). A runner claims a period by inserting its row in a
transaction of its own; ``(job, period_start)`` is unique, so of two runners (threads, processes or hosts,
on SQLite or PostgreSQL) one inserts and the other gets an ``IntegrityError`` and leaves the period. A retry
or the takeover of an abandoned claim is a compare-and-set ``UPDATE … WHERE state = … AND attempts = …
AND runner = …``, which only one runner can win. The job itself runs outside any transaction of the runner:
jobs keep their own short transactions (the quota sweep locks one allocation at a time).

**Catch-up.** A runner considers the latest ``look_back`` periods of each job, the current one included,
oldest first (``LOOK_BACK``): a minutely job runs only the current minute (a process down for an hour
does not replay 60 minutes; the next minute is a failed minute's retry), an hourly job the last 24 hours,
a daily job the last 7 days, a monthly job the last 3 months, so a runner down over midnight or over the
1st of a month catches up when it comes back. A job reading the present state rather than its period's
data registers ``look_back=1``. Periods before a job's first run are never replayed: a job new to an
installation starts with the current period.

**Retries.** A failed period is retried after a backoff (2 minutes, then 8, 32 and 128: ``BACKOFF_*``) up
to ``MAX_ATTEMPTS`` attempts in all, as long as it is within the look-back; after that it stays failed
in the admin (定时任务运行记录) until an operator runs ``changji jobs --retry``. A claim left ``running``
is abandoned when its runner was a process of this host that no longer exists, or when it is older than
the job's ``claim_timeout`` (one hour); another runner then takes it over as a new attempt.

**Idempotent jobs.** A run may be repeated (a retry after a partial failure, a takeover), so every job
must give the same result when run twice for one period; each registering module says how its jobs are.

Kept small: succeeded runs of minutely and hourly jobs are deleted after a week, failed ones after 90
days (``core.jobs.prune``); daily and monthly runs are kept.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import socket
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from changji.core.localtime import SHANGHAI
from changji.core.log_redaction import redact
from changji.core.metrics import record_job_run
from changji.core.models import JobRun, JobRunState
from changji.core.periods import PERIOD_LABELS, Period, due, start_of

__all__ = ["LOOK_BACK", "MAX_ATTEMPTS", "Job", "JobStatus", "Outcome", "Period", "Registry", "Runner",
           "UnknownJob", "job", "overview", "registry"]

log = logging.getLogger("changji.core.jobs")

#: A job: called with its period's start, returns counts for the run's record.
JobFunction = Callable[[datetime], Mapping[str, Any] | None]
F = TypeVar("F", bound=JobFunction)

#: How many of the latest periods a runner considers, the current one included (see the module docstring).
LOOK_BACK: Mapping[Period, int] = {Period.MINUTELY: 1, Period.HOURLY: 24, Period.DAILY: 7, Period.MONTHLY: 3}
#: Attempts of one period before it is left failed for an operator.
MAX_ATTEMPTS = 5
#: The wait after the first failure; each further failure waits ``BACKOFF_FACTOR`` times longer, at most the cap.
BACKOFF_FIRST = timedelta(minutes=2)
BACKOFF_FACTOR = 4
BACKOFF_MAX = timedelta(hours=6)
#: A claim still ``running`` after this long is abandoned (its runner died on another host, or hangs).
CLAIM_TIMEOUT = timedelta(hours=1)
#: An overview calls a job late when the period that began this long ago (or a later one) has not succeeded.
GRACE: Mapping[Period, timedelta] = {Period.MINUTELY: timedelta(minutes=5), Period.HOURLY: timedelta(minutes=15),
                                     Period.DAILY: timedelta(hours=1), Period.MONTHLY: timedelta(hours=2)}
#: Runs of minutely and hourly jobs kept this long after their period (succeeded, failed); the rest are kept.
KEEP_FREQUENT = {JobRunState.SUCCEEDED: timedelta(days=7), JobRunState.FAILED: timedelta(days=90)}
#: The longest traceback kept in ``JobRun.error`` (its end, where the exception was raised).
ERROR_CHARS = 4000

_NAME = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")


class UnknownJob(LookupError):
    """A job name that no app registered."""


@dataclass(frozen=True)
class Job:
    """A registered recurring job (see ``Registry.register``)."""

    name: str
    period: Period
    function: JobFunction = field(repr=False)
    look_back: int
    max_attempts: int = MAX_ATTEMPTS
    claim_timeout: timedelta = CLAIM_TIMEOUT

    @property
    def title(self) -> str:
        """The first line of the function's docstring: what the job does."""
        return (self.function.__doc__ or self.name).strip().splitlines()[0]

    def retry_after(self, attempts: int) -> timedelta:
        """Return how long a period that failed its ``attempts``-th attempt waits before the next."""
        return min(BACKOFF_FIRST * BACKOFF_FACTOR ** max(attempts - 1, 0), BACKOFF_MAX)


class Registry:
    """The registered jobs by name; the platform's is ``registry``, filled from each app's ``jobs`` module."""

    def __init__(self, discover: bool = False) -> None:
        self._jobs: dict[str, Job] = {}
        self._discover = discover

    def register(self, name: str, period: Period, *, look_back: int | None = None,
                 max_attempts: int = MAX_ATTEMPTS, claim_timeout: timedelta = CLAIM_TIMEOUT) -> Callable[[F], F]:
        """Return a decorator registering its function as the job ``name`` (``app.area.action``) run every ``period``.

        ``look_back`` defaults to ``LOOK_BACK[period]``. A second function under a taken name is refused.
        """
        if not _NAME.fullmatch(name):
            raise ValueError(f"job name {name!r} is not app.area.action in lower case")
        period = Period(period)
        chosen = LOOK_BACK[period] if look_back is None else look_back
        if chosen < 1 or max_attempts < 1:
            raise ValueError("look_back and max_attempts must be at least 1")

        def decorate(function: F) -> F:
            known = self._jobs.get(name)
            if known is not None and _qualified(known.function) != _qualified(function):
                raise ValueError(f"job {name!r} is already registered by {_qualified(known.function)}")
            self._jobs[name] = Job(name, period, function, chosen, max_attempts, claim_timeout)
            return function

        return decorate

    def jobs(self) -> list[Job]:
        """Return every registered job, in registration order (apps in ``INSTALLED_APPS`` order)."""
        if self._discover:
            autodiscover_modules("jobs")  # imports each app's ``jobs`` module once; later calls find them loaded
            self._discover = False
        return list(self._jobs.values())

    def get(self, name: str) -> Job:
        """Return the job ``name``; ``UnknownJob`` when no app registered it."""
        for known in self.jobs():
            if known.name == name:
                return known
        raise UnknownJob(name)


def _qualified(function: Callable[..., Any]) -> str:
    name = getattr(function, "__qualname__", None) or type(function).__qualname__  # a function, or a callable object
    return f"{function.__module__}.{name}"


#: The platform's jobs.
registry = Registry(discover=True)
#: ``@job(name, period, …)``: register a function in the platform's registry.
job = registry.register


@dataclass(frozen=True)
class Outcome:
    """What a runner did with one claimed period."""

    job: str
    period_start: datetime
    state: str
    attempts: int
    result: Mapping[str, Any]
    error: str = ""

    def line(self) -> str:
        """One line for the log and ``changji jobs``: job, local period, state, attempt, counts or error."""
        when = self.period_start.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        detail = json.dumps(dict(self.result), ensure_ascii=False) if self.state == JobRunState.SUCCEEDED \
            else self.error.splitlines()[0] if self.error else ""
        return f"{self.job} {when} {self.state} (attempt {self.attempts}) {detail}".rstrip()


class Runner:
    """Claims and runs the due periods of the registered jobs (see the module docstring).

    ``names`` limits it to some jobs; ``clock`` gives the times it records and waits by (retries, abandoned
    claims); ``retry_now`` also retries failed periods past their backoff and attempt cap (an operator's
    ``changji jobs --retry``).
    """

    def __init__(self, jobs: Registry | None = None, *, names: Iterable[str] | None = None,
                 clock: Callable[[], datetime] = timezone.now, retry_now: bool = False) -> None:
        self.registry = jobs if jobs is not None else registry
        self.names = list(names) if names else None
        self.clock = clock
        self.retry_now = retry_now
        self.host = socket.gethostname()
        self.id = f"{self.host}:{os.getpid()}:{secrets.token_hex(4)}"
        self._active: set[int] = set()

    def selected(self) -> list[Job]:
        """Return the jobs this runner runs; ``UnknownJob`` names the first unknown one asked for."""
        jobs = self.registry.jobs()
        if self.names is None:
            return jobs
        known = {job.name for job in jobs}
        for name in self.names:
            if name not in known:
                raise UnknownJob(name)
        return [job for job in jobs if job.name in self.names]

    def run_due(self, at: datetime | None = None) -> list[Outcome]:
        """Run every due period of the selected jobs that this runner can claim at ``at`` (default: the clock).

        A database error while claiming one job's periods is logged and the next job is tried; the periods
        stay due for the next round.
        """
        at = at if at is not None else self.clock()
        outcomes = []
        for job in self.selected():
            try:
                for period_start in self.candidates(job, at):
                    run = self.claim(job, period_start)
                    if run is not None:
                        outcomes.append(self.execute(job, run))
            except DatabaseError:
                log.exception("job %s: could not claim its periods; next round", job.name)
        return outcomes

    def candidates(self, job: Job, at: datetime) -> list[datetime]:
        """Return the periods of ``job`` a runner considers at ``at``, oldest first (look-back, first run)."""
        first = (JobRun.objects.filter(job=job.name).order_by("period_start")
                 .values_list("period_start", flat=True).first())
        return due(job.period, at, job.look_back, since=first if first is not None else start_of(job.period, at))

    def claim(self, job: Job, period_start: datetime) -> JobRun | None:
        """Claim the period for this runner and return its row, or None when it is done, waiting or taken."""
        now = self.clock()
        row = JobRun.objects.filter(job=job.name, period_start=period_start).first()
        if row is None:
            try:
                with transaction.atomic():
                    return JobRun.objects.create(job=job.name, period=job.period, period_start=period_start,
                                                 state=JobRunState.RUNNING, attempts=1, started_at=now,
                                                 runner=self.id)
            except IntegrityError:  # another runner inserted it first: theirs
                return None
        if not self._may_take(job, row, now):
            return None
        taken = JobRun.objects.filter(pk=row.pk, state=row.state, attempts=row.attempts, runner=row.runner).update(
            state=JobRunState.RUNNING, attempts=row.attempts + 1, started_at=now, finished_at=None, runner=self.id)
        if taken != 1:  # another runner changed it since we read it
            return None
        row.state, row.attempts, row.started_at, row.finished_at, row.runner = (
            JobRunState.RUNNING, row.attempts + 1, now, None, self.id)
        return row

    def _may_take(self, job: Job, row: JobRun, now: datetime) -> bool:
        if row.state == JobRunState.SUCCEEDED:
            return False
        if row.state == JobRunState.FAILED:
            if self.retry_now:
                return True
            failed_at = row.finished_at or row.started_at
            return row.attempts < job.max_attempts and now >= failed_at + job.retry_after(row.attempts)
        if not self._abandoned(job, row, now):
            return False
        if row.attempts >= job.max_attempts and not self.retry_now:
            JobRun.objects.filter(pk=row.pk, state=JobRunState.RUNNING, attempts=row.attempts,
                                  runner=row.runner).update(
                state=JobRunState.FAILED, finished_at=now,
                error=f"运行进程 {row.runner} 未完成即中断，已达尝试上限（{job.max_attempts} 次）")
            return False
        return True

    def _abandoned(self, job: Job, row: JobRun, now: datetime) -> bool:
        """Return True when nobody is running the claimed ``row`` any more."""
        if row.started_at <= now - job.claim_timeout:
            return True
        if row.runner == self.id:  # ours, but not running here: recording its end failed (database away)
            return row.pk not in self._active
        host, _, rest = row.runner.partition(":")
        pid = rest.partition(":")[0]
        return host == self.host and pid.isdigit() and int(pid) != os.getpid() and not _process_exists(int(pid))

    def execute(self, job: Job, run: JobRun) -> Outcome:
        """Run ``job`` for the claimed ``run``'s period, record how it ended and count it (``core.metrics``)."""
        self._active.add(run.pk)
        began = time.monotonic()
        try:
            try:
                result = job.function(run.period_start.astimezone(SHANGHAI))
            except Exception as exc:  # any failure of a job is recorded and retried, never the runner's end
                log.exception("job %s for %s failed (attempt %d)", job.name, run.period_start, run.attempts)
                record_job_run(job.name, JobRunState.FAILED, time.monotonic() - began)
                return self._finish(run, JobRunState.FAILED, error=describe(exc))
            except BaseException as exc:  # interrupted (Ctrl-C): record it, then stop as asked
                record_job_run(job.name, JobRunState.FAILED, time.monotonic() - began)
                self._finish(run, JobRunState.FAILED, error=describe(exc))
                raise
            record_job_run(job.name, JobRunState.SUCCEEDED, time.monotonic() - began)
            outcome = self._finish(run, JobRunState.SUCCEEDED, result=_jsonable(result))
            log.info("%s", outcome.line())
            return outcome
        finally:
            self._active.discard(run.pk)

    def _finish(self, run: JobRun, state: str, *, result: Mapping[str, Any] | None = None,
                error: str = "") -> Outcome:
        try:
            recorded = JobRun.objects.filter(pk=run.pk, runner=self.id, attempts=run.attempts).update(
                state=state, finished_at=self.clock(), result=dict(result or {}), error=error)
            if recorded != 1:
                log.warning("job %s for %s: the claim was taken over before it ended", run.job, run.period_start)
        except DatabaseError:  # left running under our id: the next round sees it abandoned and runs it again
            log.exception("job %s for %s: could not record that it %s", run.job, run.period_start, state)
        return Outcome(run.job, run.period_start, state, run.attempts, dict(result or {}), error)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def describe(exc: BaseException) -> str:
    """Return the exception and where it was raised for ``JobRun.error``, secrets redacted, at most ~4 KB."""
    head = f"{type(exc).__name__}: {exc}"[:500]
    frames = "".join(traceback.format_tb(exc.__traceback__))
    if len(frames) > ERROR_CHARS:
        frames = "…" + frames[-ERROR_CHARS:]
    return redact(f"{head}\n\n{frames}".rstrip())


def _jsonable(result: Any) -> dict[str, Any]:
    """The job's counts as a JSON object (anything else is kept as its text)."""
    counts = dict(result) if isinstance(result, Mapping) else ({} if result is None else {"result": result})
    return json.loads(json.dumps({str(key): value for key, value in counts.items()}, default=str))


@dataclass(frozen=True)
class JobStatus:
    """Where one job stands: the latest period that should have succeeded by now, its last run and success."""

    job: Job
    expected: datetime
    last_run: JobRun | None
    last_success: datetime | None

    @property
    def late(self) -> bool:
        """True when no period from ``expected`` on has succeeded (missed, failed or still running)."""
        return self.last_success is None or self.last_success < self.expected

    @property
    def label(self) -> str:
        """The state shown to operators (admin, ``changji jobs --list``)."""
        if self.last_run is None:
            return "从未运行"
        if self.late:
            return "逾期（最近一次失败）" if self.last_run.state == JobRunState.FAILED else "逾期"
        if self.last_run.state == JobRunState.FAILED:
            return "最近一次失败"
        return "正常"

    @property
    def period_label(self) -> str:
        return PERIOD_LABELS[self.job.period]


def overview(at: datetime | None = None, jobs: Registry | None = None) -> list[JobStatus]:
    """Return the status of every registered job at ``at`` (default: now), late ones first."""
    at = at if at is not None else timezone.now()
    statuses = []
    for one in (jobs if jobs is not None else registry).jobs():
        runs = JobRun.objects.filter(job=one.name)
        last_run = runs.order_by("-period_start").first()
        last_success = (runs.filter(state=JobRunState.SUCCEEDED).order_by("-period_start")
                        .values_list("period_start", flat=True).first())
        expected = start_of(one.period, at - GRACE[one.period])
        statuses.append(JobStatus(one, expected, last_run, last_success))
    return sorted(statuses, key=lambda status: not status.late)


@job("core.jobs.prune", Period.DAILY, look_back=1)
def prune_runs(at: datetime) -> dict[str, int]:
    """Delete old runs of minutely and hourly jobs (a week after success, 90 days after failure).

    Idempotent: a second run finds nothing more to delete.
    """
    deleted = 0
    for state, keep in KEEP_FREQUENT.items():
        count, _ = JobRun.objects.filter(period__in=(Period.MINUTELY, Period.HOURLY), state=state,
                                         period_start__lt=at - keep).delete()
        deleted += count
    return {"deleted": deleted}
