"""The department inbox (部门收件箱): claim, release, approve or refuse; verify items granted on commitment.

Scope: sub-cases go through ``cases.for_reviewer``, i.e. ``scope_queryset`` (the reviewer's region) and
then the departments that list the reviewer (``Department.reviewers``); a superuser without a region sees
all. The ``?department=`` filter only narrows the list, it grants nothing. A sub-case outside scope is a 404.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from changji.core import params
from changji.core.access import P
from changji.core.guards import route
from changji.core.models import User
from changji.core.scope import scope_queryset
from changji.core.web_forms import run_action
from changji.services import cases, definitions, delivery, workdays
from changji.services.models import Department, SubCase
from changji.services.web import intake
from changji.services.workflow import SUB_CASE_LABELS, SubCaseState

OPEN_STATES = (SubCaseState.PENDING, SubCaseState.CLAIMED, SubCaseState.COMMITTED, SubCaseState.RECTIFY)
ACTIONS = {"claim": "认领", "release": "释放", "approve": "准予许可", "refuse": "不予许可",
           "licence": "登记证照编号", "verify": "承诺核查"}
WARNING_LABELS = {"green": "正常", "yellow": "临期", "red": "到期/超期"}


class NoteForm(forms.Form):
    pass


class ApproveForm(forms.Form):
    opinion = forms.CharField(label="审批意见", widget=forms.Textarea(attrs={"rows": 2}))
    licence_number = forms.CharField(label="证照编号", max_length=64)
    valid_until = params.DayField(label="有效期至", required=False)


class RefuseForm(forms.Form):
    opinion = forms.CharField(label="不予许可理由", widget=forms.Textarea(attrs={"rows": 2}))


class LicenceForm(forms.Form):
    """承诺即准入: the licence the department issued for an item granted on the applicant's commitment."""

    number = forms.CharField(label="证照编号（本部门核发）", max_length=64)
    valid_until = params.DayField(label="有效期至", required=False)


class VerifyForm(forms.Form):
    outcome = forms.ChoiceField(label="核查结论", choices=[(state.value, SUB_CASE_LABELS[state]) for state in (
        SubCaseState.CONFIRMED, SubCaseState.RECTIFY, SubCaseState.REVOKED)])
    opinion = forms.CharField(label="核查意见", widget=forms.Textarea(attrs={"rows": 2}))


def _scoped(request: HttpRequest) -> Any:
    return cases.for_reviewer(SubCase.objects.select_related("case", "item", "department", "assignee"),
                              request.user)


def clock(sub: SubCase, today: Any) -> dict[str, Any]:
    """The promised-limit clock of an open sub-case: due day, green/yellow/red, overdue."""
    if sub.state not in (SubCaseState.PENDING, SubCaseState.CLAIMED) or sub.case.accepted_on is None:
        return {"due_on": sub.due_on, "warning": "", "overdue": False}
    running = workdays.Clock(started=sub.case.accepted_on, limit_days=sub.item.promised_limit_days)
    return {"due_on": sub.due_on, "warning": running.warning(today), "overdue": running.overdue(today)}


@route(get=P.SERVICES_SUB_CASE_REVIEW)
def inbox(request: HttpRequest) -> HttpResponse:
    """The reviewer's sub-cases, open ones first by due day; filters ``department`` and ``state`` (all|open)."""
    subs = _scoped(request)
    # The departments the reviewer works for (a superuser: all in scope), not a scan of their sub-cases.
    user = request.user
    if not isinstance(user, User):  # the route's guard (core.guards.route) lets only signed-in users in
        raise PermissionDenied
    mine = Department.objects.all() if user.is_superuser else Department.objects.filter(reviewers=user)
    departments = list(scope_queryset(mine, request.user).order_by("code"))
    chosen = params.parse(request.GET, {
        "department": params.Choice([d.code for d in departments], default=""),
        "state": params.Choice(["open", "all", *SubCaseState], default="open")})
    department, state = chosen["department"], chosen["state"]
    if department:
        subs = subs.filter(department__code=department)
    if state == "open":
        subs = subs.filter(state__in=OPEN_STATES)
    elif state in {s.value for s in SubCaseState}:
        subs = subs.filter(state=state)
    today = workdays.today_in_shanghai()
    rows = [{"sub": s, "state": SUB_CASE_LABELS[SubCaseState(s.state)], **clock(s, today)}
            for s in subs.order_by("due_on", "pk")[:200]]
    return render(request, "services/inbox.html", {
        "rows": rows, "departments": departments, "department": department, "state": state,
        "states": {s.value: label for s, label in SUB_CASE_LABELS.items()}, "warning_labels": WARNING_LABELS})


def _forms(sub: SubCase, user: Any, data: Any, action: str) -> dict[str, forms.Form]:
    def bound(name: str) -> Any:
        return data if action == name else None

    available: dict[str, forms.Form] = {}
    if sub.state == SubCaseState.PENDING:
        available["claim"] = NoteForm(bound("claim"), prefix="claim")
    if sub.state == SubCaseState.CLAIMED:
        available["release"] = NoteForm(bound("release"), prefix="release")
        if sub.assignee_id == user.pk:
            available["approve"] = ApproveForm(bound("approve"), prefix="approve")
            available["refuse"] = RefuseForm(bound("refuse"), prefix="refuse")
    if delivery.granted_without_licence(sub):
        available["licence"] = LicenceForm(bound("licence"), prefix="licence")
    if sub.state in (SubCaseState.COMMITTED, SubCaseState.RECTIFY):
        available["verify"] = VerifyForm(bound("verify"), prefix="verify")
    return available


def _apply(sub: SubCase, user: Any, action: str, data: dict[str, Any]) -> None:
    if action == "claim":
        cases.claim(sub, user)
    elif action == "release":
        cases.release(sub, user)
    elif action == "approve":
        cases.decide(sub, user, True, data["opinion"], data["licence_number"], data.get("valid_until"))
    elif action == "refuse":
        cases.decide(sub, user, False, data["opinion"])
    elif action == "licence":
        cases.record_licence(sub, user, data["number"], data.get("valid_until"))
    else:
        cases.verify(sub, user, data["outcome"], data["opinion"])


@route(get=P.SERVICES_SUB_CASE_REVIEW, post=P.SERVICES_SUB_CASE_REVIEW)
def sub_case(request: HttpRequest, sub_case_id: int) -> HttpResponse:
    """One sub-case with the case's form and materials; POST action=claim|release|approve|refuse|licence|verify."""
    sub = get_object_or_404(_scoped(request), pk=sub_case_id)
    action = request.POST.get("action", "")
    available = _forms(sub, request.user, request.POST or None, action)

    def apply(form: forms.Form) -> str:
        _apply(sub, request.user, action, form.cleaned_data)
        return f"已{ACTIONS[action]}。"

    status = run_action(request, available, action, apply, flash_errors=True)
    if status is None:
        return redirect("services:inbox_sub_case", sub_case_id=sub.pk)
    case = sub.case
    labels = definitions.question_labels(case.bundle)
    return render(request, "services/sub_case.html", {
        "sub": sub, "case": case, "state_label": SUB_CASE_LABELS[SubCaseState(sub.state)], "forms": available,
        "actions": ACTIONS, "clock": clock(sub, workdays.today_in_shanghai()),
        "answers": [(labels.get(k, k), v) for k, v in case.form_data.items()],
        "materials": [m for m in case.materials.order_by("code") if sub.item.code in m.item_codes],
        "warning_labels": WARNING_LABELS, "inspection": intake.inspection_context(sub, request.user),
    }, status=status)
