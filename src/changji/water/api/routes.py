"""The water app's JSON API (``/api/water/``): wells, terminals, readings, usage, quotas, alarms, commands, KPIs.

Every operation declares its permission of ``core.access`` (``core.guards.operation``: 403 without it), and
every query goes through ``core.scope.scope_queryset`` with ``request.user``: an object outside the user's
region is a 404, exactly as if it did not exist. Changes go through the services
(``alarms.transition_alarm``, ``commands.queue_command``/``cancel_command``), which raise Django's
ValidationError keyed by the field at fault (a 400, see ``changji.api``). Schemas live in ``water.api.schemas``,
the types every app's API shares (ids, text, paging) in ``core.api_schemas``.
"""

from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, TypeVar
from uuid import UUID

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from ninja import Query, Router, Status
from ninja.pagination import paginate

from changji.core.access import P
from changji.core.api_schemas import Id, Pagination, Text
from changji.core.guards import operation
from changji.core.localtime import local_day
from changji.core.models import Region
from changji.core.params import FIRST_YEAR, LAST_YEAR
from changji.core.regions import root_region
from changji.core.scope import scope_queryset, user_can_access_region
from changji.water.alarms.service import transition_alarm
from changji.water.api.exchange import router as exchange_router
from changji.water.api.groundwater import router as groundwater_router
from changji.water.api.kpi_targets import router as kpi_targets_router
from changji.water.api.licences import router as licences_router
from changji.water.api.norms import router as norms_router
from changji.water.api.pictures import router as pictures_router
from changji.water.api.plans import router as plans_router
from changji.water.api.profiles import router as profiles_router
from changji.water.api.quota_controls import router as quota_controls_router
from changji.water.api.schemas import (
    AlarmOut,
    AlarmTransitionIn,
    AllocationOut,
    CancelIn,
    CommandIn,
    CommandOut,
    DailyUsageOut,
    KpiOut,
    QuotaRowOut,
    ReadingOut,
    TerminalOut,
    WellOut,
)
from changji.water.api.tax import router as tax_router
from changji.water.api.work_orders import router as work_orders_router
from changji.water.downlink import cancel_command, queue_command
from changji.water.kpi.terminal_days import kpi_figures
from changji.water.models import Alarm, Allocation, Command, DailyUsage, Reading, Terminal, Well, WellKind, WellUse
from changji.water.quotas.sweep import quota_overview
from changji.water.reports import build_report, to_csv, to_xlsx

router = Router(tags=["water"])
router.add_router("", quota_controls_router)
router.add_router("", tax_router)  # 水资源税 (water.api.tax)
M = TypeVar("M", bound=Model)

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _scoped(request: HttpRequest, queryset: QuerySet[M]) -> QuerySet[M]:
    return scope_queryset(queryset, request.user)


def _choice(field: str, value: str | None, choices: list[str]) -> str | None:
    if value is not None and value not in choices:
        raise ValidationError({field: f"取值应为 {', '.join(choices)} 之一"})
    return value


def _utc(value: datetime | None) -> datetime | None:
    """Take a naive query time as UTC."""
    return value.replace(tzinfo=UTC) if value is not None and timezone.is_naive(value) else value


def _in_range(name: str, value: date | datetime | None) -> None:
    """Refuse days outside the years the platform can store and convert between time zones."""
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError({name: f"年份应在 {FIRST_YEAR} 到 {LAST_YEAR} 之间"})


def _ordered_span(first_name: str, first: Any, last_name: str, last: Any) -> None:
    """Check both bounds lie in range and ``last`` is not before ``first`` (the fault is ``last``'s)."""
    _in_range(first_name, first)
    _in_range(last_name, last)
    if first is not None and last is not None and last < first:
        raise ValidationError({last_name: f"{last_name} 不能早于 {first_name}"})


def _today() -> date:
    return local_day(timezone.now())


