"""Periodic jobs of the service centre: hand back stale claims, and list sub-cases about to run out of time.

Registered with ``core.jobs`` and run by ``changji jobs``: ``services.claims.release`` every minute (claims
left for ``SERVICES_CLAIM_TIMEOUT_HOURS``, default 24, go back to the inbox), ``services.deadlines.warn``
every day (the yellow and red sub-cases are logged and counted in the run), ``services.queue.close_day``
every day (the hall's tickets of past days still waiting or called become missed, ``queue.close_past_days``),
``services.catalogue.supersede`` every day (a bundle version published with a future effective date replaces the
older one on that day: ``catalogue.supersede_due``). They read the present state, so they look back one period
only, and they are idempotent: a released claim is pending and not released again, the warnings write nothing, a
closed ticket is not open any more, a withdrawn version is not withdrawn again. The functions take ``now`` /
``today`` so the tests decide the clock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from django.conf import settings

from changji.core import localtime
from changji.core.jobs import Period, job
from changji.services import cases, catalogue, queue, workdays
from changji.services.cases import CaseError
from changji.services.models import SubCase
from changji.services.workflow import SubCaseState

__all__ = ["STALE_CLAIM_NOTE", "OverdueWarning", "close_queue_day", "overdue_warnings", "release_claims",
           "release_stale_claims", "supersede_bundles", "warn_deadlines"]

STALE_CLAIM_NOTE = "超时未办理，退回部门待认领"

log = logging.getLogger("changji.services.jobs")


def release_stale_claims(now: datetime, after: timedelta = timedelta(hours=24)) -> int:
    """Return to the department inbox every sub-case claimed longer than ``after`` ago; return how many.

    A reviewer who claims a sub-case and then does not act blocks it for everyone else in the department; after
    ``after`` (claimed_at < now - after) the system releases it through ``cases.release`` (by ``"system"``, with the
    note ``STALE_CLAIM_NOTE``), so the usual event, audit entry and state check apply and any colleague may claim
    it again. Each release is its own transaction; a sub-case decided or released in the meantime is skipped.
    """
    cutoff = now - after
    stale = SubCase.objects.filter(state=SubCaseState.CLAIMED, claimed_at__lt=cutoff).order_by("claimed_at", "pk")
    released = 0
    for sub in stale.only("pk"):
        try:
            cases.release(sub, "system", note=STALE_CLAIM_NOTE)
        except CaseError:  # decided (or released) since the query: nothing to hand back
            continue
        released += 1
    return released


@dataclass(frozen=True)
class OverdueWarning:
    """An open sub-case whose promised time limit is nearly used up ("yellow") or used up ("red")."""

    sub_case: SubCase
    level: str
    remaining_days: int
    due_on: date


def overdue_warnings(today: date) -> list[OverdueWarning]:
    """Return the open (pending or claimed) sub-cases whose clock shows "yellow" or "red" on ``today``; no writes.

    The clock is ``workdays.Clock(started=accepted_on, limit_days=<promised limit>)``: the promised limit is the
    number of working days from acceptance to the stored ``due_on`` (so it agrees with the due date the applicant
    was given even if the catalogue changed since). The case's ``suspended_days`` are not added: they are the days
    spent on 补正 *before* acceptance, already outside a clock that starts at acceptance, and ``due_on`` does not
    include them either. "red" means due today or overdue, "yellow" at most max(1, 20 % of the limit) working
    days left. Sorted red first, then by due date.
    """
    working_days = lru_cache(maxsize=None)(workdays.working_days_between)
    open_subs = (SubCase.objects.filter(state__in=(SubCaseState.PENDING, SubCaseState.CLAIMED),
                                        case__accepted_on__isnull=False)
                 .select_related("case", "item", "department", "assignee").order_by("due_on", "pk"))
    warnings = []
    for sub in open_subs:
        assert sub.case.accepted_on is not None  # the query keeps the sub-cases of accepted cases only
        clock = workdays.Clock(started=sub.case.accepted_on, limit_days=working_days(sub.case.accepted_on, sub.due_on))
        level = clock.warning(today)
        if level in ("yellow", "red"):
            warnings.append(OverdueWarning(sub, level, clock.remaining(today), sub.due_on))
    warnings.sort(key=lambda w: (w.level != "red", w.due_on, w.sub_case.pk))
    return warnings


@job("services.claims.release", Period.MINUTELY)
def release_claims(at: datetime) -> dict[str, int]:
    """Return sub-cases claimed and left for a day (``SERVICES_CLAIM_TIMEOUT_HOURS``) to their inbox."""
    hours = float(getattr(settings, "SERVICES_CLAIM_TIMEOUT_HOURS", 24))
    return {"released": release_stale_claims(at, timedelta(hours=hours))}


@job("services.deadlines.warn", Period.DAILY, look_back=1)
def warn_deadlines(at: datetime) -> dict[str, int]:
    """Log the open sub-cases whose time limit is nearly or already used up (yellow, red)."""
    warnings = overdue_warnings(localtime.local_day(at))
    for warning in warnings:
        log.warning("sub-case %s (%s) is %s: due %s, %d working day(s) left", warning.sub_case.pk,
                    warning.sub_case.case.receipt_number, warning.level, warning.due_on, warning.remaining_days)
    levels = [warning.level for warning in warnings]
    return {"yellow": levels.count("yellow"), "red": levels.count("red")}


@job("services.queue.close_day", Period.DAILY, look_back=1)
def close_queue_day(at: datetime) -> dict[str, int]:
    """Close the hall's tickets of past days still waiting or called as missed (过号)."""
    return {"closed": queue.close_past_days(localtime.local_day(at))}


@job("services.catalogue.supersede", Period.DAILY, look_back=1)
def supersede_bundles(at: datetime) -> dict[str, int]:
    """Withdraw each published bundle version that a newer one, effective from this day, replaces."""
    return {"withdrawn": catalogue.supersede_due("system", localtime.local_day(at))}
