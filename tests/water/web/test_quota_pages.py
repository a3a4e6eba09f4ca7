"""Quota pages: the policy table and its form, the year's allocations, and one allocation's controls, per role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from changji.core.localtime import local_day
from changji.core.models import AuditEntry, Role
from changji.water.models import Allocation, AllocationChange, Command, DailyUsage, QuotaPolicy
from changji.water.quotas.sweep import sweep_quotas

pytestmark = pytest.mark.django_db


@pytest.fixture
def over(hutubi_well):
    """This year's allocation of the 呼图壁 well: 1,000 m³ with 1,100 used, its stop announced."""
    today = local_day(timezone.now())
    allocation = Allocation.objects.create(year=today.year, well=hutubi_well, allocation_m3=1000)
    DailyUsage.objects.create(well=hutubi_well, day=today, water_m3=1100, usage_m3=1100, source="metered")
    sweep_quotas(today)
    allocation.refresh_from_db()
    return allocation


def login(client, user):
    client.force_login(user)
    return client


def test_the_policy_page_shows_county_and_prefecture_policies(client, viewer):
    QuotaPolicy.objects.create(region_id="652300", use="domestic", thresholds=[0.9, 1.0], stop_at_full=False)
    QuotaPolicy.objects.create(region_id="652323", thresholds=[0.7, 1.0], notice_hours=72)
    page = login(client, viewer).get("/water/quota-policies/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "总量控制策略" in text and "70% / 100%" in text and "72 小时" in text and "本县市" in text
    assert "仅预警（生活用水）" in text and 'id="policy-form"' not in text  # a viewer reads, does not edit


def test_an_operator_saves_a_policy_and_a_bad_one_is_refused(client, operator):
    login(client, operator)
    page = client.get("/water/quota-policies/", {"region": "652323", "use": "agricultural"})
    assert page.status_code == 200 and 'id="policy-form"' in page.content.decode()
    response = client.post("/water/quota-policies/", {"region": "652323", "use": "agricultural",
                                                     "thresholds": "75，90, 100%", "stop_at_full": "on",
                                                     "notice_hours": "24"})
    assert response.status_code == 302
    policy = QuotaPolicy.objects.get()
    assert (policy.region_id, policy.use, policy.thresholds, policy.notice_hours) == (
        "652323", "agricultural", [0.75, 0.9, 1.0], 24)
    assert AuditEntry.objects.filter(action="water.quota.policy", actor=operator).count() == 1
    for thresholds in ("90, 80", "0, 100", "80, 250", "abc"):
        bad = client.post("/water/quota-policies/", {"region": "652323", "use": "", "thresholds": thresholds,
                                                    "notice_hours": "24"})
        assert bad.status_code == 400 and "预警阈值" in bad.content.decode()
    refused = client.post("/water/quota-policies/", {"region": "652301", "use": "", "thresholds": "80",
                                                    "notice_hours": "24"})  # 昌吉市 is not the operator's
    assert refused.status_code == 400
    assert QuotaPolicy.objects.count() == 1


def test_a_viewer_cannot_post_a_policy(client, viewer):
    response = login(client, viewer).post("/water/quota-policies/", {"region": "652323", "thresholds": "80",
                                                                     "notice_hours": "1"})
    assert response.status_code == 403 and not QuotaPolicy.objects.exists()


def test_the_allocation_list_filters_by_state(client, viewer, over, changji_city_well):
    Allocation.objects.create(year=over.year, well=changji_city_well, allocation_m3=10)  # outside the scope
    login(client, viewer)
    for view, shown in (("", True), ("pending", True), ("stopped", False), ("over80", True), ("overridden", False)):
        page = client.get("/water/quotas/", {"view": view})
        assert page.status_code == 200
        assert (f'data-allocation="{over.pk}"' in page.content.decode()) is shown, view
    assert "110.0%" in client.get("/water/quotas/").content.decode()
    assert client.get("/water/quotas/", {"view": "bogus"}).status_code == 400


def test_the_quota_page_shows_the_pending_stop_and_reads_only_for_a_viewer(client, viewer, over):
    page = login(client, viewer).get(f"/water/quotas/{over.pk}/")
    text = page.content.decode()
    assert page.status_code == 200 and "已预告" in text and "预告关泵" in text
    assert 'id="form-topup"' not in text and 'id="start-form"' not in text
    assert client.post(f"/water/quotas/{over.pk}/", {"action": "topup"}).status_code == 403


def test_an_operator_tops_up_reverses_overrides_and_revokes(client, operator, over):
    login(client, operator)
    assert 'id="form-topup"' in client.get(f"/water/quotas/{over.pk}/").content.decode()
    response = client.post(f"/water/quotas/{over.pk}/", {"action": "topup", "amount_m3": "500", "reason": "抗旱追加",
                                                        "approver": operator.pk, "expires_on": ""})
    assert response.status_code == 302
    change = AllocationChange.objects.get()
    assert change.approver == operator and change.amount_m3 == 500
    over.refresh_from_db()
    assert over.stop_due_at is None
    response = client.post(f"/water/quotas/{over.pk}/", {"action": "reverse", "change": change.pk, "reason": "撤回"})
    assert response.status_code == 302 and AllocationChange.objects.filter(reverses=change).exists()
    until = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/water/quotas/{over.pk}/", {"action": "override", "until": until, "reason": "抗旱灌溉",
                                                        "approver": operator.pk})
    assert response.status_code == 302
    over.refresh_from_db()
    assert over.override_until is not None and over.override_approver == operator
    response = client.post(f"/water/quotas/{over.pk}/", {"action": "revoke", "reason": "灌溉结束"})
    assert response.status_code == 302
    actions = set(AuditEntry.objects.filter(actor=operator).values_list("action", flat=True))
    assert {"water.quota.topup", "water.quota.topup_reversed", "water.quota.override",
            "water.quota.override_revoked"} <= actions


