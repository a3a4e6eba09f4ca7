"""前台综合受理 pages: pick a bundle, fill the one form with the walk-in applicant, print the 受理回执.

Also the window's 即办 decision of a sub-case and the 现场勘察 record (shared with the department inbox).
Everything goes through ``scope_queryset`` (the clerk's region): another region's bundle, case or sub-case is a 404.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from changji.core import access, params, uploads
from changji.core.access import P
from changji.core.errors import Refusal
from changji.core.guards import route
from changji.core.scope import scope_queryset
from changji.core.web_forms import refuse
from changji.services import bundles, cases, definitions, inspection, instant, intake, queue, receipt, workdays
from changji.services.catalogue import current_bundles
from changji.services.models import (
    Bundle,
    BundleCategory,
    Case,
    DeliveryMethod,
    Department,
    InspectionResult,
    QueueTicket,
    SubCase,
    TicketState,
)
from changji.services.web.catalogue import APPLICANT_FIELDS, ApplicationForm, add_case_error
from changji.services.workflow import CASE_LABELS, SUB_CASE_LABELS, CaseState, SubCaseState

MAX_BUNDLES_LISTED = 200


class IntakeForm(ApplicationForm):
    """The one form at the window: the applicant, the answers, a scan or an original seen per material, delivery."""

    delivery_method = forms.ChoiceField(label="结果送达方式", choices=DeliveryMethod.choices,
                                        initial=DeliveryMethod.WINDOW)
    postal_address = forms.CharField(label="邮寄地址", max_length=200, required=False)
    postal_recipient = forms.CharField(label="收件人", max_length=64, required=False)
    accept_now = forms.BooleanField(label="材料齐全即当场受理", required=False, initial=True)

    def __init__(self, bundle: Bundle, *args: Any, **kwargs: Any) -> None:
        super().__init__(bundle, *args, **kwargs)
        for m in self.materials:
            self.fields[f"seen_{m.code}"] = forms.BooleanField(label=f"{m.name}：原件已核验", required=False)
            self.fields[f"seen_{m.code}"].widget.attrs["data-show-group"] = f"material_{m.code}"
        for name in ("delivery_method", "postal_address", "postal_recipient", "accept_now"):
            self.fields[name] = self.fields.pop(name)  # after the materials
        postal = json.dumps([[{"field": "delivery_method", "equals": DeliveryMethod.POSTAL.value}]])
        for name in ("postal_address", "postal_recipient"):  # asked only for postal delivery (conditions.js)
            self.fields[name].widget.attrs["data-show-when"] = postal

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for m in self.materials:
            upload = data.get(f"material_{m.code}")
            if upload is not None:
                try:
                    uploads.check_size(upload.size)
                except uploads.UploadError as error:
                    self.add_error(f"material_{m.code}", str(error))
        return data

    def material_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"material_{m.code}"], self[f"seen_{m.code}"]) for m in self.materials]

    def delivery_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("delivery_method", "postal_address", "postal_recipient")]

    def seen(self) -> set[str]:
        return {m.code for m in self.materials if self.cleaned_data.get(f"seen_{m.code}")}

    def delivery(self) -> intake.Delivery:
        return intake.Delivery(self.cleaned_data["delivery_method"], self.cleaned_data.get("postal_address", ""),
                               self.cleaned_data.get("postal_recipient", ""))


def _bundles(request: HttpRequest) -> Any:
    return scope_queryset(current_bundles(workdays.today_in_shanghai()), request.user)


@route(get=P.SERVICES_CASE_INTAKE)
def intake_list(request: HttpRequest) -> HttpResponse:
    """The current bundles to file a walk-in application for: by category, searchable by name or code."""
    asked = params.parse(request.GET, {"q": params.Text(64, default=""),
                                       "category": params.Choice(BundleCategory, default=""),
                                       "ticket": params.Id(default=0)})
    rows = _bundles(request).select_related("lead_department")
    if asked["q"]:
        rows = rows.filter(Q(name__icontains=asked["q"]) | Q(code__icontains=asked["q"]))
    if asked["category"]:
        rows = rows.filter(category=asked["category"])
    return render(request, "services/intake.html", {
        "bundles": rows.order_by("category", "code")[:MAX_BUNDLES_LISTED], "q": asked["q"],
        "category": asked["category"], "categories": BundleCategory.choices, "ticket": asked["ticket"]})


def _serving_ticket(request: HttpRequest) -> QueueTicket | None:
    """The queue number the clerk called for this applicant (``?ticket=``, from the console), in their region."""
    ticket_id = params.query(request, "ticket", params.Id(default=0))
    if not ticket_id:
        return None
    return get_object_or_404(scope_queryset(QueueTicket.objects.all(), request.user), pk=ticket_id)


def _link_ticket(request: HttpRequest, ticket: QueueTicket | None, case: Case) -> None:
    """Link the called number to the case filed for it (the hall's waiting and service figures follow it)."""
    if ticket is None:
        return
    try:
        if ticket.state == TicketState.CALLED:
            queue.start(ticket, request.user)
        queue.link_case(ticket, case, request.user)
    except Refusal as error:  # the case is filed; only the link to the number is refused, and said so
        messages.warning(request, f"办件已受理，但未能关联排队号 {ticket.number}：{error.message}")


@route(get=P.SERVICES_CASE_INTAKE, post=P.SERVICES_CASE_INTAKE)
def intake_form(request: HttpRequest, bundle_id: int) -> HttpResponse:
    """POST: ``intake.file_at_window`` (accepting at once when complete), then the window's case page."""
    bundle = get_object_or_404(_bundles(request), pk=bundle_id)
    ticket = _serving_ticket(request)
    form = IntakeForm(bundle, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        applicant = cases.Applicant(**{name.removeprefix("applicant_"): form.cleaned_data[name].strip()
                                       for name in APPLICANT_FIELDS})
        try:
            case = intake.file_at_window(bundle, applicant, form.answers(), form.uploads(), form.seen(),
                                         form.delivery(), request.user, accept_now=form.cleaned_data["accept_now"])
        except Refusal as error:
            add_case_error(form, error)
        else:
            _link_ticket(request, ticket, case)
            accepted = case.state == CaseState.ACCEPTED
            messages.success(request, f"已受理，受理编号 {case.receipt_number}。" if accepted else
                             f"已登记，受理编号 {case.receipt_number}；材料或表单不全，请一次告知补正。")
            return redirect("services:window_case", case_id=case.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "services/intake_form.html", {"bundle": bundle, "form": form, "ticket": ticket},
                  status=status)


def _receipt_data(case: Case) -> receipt.ReceiptData:
    specs = {spec.code: spec for spec in definitions.definition_of(case.bundle).items}
    subs = list(case.sub_cases.select_related("item", "department").order_by("pk"))
    if subs:
        items = tuple(receipt.ReceiptItem(s.item.name, s.department.name, s.item.promised_limit_days
                                          if s.item.code not in specs else specs[s.item.code].promised_limit_days,
                                          s.item.instant) for s in subs)
    else:
        names = dict(Department.objects.values_list("code", "name"))
        items = tuple(receipt.ReceiptItem(spec.name, names.get(spec.department, spec.department),
                                          spec.promised_limit_days, spec.instant)
                      for spec in bundles.applicable_items(list(specs.values()), case.form_data))
    first = case.events.order_by("at", "pk").first()
    delivery = str(DeliveryMethod(case.delivery_method).label)
    if case.delivery_method == DeliveryMethod.POSTAL:
        delivery = f"{delivery}（{case.postal_address}，收件人 {case.postal_recipient}）"
    open_states = (CaseState.SUBMITTED, CaseState.CORRECTION)
    return receipt.ReceiptData(
        receipt_number=case.receipt_number, query_code=case.query_code, bundle_name=case.bundle.name,
        applicant_name=case.applicant_name, applicant_identifier=case.applicant_identifier,
        submitted_at=case.submitted_at, state_label=CASE_LABELS[CaseState(case.state)],
        office=f"{case.region.name}政务服务中心", window=str(case.window) if case.window else "",
        clerk=first.by_name if first else "", items=items,
        materials=tuple(receipt.ReceiptMaterial(m.name, bool(m.file), m.seen_in_original)
                        for m in case.materials.order_by("code")),
        delivery=delivery, expected_end=max((s.due_on for s in subs), default=None),
        missing=tuple(cases.missing_for(case)) if case.state in open_states else ())


@route(get=P.SERVICES_CERTIFICATE_PRINT)
def receipt_pdf(request: HttpRequest, case_id: int) -> HttpResponse:
    """The 受理回执 of a case (PDF), printed for the applicant at the window."""
    case = get_object_or_404(scope_queryset(Case.objects.select_related("bundle", "region", "window"), request.user),
                             pk=case_id)
    response = HttpResponse(receipt.render_receipt(_receipt_data(case)), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{case.receipt_number}-receipt.pdf"'
    return response


# --- 即办 at the window ------------------------------------------------------------------------------------------


class InstantApproveForm(forms.Form):
    opinion = forms.CharField(label="审批意见", initial="经审核符合条件，准予许可（窗口即办）",
                              widget=forms.Textarea(attrs={"rows": 2}))
    licence_number = forms.CharField(label="证照/备案编号", max_length=64)
    valid_until = params.DayField(label="有效期至（可不填）", required=False)


class InstantRefuseForm(forms.Form):
    opinion = forms.CharField(label="不予许可理由", widget=forms.Textarea(attrs={"rows": 2}))


def instant_forms(sub: SubCase, data: Any = None, action: str = "") -> dict[str, forms.Form]:
    return {"approve": InstantApproveForm(data if action == "approve" else None, prefix=f"ia{sub.pk}"),
            "refuse": InstantRefuseForm(data if action == "refuse" else None, prefix=f"ir{sub.pk}")}


def _window_sub_case(request: HttpRequest, sub_case_id: int) -> SubCase:
    subs = scope_queryset(SubCase.objects.select_related("case__bundle", "case__region", "item", "department"),
                          request.user)
    return get_object_or_404(subs, pk=sub_case_id)


@route(get=P.SERVICES_INSTANT_DECIDE, post=P.SERVICES_INSTANT_DECIDE)
def instant_decide(request: HttpRequest, sub_case_id: int) -> HttpResponse:
    """即办: approve (``action=approve``) or refuse (``action=refuse``) a sub-case at the window, then the case page."""
    sub = _window_sub_case(request, sub_case_id)
    action = params.parse(request.POST, {"action": params.Choice(["approve", "refuse"], default="approve")})["action"]
    available = instant_forms(sub, request.POST or None, action)
    status = 200
    if request.method == "POST":
        form = available[action]
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                instant.decide(sub, request.user, action == "approve", data["opinion"],
                               data.get("licence_number", ""), data.get("valid_until"))
            except Refusal as error:
                for message in refuse(form, error):
                    messages.error(request, message)
            else:
                outcome = "准予许可" if action == "approve" else "不予许可"
                messages.success(request, f"{sub.item.name}已窗口即办：{outcome}。")
                return redirect("services:window_case", case_id=sub.case_id)
    return render(request, "services/instant.html", {
        "sub": sub, "case": sub.case, "forms": available, "state_label": SUB_CASE_LABELS[SubCaseState(sub.state)],
        "inspection": inspection_context(sub, request.user)}, status=status)


# --- 现场勘察 ------------------------------------------------------------------------------------------------


class InspectionForm(forms.Form):
    inspectors = forms.CharField(label="勘察人员", max_length=128)
    inspected_at = params.MomentField(label="勘察时间", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    result = forms.ChoiceField(label="勘察结论", choices=[("", "—")] + list(InspectionResult.choices))
    findings = forms.CharField(label="勘察记录", widget=forms.Textarea(attrs={"rows": 3}))


def inspection_context(sub: SubCase, user: Any, form: forms.Form | None = None) -> dict[str, Any] | None:
    """The inspection of ``sub`` for a page: the record, its due day and overdue flag, and the form when open."""
    record = inspection.inspection_of(sub)
    if record is None:
        return None
    state = inspection.status(record, workdays.today_in_shanghai())
    may = (sub.state in inspection.OPEN_STATES and access.allows(user, P.SERVICES_INSPECTION_RECORD)
           and inspection.may_record(user, sub.department))
    return {"record": record, "status": state, "sub": sub,
            "form": (form or InspectionForm(prefix=f"insp{sub.pk}")) if may else None}


def _inspection_sub_case(request: HttpRequest, sub_case_id: int) -> SubCase:
    subs = scope_queryset(SubCase.objects.select_related("case__bundle", "case__region", "item", "department"),
                          request.user)
    if not getattr(request.user, "is_superuser", False):
        subs = subs.filter(Q(department__reviewers=request.user) | Q(department__window_delegates=request.user))
    return get_object_or_404(subs.distinct(), pk=sub_case_id, inspection__isnull=False)


@route(get=P.SERVICES_INSPECTION_RECORD, post=P.SERVICES_INSPECTION_RECORD)
def inspection_record(request: HttpRequest, sub_case_id: int) -> HttpResponse:
    """The site inspection of a sub-case; POST records it (``?back=window`` returns to the window's case page)."""
    sub = _inspection_sub_case(request, sub_case_id)
    back = params.query(request, "back", params.Choice(["window", "inbox"], default="inbox"))
    form = InspectionForm(request.POST or None, prefix=f"insp{sub.pk}")
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                inspection.record(sub, request.user, data["inspectors"], data["inspected_at"], data["result"],
                                  data["findings"])
            except Refusal as error:
                for message in refuse(form, error):
                    messages.error(request, message)
            else:
                messages.success(request, "已记录现场勘察。")
                if back == "window":
                    return redirect("services:window_case", case_id=sub.case_id)
                return redirect("services:inbox_sub_case", sub_case_id=sub.pk)
    return render(request, "services/inspection.html", {
        "sub": sub, "case": sub.case, "back": back, "inspection": inspection_context(sub, request.user, form)},
        status=status)


def window_sub_cases(case: Case, user: Any) -> list[dict[str, Any]]:
    """The window page's sub-case rows: state, inspection, and the 即办 forms the clerk may use now."""
    rows = []
    for sub in case.sub_cases.select_related("case", "item", "department").order_by("pk"):
        rows.append({"sub": sub, "label": SUB_CASE_LABELS[SubCaseState(sub.state)],
                     "inspection": inspection_context(sub, user),
                     "instant": instant_forms(sub) if instant.decidable(sub, user) else None})
    return rows