def _user_region(request: HttpRequest) -> Region | None:
    """The user's own region; the instance's root for a superuser without one; None for an account without scope."""
    region = getattr(request.user, "region", None)
    if region is None and getattr(request.user, "is_superuser", False):
        return root_region()
    return region


def _region_in_scope(request: HttpRequest, code: str | None) -> Region:
    """Return the region ``code`` (default: the user's) when it lies within the user's scope, else 404."""
    region = _user_region(request) if code is None else Region.objects.filter(code=code).first()
    if region is None or not user_can_access_region(request.user, region):
        raise Http404("区划不存在")
    return region


# --- registry ---------------------------------------------------------------------------------------


@router.get("/wells", response=list[WellOut])
@paginate(Pagination)
@operation(P.WATER_MONITOR_READ)
def list_wells(request: HttpRequest, region: Text | None = None, kind: Text | None = None,
               use: Text | None = None, q: Text | None = None) -> QuerySet[Well]:
    """Wells within the user's region; ``region`` is a region code prefix, ``q`` searches code and name."""
    wells = _scoped(request, Well.objects.all())
    if region:
        wells = wells.filter(region__code__startswith=region)
    if _choice("kind", kind, WellKind.values):
        wells = wells.filter(kind=kind)
    if _choice("use", use, WellUse.values):
        wells = wells.filter(use=use)
    if q:
        wells = wells.filter(Q(code__icontains=q) | Q(name__icontains=q))
    return wells.order_by("code")


@router.get("/wells/{well_id}", response=WellOut)
@operation(P.WATER_MONITOR_READ)
def get_well(request: HttpRequest, well_id: Id) -> Well:
    """One well."""
    return get_object_or_404(_scoped(request, Well.objects.all()), pk=well_id)


@router.get("/terminals", response=list[TerminalOut])
@paginate(Pagination)
@operation(P.WATER_MONITOR_READ)
def list_terminals(request: HttpRequest) -> QuerySet[Terminal]:
    """Terminals within the user's region."""
    return _scoped(request, Terminal.objects.all()).order_by("address", "pk")


@router.get("/terminals/{terminal_id}", response=TerminalOut)
@operation(P.WATER_MONITOR_READ)
def get_terminal(request: HttpRequest, terminal_id: Id) -> Terminal:
    """One terminal."""
    return get_object_or_404(_scoped(request, Terminal.objects.all()), pk=terminal_id)


@router.get("/wells/{well_id}/readings", response=list[ReadingOut])
@paginate(Pagination)
@operation(P.WATER_MONITOR_READ)
def list_readings(request: HttpRequest, well_id: Id, start: datetime | None = None,
                  end: datetime | None = None) -> QuerySet[Reading]:
    """The readings of a well's terminals with start <= observed_at < end, oldest first."""
    well = get_object_or_404(_scoped(request, Well.objects.all()), pk=well_id)
    start, end = _utc(start), _utc(end)
    _ordered_span("start", start, "end", end)
    readings = _scoped(request, Reading.objects.filter(terminal__well=well))
    if start is not None:
        readings = readings.filter(observed_at__gte=start)
    if end is not None:
        readings = readings.filter(observed_at__lt=end)
    return readings.order_by("observed_at", "terminal_id")


@router.get("/wells/{well_id}/daily-usage", response=list[DailyUsageOut])
@paginate(Pagination)
@operation(P.WATER_MONITOR_READ)
def list_daily_usage(request: HttpRequest, well_id: Id, first: date | None = None,
                     last: date | None = None) -> QuerySet[DailyUsage]:
    """A well's daily use over local days first..last (both included), oldest first."""
    well = get_object_or_404(_scoped(request, Well.objects.all()), pk=well_id)
    _ordered_span("first", first, "last", last)
    rows = _scoped(request, DailyUsage.objects.filter(well=well))
    if first is not None:
        rows = rows.filter(day__gte=first)
    if last is not None:
        rows = rows.filter(day__lte=last)
    return rows.order_by("day")


# --- quotas -----------------------------------------------------------------------------------------


