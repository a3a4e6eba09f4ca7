"""The community dashboard (网格治理总览): the year's figures per grid, community and street/town, in scope.

What is counted (a year is a calendar year in Asia/Shanghai):

* 党员 / 共建单位 — party members and co-building units registered with the community by the end of the year;
* 微心愿 — wishes *published* in the year (``published_at``), of which claimed (ever claimed: now claimed,
  fulfilled or confirmed; a claim that ran out and unlocked does not count) and confirmed by the resident;
* 微行动 — activities held in the year, residents served (one per person per activity, the unique key of
  ``ActivityServed``) and volunteer hours given by participants;
* 居民 / 户 — residents and households registered now;
* 接诉即办 — issues *reported* in the year, by state, with the three rates and the overdue ones
  (``issues.rates``);
* 积分 — points earned in the year (``PointEntry.earned_on``), summed per unit and per member: the top 10 of the
  scope and of each community;
* 阵地 — the four venue targets of each community (``venues.figures``);
* 网格党组织 — grids, grids covered by a party organisation, organisations and the 全要素 ones on the day the
  dashboard is drawn (``organisations.rules``);
* 包联 — attachments running at some time in the year (started by its end, not ended before its start);
* 四方联动 — coordination meetings held in the year, and their agreed actions still open / past their due date now;
* 走访 — visits made in the year, and active care households whose last visit (or inclusion, if never visited) is
  older than their visit cycle now;
* 渠道 — the year's issues by intake channel (``issues.channels``), for the scope as a whole.

Every figure is one grouped query (``values("region_id").annotate(...)``) over the rows in the scope
(``core.scope``), keyed by the lowest region the row belongs to; rows are then rolled up in Python along the
region tree: grid → community → street/town → total. The number of queries is fixed (about twenty-five)
whatever the number of grids, residents, issues, meetings or visits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Subquery, Sum

from changji.community.issues.channels import ChannelCounts, counts_by_channel
from changji.community.issues.rates import IssueCounts, counts_by_region
from changji.community.models import (
    Activity,
    AgreedAction,
    CareHousehold,
    CoBuildingUnit,
    CoordinationMeeting,
    Grid,
    GridPartyOrganisation,
    Household,
    Liaison,
    MicroWish,
    PartyMember,
    PointEntry,
    Resident,
    ResidentIssue,
    Visit,
)
from changji.community.organisations.party import facts_of, with_member_counts
from changji.community.organisations.rules import is_complete
from changji.community.venues.figures import venue_targets_for
from changji.community.venues.targets import VenueTargets
from changji.community.visits import care
from changji.community.wishes.workflow import WishState
from changji.core.localtime import SHANGHAI
from changji.core.models import Region, RegionLevel
from changji.core.scope import region_of, scope_queryset

TOP_N = 10
CLAIMED_OR_BEYOND = (WishState.CLAIMED, WishState.FULFILLED, WishState.CONFIRMED)
LEVEL_LABELS = {RegionLevel.TOWNSHIP: "街道（乡镇）", RegionLevel.VILLAGE: "社区", RegionLevel.GRID: "网格"}


@dataclass(frozen=True)
class Counts:
    """The summable figures of one region (its own rows, or rolled up from the regions below it)."""

    members: int = 0
    units: int = 0
    wishes_published: int = 0
    wishes_claimed: int = 0
    wishes_confirmed: int = 0
    activities: int = 0
    served: int = 0
    volunteer_hours: Decimal = Decimal(0)
    residents: int = 0
    households: int = 0
    issues: IssueCounts = IssueCounts()
    grids: int = 0
    covered_grids: int = 0
    organisations: int = 0
    complete_organisations: int = 0
    liaisons: int = 0
    meetings: int = 0
    actions_open: int = 0
    actions_overdue: int = 0
    visits: int = 0
    care_overdue: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(getattr(self, name) + getattr(other, name) for name in _COUNT_FIELDS))


_COUNT_FIELDS = tuple(f.name for f in fields(Counts))


@dataclass
class Row:
    """One line of the dashboard: a grid, a community, a street/town or the total, with what lies below it."""

    code: str
    name: str
    level: int | None
    parent_code: str | None = None
    counts: Counts = Counts()
    children: list[Row] = field(default_factory=list)
    venue: VenueTargets | None = None

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS.get(self.level, "合计")  # type: ignore[call-overload]

    @property
    def issues(self) -> IssueCounts:
        return self.counts.issues


@dataclass(frozen=True)
class Ranked:
    """A unit or member in a points ranking."""

    rank: int
    holder_id: int
    name: str
    community_code: str
    community_name: str
    points: int


@dataclass
class DashboardFigures:
    """Everything the dashboard and its XLSX export show, for one scope and one year."""

    year: int
    now: datetime
    today: date
    scope_name: str
    towns: list[Row]
    communities: list[Row]
    grids: list[Row]
    total: Row
    top_units: list[Ranked]
    top_members: list[Ranked]
    #: community code → (top units, top members) of that community.
    community_rankings: dict[str, tuple[list[Ranked], list[Ranked]]]
    #: The year's issues of the whole scope by intake channel.
    channels: list[ChannelCounts] = field(default_factory=list)

    @property
    def venues(self) -> list[VenueTargets]:
        return [row.venue for row in self.communities if row.venue is not None]

    def community(self, code: str) -> Row | None:
        return next((row for row in self.communities if row.code == code), None)


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The first instant of ``year`` and of the next one, in Asia/Shanghai (aware datetimes)."""
    return datetime(year, 1, 1, tzinfo=SHANGHAI), datetime(year + 1, 1, 1, tzinfo=SHANGHAI)


