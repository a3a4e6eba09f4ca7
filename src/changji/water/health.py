"""The water app's readiness check: the gateway stored a frame recently, when there are terminals to hear from.

Registered with ``core.health.readiness`` by ``WaterConfig.ready``. With 10,401 terminals each reporting every
5 minutes, a gateway that stores nothing for ``CHANGJI_READY_FRAMES_MAX_AGE_S`` (default 900 s) is down, cut
off from its database, or unreachable by the terminals. An instance with no terminal of its own (a level that
only receives its lower levels' rows, ``Terminal.reported_by``) passes, saying so.

The query is bounded to the window: ``received_at >= now - max age`` lets PostgreSQL prune the monthly
partitions of ``water_frame`` to the current one (or two) and walk its ``received_at`` index backwards, so the
check costs the same with a billion archived frames as with ten.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from changji.core.health import CheckResult, age_s
from changji.water.models import Frame, FrameOutcome, Terminal

#: Default of ``CHANGJI_READY_FRAMES_MAX_AGE_S``: three report intervals of a terminal.
FRAMES_MAX_AGE_S = 900.0


def frames_fresh() -> CheckResult:
    """Check that a frame was stored within the allowed age, when terminals are registered here."""
    max_age_s = float(getattr(settings, "CHANGJI_READY_FRAMES_MAX_AGE_S", FRAMES_MAX_AGE_S))
    if not Terminal.objects.filter(reported_by="").exists():
        return CheckResult(True, "no terminal registered", {"max_age_s": max_age_s})
    now = timezone.now()
    newest = (Frame.objects.filter(received_at__gte=now - timedelta(seconds=max_age_s), outcome=FrameOutcome.STORED)
              .order_by("-received_at").values_list("received_at", flat=True).first())
    if newest is None:
        return CheckResult(False, f"no frame stored in the last {max_age_s:.0f} s", {"max_age_s": max_age_s})
    return CheckResult(True, "the gateway stores frames",
                       {"last_stored_frame_age_s": max(age_s(newest, now), 0.0), "max_age_s": max_age_s})
