"""Venues (阵地): booking service rooms, usage days in Shanghai dates, and the 20/80/50/60 targets."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from changji.community.models import (
    Activity,
    ActivityKind,
    ActivityServed,
    Room,
    RoomBooking,
    RoomKind,
    VenueBaseline,
)
from changji.community.venues import (
    BookingError,
    VenueNumbers,
    assess_targets,
    book,
    usage_days,
    venue_targets,
    venue_targets_for,
    year_elapsed_share,
)
from changji.core.models import AuditEntry

YEAR = 2026
AFTER_YEAR = date(2027, 3, 1)


def numbers(**overrides) -> VenueNumbers:
    values = {"region_code": "652328100001", "region_name": "东城社区", "office_area_before_m2": Decimal("100"),
              "office_area_m2": Decimal("80"), "service_area_m2": Decimal("320"), "residents": 100,
              "participants": 60, "rooms": ((1, "书画室", "文化", Decimal("40"), 50),)}
    values.update(overrides)
    return VenueNumbers(**values)


# --- the pure targets --------------------------------------------------------------------------------------------


def test_every_target_is_met_exactly_at_its_threshold():
    """20 % cut, 80 % service share, 50 days and 60 % participation on the nose all count as met."""
    result = assess_targets(numbers(), YEAR, AFTER_YEAR)
    assert [t.met for t in result.targets] == [True, True, True, True]
    assert result.office_cut.value == pytest.approx(0.2) and result.office_cut.threshold == pytest.approx(0.2)
    assert result.service_share.value == pytest.approx(0.8)
    assert result.room_use.value == 50 and result.room_use.threshold == 50
    assert result.participation.value == pytest.approx(0.6)
    assert result.met_count == 4


def test_just_below_each_threshold_is_not_met():
    result = assess_targets(numbers(office_area_m2=Decimal("80.1"), service_area_m2=Decimal("319.9"),
                                    participants=59, rooms=((1, "书画室", "文化", Decimal("40"), 49),)),
                            YEAR, AFTER_YEAR)
    assert [t.met for t in result.targets] == [False, False, False, False]
    assert [r.name for r in result.rooms_below_target] == ["书画室"]


def test_the_comparison_is_exact_on_decimal_areas():
    """11 m² cut to 8.8 m² is exactly 20 % (floating point would make it 19.999… %)."""
    result = assess_targets(numbers(office_area_before_m2=Decimal("11"), office_area_m2=Decimal("8.8"),
                                    service_area_m2=Decimal("35.2")), YEAR, AFTER_YEAR)
    assert result.office_cut.met is True and result.service_share.met is True


def test_missing_data_gives_none_not_a_verdict():
    result = assess_targets(numbers(office_area_before_m2=None, office_area_m2=Decimal(0), service_area_m2=Decimal(0),
                                    residents=0, participants=0, rooms=()), YEAR, AFTER_YEAR)
    assert [t.met for t in result.targets] == [None, None, None, None]
    assert [t.value for t in result.targets] == [None, None, None, None]
    assert assess_targets(numbers(office_area_before_m2=Decimal(0)), YEAR, AFTER_YEAR).office_cut.met is None


def test_the_least_used_room_decides_the_50_day_target():
    rooms = ((1, "书画室", "文化", Decimal("40"), 80), (2, "舞蹈室", "文体", Decimal("60"), 12),
             (3, "图书室", "阅读", Decimal("30"), 50))
    result = assess_targets(numbers(rooms=rooms), YEAR, AFTER_YEAR)
    assert result.room_use.value == 12 and result.room_use.met is False
    assert [r.name for r in result.rooms_below_target] == ["舞蹈室"]
    assert [r.name for r in result.rooms] == ["舞蹈室", "图书室", "书画室"]  # least used first


def test_the_pace_of_the_year_in_progress_is_pro_rata():
    """On 2 July 2026 (day 183 of 365) a room needs 50 × 183/365 ≈ 25.07 days to be on pace."""
    today = date(2026, 7, 2)
    assert year_elapsed_share(YEAR, today) == pytest.approx(183 / 365)
    rooms = ((1, "书画室", "文化", Decimal("40"), 25), (2, "舞蹈室", "文体", Decimal("60"), 26))
    result = assess_targets(numbers(rooms=rooms), YEAR, today)
    assert result.pace_days == pytest.approx(50 * 183 / 365)
    assert [r.name for r in result.rooms_behind_pace] == ["书画室"]
    assert result.room_use.met is False  # on pace is not the annual target
    assert assess_targets(numbers(rooms=rooms), YEAR, AFTER_YEAR).pace_days == 50
    assert assess_targets(numbers(rooms=rooms), YEAR, date(2025, 12, 31)).pace_days == 0
    assert year_elapsed_share(2028, date(2028, 12, 31)) == 1  # leap year: day 366 of 366


# --- bookings -----------------------------------------------------------------------------------------------------


@pytest.fixture
def rooms(community_world):
    east = community_world.east
    return {
        "office": Room.objects.create(region=east, name="书记办公室", kind=RoomKind.OFFICE, area_m2=Decimal("30")),
        "art": Room.objects.create(region=east, name="书画室", kind=RoomKind.SERVICE, function="文化",
                                   area_m2=Decimal("60")),
        "dance": Room.objects.create(region=east, name="舞蹈室", kind=RoomKind.SERVICE, function="文体",
                                     area_m2=Decimal("90")),
    }


def test_a_booking_is_stored_and_audited(community_world, rooms):
    user = community_world.users.east
    booking = book(rooms["art"], date(2026, 5, 4), time(9), time(11), "书法班", 12, user)
    assert (booking.room, booking.attendance, booking.booked_by) == (rooms["art"], 12, user)
    entry = AuditEntry.objects.get(action="community.room.booked")
    assert entry.region_id == community_world.east.code and entry.detail["purpose"] == "书法班"


def test_an_overlapping_booking_of_the_same_room_is_refused(community_world, rooms):
    user = community_world.users.east
    book(rooms["art"], date(2026, 5, 4), time(9), time(11), "书法班", 12, user)
    with pytest.raises(BookingError, match="09:00–11:00已有预约（书法班）") as caught:
        book(rooms["art"], date(2026, 5, 4), time(10, 30), time(12), "国画班", 8, user)
    assert caught.value.field == "starts_at"
    with pytest.raises(BookingError):
        book(rooms["art"], date(2026, 5, 4), time(8), time(12), "包住整段", 8, user)
    # Back to back, another day or another room: fine.
    book(rooms["art"], date(2026, 5, 4), time(11), time(12), "国画班", 8, user)
    book(rooms["art"], date(2026, 5, 5), time(10), time(11), "国画班", 8, user)
    book(rooms["dance"], date(2026, 5, 4), time(10), time(11), "广场舞", 20, user)
    assert RoomBooking.objects.count() == 4


def test_office_rooms_and_bad_times_are_refused(community_world, rooms):
    user = community_world.users.east
    with pytest.raises(BookingError, match="办公用房") as caught:
        book(rooms["office"], date(2026, 5, 4), time(9), time(10), "开会", 5, user)
    assert caught.value.field == "room"
    with pytest.raises(BookingError, match="结束时间应晚于开始时间"):
        book(rooms["art"], date(2026, 5, 4), time(10), time(10), "书法班", 5, user)
    with pytest.raises(BookingError, match="用途"):
        book(rooms["art"], date(2026, 5, 4), time(9), time(10), "  ", 5, user)
    assert not RoomBooking.objects.exists() and not AuditEntry.objects.filter(action="community.room.booked")


def test_usage_days_are_distinct_shanghai_dates_of_the_year(community_world, rooms):
    """Two bookings on one day count once; a booking late on 31 December (local) counts in that year."""
    user = community_world.users.east
    book(rooms["art"], date(2026, 3, 1), time(9), time(10), "书法班", 5, user)
    book(rooms["art"], date(2026, 3, 1), time(15), time(16), "国画班", 5, user)
    book(rooms["art"], date(2026, 12, 31), time(23), time(23, 30), "跨年书写春联", 5, user)
    book(rooms["art"], date(2027, 1, 1), time(0, 30), time(1), "新年第一课", 5, user)
    book(rooms["dance"], date(2025, 12, 31), time(20), time(22), "迎新舞会", 30, user)
    service = Room.objects.filter(kind=RoomKind.SERVICE)
    assert usage_days(service, 2026) == {rooms["art"].pk: 2}
    assert usage_days(service, 2027) == {rooms["art"].pk: 1}
    assert usage_days(service, 2025) == {rooms["dance"].pk: 1}


# --- targets from the database -------------------------------------------------------------------------------------


def test_venue_targets_of_a_community_from_its_rooms_bookings_and_activities(community_world, rooms):
    w = community_world
    VenueBaseline.objects.create(region=w.east, office_area_before_m2=Decimal("40"))
    for day in range(1, 51):  # 书画室 on 50 distinct days, 舞蹈室 on 3
        RoomBooking.objects.create(room=rooms["art"], day=date(2026, 1, 1).replace(month=1 + day // 28,
                                   day=1 + day % 28), starts_at=time(9), ends_at=time(10), purpose="书法班")
    for day in (1, 2, 3):
        RoomBooking.objects.create(room=rooms["dance"], day=date(2026, 4, day), starts_at=time(9),
                                   ends_at=time(10), purpose="广场舞")
    market = Activity.objects.create(region=w.grid_a.region, kind=ActivityKind.MARKET, title="邻里集市",
                                     held_on=date(2026, 5, 1))
    old = Activity.objects.create(region=w.grid_a.region, kind=ActivityKind.HEALTH, title="义诊",
                                  held_on=date(2025, 5, 1))
    elsewhere = Activity.objects.create(region=w.west, kind=ActivityKind.LEGAL, title="法律咨询",
                                        held_on=date(2026, 6, 1))
    ActivityServed.objects.create(activity=market, resident=w.zhang)
    ActivityServed.objects.create(activity=old, resident=w.li)  # last year: not counted
    ActivityServed.objects.create(activity=elsewhere, resident=w.li)  # counts for 西城, whose activity it was

    result = venue_targets(w.east, 2026, AFTER_YEAR)
    assert result.numbers.office_area_m2 == Decimal("30") and result.numbers.service_area_m2 == Decimal("150")
    assert result.office_cut.value == pytest.approx(0.25) and result.office_cut.met is True
    assert result.service_share.value == pytest.approx(150 / 180) and result.service_share.met is True
    assert result.room_use.value == 3 and result.room_use.met is False
    assert {r.name: r.days for r in result.rooms} == {"书画室": 50, "舞蹈室": 3}
    assert (result.numbers.participants, result.numbers.residents) == (1, 2)
    assert result.participation.value == pytest.approx(0.5) and result.participation.met is False

    west = venue_targets(w.west, 2026, AFTER_YEAR)
    assert (west.numbers.participants, west.numbers.residents) == (1, 0)
    assert [t.met for t in west.targets] == [None, None, None, None]  # no rooms, no baseline, no residents


def test_venue_targets_for_many_communities_take_a_fixed_number_of_queries(community_world, rooms):
    from changji.core.models import Region, RegionLevel

    w = community_world
    with CaptureQueriesContext(connection) as two:
        venue_targets_for([w.east, w.west], YEAR, AFTER_YEAR)
    for n in range(3, 13):
        community = Region.objects.create(code=f"652328100{n:03d}", name=f"社区{n}", level=RegionLevel.VILLAGE,
                                          parent=w.town)
        Room.objects.create(region=community, name="活动室", kind=RoomKind.SERVICE, area_m2=Decimal("50"))
    communities = list(Region.objects.filter(level=RegionLevel.VILLAGE, parent=w.town))
    with CaptureQueriesContext(connection) as twelve:
        result = venue_targets_for(communities, YEAR, AFTER_YEAR)
    assert len(result) == 12 and len(twelve) == len(two) <= 5
