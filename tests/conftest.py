"""Shared fixtures. The suite runs on SQLite by default and on PostgreSQL when DATABASE_URL says so."""

from __future__ import annotations

import asyncio

import pytest


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing(django_test_environment):
    """Hash the suite's passwords with MD5 instead of PBKDF2's 1,000,000 rounds (about 0.3 s an account here).

    Django's testing docs recommend it; production keeps PBKDF2 (tests/core/test_accounts.py checks the settings).
    """
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def run():
    """Run a coroutine to completion within 60 s (the suite does not depend on an asyncio plugin)."""
    return lambda coroutine: asyncio.run(asyncio.wait_for(coroutine, 60))


@pytest.fixture
def changji(db):
    """Return the seeded Changji prefecture region."""
    from changji.core.models import Region

    return Region.objects.get(code="652300")


@pytest.fixture
def make_user(db):
    """Return a factory for accounts with a role and a region code."""
    from changji.core.models import Region, Role, User

    def make(username: str, region_code: str | None, role: str = Role.COUNTY_OPERATOR, **extra):
        region = Region.objects.get(code=region_code) if region_code else None
        return User.objects.create_user(username=username, password="x-Secret-2026", role=role,
                                        region=region, **extra)

    return make


#: The squares of the community test world: (grid code, name, west, south) with 0.01° sides.
COMMUNITY_GRIDS = (
    ("652328100001001", "东城社区第一网格", 90.28, 43.83),
    ("652328100001002", "东城社区第二网格", 90.29, 43.83),
    ("652328100002001", "西城社区第一网格", 90.27, 43.83),
)


@pytest.fixture
def community_world(db, make_user):
    """A small town for the community tests, in 木垒县 (652328).

    木垒镇 (652328100) has two communities: 东城社区 (…001) with grids A (east of 90.28°) and B
    (east of 90.29°), and 西城社区 (…002) with grid C (west of 90.28°); each grid a 0.01° square
    from 43.83° N. Compound 幸福小区 lies in A (one building, one household, residents 张三 and 李四),
    compound 和谐小区 in C. Accounts: ``grid_a`` and ``grid_c`` (grid workers), ``east`` (community
    worker of 东城), ``street`` (street officer of 木垒镇); password ``x-Secret-2026``.
    """
    from types import SimpleNamespace

    from shapely.geometry import box, mapping

    from changji.community.grids.service import create_grid
    from changji.community.models import Building, Compound, Household, Resident
    from changji.core.models import Region, RegionLevel, Role

    town = Region.objects.create(code="652328100", name="木垒镇", level=RegionLevel.TOWNSHIP,
                                 parent=Region.objects.get(code="652328"))
    east = Region.objects.create(code="652328100001", name="东城社区", level=RegionLevel.VILLAGE, parent=town)
    west = Region.objects.create(code="652328100002", name="西城社区", level=RegionLevel.VILLAGE, parent=town)
    communities = {"652328100001": east, "652328100002": west}
    grids = [create_grid(code, name, communities[code[:12]], mapping(box(w, s, w + 0.01, s + 0.01)),
                         party_branch=f"{name}党支部")
             for code, name, w, s in COMMUNITY_GRIDS]
    grid_a, grid_b, grid_c = grids
    happy = Compound.objects.create(region=grid_a.region, name="幸福小区", lon=90.285, lat=43.835,
                                    owners_committee="幸福小区业主委员会")
    harmony = Compound.objects.create(region=grid_c.region, name="和谐小区", lon=90.275, lat=43.835)
    building = Building.objects.create(compound=happy, region=grid_a.region, name="1号楼", lon=90.285, lat=43.835)
    household = Household.objects.create(building=building, region=grid_a.region, door="1-101")
    zhang = Resident.objects.create(household=household, region=grid_a.region, name="张三",
                                    id_number="652328199001011234", phone="13912345678",
                                    care_tags=["elderly_alone"])
    li = Resident.objects.create(household=household, region=grid_a.region, name="李四",
                                 id_number="652328199202021235", phone="13987654321")
    return SimpleNamespace(
        town=town, east=east, west=west, grid_a=grid_a, grid_b=grid_b, grid_c=grid_c,
        happy=happy, harmony=harmony, building=building, household=household, zhang=zhang, li=li,
        users=SimpleNamespace(
            grid_a=make_user("grid-a", grid_a.region_id, role=Role.GRID_WORKER),
            grid_c=make_user("grid-c", grid_c.region_id, role=Role.GRID_WORKER),
            east=make_user("east-worker", east.code, role=Role.COMMUNITY_WORKER),
            street=make_user("street-officer", town.code, role=Role.STREET_OFFICER),
        ),
    )
