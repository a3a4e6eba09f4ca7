"""The hall's back office: window management (窗口管理) and the 咨询导办 log (list, record, link to a case)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from changji.core import params
from changji.core.access import P
from changji.core.guards import route
from changji.core.models import Region, RegionLevel, User
from changji.core.scope import scope_queryset
from changji.core.web_forms import field_of, refuse
from changji.services import consultations, queue, windows
from changji.services.catalogue import current_bundles
from changji.services.consultations import ConsultationError, ConsultationIn, mask_phone
from changji.services.models import Case, Consultation, QueueTicket, ServiceWindow
from changji.services.queue import SERVICE_TYPE_LABELS
from changji.services.web.queue import XLSX, span
from changji.services.windows import WindowError, WindowIn

PAGE_SIZE = 50


# --- windows ----------------------------------------------------------------------------------------------------


class WindowForm(forms.Form):
    region = forms.ModelChoiceField(label="区划", queryset=Region.objects.none())
    number = forms.IntegerField(label="窗口号", min_value=1, max_value=999)
    name = forms.CharField(label="窗口名称", max_length=64)
    service_types = forms.MultipleChoiceField(label="受理类别", choices=list(SERVICE_TYPE_LABELS.items()),
                                              widget=forms.CheckboxSelectMultiple)
    clerks = forms.ModelMultipleChoiceField(label="窗口人员", queryset=User.objects.none(), required=False,
                                            widget=forms.CheckboxSelectMultiple)
    active = forms.BooleanField(label="启用", required=False, initial=True)

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regions = scope_queryset(Region.objects.filter(level__gte=RegionLevel.COUNTY,
                                                       level__lte=RegionLevel.TOWNSHIP), user).order_by("code")
        field_of(self, "region", forms.ModelChoiceField).queryset = regions
        field_of(self, "clerks", forms.ModelMultipleChoiceField).queryset = windows.clerk_candidates(
            scope_queryset(User.objects.select_related("region"), user))


def _window_in(form: WindowForm) -> WindowIn:
    data = form.cleaned_data
    return WindowIn(region=data["region"], number=data["number"], name=data["name"],
                    service_types=list(data["service_types"]), clerks=list(data["clerks"]), active=data["active"])


def _save(request: HttpRequest, form: WindowForm, window: ServiceWindow | None) -> ServiceWindow | None:
    if not form.is_valid():
        return None
    try:
        return windows.save_window(_window_in(form), request.user, window)
    except WindowError as error:
        refuse(form, error)
        return None


def _scoped_windows(request: HttpRequest) -> Any:
    return scope_queryset(ServiceWindow.objects.select_related("region").prefetch_related("clerks"), request.user)


@route(get=P.SERVICES_CENTRE_MANAGE, post=P.SERVICES_CENTRE_MANAGE)
def admin_windows(request: HttpRequest) -> HttpResponse:
    """The windows of the user's region and a form for a new one."""
    form = WindowForm(request.user, request.POST or None)
    if request.method == "POST":
        saved = _save(request, form, None)
        if saved is not None:
            messages.success(request, f"已新增 {saved}")
            return redirect("services:admin_windows")
    rows = _scoped_windows(request).order_by("region", "number")
    return render(request, "services/admin_windows.html", {
        "windows": [(w, [SERVICE_TYPE_LABELS.get(t, t) for t in w.service_types]) for w in rows], "form": form},
        status=400 if request.method == "POST" else 200)


@route(get=P.SERVICES_CENTRE_MANAGE, post=P.SERVICES_CENTRE_MANAGE)
def admin_window(request: HttpRequest, window_id: int) -> HttpResponse:
    """Change one window: its number, name, service types, clerks, whether it is in use."""
    window = get_object_or_404(_scoped_windows(request), pk=window_id)
    initial = {"region": window.region, "number": window.number, "name": window.name,
               "service_types": window.service_types, "clerks": list(window.clerks.all()), "active": window.active}
    form = WindowForm(request.user, request.POST or None, initial=initial)
    if request.method == "POST":
        if _save(request, form, window) is not None:
            messages.success(request, f"已保存 {window}")
            return redirect("services:admin_windows")
    return render(request, "services/admin_window.html", {"window": window, "form": form},
                  status=400 if request.method == "POST" else 200)


# --- consultations ---------------------------------------------------------------------------------------------


def _scoped_consultations(request: HttpRequest) -> Any:
    return scope_queryset(Consultation.objects.select_related("clerk", "window", "ticket", "case"), request.user)