def _scoped(queryset: QuerySet, scope: Any) -> QuerySet:
    """``queryset`` limited to ``scope``: a Region (its subtree) or a user (``core.scope``)."""
    if isinstance(scope, Region):
        lookup = queryset.model.REGION_SCOPE
        return queryset.filter(**{f"{lookup}__path__startswith" if lookup else "path__startswith": scope.path})
    return scope_queryset(queryset, scope)


def _scope_name(scope: Any) -> str:
    if isinstance(scope, Region):
        return scope.name
    region = region_of(scope)
    if region is None:
        return "全部"
    return region.name if isinstance(region, Region) else "无"


def _own_counts(scope: Any, year: int, now: datetime) -> dict[str, dict[str, Any]]:
    """Per region id, the figures of the rows attached to exactly that region (one grouped query per figure)."""
    start, end = year_bounds(year)
    first, last = date(year, 1, 1), date(year, 12, 31)
    own: dict[str, dict[str, Any]] = defaultdict(dict)

    def put(rows: Iterable[dict[str, Any]], key: str = "region_id") -> None:
        for row in rows:
            own[row.pop(key)].update(row)

    put(_scoped(PartyMember.objects.filter(registered_on__lte=last), scope)
        .values("region_id").annotate(members=Count("pk")).order_by())
    put(_scoped(CoBuildingUnit.objects.filter(registered_on__lte=last), scope)
        .values("region_id").annotate(units=Count("pk")).order_by())
    put(_scoped(MicroWish.objects.filter(published_at__gte=start, published_at__lt=end), scope)
        .values("region_id").annotate(wishes_published=Count("pk"),
                                      wishes_claimed=Count("pk", filter=Q(state__in=CLAIMED_OR_BEYOND)),
                                      wishes_confirmed=Count("pk", filter=Q(state=WishState.CONFIRMED))).order_by())
    activities = _scoped(Activity.objects.filter(held_on__gte=first, held_on__lte=last), scope)
    # Served and hours in separate queries: two to-many joins in one would multiply each other's rows.
    put(activities.values("region_id").annotate(activities=Count("pk", distinct=True), served=Count("served"))
        .order_by())
    put(activities.values("region_id").annotate(volunteer_hours=Sum("participants__hours")).order_by())
    put(_scoped(Resident.objects.all(), scope).values("region_id").annotate(residents=Count("pk")).order_by())
    put(_scoped(Household.objects.all(), scope).values("region_id").annotate(households=Count("pk")).order_by())
    issues = _scoped(ResidentIssue.objects.filter(reported_at__gte=start, reported_at__lt=end), scope)
    for region_id, counts in counts_by_region(issues.order_by(), now).items():
        own[region_id]["issues"] = counts
    _organisation_counts(scope, year, now, own)
    _meeting_and_visit_counts(scope, year, now, put)
    return own


