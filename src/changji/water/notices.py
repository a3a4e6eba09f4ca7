"""The water app's notices (通知): which audited water events tell whom, in Chinese (``core.notifications``).

Found by ``core.notifications.events`` like a ``jobs`` module. Each event is an audit action another part of
the app already records with ``core.audit.record`` (the notices are written in the same transaction):

=============================  =================================  ==============================================
action                         emitted by                         told
=============================  =================================  ==============================================
``water.quota.warning``        the quota sweep (80/90/100 %)      the water user (SMS), staff (in-app)
``water.quota.stop_announced`` the stop notice (关泵预告)         the water user (SMS), staff (in-app + SMS)
``water.quota.stop``           the quota sweep (关泵执行)          the water user (SMS), staff (in-app + SMS)
``water.quota.restore``        the sweep / an unlock (恢复供水)    the water user (SMS), staff (in-app)
``water.licence.expiring``     the licence expiry check          the water user (SMS), staff (in-app)
``water.alarm.open``           alarm evaluation (critical only)   staff who see alarms (in-app)
``water.alarm.assigned``       派单 (a site check)                the assignee (in-app + SMS)
=============================  =================================  ==============================================

"Staff" are the active accounts whose region covers the event's region and whose role may see it
(``water.allocation.read`` for quota and licence events, ``water.alarm.read`` for alarms), on the channels each
chose (``/notifications/preferences/``). The water user is reached at ``WaterUser.contact_phone``; the SMS
template variables are the ones the approved Aliyun templates carry (well code, figures, local times).
Times are shown in Asia/Shanghai (``core.localtime``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone

from changji.core.access import P
from changji.core.localtime import SHANGHAI
from changji.core.models import AuditEntry, Channel, Region
from changji.core.notifications.events import EventSpec, Message, Recipient, register
from changji.core.notifications.outbox import channels_for
from changji.core.notifications.policy import normalise_phone
from changji.water.alarms.rules import KIND_LABELS, Severity
from changji.water.models import Alarm, Allocation, Licence, WaterUser

log = logging.getLogger("changji.water.notices")

STAFF_IN_APP = frozenset({Channel.IN_APP})
STAFF_IN_APP_SMS = frozenset({Channel.IN_APP, Channel.SMS})
RESTORE_MODES = {"unlock": "已解除关泵锁定，可自行开泵", "start": "已远程开泵"}


def _local(moment: datetime | str | None) -> str:
    """A time in Asia/Shanghai as ``2026-07-01 08:00`` (an ISO text is parsed first)."""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return str(moment)
    if moment is None:
        return ""
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _allocation(entry: AuditEntry) -> Allocation | None:
    if entry.object_type != "water.allocation" or not entry.object_id.isdigit():
        return None
    return Allocation.objects.select_related("well__water_user", "water_user").filter(pk=int(entry.object_id)).first()


def _holder(allocation: Allocation) -> tuple[str, str, WaterUser | None]:
    """(what the allocation belongs to, its well code or "", the water user) for the texts."""
    if allocation.well is not None:
        return f"机井 {allocation.well.code}", allocation.well.code, allocation.well.water_user
    if allocation.water_user is not None:
        return f"取水户 {allocation.water_user.name}", "", allocation.water_user
    return "区域指标", "", None


def _well_link(allocation: Allocation) -> str:
    return reverse("water:well", kwargs={"well_id": allocation.well_id}) if allocation.well_id else ""


def water_user_sms(water_user: WaterUser | None) -> list[Recipient]:
    """The water user's phone as an SMS recipient (none without a valid mobile number)."""
    if water_user is None:
        return []
    phone = normalise_phone(water_user.contact_phone)
    if phone is None:
        if water_user.contact_phone:
            log.info("water user %s: contact phone is not a mobile number, no SMS", water_user.code)
        return []
    return [Recipient(Channel.SMS, address=phone, name=water_user.name)]


def _allocation_region(entry: AuditEntry) -> Region | None:
    allocation = _allocation(entry)
    return allocation.scope_region if allocation is not None else None


def _allocation_user(entry: AuditEntry) -> list[Recipient]:
    allocation = _allocation(entry)
    return water_user_sms(_holder(allocation)[2]) if allocation is not None else []


