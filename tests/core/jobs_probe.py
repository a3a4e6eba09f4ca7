"""A runner process for tests/core/test_jobs.py: races another one over the periods of a probe job.

``python -m tests.core.jobs_probe LOG AT START`` (from the repository root, with the database in the
environment) registers ``probe.daily``, a daily job looking back 7 days whose every run appends
"<period> <pid>" to LOG and takes 0.3 s; makes sure it first ran 7 days before AT, so that the 7 periods up
to AT are due; waits until the wall clock reaches START (seconds since the epoch), so both processes claim
at once; then runs one round as of AT.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime, timedelta

import django

PROBE = "probe.daily"


def main(log_path: str, at_text: str, start: float) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "changji.settings")
    django.setup()
    from changji.core.jobs import Period, Registry, Runner  # deferred: needs django.setup() first
    from changji.core.models import JobRun  # deferred: needs django.setup() first
    from changji.core.periods import start_of  # deferred: kept beside the imports it belongs with

    at = datetime.fromisoformat(at_text)
    probes = Registry()

    @probes.register(PROBE, Period.DAILY)
    def probe(period_start: datetime) -> dict[str, int]:
        """Record which process ran the period."""
        with open(log_path, "a") as log:
            log.write(f"{period_start.isoformat()} {os.getpid()}\n")
        time.sleep(0.3)
        return {"pid": os.getpid()}

    first = start_of(Period.DAILY, at) - timedelta(days=7)
    JobRun.objects.get_or_create(job=PROBE, period_start=first, defaults={
        "period": Period.DAILY, "state": "succeeded", "started_at": first, "finished_at": first})
    time.sleep(max(0.0, start - time.time()))
    Runner(probes).run_due(at)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
