"""Signal receivers that write the registry, alarm and report streams in the transaction of each save.

Connected in ``WaterConfig.ready``. Every path that changes these rows saves them through the ORM inside a
``transaction.atomic()`` block (the registry, licence, plan and alarm services, the XLSX imports, the admin's
change views, the gateway's auto-registration), so the entry commits or rolls back with the change. Saves that
touch only what the gateway keeps up to date (``last_seen_at``, ``last_peer``) or a reminder counter are not
changes of the row as the upstream sees it and write nothing. ``capture.quiet()`` silences the receivers where an
applier records its rows itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from changji.water.models import Alarm, AlarmEvent, AnnualPlan, Licence, Meter, Report, Terminal, WaterUser, Well
from changji.water.sharing import alarms, capture, registry, reports
from changji.water.sharing.outbox import Change, record

#: Saves limited to these fields are bookkeeping, not a change the upstream needs.
BOOKKEEPING = frozenset({"last_seen_at", "last_peer", "expiry_warned_days", "updated_at"})

_REGISTRY: dict[type[Any], Callable[..., Change | None]] = {
    WaterUser: registry.user_change, Well: registry.well_change, Terminal: registry.terminal_change,
    Meter: registry.meter_change, Licence: registry.licence_change, AnnualPlan: registry.plan_change,
}


def _record(change: Change | None) -> None:
    if change is not None:
        record(change)


def registry_saved(sender: type[Any], instance: Any, update_fields: Any = None, raw: bool = False,
                   **kwargs: Any) -> None:
    if raw or capture.is_quiet() or (update_fields and set(update_fields) <= BOOKKEEPING):
        return
    _record(_REGISTRY[sender](instance))


def registry_deleted(sender: type[Any], instance: Any, **kwargs: Any) -> None:
    if capture.is_quiet():
        return
    _record(_REGISTRY[sender](instance, deleted=True))


def licence_wells_changed(sender: Any, instance: Any, action: str, reverse: bool = False, **kwargs: Any) -> None:
    if capture.is_quiet() or action not in ("post_add", "post_remove", "post_clear"):
        return
    if reverse:  # well.licences changed: each licence concerned
        licences = Licence.objects.filter(pk__in=kwargs.get("pk_set") or []) if action != "post_clear" else []
        for licence in licences:
            _record(registry.licence_change(licence))
    else:
        _record(registry.licence_change(instance))


def alarm_saved(sender: type[Any], instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw or capture.is_quiet():
        return
    alarm = instance if isinstance(instance, Alarm) else instance.alarm
    _record(alarms.alarm_change(alarm))


def report_saved(sender: type[Any], instance: Report, raw: bool = False, **kwargs: Any) -> None:
    if raw or capture.is_quiet():
        return
    _record(reports.report_change(instance))


def connect() -> None:
    """Connect the receivers (``WaterConfig.ready``)."""
    for model in _REGISTRY:
        post_save.connect(registry_saved, sender=model, dispatch_uid=f"sharing-save-{model.__name__}")
        post_delete.connect(registry_deleted, sender=model, dispatch_uid=f"sharing-delete-{model.__name__}")
    m2m_changed.connect(licence_wells_changed, sender=Licence.wells.through, dispatch_uid="sharing-licence-wells")
    post_save.connect(alarm_saved, sender=Alarm, dispatch_uid="sharing-alarm")
    post_save.connect(alarm_saved, sender=AlarmEvent, dispatch_uid="sharing-alarm-event")
    post_save.connect(report_saved, sender=Report, dispatch_uid="sharing-report")
