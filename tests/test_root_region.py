"""An instance rooted at a county (呼图壁县, 652323) instead of the prefecture: a slice of the platform.

Each level of government runs its own instance with ``CHANGJI_ROOT_REGION`` (core.regions). Here the same
database, seeded for Changji, is served as the county's instance: the dashboards, reports, the fallback
region of unbounded accounts, the gateway's registration and the scope of "the whole instance" all start
from the county, never from the prefecture.
"""

from __future__ import annotations

import io
import sys
from datetime import date

import pytest
from django.core.management import call_command
from django.utils import timezone

from changji.core import regions
from changji.core.localtime import local_day
from changji.core.models import Region, Role, User
from changji.core.scope import covers_instance
from changji.water.gateway.storage import register_terminal
from changji.water.kpi import dashboard
from changji.water.models import DailyUsage, DashboardFigures, Terminal, Well
from changji.water.registry.service import region_for_address
from changji.water.reports import scheduled_reports

pytestmark = pytest.mark.django_db

COUNTY = "652323"


@pytest.fixture(autouse=True)
def county_root(settings, tmp_path):
    settings.CHANGJI_ROOT_REGION = COUNTY
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def boss(db):
    """A superuser bound to no region: it sees the instance's root."""
    return User.objects.create_superuser("boss", password="x-Secret-2026", role=Role.PREFECTURE_ADMIN)


def _well(county: str, number: int) -> Well:
    well = Well.objects.create(code=f"{county}-{number:05d}", name=f"机井{number}", region_id=county,
                               latitude=44.3, longitude=86.9, pump_rated_power_kw=30, pump_rated_flow_m3h=55)
    Terminal.objects.create(protocol="szy206", address=f"{county}{number:04d}", well=well, region_id=county)
    DailyUsage.objects.create(well=well, day=local_day(timezone.now()), usage_m3=10.0 * number,
                              energy_kwh=5.0, source="metered")
    return well


def test_the_root_is_the_county():
    assert regions.root() == COUNTY and regions.root_region().name == "呼图壁县"


def test_the_dashboard_of_an_unbounded_account_is_the_countys(client, boss):
    _well(COUNTY, 1)
    client.force_login(boss)
    page = client.get("/water/").content.decode()
    assert "一屏看水 · 呼图壁县" in page and "昌吉回族自治州" not in page


def test_the_dashboard_job_computes_the_county_only():
    _well(COUNTY, 1)
    _well("652301", 2)  # the prefecture's data in the same database is not this instance's
    assert dashboard.refresh_due(timezone.now()) == 1
    assert list(DashboardFigures.objects.values_list("region_id", flat=True)) == [COUNTY]
    rows = DashboardFigures.objects.get(region_id=COUNTY).figures["counties"]
    assert [row["region"] for row in rows] == [COUNTY] and rows[0]["day"]["usage_m3"] == 10.0


def test_scheduled_reports_cover_the_county_only():
    made = scheduled_reports(date(2026, 10, 1))  # September's month report and Q3's report
    assert {r.region_id for r in made} == {COUNTY} and len(made) == 2 * 2  # 2 periods × (xlsx + csv)


def test_the_report_command_defaults_to_the_root(capsys):
    call_command("water", "report", "--period", "month", "--at", "2026-07-05")
    assert capsys.readouterr().out.strip().endswith(f"{COUNTY}-month-20260701-20260731.xlsx")


def test_the_api_and_the_services_statistics_of_an_unbounded_account_are_the_countys(client, boss):
    client.force_login(boss)
    quotas = client.get("/api/water/quotas?year=2026").json()
    assert [row["region"] for row in quotas] == [COUNTY]
    page = client.get("/services/statistics/")
    assert page.status_code == 200 and page.context["stats"]["region"] == COUNTY


def test_the_home_page_lists_the_instances_counties(client):
    page = client.get("/").content.decode()
    assert "呼图壁县" in page and "昌吉市" not in page


def test_the_whole_instance_is_the_county(make_user):
    assert covers_instance(make_user("hutubi-admin", COUNTY, role=Role.PREFECTURE_ADMIN))
    assert covers_instance(make_user("prefecture-admin", "652300", role=Role.PREFECTURE_ADMIN))
    assert not covers_instance(make_user("changji-city-admin", "652301", role=Role.PREFECTURE_ADMIN))


def test_terminals_outside_the_county_fall_back_to_the_root():
    """An address naming a region above or beside the root is registered to the root, never outside it."""
    assert register_terminal("szy206", "6523000009", "198.51.100.1:1").address == "6523000009"
    assert Terminal.objects.get(address="6523000009").region_id == COUNTY
    register_terminal("szy206", "6523010009", "198.51.100.1:2")
    assert Terminal.objects.get(address="6523010009").region_id == COUNTY
    assert region_for_address("6523010009").code == COUNTY
    assert region_for_address("6523230009").code == COUNTY


def test_createuser_binds_to_the_root_by_default(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("Gh7-long-enough-pass\n"))
    call_command("createuser", "chief", "--password-stdin", stdout=io.StringIO())
    assert User.objects.get(username="chief").region == Region.objects.get(code=COUNTY)
