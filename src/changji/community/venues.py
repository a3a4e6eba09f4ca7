"""Venues (阵地): booking the community's service rooms, their usage days, and the county's 20/80/50/60 targets.

The county judges each community's premises by four targets (阵地 "20 / 80 / 50 / 60"):

* **20** — office area cut by at least 20 %: ``(office area before the reform − office area now)
  / office area before`` ≥ 20 %; the area before is the community's ``VenueBaseline``, the area now
  the sum of its office rooms. No baseline (or a zero one): no data (``met`` is None).
* **80** — service area at least 80 % of the premises: ``service rooms' area / all rooms' area`` ≥ 80 %.
* **50** — each function room used on at least 50 days a year. Function rooms are the community's
  service rooms (office rooms are not booked); a room's usage days are the distinct dates on which it
  is booked (``RoomBooking.day``, a wall-clock date in Asia/Shanghai, as are its start and end times).
  The target's value is the usage days of the least-used function room, so it is met only when every
  room reaches 50. For the year in progress the rooms are also measured against the pro-rata pace:
  ``50 × elapsed share of the year`` days by ``today`` (elapsed share = days from 1 January up to and
  including ``today`` / days in the year); a past year's pace is the full 50 days, a future year's 0.
  ``met`` always compares with the full 50 days: a room on pace in June has not yet met the target.
* **60** — resident participation at least 60 %: the distinct residents served (``ActivityServed``) by the
  activities the community (or one of its grids) held in the year (``Activity.held_on``), divided by the
  residents registered in the community now (``Resident.region`` the community or one of its grids). No
  residents registered: no data. A resident counts once however many activities served them; a resident
  of another community served here counts here (activities are open to all), so the share can in principle
  pass 100 %; it is shown as it is, not capped. (Requiring the resident to be registered in the same
  community would need a join of every served row with its resident: several times slower at county scale.)

Comparisons with the thresholds are exact (fractions of the decimal areas), so 20 % on the nose is met.
``assess_targets`` is the pure computation from plain numbers; ``venue_targets_for`` gathers the numbers of
many communities in a fixed number of grouped queries.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr

from changji.community.models import Activity, Resident, Room, RoomBooking, RoomKind, VenueBaseline
from changji.core import audit
from changji.core.errors import Refusal
from changji.core.models import Region

#: The four thresholds: office cut 20 %, service share 80 %, 50 usage days per function room, participation 60 %.
OFFICE_CUT_MIN = Fraction(1, 5)
SERVICE_SHARE_MIN = Fraction(4, 5)
ROOM_DAYS_MIN = 50
PARTICIPATION_MIN = Fraction(3, 5)

#: A community's code is the first 12 characters of its own code and of each of its grids' (GB 2260 + 3 digits).
COMMUNITY_CODE_LENGTH = 12


class BookingError(Refusal):
    """A booking that cannot be made (``core.errors``): ``field`` the form field at fault, ``message`` why."""


# --- Bookings --------------------------------------------------------------------------------------------------


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


# --- The four targets, pure --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One of the four targets: its value (a share, or days), the threshold, and whether it is met (None: no data)."""

    key: str
    label: str
    value: float | None
    threshold: float
    met: bool | None
    unit: str  # "%" (value and threshold are shares 0–1) or "天"


@dataclass(frozen=True)
class RoomUse:
    """A function room's usage days in the year, against the 50-day target and the pace by today."""

    room_id: int
    name: str
    function: str
    area_m2: Decimal
    days: int
    below_target: bool
    behind_pace: bool


@dataclass(frozen=True)
class VenueNumbers:
    """The plain numbers of one community that the targets are computed from."""

    region_code: str
    region_name: str
    office_area_before_m2: Decimal | None
    office_area_m2: Decimal
    service_area_m2: Decimal
    residents: int
    participants: int
    #: (room id, name, function, area m², usage days) of each function (service) room.
    rooms: tuple[tuple[int, str, str, Decimal, int], ...] = ()


@dataclass(frozen=True)
class VenueTargets:
    """A community's four venue targets in a year, with the numbers behind them."""

    region_code: str
    region_name: str
    year: int
    office_cut: Target
    service_share: Target
    room_use: Target
    participation: Target
    numbers: VenueNumbers
    pace_days: float
    rooms: tuple[RoomUse, ...] = field(default=())

    @property
    def targets(self) -> tuple[Target, Target, Target, Target]:
        return (self.office_cut, self.service_share, self.room_use, self.participation)

    @property
    def rooms_below_target(self) -> list[RoomUse]:
        return [room for room in self.rooms if room.below_target]

    @property
    def rooms_behind_pace(self) -> list[RoomUse]:
        return [room for room in self.rooms if room.behind_pace]

    @property
    def met_count(self) -> int:
        return sum(1 for target in self.targets if target.met)


def year_elapsed_share(year: int, today: date) -> Fraction:
    """The share of ``year`` elapsed by the end of ``today``: 0 before it starts, 1 once it is over."""
    if today.year < year:
        return Fraction(0)
    if today.year > year:
        return Fraction(1)
    length = 366 if calendar.isleap(year) else 365
    return Fraction(today.timetuple().tm_yday, length)


def _share(numerator: Fraction, denominator: Fraction) -> Fraction | None:
    return numerator / denominator if denominator else None