@route(get=P.SERVICES_CONSULTATION_RECORD)
def consultation_list(request: HttpRequest) -> HttpResponse:
    """The 咨询导办 log: by day range, topic and clerk, paged; ``?format=xlsx`` exports it (phones masked)."""
    first, last, error = span(request)
    chosen = params.parse(request.GET, {"topic": params.Text(max_length=64, default=""),
                                        "clerk": params.Id(default=None),
                                        "page": params.Page(default=1)})
    rows = consultations.filtered(_scoped_consultations(request), first=first, last=last, topic=chosen["topic"],
                                  clerk_id=chosen["clerk"])
    if error:
        rows = rows.none()
    if not error and params.query(request, "format", params.Choice(["html", "xlsx"], default="html")) == "xlsx":
        response = HttpResponse(consultations.to_xlsx(rows[:20000]), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="consultations-{first}-{last}.xlsx"'
        return response
    page = Paginator(rows, PAGE_SIZE).get_page(chosen["page"])
    clerk_ids = _scoped_consultations(request).exclude(clerk=None).values("clerk")
    return render(request, "services/consultations.html", {
        "page": page, "rows": [(c, mask_phone(c.visitor_phone)) for c in page], "first": first, "last": last,
        "topic": chosen["topic"], "clerk": chosen["clerk"], "error": error,
        "clerks": User.objects.filter(pk__in=clerk_ids).order_by("username"),
        "query": _query(first, last, chosen)},
        status=400 if error else 200)


def _query(first: Any, last: Any, chosen: dict[str, Any]) -> str:
    values = {"first": first, "last": last, "topic": chosen["topic"], "clerk": chosen["clerk"] or ""}
    return urlencode({k: v for k, v in values.items() if v})


class ConsultationForm(forms.Form):
    topic = forms.CharField(label="咨询事项", max_length=128)
    bundle_code = forms.ChoiceField(label="咨询的一件事（可选）", required=False)
    visitor_name = forms.CharField(label="来访人（可选）", max_length=64, required=False)
    visitor_phone = forms.CharField(label="联系电话（可选）", max_length=20, required=False)
    question = forms.CharField(label="咨询内容", max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    guidance = forms.CharField(label="答复与导办", max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    ticket = params.IdField(required=False, widget=forms.HiddenInput)

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bundles = scope_queryset(current_bundles(timezone.localdate()), user).order_by("code")
        field_of(self, "bundle_code", forms.ChoiceField).choices = [("", "（不涉及具体一件事）")] + [
            (b.code, f"{b.code} {b.name}") for b in bundles]


def _record(request: HttpRequest, form: ConsultationForm) -> Consultation:
    user = request.user
    data = form.cleaned_data
    window = queue.windows_of(user).first()
    ticket = None
    if data.get("ticket"):
        ticket = scope_queryset(QueueTicket.objects.all(), user).filter(pk=data["ticket"]).first()
        if ticket is None:
            raise ConsultationError("ticket", "未找到该排队号")
    region = ticket.region if ticket else window.region if window else getattr(user, "region", None)
    if region is None:
        raise ConsultationError("topic", "账号未绑定区划，不能登记咨询")
    if window is not None and window.region_id != region.pk:
        window = None
    return consultations.record(region, user, ConsultationIn(
        topic=data["topic"], question=data["question"], guidance=data["guidance"], bundle_code=data["bundle_code"],
        visitor_name=data["visitor_name"], visitor_phone=data["visitor_phone"]), window=window, ticket=ticket)


@route(get=P.SERVICES_CONSULTATION_RECORD, post=P.SERVICES_CONSULTATION_RECORD)
def consultation_record(request: HttpRequest) -> HttpResponse:
    """Record a consultation (from the console: ``?ticket=<id>`` fills in the ticket it came from)."""
    ticket = params.query(request, "ticket", params.Id(default=None))
    form = ConsultationForm(request.user, request.POST or None, initial={"ticket": ticket})
    if request.method == "POST" and form.is_valid():
        try:
            consultation = _record(request, form)
        except ConsultationError as error:
            refuse(form, error)
        else:
            messages.success(request, "已登记咨询导办记录")
            return redirect("services:consultation", consultation_id=consultation.pk)
    return render(request, "services/consultation_form.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


class LinkForm(forms.Form):
    receipt_number = forms.CharField(label="受理编号", max_length=32)


@route(get=P.SERVICES_CONSULTATION_RECORD, post=P.SERVICES_CONSULTATION_RECORD)
def consultation_detail(request: HttpRequest, consultation_id: int) -> HttpResponse:
    """One consultation; POST links it to the case the visitor filed (by its receipt number)."""
    consultation = get_object_or_404(_scoped_consultations(request), pk=consultation_id)
    form = LinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        case = scope_queryset(Case.objects.all(), request.user).filter(
            receipt_number=form.cleaned_data["receipt_number"].strip()).first()
        try:
            if case is None:
                raise ConsultationError("receipt_number", "未找到该受理编号的办件")
            consultations.link_case(consultation, case, request.user)
        except ConsultationError as error:
            refuse(form, error)
        else:
            messages.success(request, f"已关联办件 {case.receipt_number}")
            return redirect("services:consultation", consultation_id=consultation.pk)
    return render(request, "services/consultation.html", {
        "c": consultation, "phone": mask_phone(consultation.visitor_phone), "form": form},
        status=400 if request.method == "POST" else 200)
