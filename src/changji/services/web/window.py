"""The comprehensive window (综合窗口): pre-check, accept / correction / refuse, issue, certificate PDF.

Cases are reached only through ``scope_queryset`` (the clerk's region): a case outside it is a 404.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from changji.core import params
from changji.core.access import P
from changji.core.guards import route
from changji.core.scope import scope_queryset
from changji.core.web_forms import run_action
from changji.services import cases, certificate, definitions, materials
from changji.services.models import Case, DeliveryMethod
from changji.services.web import intake
from changji.services.web.catalogue import ApplicationForm
from changji.services.web.common import ISSUED_STATES, certificate_data
from changji.services.workflow import CASE_LABELS, SUB_CASE_LABELS, CaseState, SubCaseState

QUEUE_STATES = (CaseState.SUBMITTED, CaseState.CORRECTION, CaseState.RESULTS_READY)
ACTIONS = {"accept": "受理", "correction": "告知补正", "refuse": "不予受理", "issue": "出件", "resubmit": "现场补正"}


class CorrectionForm(forms.Form):
    missing = forms.CharField(label="需补正内容（每行一项，一次告知）", widget=forms.Textarea(attrs={"rows": 4}))

    def items(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["missing"].splitlines() if line.strip()]


class RefuseForm(forms.Form):
    reason = forms.CharField(label="不予受理理由", widget=forms.Textarea(attrs={"rows": 2}))


class IssueForm(forms.Form):
    """出件: what the applicant's delivery method needs (``delivery.hand_over``).

    Who took the results at the window, the parcel's tracking number, or nothing for an e-licence.
    """

    handed_to = forms.CharField(label="领取人", max_length=64)
    tracking_number = forms.CharField(label="快递单号", max_length=40)

    def __init__(self, *args: Any, method: str = DeliveryMethod.WINDOW, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        needs: dict[str, set[str]] = {DeliveryMethod.WINDOW: {"handed_to"}, DeliveryMethod.POSTAL: {"tracking_number"}}
        keep = needs.get(method, set())
        for name in set(self.fields) - keep:
            del self.fields[name]


class AcceptForm(forms.Form):
    pass


def _scoped(request: HttpRequest) -> Any:
    return scope_queryset(Case.objects.select_related("bundle", "region"), request.user)


@route(get=P.SERVICES_CASE_INTAKE)
def window(request: HttpRequest) -> HttpResponse:
    """Cases waiting at the window: pre-check, correction, results to issue (``?state=issued`` for issued ones)."""
    state = params.query(request, "state", params.Choice(CaseState, default=""))
    states = [state] if state else list(QUEUE_STATES)
    rows = _scoped(request).filter(state__in=states).order_by("submitted_at")[:200]
    return render(request, "services/window.html", {
        "cases": rows, "state": state, "labels": {s.value: label for s, label in CASE_LABELS.items()},
        "queue": QUEUE_STATES})


def _forms(case: Case, data: Any, action: str, files: Any = None) -> dict[str, forms.Form]:
    def bound(name: str) -> Any:
        return data if action == name else None

    available: dict[str, forms.Form] = {}
    if case.state == CaseState.SUBMITTED:
        available["accept"] = AcceptForm(bound("accept"), prefix="accept")
        available["correction"] = CorrectionForm(bound("correction"), prefix="correction",
                                                 initial={"missing": "\n".join(cases.missing_for(case))})
    if case.state == CaseState.CORRECTION:  # the applicant corrects in person: only what is missing is asked
        available["resubmit"] = ApplicationForm(case.bundle, bound("resubmit"), files if action == "resubmit" else None,
                                                correction=True, case=case, prefix="fix")
    if case.state in (CaseState.SUBMITTED, CaseState.CORRECTION):
        available["refuse"] = RefuseForm(bound("refuse"), prefix="refuse")
    if case.state == CaseState.RESULTS_READY:
        available["issue"] = IssueForm(bound("issue"), prefix="issue", method=case.delivery_method)
    return available


def _apply(request: HttpRequest, case: Case, action: str, form: forms.Form) -> None:
    user = request.user
    if action == "accept":
        subs = cases.accept(case, user)
        messages.success(request, f"已受理，并同步分发 {len(subs)} 个事项。")
    elif action == "correction":
        assert isinstance(form, CorrectionForm)  # _forms binds a CorrectionForm under "correction"
        cases.request_correction(case, user, form.items())
        messages.success(request, "已一次性告知补正内容。")
    elif action == "resubmit":
        assert isinstance(form, ApplicationForm)  # _forms binds the correction form under "resubmit"
        cases.resubmit(case, form.answers(), form.uploads(), user, in_person=True)
        messages.success(request, "申请人已现场补正，请重新预审。")
    elif action == "refuse":
        cases.refuse(case, user, form.cleaned_data["reason"])
        messages.success(request, "已不予受理。")
    else:
        cases.issue(case, user, form.cleaned_data.get("handed_to", ""),
                    tracking_number=form.cleaned_data.get("tracking_number", ""))
        messages.success(request, "已出件。")


@route(get=P.SERVICES_CASE_INTAKE, post=P.SERVICES_CASE_INTAKE)
def window_case(request: HttpRequest, case_id: int) -> HttpResponse:
    """The case with its materials, form and what is missing; POST action=accept|correction|refuse|issue."""
    case = get_object_or_404(_scoped(request), pk=case_id)
    action = request.POST.get("action", "")
    available = _forms(case, request.POST or None, action, request.FILES or None)
    status = run_action(request, available, action, lambda form: _apply(request, case, action, form))
    if status is None:
        return redirect("services:window_case", case_id=case.pk)
    labels = definitions.question_labels(case.bundle)
    return render(request, "services/window_case.html", {
        "case": case, "state_label": CASE_LABELS[CaseState(case.state)], "actions": ACTIONS,
        "forms": {k: f for k, f in available.items() if k != "resubmit"}, "resubmit": available.get("resubmit"),
        "sub_rows": intake.window_sub_cases(case, request.user),
        "missing": cases.missing_for(case) if case.state in (CaseState.SUBMITTED, CaseState.CORRECTION) else [],
        "answers": [(labels.get(k, k), v) for k, v in case.form_data.items()],
        "materials": case.materials.order_by("code"),
        "events": [(e, _event_label(e)) for e in case.events.select_related("sub_case__item")],
        "subs": [(s, SUB_CASE_LABELS[SubCaseState(s.state)])
                 for s in case.sub_cases.select_related("item", "department")],
        "issued": case.state in ISSUED_STATES,
    }, status=status)


def _event_label(event: Any) -> str:
    if event.sub_case_id:
        return f"{event.sub_case.item.name}：{SUB_CASE_LABELS[SubCaseState(event.to_state)]}"
    return CASE_LABELS[CaseState(event.to_state)]


@route(get=P.SERVICES_CERTIFICATE_PRINT)
def certificate_pdf(request: HttpRequest, case_id: int) -> HttpResponse:
    """The 办结凭证 of an issued case, with the QR link to the public verify page."""
    case = get_object_or_404(_scoped(request), pk=case_id)
    if case.state not in ISSUED_STATES:
        raise Http404("该办件尚未出件")
    data = certificate_data(case, request.build_absolute_uri(reverse("services:verify")))
    response = HttpResponse(certificate.render_certificate(data), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{case.receipt_number}.pdf"'
    return response


@route(get=P.SERVICES_MATERIAL_READ)
def material(request: HttpRequest, material_id: int) -> FileResponse:
    """An uploaded material, for the window clerk of its region and the reviewers of its items (services.materials)."""
    item = materials.readable_material(request.user, material_id)
    name = item.file.name
    if not name:  # an original seen at the window (Material.seen_in_original): there is no file
        raise Http404("该材料为现场核验原件，无电子文件")
    return FileResponse(item.file.open("rb"), as_attachment=True, filename=name.rsplit("/", 1)[-1])
