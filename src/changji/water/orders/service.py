"""Work-order service: open, move and close work orders (运维工单), and record what closing them means.

``transition`` is the one function that moves an order. It locks the row, checks the actor against the access
policy (派单、审核、退回、撤销: ``water.work_order.manage``; 到场、完成: ``water.work_order.work``, and only the
assignee: anyone else is refused on the field ``assignee``, a 400), checks the move and its fields against ``states``
(pure), applies the fields, appends a ``WorkOrderEvent`` (who, when) and writes the audit entry
``water.work_order.<state>``. Reviewing a calibration records it on the meter (``Meter.last_calibrated_on``,
certificate, error %, a ``MeterCalibration`` row) and, when the order carries a 率定 (measured m³ and kWh), the
well's 以电折水 coefficient through ``coefficients.calibration.record_calibration``; the derived daily usage from
that day is rebuilt so the figures follow the new coefficient. Refusals are Django ``ValidationError`` keyed by
the field at fault (400 on pages and the API), permission refusals ``PermissionDenied``.

The alarm flow calls ``open_site_check`` (the alarm is assigned: a 现场核查 in 已派单) and ``complete_site_checks``
(the alarm is closed: the check is recorded on site and done with the alarm's result) as the system.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from changji.core import access, audit, localtime
from changji.core.access import P
from changji.core.models import Region, RegionLevel, Role
from changji.core.transitions import TransitionError
from changji.water.coefficients.calibration import record_calibration
from changji.water.models import (
    Meter,
    MeterCalibration,
    MeterKind,
    Well,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderKind,
    WorkOrderState,
)
from changji.water.orders import states
from changji.water.orders.states import State
from changji.water.usage.derive import rebuild_usage

#: Fields a completion may carry (beyond the table's ``result``).
DONE_FIELDS = ("flow_before_m3", "flow_after_m3", "energy_before_kwh", "energy_after_kwh", "certificate_number",
               "error_pct", "measured_m3", "measured_kwh")

SYSTEM = "system"


def _region(order: WorkOrder) -> Any:
    return order.well.region


def is_worker_move(current: str, target: str) -> bool:
    """Whether the move is the assignee's (arrive, complete) rather than the dispatcher's; a return is not."""
    return target in {State.ON_SITE, State.DONE} and current != State.DONE


def check_actor(order: WorkOrder, by: Any, current: str, target: str) -> None:
    """Refuse ``by`` unless the policy lets them make this move on this order (a system actor always may)."""
    if not hasattr(by, "is_authenticated"):
        return
    if is_worker_move(current, target):
        access.check_actor(by, P.WATER_WORK_ORDER_WORK, _region(order))
        if order.assignee_id != by.pk:  # allowed to work orders, but not this one: a refusal on its field
            raise ValidationError({"assignee": "只有工单负责人可以办理该工单"})
    else:
        access.check_actor(by, P.WATER_WORK_ORDER_MANAGE, _region(order))


def may_work(order: WorkOrder, user: Any) -> bool:
    """Whether ``user`` is the order's assignee with the right to work it (pages show the worker's forms)."""
    return order.assignee_id == getattr(user, "pk", None) and access.allows(user, P.WATER_WORK_ORDER_WORK)


def meters_of(well: Well) -> tuple[bool, bool]:
    """Whether the well has an installed flowmeter, and an installed electricity meter."""
    kinds = set(Meter.objects.filter(well=well, removed_at__isnull=True).values_list("kind", flat=True))
    return bool(kinds - {MeterKind.ELECTRICITY}), MeterKind.ELECTRICITY in kinds


def _validate(order: WorkOrder, current: str, target: str, fields: dict[str, Any]) -> None:
    flow, energy = meters_of(order.well) if target == State.DONE else (False, False)
    try:
        states.check_move(current, target, fields, kind=order.kind, has_flow_meter=flow, has_energy_meter=energy)
    except TransitionError as error:
        raise ValidationError({error.field or "state": error.message}) from error


@transaction.atomic
def transition(order: WorkOrder, to: str, by: Any, **fields: Any) -> WorkOrder:
    """Move ``order`` to ``to`` on behalf of ``by`` (a user, or a string naming the system)."""
    order = WorkOrder.objects.select_for_update().select_related("well__region").get(pk=order.pk)
    current = order.state
    try:
        target = State(to)
    except ValueError as error:
        raise ValidationError({"state": f"未知的工单状态：{to}"}) from error
    check_actor(order, by, current, target)
    if current == State.DONE and target == State.ASSIGNED and fields.get("assignee") is None:
        fields["assignee"] = order.assignee  # 退回改派 without a new assignee: back to the same worker
    _validate(order, current, target, fields)
    note = _apply(order, current, target, fields, by)
    order.state = target
    order.save()
    _record(order, current, target, by, note, fields)
    return order


def _apply(order: WorkOrder, current: str, target: State, fields: dict[str, Any], by: Any) -> str:
    now = fields.get("at") or timezone.now()
    reason = str(fields.get("reason") or "").strip()
    if target == State.ASSIGNED and current != State.DONE:
        assignee = fields["assignee"]
        if not getattr(assignee, "is_active", False):
            raise ValidationError({"assignee": "负责人必须是有效的系统用户"})
        if not eligible_workers(order.well).filter(pk=assignee.pk).exists():
            raise ValidationError({"assignee": "负责人必须是该机井所在县市的运维人员"})
        order.assignee, order.assigned_at = assignee, now
        if fields.get("due_on"):
            order.due_on = fields["due_on"]
        return f"负责人：{assignee.get_username()}"
    if target == State.ON_SITE and current == State.ASSIGNED:
        order.on_site_at = now
        order.on_site_latitude, order.on_site_longitude = fields.get("latitude"), fields.get("longitude")
        return ""
    if target == State.DONE:
        order.result, order.done_at, order.closed_at = str(fields["result"]).strip(), now, now
        for name in DONE_FIELDS:
            if name in fields:
                setattr(order, name, fields[name] if name != "certificate_number" else str(fields[name] or ""))
        return order.result
    if target == State.REVIEWED:
        order.reviewed_at = now
        return "；".join(part for part in (_record_results(order, by), str(fields.get("note") or "")) if part)
    if target == State.CANCELLED:
        order.closed_at = now
        return reason
    order.closed_at = None  # a return (退回): the order is open again
    if target == State.ASSIGNED:
        order.assignee = fields["assignee"]
    return f"退回：{reason}"


def _record(order: WorkOrder, current: str, target: State, by: Any, note: str, fields: dict[str, Any]) -> None:
    is_user = hasattr(by, "is_authenticated")
    WorkOrderEvent.objects.create(order=order, at=fields.get("at") or timezone.now(), from_state=current,
                                  to_state=target, by=by if is_user else None,
                                  by_name=by.get_username() if is_user else str(by or SYSTEM), note=note)
    audit.record(f"water.work_order.{target}", actor=by if is_user else None, target=order, region=_region(order),
                 reason=str(fields.get("reason") or ""), kind=order.kind, from_state=current,
                 assignee=order.assignee.get_username() if order.assignee else "")


def _record_results(order: WorkOrder, by: Any) -> str:
    """On review: record a calibration on the meter and a 率定 as the well's coefficient; return a note."""
    if order.kind != WorkOrderKind.CALIBRATION:
        return ""
    day = localtime.local_day(order.done_at or timezone.now())
    notes = []
    meter = order.meter or Meter.objects.filter(well=order.well, removed_at__isnull=True).exclude(
        kind=MeterKind.ELECTRICITY).exclude(owner="power").order_by("pk").first()  # the bureau's own flowmeter
    if meter is not None and order.certificate_number:
        MeterCalibration.objects.create(meter=meter, calibrated_on=day, certificate_number=order.certificate_number,
                                        error_pct=order.error_pct or 0.0, work_order=order)
        Meter.objects.filter(pk=meter.pk).update(
            last_calibrated_on=day, last_certificate_number=order.certificate_number, last_error_pct=order.error_pct)
        notes.append(f"{meter.serial} 检定 {order.certificate_number}（误差 {order.error_pct}%）")
    if order.measured_m3 and order.measured_kwh:
        coefficient = record_calibration(order.well, measured_m3=order.measured_m3, measured_kwh=order.measured_kwh,
                                         on=day, by=by, note=f"工单 {order.pk} 现场率定")
        rebuild_usage(since=day, wells=[order.well])
        notes.append(f"率定系数 {coefficient.m3_per_kwh} m³/kWh")
    return "；".join(notes)


