"""Fixtures of the operator page tests: two counties' wells, their users and an alarm."""

from __future__ import annotations

import pytest
from django.utils import timezone


@pytest.fixture
def hutubi_well(make_terminal):
    """A well with a terminal in 呼图壁县 (652323)."""
    return make_terminal("6523230001", county="652323").well


@pytest.fixture
def changji_city_well(make_terminal):
    """A well with a terminal in 昌吉市 (652301), outside the 呼图壁县 operator's scope."""
    return make_terminal("6523010001", county="652301").well


@pytest.fixture
def operator(make_user):
    from changji.core.models import Role

    return make_user("hutubi-op", "652323", Role.COUNTY_OPERATOR)


@pytest.fixture
def viewer(make_user):
    from changji.core.models import Role

    return make_user("hutubi-viewer", "652323", Role.TOWNSHIP_VIEWER)


@pytest.fixture
def make_alarm(db):
    """Return a factory: an open alarm on the well's first terminal."""
    from changji.water.models import Alarm

    def make(well, kind: str = "door_open", severity: str = "warning", state: str = "open"):
        terminal = well.terminals.first()
        return Alarm.objects.create(terminal=terminal, well=well, kind=kind, severity=severity, state=state,
                                    raised_at=timezone.now(), evidence={"door_open": True})

    return make
