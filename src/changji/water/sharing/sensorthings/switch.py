"""The bureau's switch of the open-data interface: one ``OpenDataSetting`` row, on by default, changed audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from changji.core import audit
from changji.core.access import P, require
from changji.core.scope import covers_instance
from changji.water.models import OpenDataSetting


def setting() -> OpenDataSetting:
    """The setting row (made, switched on, the first time it is asked for)."""
    found = OpenDataSetting.objects.order_by("pk").first()
    return found if found is not None else OpenDataSetting.objects.create(enabled=True)


def is_open() -> bool:
    """Whether ``/sta/v1.1/`` answers."""
    return setting().enabled


def switch(enabled: bool, actor: Any, reason: str = "") -> OpenDataSetting:
    """Turn the interface on or off; needs ``water.exchange.manage`` over the whole instance. Audited."""
    require(actor, P.WATER_EXCHANGE_MANAGE)
    if not covers_instance(actor):
        raise PermissionDenied("开放数据接口由本平台辖区的管理员开关")
    with transaction.atomic():
        row = OpenDataSetting.objects.select_for_update().filter(pk=setting().pk).get()
        before = row.enabled
        row.enabled, row.updated_by = enabled, actor
        row.save()
        audit.record("water.open_data.switch", actor=actor, target=row, reason=reason, before=before, after=enabled)
    return row
