"""Rows reported from below are the lower level's: no job of this instance acts on them on its own."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError

from changji.water.alarms.service import evaluate_all
from changji.water.downlink import queue_command
from changji.water.kpi.terminal_days import fill_silent_days, refresh_terminal_days
from changji.water.models import Alarm, Allocation, DailyUsage, TerminalDay, Well
from changji.water.pictures.service import _camera_terminals
from changji.water.quotas.sweep import _pump_terminals
from changji.water.sharing import capture
from changji.water.usage.derive import rebuild_usage, update_for_readings

from .conftest import PEER

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)


@pytest.fixture
def received(county_registry):
    """The county's terminal and well as the upstream holds them: reported by the peer."""
    with capture.quiet():
        Well.objects.update(reported_by=PEER)
        county_registry.reported_by = PEER
        county_registry.save()
    county_registry.refresh_from_db()
    return county_registry


def test_no_offline_alarm_for_a_terminal_whose_readings_live_below(received, make_terminal):
    make_terminal(address="6523230002")  # a terminal of this level's own, as silent
    counts = evaluate_all(T0)
    assert counts["terminals"] == 1
    assert list(Alarm.objects.values_list("terminal__address", flat=True)) == ["6523230002"]


def test_derivation_and_rebuild_keep_received_usage(received):
    DailyUsage.objects.create(well=received.well, day=date(2026, 6, 1), water_m3=12.0, usage_m3=12.0)
    rebuild_usage()
    rebuild_usage(since=date(2026, 6, 1), wells=[received.well])
    assert update_for_readings(received, [T0]) is None
    assert DailyUsage.objects.get().water_m3 == 12.0


def test_silent_days_and_refreshes_leave_received_terminal_days_alone(received):
    assert fill_silent_days(date(2026, 6, 1)) == 0
    assert refresh_terminal_days(received, [date(2026, 6, 1)]) == 0
    assert not TerminalDay.objects.exists()


def test_the_quota_sweep_never_stops_a_received_well(received):
    allocation = Allocation.objects.create(year=2026, well=received.well, allocation_m3=1.0)
    assert _pump_terminals(allocation, "pump_stop") == []
    with pytest.raises(ValidationError, match="下级平台"):
        queue_command(received, "pump_stop", "超量", "water.quota.stop")


def test_picture_schedules_skip_received_terminals(received, make_terminal):
    own = make_terminal(address="6523230003")
    assert list(_camera_terminals()) == [own]


def test_an_alarm_reported_from_below_is_handled_there_not_here(received, make_terminal, make_user, client):
    """The prefecture sees a county's alarm and its history but cannot acknowledge, assign or dismiss it."""
    from changji.core.models import Role
    from changji.water.alarms.service import acknowledge, dismiss

    alarm = Alarm.objects.create(terminal=received, well=received.well, kind="offline", severity="warning",
                                 state="open", raised_at=T0)
    own = Alarm.objects.create(terminal=make_terminal(address="6523230004"), kind="offline", severity="warning",
                               state="open", raised_at=T0)
    admin = make_user("zhou-admin", "652300", role=Role.PREFECTURE_ADMIN)
    for act in (lambda a: acknowledge(a, admin), lambda a: dismiss(a, admin, "误报")):
        with pytest.raises(ValidationError, match="下级平台"):
            act(alarm)
    alarm.refresh_from_db()
    assert alarm.state == "open"
    client.force_login(admin)
    page = client.get(f"/water/alarms/{alarm.pk}/").content.decode()
    assert 'id="reported-from-below"' in page and 'id="form-acknowledge"' not in page
    assert 'id="form-acknowledge"' in client.get(f"/water/alarms/{own.pk}/").content.decode()
    refused = client.post(f"/water/alarms/{alarm.pk}/", {"action": "acknowledge"})
    assert refused.status_code in (302, 400, 403)
    alarm.refresh_from_db()
    assert alarm.state == "open"
    acknowledge(own, admin)
