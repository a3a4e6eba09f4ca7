"""Demo pictures: the prefecture's policy, the morning's pictures of some wells (a few flagged), a tamper alarm's.

Idempotent: a second run adds nothing.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction

from changji.core.localtime import SHANGHAI, now
from changji.core.regions import root_region
from changji.water.alarms.evaluation import record_step
from changji.water.alarms.workflow import AlarmState
from changji.water.gateway.records import SnapshotRecord
from changji.water.gateway.storage import store_snapshot
from changji.water.models import Alarm, PicturePolicy, PictureTrigger, Snapshot, Terminal, WorkOrder
from changji.water.pictures import schedule
from changji.water.sim.simulator import camera_picture

#: Wells with a morning picture in the demo, and the flags a reviewer put on some of them.
PICTURED_WELLS = 24
FLAGS = ("表计遮挡", "管路改动", "无人值守异常")


def _morning() -> datetime:
    """Today's 10:00 (Asia/Shanghai) if it has passed, else yesterday's."""
    current = now()
    slot = datetime.combine(current.date(), time(10), SHANGHAI)
    return slot if slot <= current else slot - timedelta(days=1)


@transaction.atomic
def seed_pictures() -> dict[str, int]:
    """The policy (daily 10:00 and on tamper alarms), the morning's pictures, three flagged, one for an alarm."""
    _, created = PicturePolicy.objects.get_or_create(region=root_region(), defaults={
        "times": list(schedule.DEFAULT_TIMES), "alarm_kinds": list(schedule.DEFAULT_ALARM_KINDS),
        "updated_by_name": "demo"})
    morning = _morning()
    terminals = list(Terminal.objects.filter(protocol="szy206", well__isnull=False).select_related("well")
                     .order_by("address")[:PICTURED_WELLS])
    before = Snapshot.objects.count()
    for index, terminal in enumerate(terminals):
        jpeg = camera_picture(terminal.well.code if terminal.well else terminal.address)
        taken = morning + timedelta(seconds=20 + index)
        store_snapshot(SnapshotRecord(terminal.pk, taken, taken + timedelta(seconds=30), jpeg))
        picture = Snapshot.objects.get(terminal=terminal, observed_at=taken)
        picture.trigger = PictureTrigger.SCHEDULED
        if index % 8 == 3 and not picture.flagged:
            picture.flagged, picture.flag_reason, picture.flagged_at = True, FLAGS[index // 8 % 3], taken
        picture.save()
    alarm_pictures = _tamper_alarm_picture(terminals[-1], morning) if terminals else 0
    return {"policies": int(created), "pictures": Snapshot.objects.count() - before, "alarm_pictures": alarm_pictures}


def _tamper_alarm_picture(terminal: Terminal, morning: datetime) -> int:
    """The picture a tamper alarm's picture query brought back (the history's latest tamper alarm's).

    When the history has no tamper alarm, a 柜门打开 alarm raised the afternoon before is made for it.
    """
    alarm = (Alarm.objects.filter(kind__in=schedule.DEFAULT_ALARM_KINDS, terminal__protocol="szy206",
                                  well__isnull=False).select_related("terminal").order_by("-raised_at").first())
    if alarm is None:
        raised = morning - timedelta(hours=20)
        alarm, created = Alarm.objects.get_or_create(
            terminal=terminal, kind="door_open", raised_at=raised,
            defaults={"well": terminal.well, "severity": "major", "state": AlarmState.OPEN,
                      "evidence": {"door_open": True, "observed_at": raised.isoformat()}})
        if created:
            record_step(alarm, "", AlarmState.OPEN, None, "柜门打开", terminal=terminal)
    if Snapshot.objects.filter(alarm=alarm).exists():
        return 0
    taken = alarm.raised_at + timedelta(minutes=6)
    store_snapshot(SnapshotRecord(alarm.terminal_id, taken, taken + timedelta(seconds=40),
                                  camera_picture(f"{alarm.terminal.address}-door")))
    Snapshot.objects.filter(terminal_id=alarm.terminal_id, observed_at=taken).update(
        trigger=PictureTrigger.ALARM, alarm=alarm, flagged=True, flag_reason="无人值守异常", flagged_at=taken)
    return 1


@transaction.atomic
def attach_demo_pictures() -> int:
    """Attach each flagged picture to an open work order of its well, where the well has one (as a reviewer does).

    Run after the work orders are seeded; a picture already attached is left as it is. Returns how many were
    attached this time.
    """
    attached = 0
    flagged = Snapshot.objects.filter(flagged=True, work_order__isnull=True, terminal__well__isnull=False)
    for picture in flagged.select_related("terminal"):
        well_id = picture.terminal.well_id
        if well_id is None:  # the filter leaves none out; for the type checker
            continue
        order = (WorkOrder.objects.filter(well_id=well_id)
                 .exclude(state__in=("reviewed", "cancelled")).order_by("created_at").first())
        if order is not None:
            picture.work_order = order
            picture.save(update_fields=["work_order"])
            attached += 1
    return attached
