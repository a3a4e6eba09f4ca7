"""现场勘察: dispatched with its own limit at acceptance, recorded by the department or its window delegate."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from changji.core.models import AuditEntry
from changji.services import cases, inspection, instant, intake, workdays
from changji.services.cases import Applicant, CaseError
from changji.services.inspection import InspectionError
from changji.services.models import Department, Inspection, SubCase
from tests.services.repair_shop import MA_WENJIE, walk_in_answers, walk_in_materials

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def inspected(repair_shop, window_clerk) -> SubCase:
    """The 备案 sub-case of a walk-in case accepted on a Monday (its inspection dispatched then)."""
    answers = walk_in_answers(repair_shop)
    seen = {m.code for m in walk_in_materials(repair_shop, answers)}
    case = cases.submit(repair_shop, Applicant("person", *MA_WENJIE), "window", answers, {}, window_clerk,
                        now=MONDAY, in_person=True)
    for code in seen:
        spec = next(m for m in walk_in_materials(repair_shop, answers) if m.code == code)
        case.materials.create(code=code, name=spec.name, item_codes=list(spec.items), seen_in_original=True)
    cases.accept(case, window_clerk, now=MONDAY)
    return SubCase.objects.get(case=case, item__inspection_required=True)


def test_acceptance_dispatches_the_inspection_with_its_own_limit(inspected):
    record = Inspection.objects.get(sub_case=inspected)
    limit = inspected.item.inspection_limit_days
    assert record.started_at == MONDAY and record.due_on == workdays.add_working_days(date(2026, 3, 2), limit)
    assert not SubCase.objects.filter(case=inspected.case, item__inspection_required=False,
                                      inspection__isnull=False).exists()
    status = inspection.status(record, record.due_on + timedelta(days=1))
    assert status.overdue and not status.recorded and status.result_label == "待勘察"
    assert not inspection.status(record, record.due_on).overdue


def test_no_decision_before_the_inspection_is_recorded(inspected, window_clerk):
    with pytest.raises(CaseError) as error:
        instant.decide(inspected, window_clerk, True, "准予", "JT-BA-1")
    assert "请先记录勘察结论" in error.value.message
    assert SubCase.objects.get(pk=inspected.pk).state == "pending"


def test_a_reviewers_decision_waits_for_the_inspection_too(inspected, make_user):
    reviewer = make_user("jt-reviewer", "652302", role="department_reviewer")
    Department.objects.get(pk=inspected.department_id).reviewers.add(reviewer)
    cases.claim(inspected, reviewer)
    with pytest.raises(CaseError):
        cases.decide(inspected, reviewer, True, "准予", "JT-BA-1")
    inspection.record(inspected, reviewer, "李强", timezone.now(), "passed", "符合")
    cases.decide(inspected, reviewer, True, "准予", "JT-BA-1")
    assert SubCase.objects.get(pk=inspected.pk).state == "approved"


def test_a_failed_inspection_allows_only_a_refusal(inspected, window_clerk):
    inspection.record(inspected, window_clerk, "李强、王芳", timezone.now(), "failed", "无烤漆房废气处理设施")
    with pytest.raises(CaseError) as error:
        instant.decide(inspected, window_clerk, True, "准予", "JT-BA-1")
    assert "只能不予许可" in error.value.message
    instant.decide(inspected, window_clerk, False, "现场勘察不符合条件")
    assert SubCase.objects.get(pk=inspected.pk).state == "refused"


def test_recording_is_audited(inspected, window_clerk):
    at = timezone.now() - timedelta(minutes=10)
    record = inspection.record(inspected, window_clerk, " 李强 ", at, "passed", "场地符合")
    assert (record.inspectors, record.result, record.recorded_by) == ("李强", "passed", window_clerk)
    entry = AuditEntry.objects.get(action="services.inspection.recorded")
    assert entry.detail["result"] == "passed" and entry.detail["receipt_number"] == inspected.case.receipt_number


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"result": "maybe"}, "result"), ({"inspectors": " "}, "inspectors"), ({"findings": ""}, "findings"),
    ({"inspected_at": "future"}, "inspected_at"), ({"inspected_at": "before"}, "inspected_at"),
])
def test_bad_records_are_refused_and_nothing_changes(inspected, window_clerk, kwargs, field):
    values = {"inspectors": "李强", "inspected_at": timezone.now(), "result": "passed", "findings": "符合", **kwargs}
    if values["inspected_at"] == "future":
        values["inspected_at"] = timezone.now() + timedelta(hours=2)
    elif values["inspected_at"] == "before":
        values["inspected_at"] = MONDAY - timedelta(days=1)
    with pytest.raises(InspectionError) as error:
        inspection.record(inspected, window_clerk, **values)
    assert error.value.field == field
    assert Inspection.objects.get(sub_case=inspected).result == ""
    assert not AuditEntry.objects.filter(action="services.inspection.recorded").exists()


def test_only_the_departments_reviewers_and_delegates_record(inspected, make_user):
    stranger = make_user("other-reviewer", "652302", role="department_reviewer")
    with pytest.raises(InspectionError) as error:
        inspection.record(inspected, stranger, "李强", timezone.now(), "passed", "符合")
    assert "审批人员或窗口即办授权人员" in error.value.message


def test_an_item_without_inspection_has_nothing_to_record(inspected, window_clerk):
    plain = SubCase.objects.get(case=inspected.case, item__inspection_required=False)
    with pytest.raises(InspectionError):
        inspection.record(plain, window_clerk, "李强", timezone.now(), "passed", "符合")


def test_a_walk_in_bundle_is_accepted_with_its_inspection(repair_shop, window_clerk):
    answers = walk_in_answers(repair_shop)
    seen = {m.code for m in walk_in_materials(repair_shop, answers)}
    case = intake.file_at_window(repair_shop, Applicant("person", *MA_WENJIE), answers, {}, seen, intake.Delivery(),
                                 window_clerk, accept_now=True)
    assert Inspection.objects.filter(sub_case__case=case).count() == 1
