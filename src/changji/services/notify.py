"""Notifications to the applicant at each milestone, through a pluggable channel.

``settings.SERVICES_NOTIFICATION_BACKENDS`` lists dotted paths of callables ``(case, text) -> None``.
The default stores an in-app message (``Notification``) and logs it; an SMS gateway backend plugs in
the same way (the platform has no SMS contract here, so none is configured).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
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
    for path in getattr(settings, "SERVICES_NOTIFICATION_BACKENDS", DEFAULT_BACKENDS):
        import_string(path)(case, text)
