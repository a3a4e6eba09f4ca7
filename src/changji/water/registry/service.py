"""Registry changes that are more than a form save: each is one audited service call.

* ``register_quarantined`` turns a quarantined (unregistered) terminal into a registered one in
  one step; its next report is acknowledged and stored.
* ``replace_meter`` records a meter replacement with the old meter's final and the new meter's
  initial register, so usage across the change is never a difference of two meters' registers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from changji.core import access, audit
from changji.core.models import Region, RegionLevel
from changji.core.regions import root_region
from changji.water.models import Meter, MeterReplacement, QuarantinedTerminal, Terminal, Well


def region_for_address(address: str) -> Region:
    """The region a terminal address names: the county of its first six digits, else the instance's root."""
    top = root_region()
    return Region.objects.within(top).filter(code=address[:6], level=RegionLevel.COUNTY).first() or top


@transaction.atomic
def register_quarantined(quarantined: QuarantinedTerminal, by: Any, well: Well | None = None,
                         region: Region | None = None) -> Terminal:
    """Register the quarantined terminal (on ``well`` when given) and drop it from quarantine.

    The region is the well's, else ``region``, else the county named by the first six digits of
    the address (GB/T 2260, SZY206 address mode 1), else the instance's root region.
    """
    access.check_actor(by, access.P.WATER_TERMINAL_REGISTER, quarantined.region)
    if well is not None:
        access.check_actor(by, access.P.WATER_TERMINAL_REGISTER, well.region)
    if Terminal.objects.filter(protocol=quarantined.protocol, address=quarantined.address).exists():
        raise ValidationError({"address": f"终端 {quarantined.address} 已登记"})
    region = (well.region if well else None) or region or region_for_address(quarantined.address)
    terminal = Terminal.objects.create(
        protocol=quarantined.protocol, address=quarantined.address, well=well, region=region,
        last_peer=quarantined.last_peer,
        last_seen_at=quarantined.last_seen_at,
    )
    audit.record(
        "water.terminal.register", actor=by, target=terminal, region=terminal.region,
        frames_in_quarantine=quarantined.frame_count, well=well.code if well else None,
    )
    quarantined.delete()
    return terminal


@transaction.atomic
def replace_meter(
    old_meter: Meter, *, serial: str, replaced_at: datetime, old_final_register: float,
    new_initial_register: float, by: Any, reason: str = "", accuracy_class: str = "",
) -> MeterReplacement:
    """Remove ``old_meter`` at ``replaced_at`` and install a new meter of the same kind."""
    if old_meter.removed_at is not None:
        raise ValidationError({"old_meter": "该表已拆除"})
    if replaced_at <= old_meter.installed_at:
        raise ValidationError({"replaced_at": "更换时间早于旧表安装时间"})
    if old_final_register < 0 or new_initial_register < 0:
        raise ValidationError({"old_final_register": "表码不能为负"})
    old_meter.removed_at = replaced_at
    old_meter.save(update_fields=["removed_at"])
    new_meter = Meter.objects.create(
        well=old_meter.well, kind=old_meter.kind, serial=serial, accuracy_class=accuracy_class,
        installed_at=replaced_at,
    )
    replacement = MeterReplacement.objects.create(
        well=old_meter.well, old_meter=old_meter, new_meter=new_meter, replaced_at=replaced_at,
        old_final_register=old_final_register, new_initial_register=new_initial_register, reason=reason,
    )
    audit.record(
        "water.meter.replace", actor=by, target=replacement, region=old_meter.well.region, reason=reason,
        old_serial=old_meter.serial, new_serial=serial, old_final=old_final_register, new_initial=new_initial_register,
    )
    return replacement
