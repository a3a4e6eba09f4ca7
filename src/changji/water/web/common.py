"""Helpers shared by the water pages: the user's region and the counties in scope."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from changji.core.models import Region, RegionLevel
from changji.core.regions import root_region
from changji.core.scope import scope_queryset


def user_region(request: HttpRequest) -> Region:
    """The region whose figures the user sees: their own, or the instance's root for an unbounded superuser."""
    user: Any = request.user
    if user.region is not None:
        return user.region
    if user.is_superuser:
        return root_region()
    raise PermissionDenied("账号未设置管辖区划")


def counties(request: HttpRequest) -> list[Region]:
    """The counties of the instance within the user's scope (none for a user bound below county level)."""
    scoped = scope_queryset(Region.objects.within(root_region()).filter(level=RegionLevel.COUNTY), request.user)
    return list(scoped.order_by("code"))


def county_code(path: str) -> str:
    """The county code on a region path (nation/region/prefecture/county/…), the last code above county."""
    codes = [code for code in path.split("/") if code]
    return codes[RegionLevel.COUNTY] if len(codes) > RegionLevel.COUNTY else codes[-1]
