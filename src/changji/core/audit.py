"""Write audit entries. Every change and every control action goes through ``record``.

An entry of an action registered for notices (``core.notifications.events``) also writes its notices, in the
same transaction (``core.notifications.outbox.notify``): a rolled-back event leaves neither.
"""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from changji.core.models import AuditEntry, Region
from changji.core.notifications.events import lookup
from changji.core.notifications.outbox import notify

SYSTEM_ACTOR = "system"


def record(
    action: str,
    *,
    actor: Any = None,
    target: models.Model | None = None,
    region: Region | None = None,
    reason: str = "",
    **detail: Any,
) -> AuditEntry:
    """Append an audit entry for ``action`` by ``actor`` (None for the system) on ``target``.

    ``detail`` must be JSON-serialisable; it holds what the action changed or what the terminal
    answered. The region defaults to the target's own ``region`` attribute when it has one.
    """
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    if region is None and target is not None:
        region = getattr(target, "region", None)
    fields = {
        "actor": actor if is_user else None,
        "actor_name": actor.get_username() if is_user else str(actor or SYSTEM_ACTOR),
        "action": action,
        "object_type": target._meta.label_lower if target is not None else "",
        "object_id": str(target.pk) if target is not None else "",
        "region": region,
        "reason": reason,
        "detail": detail,
    }
    if lookup(action) is None:  # most actions notify nobody: no savepoint for them
        return AuditEntry.objects.create(**fields)
    with transaction.atomic():  # the entry and its notices together, even when the caller is in autocommit
        entry = AuditEntry.objects.create(**fields)
        notify(entry)
    return entry
