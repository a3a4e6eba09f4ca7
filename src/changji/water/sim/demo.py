"""Seed the well registry of the demo from the simulated fleet, so registry and terminals agree."""

from __future__ import annotations

from django.db import transaction

from changji.water.models import Terminal, WaterUser, WaterUserKind, Well
from changji.water.profiles.demo import seed_demo_batches
from changji.water.sim.fleet import FleetWell, build_fleet
from changji.water.sim.profiles import registered_batch

WELLS_PER_COOPERATIVE = 8


@transaction.atomic
def seed_fleet(count: int, seed: int = 2026) -> list[FleetWell]:
    """Register ``count`` fleet wells with their terminals and water users; existing ones stay."""
    fleet = build_fleet(count, seed)
    users = {}
    for index, well in enumerate(fleet):
        if well.kind != "extraction":
            continue
        group = index // WELLS_PER_COOPERATIVE
        code = f"{well.county_code}-U{group:05d}"
        if code not in users:
            kind = WaterUserKind.ENTERPRISE if well.use == "industrial" else WaterUserKind.COOPERATIVE
            users[code] = WaterUser(
                code=code, name=f"{well.name[:-4]}第{group}用水合作社" if kind == WaterUserKind.COOPERATIVE
                else f"昌吉{group}号企业", kind=kind, licence_number=f"取水(昌){2026}第{group:05d}号",
                region_id=well.county_code,
                # A mobile number for the quota and licence SMS (core.notifications): 139 9940 xxxx, made up.
                contact_phone=f"1399940{group % 10_000:04d}",
            )
    WaterUser.objects.bulk_create(users.values(), ignore_conflicts=True)
    user_ids = dict(WaterUser.objects.filter(code__in=users).values_list("code", "id"))
    wells = [
        Well(
            code=w.code, name=w.name, kind=w.kind, use=w.use, region_id=w.county_code, latitude=w.latitude,
            longitude=w.longitude, depth_m=w.depth_m, pump_rated_power_kw=w.pump_rated_power_kw,
            pump_rated_flow_m3h=w.pump_rated_flow_m3h,
            water_user_id=user_ids.get(f"{w.county_code}-U{i // WELLS_PER_COOPERATIVE:05d}")
            if w.kind == "extraction" else None,
        )
        for i, w in enumerate(fleet)
    ]
    Well.objects.bulk_create(wells, ignore_conflicts=True, batch_size=1000)
    well_ids = dict(Well.objects.filter(code__in=[w.code for w in fleet]).values_list("code", "id"))
    batches = seed_demo_batches()
    Terminal.objects.bulk_create(
        [
            Terminal(protocol=w.protocol, address=w.address, well_id=well_ids[w.code], region_id=w.county_code,
                     variant="2016" if w.protocol == "szy206" else "hex", batch_id=batches[registered_batch(w)])
            for w in fleet
        ],
        ignore_conflicts=True, batch_size=1000,
    )
    return fleet
