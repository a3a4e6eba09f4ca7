"""Operator quota controls, each checked against the actor's permission and region, and audited.

Top-ups with approver and expiry, reversals, overrides and revocation, remote start, policies.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from changji.core.localtime import local_day
from changji.core.models import AuditEntry, Region, Role
from changji.water.models import Allocation, AllocationChange, Command, DailyUsage, QuotaPolicy, Terminal, Well
from changji.water.quotas.controls import (
    override,
    remote_start,
    reverse_top_up,
    revoke_override,
    save_policy,
    top_up,
)
from changji.water.quotas.sweep import effective_allocation, sweep_quotas

pytestmark = pytest.mark.django_db

HUTUBI, MANAS = "652323", "652324"


def actions(name: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=name).order_by("at"))


def kinds() -> list[str]:
    return sorted(Command.objects.values_list("kind", flat=True))


@pytest.fixture
def today():
    return local_day(timezone.now())


@pytest.fixture
def well():
    well = Well.objects.create(code="652323-00001", name="一号井", region_id=HUTUBI, latitude=44.3, longitude=86.9)
    Terminal.objects.create(protocol="szy206", address="6523230001", well=well, region_id=HUTUBI)
    return well


@pytest.fixture
def allocation(well, today):
    """This year's allocation of 1,000 m³, 1,100 m³ used: over the limit, its stop announced."""
    allocation = Allocation.objects.create(year=today.year, well=well, allocation_m3=1000)
    DailyUsage.objects.create(well=well, day=today, water_m3=1100, usage_m3=1100, source="metered")
    sweep_quotas(today)
    allocation.refresh_from_db()
    assert allocation.stop_due_at is not None
    return allocation


@pytest.fixture
def stopped(allocation, today):
    sweep_quotas(today, now=allocation.stop_due_at)
    allocation.refresh_from_db()
    assert allocation.stopped_by_quota and kinds() == ["pump_stop"]
    return allocation


@pytest.fixture
def operator(make_user):
    return make_user("hutubi-op", HUTUBI)


def test_a_top_up_withdraws_the_announced_stop_and_is_audited(allocation, operator, make_user):
    chief = make_user("hutubi-chief", HUTUBI, role=Role.PREFECTURE_ADMIN, first_name="王局长")
    change = top_up(allocation, 500, " 抗旱追加 ", chief, None, operator)
    assert (change.amount_m3, change.reason, change.by_name) == (500, "抗旱追加", "hutubi-op")
    assert change.approver == chief and change.approved_by_name == "王局长"
    assert effective_allocation(allocation) == 1500
    (entry,) = actions("water.quota.topup")
    assert entry.actor == operator and entry.object_id == str(allocation.pk)
    assert entry.detail == {"change": change.pk, "amount_m3": 500, "approved_by": "王局长", "expires_on": None,
                            "allocation_m3": 1500}
    (cancelled,) = actions("water.quota.stop_cancelled")
    assert cancelled.object_id == str(allocation.pk) and "用水指标已恢复" in cancelled.reason
    allocation.refresh_from_db()
    assert allocation.stop_due_at is None and not Command.objects.exists()


def test_a_top_up_of_a_stopped_well_unlocks_it_and_cancels_a_stop_still_queued(stopped, operator):
    top_up(stopped, 500, "追加指标", "县水利局审批单 2026-17 号", None, operator)
    assert kinds() == ["pump_stop", "pump_unlock"]
    assert Command.objects.get(kind="pump_stop").state == "cancelled"
    (restore,) = actions("water.quota.restore")
    assert restore.detail["mode"] == "unlock" and restore.actor_name == "quota-sweep"
    assert AllocationChange.objects.get().approved_by_name == "县水利局审批单 2026-17 号"


def test_a_temporary_top_up_stops_counting_after_its_expiry(allocation, operator, today):
    end = date(today.year, 12, 31)
    change = top_up(allocation, 500, "临时追加", operator, end, operator)
    assert change.approver == operator and change.expires_on == end
    assert effective_allocation(allocation, end) == 1500
    assert effective_allocation(allocation, end + timedelta(days=1)) == 1000


@pytest.mark.parametrize(("amount", "reason", "approver", "expires", "field"), [
    (0, "追加", "王", None, "amount_m3"), (-5, "追加", "王", None, "amount_m3"), (float("nan"), "追加", "王", None,
                                                                               "amount_m3"),
    (100, "  ", "王", None, "reason"), (100, "追加", " ", None, "approver"),
    (100, "追加", "王", timedelta(days=-1), "expires_on"), (100, "追加", "王", timedelta(days=400), "expires_on"),
])
def test_a_bad_top_up_is_refused_and_changes_nothing(allocation, operator, today, amount, reason, approver,
                                                     expires, field):
    with pytest.raises(ValidationError) as error:
        top_up(allocation, amount, reason, approver, today + expires if expires else None, operator)
    assert field in error.value.message_dict
    assert not AllocationChange.objects.exists() and not actions("water.quota.topup")


def test_an_approver_account_needs_quota_control_in_the_region(allocation, operator, make_user):
    for approver in (make_user("manas-chief", MANAS), make_user("viewer", HUTUBI, role=Role.TOWNSHIP_VIEWER)):
        with pytest.raises(ValidationError) as error:
            top_up(allocation, 100, "追加", approver, None, operator)
        assert "approver" in error.value.message_dict


@pytest.mark.parametrize(("username", "region", "role"), [
    ("manas-op", MANAS, Role.COUNTY_OPERATOR), ("viewer", HUTUBI, Role.TOWNSHIP_VIEWER),
    ("worker", HUTUBI, Role.MAINTENANCE_WORKER)])
