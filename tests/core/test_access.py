"""The access policy (core.access) and the service functions that check it, whatever calls them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from changji.core import access
from changji.core.access import P, Permission
from changji.core.models import Role

pytestmark = pytest.mark.django_db


def test_every_role_has_a_row_and_every_permission_a_label():
    assert set(access.ROLE_PERMISSIONS) == set(Role)
    assert set(access.LABELS) == set(Permission)
    assert all(p.value.count(".") >= 1 and p.value.split(".")[0] in {"core", "water", "services", "community"}
               for p in Permission)


def test_anonymous_inactive_and_superusers(make_user):
    from django.contrib.auth.models import AnonymousUser

    assert access.permissions_of(AnonymousUser()) == frozenset()
    inactive = make_user("gone", "652323", role=Role.COUNTY_OPERATOR, is_active=False)
    assert access.permissions_of(inactive) == frozenset()
    root = make_user("root", None, is_superuser=True)
    assert access.permissions_of(root) == frozenset(Permission)


def test_the_roles_of_the_brief(make_user):
    """What each role is for.

    Clerks and reviewers run the service centre, grid staff the community, water operators the wells; the
    township viewer only looks.
    """
    allows = access.ROLE_PERMISSIONS
    assert P.WATER_COMMAND_SEND in allows[Role.COUNTY_OPERATOR]
    assert P.WATER_ALARM_TRANSITION in allows[Role.MAINTENANCE_WORKER]
    assert not {p for p in allows[Role.TOWNSHIP_VIEWER] if p.value.split(".")[-1] not in ("read",)}
    for role in (Role.WINDOW_CLERK, Role.DEPARTMENT_REVIEWER, Role.GRID_WORKER):
        assert not {p for p in allows[role] if p.value.startswith("water.")}, role
    assert access.roles_with(P.USER_MANAGE) == {Role.PREFECTURE_ADMIN}


def test_require_speaks_chinese(make_user):
    viewer = make_user("viewer", "652323", role=Role.TOWNSHIP_VIEWER)
    with pytest.raises(PermissionDenied, match="当前账号无权处置告警"):
        access.require(viewer, P.WATER_ALARM_TRANSITION)
    with pytest.raises(ValueError):
        access.allows(viewer, "water.no.such")


def test_check_actor_lets_the_system_act_and_bounds_accounts_by_region(make_user):
    from changji.core.models import Region

    operator = make_user("op", "652323", role=Role.COUNTY_OPERATOR)
    access.check_actor("quota-sweep", P.WATER_COMMAND_SEND, Region.objects.get(code="652324"))
    access.check_actor(operator, P.WATER_COMMAND_SEND, Region.objects.get(code="652323"))
    with pytest.raises(PermissionDenied, match="管辖范围"):
        access.check_actor(operator, P.WATER_COMMAND_SEND, Region.objects.get(code="652324"))


@pytest.fixture
def alarm(make_user):
    from changji.water.models import Alarm, Terminal, Well

    well = Well.objects.create(code="652323-00001", name="井", region_id="652323", latitude=44.3, longitude=86.9,
                               pump_rated_power_kw=30, pump_rated_flow_m3h=55)
    terminal = Terminal.objects.create(protocol="szy206", address="6523230001", well=well, region_id="652323")
    return Alarm.objects.create(terminal=terminal, well=well, kind="door_open", severity="warning", state="open",
                                raised_at=timezone.now() - timedelta(hours=1))


def test_alarm_and_command_services_refuse_roles_and_regions_outside_the_policy(alarm, make_user):
    """A township viewer cannot dismiss through any door (page, API, admin or shell): the service refuses."""
    from changji.water.alarms.service import dismiss
    from changji.water.downlink import queue_command
    from changji.water.models import AlarmEvent, Command

    viewer = make_user("viewer", "652323", role=Role.TOWNSHIP_VIEWER)
    with pytest.raises(PermissionDenied):
        dismiss(alarm, viewer, reason="看错了")
    outsider = make_user("manas-op", "652324", role=Role.COUNTY_OPERATOR)
    with pytest.raises(PermissionDenied):
        dismiss(alarm, outsider, reason="看错了")
    worker = make_user("crew", "652323", role=Role.MAINTENANCE_WORKER)
    with pytest.raises(PermissionDenied):
        queue_command(alarm.terminal, "pump_stop", "无权", by=worker)
    alarm.refresh_from_db()
    assert alarm.state == "open" and not AlarmEvent.objects.exists() and not Command.objects.exists()
    operator = make_user("op", "652323", role=Role.COUNTY_OPERATOR)
    assert dismiss(alarm, operator, reason="现场核实为误报").state == "dismissed"
    assert queue_command(alarm.terminal, "pump_stop", "超指标", by="quota-sweep").kind == "pump_stop"


def test_registering_a_quarantined_terminal_is_bounded_by_its_county(make_user):
    from changji.water.models import QuarantinedTerminal
    from changji.water.registry.service import region_for_address, register_quarantined

    now = timezone.now()
    quarantined = QuarantinedTerminal.objects.create(protocol="szy206", address="6523240007", first_seen_at=now,
                                                     last_seen_at=now, last_peer="p",
                                                     region=region_for_address("6523240007"))
    assert quarantined.region_id == "652324"
    with pytest.raises(PermissionDenied):
        register_quarantined(quarantined, make_user("op", "652323", role=Role.COUNTY_OPERATOR))
    terminal = register_quarantined(quarantined, make_user("manas", "652324", role=Role.COUNTY_OPERATOR))
    assert terminal.region_id == "652324"
    assert region_for_address("9999990001").code == "652300"


def test_the_readme_shows_the_policy_as_it_is():
    """The README's security section carries the table generated from ROLE_PERMISSIONS.

    A change to the policy that is not written there fails here.
    """
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert access.policy_table() in readme
