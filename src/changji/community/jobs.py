"""The community app's recurring work: unlock wish claims that ran out, and warn of issue deadlines.

Run by ``changji community jobs`` beside the web server (once a minute by default).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from changji.community.deadlines import DeadlineColour
from changji.community.issues import limits
from changji.community.models import ResidentIssue
from changji.community.wishes import service as wishes

log = logging.getLogger("changji.community.jobs")


@dataclass(frozen=True)
class JobsResult:
    claims_unlocked: int
    yellow: int
    red: int


def run_jobs(now: datetime) -> JobsResult:
    """One round: claims past their limit go back to 待认领; open issues' yellow and red lights are counted, logged."""
    unlocked = wishes.unlock_expired_claims(now)
    lights = [light for _, light in limits.warnings(ResidentIssue.objects.all(), now)]
    yellow = lights.count(DeadlineColour.YELLOW)
    red = lights.count(DeadlineColour.RED)
    log.info("community jobs: %d wish claims unlocked; open issues %d yellow, %d red", unlocked, yellow, red)
    return JobsResult(claims_unlocked=unlocked, yellow=yellow, red=red)