def _organisation_counts(scope: Any, year: int, now: datetime, own: dict[str, dict[str, Any]]) -> None:
    """Grids covered by a party organisation, organisations and 全要素 ones, 包联 of the year (three queries)."""
    today = now.astimezone(SHANGHAI).date()
    for row in (_scoped(Grid.objects.all(), scope).values("region_id")
                .annotate(grids=Count("pk", distinct=True),
                          covered_grids=Count("pk", distinct=True, filter=Q(party_organisations__isnull=False)))
                .order_by()):
        own[row.pop("region_id")].update(row)
    # One row per organisation (its member count annotated): whether it is 全要素 is a rule in Python.
    for organisation in with_member_counts(_scoped(GridPartyOrganisation.objects.all(), scope).order_by()).only(
            "region_id", "secretary_id", "secretary_name", "venue", "rules_posted", "last_activity_on"):
        counts = own[organisation.region_id]
        counts["organisations"] = counts.get("organisations", 0) + 1
        counts["complete_organisations"] = (counts.get("complete_organisations", 0)
                                            + is_complete(facts_of(organisation), today))
    running = Q(starts_on__lte=date(year, 12, 31)) & (Q(ends_on__isnull=True) | Q(ends_on__gte=date(year, 1, 1)))
    for row in _scoped(Liaison.objects.filter(running), scope).values("region_id").annotate(
            liaisons=Count("pk")).order_by():
        own[row.pop("region_id")].update(row)


def _meeting_and_visit_counts(scope: Any, year: int, now: datetime, put: Any) -> None:
    """Meetings of the year and their open / overdue actions, visits of the year, overdue care (four queries)."""
    start, end = year_bounds(year)
    today = now.astimezone(SHANGHAI).date()
    meetings = _scoped(CoordinationMeeting.objects.filter(held_at__gte=start, held_at__lt=end), scope)
    put(meetings.values("region_id").annotate(meetings=Count("pk")).order_by())
    put(AgreedAction.objects.filter(meeting__in=Subquery(meetings.values("pk")), done_on__isnull=True)
        .values("meeting__region_id").annotate(actions_open=Count("pk"),
                                               actions_overdue=Count("pk", filter=Q(due_on__lt=today))).order_by(),
        key="meeting__region_id")
    put(_scoped(Visit.objects.filter(visited_at__gte=start, visited_at__lt=end), scope).values("region_id")
        .annotate(visits=Count("pk")).order_by())
    overdue: dict[str, int] = defaultdict(int)
    for row in (_scoped(CareHousehold.objects.filter(active=True), scope)
                .values("pk", "region_id", "visit_every_days", "since")
                .annotate(last=Max("household__visits__visited_at")).order_by()):
        last = row["last"].astimezone(SHANGHAI).date() if row["last"] is not None else None
        if care.overdue_days(last, row["since"], row["visit_every_days"], today) > 0:
            overdue[row["region_id"]] += 1
    put({"region_id": code, "care_overdue": n} for code, n in overdue.items())


