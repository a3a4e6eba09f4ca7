"""A small licence world: two counties (呼图壁县 652323, 昌吉市 652301), a water user with wells in each."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest


def _user_with_wells(county: str, code: str, wells: int = 3):
    from changji.water.models import Terminal, WaterUser, WaterUserKind, Well

    user = WaterUser.objects.create(code=code, name=f"{code}合作社", kind=WaterUserKind.COOPERATIVE, region_id=county)
    made = []
    for n in range(wells):
        well = Well.objects.create(code=f"{code}-W{n}", name=f"{code}机井{n}", region_id=county, latitude=44.1,
                                   longitude=86.9, pump_rated_flow_m3h=50, water_user=user)
        Terminal.objects.create(protocol="szy206", address=f"{county[-4:]}{abs(hash(code)) % 1000:03d}{n:03d}",
                                well=well, region_id=county)
        made.append(well)
    return user, made


@pytest.fixture
def world(db, make_user):
    from changji.core.models import Role

    hutubi, hutubi_wells = _user_with_wells("652323", "HTB-U1")
    changji, changji_wells = _user_with_wells("652301", "CJ-U1")
    return SimpleNamespace(
        user=hutubi, wells=hutubi_wells, other_user=changji, other_wells=changji_wells,
        operator=make_user("htb-op", "652323"),
        other_operator=make_user("cj-op", "652301"),
        admin=make_user("pref-admin", "652300", Role.PREFECTURE_ADMIN),
        viewer=make_user("htb-viewer", "652323", Role.TOWNSHIP_VIEWER),
        maintenance=make_user("htb-maint", "652323", Role.MAINTENANCE_WORKER),
    )


def licence_data(user, wells, **extra):
    """The fields of a licence for ``save_licence``."""
    data = {"number": "取水（昌）字〔2026〕第001号", "water_user": user, "source": "groundwater",
            "purpose": "agricultural", "permitted_m3_per_year": 120_000.0, "valid_from": date(2026, 1, 1),
            "valid_to": date(2030, 12, 31), "issuing_authority": "呼图壁县水利局", "wells": list(wells)}
    data.update(extra)
    return data


@pytest.fixture
def licence(world):
    from changji.water.licences.service import save_licence

    return save_licence(licence_data(world.user, world.wells), world.operator)
