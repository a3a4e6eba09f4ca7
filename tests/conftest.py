"""Shared fixtures. The suite runs on SQLite by default and on PostgreSQL when DATABASE_URL says so."""

from __future__ import annotations

import asyncio
import functools
import inspect
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing(django_test_environment):
    """Hash the suite's passwords with MD5 instead of PBKDF2's 1,000,000 rounds (about 0.3 s an account here).

    Django's testing docs recommend it; production keeps PBKDF2 (tests/core/test_accounts.py checks the settings).
    """
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory):
    """Return ``put(data_dir)``: a migrated SQLite database (WAL mode, as production runs it) for `changji` processes.

    `changji migrate` runs once a session, into a fresh directory, and each call copies its file into
    ``data_dir`` (to be passed as ``CHANGJI_DATA_DIR``): a fresh migrate costs a minute on a busy machine.
    """
    template = tmp_path_factory.mktemp("migrated-sqlite")
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    subprocess.run([str(Path(sys.executable).with_name("changji")), "migrate", "-v0"],
                   env={**env, "CHANGJI_DATA_DIR": str(template)}, check=True, timeout=300)

    def put(data_dir: Path) -> Path:
        for path in template.glob("changji.sqlite3*"):  # the database and any WAL file next to it
            shutil.copyfile(path, data_dir / path.name)
        return data_dir / "changji.sqlite3"

    put.template = template  # type: ignore[attr-defined]
    return put


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


# --- `--database-tests-only`: the PostgreSQL pass of `.ci/run` ----------------------------------------------
# `.ci/run` runs the whole suite on SQLite and, at the same time, the database tests on PostgreSQL: a test that
# cannot reach the suite's database (a codec, a pure rule, lint) gives the same answer on both, so it runs once.

#: Fixtures that reach the test database; a fixture built on them brings them into the test's closure too.
#: (``django_db_blocker`` is in every closure, for pytest-django's autouse fixtures: its use is found in the
#: code by DATABASE_HINTS instead.)
DATABASE_FIXTURES = frozenset({
    "db", "transactional_db", "django_db_setup", "live_server", "django_db_reset_sequences",
    "django_db_serialized_rollback",
})

#: Words in a test's module (or a module defining one of its fixtures) that may reach a database without
#: pytest-django's fixtures: a child process inherits DATABASE_URL, a direct driver connection, settings read.
DATABASE_HINTS = re.compile(r"DATABASE_URL|DATABASES|subprocess|Popen|multiprocessing|os\.system|psycopg|django\.db"
                            r"|sqlite3|connection\.vendor|django_db_blocker")


TESTS = Path(__file__).resolve().parent


def pytest_addoption(parser):
    parser.addoption(
        "--database-tests-only", action="store_true",
        help="deselect the tests that cannot reach the suite's database (codecs, pure rules, lint): `.ci/run` "
        "runs them in its SQLite pass and passes this to its PostgreSQL pass; every database test runs on both",
    )


@functools.cache
def _file_mentions_a_database(path: str) -> bool:
    return bool(DATABASE_HINTS.search(Path(path).read_text(encoding="utf-8")))


@functools.cache
def _fixture_mentions_a_database(function) -> bool:
    """A fixture of a conftest.py by its own code; one of a test module (or imported into it) by its whole file."""
    path = inspect.getsourcefile(function) or ""
    if "/_pytest/" in path or "/pytest_django/" in path:
        return False  # pytest's and pytest-django's own: the database ones are DATABASE_FIXTURES
    if Path(path).name == "conftest.py":
        return bool(DATABASE_HINTS.search(inspect.getsource(function)))
    return _file_mentions_a_database(path)


def reaches_the_database(item: pytest.Item) -> bool:
    """Whether a test may use the suite's database: it asks for it, or its code (or its fixtures' code) could.

    Conservative: a test wrongly taken for database-bound just runs on both databases. A test whose code
    looks database-bound but is not (it runs ruff, or a `changji` process on a SQLite file of its own) says so
    with the ``database_independent`` marker.
    """
    if item.get_closest_marker("django_db") or DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    if item.get_closest_marker("database_independent"):
        return False
    if any(_file_mentions_a_database(path) for path in _test_code(item)):
        return True
    info = getattr(item, "_fixtureinfo", None)
    definitions = [d for ds in (info.name2fixturedefs.values() if info else ()) for d in ds]
    return any(_fixture_mentions_a_database(definition.func) for definition in definitions)


def _test_code(item: pytest.Item) -> set[str]:
    """The test's module and the modules of this suite it takes names from (helpers in tests/…)."""
    paths = {str(item.path)}
    module = getattr(item, "module", None)
    for value in vars(module).values() if module else ():
        source = getattr(value, "__file__", None) or getattr(inspect.getmodule(value), "__file__", None)
        if source and Path(source).is_relative_to(TESTS) and source.endswith(".py"):
            paths.add(source)
    return paths


def pytest_collection_modifyitems(config, items):
    if not config.getoption("--database-tests-only"):
        return
    reaching = {item: reaches_the_database(item) for item in items}
    kept = [item for item in items if reaching[item]]
    deselected = [item for item in items if not reaching[item]]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