def _target(key: str, label: str, value: Fraction | None, threshold: Fraction, unit: str) -> Target:
    return Target(key, label, None if value is None else float(value), float(threshold),
                  None if value is None else value >= threshold, unit)


def assess_targets(numbers: VenueNumbers, year: int, today: date) -> VenueTargets:
    """The four targets of one community from its plain numbers (see the module docstring for the definitions)."""
    before = Fraction(numbers.office_area_before_m2) if numbers.office_area_before_m2 is not None else None
    office, service = Fraction(numbers.office_area_m2), Fraction(numbers.service_area_m2)
    cut = _share(before - office, before) if before else None
    pace = ROOM_DAYS_MIN * year_elapsed_share(year, today)
    rooms = tuple(RoomUse(room_id, name, function, Decimal(area), days, below_target=days < ROOM_DAYS_MIN,
                          behind_pace=days < pace)
                  for room_id, name, function, area, days in sorted(numbers.rooms, key=lambda r: (r[4], r[1])))
    least_days = Fraction(min(room.days for room in rooms)) if rooms else None
    participation = _share(Fraction(numbers.participants), Fraction(numbers.residents))
    return VenueTargets(
        region_code=numbers.region_code, region_name=numbers.region_name, year=year,
        office_cut=_target("office_cut", "办公用房压减", cut, OFFICE_CUT_MIN, "%"),
        service_share=_target("service_share", "服务用房占比", _share(service, office + service),
                              SERVICE_SHARE_MIN, "%"),
        room_use=_target("room_use", "功能室年使用天数（最少的一间）", least_days, Fraction(ROOM_DAYS_MIN), "天"),
        participation=_target("participation", "居民参与率", participation, PARTICIPATION_MIN, "%"),
        numbers=numbers, pace_days=float(pace), rooms=rooms,
    )


# --- Gathering the numbers ---------------------------------------------------------------------------------------


def _in_communities(codes: list[str], field_name: str) -> Q:
    """Rows whose region (``field_name``) is one of the communities or a grid of one of them."""
    return Q(**{f"{field_name}_id__in": codes}) | Q(**{f"{field_name}__parent_id__in": codes})


def residents_by_community(codes: list[str]) -> dict[str, int]:
    """Residents registered in each community (its own region or its grids'), in one grouped query."""
    counts: dict[str, int] = defaultdict(int)
    rows = (Resident.objects.filter(_in_communities(codes, "region")).values("region_id")
            .annotate(n=Count("pk")).order_by())
    for row in rows:
        counts[row["region_id"][:COMMUNITY_CODE_LENGTH]] += row["n"]
    return dict(counts)


def participants_by_community(codes: list[str], year: int) -> dict[str, int]:
    """Distinct residents served in ``year`` by activities of each community (its own or its grids'), one query."""
    rows = (Activity.objects.filter(_in_communities(codes, "region"), held_on__gte=date(year, 1, 1),
                                    held_on__lte=date(year, 12, 31))
            .values(community=Substr("region_id", 1, COMMUNITY_CODE_LENGTH))
            .annotate(n=Count("served__resident_id", distinct=True)).order_by())
    return {row["community"]: row["n"] for row in rows if row["n"]}


def venue_targets_for(regions: Iterable[Region], year: int, today: date, *,
                      residents: Mapping[str, int] | None = None) -> dict[str, VenueTargets]:
    """``{community code: VenueTargets}`` of the communities ``regions``, in five grouped queries whatever their number.

    ``residents`` (community code → residents) may be passed by a caller that has counted them already.
    """
    communities = {region.code: region for region in regions}
    codes = sorted(communities)
    if not codes:
        return {}
    rooms = list(Room.objects.filter(region_id__in=codes).values("pk", "region_id", "name", "kind", "function",
                                                                 "area_m2").order_by("region_id", "name"))
    baselines = dict(VenueBaseline.objects.filter(region_id__in=codes).values_list("region_id",
                                                                                  "office_area_before_m2"))
    days = usage_days(Room.objects.filter(region_id__in=codes, kind=RoomKind.SERVICE), year)
    if residents is None:
        residents = residents_by_community(codes)
    participants = participants_by_community(codes, year)
    by_community: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for room in rooms:
        by_community[room["region_id"]].append(room)
    result = {}
    for code in codes:
        own = by_community[code]
        numbers = VenueNumbers(
            region_code=code, region_name=communities[code].name, office_area_before_m2=baselines.get(code),
            office_area_m2=sum((r["area_m2"] for r in own if r["kind"] == RoomKind.OFFICE), Decimal(0)),
            service_area_m2=sum((r["area_m2"] for r in own if r["kind"] == RoomKind.SERVICE), Decimal(0)),
            residents=residents.get(code, 0), participants=participants.get(code, 0),
            rooms=tuple((r["pk"], r["name"], r["function"], r["area_m2"], days.get(r["pk"], 0))
                        for r in own if r["kind"] == RoomKind.SERVICE),
        )
        result[code] = assess_targets(numbers, year, today)
    return result


def venue_targets(community: Region, year: int, today: date) -> VenueTargets:
    """The four venue targets of one community in ``year`` (``today`` sets the pace of the year in progress)."""
    return venue_targets_for([community], year, today)[community.code]
