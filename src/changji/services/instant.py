"""即办: items decided at the window in the applicant's visit by a clerk the department authorises.

An item marked ``instant`` may be approved (with the licence or filing number the department issues, and an
optional validity) or refused at the window once the case is accepted, by a clerk with
``services.instant.decide`` whom the item's department lists among its ``window_delegates``. The sub-case moves
through the ordinary table (pending → claimed by the clerk → approved/refused), is marked
``decided_at_window`` and audited; an inspection the item requires must be recorded first
(``inspection.check_may_decide``, in ``cases.decide``). When the last sub-case is decided the case joins
(``cases._join``): a bundle made only of 即办 items is results_ready in the same visit and the window issues it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from changji.core import access, audit
from changji.services import cases
from changji.services.models import SubCase
from changji.services.workflow import CaseState, SubCaseState


class InstantError(cases.CaseError):
    """A refused 即办 decision (not an instant item, not a delegate, wrong state)."""


def is_delegate(user: Any, sub: SubCase) -> bool:
    """Whether ``user`` is one of the window delegates of the sub-case's department."""
    pk = getattr(user, "pk", None)
    return pk is not None and sub.department.window_delegates.filter(pk=pk).exists()


def decidable(sub: SubCase, user: Any) -> bool:
    """Whether the window page offers ``user`` the 即办 decision of ``sub`` (the service still checks)."""
    return (sub.item.instant and sub.case.state == CaseState.ACCEPTED and access.allows(
        user, access.P.SERVICES_INSTANT_DECIDE) and sub.state in (SubCaseState.PENDING, SubCaseState.CLAIMED)
        and (sub.assignee_id in (None, getattr(user, "pk", None))) and is_delegate(user, sub))


def _check(sub: SubCase, by: Any) -> None:
    access.check_actor(by, access.P.SERVICES_INSTANT_DECIDE, sub.case.region)
    if not sub.item.instant:
        raise InstantError("sub_case", f"{sub.item.name}不是即办事项，须由{sub.department.name}审批")
    if not is_delegate(by, sub):
        raise InstantError("sub_case", f"您未获{sub.department.name}窗口即办授权，不能当场办理{sub.item.name}")
    if sub.case.state != CaseState.ACCEPTED:
        raise InstantError("state", "办件受理后才能即办")
    if sub.state == SubCaseState.CLAIMED and sub.assignee_id != by.pk:
        raise InstantError("sub_case", f"{sub.item.name}已由部门人员认领办理")
    if sub.state not in (SubCaseState.PENDING, SubCaseState.CLAIMED):
        raise InstantError("state", f"{sub.item.name}已办结")


@transaction.atomic
def decide(sub: SubCase, by: Any, approve: bool, opinion: str, licence_number: str = "",
           valid_until: date | None = None, now: datetime | None = None) -> SubCase:
    """Approve or refuse the 即办 sub-case ``sub`` at the window (``by``: an authorised window clerk)."""
    sub = SubCase.objects.select_for_update().select_related("case__region", "item", "department").get(pk=sub.pk)
    _check(sub, by)
    if approve and not licence_number.strip():
        raise InstantError("licence_number", "准予许可须填写部门核发的证照或备案编号")
    if not opinion.strip():
        raise InstantError("opinion", "请填写审批意见")
    if valid_until is not None and valid_until < timezone.localdate(now or timezone.now()):
        raise InstantError("valid_until", "有效期不能早于今天")
    if sub.state == SubCaseState.PENDING:
        cases._move_sub_case(sub, SubCaseState.CLAIMED, by, "窗口即办")
        sub.assignee, sub.claimed_at = by, now or timezone.now()
        sub.save(update_fields=["assignee", "claimed_at"])
    sub.decided_at_window = True
    sub.save(update_fields=["decided_at_window"])
    decided = cases.decide(sub, by, approve, opinion.strip(), licence_number, valid_until, now=now)
    audit.record("services.sub_case.instant_decided", actor=by, target=decided, region=decided.case.region,
                 reason=opinion.strip(), receipt_number=decided.case.receipt_number, approved=approve,
                 licence_number=decided.licence_number, department=decided.department.code)
    return decided