@pytest.mark.parametrize(("body", "field"), [
    ({"action": "topup", "amount_m3": "-5", "reason": "x"}, "amount_m3"),
    ({"action": "topup", "amount_m3": "5", "reason": " "}, "reason"),
    ({"action": "override", "until": "2001-01-01T00:00", "reason": "x"}, "until"),
    ({"action": "revoke", "reason": "x"}, None),
    ({"action": "nonsense"}, None),
])
def test_bad_controls_are_refused_with_400_and_change_nothing(client, operator, over, body, field):
    login(client, operator)
    if "approver" not in body and body["action"] in ("topup", "override"):
        body = {**body, "approver": operator.pk}
    response = client.post(f"/water/quotas/{over.pk}/", body)
    assert response.status_code == 400
    assert not AllocationChange.objects.exists() and not AuditEntry.objects.filter(actor=operator).exists()


def test_a_remote_start_is_confirmed_then_queued(client, operator, over):
    login(client, operator)
    refused = client.post(f"/water/quotas/{over.pk}/start/", {"reason": "农户申请", "confirm": "1"})
    assert refused.status_code == 400 and "不能远程开泵" in refused.content.decode()
    client.post(f"/water/quotas/{over.pk}/", {"action": "topup", "amount_m3": "500", "reason": "追加",
                                              "approver": operator.pk})
    confirm = client.post(f"/water/quotas/{over.pk}/start/", {"reason": "农户不在现场"})
    assert confirm.status_code == 200 and "确认远程开泵" in confirm.content.decode()
    assert not Command.objects.filter(kind="pump_start").exists()
    done = client.post(f"/water/quotas/{over.pk}/start/", {"reason": "农户不在现场", "confirm": "1"})
    assert done.status_code == 302
    assert Command.objects.filter(kind="pump_start", requested_by=operator).count() == 1


def test_a_remote_start_needs_command_send(client, make_user, over):
    viewer = make_user("v", "652323", Role.TOWNSHIP_VIEWER)
    assert login(client, viewer).post(f"/water/quotas/{over.pk}/start/", {"reason": "x"}).status_code == 403


def test_an_allocation_outside_the_scope_is_not_found(client, operator, changji_city_well):
    other = Allocation.objects.create(year=2026, well=changji_city_well, allocation_m3=10)
    login(client, operator)
    assert client.get(f"/water/quotas/{other.pk}/").status_code == 404
    assert client.post(f"/water/quotas/{other.pk}/start/", {"reason": "x"}).status_code == 404


def test_the_well_page_links_to_its_quota_page(client, operator, over):
    page = login(client, operator).get(f"/water/wells/{over.well_id}/")
    assert f"/water/quotas/{over.pk}/" in page.content.decode()


def test_another_countys_policy_is_not_shown_in_the_form(client, operator):
    """``?region=`` of a county outside the operator's scope prefills nothing of that county's policy."""
    QuotaPolicy.objects.create(region_id="652301", use="", thresholds=[0.37, 0.61, 1.0], notice_hours=123)
    text = login(client, operator).get("/water/quota-policies/", {"region": "652301", "use": ""}).content.decode()
    assert "37, 61" not in text and 'value="123"' not in text
