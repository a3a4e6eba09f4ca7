"""Readiness checks: what ``/readyz`` asks before a load balancer or an operator sends work to this instance.

``/healthz`` says the web process answers (no database); ``/readyz`` runs every registered check and answers
503 when one fails. A check is a function returning a ``CheckResult``; core registers its own (database,
migrations, job runner) and each app registers its checks in its ``AppConfig.ready`` (the water app adds the
gateway's last stored frame), so core never imports an app::

    from changji.core.health import readiness

    readiness.register("water.frames", frames_fresh)

A check that raises is reported failed with the exception's class only (never its message: a database
error may carry a DSN). Every check must be cheap: ``/readyz`` is polled every few seconds. The migration
check loads the migration graph from disk once per process (it only changes with a deployment, which restarts
the process) and reads the applied migrations (one small table) per call.

Kubernetes' probe semantics are followed: liveness (``/healthz``) must not depend on shared resources, or a
database outage restarts every web process; readiness (``/readyz``) may
(https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from changji.core.models import JobRun, JobRunState

__all__ = ["CheckResult", "Readiness", "age_s", "readiness", "run_checks"]

log = logging.getLogger("changji.core.health")

#: Defaults of the settings ``CHANGJI_READY_JOBS_MAX_AGE_S`` (minutely jobs: a live runner claims every minute).
JOBS_MAX_AGE_S = 300.0


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict: ``ok``, a short English ``detail`` and any figures (ages in seconds)."""

    ok: bool
    detail: str
    figures: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """Return the JSON entry of ``/readyz``: ``{"ok": …, "detail": …, **figures}``."""
        return {"ok": self.ok, "detail": self.detail, **self.figures}


Check = Callable[[], CheckResult]


class Readiness:
    """The registered readiness checks by name, run in registration order."""

    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def register(self, name: str, check: Check) -> None:
        """Register ``check`` under ``name`` (``app.what``); registering the same name again replaces it."""
        self._checks[name] = check

    def names(self) -> list[str]:
        """Return the names of the registered checks."""
        return list(self._checks)

    def run(self) -> dict[str, CheckResult]:
        """Run every check; one that raises fails with its exception's class, and the others still run.

        The database check runs first: when it fails, the checks that need the database are reported as
        skipped (failed) instead of each waiting for its own connection error.
        """
        results: dict[str, CheckResult] = {}
        for name, check in self._checks.items():
            if name != "database" and results.get("database") is not None and not results["database"].ok:
                results[name] = CheckResult(False, "skipped: the database is not reachable")
                continue
            try:
                results[name] = check()
            except Exception as exc:  # reported, never raised: /readyz must answer
                log.warning("readiness check %s failed: %s", name, type(exc).__name__)
                results[name] = CheckResult(False, f"check failed: {type(exc).__name__}")
        return results


#: The platform's readiness checks.
readiness = Readiness()


def run_checks() -> tuple[bool, dict[str, dict[str, Any]]]:
    """Run the registered checks; return whether all passed and the JSON entries by name."""
    results = readiness.run()
    return all(result.ok for result in results.values()), {name: r.as_json() for name, r in results.items()}


def age_s(moment: datetime, now: datetime | None = None) -> float:
    """Return how many seconds ago ``moment`` was (rounded to 0.1 s; negative when in the future)."""
    return round(((now or timezone.now()) - moment).total_seconds(), 1)


def database_reachable() -> CheckResult:
    """Check that the default database answers a trivial query."""
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # the class only: the message may name the host, user or password
        return CheckResult(False, f"unreachable: {type(exc).__name__}", {"vendor": connection.vendor})
    return CheckResult(True, "reachable", {"vendor": connection.vendor})


@cache
def _expected_migrations() -> tuple[frozenset[tuple[str, str]], dict[tuple[str, str], frozenset[tuple[str, str]]]]:
    """Return the migrations on disk (graph nodes) and what each squashed one replaces; loaded once per process."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    nodes = frozenset(loader.graph.nodes)
    replaces = {key: frozenset((str(app), str(name)) for app, name in loader.disk_migrations[key].replaces)
                for key in nodes if key in loader.disk_migrations and loader.disk_migrations[key].replaces}
    return nodes, replaces


def migrations_applied() -> CheckResult:
    """Check that no migration on disk is missing from the database (what ``migrate --check`` reports)."""
    nodes, replaces = _expected_migrations()
    recorder = MigrationRecorder(connections[DEFAULT_DB_ALIAS])
    if not recorder.has_table():
        return CheckResult(False, "the database has no migration table", {"unapplied": len(nodes)})
    applied = set(recorder.applied_migrations())
    unapplied = sorted(f"{app}.{name}" for app, name in nodes
                       if (app, name) not in applied and not _squash_applied((app, name), replaces, applied))
    if unapplied:
        shown = ", ".join(unapplied[:5]) + (" …" if len(unapplied) > 5 else "")
        return CheckResult(False, f"{len(unapplied)} unapplied migration(s): {shown}", {"unapplied": len(unapplied)})
    return CheckResult(True, "all applied", {"unapplied": 0})


def _squash_applied(key: tuple[str, str], replaces: dict[tuple[str, str], frozenset[tuple[str, str]]],
                    applied: set[tuple[str, str]]) -> bool:
    """Return whether ``key`` is a squashed migration whose replaced migrations are all applied."""
    return key in replaces and replaces[key] <= applied


def job_runner_recent() -> CheckResult:
    """Check that the job runner claimed a period recently (``changji jobs`` claims a minutely job's every minute).

    The newest period of each state is found through the ``(state, period_start)`` index (three index probes,
    however many runs are stored); the newest of their claim times is the runner's last sign of life.
    """
    max_age_s = float(getattr(settings, "CHANGJI_READY_JOBS_MAX_AGE_S", JOBS_MAX_AGE_S))
    claims = [JobRun.objects.filter(state=state).order_by("-period_start").values_list("started_at", flat=True)
              .first() for state in JobRunState.values]
    started = [moment for moment in claims if moment is not None]
    if not started:
        return CheckResult(False, "the job runner has never run", {"max_age_s": max_age_s})
    age = age_s(max(started))
    figures = {"last_run_age_s": age, "max_age_s": max_age_s}
    if age > max_age_s:
        return CheckResult(False, f"the job runner's last run started {age:.0f} s ago", figures)
    return CheckResult(True, "the job runner is running", figures)


readiness.register("database", database_reachable)
readiness.register("migrations", migrations_applied)
readiness.register("jobs", job_runner_recent)