def _rankings(scope: Any, year: int, names: dict[str, str]) -> tuple[list[Ranked], list[Ranked],
                                                                       dict[str, tuple[list[Ranked], list[Ranked]]]]:
    """Top units and members by points earned in the year: of the scope, and of each community (two queries)."""
    entries = _scoped(PointEntry.objects.filter(earned_on__gte=date(year, 1, 1), earned_on__lte=date(year, 12, 31)),
                      scope)
    out: dict[str, list[list[Ranked]]] = {}
    overall: list[list[Ranked]] = []
    for holder in ("unit", "member"):
        # The name as an aggregate (one per holder) rather than a grouping column: grouping stays on two ids.
        rows = list(entries.filter(**{f"{holder}__isnull": False}).values("region_id", f"{holder}_id")
                    .annotate(points=Sum("points"), name=Max(f"{holder}__name")).order_by())
        # A holder belongs to one community; should its entries carry several, they are ranked per community.
        rows.sort(key=lambda r: (-r["points"], r["name"], r[f"{holder}_id"]))

        def rank(selected: list[dict[str, Any]], holder: str = holder) -> list[Ranked]:
            return [Ranked(i, r[f"{holder}_id"], r["name"], r["region_id"],
                           names.get(r["region_id"], r["region_id"]), r["points"])
                    for i, r in enumerate(selected[:TOP_N], 1)]

        overall.append(rank(rows))
        per_community: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            per_community[row["region_id"]].append(row)
        for code, selected in per_community.items():
            out.setdefault(code, [[], []])[0 if holder == "unit" else 1] = rank(selected)
    return overall[0], overall[1], {code: (pair[0], pair[1]) for code, pair in out.items()}


def _counts(values: dict[str, Any]) -> Counts:
    fields: dict[str, Any] = {k: (Decimal(v) if k == "volunteer_hours" else v) for k, v in values.items()
                              if v is not None}
    return Counts(**fields)


def community_figures(scope: Any, year: int, now: datetime) -> DashboardFigures:
    """The dashboard of ``scope`` (a user, scoped by ``core.scope``, or a Region and its subtree) for ``year``.

    ``now`` (aware) decides which issues are overdue and, through its Shanghai date, the pace of the venue
    targets in the year in progress. Rows: every grid in scope; every community in scope that has a grid, a
    figure or a venue; every street/town above those; and the total of everything in scope.
    """
    today = now.astimezone(SHANGHAI).date()
    regions = {r["code"]: r for r in _scoped(
        Region.objects.filter(level__in=(RegionLevel.TOWNSHIP, RegionLevel.VILLAGE, RegionLevel.GRID)), scope,
    ).values("code", "name", "level", "parent_id").order_by("code")}
    own = _own_counts(scope, year, now)
    rolled: dict[str, Counts] = defaultdict(Counts)
    total = Counts()
    for region_id, values in own.items():
        counts = _counts(values)
        total = total + counts
        code: str | None = region_id
        while code is not None and code in regions:
            rolled[code] = rolled[code] + counts
            code = regions[code]["parent_id"]
    rows = {code: Row(code, r["name"], r["level"], r["parent_id"], rolled.get(code, Counts()))
            for code, r in regions.items()}
    grids = [row for row in rows.values() if row.level == RegionLevel.GRID]
    for grid in grids:
        if grid.parent_code in rows:
            rows[grid.parent_code].children.append(grid)
    candidates = [row for row in rows.values() if row.level == RegionLevel.VILLAGE]
    targets = venue_targets_for([Region(code=row.code, name=row.name) for row in candidates], year, today,
                                residents={row.code: row.counts.residents for row in candidates})
    communities = []
    for row in candidates:
        row.venue = targets.get(row.code)
        if row.children or row.counts != Counts() or (row.venue and row.venue.numbers.office_area_m2
                                                       + row.venue.numbers.service_area_m2):
            communities.append(row)
            if row.parent_code in rows:
                rows[row.parent_code].children.append(row)
    towns = [row for row in rows.values() if row.level == RegionLevel.TOWNSHIP
             and (row.children or row.counts != Counts())]
    names = {code: r["name"] for code, r in regions.items()}
    top_units, top_members, community_rankings = _rankings(scope, year, names)
    start, end = year_bounds(year)
    channels = counts_by_channel(_scoped(ResidentIssue.objects.filter(reported_at__gte=start, reported_at__lt=end),
                                         scope))
    return DashboardFigures(
        year=year, now=now, today=today, scope_name=_scope_name(scope), towns=towns, communities=communities,
        grids=grids, total=Row("", "合计", None, None, total), top_units=top_units, top_members=top_members,
        community_rankings=community_rankings, channels=channels,
    )

