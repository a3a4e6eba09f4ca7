"""Work-order pages (运维工单): the operators' list, detail and create pages, the workers' 我的工单, the review.

Access: reading needs ``water.work_order.read``; dispatching, reviewing, returning and cancelling (POST on the
detail page) and creating need ``water.work_order.manage``; arriving, completing and photos (``…/work/`` and
``…/photos/``) need ``water.work_order.work`` and the service lets only the assignee act. Every object is looked
up within the user's scope (``core.scope``), so another county's order is a 404.
"""

from __future__ import annotations

import mimetypes
import uuid
from datetime import UTC, date, datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from changji.core import localtime, params
from changji.core.access import P, allows
from changji.core.guards import route
from changji.core.scope import scope_queryset
from changji.core.web_forms import field_of, refuse, run_action
from changji.water.models import MaintenanceContract, Meter, Well, WorkOrder, WorkOrderEvent, WorkOrderPhoto
from changji.water.orders import contractors, photos, service, states
from changji.water.orders.states import KIND_LABELS, OPEN_STATES, STATE_LABELS, State
from changji.water.web.common import counties

PAGE_SIZE = 50
MANAGE_ACTIONS = {"assign": "派单", "review": "审核通过", "return": "退回", "cancel": "撤销"}
WORK_ACTIONS = {"on_site": "到场", "done": "完成"}
UUID_PATTERN = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"


def _scoped(request: HttpRequest) -> Any:
    return scope_queryset(WorkOrder.objects.select_related("well__region", "assignee", "alarm", "meter"),
                          request.user)


# --- forms --------------------------------------------------------------------------------------------------


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=get_user_model().objects.none(), label="负责人")
    due_on = params.DayField(label="期限", required=False)
    note = forms.CharField(label="说明", required=False, max_length=500)


class NoteForm(forms.Form):
    note = forms.CharField(label="审核意见", required=False, max_length=500)


class ReturnForm(forms.Form):
    to = forms.ChoiceField(label="退回到", choices=[(State.ON_SITE.value, "已到场（重做）"),
                                                    (State.ASSIGNED.value, "已派单（改派或重新到场）")])
    reason = forms.CharField(label="退回原因", widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="撤销原因", widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)


class OnSiteForm(forms.Form):
    latitude = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    longitude = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    note = forms.CharField(label="说明", required=False, max_length=500)


def _number(label: str) -> forms.FloatField:
    return forms.FloatField(label=label, required=False, min_value=-1e9, max_value=1e9,
                            widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}))


