"""Resident issues (接诉即办): report, respond, resolve, escalate, coordinate, and hear the resident.

Every state move is checked against ``workflow.ISSUE_MOVES`` and every climb against
``workflow.LEVEL_MOVES``; each change locks the issue row, appends an ``IssueEvent`` (the history the
pages show) and, when staff act, writes the audit entry ``community.issue.<what>``.

Who handles an issue depends on its rung of the escalation ladder. The handler's inbox holds the
issues of their rung in their region; higher rungs may step in below them (提级办理), lower ones
may not act above their rung:

=============  ======================================  =========================================
level          handled by (``inbox_for``)              may also act (accept, resolve, reject,
                                                       escalate, record a meeting)
=============  ======================================  =========================================
grid           the grid's grid workers                 community workers of its community,
                                                       street officers of its town, county and
                                                       prefecture staff
community      community workers of the community      street officers, county / prefecture staff
four_party     the community worker (convener)         street officers, county / prefecture staff
street         street officers of the town             county / prefecture staff
=============  ======================================  =========================================

So a grid worker escalates grid → community, a community worker community → four-party and
four-party → street; always within the actor's region (``core.scope``).

Time limits. Each rung starts a fresh limit when the issue reaches it (``level_started_at``): at
the grid it is the category's ``resolve_days`` (what the category promises the resident); above it
the fixed ``LEVEL_LIMIT_DAYS`` (community 5, four-party 10, street 15 days). A reopened issue starts
a fresh limit of its current rung. The first response is due ``response_hours`` after the report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from shapely.geometry import Point, shape

from changji.community.geo import distance_m, metres_per_degree
from changji.community.models import (
    AgreedAction,
    Compound,
    CoordinationMeeting,
    Grid,
    IssueCategory,
    IssueChannel,
    IssueEvent,
    ResidentIssue,
    ResponsibleParty,
)
from changji.community.workflow import (
    ISSUE_MOVES,
    ISSUE_TABLE,
    LEVEL_MOVES,
    OPEN_ISSUE_STATES,
    DeadlineColour,
    EscalationLevel,
    IssueState,
    check_escalation,
    deadline_colour,
)
from changji.core import access, audit
from changji.core.errors import Refusal
from changji.core.models import Region, RegionLevel, Role
from changji.core.scope import scope_queryset, user_can_access_region
from changji.core.transitions import TransitionError, check_transition


class IssueError(Refusal):
    """A refused request on an issue, with the field at fault (``core.errors``; Open311 names its own parameter).

    A move the issue or escalation table forbids is re-raised as an ``IssueError`` on the same field.
    """


# --- Categories ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategorySpec:
    """A default category: its Open311 ``service_code``, name, who it is routed to and its time limits."""

    code: str
    name: str
    group: str
    responsible: str
    department: str
    response_hours: int
    resolve_days: int
    duplicate_radius_m: int
    description: str


DEFAULT_CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec("sanitation", "环境卫生", "市容环境", ResponsibleParty.COMMUNITY, "", 24, 3, 100,
                 "垃圾清运、楼道杂物、公共区域卫生"),
    CategorySpec("roads", "道路设施", "基础设施", ResponsibleParty.DEPARTMENT, "住房和城乡建设局", 48, 7, 150,
                 "路面破损、井盖缺失、路灯不亮"),
    CategorySpec("property", "物业服务", "小区物业", ResponsibleParty.PROPERTY, "", 24, 5, 100,
                 "电梯、门禁、绿化、停车等物业服务问题"),
    CategorySpec("neighbour", "邻里纠纷", "平安和谐", ResponsibleParty.GRID, "", 24, 3, 30,
                 "邻里矛盾、家庭纠纷的调解"),
    CategorySpec("noise", "噪音扰民", "平安和谐", ResponsibleParty.DEPARTMENT, "公安派出所", 12, 2, 100,
                 "夜间施工、商铺外放等噪音"),
    CategorySpec("utilities", "供水供暖", "基础设施", ResponsibleParty.DEPARTMENT, "供水供热公司", 12, 3, 200,
                 "停水、水压低、暖气不热"),
    CategorySpec("construction", "违章搭建", "市容环境", ResponsibleParty.DEPARTMENT, "城市管理局（城管）", 48, 15, 50,
                 "私搭乱建、占用公共空间"),
    CategorySpec("security", "治安隐患", "平安和谐", ResponsibleParty.DEPARTMENT, "公安派出所", 12, 5, 100,
                 "门禁损坏、可疑人员、消防通道堵塞"),
    CategorySpec("other", "其他", "其他", ResponsibleParty.GRID, "", 24, 7, 50, "其他诉求"),
)


def seed_categories() -> list[IssueCategory]:
    """Create the default categories that are missing (idempotent; existing rows and local edits are kept)."""
    return [IssueCategory.objects.get_or_create(code=spec.code, defaults={
        "name": spec.name, "group": spec.group, "responsible": spec.responsible, "department": spec.department,
        "response_hours": spec.response_hours, "resolve_days": spec.resolve_days,
        "duplicate_radius_m": spec.duplicate_radius_m, "description": spec.description})[0]
        for spec in DEFAULT_CATEGORIES]


def responsible_label(category: IssueCategory) -> str:
    """Who the category is routed to, for pages and Open311 (the department's name when it has one)."""
    return category.department or str(ResponsibleParty(category.responsible).label)


def responsible_party(issue: ResidentIssue) -> str:
    """Who the issue is routed to by its category, named for this issue.

    A property-service issue goes to the property company of the nearest managed compound in the issue's
    grid (or community); a department's issue to that department; a grid or community issue to that grid
    or community. The handling ladder itself always starts with the grid worker (接诉), whose four-party
    meeting brings the property company or department in.
    """
    category = issue.category
    if category.responsible == ResponsibleParty.PROPERTY:
        scope = issue.region.parent if issue.region.level == RegionLevel.GRID else issue.region
        managed = Compound.objects.filter(region__path__startswith=scope.path, property_company__isnull=False)
        if issue.lon is not None and issue.lat is not None:
            nearest = min(managed.select_related("property_company"), default=None,
                          key=lambda c: distance_m(issue.lon, issue.lat, c.lon, c.lat))
            if nearest is not None:
                return f"{nearest.property_company.name}（{nearest.name}）"
    if category.responsible == ResponsibleParty.GRID:
        return f"{issue.region.name}网格员" if issue.region.level == RegionLevel.GRID else responsible_label(category)
    if category.responsible == ResponsibleParty.COMMUNITY:
        community = issue.region.parent if issue.region.level == RegionLevel.GRID else issue.region
        return community.name if community is not None else responsible_label(category)
    return responsible_label(category)


# --- Time limits and lights ----------------------------------------------------------------------------------

#: The fresh time limit of each rung above the grid (the grid's limit is the category's ``resolve_days``).
LEVEL_LIMIT_DAYS = {EscalationLevel.COMMUNITY: 5, EscalationLevel.FOUR_PARTY: 10, EscalationLevel.STREET: 15}


def level_limit(category: IssueCategory, level: str) -> timedelta:
    """The time limit of ``level`` for an issue of ``category``."""
    if EscalationLevel(level) == EscalationLevel.GRID:
        return timedelta(days=category.resolve_days)
    return timedelta(days=LEVEL_LIMIT_DAYS[EscalationLevel(level)])


def colour(issue: ResidentIssue, now: datetime) -> DeadlineColour | None:
    """The green / yellow / red light of an open issue's current rung; None once it is no longer handled."""
    if issue.state not in OPEN_ISSUE_STATES:
        return None
    return deadline_colour(issue.level_started_at, issue.due_at, now)


def warnings(issues: QuerySet[ResidentIssue], now: datetime) -> list[tuple[ResidentIssue, DeadlineColour]]:
    """The open issues of ``issues`` whose light is yellow or red, red first, then by due time."""
    found = []
    for issue in issues.filter(state__in=OPEN_ISSUE_STATES).order_by("due_at"):
        light = colour(issue, now)
        if light in (DeadlineColour.YELLOW, DeadlineColour.RED):
            found.append((issue, light))
    found.sort(key=lambda pair: (pair[1] != DeadlineColour.RED, pair[0].due_at))
    return found


# --- Geography -----------------------------------------------------------------------------------------------


def locate_region(lon: float, lat: float, within: Region | None = None) -> Region | None:
    """The grid region whose polygon holds the point (its border included), optionally only grids in ``within``.

    A bounding-box query narrows the grids, then shapely decides; on a shared border the lowest code wins.
    """
    candidates = Grid.objects.filter(min_lon__lte=lon, max_lon__gte=lon, min_lat__lte=lat, max_lat__gte=lat)
    if within is not None:
        candidates = candidates.filter(region__path__startswith=within.path)
    point = Point(lon, lat)
    for grid in candidates.select_related("region").order_by("region_id"):
        if shape(grid.boundary).covers(point):
            return grid.region
    return None


def _coordinate(value: Any, field: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise IssueError(field, f"{field} 应为数字") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise IssueError(field, f"{field} 应在 {low:g} 到 {high:g} 之间")
    return number


def duplicate_suggestions(category: IssueCategory, lon: float, lat: float, now: datetime, days: int = 30, *,
                          exclude: ResidentIssue | None = None, user: Any = None) -> list[tuple[ResidentIssue, float]]:
    """Open issues of ``category`` reported in the last ``days`` within its duplicate radius, nearest first.

    With ``user`` only issues within the user's region are suggested (``core.scope``): pages must pass it.
    """
    radius = category.duplicate_radius_m
    per_lon, per_lat = metres_per_degree(lat)
    dlat, dlon = radius / per_lat, radius / max(per_lon, 1.0)
    candidates = ResidentIssue.objects.filter(
        category=category, state__in=OPEN_ISSUE_STATES, reported_at__gte=now - timedelta(days=days),
        lon__gte=lon - dlon, lon__lte=lon + dlon, lat__gte=lat - dlat, lat__lte=lat + dlat,
    ).select_related("category", "region")
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude.pk)
    if user is not None:
        candidates = scope_queryset(candidates, user)
    found = [(issue, distance_m(lon, lat, issue.lon, issue.lat)) for issue in candidates]
    return sorted(((i, d) for i, d in found if d <= radius), key=lambda pair: (pair[1], pair[0].pk))


# --- Who may act ---------------------------------------------------------------------------------------------

_RUNGS = list(EscalationLevel)
#: The highest rung a role may act on (within its region); roles not listed only look.
ROLE_RUNG = {
    Role.GRID_WORKER: EscalationLevel.GRID,
    Role.COMMUNITY_WORKER: EscalationLevel.FOUR_PARTY,
    Role.STREET_OFFICER: EscalationLevel.STREET,
    Role.COUNTY_OPERATOR: EscalationLevel.STREET,
    Role.PREFECTURE_ADMIN: EscalationLevel.STREET,
}
#: The rungs whose issues fill a role's inbox.
INBOX_LEVELS = {
    Role.GRID_WORKER: (EscalationLevel.GRID,),
    Role.COMMUNITY_WORKER: (EscalationLevel.COMMUNITY, EscalationLevel.FOUR_PARTY),
    Role.STREET_OFFICER: (EscalationLevel.STREET,),
}


def _rung(user: Any) -> EscalationLevel | None:
    if not access.allows(user, access.P.COMMUNITY_ISSUE_HANDLE):
        return None
    if user.is_superuser:
        return EscalationLevel.STREET
    return ROLE_RUNG.get(user.role)


def may_act(user: Any, issue: ResidentIssue, level: str | None = None) -> bool:
    """Whether ``user`` may handle ``issue`` at ``level`` (default: its current rung): in scope and rung high enough."""
    rung = _rung(user)
    if rung is None or not user_can_access_region(user, issue.region):
        return False
    return _RUNGS.index(rung) >= _RUNGS.index(EscalationLevel(level or issue.level))


def _require(user: Any, issue: ResidentIssue, level: str | None = None) -> None:
    if not may_act(user, issue, level):
        raise IssueError("actor", f"无权办理诉求 {issue.request_id}：不在您的管辖范围或层级")


def inbox_for(user: Any) -> QuerySet[ResidentIssue]:
    """The issues waiting for ``user``: open or awaiting the resident's verdict, at the user's rung, in scope.

    County and prefecture staff (and superusers) see every rung of their region.
    """
    issues = scope_queryset(ResidentIssue.objects.select_related("category", "region"), user).filter(
        state__in=[*OPEN_ISSUE_STATES, IssueState.RESOLVED])
    if not getattr(user, "is_authenticated", False):
        return issues.none()
    if user.is_superuser or user.role in (Role.COUNTY_OPERATOR, Role.PREFECTURE_ADMIN):
        return issues
    levels = INBOX_LEVELS.get(user.role)
    return issues.filter(level__in=levels) if levels else issues.none()


def allowed_actions(issue: ResidentIssue, user: Any) -> list[str]:
    """The page actions ``user`` may take on ``issue`` now (the detail page shows exactly these)."""
    state, actions = IssueState(issue.state), []
    if may_act(user, issue):
        if IssueState.ACCEPTED in ISSUE_MOVES[state]:
            actions.append("accept")
        if IssueState.RESOLVED in ISSUE_MOVES[state]:
            actions.append("resolve")
        if state in OPEN_ISSUE_STATES and LEVEL_MOVES[EscalationLevel(issue.level)]:
            actions.append("escalate")
        if IssueState.REJECTED in ISSUE_MOVES[state]:
            actions.append("reject")
        if state in OPEN_ISSUE_STATES and issue.level in (EscalationLevel.FOUR_PARTY, EscalationLevel.STREET):
            actions.append("meeting")
    if may_act(user, issue, EscalationLevel.FOUR_PARTY) and AgreedAction.objects.filter(
            meeting__issue=issue, done_on__isnull=True).exists():
        actions.append("complete_action")
    if state == IssueState.RESOLVED and may_act(user, issue, EscalationLevel.GRID):
        actions.append("feedback")
    return actions


# --- Changes -------------------------------------------------------------------------------------------------


def _record(issue: ResidentIssue, actor: Any, now: datetime, kind: str, from_value: str, to_value: str,
            note: str = "", action: str | None = None, **detail: Any) -> None:
    is_user = getattr(actor, "is_authenticated", False)
    IssueEvent.objects.create(issue=issue, at=now, actor=actor if is_user else None, kind=kind,
                              from_value=from_value, to_value=to_value, note=note)
    if is_user or isinstance(actor, str):
        audit.record(f"community.issue.{action or to_value}", actor=actor, target=issue, region=issue.region,
                     reason=note, request_id=issue.request_id, **detail)


def _locked(issue: ResidentIssue) -> ResidentIssue:
    return ResidentIssue.objects.select_for_update().select_related("category", "region").get(pk=issue.pk)


def _move(issue: ResidentIssue, target: IssueState, actor: Any, now: datetime, note: str, **detail: Any) -> None:
    current = issue.state
    try:
        check_transition(ISSUE_TABLE, current, target)
    except TransitionError as error:
        raise IssueError("state", str(error)) from error
    issue.state = target
    issue.save()
    _record(issue, actor, now, "state", current, target, note, **detail)


def _text(value: str, field: str, label: str, max_length: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise IssueError(field, f"请填写{label}")
    if "\x00" in value:  # no database text column stores NUL (PostgreSQL refuses it)
        raise IssueError(field, f"{label}含有非法字符")
    if len(value) > max_length:
        raise IssueError(field, f"{label}不能超过 {max_length} 个字")
    return value


#: Characters of the region code naming the county in a request id (GB 2260: 6 digits down to the county).
COUNTY_CODE_LENGTH = 6


def _request_id(now: datetime, region: Region) -> str:
    """The next public id of the day in the issue's county: ``SQ`` + the county code (6 digits) + the Shanghai
    date + a 5-digit daily sequence per county, 21 characters (e.g. ``SQ6523282026030200001``).

    The county code keeps ids unique when several instances push their issues to the level above (DESIGN §5).
    """
    prefix = f"SQ{region.code[:COUNTY_CODE_LENGTH]}{timezone.localdate(now):%Y%m%d}"
    last = (ResidentIssue.objects.filter(request_id__startswith=prefix).order_by("-request_id")
            .values_list("request_id", flat=True).first())
    tail = last[len(prefix):] if last else ""
    return f"{prefix}{(int(tail) if tail.isdigit() else 0) + 1:05d}"


def _report_region(lon: float | None, lat: float | None, region: Region | None) -> Region:
    located = locate_region(lon, lat) if lon is not None and lat is not None else None
    if located is not None:
        return located
    if region is not None:
        if region.level != RegionLevel.GRID:
            raise IssueError("region", f"{region.name} 不是网格")
        return region
    if lon is None or lat is None:
        raise IssueError("lon", "请提供诉求位置（经度、纬度）：诉求按网格分派")
    raise IssueError("lon", "该位置不在任何网格内，请在地图上点选网格内的位置")


def report(category: IssueCategory, description: str, *, lon: float | None = None, lat: float | None = None,
           address: str = "", reporter_name: str = "", reporter_phone: str = "", reporter_email: str = "",
           media_url: str = "", channel: str = IssueChannel.WEB, region: Region | None = None,
           reported_by: Any = None, now: datetime) -> ResidentIssue:
    """File a resident's issue at the grid that holds its location (or ``region``, a grid, when none does).

    ``reported_by`` is the grid worker filing it for the resident: the grid must lie in their region.
    Raises ``IssueError`` naming the field at fault; nothing is stored then.
    """
    if not category.active:
        raise IssueError("category", f"类别「{category.name}」已停用")
    description = _text(description, "description", "诉求内容", 4000)
    if (lon is None) != (lat is None):
        raise IssueError("lat" if lat is None else "lon", "经度和纬度须同时提供")
    if lon is not None:
        lon, lat = _coordinate(lon, "lon", -180, 180), _coordinate(lat, "lat", -90, 90)
    fields = {"address": _text(address, "address", "地址", 255, False),
              "reporter_name": _text(reporter_name, "reporter_name", "诉求人", 64, False),
              "reporter_phone": _text(reporter_phone, "reporter_phone", "联系电话", 20, False),
              "reporter_email": _text(reporter_email, "reporter_email", "电子邮箱", 254, False),
              "media_url": _text(media_url, "media_url", "图片链接", 200, False)}
    for field, validator, message in (("reporter_email", EmailValidator(), "电子邮箱格式不正确"),
                                      ("media_url", URLValidator(schemes=["http", "https"]), "图片链接应为网址")):
        if fields[field]:
            try:
                validator(fields[field])
            except ValidationError:
                raise IssueError(field, message) from None
    if channel not in IssueChannel.values:
        raise IssueError("channel", f"未知的渠道：{channel}")
    grid = _report_region(lon, lat, region)
    if reported_by is not None and not user_can_access_region(reported_by, grid):
        raise IssueError("lon", f"该位置属于{grid.name}，不在您的管辖范围内")
    with transaction.atomic():
        for _ in range(5):  # two reports in the same instant race for a number: take the next one
            try:
                with transaction.atomic():
                    issue = ResidentIssue.objects.create(
                        request_id=_request_id(now, grid), category=category, region=grid, description=description,
                        lon=lon, lat=lat, channel=channel, reported_by=reported_by, reported_at=now,
                        response_due_at=now + timedelta(hours=category.response_hours), level_started_at=now,
                        due_at=now + level_limit(category, EscalationLevel.GRID), **fields)
                break
            except IntegrityError:
                continue
        else:
            raise IssueError("request_id", "诉求编号冲突，请重试")
        _record(issue, reported_by, now, "state", "", IssueState.REPORTED, IssueChannel(channel).label,
                action="reported", channel=channel)
    return issue


@transaction.atomic
def accept(issue: ResidentIssue, actor: Any, now: datetime, note: str = "") -> ResidentIssue:
    """受理 / 响应: the handler takes the issue up (again, after a reopen); the first time sets ``responded_at``."""
    issue = _locked(issue)
    _require(actor, issue)
    if issue.responded_at is None and issue.state == IssueState.REPORTED:
        issue.responded_at = now
    _move(issue, IssueState.ACCEPTED, actor, now, _text(note, "note", "说明", 500, False))
    return issue


@transaction.atomic
def resolve(issue: ResidentIssue, actor: Any, now: datetime, resolution: str) -> ResidentIssue:
    """办结: the handler reports what was done; the resident's verdict is awaited."""
    issue = _locked(issue)
    _require(actor, issue)
    issue.resolution = _text(resolution, "resolution", "办理结果", 2000)
    issue.resolved_at = now
    _move(issue, IssueState.RESOLVED, actor, now, issue.resolution)
    return issue


@transaction.atomic
def feedback(issue: ResidentIssue, satisfied: bool, now: datetime, comment: str = "",
             actor: Any = None) -> ResidentIssue:
    """The resident's verdict on a resolved issue: satisfied closes it, not satisfied reopens it on a fresh limit.

    ``actor`` is the staff member recording the verdict for the resident (回访), None for the resident.
    """
    issue = _locked(issue)
    if actor is not None:
        _require(actor, issue, EscalationLevel.GRID)
    comment = _text(comment, "comment", "评价意见", 500, False)
    issue.satisfied = bool(satisfied)
    if satisfied:
        issue.closed_at = now
        _move(issue, IssueState.CLOSED, actor, now, comment or "群众满意")
    else:
        issue.reopen_count += 1
        issue.resolved_at = None
        issue.level_started_at = now
        issue.due_at = now + level_limit(issue.category, issue.level)
        _move(issue, IssueState.REOPENED, actor, now, comment or "群众不满意，重新办理")
    return issue


@transaction.atomic
def reject(issue: ResidentIssue, actor: Any, now: datetime, reason: str,
           duplicate_of: ResidentIssue | None = None) -> ResidentIssue:
    """不予受理: not an issue for the community, or a duplicate of ``duplicate_of`` (which stays open)."""
    issue = _locked(issue)
    _require(actor, issue)
    reason = _text(reason, "reason", "理由", 500)
    if duplicate_of is not None:
        if duplicate_of.pk == issue.pk:
            raise IssueError("duplicate_of", "诉求不能重复于自身")
        if duplicate_of.state == IssueState.REJECTED or not user_can_access_region(actor, duplicate_of.region):
            raise IssueError("duplicate_of", f"不能标记为重复于 {duplicate_of.request_id}")
        issue.duplicate_of = duplicate_of
    _move(issue, IssueState.REJECTED, actor, now, reason,
          duplicate_of=duplicate_of.request_id if duplicate_of else None)
    return issue


@transaction.atomic
def escalate(issue: ResidentIssue, actor: Any, now: datetime, reason: str) -> ResidentIssue:
    """上报: one rung up the ladder, with a fresh time limit there; only while the issue is open."""
    issue = _locked(issue)
    _require(actor, issue)
    reason = _text(reason, "reason", "上报理由", 500)
    current = EscalationLevel(issue.level)
    target = next(iter(LEVEL_MOVES[current]), current)
    try:
        check_escalation(current, target, issue.state)
    except TransitionError as error:
        raise IssueError("level", str(error)) from error
    issue.level = target
    issue.level_started_at = now
    issue.due_at = now + level_limit(issue.category, target)
    issue.save()
    _record(issue, actor, now, "escalate", current, target, reason, action="escalated")
    return issue


#: How far back and ahead a meeting may be recorded (a typo such as year 1 or 2206 is refused).
MEETING_PAST_LIMIT = timedelta(days=365)
MEETING_FUTURE_LIMIT = timedelta(days=30)
#: The years a due or done date of an agreed action may fall in.
DAY_YEARS = (2000, 2100)


def plausible_day(day: date) -> bool:
    """Whether ``day`` is a believable date for an agreed action (years ``DAY_YEARS``)."""
    return DAY_YEARS[0] <= day.year <= DAY_YEARS[1]


@dataclass(frozen=True)
class ActionSpec:
    """An action agreed at a meeting: what, by whom, by when."""

    description: str
    owner: str
    due_on: date


@transaction.atomic
def record_meeting(issue: ResidentIssue, *, held_at: datetime, place: str, community_attendee: str,
                   property_attendee: str = "", owners_committee_attendee: str = "", department_attendee: str = "",
                   minutes: str, actions: Sequence[ActionSpec | tuple[str, str, date]] = (), actor: Any,
                   now: datetime) -> CoordinationMeeting:
    """Record a four-party coordination meeting (四方协商会) on an issue at the four-party or street rung.

    The community must attend, and at least two of: the property company, the owners' committee,
    the relevant department or police. Each agreed action needs a description, an owner and a due date.
    """
    issue = _locked(issue)
    _require(actor, issue)
    if issue.level not in (EscalationLevel.FOUR_PARTY, EscalationLevel.STREET):
        raise IssueError("level", "只有进入四方协商或街道层级的诉求才召开协商会议")
    if issue.state not in OPEN_ISSUE_STATES:
        raise IssueError("state", "诉求已不在办理中，不能召开协商会议")
    people = {"community_attendee": _text(community_attendee, "community_attendee", "社区参会人", 64),
              "property_attendee": _text(property_attendee, "property_attendee", "物业参会人", 64, False),
              "owners_committee_attendee": _text(owners_committee_attendee, "owners_committee_attendee",
                                                 "业委会参会人", 64, False),
              "department_attendee": _text(department_attendee, "department_attendee", "部门或派出所参会人", 64, False)}
    if sum(1 for key in ("property_attendee", "owners_committee_attendee", "department_attendee") if people[key]) < 2:
        raise IssueError("property_attendee", "四方协商须有物业、业委会、职能部门或派出所中至少两方参会")
    if not isinstance(held_at, datetime) or not (now - MEETING_PAST_LIMIT <= held_at <= now + MEETING_FUTURE_LIMIT):
        raise IssueError("held_at", "会议时间须在一年以内，且不晚于 30 天之后")
    specs = [a if isinstance(a, ActionSpec) else ActionSpec(*a) for a in actions]
    for spec in specs:
        _text(spec.description, "actions", "议定事项", 255)
        _text(spec.owner, "actions", "责任方", 64)
        if not isinstance(spec.due_on, date):
            raise IssueError("actions", "议定事项须有完成期限")
        if not plausible_day(spec.due_on):
            raise IssueError("actions", f"完成期限须在 {DAY_YEARS[0]}–{DAY_YEARS[1]} 年之间")
    meeting = CoordinationMeeting.objects.create(
        issue=issue, held_at=held_at, place=_text(place, "place", "地点", 128),
        minutes=_text(minutes, "minutes", "会议纪要", 5000), recorded_by=actor if actor.is_authenticated else None,
        **people)
    AgreedAction.objects.bulk_create(AgreedAction(meeting=meeting, description=s.description.strip(),
                                                  owner=s.owner.strip(), due_on=s.due_on) for s in specs)
    _record(issue, actor, now, "meeting", issue.level, issue.level, f"{meeting.place}：{len(specs)} 项议定事项",
            action="meeting", meeting=meeting.pk)
    return meeting


@transaction.atomic
def complete_action(action: AgreedAction, on: date, actor: Any, now: datetime) -> AgreedAction:
    """Mark an agreed action done on ``on`` (by the convener or higher, within scope)."""
    action = AgreedAction.objects.select_for_update().select_related("meeting__issue__region").get(pk=action.pk)
    issue = action.meeting.issue
    _require(actor, issue, EscalationLevel.FOUR_PARTY)
    if action.done_on is not None:
        raise IssueError("done_on", "该议定事项已完成")
    if not isinstance(on, date) or on < timezone.localdate(action.meeting.held_at):
        raise IssueError("done_on", "完成日期不能早于会议日期")
    if not plausible_day(on):
        raise IssueError("done_on", f"完成日期须在 {DAY_YEARS[0]}–{DAY_YEARS[1]} 年之间")
    action.done_on = on
    action.save(update_fields=["done_on"])
    _record(issue, actor, now, "action", "", "done", f"{action.description}（{action.owner}）", action="action_done",
            agreed_action=action.pk)
    return action


def handler_name(issue: ResidentIssue) -> str:
    """Who handles the issue at its current rung, by name (e.g. 东城社区第一网格, 东城社区四方协商)."""
    chain: list[Region] = []
    region: Region | None = issue.region
    while region is not None and len(chain) < 3:
        chain.append(region)
        region = region.parent if region.level > RegionLevel.TOWNSHIP else None
    by_level = {r.level: r for r in chain}
    grid, community, town = (by_level.get(RegionLevel.GRID), by_level.get(RegionLevel.VILLAGE),
                             by_level.get(RegionLevel.TOWNSHIP))
    level = EscalationLevel(issue.level)
    if level == EscalationLevel.GRID:
        return (grid or issue.region).name
    if level == EscalationLevel.COMMUNITY:
        return (community or issue.region).name
    if level == EscalationLevel.FOUR_PARTY:
        return f"{(community or issue.region).name}四方协商"
    return (town or issue.region).name

