"""Pictures (现场图片): policies, scheduled and alarm pictures, review, and pictures as evidence.

* **Policies** (``PicturePolicy``) per region: the prefecture's is the default, a county's own replaces it;
  saving and deleting one needs ``water.picture.review`` within the region and is audited
  (``water.picture.policy``, ``water.picture.policy_deleted``).
* **Scheduled pictures** (``queue_scheduled``, the job ``water.pictures.schedule``): at each daily time of a
  policy, one picture query (``query_picture``, SL651 36H / SZY206 61H) for every terminal installed on a well
  in the policy's region, except the terminals whose last picture query is still open (an offline
  terminal does not pile them up). The policy row is locked and remembers the slot queued
  (``last_slot_at``), so the job run twice queues once.
* **Alarm pictures** (``on_alarm_raised``, called when an alarm is raised): an alarm of a kind the policy
  lists queues one picture query carrying the alarm's id; the picture that answers it is stored with
  ``Snapshot.alarm`` set (``gateway.storage``).
* **Review**: flag with a reason, clear a flag, mark reviewed, attach to an alarm or a work order of the
  picture's own well (``Snapshot.alarm``/``work_order``); each needs ``water.picture.review`` within the
  picture's region and is audited ``water.picture.<action>``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from changji.core import access, audit
from changji.core.access import P
from changji.core.models import Region, RegionLevel
from changji.water.alarms.rules import KIND_LABELS, AlarmKind
from changji.water.downlink import DEFAULT_TTL, SUPPORTED_KINDS, queue_command
from changji.water.models import (
    Alarm,
    Command,
    CommandKind,
    CommandState,
    PicturePolicy,
    PictureTrigger,
    Snapshot,
    Terminal,
    Well,
    WorkOrder,
)
from changji.water.pictures import schedule

SCHEDULER = "water.pictures.schedule"
ALARM_ACTOR = "water.pictures.alarm"
#: Reasons offered when a picture is flagged (any other text is accepted too).
FLAG_REASONS = ("表计遮挡", "管路改动", "无人值守异常", "设备损坏", "画面异常")
MAX_REASON = 200
PICTURE_PROTOCOLS = tuple(name for name, kinds in SUPPORTED_KINDS.items() if CommandKind.QUERY_PICTURE in kinds)


def alarm_kind_choices() -> list[tuple[str, str]]:
    """(kind, Chinese label) of every alarm kind, in the rule table's order."""
    return [(kind.value, KIND_LABELS[kind]) for kind in AlarmKind]


# --- policies ---------------------------------------------------------------------------------------


def policy_for(region: Region, policies: Iterable[PicturePolicy] | None = None) -> PicturePolicy | None:
    """The policy that applies in ``region``: its own or the nearest region's above it; None when none."""
    chain = region.ancestors()
    rows = {p.region_id: p for p in (policies if policies is not None
                                      else PicturePolicy.objects.filter(region_id__in=chain))}
    for code in reversed(chain):
        if code in rows:
            return rows[code]
    return None


def _policy_region(region: Region) -> None:
    if region.level > RegionLevel.COUNTY:
        raise ValidationError({"region": "抓拍策略按州或县市设置"})


def _policy_state(policy: PicturePolicy) -> dict[str, Any]:
    return {"enabled": policy.enabled, "times": list(policy.times), "alarm_kinds": list(policy.alarm_kinds)}


@transaction.atomic
def save_policy(region: Region, enabled: bool, times: Iterable[str], alarm_kinds: Iterable[str],
                by: Any) -> PicturePolicy:
    """Create or change the picture policy of ``region`` (the prefecture or a county). Audited."""
    access.check_actor(by, P.WATER_PICTURE_REVIEW, region)
    _policy_region(region)
    try:
        checked_times = schedule.parse_times(times)
    except ValueError as error:
        raise ValidationError({"times": str(error)}) from error
    try:
        kinds = schedule.check_alarm_kinds(alarm_kinds, [kind.value for kind in AlarmKind])
    except ValueError as error:
        raise ValidationError({"alarm_kinds": str(error)}) from error
    policy, created = PicturePolicy.objects.select_for_update().get_or_create(region=region)
    before = None if created else _policy_state(policy)
    policy.enabled, policy.times, policy.alarm_kinds = bool(enabled), checked_times, kinds
    is_user = getattr(by, "is_authenticated", False)
    policy.updated_by = by if is_user else None
    policy.updated_by_name = by.get_username() if is_user else str(by)
    policy.save()
    audit.record("water.picture.policy", actor=by, target=policy, region=region,
                 reason="新建抓拍策略" if created else "修改抓拍策略", before=before, after=_policy_state(policy))
    return policy


@transaction.atomic
def delete_policy(policy: PicturePolicy, by: Any) -> None:
    """Delete a region's policy (the region above's applies again). Audited."""
    region = policy.region
    access.check_actor(by, P.WATER_PICTURE_REVIEW, region)
    before = _policy_state(policy)
    audit.record("water.picture.policy_deleted", actor=by, target=policy, region=region, reason="删除抓拍策略",
                 before=before)
    policy.delete()


