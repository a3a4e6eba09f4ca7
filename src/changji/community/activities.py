"""Activities (微行动): neighbourhood markets, health clinics, legal advice, homework classes… of a community or grid.

Members and units take part and give hours (each participation earns points by the rule table);
residents served are counted once per person per activity — the unique key of ``ActivityServed``
makes adding the same resident twice a no-op, so "people served" is a plain row count.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Sum

from changji.community import points
from changji.community.actors import InputError, check_scope, community_of
from changji.community.models import (
    Activity,
    ActivityKind,
    ActivityParticipant,
    ActivityPhoto,
    ActivityServed,
    CoBuildingUnit,
    PartyMember,
    Resident,
    Room,
)
from changji.community.venues import participation
from changji.community.wishes.service import check_photo
from changji.core import audit
from changji.core.models import Region

#: The most hours one participant can give to one activity (a day).
MAX_HOURS = Decimal(24)


@transaction.atomic
def record_activity(region: Region, kind: str, title: str, held_on: date, place: str = "", organiser: Any = None,
                    room: Room | None = None) -> Activity:
    """Record an activity held in a community or grid; ``organiser`` is the staff account recording it."""
    community = community_of(region)
    check_scope(organiser, region)
    if kind not in ActivityKind.values:
        raise InputError("kind", f"未知的活动类别：{kind}")
    title = (title or "").strip()
    if not title:
        raise InputError("title", "请填写活动名称")
    if room is not None and room.region_id != community.pk:
        raise InputError("room", "功能室不属于该社区")
    activity = Activity.objects.create(region=region, kind=kind, title=title, held_on=held_on,
                                       place=(place or "").strip(), room=room,
                                       organiser=organiser if getattr(organiser, "is_authenticated", False) else None)
    audit.record("community.activity.recorded", actor=organiser, target=activity, region=region, kind=kind,
                 held_on=held_on.isoformat())
    return activity


def _hours(value: Any) -> Decimal:
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise InputError("hours", "服务时长须为数字") from None
    if not Decimal(0) < hours <= MAX_HOURS:
        raise InputError("hours", "服务时长须大于 0 且不超过 24 小时")
    return hours


@transaction.atomic
def add_participant(activity: Activity, holder: PartyMember | CoBuildingUnit, hours: Any, *,
                    actor: Any = None) -> ActivityParticipant:
    """A member or unit of the activity's community took part for ``hours``; earns participation and hour points."""
    check_scope(actor, activity.region)
    hours = _hours(hours)
    if isinstance(holder, PartyMember):
        field = "member"
    elif isinstance(holder, CoBuildingUnit):
        field = "unit"
    else:
        raise InputError("holder", "参与者须为党员或共建单位")
    if holder.region_id != community_of(activity.region).pk:
        raise InputError("holder", "参与者须为本社区报到的党员或共建单位")
    try:
        with transaction.atomic():
            participant = ActivityParticipant.objects.create(activity=activity, hours=hours, **{field: holder})
    except IntegrityError:
        raise InputError("holder", f"{holder.name} 已登记参加该活动") from None
    source = f"activity:{activity.pk}"
    points.award("activity_participation", holder, source, activity.held_on, note=activity.title)
    points.award("activity_hours", holder, source, activity.held_on, note=f"{activity.title} {hours} 小时",
                 quantity=int(hours.to_integral_value(rounding=ROUND_DOWN)))
    audit.record("community.activity.participant", actor=actor, target=activity, region=activity.region,
                 holder=f"{field}:{holder.pk}", hours=str(hours))
    return participant


@transaction.atomic
def add_served(activity: Activity, residents: Iterable[Resident], *, actor: Any = None) -> int:
    """Count residents of the activity's community as served, once per person; return how many were new."""
    check_scope(actor, activity.region)
    community = community_of(activity.region)
    residents = list({r.pk: r for r in residents}.values())
    inside = set(Resident.objects.filter(pk__in=[r.pk for r in residents], region__path__startswith=community.path)
                 .values_list("pk", flat=True))
    outside = [r.name for r in residents if r.pk not in inside]
    if outside:
        raise InputError("residents", f"{'、'.join(outside)} 不是本社区居民")
    before = ActivityServed.objects.filter(activity=activity).count()
    ActivityServed.objects.bulk_create([ActivityServed(activity=activity, resident=r) for r in residents],
                                       ignore_conflicts=True)
    participation.record(activity, residents)
    added = ActivityServed.objects.filter(activity=activity).count() - before
    if added:
        audit.record("community.activity.served", actor=actor, target=activity, region=activity.region, added=added)
    return added


@transaction.atomic
def add_photo(activity: Activity, photo: Any, caption: str = "", *, actor: Any = None) -> ActivityPhoto:
    """Attach a photo (jpg/png/webp, at most 5 MB) to an activity."""
    check_scope(actor, activity.region)
    check_photo(photo)
    item = ActivityPhoto(activity=activity, caption=(caption or "").strip()[:128])
    item.photo.save(PurePath(photo.name).name, photo, save=True)
    audit.record("community.activity.photo", actor=actor, target=activity, region=activity.region)
    return item


@dataclass(frozen=True)
class ActivityFigures:
    """Activities held, people served (each person once per activity) and hours given."""

    activities: int
    people_served: int
    hours: Decimal


def activity_figures(queryset: models.QuerySet[Activity]) -> ActivityFigures:
    """The figures of ``queryset`` (already scoped)."""
    ids = queryset.values("pk")
    served = ActivityServed.objects.filter(activity__in=ids).count()
    hours = ActivityParticipant.objects.filter(activity__in=ids).aggregate(total=Sum("hours"))["total"]
    return ActivityFigures(activities=queryset.count(), people_served=served, hours=hours or Decimal(0))
