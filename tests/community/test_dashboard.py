"""The community dashboard: figures per grid, rolled up to community, town and total, in the user's scope."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from shapely.geometry import box, mapping

from changji.community.dashboard import Counts, community_figures, year_bounds
from changji.community.grids.service import create_grid
from changji.community.models import (
    Activity,
    ActivityKind,
    ActivityParticipant,
    ActivityServed,
    Building,
    CoBuildingUnit,
    Compound,
    Household,
    IssueCategory,
    MicroWish,
    PartyMember,
    PointEntry,
    PointRule,
    Resident,
    ResidentIssue,
    Room,
    RoomKind,
    VenueBaseline,
)
from changji.community.venues import participation
from changji.core.models import Region, RegionLevel

NOW = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
YEAR = 2026


def issue(region, state, n, *, reported=NOW - timedelta(days=3), responded=True, satisfied=None, overdue=False,
          category=None):
    """A resident issue in ``region`` made directly (no workflow): enough for the counting."""
    category = category or IssueCategory.objects.get_or_create(
        code="noise", defaults={"name": "噪音扰民", "responsible": "grid"})[0]
    return ResidentIssue.objects.create(
        request_id=f"T{n:06d}", category=category, region=region, description="夜间施工噪音", channel="web",
        state=state, reported_at=reported, response_due_at=reported + timedelta(hours=24),
        responded_at=reported + timedelta(hours=2) if responded else None, level_started_at=reported,
        due_at=NOW - timedelta(days=1) if overdue else NOW + timedelta(days=4), satisfied=satisfied,
        reporter_name="张三", reporter_phone="13912345678")


def populate(w):
    """Members, units, wishes, activities, issues and points of the community world (see the figures below)."""
    a, b, c = w.grid_a.region, w.grid_b.region, w.grid_c.region
    members = [PartyMember.objects.create(region=w.east, name=name, registered_on=date(2025, 3, 1),
                                          phone="13800000001", id_number=f"65232819800101001{digit}")
               for name, digit in (("王党员", 1), ("赵党员", 2))]
    PartyMember.objects.create(region=w.west, name="钱党员", registered_on=date(2026, 1, 5))
    PartyMember.objects.create(region=w.west, name="孙党员", registered_on=date(2027, 1, 5))  # after the year
    unit = CoBuildingUnit.objects.create(region=w.east, name="县供电公司", registered_on=date(2025, 1, 1))
    CoBuildingUnit.objects.create(region=w.west, name="县人民医院", registered_on=date(2026, 2, 1))
    published = NOW - timedelta(days=30)
    for n, state in enumerate(("published", "claimed", "fulfilled", "confirmed", "confirmed")):
        MicroWish.objects.create(region=a, resident=w.zhang, title=f"心愿{n}", state=state,
                                 posted_at=published, published_at=published)
    MicroWish.objects.create(region=a, resident=w.zhang, title="待审核", state="posted", posted_at=published)
    MicroWish.objects.create(region=a, resident=w.li, title="去年的", state="confirmed",
                             posted_at=datetime(2025, 5, 1, tzinfo=UTC), published_at=datetime(2025, 5, 1, tzinfo=UTC))
    market = Activity.objects.create(region=a, kind=ActivityKind.MARKET, title="邻里集市", held_on=date(2026, 5, 1))
    clinic = Activity.objects.create(region=w.east, kind=ActivityKind.HEALTH, title="义诊", held_on=date(2026, 5, 2))
    Activity.objects.create(region=c, kind=ActivityKind.LEGAL, title="去年的", held_on=date(2025, 5, 2))
    for activity in (market, clinic):
        ActivityServed.objects.create(activity=activity, resident=w.zhang)
    ActivityServed.objects.create(activity=market, resident=w.li)
    participation.rebuild()  # served rows written directly, as by a bulk load: the daily job's rebuild
    ActivityParticipant.objects.create(activity=market, member=members[0], hours=Decimal("2.5"))
    ActivityParticipant.objects.create(activity=market, unit=unit, hours=Decimal("4"))
    ActivityParticipant.objects.create(activity=clinic, member=members[1], hours=Decimal("3"))
    # Issues: A has 4 (one rejected, not counted), B 2, C 1 and one of last year.
    issue(a, "reported", 1, responded=False, overdue=True)
    issue(a, "accepted", 2)
    issue(a, "closed", 3, satisfied=True)
    issue(a, "rejected", 4)
    issue(b, "resolved", 5, satisfied=False)
    issue(b, "reopened", 6, overdue=True, satisfied=False)
    issue(c, "closed", 7, satisfied=True)
    issue(c, "closed", 8, reported=datetime(2025, 3, 1, tzinfo=UTC), satisfied=True)
    rule = PointRule.objects.create(code="wish", name="认领微心愿", points=10)
    PointEntry.objects.create(region=w.east, unit=unit, rule=rule, points=30, earned_on=date(2026, 4, 1), source="a")
    PointEntry.objects.create(region=w.east, unit=unit, rule=rule, points=-5, earned_on=date(2026, 4, 2), source="b")
    PointEntry.objects.create(region=w.east, unit=unit, rule=rule, points=99, earned_on=date(2025, 4, 2), source="c")
    PointEntry.objects.create(region=w.east, member=members[0], rule=rule, points=10, earned_on=date(2026, 4, 1),
                              source="a")
    PointEntry.objects.create(region=w.east, member=members[1], rule=rule, points=20, earned_on=date(2026, 4, 1),
                              source="a")
    Room.objects.create(region=w.east, name="办公室", kind=RoomKind.OFFICE, area_m2=Decimal("20"))
    Room.objects.create(region=w.east, name="书画室", kind=RoomKind.SERVICE, function="文化", area_m2=Decimal("80"))
    VenueBaseline.objects.create(region=w.east, office_area_before_m2=Decimal("30"))


@pytest.fixture
def world(community_world):
    populate(community_world)
    return community_world


def by_code(rows):
    return {row.code: row for row in rows}


def test_year_bounds_are_shanghai_midnights():
    start, end = year_bounds(2026)
    assert start == datetime(2025, 12, 31, 16, tzinfo=UTC) and end == datetime(2026, 12, 31, 16, tzinfo=UTC)


def test_grid_figures_count_each_grids_own_rows(world):
    figures = community_figures(world.town, YEAR, NOW)
    grids = by_code(figures.grids)
    a = grids[world.grid_a.region_id]
    assert (a.counts.residents, a.counts.households) == (2, 1)
    assert (a.counts.wishes_published, a.counts.wishes_claimed, a.counts.wishes_confirmed) == (5, 4, 2)
    assert (a.counts.activities, a.counts.served, a.counts.volunteer_hours) == (1, 2, Decimal("6.5"))
    assert (a.issues.total, a.issues.reported, a.issues.accepted, a.issues.closed, a.issues.overdue) == (3, 1, 1, 1, 1)
    assert a.issues.response_rate == pytest.approx(2 / 3)  # the unanswered one is past its response limit
    assert a.issues.resolution_rate == pytest.approx(1 / 3)
    assert a.issues.satisfaction_rate == 1
    b = grids[world.grid_b.region_id]
    assert (b.issues.total, b.issues.resolved, b.issues.reopened, b.issues.overdue) == (2, 1, 1, 1)
    assert b.issues.satisfaction_rate == 0 and b.counts.residents == 0
    c = grids[world.grid_c.region_id]
    assert c.issues.total == 1 and c.counts.activities == 0  # last year's activity and issue are not counted
    assert (a.counts.members, a.counts.units) == (0, 0)  # members and units belong to the community


def test_grids_roll_up_to_their_community_communities_to_the_town_and_a_total(world):
    figures = community_figures(world.town, YEAR, NOW)
    communities = by_code(figures.communities)
    east, west = communities[world.east.code], communities[world.west.code]
    assert [g.code for g in east.children] == [world.grid_a.region_id, world.grid_b.region_id]
    assert (east.counts.members, east.counts.units, west.counts.members, west.counts.units) == (2, 1, 1, 1)
    assert east.issues.total == 5 and east.issues.overdue == 2 and west.issues.total == 1
    assert east.issues.resolution_rate == pytest.approx(2 / 5)  # closed in A, resolved in B
    # The clinic is the community's own activity: it counts for the community, not for a grid.
    assert (east.counts.activities, east.counts.served, east.counts.volunteer_hours) == (2, 3, Decimal("9.5"))
    assert east.counts.residents == 2
    [town] = figures.towns
    assert town.code == world.town.code and [c.code for c in town.children] == [world.east.code, world.west.code]
    assert town.counts == east.counts + west.counts
    assert figures.total.counts == town.counts
    assert figures.total.issues.total == 6 and figures.total.issues.satisfaction_rate == pytest.approx(2 / 4)


def test_points_rankings_and_venue_targets(world):
    figures = community_figures(world.town, YEAR, NOW)
    top_units = [(e.rank, e.name, e.points, e.community_name) for e in figures.top_units]
    assert top_units == [(1, "县供电公司", 25, "东城社区")]
    assert [(e.rank, e.name, e.points) for e in figures.top_members] == [(1, "赵党员", 20), (2, "王党员", 10)]
    units, members = figures.community_rankings[world.east.code]
    assert [e.name for e in units] == ["县供电公司"] and [e.name for e in members] == ["赵党员", "王党员"]
    east = figures.community(world.east.code)
    assert east.venue is not None
    assert east.venue.office_cut.value == pytest.approx(1 / 3) and east.venue.office_cut.met is True
    assert east.venue.service_share.value == pytest.approx(0.8) and east.venue.service_share.met is True
    assert east.venue.room_use.met is False  # 书画室 never booked
    assert east.venue.numbers.residents == 2 and east.venue.numbers.participants == 2
    assert east.venue.participation.met is True
    assert [v.region_code for v in figures.venues] == [world.east.code, world.west.code]


def test_another_year_counts_that_years_rows(world):
    figures = community_figures(world.town, 2025, NOW)
    assert figures.total.counts.wishes_confirmed == 1 and figures.total.issues.total == 1
    assert figures.total.counts.members == 2 and figures.total.counts.units == 1  # registered by the end of 2025
    assert [e.points for e in figures.top_units] == [99]


def test_a_grid_worker_sees_only_their_grid(world):
    figures = community_figures(world.users.grid_a, YEAR, NOW)
    assert [g.code for g in figures.grids] == [world.grid_a.region_id]
    assert figures.communities == [] and figures.towns == []
    assert figures.total.counts == figures.grids[0].counts
    assert figures.total.issues.total == 3 and figures.total.counts.members == 0
    assert figures.top_units == [] and figures.scope_name == "东城社区第一网格"


def test_a_community_worker_sees_their_community_and_its_grids(world):
    figures = community_figures(world.users.east, YEAR, NOW)
    assert [c.code for c in figures.communities] == [world.east.code]
    assert {g.code for g in figures.grids} == {world.grid_a.region_id, world.grid_b.region_id}
    assert figures.total.issues.total == 5 and figures.total.counts.members == 2
    street = community_figures(world.users.street, YEAR, NOW)
    assert street.total.counts == community_figures(world.town, YEAR, NOW).total.counts


def test_a_user_of_another_county_sees_nothing(world, make_user):
    other = make_user("qitai-street", "652325", role="street_officer")
    figures = community_figures(other, YEAR, NOW)
    assert (figures.towns, figures.communities, figures.grids) == ([], [], [])
    assert figures.total.counts == Counts()


def add_grids(w, count):
    """``count`` more grids in a third community, each with a compound, a household, a resident and an issue."""
    community = Region.objects.create(code="652328100003", name="南苑社区", level=RegionLevel.VILLAGE, parent=w.town)
    for n in range(count):
        grid = create_grid(f"652328100003{n + 1:03d}", f"南苑第{n + 1}网格", community,
                           mapping(box(90.30 + n * 0.01, 43.84, 90.31 + n * 0.01, 43.85)))
        compound = Compound.objects.create(region=grid.region, name=f"小区{n}", lon=90.305 + n * 0.01, lat=43.845)
        building = Building.objects.create(compound=compound, region=grid.region, name="1号楼", lon=compound.lon,
                                           lat=compound.lat)
        household = Household.objects.create(building=building, region=grid.region, door="101")
        resident = Resident.objects.create(household=household, region=grid.region, name=f"居民{n}")
        issue(grid.region, "accepted", 1000 + n)
        MicroWish.objects.create(region=grid.region, resident=resident, title="心愿", state="published",
                                 posted_at=NOW, published_at=NOW)
    PartyMember.objects.create(region=community, name="南苑党员", registered_on=date(2026, 1, 1))
    Room.objects.create(region=community, name="活动室", kind=RoomKind.SERVICE, area_m2=Decimal("50"))


def test_the_number_of_queries_does_not_grow_with_the_grids(world, django_assert_max_num_queries):
    """3 grids or 30: the same fixed number of grouped queries."""
    with CaptureQueriesContext(connection) as few:
        community_figures(world.users.street, YEAR, NOW)
    add_grids(world, 27)
    with django_assert_max_num_queries(len(few)), CaptureQueriesContext(connection) as many:
        figures = community_figures(world.users.street, YEAR, NOW)
    assert len(figures.grids) == 30 and len(figures.communities) == 3
    assert figures.community("652328100003").counts.residents == 27
    assert len(many) == len(few) <= 24  # 15 of issue 17, 8 of the organisations, meetings, visits and channels
