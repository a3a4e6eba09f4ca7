"""A demo town for the community app, shaped like 木垒镇 (Mulei county seat), and the same builder at benchmark scale.

Mulei's published figures: 1,238 departmental grids merged into 139, 1,500+ in-service party members
reporting to communities, 110 co-building units, 9 property companies serving 20 compounds, 860
micro-wishes fulfilled. ``build_town`` draws that town: unified grids as Voronoi cells of the town
polygon (no gaps, no overlaps by construction), grouped into communities; three departmental
layers (lattices of 400, 420 and 418 cells = 1,238) mapped onto them; compounds, buildings,
households and residents placed and assigned to grids by point-in-grid; members, units, wishes,
activities, issues, rooms with bookings and service points with a year of history.

Rows are bulk-inserted (no per-row events or audit), marked by the town's region code, so that
both the demo (a few thousand residents) and the benchmark (50,000 residents, 10,000 issues) build
in seconds. Everything is deterministic for a given ``seed``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from shapely import voronoi_polygons
from shapely.geometry import MultiPoint, Point, Polygon, box, mapping
from shapely.geometry.base import BaseGeometry

from changji.community import demo_visits
from changji.community.demo_meetings import build_meetings
from changji.community.demo_organisations import build_organisations
from changji.community.demo_outlines import draw_outlines
from changji.community.grids import geo
from changji.community.grids.service import create_grid, map_departmental
from changji.community.issues.categories import seed_categories
from changji.community.issues.workflow import EscalationLevel, IssueState
from changji.community.models import (
    Activity,
    ActivityKind,
    ActivityParticipant,
    ActivityServed,
    Building,
    CareHousehold,
    CoBuildingUnit,
    Compound,
    DepartmentalGrid,
    Grid,
    Household,
    IssueCategory,
    MemberKind,
    MicroWish,
    PartyMember,
    PointEntry,
    PointRule,
    Post,
    PropertyCompany,
    Resident,
    ResidentIssue,
    Room,
    RoomBooking,
    RoomKind,
    ServicePoint,
    VenueBaseline,
    VolunteerTeam,
)
from changji.community.points import seed_rules
from changji.community.venues import participation
from changji.community.wishes.workflow import WishState
from changji.core.identity import resident_id_check_char
from changji.core.models import Region, RegionLevel, Role, User

COUNTY_CODE = "652328"  # 木垒哈萨克自治县
TOWN_CODE = "652328100"  # 木垒镇
TOWN_NAME = "木垒镇"
#: The town's outline (longitude, latitude): the county seat and the villages around it.
TOWN_OUTLINE = ((90.240, 43.805), (90.300, 43.800), (90.345, 43.815), (90.350, 43.850), (90.330, 43.872),
                (90.275, 43.875), (90.245, 43.860), (90.235, 43.830))
COMMUNITY_NAMES = ("东城社区", "西城社区", "南苑社区", "北苑社区", "民生社区", "团结社区", "振兴社区", "和平社区",
                   "友谊社区", "新华社区", "文化社区", "园林社区")
#: The departmental layers merged into the unified grids, as (department, columns, rows): 400 + 420 + 418 = 1,238.
DEPARTMENT_LAYERS = (("综治", 20, 20), ("城管", 21, 20), ("民政", 22, 19))
PROPERTY_COMPANIES = ("木垒县安居物业", "天山物业", "雪莲物业", "金鑫物业", "祥和物业", "恒信物业", "鸿福物业",
                      "绿洲物业", "丰源物业")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红兰燕飞鹏辉斌宇浩凯建国海峰霖阿依古丽买买提努尔"
WORK_UNITS = ("县教育局", "县人民医院", "县自然资源局", "县税务局", "县供电公司", "木垒镇政府")
POSTS = ("政策宣传员", "文明引导员", "矛盾调解员", "环境监督员", "关爱帮扶员")
WISH_TITLES = ("一副老花镜", "修理漏水的水龙头", "孩子的学习用品", "一台助听器", "代买常用药品", "冬季取暖煤",
               "更换楼道灯泡", "陪同就医", "一辆轮椅", "辅导孩子作业")
ISSUE_TEXTS = {"sanitation": "楼下垃圾未及时清运", "roads": "路面破损坑洼", "property": "电梯经常停运",
               "neighbour": "邻里因停车发生纠纷", "noise": "夜间施工噪音扰民", "utilities": "暖气不热",
               "construction": "楼顶违章搭建", "security": "小区门禁损坏", "other": "其他诉求"}


@dataclass(frozen=True)
class TownSize:
    """How much of everything ``build_town`` makes."""

    grids: int = 139
    communities: int = 10
    residents: int = 5_000
    members: int = 1_500
    units: int = 110
    wishes: int = 1_000
    activities: int = 600
    issues: int = 1_000
    service_points: int = 14
    visits: int = 2_000
    meetings: int = 120


DEMO_SIZE = TownSize()
BENCHMARK_SIZE = TownSize(residents=50_000, issues=10_000, activities=4_610, visits=20_000, meetings=2_000)


def town_outline() -> Polygon:
    return Polygon(TOWN_OUTLINE)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _id_number(rng: random.Random, born: date) -> str:
    """A well-formed 公民身份号码 (GB 11643-1999) of someone born on ``born`` and registered in the county."""
    body = f"{COUNTY_CODE}{born:%Y%m%d}{rng.randint(0, 999):03d}"
    return body + resident_id_check_char(body)


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}"


def _random_points(rng: random.Random, polygon: Polygon, count: int) -> list[tuple[float, float]]:
    min_x, min_y, max_x, max_y = polygon.bounds
    points: list[tuple[float, float]] = []
    while len(points) < count:
        x, y = rng.uniform(min_x, max_x), rng.uniform(min_y, max_y)
        if polygon.contains(Point(x, y)):
            points.append((x, y))
    return points


def _clustered_points(rng: random.Random, polygon: Polygon, count: int, spread: float) -> list[tuple[float, float]]:
    """``count`` points inside ``polygon``, gathered about its centre (the county seat) with ``spread`` degrees."""
    centre = polygon.centroid
    points: list[tuple[float, float]] = []
    while len(points) < count:
        x, y = rng.gauss(centre.x, spread * 1.3), rng.gauss(centre.y, spread)
        if polygon.contains(Point(x, y)):
            points.append((x, y))
    return points


def _cells(rng: random.Random, outline: Polygon, count: int) -> list[BaseGeometry]:
    """``count`` Voronoi cells tiling ``outline`` exactly (each cell clipped to it, so possibly in pieces)."""
    seeds = MultiPoint(_random_points(rng, outline, count))
    cells = [cell.intersection(outline) for cell in voronoi_polygons(seeds, extend_to=outline).geoms]
    return [cell for cell in cells if not cell.is_empty]


def _group_into_communities(cells: list[BaseGeometry], communities: int) -> list[list[BaseGeometry]]:
    """Cells grouped into ``communities`` compact blocks: two bands north and south, split west to east."""
    by_lat = sorted(cells, key=lambda c: c.centroid.y)
    bands = [by_lat[: len(by_lat) // 2], by_lat[len(by_lat) // 2:]]
    groups: list[list[BaseGeometry]] = []
    for index, band in enumerate(bands):
        share = communities // 2 + (communities % 2 if index == 0 else 0)
        band.sort(key=lambda c: c.centroid.x)
        size = len(band) / share
        groups.extend(band[round(i * size): round((i + 1) * size)] for i in range(share))
    return groups


@dataclass
class _Town:
    """What the steps of ``build_town`` share: the random source, the clock, the outline and what is made so far.

    The steps run in a fixed order and each draws from ``rng`` in a fixed order, so a seed gives the same town.
    """

    rng: random.Random
    now: datetime
    size: TownSize
    outline: Polygon
    town: Region
    communities: list[Region] = field(default_factory=list)
    grids: list[Grid] = field(default_factory=list)

    @property
    def today(self) -> date:
        return self.now.date()


def _build_grids(t: _Town) -> None:
    """Unified grids as Voronoi cells of the outline, grouped into communities."""
    for c_index, cells in enumerate(_group_into_communities(_cells(t.rng, t.outline, t.size.grids),
                                                            t.size.communities)):
        name = COMMUNITY_NAMES[c_index % len(COMMUNITY_NAMES)]
        community = Region.objects.create(code=f"{TOWN_CODE}{c_index + 1:03d}", name=name,
                                          level=RegionLevel.VILLAGE, parent=t.town)
        t.communities.append(community)
        for g_index, cell in enumerate(sorted(cells, key=lambda c: (-c.centroid.y, c.centroid.x))):
            t.grids.append(create_grid(f"{community.code}{g_index + 1:03d}", f"{name}第{g_index + 1}网格", community,
                                       mapping(cell)))


def _build_departmental_grids(t: _Town) -> list[DepartmentalGrid]:
    """The departmental layers the unified grids replaced (lattices over the outline), mapped old → new."""
    min_x, min_y, max_x, max_y = t.outline.bounds
    departmental = []
    for department, columns, rows in DEPARTMENT_LAYERS:
        dx, dy = (max_x - min_x) / columns, (max_y - min_y) / rows
        for col in range(columns):
            for row in range(rows):
                cell = box(min_x + col * dx, min_y + row * dy, min_x + (col + 1) * dx, min_y + (row + 1) * dy)
                departmental.append(DepartmentalGrid(
                    region=t.town, department=department, source_id=f"{department}-{col:02d}{row:02d}",
                    name=f"{department}网格{col + 1}-{row + 1}", boundary=mapping(cell)))
    DepartmentalGrid.objects.bulk_create(departmental, batch_size=500)
    map_departmental(t.town)
    return departmental


@dataclass
class _Housing:
    compounds: list[Compound]
    buildings: list[Building]
    households: list[Household]
    residents: list[Resident]


def _build_housing(t: _Town, index: geo.GridIndex) -> _Housing:
    """Compounds and buildings (12 households of 2.5 people a building, 2 buildings a compound) around the seat."""
    rng = t.rng
    companies = [PropertyCompany.objects.get_or_create(name=name)[0] for name in PROPERTY_COMPANIES]
    households_needed = max(1, t.size.residents * 2 // 5)
    buildings_needed = max(1, households_needed // 12)
    compound_points = _clustered_points(rng, t.outline.buffer(-0.002), max(1, buildings_needed // 2), 0.012)
    compound_regions = index.locate_many([p[0] for p in compound_points], [p[1] for p in compound_points])
    compounds = Compound.objects.bulk_create([
        Compound(region_id=region or TOWN_CODE, name=f"{rng.choice('福康乐安和顺泰兴华瑞')}{rng.choice('苑园居城庭')}"
                 f"{i + 1}号小区", lon=lon, lat=lat,
                 property_company=companies[i % len(companies)] if i < 20 else None,
                 owners_committee=f"第{i + 1}号小区业主委员会" if i < 20 else "")
        for i, ((lon, lat), region) in enumerate(zip(compound_points, compound_regions, strict=True))])
    building_rows = []
    for b in range(buildings_needed):
        compound = compounds[b % len(compounds)]
        building_rows.append((compound, compound.lon + rng.uniform(-0.0008, 0.0008),
                              compound.lat + rng.uniform(-0.0006, 0.0006), b // len(compounds) + 1))
    building_regions = index.locate_many([r[1] for r in building_rows], [r[2] for r in building_rows])
    buildings = Building.objects.bulk_create([
        Building(compound=compound, region_id=region or compound.region_id, name=f"{number}号楼", lon=lon, lat=lat)
        for (compound, lon, lat, number), region in zip(building_rows, building_regions, strict=True)])
    households = Household.objects.bulk_create([
        Household(building=buildings[h % len(buildings)], region_id=buildings[h % len(buildings)].region_id,
                  door=f"{h // len(buildings) // 2 + 1}-{h // len(buildings) % 2 + 1:02d}")
        for h in range(households_needed)], batch_size=2000)
    tags = ["elderly_alone", "disabled", "low_income", "left_behind_child", "veteran", "serious_illness"]
    residents = Resident.objects.bulk_create([
        Resident(household=households[r % len(households)], region_id=households[r % len(households)].region_id,
                 name=_name(rng), id_number=_id_number(rng, date(1940, 1, 1) + timedelta(days=rng.randint(0, 29000))),
                 phone=_phone(rng), care_tags=[rng.choice(tags)] if rng.random() < 0.08 else [])
        for r in range(t.size.residents)], batch_size=2000)
    return _Housing(compounds, buildings, households, residents)


def _build_party(t: _Town, index: geo.GridIndex) -> tuple[list[PartyMember], list[CoBuildingUnit]]:
    """Party members (双报到), posts, co-building units, volunteer teams and service points."""
    rng, communities, today = t.rng, t.communities, t.today
    member_ids: set[str] = set()
    while len(member_ids) < t.size.members:  # one registration per person (PartyMember's unique constraint)
        member_ids.add(_id_number(rng, date(1960, 1, 1) + timedelta(days=rng.randint(0, 20000))))
    members = PartyMember.objects.bulk_create([
        PartyMember(region=communities[m % len(communities)], name=_name(rng), id_number=id_number,
                    phone=_phone(rng), kind=MemberKind.IN_SERVICE if m % 5 else MemberKind.COMMUNITY,
                    work_unit=rng.choice(WORK_UNITS),
                    registered_on=today - timedelta(days=rng.randint(0, 700)))
        for m, id_number in enumerate(sorted(member_ids))], batch_size=2000)
    Post.objects.bulk_create([Post(region=c, name=name, capacity=10) for c in communities for name in POSTS])
    units = CoBuildingUnit.objects.bulk_create([
        CoBuildingUnit(region=communities[u % len(communities)], name=f"木垒县共建单位{u + 1:03d}",
                       contact_name=_name(rng), contact_phone=_phone(rng),
                       registered_on=today - timedelta(days=rng.randint(0, 700)))
        for u in range(t.size.units)])
    VolunteerTeam.objects.bulk_create([
        VolunteerTeam(region=c, name=f"{c.name}{kind}志愿服务队", leader_name=_name(rng),
                      member_count=rng.randint(8, 40))
        for c in communities for kind in ("红色", "银龄")])
    community_of = {grid.region_id: grid.region_id[:12] for grid in t.grids}
    point_sites = _clustered_points(rng, t.outline.buffer(-0.004), t.size.service_points, 0.01)
    point_regions = index.locate_many([p[0] for p in point_sites], [p[1] for p in point_sites])
    ServicePoint.objects.bulk_create([
        ServicePoint(region_id=community_of.get(region or "", communities[0].code), name=f"党群连心点{i + 1}",
                     lon=lon, lat=lat, services="政策咨询、代办服务、便民维修")
        for i, ((lon, lat), region) in enumerate(zip(point_sites, point_regions, strict=True))])
    return members, units


def _wish(t: _Town, w: int, residents: list[Resident], members: list[PartyMember],
          units: list[CoBuildingUnit]) -> MicroWish:
    """The ``w``-th wish, posted in the last year and taken as far along its workflow as a roll says."""
    rng = t.rng
    resident = residents[rng.randrange(len(residents))]
    posted = t.now - timedelta(days=rng.uniform(0, 360))
    roll = rng.random()
    state = (WishState.CONFIRMED if roll < 0.86 else WishState.FULFILLED if roll < 0.89 else
             WishState.CLAIMED if roll < 0.93 else WishState.PUBLISHED if roll < 0.97 else WishState.POSTED)
    wish = MicroWish(region_id=resident.region_id, resident=resident, title=rng.choice(WISH_TITLES),
                     state=state, posted_at=posted)
    # Each state below POSTED is reached through the one before it (wishes/workflow.py), so each step's time
    # follows the previous step's.
    if state == WishState.POSTED:
        return wish
    wish.published_at = published = posted + timedelta(hours=rng.uniform(2, 48))
    if state == WishState.PUBLISHED:
        return wish
    wish.claimed_at = claimed = published + timedelta(hours=rng.uniform(1, 72))
    wish.claim_expires_at = claimed + timedelta(hours=72)
    if w % 3:
        wish.claimed_by_member = members[rng.randrange(len(members))]
    else:
        wish.claimed_by_unit = units[rng.randrange(len(units))]
    if state == WishState.CLAIMED:
        return wish
    wish.fulfilled_at = fulfilled = claimed + timedelta(hours=rng.uniform(2, 60))
    wish.evidence = "已送达，群众签收"
    if state == WishState.CONFIRMED:
        wish.confirmed_at = fulfilled + timedelta(hours=rng.uniform(1, 48))
    return wish


def _build_wishes(t: _Town, residents: list[Resident], members: list[PartyMember],
                  units: list[CoBuildingUnit]) -> list[MicroWish]:
    """Micro-wishes over the last year: most confirmed, the rest at every earlier step."""
    wish_rows = [_wish(t, w, residents, members, units) for w in range(t.size.wishes)]
    return MicroWish.objects.bulk_create(wish_rows, batch_size=2000)


def _build_rooms(t: _Town) -> dict[tuple[int, date], RoomBooking]:
    """Rooms and office-area baselines of each community, and bookings of the service rooms; the bookings."""
    rng, today = t.rng, t.today
    rooms: list[Room] = []
    for c in t.communities:
        VenueBaseline.objects.create(region=c, office_area_before_m2=Decimal(rng.randint(180, 260)))
        rooms.append(Room(region=c, name="社区办公室", kind=RoomKind.OFFICE, area_m2=Decimal(rng.randint(60, 90))))
        for function in ("党员活动室", "日间照料室", "四点半课堂", "多功能厅", "调解室"):
            rooms.append(Room(region=c, name=function, kind=RoomKind.SERVICE, function=function,
                              area_m2=Decimal(rng.randint(40, 160))))
    rooms = Room.objects.bulk_create(rooms)
    service_rooms = [room for room in rooms if room.kind == RoomKind.SERVICE]
    bookings = {}
    for room in service_rooms:
        for _ in range(rng.randint(25, 90)):
            day = today - timedelta(days=rng.randint(0, 320))
            bookings[(room.pk, day)] = RoomBooking(room=room, day=day, starts_at=time(9), ends_at=time(11),
                                                   purpose="社区活动", attendance=rng.randint(5, 60))
    RoomBooking.objects.bulk_create(bookings.values(), batch_size=2000)
    return bookings


def _build_activities(t: _Town, residents: list[Resident],
                      members: list[PartyMember]) -> tuple[list[Activity], list[ActivityParticipant]]:
    """Activities in the communities, with member participants and residents served."""
    rng, communities = t.rng, t.communities
    kinds = [k.value for k in ActivityKind]
    activities = Activity.objects.bulk_create([
        Activity(region=communities[a % len(communities)], kind=rng.choice(kinds),
                 title=f"{rng.choice(('邻里集市', '健康义诊', '法律咨询', '四点半课堂', '环境整治'))}（第{a + 1}期）",
                 held_on=t.today - timedelta(days=rng.randint(0, 360)), place="社区党群服务中心")
        for a in range(t.size.activities)], batch_size=2000)
    residents_by_community: dict[str, list[Resident]] = {}
    for resident in residents:
        residents_by_community.setdefault(resident.region_id[:12], []).append(resident)
    members_by_community: dict[str, list[PartyMember]] = {}
    for member in members:
        members_by_community.setdefault(member.region_id, []).append(member)
    participants: list[ActivityParticipant] = []
    served: list[ActivityServed] = []
    for activity in activities:
        pool = members_by_community.get(activity.region_id, [])
        for member in rng.sample(pool, min(len(pool), rng.randint(2, 6))):
            participants.append(ActivityParticipant(activity=activity, member=member,
                                                    hours=Decimal(rng.choice((1, 1.5, 2, 3)))))
        people = residents_by_community.get(activity.region_id, [])
        served.extend(ActivityServed(activity=activity, resident=resident)
                      for resident in rng.sample(people, min(len(people), rng.randint(5, 30))))
    ActivityParticipant.objects.bulk_create(participants, batch_size=2000)
    ActivityServed.objects.bulk_create(served, batch_size=5000)
    participation.rebuild()
    return activities, participants


def _award_points(wishes: list[MicroWish], participants: list[ActivityParticipant]) -> None:
    """Points for confirmed wishes and activity participation, by the rule table."""
    rules = {rule.code: rule for rule in PointRule.objects.all()}
    entries = []
    wish_rule, activity_rule = rules.get("wish_confirmed"), rules.get("activity_participation")
    for wish in wishes:
        if wish_rule and wish.state == WishState.CONFIRMED:
            claimant = wish.claimed_by_member or wish.claimed_by_unit
            # _wish gives every confirmed wish a claimant and a confirmation time.
            assert claimant is not None and wish.confirmed_at is not None
            holder = {"member": wish.claimed_by_member} if wish.claimed_by_member else {"unit": wish.claimed_by_unit}
            entries.append(PointEntry(region_id=claimant.region_id, rule=wish_rule, points=wish_rule.points,
                                      earned_on=wish.confirmed_at.date(), source=f"wish:{wish.pk}", **holder))
    if activity_rule:
        entries.extend(PointEntry(region_id=p.activity.region_id, member=p.member, rule=activity_rule,
                                  points=activity_rule.points, earned_on=p.activity.held_on,
                                  source=f"activity:{p.activity.pk}") for p in participants)
    PointEntry.objects.bulk_create(entries, batch_size=2000)


def _advance_issue(rng: random.Random, issue: ResidentIssue, category: IssueCategory, age: timedelta) -> None:
    """Take a freshly reported ``issue`` as far along its workflow as a roll says (recent ones may stay reported)."""
    reported = issue.reported_at
    roll = rng.random()
    if age < timedelta(days=2) and roll < 0.5:
        issue.state = IssueState.REPORTED
        return
    issue.responded_at = responded = reported + timedelta(hours=rng.uniform(0.2, category.response_hours * 1.2))
    issue.state = (IssueState.ACCEPTED if age < timedelta(days=10) and roll < 0.6 else
                   IssueState.RESOLVED if roll < 0.1 else IssueState.CLOSED if roll < 0.96 else
                   IssueState.REOPENED)
    rung = rng.random()
    if rung < 0.024:
        issue.level = EscalationLevel.FOUR_PARTY
    elif rung < 0.026:
        issue.level = EscalationLevel.STREET
    elif rung < 0.15:
        issue.level = EscalationLevel.COMMUNITY
    if issue.state in (IssueState.RESOLVED, IssueState.CLOSED):
        issue.resolved_at = resolved = responded + timedelta(days=rng.uniform(0.2, category.resolve_days * 1.1))
        issue.resolution = "已处理完毕"
        if issue.state == IssueState.CLOSED:
            issue.closed_at = resolved + timedelta(hours=rng.uniform(1, 48))
            issue.satisfied = rng.random() < 0.95
    if issue.state == IssueState.REOPENED:
        issue.satisfied, issue.reopen_count = False, 1


def _build_issues(t: _Town, index: geo.GridIndex) -> list[ResidentIssue]:
    """Resident issues over the last year, at every state and level."""
    rng, now = t.rng, t.now
    categories = list(IssueCategory.objects.filter(active=True))
    issue_points = _clustered_points(rng, t.outline.buffer(-0.001), t.size.issues, 0.015)
    issue_regions = index.locate_many([p[0] for p in issue_points], [p[1] for p in issue_points])
    issue_rows = []
    issues_per_day: dict[tuple[str, str], int] = {}  # (county, day) → the last sequence number of request ids
    for i, ((lon, lat), region) in enumerate(zip(issue_points, issue_regions, strict=True)):
        category = categories[i % len(categories)]
        reported = now - timedelta(days=rng.triangular(0, 365, 0), hours=rng.uniform(0, 24))
        region_code = region or TOWN_CODE
        day = (region_code[:6], f"{reported:%Y%m%d}")
        seq = issues_per_day[day] = issues_per_day.get(day, 0) + 1
        issue = ResidentIssue(
            request_id=f"SQ{region_code[:6]}{reported:%Y%m%d}{seq:05d}", category=category, region_id=region_code,
            description=ISSUE_TEXTS.get(category.code, category.name), lon=lon, lat=lat,
            reporter_name=_name(rng), reporter_phone=_phone(rng), channel=rng.choice(("web", "grid_worker", "open311")),
            reported_at=reported, response_due_at=reported + timedelta(hours=category.response_hours),
            level_started_at=reported, due_at=reported + timedelta(days=category.resolve_days))
        _advance_issue(rng, issue, category, now - reported)
        issue_rows.append(issue)
    ResidentIssue.objects.bulk_create(issue_rows, batch_size=2000)
    return issue_rows


@transaction.atomic
def build_town(size: TownSize = DEMO_SIZE, *, now: datetime | None = None, seed: int = 2026,
               password: str | None = None) -> dict[str, int]:
    """Build the town (idempotent: does nothing when the town already has grids); return what was made.

    The steps run in this order, drawing from one random source seeded by ``seed``: grids, departmental grids,
    housing and residents, party members and units, wishes, rooms, activities, points, issues.
    """
    if Grid.objects.filter(region__path__startswith=f"000000/650000/652300/{COUNTY_CODE}/{TOWN_CODE}/").exists():
        return {}
    seed_categories()
    seed_rules()
    town, _ = Region.objects.get_or_create(code=TOWN_CODE, defaults={
        "name": TOWN_NAME, "level": RegionLevel.TOWNSHIP, "parent": Region.objects.get(code=COUNTY_CODE)})
    t = _Town(rng=random.Random(seed), now=now or datetime.now(UTC), size=size, outline=town_outline(), town=town)
    _build_grids(t)
    departmental = _build_departmental_grids(t)
    index = geo.GridIndex([(grid.region_id, geo.parse_polygon(grid.boundary)) for grid in t.grids])
    housing = _build_housing(t, index)
    members, units = _build_party(t, index)
    wishes = _build_wishes(t, housing.residents, members, units)
    bookings = _build_rooms(t)
    activities, participants = _build_activities(t, housing.residents, members)
    _award_points(wishes, participants)
    issue_rows = _build_issues(t, index)
    outlines = draw_outlines(t.rng, t.outline, housing.compounds, housing.buildings)
    organisation_rows = build_organisations(t, members, units, housing.compounds)
    meetings = build_meetings(t, issue_rows)

    made = {"grids": len(t.grids), "communities": len(t.communities), "departmental_grids": len(departmental),
            "compounds": len(housing.compounds), "buildings": len(housing.buildings),
            "households": len(housing.households), "residents": len(housing.residents), "members": len(members),
            "units": len(units), "wishes": len(wishes), "activities": len(activities), "issues": len(issue_rows),
            "bookings": len(bookings), "outlines": outlines, "visits": demo_visits.build_visits(t, housing),
            "organisations_and_liaisons": organisation_rows, "meetings": len(meetings)}
    if password:
        made["accounts"] = len(seed_accounts(town, t.communities, t.grids, password))
    return made


def seed_accounts(town: Region, communities: list[Region], grids: list[Grid], password: str) -> list[str]:
    """Demo accounts: the street officer, the first community's worker and its first grid's worker."""
    first_grid = next(grid for grid in grids if grid.region_id.startswith(communities[0].code))
    specs = (("mulei-street", Role.STREET_OFFICER, town, "木垒镇干部"),
             ("mulei-community", Role.COMMUNITY_WORKER, communities[0], f"{communities[0].name}工作者"),
             ("mulei-grid", Role.GRID_WORKER, first_grid.region, f"{first_grid.region.name}网格员"))
    names = []
    for username, role, region, label in specs:
        user, created = User.objects.get_or_create(username=username,
                                                   defaults={"role": role, "region": region, "last_name": label})
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        names.append(username)
    first_grid.leader = User.objects.get(username="mulei-grid")
    first_grid.save(update_fields=["leader"])
    # The grid worker is the responsible worker of their grid's care households (关爱户), so their overdue list
    # on /community/care/ is theirs.
    CareHousehold.objects.filter(region=first_grid.region, worker=None).update(worker=first_grid.leader)
    return names