@router.get("/quotas", response=list[QuotaRowOut])
@operation(P.WATER_MONITOR_READ)
def quotas(request: HttpRequest, year: int | None = Query(None, ge=FIRST_YEAR, le=LAST_YEAR)) -> list[dict[str, Any]]:
    """Per-county allocation and use in ``year`` (default: this year) within the user's region."""
    region = _user_region(request)
    if region is None:
        return []
    today = _today()
    return quota_overview(year or today.year, today, region)


@router.get("/allocations", response=list[AllocationOut])
@paginate(Pagination)
@operation(P.WATER_MONITOR_READ)
def list_allocations(request: HttpRequest,
                     year: int | None = Query(None, ge=FIRST_YEAR, le=LAST_YEAR)) -> QuerySet[Allocation]:
    """Allocations within the user's region, with the amount in force and the use so far this year."""
    allocations = _scoped(request, Allocation.objects.all())
    if year is not None:
        allocations = allocations.filter(year=year)
    return allocations.order_by("-year", "pk")


# --- alarms -----------------------------------------------------------------------------------------


@router.get("/alarms", response=list[AlarmOut])
@paginate(Pagination)
@operation(P.WATER_ALARM_READ)
def list_alarms(request: HttpRequest, state: Text | None = None, kind: Text | None = None,
                severity: Text | None = None) -> QuerySet[Alarm]:
    """Alarms within the user's region, newest first."""
    alarms = _scoped(request, Alarm.objects.all())
    for name, value in (("state", state), ("kind", kind), ("severity", severity)):
        if value:
            alarms = alarms.filter(**{name: value})
    return alarms.order_by("-raised_at", "pk")


@router.get("/alarms/{alarm_id}", response=AlarmOut)
@operation(P.WATER_ALARM_READ)
def get_alarm(request: HttpRequest, alarm_id: UUID) -> Alarm:
    """One alarm."""
    return get_object_or_404(_scoped(request, Alarm.objects.all()), pk=alarm_id)


@router.post("/alarms/{alarm_id}/transition", response=AlarmOut)
@operation(P.WATER_ALARM_TRANSITION)
def alarm_transition(request: HttpRequest, alarm_id: UUID, body: AlarmTransitionIn) -> Alarm:
    """Move an alarm (acknowledge, assign, resolve, dismiss) with the fields the new state requires."""
    alarm = get_object_or_404(_scoped(request, Alarm.objects.all()), pk=alarm_id)
    fields: dict[str, Any] = {}
    for name in ("note", "result", "evidence", "reason"):
        if getattr(body, name) is not None:
            fields[name] = getattr(body, name)
    if body.assignee_id is not None:
        assignee = _scoped(request, get_user_model().objects.filter(pk=body.assignee_id, is_active=True)).first()
        if assignee is None:
            raise ValidationError({"assignee_id": "核查人员不存在或不在本辖区"})
        fields["assignee"] = assignee
    if body.due is not None:
        fields["due"] = _parse_due(body.due)
    return transition_alarm(alarm, body.to, by=request.user, **fields)


def _parse_due(value: str) -> datetime | date:
    """Parse ``due``: an ISO 8601 datetime (with offset) or a date."""
    try:
        parsed = parse_date(value) or parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValidationError({"due": "完成时限应为 ISO 8601 日期或时间"})
    _in_range("due", parsed)
    return parsed


# --- commands ---------------------------------------------------------------------------------------


@router.get("/commands", response=list[CommandOut])
@paginate(Pagination)
@operation(P.WATER_COMMAND_READ)
def list_commands(request: HttpRequest, state: Text | None = None,
                  terminal_id: Id | None = None) -> QuerySet[Command]:
    """Commands within the user's region, newest first."""
    commands = _scoped(request, Command.objects.all())
    if state:
        commands = commands.filter(state=state)
    if terminal_id is not None:
        commands = commands.filter(terminal_id=terminal_id)
    return commands.order_by("-created_at", "pk")


