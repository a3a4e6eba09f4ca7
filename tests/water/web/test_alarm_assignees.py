"""The alarm's work order goes to the maintenance staff of the alarm's county, and to no one else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from changji.core.models import Role
from changji.water.models import Alarm

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(make_user):
    return {
        "county": make_user("hutubi-yunwei", "652323", Role.MAINTENANCE_WORKER),
        "prefecture": make_user("zhou-yunwei", "652300", Role.MAINTENANCE_WORKER),
        "other_county": make_user("changji-yunwei", "652301", Role.MAINTENANCE_WORKER),
        "inactive": make_user("old-yunwei", "652323", Role.MAINTENANCE_WORKER, is_active=False),
        "viewer": make_user("hutubi-look", "652323", Role.TOWNSHIP_VIEWER),
    }


def _assign_options(client, alarm):
    form = client.get(reverse("water:alarm", args=[alarm.pk])).context["forms"]["assign"]
    return set(form.fields["assignee"].queryset.values_list("username", flat=True))


def test_only_the_countys_active_maintenance_staff_are_offered(client, make_user, operator, hutubi_well, make_alarm,
                                                               staff):
    alarm = make_alarm(hutubi_well)
    client.force_login(operator)
    # the county operator's own scope: the county's staff, not the prefecture's team above it
    assert _assign_options(client, alarm) == {"hutubi-yunwei"}
    admin = make_user("zhou-admin", "652300", Role.PREFECTURE_ADMIN)
    client.force_login(admin)
    assert _assign_options(client, alarm) == {"hutubi-yunwei", "zhou-yunwei"}


def test_a_hand_made_post_naming_someone_else_is_refused(client, operator, hutubi_well, make_alarm, staff):
    alarm = make_alarm(hutubi_well, state="acknowledged")
    client.force_login(operator)
    due = (timezone.localdate() + timedelta(days=3)).isoformat()
    for who in ("other_county", "inactive", "viewer"):
        response = client.post(reverse("water:alarm", args=[alarm.pk]), {
            "action": "assign", "assign-assignee": staff[who].pk, "assign-due": due})
        assert response.status_code == 400, who
        assert Alarm.objects.get(pk=alarm.pk).assignee_id is None
    response = client.post(reverse("water:alarm", args=[alarm.pk]), {
        "action": "assign", "assign-assignee": staff["county"].pk, "assign-due": due})
    assert response.status_code == 302
    assert Alarm.objects.get(pk=alarm.pk).assignee == staff["county"]