def _figures(entry: AuditEntry) -> tuple[float, float, float]:
    detail = entry.detail or {}
    used = _number(detail.get("used_m3", detail.get("used_kwh")))
    allocated = _number(detail.get("allocation_m3", detail.get("allocation_kwh")))
    share = _number(detail.get("share")) or (used / allocated if allocated else 0.0)
    return used, allocated, share


def _unit(entry: AuditEntry) -> str:
    return "千瓦时" if "used_kwh" in (entry.detail or {}) else "立方米"


def render_warning(entry: AuditEntry) -> Message | None:
    allocation = _allocation(entry)
    if allocation is None:
        return None
    holder, code, _ = _holder(allocation)
    used, allocated, share = _figures(entry)
    threshold = _number((entry.detail or {}).get("threshold"))
    unit = _unit(entry)
    if allocated <= 0:  # no allocation (a licence suspended or revoked, no plan): any use is over, no percentage
        body = (f"{holder} {allocation.year}年度无用水指标，已用{used:,.0f}{unit}。"
                f"请尽快办理取水许可与年度取水计划，无指标取水将按规定关泵。")
        return Message(f"用水指标预警：{holder} 无年度指标", body,
                       {"well": code or holder, "percent": "无指标", "used": f"{used:.0f}", "quota": "0"},
                       _well_link(allocation))
    body = (f"{holder} {allocation.year}年度已用{used:,.0f}{unit}，占年度指标{allocated:,.0f}{unit}的{share:.0%}，"
            f"已达{threshold:.0%}预警线。请合理安排用水，超指标将按规定关泵。")
    return Message(f"用水指标预警：{holder} 已用{share:.0%}", body,
                   {"well": code or holder, "percent": f"{share:.0%}", "used": f"{used:.0f}",
                    "quota": f"{allocated:.0f}"}, _well_link(allocation))


def render_stop_announced(entry: AuditEntry) -> Message | None:
    allocation = _allocation(entry)
    if allocation is None:
        return None
    holder, code, _ = _holder(allocation)
    detail = entry.detail or {}
    due = _local(detail.get("stop_due_at"))
    hours = int(_number(detail.get("notice_hours")))
    used, allocated, _ = _figures(entry)
    figures = f"已用{used:,.0f}立方米、年度指标{allocated:,.0f}立方米，" if allocated else ""
    body = (f"{holder} {figures}已达到年度用水指标。按规定提前{hours}小时告知：将于{due}远程关泵。"
            f"如需追加指标，请在此之前向水行政主管部门申请。")
    return Message(f"关泵预告：{holder} 将于{due}关泵", body,
                   {"well": code or holder, "time": due, "hours": str(hours)}, _well_link(allocation))


def render_stop(entry: AuditEntry) -> Message | None:
    allocation = _allocation(entry)
    if allocation is None:
        return None
    holder, code, _ = _holder(allocation)
    used, allocated, _ = _figures(entry)
    when = _local(entry.at)
    body = (f"{holder} {allocation.year}年度已用{used:,.0f}{_unit(entry)}，超过年度指标{allocated:,.0f}{_unit(entry)}，"
            f"已于{when}远程关泵。追加指标或人工放行后恢复供水。")
    return Message(f"已关泵：{holder} 超年度用水指标", body,
                   {"well": code or holder, "time": when, "used": f"{used:.0f}", "quota": f"{allocated:.0f}"},
                   _well_link(allocation))


def render_restore(entry: AuditEntry) -> Message | None:
    allocation = _allocation(entry)
    if allocation is None:
        return None
    holder, code, _ = _holder(allocation)
    mode = str((entry.detail or {}).get("mode", "start"))
    how = RESTORE_MODES.get(mode, RESTORE_MODES["start"])
    when = _local(entry.at)
    reason = f"（{entry.reason}）" if entry.reason else ""
    return Message(f"恢复供水：{holder}", f"{holder} 于{when}恢复供水：{how}{reason}。",
                   {"well": code or holder, "time": when}, _well_link(allocation))


def _licence(entry: AuditEntry) -> Licence | None:
    if entry.object_type != "water.licence" or not entry.object_id.isdigit():
        return None
    return Licence.objects.select_related("water_user").filter(pk=int(entry.object_id)).first()


