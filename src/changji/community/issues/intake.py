"""Reporting an issue (接诉): where it is, whether it repeats an open one, and filing it at its grid.

An issue is filed at the grid whose polygon holds its location (``locate_region``), or at the grid a
grid worker names when filing for a resident without one; its public id (``SQ`` + county + date +
daily number) is unique across instances. Nothing is stored when a field is refused.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from shapely.geometry import Point, shape

from changji.community.grids.geo import distance_m, metres_per_degree
from changji.community.issues.changes import IssueError, clean_text, record
from changji.community.issues.limits import level_limit
from changji.community.issues.workflow import OPEN_ISSUE_STATES, EscalationLevel, IssueState
from changji.community.models import Grid, IssueCategory, IssueChannel, ResidentIssue
from changji.core.models import Region, RegionLevel
from changji.core.scope import scope_queryset, user_can_access_region


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
    # Every candidate has a location (the lon/lat range filter above); the check says so to the type checker.
    found = [(issue, distance_m(lon, lat, issue.lon, issue.lat)) for issue in candidates
             if issue.lon is not None and issue.lat is not None]
    return sorted(((i, d) for i, d in found if d <= radius), key=lambda pair: (pair[1], pair[0].pk))


#: Characters of the region code naming the county in a request id (GB 2260: 6 digits down to the county).
COUNTY_CODE_LENGTH = 6


def _request_id(now: datetime, region: Region) -> str:
    """The next public id of the day in the issue's county.

    ``SQ`` + the county code (6 digits) + the Shanghai date + a 5-digit daily sequence per county, 21 characters
    (e.g. ``SQ6523282026030200001``).

    The county code keeps ids unique when several instances push their issues to the level above.
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
           reported_by: Any = None, description_required: bool = True, now: datetime) -> ResidentIssue:
    """File a resident's issue at the grid that holds its location (or ``region``, a grid, when none does).

    ``reported_by`` is the grid worker filing it for the resident: the grid must lie in their region.
    ``description_required=False`` lets a category and a location suffice (GeoReport v2 makes ``description``
    optional); the staff forms keep requiring it. Raises ``IssueError`` naming the field at fault; nothing is
    stored then.
    """
    if not category.active:
        raise IssueError("category", f"类别「{category.name}」已停用")
    description = clean_text(description, "description", "诉求内容", 4000, description_required)
    if (lon is None) != (lat is None):
        raise IssueError("lat" if lat is None else "lon", "经度和纬度须同时提供")
    if lon is not None:
        lon, lat = _coordinate(lon, "lon", -180, 180), _coordinate(lat, "lat", -90, 90)
    fields = {"address": clean_text(address, "address", "地址", 255, False),
              "reporter_name": clean_text(reporter_name, "reporter_name", "诉求人", 64, False),
              "reporter_phone": clean_text(reporter_phone, "reporter_phone", "联系电话", 20, False),
              "reporter_email": clean_text(reporter_email, "reporter_email", "电子邮箱", 254, False),
              "media_url": clean_text(media_url, "media_url", "图片链接", 200, False)}
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
        record(issue, reported_by, now, "state", "", IssueState.REPORTED, str(IssueChannel(channel).label),
                action="reported", channel=channel)
    return issue
