"""The county's four venue targets (阵地 20/80/50/60) of a community, from plain numbers (pure: no Django).

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
``assess_targets`` is the computation from plain numbers (``VenueNumbers``); ``figures.venue_targets_for``
gathers the numbers of many communities in a fixed number of grouped queries.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

__pure__ = True  # no Django: tests/test_architecture.py checks it

#: The four thresholds: office cut 20 %, service share 80 %, 50 usage days per function room, participation 60 %.
OFFICE_CUT_MIN = Fraction(1, 5)

SERVICE_SHARE_MIN = Fraction(4, 5)

ROOM_DAYS_MIN = 50

PARTICIPATION_MIN = Fraction(3, 5)


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
