"""Notifications to the applicant at each milestone, through a pluggable channel.

``settings.SERVICES_NOTIFICATION_BACKENDS`` lists dotted paths of callables ``(case, text) -> None``.
The default stores an in-app message (``Notification``) and logs it; an SMS gateway backend plugs in
the same way (the platform has no SMS contract here, so none is configured).

Sent after the commit, never inside the transaction: ``send`` hands each backend to
``transaction.on_commit``, so a move that is rolled back (a refused step, a database error after
the notification was written) tells the applicant nothing, and an SMS is never sent for a case that
does not exist. Outside a transaction the backends run at once. Each backend runs on its own
(``robust``): one that fails is logged and the others still send. The move itself is recorded
in the same transaction as the case (``CaseEvent``, the applicant's progress view), so a process
that dies between the commit and the callbacks loses a message, never the record.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from changji.core.log_redaction import redact
from changji.services.models import Notification

log = logging.getLogger("changji.services.notify")
DEFAULT_BACKENDS = ("changji.services.notify.database_backend",)


def database_backend(case: Any, text: str) -> None:
    Notification.objects.create(case=case, channel="in_app", recipient=case.applicant_phone or case.applicant_name,
                                text=text)
    log.info("notify %s: %s", case.receipt_number, redact(text))  # the first message holds the 查询码


def send(case: Any, text: str) -> None:
    """Send ``text`` to the applicant of ``case`` through every backend once the current transaction commits."""
    for path in getattr(settings, "SERVICES_NOTIFICATION_BACKENDS", DEFAULT_BACKENDS):
        transaction.on_commit(_deliver(import_string(path), case, text), robust=True)


def _deliver(backend: Any, case: Any, text: str) -> Any:
    """Return the callback handing ``text`` to ``backend`` (a function, so a failure is logged by its name)."""

    def deliver() -> None:
        backend(case, text)

    deliver.__qualname__ = f"notify via {getattr(backend, '__qualname__', backend)!s}"
    return deliver
