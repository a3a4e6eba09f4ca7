"""Alarm service: evaluation by the system and handling by operators (告警处理).

Handling follows the state-table rule (docs/architecture.md, "State tables"): ``transition_alarm`` is the
one function that applies every operator change. It checks the actor against the access policy
(``water.alarm.transition``, within their region), locks the alarm, checks the edge and the per-state fields
against ``workflow.TABLE`` (``core.transitions``), applies the state's fields (work order on assignment,
result and evidence on resolution), appends an ``AlarmEvent`` and writes the audit entry
``water.alarm.<state>``. Admin, API and CLI call it (or the wrappers below) and never set ``Alarm.state``
themselves. Like the water app's other services it refuses with Django's ``ValidationError`` keyed by the
field at fault (a ``TransitionError`` becomes one on its field), which the API and the alarm pages answer
with 400.

Evaluation (rules over stored readings, debounce, raise and auto-clear) lives in
``evaluation`` and is re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from changji.core import access
from changji.core.localtime import SHANGHAI, local_day
from changji.core.models import Region, RegionLevel, Role
from changji.core.transitions import TransitionError, check_transition
from changji.water.alarms import rules
from changji.water.alarms.evaluation import evaluate_all, evaluate_terminal, reading_view, record_step
from changji.water.alarms.workflow import REQUIRED_FIELDS, TABLE, AlarmState
from changji.water.models import Alarm, Snapshot
from changji.water.orders import service as work_orders

__all__ = [
    "acknowledge",
    "assign",
    "eligible_assignees",
    "dismiss",
    "evaluate_all",
    "evaluate_terminal",
    "reading_view",
    "resolve",
    "transition_alarm",
]

#: Fields every move may carry besides its required ones: a free note for the history.
OPTIONAL_FIELDS = frozenset({"note"})

Applier = Callable[[Alarm, dict[str, Any]], dict[str, Any]]


@transaction.atomic
def transition_alarm(alarm: Alarm, to: AlarmState | str, by: Any, **fields: Any) -> Alarm:
    """Move ``alarm`` to ``to`` on behalf of ``by``; raise ``ValidationError`` keyed by the field at fault.

    The row is locked first, so two operators acting at once are serialised and the second is
    judged against the state the first left behind.
    """
    alarm = Alarm.objects.select_for_update().select_related("terminal__region").get(pk=alarm.pk)
    access.check_actor(by, access.P.WATER_ALARM_TRANSITION, alarm.terminal.region)
    if alarm.terminal.reported_by:  # raised and handled at the lower level (water.sharing); shown here as reported
        raise ValidationError({"state": "该告警由下级平台产生并处置，本级平台只查看其状态"})
    current, target = AlarmState(alarm.state), _state(to)
    try:
        check_transition(TABLE, current, target, fields)
    except TransitionError as error:
        raise ValidationError({error.field or "state": error.message}) from error
    unknown = sorted(set(fields) - REQUIRED_FIELDS[target] - OPTIONAL_FIELDS)
    if unknown:
        raise ValidationError({name: f"转为该状态不接受此项：{name}" for name in unknown})
    detail = APPLIERS[target](alarm, fields)
    alarm.state = target
    alarm.save()
    note = "；".join(part for part in (detail.pop("note", ""), str(fields.get("note") or "").strip()) if part)
    record_step(alarm, current, target, by, note, **detail)
    return alarm


def _state(to: AlarmState | str) -> AlarmState:
    try:
        return AlarmState(to)
    except ValueError as error:
        raise ValidationError({"state": f"未知的告警状态：{to}"}) from error


def _acknowledge(alarm: Alarm, fields: dict[str, Any]) -> dict[str, Any]:
    return {}


def _assign(alarm: Alarm, fields: dict[str, Any]) -> dict[str, Any]:
    """Send an on-site check (现场核查): set assignee and due time, and issue the work order.

    A re-assignment cancels the previous open check, so exactly one check is out at a time and the
    old inspector's order does not linger.
    """
    assignee, due = fields["assignee"], _due(fields["due"])
    if not isinstance(assignee, get_user_model()) or not assignee.is_active:
        raise ValidationError({"assignee": "核查人员必须是有效的系统用户。"})
    if not eligible_assignees(alarm).filter(pk=assignee.pk).exists():
        raise ValidationError({"assignee": "核查人员必须是该告警所在县市的运维人员。"})
    well = alarm.well or alarm.terminal.well
    if well is None:
        raise ValidationError({"state": "终端未装井，不能派发现场核查工单。"})
    rule = rules.rule_of(alarm.kind)
    order = work_orders.open_site_check(alarm=alarm, well=well, assignee=assignee, due_on=local_day(due),
                                        description=f"{rule.title}：{rule.meaning}" if rule else alarm.kind)
    alarm.assignee, alarm.due_at = assignee, due
    return {"assignee": assignee.get_username(), "due": due.isoformat(), "work_order": order.pk}


def eligible_assignees(alarm: Alarm) -> QuerySet[Any]:
    """Who may be sent to the well: the active maintenance staff (运维人员) working in the alarm's county.

    A worker's region covers the county when it is the county, a township or village inside it, or a level
    above it (a prefecture team). County operators dispatch, they are not sent. Pages list these (within the
    dispatcher's scope) and ``_assign`` refuses anyone else, whichever door the assignment comes through.
    """
    county = _county_of(alarm.terminal.region)
    ancestors = [county.path[:end + 1] for end, char in enumerate(county.path) if char == "/"]
    return get_user_model().objects.filter(role=Role.MAINTENANCE_WORKER, is_active=True).filter(
        Q(region__path__startswith=county.path) | Q(region__path__in=ancestors))


def _county_of(region: Region) -> Region:
    """The county-level region (县市区) at or above ``region``; the region itself above county level."""
    if region.level <= RegionLevel.COUNTY:
        return region
    return Region.objects.filter(code__in=region.ancestors(), level=RegionLevel.COUNTY).first() or region


def _due(value: Any) -> datetime:
    """Accept an aware datetime, or a date meaning the end of that local (Asia/Shanghai) day."""
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            raise ValidationError({"due": "完成时限必须带时区。"})
        return value
    if isinstance(value, date):
        return datetime.combine(value, time(23, 59, 59), tzinfo=SHANGHAI)
    raise ValidationError({"due": "完成时限必须是日期或时间。"})


def _resolve(alarm: Alarm, fields: dict[str, Any]) -> dict[str, Any]:
    """Close with the result and its evidence; the open site check is done with the same result.

    Evidence is a ``Snapshot`` of the alarm's own terminal (its id or the object) or the storage path
    of an uploaded photo; the path has no column on ``Alarm``, so it is kept in the event note and
    the audit entry.
    """
    result = str(fields["result"]).strip()
    snapshot, photo = _evidence(alarm, fields["evidence"])
    now = timezone.now()
    alarm.result, alarm.snapshot, alarm.closed_at = result, snapshot, now
    work_orders.complete_site_checks(alarm, result)
    note = f"{result}（现场照片：{photo}）" if photo else result
    return {"note": note, "snapshot": snapshot.pk if snapshot else None, "photo": photo}


def _evidence(alarm: Alarm, evidence: Any) -> tuple[Snapshot | None, str | None]:
    if isinstance(evidence, Snapshot):
        evidence = evidence.pk
    if isinstance(evidence, int) and not isinstance(evidence, bool):
        snapshot = Snapshot.objects.filter(pk=evidence, terminal_id=alarm.terminal_id).first()
        if snapshot is None:
            raise ValidationError({"evidence": "抓拍照片不存在或不属于该告警的终端。"})
        return snapshot, None
    if isinstance(evidence, str) and evidence.strip():
        return None, evidence.strip()
    raise ValidationError({"evidence": "证据必须是该终端的抓拍照片或上传的现场照片。"})


def _dismiss(alarm: Alarm, fields: dict[str, Any]) -> dict[str, Any]:
    reason = str(fields["reason"]).strip()
    alarm.result, alarm.closed_at = reason, timezone.now()
    return {"note": reason}


#: What each operator state sets on the alarm; system states never reach here (check_transition refuses them).
APPLIERS: dict[AlarmState, Applier] = {
    AlarmState.ACKNOWLEDGED: _acknowledge,
    AlarmState.ASSIGNED: _assign,
    AlarmState.RESOLVED: _resolve,
    AlarmState.DISMISSED: _dismiss,
}


def acknowledge(alarm: Alarm, by: Any, note: str = "") -> Alarm:
    """Take the alarm on (确认)."""
    return transition_alarm(alarm, AlarmState.ACKNOWLEDGED, by, note=note)


def assign(alarm: Alarm, by: Any, assignee: Any, due: datetime | date, note: str = "") -> Alarm:
    """Send an inspector to the well by ``due`` (派单); re-assigning replaces the open check."""
    return transition_alarm(alarm, AlarmState.ASSIGNED, by, assignee=assignee, due=due, note=note)


def resolve(alarm: Alarm, by: Any, result: str, evidence: int | str | Snapshot) -> Alarm:
    """Close with what was found and the snapshot or photo that shows it (办结)."""
    return transition_alarm(alarm, AlarmState.RESOLVED, by, result=result, evidence=evidence)


def dismiss(alarm: Alarm, by: Any, reason: str) -> Alarm:
    """Close as a false alarm, with the reason (误报)."""
    return transition_alarm(alarm, AlarmState.DISMISSED, by, reason=reason)