def test_controls_are_refused_outside_the_policy_or_the_region(allocation, make_user, username, region, role):
    actor = make_user(username, region, role=role)
    until = timezone.now() + timedelta(days=1)
    with pytest.raises(PermissionDenied):
        top_up(allocation, 100, "追加", "王", None, actor)
    with pytest.raises(PermissionDenied):
        override(allocation, actor, "抗旱", until, approver="王")
    with pytest.raises(PermissionDenied):
        save_policy(Region.objects.get(code=HUTUBI), "", [0.8, 1.0], True, 24, actor)
    assert not AllocationChange.objects.exists() and not QuotaPolicy.objects.exists()


def test_a_reversal_negates_the_top_up_once_and_announces_the_stop_again(allocation, operator):
    change = top_up(allocation, 500, "追加", "王", None, operator)
    reversal = reverse_top_up(change, "审批撤回", operator)
    assert (reversal.amount_m3, reversal.reverses, reversal.reason) == (-500, change, "审批撤回")
    assert effective_allocation(allocation) == 1000
    (entry,) = actions("water.quota.topup_reversed")
    assert entry.detail == {"change": change.pk, "reversal": reversal.pk, "amount_m3": -500}
    assert len(actions("water.quota.stop_announced")) == 2  # at first, and again after the reversal
    with pytest.raises(ValidationError, match="已冲销"):
        reverse_top_up(change, "再次冲销", operator)
    with pytest.raises(ValidationError, match="不能再冲销"):
        reverse_top_up(reversal, "冲销冲销", operator)
    assert AllocationChange.objects.count() == 2


def test_a_reversal_of_a_temporary_top_up_keeps_its_expiry(allocation, operator, today):
    change = top_up(allocation, 500, "临时", "王", date(today.year, 12, 31), operator)
    assert reverse_top_up(change, "撤回", operator).expires_on == change.expires_on


def test_an_override_cancels_the_announced_stop_and_revoking_it_announces_again(allocation, operator):
    until = timezone.now() + timedelta(days=2)
    override(allocation, operator, "抗旱应急灌溉", until)
    allocation.refresh_from_db()
    assert allocation.override_approver == operator and allocation.override_approved_by_name == "hutubi-op"
    assert allocation.stop_due_at is None and len(actions("water.quota.stop_cancelled")) == 1
    revoke_override(allocation, "灌溉结束", operator)
    allocation.refresh_from_db()
    assert allocation.override_until is None and allocation.stop_due_at is not None
    (entry,) = actions("water.quota.override_revoked")
    assert entry.reason == "灌溉结束" and entry.detail["until"] == until.isoformat()
    assert len(actions("water.quota.stop_announced")) == 2
    with pytest.raises(ValidationError, match="没有生效中的放行"):
        revoke_override(allocation, "再撤销", operator)


def test_a_remote_start_is_a_separate_command_refused_while_the_quota_holds_the_pump(stopped, operator):
    with pytest.raises(ValidationError, match="不能远程开泵"):
        remote_start(stopped, "农户申请", operator)
    top_up(stopped, 500, "追加", "王", None, operator)
    assert kinds() == ["pump_stop", "pump_unlock"]  # restoring unlocks; it never starts by itself
    (start,) = remote_start(stopped, "农户不在现场，申请远程开泵", operator)
    assert start.kind == "pump_start" and start.requested_by == operator
    modes = [entry.detail["mode"] for entry in actions("water.quota.restore")]
    assert modes == ["unlock", "start"]


def test_a_remote_start_needs_command_send(stopped, make_user):
    viewer = make_user("viewer", HUTUBI, role=Role.TOWNSHIP_VIEWER)
    with pytest.raises(PermissionDenied):
        remote_start(stopped, "开泵", viewer)


def test_a_policy_is_created_changed_and_audited(operator):
    hutubi = Region.objects.get(code=HUTUBI)
    policy = save_policy(hutubi, "agricultural", [0.7, 0.9, 1.0], True, 72, operator)
    assert (policy.thresholds, policy.stop_at_full, policy.notice_hours, policy.updated_by) == (
        [0.7, 0.9, 1.0], True, 72, operator)
    save_policy(hutubi, "agricultural", [0.8, 1.0], False, 24, operator)
    policy.refresh_from_db()
    assert (policy.thresholds, policy.stop_at_full, policy.notice_hours) == ([0.8, 1.0], False, 24)
    first, second = actions("water.quota.policy")
    assert first.detail["before"] is None and second.detail["before"]["notice_hours"] == 72


@pytest.mark.parametrize(("region", "use", "thresholds", "hours", "field"), [
    (HUTUBI, "", [0.9, 0.8], 24, "thresholds"), (HUTUBI, "", [0, 1], 24, "thresholds"),
    (HUTUBI, "", [1.0, 2.5], 24, "thresholds"), (HUTUBI, "", [], 24, "thresholds"),
    (HUTUBI, "", [0.8], 721, "notice_hours"), (HUTUBI, "sewage", [0.8], 24, "use"),
])
def test_a_bad_policy_is_refused(operator, region, use, thresholds, hours, field):
    with pytest.raises(ValidationError) as error:
        save_policy(Region.objects.get(code=region), use, thresholds, True, hours, operator)
    assert field in error.value.message_dict
    assert not QuotaPolicy.objects.exists()


def test_a_policy_below_county_level_is_refused(operator):
    township = Region.objects.create(code="652323100", name="呼图壁镇", level=4, parent_id=HUTUBI)
    with pytest.raises(ValidationError) as error:
        save_policy(township, "", [0.8, 1.0], True, 24, operator)
    assert "region" in error.value.message_dict