@router.get("/commands/{command_id}", response=CommandOut)
@operation(P.WATER_COMMAND_READ)
def get_command(request: HttpRequest, command_id: UUID) -> Command:
    """One command."""
    return get_object_or_404(_scoped(request, Command.objects.all()), pk=command_id)


@router.post("/commands", response={201: CommandOut})
@operation(P.WATER_COMMAND_SEND)
def create_command(request: HttpRequest, body: CommandIn) -> Status:
    """Queue a command for a terminal; it is sent after the terminal's next uplink. Audited."""
    terminal = get_object_or_404(_scoped(request, Terminal.objects.all()), pk=body.terminal_id)
    return Status(201, queue_command(terminal, body.kind, body.reason, by=request.user, params=body.params))


@router.post("/commands/{command_id}/cancel", response=CommandOut)
@operation(P.WATER_COMMAND_SEND)
def cancel(request: HttpRequest, command_id: UUID, body: CancelIn) -> Command:
    """Cancel a command that has not ended. Audited."""
    command = get_object_or_404(_scoped(request, Command.objects.all()), pk=command_id)
    return cancel_command(command, by=request.user, reason=body.reason)


# --- KPIs and reports -------------------------------------------------------------------------------


@router.get("/kpis", response=KpiOut)
@operation(P.WATER_MONITOR_READ)
def kpis(request: HttpRequest, region: Text | None = None, first: date | None = None,
         last: date | None = None) -> dict[str, Any]:
    """The KPIs of ``region`` (default: the user's) over local days first..last (default: the last 30 days)."""
    _ordered_span("first", first, "last", last)
    scope = _region_in_scope(request, region)
    last = last or _today()
    first = first or last - timedelta(days=29)
    _ordered_span("first", first, "last", last)
    figures = kpi_figures(scope, first, last)
    return {"region": scope.code, "first": first, "last": last, "terminals": figures.terminals,
            "intact_rate": figures.intact_rate, "online_rate": figures.online_rate,
            "arrival_rate": figures.arrival_rate, "accuracy_rate": figures.accuracy_rate,
            "agreement_rate": figures.agreement_rate, "comm_loss_rate": figures.comm_loss_rate}


@router.get("/reports", response={200: None}, openapi_extra={"responses": {200: {
    "description": "The report file", "content": {ctype: {} for ctype in CONTENT_TYPES.values()}}}})
@operation(P.WATER_REPORT_READ)
def report(request: HttpRequest, period: Literal["month", "quarter", "year"] = "month", at: date | None = None,
           region: Text | None = None, file_format: Literal["xlsx", "csv"] = Query("xlsx", alias="format")
           ) -> HttpResponse:
    """The month, quarter or year report containing ``at`` (default: today) of ``region``, as XLSX or CSV."""
    _in_range("at", at)
    scope = _region_in_scope(request, region)
    data = build_report(period, at or _today(), scope)
    content = to_xlsx(data) if file_format == "xlsx" else to_csv(data)
    response = HttpResponse(content, content_type=CONTENT_TYPES[file_format])
    name = f"{scope.code}-{data.period}-{data.first:%Y%m%d}-{data.last:%Y%m%d}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


router.add_router("", plans_router)  # annual plans and county targets (water.api.plans)
router.add_router("", norms_router)  # 用水定额 and 种植计划 (water.api.norms)
router.add_router("", licences_router)  # 取水许可 (water.api.licences)
router.add_router("", pictures_router)  # 现场图片 and 抓拍策略 (water.api.pictures)
router.add_router("", groundwater_router)  # 管控水位 and 超采区 (water.api.groundwater)
router.add_router("", work_orders_router)  # 运维工单 (water.api.work_orders)
router.add_router("", profiles_router)  # 规约配置, 设备批次, 规约不符 (water.api.profiles)
router.add_router("", kpi_targets_router)  # 设备建设计划 and 考核目标 (water.api.kpi_targets)
router.add_router("", exchange_router)  # 上下级数据交换 administration (water.api.exchange)
