"""即办: items decided at the window by an authorised clerk; a bundle of only 即办 items is issued in one visit."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from changji.core.models import AuditEntry
from changji.services import cases, inspection, instant, intake
from changji.services.cases import Applicant, CaseError
from changji.services.models import Case, Department, SubCase
from tests.services.repair_shop import MA_WENJIE, walk_in_answers, walk_in_materials

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def accepted(repair_shop, window_clerk) -> Case:
    answers = walk_in_answers(repair_shop)
    seen = {m.code for m in walk_in_materials(repair_shop, answers)}
    return intake.file_at_window(repair_shop, Applicant("person", *MA_WENJIE), answers, {}, seen, intake.Delivery(),
                                 window_clerk, accept_now=True)


def _subs(case):
    subs = list(SubCase.objects.filter(case=case).select_related("item").order_by("pk"))
    plain = [s for s in subs if not s.item.inspection_required]
    inspected = [s for s in subs if s.item.inspection_required]
    return plain, inspected


def _pass(sub, clerk):
    inspection.record(sub, clerk, "交通运输局 李强、王芳", timezone.now(), "passed", "场地、设备与备案材料一致")


def test_the_whole_bundle_is_decided_and_issued_in_one_visit(accepted, window_clerk):
    plain, inspected = _subs(accepted)
    assert plain and inspected
    for sub in inspected:
        _pass(sub, window_clerk)
    for n, sub in enumerate(plain + inspected):
        instant.decide(sub, window_clerk, True, "符合条件，准予", f"FK-2026-{n:04d}", date(2031, 12, 31))
    accepted.refresh_from_db()
    assert accepted.state == "results_ready" and accepted.outcome == "granted"
    decided = SubCase.objects.get(pk=plain[0].pk)
    assert decided.decided_at_window and decided.assignee == window_clerk and decided.licence_number == "FK-2026-0000"
    states = list(decided.events.values_list("to_state", flat=True))
    assert states == ["pending", "claimed", "approved"]
    assert AuditEntry.objects.filter(action="services.sub_case.instant_decided").count() == len(plain + inspected)
    cases.issue(accepted, window_clerk, "马文杰")
    accepted.refresh_from_db()
    assert accepted.state == "issued" and accepted.visits == 1  # pickup in the same visit is not a second one


def test_a_clerk_who_is_not_a_delegate_is_refused(accepted, make_user):
    other = make_user("wx-clerk-2", "652302", role="window_clerk")
    plain, _ = _subs(accepted)
    with pytest.raises(CaseError) as error:
        instant.decide(plain[0], other, True, "准予", "FK-1")
    assert "未获" in error.value.message and "窗口即办授权" in error.value.message
    assert SubCase.objects.get(pk=plain[0].pk).state == "pending"


def test_a_reviewer_without_the_permission_is_refused(accepted, make_user):
    reviewer = make_user("wx-reviewer", "652302", role="department_reviewer")
    plain, _ = _subs(accepted)
    plain[0].department.window_delegates.add(reviewer)
    with pytest.raises(PermissionDenied):
        instant.decide(plain[0], reviewer, True, "准予", "FK-1")


def test_a_non_instant_item_is_refused(accepted, window_clerk):
    plain, _ = _subs(accepted)
    plain[0].item.instant = False
    plain[0].item.save()
    with pytest.raises(CaseError) as error:
        instant.decide(plain[0], window_clerk, True, "准予", "FK-1")
    assert "不是即办事项" in error.value.message


def test_approval_needs_the_number_the_department_issues(accepted, window_clerk):
    plain, _ = _subs(accepted)
    with pytest.raises(CaseError) as error:
        instant.decide(plain[0], window_clerk, True, "准予", "  ")
    assert error.value.field == "licence_number"
    assert SubCase.objects.get(pk=plain[0].pk).state == "pending"  # nothing changed, not even the claim


def test_a_refusal_at_the_window(accepted, window_clerk):
    plain, _ = _subs(accepted)
    instant.decide(plain[0], window_clerk, False, "字号名称与已登记名称重复")
    sub = SubCase.objects.get(pk=plain[0].pk)
    assert (sub.state, sub.decided_at_window, sub.licence_number) == ("refused", True, "")


def test_a_sub_case_claimed_by_the_department_is_not_decided_at_the_window(accepted, window_clerk, make_user):
    plain, _ = _subs(accepted)
    reviewer = make_user("wx-reviewer", "652302", role="department_reviewer")
    Department.objects.get(pk=plain[0].department_id).reviewers.add(reviewer)
    cases.claim(plain[0], reviewer)
    with pytest.raises(CaseError) as error:
        instant.decide(plain[0], window_clerk, True, "准予", "FK-1")
    assert "已由部门人员认领" in error.value.message


def test_before_acceptance_nothing_is_decided(repair_shop, window_clerk):
    answers = walk_in_answers(repair_shop)
    case = intake.file_at_window(repair_shop, Applicant("person", *MA_WENJIE), answers, {}, set(), intake.Delivery(),
                                 window_clerk)
    assert case.state == "submitted" and not case.sub_cases.exists()