@transaction.atomic
def create(*, well: Well, kind: str, by: Any, due_on: date, description: str = "", meter: Meter | None = None,
           assignee: Any = None) -> WorkOrder:
    """Open an order (待派单) and, given an assignee, dispatch it at once (已派单)."""
    access.check_actor(by, P.WATER_WORK_ORDER_MANAGE, well.region)
    if kind not in WorkOrderKind.values:
        raise ValidationError({"kind": f"未知的工单类型：{kind}"})
    if meter is not None and meter.well_id != well.pk:
        raise ValidationError({"meter": "计量表不属于该机井"})
    if meter is not None and kind == WorkOrderKind.CALIBRATION and meter.owned_by_power_company:
        raise ValidationError({"meter": "该电表属供电公司，由供电公司检定，不派检定校准工单"})
    is_user = hasattr(by, "is_authenticated")
    order = WorkOrder.objects.create(kind=kind, well=well, meter=meter, due_on=due_on, description=description,
                                     created_by=by if is_user else None)
    WorkOrderEvent.objects.create(order=order, at=timezone.now(), to_state=State.PENDING,
                                  by=by if is_user else None, by_name=by.get_username() if is_user else str(by),
                                  note=description)
    audit.record("water.work_order.pending", actor=by if is_user else None, target=order, region=well.region,
                 kind=kind, due_on=due_on.isoformat())
    if assignee is not None:
        order = transition(order, State.ASSIGNED, by, assignee=assignee)
    return order