# --- scheduled and alarm pictures --------------------------------------------------------------------


def _camera_terminals() -> QuerySet[Terminal]:
    # Terminals reported from below (water.sharing) take pictures for the level they dial in to.
    return Terminal.objects.filter(well__isnull=False, protocol__in=PICTURE_PROTOCOLS, reported_by="")


def _governed_terminals(policy: PicturePolicy, policies: list[PicturePolicy]) -> QuerySet[Terminal]:
    """The terminals ``policy`` governs: within its region, not within a region below that has its own."""
    path = policy.region.path
    terminals = _camera_terminals().filter(region__path__startswith=path)
    for other in policies:
        if other.region.path != path and other.region.path.startswith(path):
            terminals = terminals.exclude(region__path__startswith=other.region.path)
    return terminals


def queue_scheduled(now: datetime | None = None) -> dict[str, int]:
    """Queue the picture queries of every policy's daily time due at ``now``; idempotent (see the module)."""
    now = now or timezone.now()
    policies = list(PicturePolicy.objects.select_related("region"))
    due = [p for p in policies if p.enabled and schedule.due_slot(p.times, now, p.last_slot_at) is not None]
    queued = skipped = 0
    for policy in due:
        with transaction.atomic():
            locked = PicturePolicy.objects.select_for_update().select_related("region").get(pk=policy.pk)
            slot = schedule.due_slot(locked.times, now, locked.last_slot_at) if locked.enabled else None
            if slot is None:
                continue  # another run queued it meanwhile
            made, busy = _queue_slot(locked, policies, slot, now)
            locked.last_slot_at = slot
            locked.save(update_fields=["last_slot_at"])
            queued, skipped = queued + made, skipped + busy
    return {"policies": len(due), "queued": queued, "skipped_open": skipped}


def _queue_slot(policy: PicturePolicy, policies: list[PicturePolicy], slot: datetime, now: datetime
                ) -> tuple[int, int]:
    """Create the slot's picture queries in bulk and audit them once; return (queued, skipped as still open)."""
    terminals = _governed_terminals(policy, policies)
    busy = set(Command.objects.filter(
        kind=CommandKind.QUERY_PICTURE, state__in=[CommandState.QUEUED, CommandState.SENT],
        terminal__in=terminals).values_list("terminal_id", flat=True))
    key = schedule.slot_key(slot)
    reason = f"定时抓拍 {slot.astimezone(schedule.SHANGHAI):%H:%M}"
    rows = [Command(terminal_id=terminal_id, kind=CommandKind.QUERY_PICTURE, reason=reason,
                    params={"trigger": PictureTrigger.SCHEDULED.value, "slot": key},
                    requested_by_name=SCHEDULER, expires_at=now + DEFAULT_TTL)
            for terminal_id in terminals.values_list("pk", flat=True) if terminal_id not in busy]
    Command.objects.bulk_create(rows, batch_size=1000)
    audit.record("water.picture.scheduled", actor=SCHEDULER, target=policy, region=policy.region, reason=reason,
                 slot=key, queued=len(rows), skipped_open=len(busy))
    return len(rows), len(busy)


def on_alarm_raised(alarm: Alarm) -> Command | None:
    """Queue one picture of the alarm's well when the policy in force takes pictures on its kind."""
    terminal = alarm.terminal
    if terminal.well_id is None or terminal.protocol not in PICTURE_PROTOCOLS:
        return None
    policy = policy_for(terminal.region)
    if policy is None or not policy.enabled or alarm.kind not in policy.alarm_kinds:
        return None
    return queue_command(terminal, CommandKind.QUERY_PICTURE, f"告警抓拍：{alarm.get_kind_display()}", by=ALARM_ACTOR,
                         params={"trigger": PictureTrigger.ALARM.value, "alarm_id": str(alarm.pk)},
                         ttl=timedelta(hours=6))


# --- review ------------------------------------------------------------------------------------------


def _locked(snapshot: Snapshot, by: Any) -> Snapshot:
    picture = Snapshot.objects.select_for_update().select_related("terminal__region").get(pk=snapshot.pk)
    access.check_actor(by, P.WATER_PICTURE_REVIEW, picture.terminal.region)
    return picture


def _done(picture: Snapshot, action: str, by: Any, reason: str = "", **detail: Any) -> Snapshot:
    audit.record(f"water.picture.{action}", actor=by, target=picture, region=picture.terminal.region,
                 reason=reason, terminal=picture.terminal.address, **detail)
    return picture


@transaction.atomic
def flag(snapshot: Snapshot, reason: str, by: Any) -> Snapshot:
    """Flag a picture as showing something wrong (表计遮挡, 管路改动 …); the reason is required. Audited."""
    picture = _locked(snapshot, by)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "必须填写异常原因"})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": f"异常原因最多 {MAX_REASON} 字"})
    before = picture.flag_reason if picture.flagged else None
    picture.flagged, picture.flag_reason, picture.flagged_at = True, reason, timezone.now()
    picture.save(update_fields=["flagged", "flag_reason", "flagged_at"])
    return _done(picture, "flag", by, reason, before=before)


