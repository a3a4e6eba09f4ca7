"""The residents' read-only pages: published micro-wishes and the 10-minute service circle, in Chinese or Kazakh.

Anyone may open them (``PUBLIC``), so they show no personal data: a wish shows its title, grid and community,
state and dates, never the resident (not even a masked name); the service circle shows the service points
(党群连心点) and the service rooms of a community with their services, on a map, and orders the points by
distance from a point the resident clicks or from a compound (小区) they choose. Both are resident pages
(``core.languages.resident_page``): shown in the language of the ``LANGUAGE_CODE`` cookie.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from changji.community.grids import geo
from changji.community.grids.service import service_circle_m, service_points_for
from changji.community.models import Compound, MicroWish, Room, RoomKind
from changji.community.web.public_labels import PUBLIC_WISH_STATES, WISH_STATE_NAMES
from changji.community.wishes.workflow import WishState
from changji.core import params
from changji.core.guards import PUBLIC, route
from changji.core.languages import resident_page
from changji.core.models import Region, RegionLevel
from changji.core.params import ParamError

PAGE_SIZE = 50
#: Xinjiang's bounding box, generously: a point outside it is not a place in the county.
LON_RANGE, LAT_RANGE = (73.0, 97.0), (34.0, 50.0)


def _communities() -> Any:
    return Region.objects.filter(level=RegionLevel.VILLAGE).order_by("code")


def _community(request: HttpRequest) -> Region | None:
    """The community chosen by ``?community=`` (its code); None when none is chosen, 404 when unknown."""
    code = params.query(request, "community", params.RegionCode(default=""))
    if not code:
        return None
    community = _communities().filter(code=code).first()
    if community is None:
        raise Http404(_("未找到该社区"))
    return community


def _query(**values: Any) -> str:
    """The list's other parameters for the pager (without ``page``), blanks left out."""
    return urlencode({name: value for name, value in values.items() if value not in (None, "")})


@resident_page
@route(get=PUBLIC)
def public_wishes(request: HttpRequest) -> HttpResponse:
    """Published micro-wishes (微心愿) by community and state, newest first; nothing about the resident."""
    community = _community(request)
    state = params.query(request, "state", params.Choice([s.value for s in PUBLIC_WISH_STATES], default=""))
    rows = MicroWish.objects.filter(state__in=[s.value for s in PUBLIC_WISH_STATES]).select_related(
        "region", "region__parent")
    if community is not None:
        rows = rows.filter(region__path__startswith=community.path)
    if state:
        rows = rows.filter(state=state)
    page = Paginator(rows.order_by("-published_at", "-pk"), PAGE_SIZE).get_page(
        params.query(request, "page", params.Page()))
    wishes = [{"title": w.title, "grid": w.region.name, "community": w.region.parent.name if w.region.parent else "",
               "state": WISH_STATE_NAMES[WishState(w.state)], "published_at": w.published_at,
               "fulfilled_at": w.fulfilled_at} for w in page.object_list]
    return render(request, "community/public/wishes.html", {
        "page": page, "wishes": wishes, "communities": _communities(), "community": community, "state": state,
        "states": [(s.value, WISH_STATE_NAMES[s]) for s in PUBLIC_WISH_STATES],
        "query": _query(community=community.code if community else "", state=state)})


@dataclass(frozen=True)
class Origin:
    """Where "nearest to me" is measured from: a compound chosen, or a point clicked on the map."""

    lon: float
    lat: float
    compound: Compound | None = None


def _origin(request: HttpRequest, community: Region | None) -> Origin | None:
    """The origin of ``?compound=`` or of ``?lon=&lat=`` (both or neither); None without one."""
    compound_id = params.query(request, "compound", params.Id())
    if compound_id is not None:
        compounds = Compound.objects.filter(pk=compound_id)
        if community is not None:
            compounds = compounds.filter(region__path__startswith=community.path)
        compound = compounds.first()
        if compound is None:
            raise Http404(_("未找到该小区"))
        return Origin(compound.lon, compound.lat, compound)
    lon = params.query(request, "lon", params.Number(*LON_RANGE))
    lat = params.query(request, "lat", params.Number(*LAT_RANGE))
    if (lon is None) != (lat is None):
        raise ParamError("lat" if lat is None else "lon", "须与经度、纬度同时给出")
    return None if lon is None else Origin(lon, lat)


def _points(community: Region | None, origin: Origin | None) -> list[dict[str, Any]]:
    """The service points with their distance from ``origin`` (nearest first), or by name without one."""
    radius = service_circle_m()
    rows = []
    for point in service_points_for(community).select_related("region"):
        distance = None if origin is None else geo.distance_m(origin.lon, origin.lat, point.lon, point.lat)
        rows.append({"name": point.name, "services": point.services, "community": point.region.name,
                     "lon": point.lon, "lat": point.lat, "distance_m": distance,
                     "within": distance is not None and distance <= radius})
    rows.sort(key=lambda row: (row["distance_m"] if row["distance_m"] is not None else 0.0, row["name"]))
    return rows


@resident_page
@route(get=PUBLIC)
def public_service_circle(request: HttpRequest) -> HttpResponse:
    """The service points and service rooms of a community, and the ones nearest to the resident."""
    community = _community(request)
    origin = _origin(request, community)
    points = _points(community, origin)
    page = Paginator(points, PAGE_SIZE).get_page(params.query(request, "page", params.Page()))
    rooms = (Room.objects.filter(region=community, kind=RoomKind.SERVICE).order_by("name")
             if community is not None else Room.objects.none())
    compounds = (Compound.objects.filter(region__path__startswith=community.path).order_by("name")
                 if community is not None else Compound.objects.none())
    labels = {"origin": _("我的位置"), "within": _("在 10 分钟服务圈内"), "metres": _("米")}
    return render(request, "community/public/service_circle.html", {
        "page": page, "points": page.object_list, "rooms": rooms, "compounds": compounds,
        "communities": _communities(), "community": community, "origin": origin,
        "radius_m": round(service_circle_m()),
        "map_points": [[p["name"], p["lon"], p["lat"], p["services"]] for p in points],
        "map_origin": [origin.lon, origin.lat] if origin else None, "map_labels": labels,
        "query": _query(community=community.code if community else "",
                        compound=origin.compound.pk if origin and origin.compound else "",
                        lon=origin.lon if origin and not origin.compound else "",
                        lat=origin.lat if origin and not origin.compound else "")})



urlpatterns = [
    path("public/wishes/", public_wishes, name="public_wishes"),
    path("public/service-circle/", public_service_circle, name="public_service_circle"),
]
