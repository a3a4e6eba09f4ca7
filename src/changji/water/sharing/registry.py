"""The ``registry`` stream (档案): water users, wells, terminals, meters, licences and annual plans.

Keys, one stream for all six kinds so that a well always travels after its water user (the receivers record in
the order of the saves) and the applier can sort a batch parents first:

=================  ====================================  ===========================
kind               key                                   parent it needs upstream
=================  ====================================  ===========================
water user         ``user:<code>``                       region
well               ``well:<code>``                       region, water user (if any)
terminal           ``terminal:<protocol>:<address>``     region, well (if any)
meter              ``meter:<well code>|<kind>|<serial>`` well
licence            ``licence:<number>``                  water user, its wells
annual plan        ``plan:<licence number>|<year>``      licence
=================  ====================================  ===========================

Payload fields are the model's field names (``water.sharing`` FIELDS.md lists them and the standard each
identifier follows); foreign keys travel as the parent's natural key (``water_user_code``, ``well_code``), the
region as its GB/T 2260 code with the chain of townships and villages below the province (``regions``) so the
upstream can create those it does not know. A terminal's password never leaves the instance.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from changji.core.models import Region
from changji.water.models import AnnualPlan, Licence, Meter, Terminal, WaterUser, Well
from changji.water.sharing import capture, wire
from changji.water.sharing.outbox import Change

STREAM = "registry"
#: Apply order of the kinds within a batch: parents before children.
KIND_ORDER = {"user": 0, "well": 1, "terminal": 2, "meter": 3, "licence": 4, "plan": 5}


#: Region chains by code while a snapshot serialises thousands of rows of few regions (``snapshot``); else None.
_CHAINS: dict[str, list[list[Any]]] | None = None


def chain(region_code: str) -> list[list[Any]]:
    """The region chain (``wire.region_chain``) of ``region_code``, read in two queries (or from a snapshot's cache)."""
    if _CHAINS is not None and region_code in _CHAINS:
        return _CHAINS[region_code]
    found = _chain(region_code)
    if _CHAINS is not None:
        _CHAINS[region_code] = found
    return found


@contextmanager
def cached_chains() -> Iterator[None]:
    """Within the block, each region's chain is read once."""
    global _CHAINS
    _CHAINS = {}
    try:
        yield
    finally:
        _CHAINS = None


def _chain(region_code: str) -> list[list[Any]]:
    region = Region.objects.filter(code=region_code).only("path").first()
    if region is None:
        return []
    codes = [code for code in region.path.split("/") if code]
    names = {code: (name, level) for code, name, level in
             Region.objects.filter(code__in=codes).values_list("code", "name", "level")}
    return wire.region_chain(region.path, names)


def user_change(user: WaterUser, deleted: bool = False) -> Change:
    payload = {"code": user.code, "name": user.name, "kind": user.kind, "licence_number": user.licence_number,
               "region_code": user.region_id, "contact_phone": user.contact_phone,
               "regions": [] if deleted else chain(user.region_id), "changed_at": capture.stamp()}
    return Change(STREAM, f"user:{user.code}", user.region_id, payload, deleted)


def well_change(well: Well, deleted: bool = False) -> Change:
    user_code = None
    if well.water_user_id is not None:
        user_code = WaterUser.objects.filter(pk=well.water_user_id).values_list("code", flat=True).first()
    payload = {"code": well.code, "name": well.name, "kind": well.kind, "use": well.use,
               "region_code": well.region_id, "latitude": well.latitude, "longitude": well.longitude,
               "depth_m": well.depth_m, "pipe_diameter_mm": well.pipe_diameter_mm,
               "pump_rated_power_kw": well.pump_rated_power_kw, "pump_rated_flow_m3h": well.pump_rated_flow_m3h,
               "water_user_code": user_code, "regions": [] if deleted else chain(well.region_id),
               "changed_at": capture.stamp()}
    return Change(STREAM, f"well:{well.code}", well.region_id, payload, deleted)


def terminal_change(terminal: Terminal, deleted: bool = False) -> Change:
    well_code = None
    if terminal.well_id is not None:
        well_code = Well.objects.filter(pk=terminal.well_id).values_list("code", flat=True).first()
    payload = {"protocol": terminal.protocol, "variant": terminal.variant, "address": terminal.address,
               "report_interval_s": terminal.report_interval_s, "well_code": well_code,
               "region_code": terminal.region_id, "installed_on": wire.day(terminal.installed_on),
               "accepted_on": wire.day(terminal.accepted_on), "regions": [] if deleted else chain(terminal.region_id),
               "changed_at": capture.stamp()}
    key = "terminal:" + wire.terminal_key(terminal.protocol, terminal.address)
    return Change(STREAM, key, terminal.region_id, payload, deleted)


def meter_change(meter: Meter, deleted: bool = False) -> Change | None:
    well = Well.objects.filter(pk=meter.well_id).values_list("code", "region_id").first()
    if well is None:
        return None
    payload = {"well_code": well[0], "kind": meter.kind, "serial": meter.serial,
               "accuracy_class": meter.accuracy_class, "last_calibrated_on": wire.day(meter.last_calibrated_on),
               "installed_at": wire.instant(meter.installed_at), "removed_at": wire.instant(meter.removed_at),
               "owner": meter.owner, "last_certificate_number": meter.last_certificate_number,
               "last_error_pct": meter.last_error_pct, "changed_at": capture.stamp()}
    return Change(STREAM, "meter:" + wire.compound(well[0], meter.kind, meter.serial), well[1], payload, deleted)


def licence_change(licence: Licence, deleted: bool = False) -> Change:
    user_code = WaterUser.objects.filter(pk=licence.water_user_id).values_list("code", flat=True).first()
    wells = [] if deleted or licence.pk is None else sorted(licence.wells.values_list("code", flat=True))
    payload = {"number": licence.number, "water_user_code": user_code, "source": licence.source,
               "purpose": licence.purpose, "permitted_m3_per_year": licence.permitted_m3_per_year,
               "valid_from": wire.day(licence.valid_from), "valid_to": wire.day(licence.valid_to),
               "issuing_authority": licence.issuing_authority, "well_codes": wells, "state": licence.state,
               "state_reason": licence.state_reason, "region_code": licence.region_id,
               "changed_at": capture.stamp()}
    return Change(STREAM, f"licence:{licence.number}", licence.region_id, payload, deleted)


def plan_change(plan: AnnualPlan, deleted: bool = False) -> Change | None:
    number = Licence.objects.filter(pk=plan.licence_id).values_list("number", flat=True).first()
    if number is None:
        return None
    payload = {"licence_number": number, "year": plan.year, "volume_m3": plan.volume_m3,
               "monthly_m3": list(plan.monthly_m3 or []), "note": plan.note, "region_code": plan.region_id,
               "changed_at": capture.stamp()}
    return Change(STREAM, "plan:" + wire.compound(number, str(plan.year)), plan.region_id, payload, deleted)