@transaction.atomic
def unflag(snapshot: Snapshot, reason: str, by: Any) -> Snapshot:
    """Clear a picture's flag (it was a false alarm, or the cause is fixed). Audited."""
    picture = _locked(snapshot, by)
    if not picture.flagged:
        raise ValidationError({"flagged": "该图片未标记异常"})
    before = picture.flag_reason
    picture.flagged, picture.flag_reason, picture.flagged_at = False, "", None
    picture.save(update_fields=["flagged", "flag_reason", "flagged_at"])
    return _done(picture, "unflag", by, (reason or "").strip()[:MAX_REASON], before=before)


@transaction.atomic
def mark_reviewed(snapshot: Snapshot, by: Any) -> Snapshot:
    """Record that a person looked at the picture (审阅). Audited; reviewing again updates who and when."""
    picture = _locked(snapshot, by)
    if not getattr(by, "is_authenticated", False):
        raise ValidationError({"reviewed_by": "审阅须由系统用户完成"})
    picture.reviewed_by, picture.reviewed_at = by, timezone.now()
    picture.save(update_fields=["reviewed_by", "reviewed_at"])
    return _done(picture, "review", by, flagged=picture.flagged)


@transaction.atomic
def attach_alarm(snapshot: Snapshot, alarm: Alarm | None, by: Any) -> Snapshot:
    """Make the picture evidence of ``alarm`` (an alarm of the picture's own well), or of none. Audited."""
    picture = _locked(snapshot, by)
    if alarm is not None and not _same_well(picture, alarm.terminal_id, alarm.well_id):
        raise ValidationError({"alarm": "只能关联本机井的告警"})
    before = str(picture.alarm_id) if picture.alarm_id else None
    picture.alarm = alarm
    picture.save(update_fields=["alarm"])
    return _done(picture, "attach", by, alarm=str(alarm.pk) if alarm else None, before_alarm=before)


@transaction.atomic
def attach_work_order(snapshot: Snapshot, order: WorkOrder | None, by: Any) -> Snapshot:
    """Make the picture evidence of ``order`` (a work order of the picture's own well), or of none. Audited."""
    picture = _locked(snapshot, by)
    if order is not None and (picture.terminal.well_id is None or order.well_id != picture.terminal.well_id):
        raise ValidationError({"work_order": "只能关联本机井的工单"})
    before = picture.work_order_id
    picture.work_order = order
    picture.save(update_fields=["work_order"])
    return _done(picture, "attach", by, work_order=order.pk if order else None, before_work_order=before)


def _same_well(picture: Snapshot, terminal_id: int, well_id: int | None) -> bool:
    if terminal_id == picture.terminal_id:
        return True
    return picture.terminal.well_id is not None and well_id == picture.terminal.well_id


# --- the review list ---------------------------------------------------------------------------------


def latest_per_well(pictures: QuerySet[Snapshot], wells: QuerySet[Well]) -> QuerySet[Snapshot]:
    """The latest of ``pictures`` of each of ``wells`` (one per well), flagged first, then newest first."""
    newest = pictures.filter(terminal__well=OuterRef("pk")).order_by("-observed_at", "-pk").values("pk")[:1]
    latest = wells.annotate(latest_picture=Subquery(newest)).filter(latest_picture__isnull=False)
    return (Snapshot.objects.filter(pk__in=latest.values("latest_picture"))
            .select_related("terminal__well", "terminal__region", "alarm", "work_order", "reviewed_by")
            .order_by("-flagged", "-observed_at", "-pk"))


def filter_pictures(pictures: QuerySet[Snapshot], *, flagged: bool | None = None, reviewed: bool | None = None,
                    day_bounds: tuple[datetime, datetime] | None = None, trigger: str = "") -> QuerySet[Snapshot]:
    """Apply the review filters: flagged or not, reviewed or not, taken within a local day, trigger."""
    if flagged is not None:
        pictures = pictures.filter(flagged=flagged)
    if reviewed is not None:
        pictures = pictures.filter(reviewed_at__isnull=not reviewed)
    if day_bounds is not None:
        pictures = pictures.filter(observed_at__gte=day_bounds[0], observed_at__lt=day_bounds[1])
    if trigger:
        pictures = pictures.filter(trigger=trigger)
    return pictures


def evidence_choices(picture: Snapshot) -> tuple[QuerySet[Alarm], QuerySet[WorkOrder]]:
    """The alarms and work orders of the picture's well it may be attached to (newest first)."""
    well_id = picture.terminal.well_id
    alarms = Alarm.objects.filter(Q(terminal_id=picture.terminal_id) | Q(well_id=well_id) if well_id else
                                  Q(terminal_id=picture.terminal_id)).order_by("-raised_at")
    orders = WorkOrder.objects.filter(well_id=well_id).order_by("-created_at") if well_id else WorkOrder.objects.none()
    return alarms, orders
