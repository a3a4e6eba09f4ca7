"""The recurring job of notifications: deliver the outbox every minute (``core.jobs``).

Idempotent: a notice is sent by the round that claimed it; a repeated run finds nothing more due.
"""

from __future__ import annotations

from datetime import datetime

from changji.core.jobs import Period, job
from changji.core.notifications.delivery import deliver


@job("core.notifications.deliver", Period.MINUTELY, look_back=1)
def deliver_notifications(at: datetime) -> dict[str, int]:
    """Send the due SMS and e-mail notices of the outbox (retries and rate-limited ones included)."""
    return deliver(budget_s=50.0).as_dict()
