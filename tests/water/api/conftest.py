"""Fixtures for the water API tests: two counties' worth of data and clients authenticated by token or session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client

T0 = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)


@dataclass
class County:
    """One county's seeded objects."""

    well: object
    terminal: object
    alarm: object
    command: object


def seed_county(make_terminal, county: str) -> County:
    """Seed a well with a terminal, three readings, two usage days, an allocation, an alarm and a command."""
    from changji.water.models import Alarm, Allocation, Command, DailyUsage, Frame, Reading

    terminal = make_terminal(address=f"{county}0001", county=county)
    well = terminal.well
    frame = Frame.objects.create(received_at=T0, peer="t", protocol="szy206", raw=b"\x68", outcome="stored")
    for hours in range(3):
        at = T0 + timedelta(hours=hours)
        Reading.objects.create(terminal=terminal, observed_at=at, received_at=at, volume_m3=10.0 * hours,
                               energy_kwh=5.0 * hours, frame=frame)
    for day, usage in ((date(2026, 7, 1), 12.5), (date(2026, 7, 2), 7.5)):
        DailyUsage.objects.create(well=well, day=day, water_m3=usage, usage_m3=usage, source="metered")
    Allocation.objects.create(year=2026, well=well, allocation_m3=1000.0)
    alarm = Alarm.objects.create(terminal=terminal, well=well, kind="door_open", severity="warning", state="open",
                                 raised_at=T0, evidence={"door_open": True})
    command = Command.objects.create(terminal=terminal, kind="pump_stop", reason="seed", requested_by_name="seed",
                                     expires_at=T0 + timedelta(days=3650))
    return County(well=well, terminal=terminal, alarm=alarm, command=command)


@pytest.fixture
def hutubi(make_terminal) -> County:
    """Seeded objects in 呼图壁县 (652323)."""
    return seed_county(make_terminal, "652323")


@pytest.fixture
def manas(make_terminal) -> County:
    """Seeded objects in 玛纳斯县 (652324)."""
    return seed_county(make_terminal, "652324")


@pytest.fixture
def operator(make_user):
    """A county operator of 652323."""
    return make_user("op-652323", "652323")


@pytest.fixture
def token_client():
    """Return a factory: a test Client that sends a fresh bearer token of ``user``."""
    from changji.core.models import ApiToken

    def make(user) -> Client:
        _, raw = ApiToken.issue(user, "t")
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return make


@pytest.fixture
def session_client():
    """Return a factory: a test Client logged in as ``user`` (session auth)."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def api(operator, token_client) -> Client:
    """A token client of the 652323 county operator."""
    return token_client(operator)


def _fields_named(response) -> set[str]:
    """Return the fields named by an error response (400: detail keys; 422: the last element of each loc)."""
    detail = response.json()["detail"]
    if isinstance(detail, dict):
        return set(detail)
    return {str(error["loc"][-1]) for error in detail}


@pytest.fixture
def fields_named():
    """Return a function giving the fields an error response names."""
    return _fields_named
