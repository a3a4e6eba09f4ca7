"""Booking a community's service rooms (阵地预约), and the rooms' usage days in a year.

A booking holds a service room on one day from a start to an end time (Asia/Shanghai wall clock);
bookings of one room never overlap. A room's usage days are the distinct days it is booked: the
50-day target of ``targets`` counts them.
"""

from __future__ import annotations

from datetime import date, time
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet

from changji.community.models import Room, RoomBooking, RoomKind
from changji.core import audit
from changji.core.errors import Refusal


class BookingError(Refusal):
    """A booking that cannot be made (``core.errors``): ``field`` the form field at fault, ``message`` why."""


def book(room: Room, day: date, starts_at: time, ends_at: time, purpose: str, attendance: int,
         actor: Any) -> RoomBooking:
    """Book ``room`` on ``day`` from ``starts_at`` to ``ends_at`` (Shanghai wall-clock) and audit it.

    Only service rooms are booked. A booking that overlaps another of the same room on the same day
    (sharing more than an instant: 9:00–10:00 and 10:00–11:00 do not overlap) is refused, as is an end
    not after the start, an empty purpose or a negative attendance; nothing is stored then.
    """
    purpose = (purpose or "").strip()
    if room.kind != RoomKind.SERVICE:
        raise BookingError("room", f"{room.name}是办公用房，只有服务用房可以预约")
    if not purpose:
        raise BookingError("purpose", "请填写用途")
    if ends_at <= starts_at:
        raise BookingError("ends_at", "结束时间应晚于开始时间")
    if attendance is None or attendance < 0:
        raise BookingError("attendance", "参加人数不能为负数")
    with transaction.atomic():
        Room.objects.select_for_update().filter(pk=room.pk).first()  # serialise bookings of one room
        clash = (RoomBooking.objects.filter(room=room, day=day, starts_at__lt=ends_at, ends_at__gt=starts_at)
                 .order_by("starts_at").first())
        if clash is not None:
            raise BookingError("starts_at", f"{room.name}在{day:%Y-%m-%d} {clash.starts_at:%H:%M}–{clash.ends_at:%H:%M}"
                               f"已有预约（{clash.purpose}），时段不能重叠")
        booking = RoomBooking.objects.create(room=room, day=day, starts_at=starts_at, ends_at=ends_at,
                                             purpose=purpose, attendance=attendance, booked_by=actor)
        audit.record("community.room.booked", actor=actor, target=booking, region=room.region,
                     room=room.pk, day=day.isoformat(), starts_at=f"{starts_at:%H:%M}",
                     ends_at=f"{ends_at:%H:%M}", purpose=purpose, attendance=attendance)
    return booking


def usage_days(rooms: QuerySet[Room], year: int) -> dict[int, int]:
    """``{room_id: usage days}`` of ``rooms`` in ``year``: distinct Shanghai dates booked, in one grouped query.

    Rooms never booked in the year are absent (0 days).
    """
    rows = (RoomBooking.objects.filter(room__in=rooms.values("pk"), day__gte=date(year, 1, 1),
                                       day__lte=date(year, 12, 31))
            .values("room_id").annotate(days=Count("day", distinct=True)).order_by())
    return {row["room_id"]: row["days"] for row in rows}
