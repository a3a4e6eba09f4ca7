"""现场勘察: the site inspection an item may require before its decision, with its own working-day limit.

When a case is accepted, each sub-case whose item requires an inspection (``Item.inspection_required``, frozen in
the bundle's definition) gets an ``Inspection`` due ``inspection_limit_days`` working days later
(``open_inspection``). A reviewer of the item's department or one of its window delegates records it
(``record``: inspectors, time, passed or failed, findings; audited). No decision is taken before it is recorded:
a passed inspection allows either decision, a failed one only a refusal (``check_may_decide``, called by
``cases.decide`` and so by the window's 即办 decision too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from changji.core import access, audit
from changji.core.errors import Refusal
from changji.services import workdays
from changji.services.models import Department, Inspection, InspectionResult, SubCase
from changji.services.workflow import SubCaseState

#: A recorded inspection time may be this far ahead of the server's clock (a clerk's watch), no more.
CLOCK_SLACK = timedelta(minutes=5)
#: The sub-case states in which the inspection may still be recorded (before the decision).
OPEN_STATES = frozenset({SubCaseState.PENDING, SubCaseState.CLAIMED})


class InspectionError(Refusal):
    """A refused inspection step or a decision the inspection does not allow yet (field + Chinese message)."""


@dataclass(frozen=True)
class Status:
    """What a page shows of an inspection: due day, whether it is overdue, its result label."""

    due_on: date
    recorded: bool
    overdue: bool
    result_label: str


def open_inspection(sub: SubCase, limit_days: int, now: datetime | None = None) -> Inspection:
    """Dispatch the inspection of ``sub`` (at acceptance): due ``limit_days`` working days from today."""
    now = now or timezone.now()
    due_on = workdays.add_working_days(timezone.localdate(now), limit_days)
    return Inspection.objects.create(sub_case=sub, started_at=now, due_on=due_on)


def inspection_of(sub: SubCase) -> Inspection | None:
    return Inspection.objects.filter(sub_case=sub).first()


def status(inspection: Inspection, today: date) -> Status:
    recorded = bool(inspection.result)
    label = InspectionResult(inspection.result).label if recorded else "待勘察"
    return Status(due_on=inspection.due_on, recorded=recorded, overdue=not recorded and today > inspection.due_on,
                  result_label=str(label))


def check_may_decide(sub: SubCase, approve: bool) -> None:
    """Refuse a decision the inspection does not allow: none before it is recorded, no approval after a failure."""
    inspection = inspection_of(sub)
    if inspection is None:
        return
    if not inspection.result:
        raise InspectionError("inspection", "该事项须现场勘察：请先记录勘察结论，再作决定")
    if approve and inspection.result == InspectionResult.FAILED:
        raise InspectionError("inspection", "现场勘察结论为不符合条件，只能不予许可")


def may_record(user: Any, department: Department) -> bool:
    """Whether ``user`` is a reviewer of ``department`` or one of its window delegates (or a superuser)."""
    if getattr(user, "is_superuser", False):
        return True
    return (department.reviewers.filter(pk=user.pk).exists()
            or department.window_delegates.filter(pk=user.pk).exists())


@transaction.atomic
def record(sub: SubCase, by: Any, inspectors: str, inspected_at: datetime, result: str, findings: str,
           now: datetime | None = None) -> Inspection:
    """Record the inspection of ``sub``: who inspected, when, passed or failed, the findings; audited."""
    sub = SubCase.objects.select_related("case__region", "department").get(pk=sub.pk)
    access.check_actor(by, access.P.SERVICES_INSPECTION_RECORD, sub.case.region)
    inspection = Inspection.objects.select_for_update().filter(sub_case=sub).first()
    if inspection is None:
        raise InspectionError("inspection", "该事项无需现场勘察")
    if not may_record(by, sub.department):
        raise InspectionError("inspection", f"只有{sub.department.name}的审批人员或窗口即办授权人员可记录勘察")
    if sub.state not in OPEN_STATES:
        raise InspectionError("inspection", "该事项已办结，不能再记录勘察")
    if result not in InspectionResult.values:
        raise InspectionError("result", "请选择勘察结论")
    if not inspectors.strip():
        raise InspectionError("inspectors", "请填写勘察人员")
    if not findings.strip():
        raise InspectionError("findings", "请填写勘察记录")
    if inspected_at > (now or timezone.now()) + CLOCK_SLACK:
        raise InspectionError("inspected_at", "勘察时间不能晚于现在")
    if inspected_at < inspection.started_at - CLOCK_SLACK:
        raise InspectionError("inspected_at", "勘察时间不能早于派出勘察的时间")
    inspection.inspectors, inspection.inspected_at = inspectors.strip(), inspected_at
    inspection.result, inspection.findings, inspection.recorded_by = result, findings.strip(), by
    inspection.save()
    audit.record("services.inspection.recorded", actor=by, target=sub, region=sub.case.region, reason=findings.strip(),
                 receipt_number=sub.case.receipt_number, result=result, inspectors=inspection.inspectors,
                 inspected_at=inspected_at.isoformat(), overdue=timezone.localdate(inspected_at) > inspection.due_on)
    return inspection
