"""The venue targets of communities from their rooms, bookings and activities, in a fixed number of queries."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from changji.community.models import Activity, ActivityKind, ActivityServed, Room, RoomBooking, RoomKind, VenueBaseline
from changji.community.venues import participation
from changji.community.venues.figures import venue_targets, venue_targets_for
from tests.community.venues.test_targets import AFTER_YEAR, YEAR


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
    participation.rebuild()  # served rows written directly, as by a bulk load: the daily job's rebuild

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
