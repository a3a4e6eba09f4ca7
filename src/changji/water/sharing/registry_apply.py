"""The upstream side of the ``registry`` stream: upsert water users, wells, terminals, meters, licences and plans.

Rows are applied parents first (``registry.KIND_ORDER``), one savepoint each, so a row that cannot be applied
(an unknown parent, a row this level registered itself) is refused with a Chinese reason and the rest of the
batch goes on. Every applied row is marked ``reported_by`` the sending peer's key id (wells, terminals, water
users, licences): the jobs of this instance leave them to the level below. The ordinary saves run the receivers
(``water.sharing.receivers``), so what is applied here is pushed on to this instance's own upstream.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db.models import ProtectedError

from changji.core.models import Region
from changji.water.models import AnnualPlan, Licence, Meter, Terminal, WaterUser, Well
from changji.water.plans.allocations import derive_allocations
from changji.water.sharing import wire
from changji.water.sharing.registry import KIND_ORDER, STREAM
from changji.water.sharing.streams import ApplyResult, Row, Stream, apply_each, register


class Refused(Exception):
    """A row that cannot be applied; the message is the Chinese reason returned to the sender."""


def ensure_regions(chain: Sequence[Sequence[Any]], region_code: str) -> Region:
    """Create the regions of ``chain`` that are missing (parents first); return the row's region."""
    for code, name, level, parent in chain:
        if Region.objects.filter(code=code).exists():
            continue
        if not Region.objects.filter(code=parent).exists():
            raise Refused(f"上级区划 {parent} 不存在，无法建立区划 {code}")
        Region(code=str(code), name=str(name)[:64], level=int(level), parent_id=str(parent)).save()
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        raise Refused(f"行政区划 {region_code} 不存在")
    return region


def _owned(row: Any, source: str, what: str) -> None:
    """Refuse a row this level keeps itself, or one another peer reports."""
    if row is not None and row.reported_by != source:
        owner = "本级平台直接登记" if not row.reported_by else f"下级平台 {row.reported_by} 上报"
        raise Refused(f"{what}已由{owner}，不接受本次上报")


def _user(code: str | None) -> WaterUser | None:
    if not code:
        return None
    user = WaterUser.objects.filter(code=code).first()
    if user is None:
        raise Refused(f"未知取水户 {code}，请先上报取水户档案")
    return user


def _well(code: str | None) -> Well | None:
    if not code:
        return None
    well = Well.objects.filter(code=code).first()
    if well is None:
        raise Refused(f"未知机井 {code}，请先上报机井档案")
    return well


def apply_user(p: Mapping[str, Any], source: str) -> None:
    _owned(WaterUser.objects.filter(code=p["code"]).first(), source, f"取水户 {p['code']} ")
    region = ensure_regions(p.get("regions") or [], p["region_code"])
    WaterUser.objects.update_or_create(code=p["code"], defaults={
        "name": p["name"], "kind": p["kind"], "licence_number": p.get("licence_number") or "", "region": region,
        "contact_phone": p.get("contact_phone") or "", "reported_by": source})


def apply_well(p: Mapping[str, Any], source: str) -> None:
    _owned(Well.objects.filter(code=p["code"]).first(), source, f"机井 {p['code']} ")
    region = ensure_regions(p.get("regions") or [], p["region_code"])
    fields = ("name", "kind", "use", "latitude", "longitude", "depth_m", "pipe_diameter_mm", "pump_rated_power_kw",
              "pump_rated_flow_m3h")
    Well.objects.update_or_create(code=p["code"], defaults={
        **{name: p.get(name) for name in fields}, "region": region, "water_user": _user(p.get("water_user_code")),
        "reported_by": source})


def apply_terminal(p: Mapping[str, Any], source: str) -> None:
    existing = Terminal.objects.filter(protocol=p["protocol"], address=p["address"]).first()
    _owned(existing, source, f"终端 {p['address']} ")
    region = ensure_regions(p.get("regions") or [], p["region_code"])
    Terminal.objects.update_or_create(protocol=p["protocol"], address=p["address"], defaults={
        "variant": p.get("variant") or "", "report_interval_s": int(p.get("report_interval_s") or 300),
        "well": _well(p.get("well_code")), "region": region, "installed_on": wire.parse_day(p.get("installed_on")),
        "accepted_on": wire.parse_day(p.get("accepted_on")), "reported_by": source})