def render_licence_expiring(entry: AuditEntry) -> Message | None:
    licence = _licence(entry)
    if licence is None:
        return None
    detail = entry.detail or {}
    number = str(detail.get("number") or licence.number)
    valid_to = str(detail.get("valid_to") or licence.valid_to.isoformat())
    days = int(_number(detail.get("days_left")))
    body = (f"取水许可证{number}（取水权人：{licence.water_user.name}）将于{valid_to}到期，剩余{days}天。"
            f"请在有效期届满45日前向审批机关提出延续申请。")
    return Message(f"取水许可证即将到期：{number}（剩余{days}天）", body,
                   {"number": number, "date": valid_to, "days": str(days)},
                   reverse("water:licence", kwargs={"licence_id": licence.pk}))


def _licence_user(entry: AuditEntry) -> list[Recipient]:
    licence = _licence(entry)
    return water_user_sms(licence.water_user) if licence is not None else []


def _alarm(entry: AuditEntry) -> Alarm | None:
    if entry.object_type != "water.alarm":
        return None
    try:
        return Alarm.objects.select_related("terminal__region", "well", "assignee").filter(pk=entry.object_id).first()
    except (ValueError, TypeError):  # not a UUID
        return None


def _alarm_region(entry: AuditEntry) -> Region | None:
    alarm = _alarm(entry)
    return alarm.terminal.region if alarm is not None else None


def _where(alarm: Alarm) -> str:
    return f"机井 {alarm.well.code}" if alarm.well is not None else f"终端 {alarm.terminal.address}"


def render_alarm_open(entry: AuditEntry) -> Message | None:
    """A raised alarm: only a critical one is told (the others wait in the alarm centre)."""
    alarm = _alarm(entry)
    if alarm is None or alarm.severity != Severity.CRITICAL:
        return None
    kind = KIND_LABELS.get(alarm.kind, alarm.kind)
    when = _local(alarm.raised_at)
    return Message(f"紧急告警：{_where(alarm)} {kind}", f"{_where(alarm)} 于{when}产生紧急告警「{kind}」，请及时处置。",
                   {"well": _where(alarm), "kind": kind, "time": when},
                   reverse("water:alarm", kwargs={"alarm_id": alarm.pk}))


def render_alarm_assigned(entry: AuditEntry) -> Message | None:
    alarm = _alarm(entry)
    if alarm is None or alarm.assignee is None:
        return None
    kind = KIND_LABELS.get(alarm.kind, alarm.kind)
    due = _local(alarm.due_at)
    by = entry.actor_name
    note = f"说明：{entry.reason}。" if entry.reason else ""
    body = f"{by}派给您一张现场核查工单：{_where(alarm)}「{kind}」，请于{due}前到场核查并回填结果。{note}"
    return Message(f"现场核查工单：{_where(alarm)} {kind}", body,
                   {"well": _where(alarm), "kind": kind, "due": due},
                   reverse("water:alarm", kwargs={"alarm_id": alarm.pk}))


def _assignee(entry: AuditEntry) -> Iterable[Recipient]:
    alarm = _alarm(entry)
    if alarm is None or alarm.assignee is None or not alarm.assignee.is_active:
        return []
    return [Recipient(channel, user=alarm.assignee) for channel in sorted(channels_for(alarm.assignee, ASSIGNED))]


register(EventSpec("water.quota.warning", "用水指标预警（80%/90%/100%）", P.WATER_ALLOCATION_READ, render_warning,
                   _allocation_user, region_of=_allocation_region))
register(EventSpec("water.quota.stop_announced", "关泵预告", P.WATER_ALLOCATION_READ, render_stop_announced,
                   _allocation_user, staff_channels=STAFF_IN_APP_SMS, region_of=_allocation_region))
register(EventSpec("water.quota.stop", "超指标关泵执行", P.WATER_ALLOCATION_READ, render_stop, _allocation_user,
                   staff_channels=STAFF_IN_APP_SMS, region_of=_allocation_region))
register(EventSpec("water.quota.restore", "恢复供水", P.WATER_ALLOCATION_READ, render_restore, _allocation_user,
                   region_of=_allocation_region))
register(EventSpec("water.licence.expiring", "取水许可证到期提醒", P.WATER_ALLOCATION_READ, render_licence_expiring,
                   _licence_user))
register(EventSpec("water.alarm.open", "紧急告警", P.WATER_ALARM_READ, render_alarm_open,
                   region_of=_alarm_region))
ASSIGNED = register(EventSpec("water.alarm.assigned", "现场核查派单（派给本人）", P.WATER_ALARM_READ,
                              render_alarm_assigned, _assignee, notify_staff=False, staff_channels=STAFF_IN_APP_SMS))