def open_site_check(*, alarm: Any, well: Well, assignee: Any, due_on: date, description: str) -> WorkOrder:
    """The alarm was assigned: issue its 现场核查, already dispatched (已派单); cancel an earlier open one."""
    for earlier in WorkOrder.objects.filter(alarm=alarm, kind=WorkOrderKind.SITE_CHECK,
                                            state__in=states.OPEN_STATES):
        transition(earlier, State.CANCELLED, SYSTEM, reason="改派")
        WorkOrder.objects.filter(pk=earlier.pk).update(result="改派")
    order = create(well=well, kind=WorkOrderKind.SITE_CHECK, by=SYSTEM, due_on=due_on, description=description)
    order.alarm = alarm
    order.save(update_fields=["alarm"])
    return transition(order, State.ASSIGNED, SYSTEM, assignee=assignee)


def complete_site_checks(alarm: Any, result: str) -> None:
    """The alarm was closed with ``result``: its open check is recorded on site (if not yet) and done."""
    for order in WorkOrder.objects.filter(alarm=alarm, kind=WorkOrderKind.SITE_CHECK, state__in=states.OPEN_STATES):
        actor = f"{SYSTEM}（告警办结）"
        if order.state == WorkOrderState.PENDING:
            continue
        if order.state == WorkOrderState.ASSIGNED:
            order = transition(order, State.ON_SITE, actor)
        transition(order, State.DONE, actor, result=result)



def county_of(region: Region) -> Region:
    """The county-level region (县市区) at or above ``region``; the region itself above county level."""
    if region.level <= RegionLevel.COUNTY:
        return region
    return Region.objects.filter(code__in=region.ancestors(), level=RegionLevel.COUNTY).first() or region


def eligible_workers(well: Well) -> QuerySet[Any]:
    """Who may be sent to the well: active maintenance workers whose region covers the well's county (or above)."""
    county = county_of(well.region)
    ancestors = [county.path[:end + 1] for end, char in enumerate(county.path) if char == "/"]
    return get_user_model().objects.filter(role=Role.MAINTENANCE_WORKER, is_active=True).filter(
        Q(region__path__startswith=county.path) | Q(region__path__in=ancestors))


def eligible_workers_anywhere() -> QuerySet[Any]:
    """Every active maintenance worker (the list's assignee filter, narrowed to the user's scope by the page)."""
    return get_user_model().objects.filter(role=Role.MAINTENANCE_WORKER, is_active=True)