def apply_meter(p: Mapping[str, Any], source: str) -> None:
    well = _well(p["well_code"])
    assert well is not None
    _owned(well, source, f"机井 {well.code} ")
    installed_at = wire.parse_instant(p.get("installed_at"))
    if installed_at is None:
        raise Refused("计量表缺少安装时间")
    Meter.objects.update_or_create(well=well, kind=p["kind"], serial=p["serial"], defaults={
        "accuracy_class": p.get("accuracy_class") or "",
        "last_calibrated_on": wire.parse_day(p.get("last_calibrated_on")),
        "installed_at": installed_at, "removed_at": wire.parse_instant(p.get("removed_at")),
        "owner": p.get("owner") or "", "last_certificate_number": p.get("last_certificate_number") or "",
        "last_error_pct": p.get("last_error_pct")})


def apply_licence(p: Mapping[str, Any], source: str) -> None:
    _owned(Licence.objects.filter(number=p["number"]).first(), source, f"取水许可证 {p['number']} ")
    user = _user(p.get("water_user_code"))
    if user is None:
        raise Refused(f"取水许可证 {p['number']} 缺少取水权人")
    wells = [w for w in (_well(code) for code in p.get("well_codes") or []) if w is not None]
    fields = ("source", "purpose", "permitted_m3_per_year", "issuing_authority", "state")
    licence, _ = Licence.objects.update_or_create(number=p["number"], defaults={
        **{name: p[name] for name in fields}, "water_user": user, "state_reason": p.get("state_reason") or "",
        "valid_from": wire.required_day(p["valid_from"]), "valid_to": wire.required_day(p["valid_to"]),
        "reported_by": source})
    licence.wells.set(wells)


def apply_plan(p: Mapping[str, Any], source: str) -> None:
    licence = Licence.objects.filter(number=p["licence_number"]).first()
    if licence is None:
        raise Refused(f"未知取水许可证 {p['licence_number']}，请先上报许可证")
    _owned(licence, source, f"取水许可证 {licence.number} ")
    year = int(p["year"])
    AnnualPlan.objects.update_or_create(licence=licence, year=year, defaults={
        "volume_m3": float(p["volume_m3"]), "monthly_m3": list(p.get("monthly_m3") or []), "note": p.get("note") or ""})
    # The allocations the dashboard's 年度指标 shows follow the plan, as below (the quota sweep leaves them alone).
    derive_allocations(year, licence=licence, by=f"exchange:{source}")


def _delete(kind: str, key: str, source: str) -> None:
    """Remove a row the sender deleted (only one it reported); a row still referred to is refused."""
    ident = key.partition(":")[2]
    if kind == "user":
        rows: Any = WaterUser.objects.filter(code=ident, reported_by=source)
    elif kind == "well":
        rows = Well.objects.filter(code=ident, reported_by=source)
    elif kind == "terminal":
        protocol, address = wire.split_terminal_key(ident)
        rows = Terminal.objects.filter(protocol=protocol, address=address, reported_by=source)
    elif kind == "meter":
        well_code, meter_kind, serial = wire.split(ident, 3)
        rows = Meter.objects.filter(well__code=well_code, well__reported_by=source, kind=meter_kind, serial=serial)
    elif kind == "licence":
        rows = Licence.objects.filter(number=ident, reported_by=source)
    else:
        number, year = wire.split(ident, 2)
        rows = AnnualPlan.objects.filter(licence__number=number, licence__reported_by=source, year=int(year))
    try:
        for row in rows:
            row.delete()
    except ProtectedError as error:
        raise Refused("仍有关联数据（用水量、告警等），未删除") from error


APPLY: dict[str, Callable[[Mapping[str, Any], str], None]] = {
    "user": apply_user, "well": apply_well, "terminal": apply_terminal, "meter": apply_meter,
    "licence": apply_licence, "plan": apply_plan,
}


def apply(rows: Sequence[Row], source: str) -> ApplyResult:
    """Apply a batch of registry rows (idempotent upserts by natural key), parents first."""
    ordered = sorted(wire.latest_per_key(rows), key=lambda r: KIND_ORDER.get(r.key.partition(":")[0], 99))
    return apply_each(ordered, lambda row: _apply_row(row, source), refusals=(Refused,))


def _apply_row(row: Row, source: str) -> None:
    kind = row.key.partition(":")[0]
    if kind not in APPLY:
        raise Refused(f"未知的档案类型 {kind}")
    if row.deleted:
        _delete(kind, row.key, source)
    else:
        APPLY[kind](row.payload, source)

STREAM_DEF = Stream(STREAM, "档案（取水户、机井、终端、计量表、许可证、年度计划）", apply, order=10)


def register_stream() -> Stream:
    return register(STREAM_DEF)
