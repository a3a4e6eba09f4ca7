"""The community app's recurring jobs, run by ``changji jobs`` (``core.jobs``).

``community.wishes.unlock`` every minute: wish claims past their time limit go back to 待认领.
``community.issues.deadlines`` every hour: the open resident issues whose deadline light is yellow or red
are counted and logged. Both read the present state, so they look back one period only, and both are
idempotent: an unlocked wish is published and not unlocked again, and counting writes nothing.
``community.participation.rebuild`` every day: the residents served this year and last by each community are
recomputed from the served rows (``venues.participation``); rebuilding twice gives the same rows.
"""

from __future__ import annotations

import logging
from datetime import datetime

from changji.community.deadlines import DeadlineColour
from changji.community.issues import limits
from changji.community.models import ResidentIssue
from changji.community.venues import participation
from changji.community.wishes import service as wishes
from changji.core.jobs import Period, job

log = logging.getLogger("changji.community.jobs")


@job("community.wishes.unlock", Period.MINUTELY)
def unlock_wishes(at: datetime) -> dict[str, int]:
    """Unlock the micro-wish claims past their time limit (claimed → published)."""
    return {"claims_unlocked": wishes.unlock_expired_claims(at)}


@job("community.issues.deadlines", Period.HOURLY, look_back=1)
def issue_deadlines(at: datetime) -> dict[str, int]:
    """Count and log the open resident issues whose deadline light is yellow or red."""
    lights = [light for _, light in limits.warnings(ResidentIssue.objects.all(), at)]
    counts = {"yellow": lights.count(DeadlineColour.YELLOW), "red": lights.count(DeadlineColour.RED)}
    log.info("community issues: %d yellow, %d red", counts["yellow"], counts["red"])
    return counts


@job("community.participation.rebuild", Period.DAILY)
def rebuild_participation(at: datetime) -> dict[str, int]:
    """Recompute the residents served by each community this year and last (the 60 % target's rollup)."""
    return participation.rebuild_recent(at)
