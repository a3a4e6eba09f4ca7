"""The venue targets of many communities at once: their numbers gathered in a fixed number of grouped queries.

``venue_targets_for`` reads the rooms, baselines, usage days, residents and participants of a set of
communities (five grouped queries whatever their number) and judges each with ``targets.assess_targets``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q

from changji.community.models import Resident, Room, RoomKind, VenueBaseline
from changji.community.venues import participation
from changji.community.venues.bookings import usage_days
from changji.community.venues.targets import VenueNumbers, VenueTargets, assess_targets
from changji.core.models import Region

#: A community's code is the first 12 characters of its own code and of each of its grids' (GB 2260 + 3 digits).
COMMUNITY_CODE_LENGTH = 12


def _in_communities(codes: list[str], field_name: str) -> Q:
    """Rows whose region (``field_name``) is one of the communities or a grid of one of them."""
    return Q(**{f"{field_name}_id__in": codes}) | Q(**{f"{field_name}__parent_id__in": codes})


def residents_by_community(codes: list[str]) -> dict[str, int]:
    """Residents registered in each community (its own region or its grids'), in one grouped query."""
    counts: dict[str, int] = defaultdict(int)
    rows = (Resident.objects.filter(_in_communities(codes, "region")).values("region_id")
            .annotate(n=Count("pk")).order_by())
    for row in rows:
        counts[row["region_id"][:COMMUNITY_CODE_LENGTH]] += row["n"]
    return dict(counts)


def venue_targets_for(regions: Iterable[Region], year: int, today: date, *,
                      residents: Mapping[str, int] | None = None) -> dict[str, VenueTargets]:
    """``{community code: VenueTargets}`` of the communities ``regions``, in five grouped queries whatever their number.

    ``residents`` (community code → residents) may be passed by a caller that has counted them already.
    """
    communities = {region.code: region for region in regions}
    codes = sorted(communities)
    if not codes:
        return {}
    rooms = list(Room.objects.filter(region_id__in=codes).values("pk", "region_id", "name", "kind", "function",
                                                                 "area_m2").order_by("region_id", "name"))
    baselines = dict(VenueBaseline.objects.filter(region_id__in=codes).values_list("region_id",
                                                                                  "office_area_before_m2"))
    days = usage_days(Room.objects.filter(region_id__in=codes, kind=RoomKind.SERVICE), year)
    if residents is None:
        residents = residents_by_community(codes)
    participants = participation.participants_by_community(codes, year)
    by_community: dict[str, list[Mapping[str, Any]]] = defaultdict(list)  # rows of .values() above
    for room in rooms:
        by_community[room["region_id"]].append(room)
    result = {}
    for code in codes:
        own = by_community[code]
        numbers = VenueNumbers(
            region_code=code, region_name=communities[code].name, office_area_before_m2=baselines.get(code),
            office_area_m2=sum((r["area_m2"] for r in own if r["kind"] == RoomKind.OFFICE), Decimal(0)),
            service_area_m2=sum((r["area_m2"] for r in own if r["kind"] == RoomKind.SERVICE), Decimal(0)),
            residents=residents.get(code, 0), participants=participants.get(code, 0),
            rooms=tuple((r["pk"], r["name"], r["function"], r["area_m2"], days.get(r["pk"], 0))
                        for r in own if r["kind"] == RoomKind.SERVICE),
        )
        result[code] = assess_targets(numbers, year, today)
    return result


def venue_targets(community: Region, year: int, today: date) -> VenueTargets:
    """The four venue targets of one community in ``year`` (``today`` sets the pace of the year in progress)."""
    return venue_targets_for([community], year, today)[community.code]