class DoneForm(forms.Form):
    result = forms.CharField(label="处理结果", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    flow_before_m3 = _number("流量计读数（前，m³）")
    flow_after_m3 = _number("流量计读数（后，m³）")
    energy_before_kwh = _number("电表读数（前，kWh）")
    energy_after_kwh = _number("电表读数（后，kWh）")
    certificate_number = forms.CharField(label="检定证书编号", required=False, max_length=64)
    error_pct = _number("示值误差（%）")
    measured_m3 = _number("率定水量（m³）")
    measured_kwh = _number("率定电量（kWh）")


class CreateForm(forms.Form):
    kind = forms.ChoiceField(label="类型", choices=[(k.value, KIND_LABELS[k]) for k in states.CREATABLE_KINDS])
    well_code = forms.CharField(label="机井编号", max_length=32)
    meter_serial = forms.CharField(label="计量表出厂编号（检定校准）", required=False, max_length=64)
    due_on = params.DayField(label="期限")
    description = forms.CharField(label="内容", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


# --- list ---------------------------------------------------------------------------------------------------


@route(get=P.WATER_WORK_ORDER_READ)
def order_list(request: HttpRequest) -> HttpResponse:
    """The operators' list: filters kind, state (or 未完成), county, assignee, overdue; paged."""
    county_list = counties(request)
    filters = params.parse(request.GET, {
        "kind": params.Choice([k.value for k in states.Kind], default=""),
        "state": params.Choice(["open", *[s.value for s in State]], default=""),
        "county": params.Choice([c.code for c in county_list], default=""),
        "assignee": params.Id(),
        "overdue": params.Choice(["1"], default=""),
    })
    orders = filter_orders(_scoped(request), filters, county_list)
    page = Paginator(orders.order_by("due_on", "pk"), PAGE_SIZE).get_page(
        params.query(request, "page", params.Page()))
    query = request.GET.copy()
    query.pop("page", None)
    assignees = scope_queryset(service.eligible_workers_anywhere(), request.user).order_by("username")
    return render(request, "water/work_orders.html", {
        "page": page, "filters": filters, "query": query.urlencode(), "counties": county_list,
        "kinds": {k.value: v for k, v in KIND_LABELS.items()}, "states": {s.value: v for s, v in STATE_LABELS.items()},
        "assignees": assignees, "today": localtime.today(),
    })


def filter_orders(orders: Any, filters: dict[str, Any], county_list: list[Any]) -> Any:
    """Apply the list's filters (shared by the page and the API)."""
    if filters.get("kind"):
        orders = orders.filter(kind=filters["kind"])
    if filters.get("state") == "open":
        orders = orders.filter(state__in=OPEN_STATES)
    elif filters.get("state"):
        orders = orders.filter(state=filters["state"])
    if filters.get("county"):
        county = next(c for c in county_list if c.code == filters["county"])
        orders = orders.filter(well__region__path__startswith=county.path)
    if filters.get("assignee"):
        orders = orders.filter(assignee_id=filters["assignee"])
    if filters.get("overdue"):
        orders = orders.filter(state__in=OPEN_STATES, due_on__lt=localtime.today())
    return orders


# --- detail -------------------------------------------------------------------------------------------------


def _bound(action: str, name: str, data: Any) -> Any:
    return data if action == name else None


def _manage_forms(request: HttpRequest, order: WorkOrder, data: Any = None, action: str = "") -> dict[str, Any]:
    if not allows(request.user, P.WATER_WORK_ORDER_MANAGE):
        return {}
    offered: dict[str, forms.Form] = {}
    if order.state in (State.PENDING, State.ASSIGNED):
        assign = AssignForm(_bound(action, "assign", data), prefix="assign")
        field_of(assign, "assignee", forms.ModelChoiceField).queryset = scope_queryset(
            service.eligible_workers(order.well), request.user).order_by("username")
        offered["assign"] = assign
    if order.state == State.DONE:
        offered["review"] = NoteForm(_bound(action, "review", data), prefix="review")
        offered["return"] = ReturnForm(_bound(action, "return", data), prefix="return")
    if order.state in OPEN_STATES:
        offered["cancel"] = ReasonForm(_bound(action, "cancel", data), prefix="cancel")
    return offered


def _work_forms(request: HttpRequest, order: WorkOrder, data: Any = None, action: str = "") -> dict[str, Any]:
    if not service.may_work(order, request.user):
        return {}
    if order.state == State.ASSIGNED:
        return {"on_site": OnSiteForm(_bound(action, "on_site", data), prefix="on_site")}
    if order.state == State.ON_SITE:
        return {"done": DoneForm(_bound(action, "done", data), prefix="done")}
    return {}


def _apply_manage(request: HttpRequest, order: WorkOrder, action: str, form: forms.Form) -> str:
    data = form.cleaned_data
    if action == "assign":
        service.transition(order, State.ASSIGNED, request.user, assignee=data["assignee"],
                           due_on=data.get("due_on"), note=data.get("note", ""))
    elif action == "review":
        service.transition(order, State.REVIEWED, request.user, note=data.get("note", ""))
    elif action == "return":
        service.transition(order, data["to"], request.user, reason=data["reason"])
    else:
        service.transition(order, State.CANCELLED, request.user, reason=data["reason"])
    return f"工单已{MANAGE_ACTIONS[action]}"


def _context(request: HttpRequest, order: WorkOrder, manage: dict[str, Any], work: dict[str, Any]) -> dict[str, Any]:
    flow, energy = service.meters_of(order.well)
    needed = states.done_fields(order.kind, has_flow_meter=flow, has_energy_meter=energy)
    extra = {"certificate_number", "error_pct", "measured_m3", "measured_kwh"} if order.kind == "calibration" else set()
    return {
        "order": order, "manage_forms": manage, "work_forms": work, "manage_actions": MANAGE_ACTIONS,
        "work_actions": WORK_ACTIONS, "state_label": states.state_label(order.state),
        "events": scope_queryset(WorkOrderEvent.objects.filter(order=order), request.user),
        "photos": order.photos.all(), "pictures": order.pictures.all(),
        "needed": needed, "shown": {"result", *needed, *extra},
        "may_photo": service.may_work(order, request.user) and order.state in photos.PHOTO_STATES,
        "meters": scope_queryset(Meter.objects.filter(well=order.well, removed_at__isnull=True), request.user),
    }


@route(get=P.WATER_WORK_ORDER_READ, post=P.WATER_WORK_ORDER_MANAGE)
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    """The order with its history, photos and pictures; POST action=assign|review|return|cancel (dispatcher)."""
    order = get_object_or_404(_scoped(request), pk=order_id)
    action = request.POST.get("action", "")
    manage = _manage_forms(request, order, request.POST or None, action)
    status = run_action(request, manage, action, lambda form: _apply_manage(request, order, action, form),
                        (ValidationError,), refused="当前状态下不能进行该操作")
    if status is None:
        return redirect("water:work_order", order_id=order.pk)
    return render(request, "water/work_order.html", _context(request, order, manage, _work_forms(request, order)),
                  status=status)


def _done_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = {name: data.get(name) for name in service.DONE_FIELDS}
    fields["result"] = data["result"]
    return fields


@route(post=P.WATER_WORK_ORDER_WORK)
def order_work(request: HttpRequest, order_id: int) -> HttpResponse:
    """The assignee's steps: POST action=on_site|done (from the detail page or 我的工单); back to ``next``."""
    order = get_object_or_404(_scoped(request), pk=order_id)
    back = params.parse(request.POST, {"next": params.LocalPath()})["next"]
    action = request.POST.get("action", "")
    work = _work_forms(request, order, request.POST, action)

    def apply(form: forms.Form) -> str:
        data = form.cleaned_data
        if action == "on_site":
            service.transition(order, State.ON_SITE, request.user, latitude=data.get("latitude"),
                               longitude=data.get("longitude"), note=data.get("note", ""))
        else:
            service.transition(order, State.DONE, request.user, **_done_fields(data))
        return f"工单已{WORK_ACTIONS[action]}"

    refused = "当前状态下不能进行该操作" if service.may_work(order, request.user) else "只有工单负责人可以办理该工单"
    status = run_action(request, work, action, apply, (ValidationError,), refused=refused)
    if status is None:
        return HttpResponseRedirect(back) if back else redirect("water:work_order", order_id=order.pk)
    phone = bool(back and back.startswith(reverse("water:my_orders")))
    template = "water/my_order.html" if phone else "water/work_order.html"
    context = _context(request, order, _manage_forms(request, order), work)
    return render(request, template, {**context, "next": back}, status=status)


@route(post=P.WATER_WORK_ORDER_WORK)
def order_photo(request: HttpRequest, order_id: int) -> HttpResponse:
    """Upload one photo (multipart: client_id, photo, taken_at_ms, latitude, longitude); idempotent per client_id.

    Answers JSON (201 new, 200 already stored) to the page's script (``Accept: application/json``), else
    redirects back to ``next`` with a message.
    """
    order = get_object_or_404(_scoped(request), pk=order_id)
    values = params.parse(request.POST, {
        "client_id": params.Code(UUID_PATTERN, "UUID"),
        "taken_at_ms": params.Int(0, 10**14),
        "latitude": params.Number(-90, 90), "longitude": params.Number(-180, 180),
        "next": params.LocalPath(),
    })
    wants_json = "application/json" in request.headers.get("Accept", "")
    upload = request.FILES.get("photo")
    try:
        if upload is None:
            raise ValidationError({"photo": "请选择照片"})
        photos.check_photo_size(upload.size)
        client_id = uuid.UUID(values["client_id"]) if values["client_id"] else uuid.uuid4()
        taken_at = (datetime.fromtimestamp(values["taken_at_ms"] / 1000, tz=UTC)
                    if values["taken_at_ms"] is not None else None)
        photo, created = photos.add_photo(order, request.user, client_id=client_id, data=upload.read(),
                                          name=upload.name or "photo.jpg", taken_at=taken_at,
                                          latitude=values["latitude"], longitude=values["longitude"])
    except ValidationError as error:
        if wants_json:
            return JsonResponse({"detail": "；".join(error.messages)}, status=400)
        messages.error(request, "；".join(error.messages))
        return HttpResponseRedirect(values["next"] or reverse("water:work_order", args=[order.pk]))
    if wants_json:
        return JsonResponse({"id": str(photo.pk), "client_id": str(photo.client_id), "created": created},
                            status=201 if created else 200)
    messages.success(request, "照片已上传" if created else "照片已上传过")
    return HttpResponseRedirect(values["next"] or reverse("water:work_order", args=[order.pk]))


@route(get=P.WATER_WORK_ORDER_READ)
def order_photo_image(request: HttpRequest, order_id: int, order_photo_id: uuid.UUID) -> FileResponse:
    """One photo of an order in the user's scope (media files are not served directly; 404 otherwise)."""
    order = get_object_or_404(_scoped(request), pk=order_id)
    photo = get_object_or_404(scope_queryset(WorkOrderPhoto.objects.filter(order=order), request.user),
                              pk=order_photo_id)
    try:
        handle = photo.image.open("rb")
    except (FileNotFoundError, ValueError) as error:
        raise Http404("照片文件不存在") from error
    content_type = mimetypes.guess_type(photo.image.name or "")[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type if content_type.startswith("image/") else
                            "application/octet-stream")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@route(get=P.WATER_WORK_ORDER_MANAGE, post=P.WATER_WORK_ORDER_MANAGE)
def order_new(request: HttpRequest) -> HttpResponse:
    """Open a repair, installation or calibration order (待派单) on a well in the user's scope."""
    form = CreateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                order = _create(request, form.cleaned_data)
            except ValidationError as error:
                refuse(form, error)
            else:
                messages.success(request, "工单已创建")
                return redirect("water:work_order", order_id=order.pk)
    return render(request, "water/work_order_new.html", {"form": form}, status=status)


def _create(request: HttpRequest, data: dict[str, Any]) -> WorkOrder:
    well = scope_queryset(Well.objects.select_related("region"), request.user).filter(code=data["well_code"]).first()
    if well is None:
        raise ValidationError({"well_code": "机井不存在或不在您的管辖范围内"})
    meter = None
    if data.get("meter_serial"):
        meter = Meter.objects.filter(well=well, serial=data["meter_serial"], removed_at__isnull=True).first()
        if meter is None:
            raise ValidationError({"meter_serial": "该机井没有这块在用的计量表"})
    return service.create(well=well, kind=data["kind"], by=request.user, due_on=data["due_on"],
                          description=data["description"], meter=meter)


# --- 我的工单 -----------------------------------------------------------------------------------------------


def my_open_orders(user: Any, position: tuple[float, float] | None, today: date) -> list[dict[str, Any]]:
    """The worker's open orders: due today or overdue first, then by distance from ``position`` (else due day)."""
    orders = scope_queryset(WorkOrder.objects.filter(assignee=user, state__in=OPEN_STATES)
                            .select_related("well"), user).annotate(
        later=Case(When(due_on__gt=today, then=Value(1)), default=Value(0), output_field=IntegerField()))
    rows = []
    for order in orders:
        distance = (states.haversine_m(position[0], position[1], order.well.latitude, order.well.longitude)
                    if position else None)
        rows.append({"order": order, "distance_m": distance, "later": order.later,
                     "distance_km": None if distance is None else distance / 1000,
                     "overdue": order.due_on < today, "label": states.kind_label(order.kind),
                     "state_label": states.state_label(order.state)})
    rows.sort(key=lambda row: (row["later"], row["distance_m"] if position else 0, row["order"].due_on,
                               row["order"].pk))
    return rows


@route(get=P.WATER_WORK_ORDER_WORK)
def my_orders(request: HttpRequest) -> HttpResponse:
    """我的工单: the worker's open orders for the phone, nearest first when the page sent its position."""
    position = params.parse(request.GET, {"lat": params.Number(-90, 90), "lon": params.Number(-180, 180)})
    where = (position["lat"], position["lon"]) if position["lat"] is not None and position["lon"] is not None else None
    today = localtime.today()
    return render(request, "water/my_orders.html", {
        "rows": my_open_orders(request.user, where, today), "position": where, "today": today,
    })


@route(get=P.WATER_WORK_ORDER_WORK)
def my_order(request: HttpRequest, order_id: int) -> HttpResponse:
    """One of the worker's orders on the phone: arrive, photos, complete."""
    order = get_object_or_404(_scoped(request).filter(assignee=request.user), pk=order_id)
    context = _context(request, order, {}, _work_forms(request, order))
    return render(request, "water/my_order.html", {**context, "next": request.get_full_path()})


# --- 运维考核 -----------------------------------------------------------------------------------------------


def _review_rows(request: HttpRequest) -> tuple[date, list[contractors.ContractFigures]]:
    today = localtime.today()
    chosen = params.query(request, "month", params.Code(r"[0-9]{4}-[0-9]{2}", "YYYY-MM 月份"))
    try:
        month = date.fromisoformat(f"{chosen}-01") if chosen else today.replace(day=1)
    except ValueError as error:
        raise params.ParamError("month", "应为有效的 YYYY-MM 月份") from error
    if not params.FIRST_YEAR <= month.year <= params.LAST_YEAR:
        raise params.ParamError("month", "月份超出范围")
    contracts = scope_queryset(MaintenanceContract.objects.all(), request.user)
    return month, contractors.month_rows(contracts, month, today)


@route(get=P.WATER_WORK_ORDER_READ)
def contract_review(request: HttpRequest) -> HttpResponse:
    """运维考核: each contractor's figures per county for a month (``month=YYYY-MM``, default this month)."""
    month, rows = _review_rows(request)
    return render(request, "water/work_order_review.html", {"month": month, "rows": rows})


@route(get=P.WATER_WORK_ORDER_READ)
def contract_review_export(request: HttpRequest) -> HttpResponse:
    """The contract review as an XLSX."""
    month, rows = _review_rows(request)
    response = HttpResponse(contractors.workbook(rows),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="om-review-{month:%Y-%m}.xlsx"'
    return response

