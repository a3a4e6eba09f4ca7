"""Residents served in a year by a community's activities: the rollup the 60 % participation target counts.

``ActivityServed`` holds one row per resident per activity; the target needs the distinct residents per
community and year, which over a town's year (75,000 served rows) is a sort that cost 40–50 ms of every
dashboard. ``ResidentParticipation`` keeps those distinct (community, year, resident) rows:

* ``record`` adds them as residents are served (``activities.add_served``), idempotently;
* ``rebuild`` recomputes a year (or every year) from ``ActivityServed`` — derived data, always rebuildable — and
  the daily job ``community.participation.rebuild`` runs it for the current and the previous year, so a row
  changed outside ``add_served`` (a bulk load, a deleted activity) is healed by the next morning;
* ``participants_by_community`` counts them.

A community's activities are those of the community region or of its grids; the community is the first 12
characters of the activity's region code (GB 2260 + 3 digits).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.db import transaction
from django.db.models import Count, F
from django.db.models.functions import Substr

from changji.community.models import Activity, ActivityServed, Resident, ResidentParticipation
from changji.core.localtime import SHANGHAI

#: A community's code is the first 12 characters of its own code and of each of its grids'.
COMMUNITY_CODE_LENGTH = 12
#: Rows written per INSERT by ``rebuild``.
BATCH = 5000


def record(activity: Activity, residents: Iterable[Resident]) -> None:
    """Count ``residents`` as served in the activity's year by its community (already counted ones stay)."""
    community_id = activity.region_id[:COMMUNITY_CODE_LENGTH]
    ResidentParticipation.objects.bulk_create(
        [ResidentParticipation(community_id=community_id, year=activity.held_on.year, resident=resident)
         for resident in residents], ignore_conflicts=True)


@transaction.atomic
def rebuild(year: int | None = None) -> int:
    """Recompute the rollup of ``year`` (every year when None) from ``ActivityServed``; return the rows written."""
    served = ActivityServed.objects.all()
    kept = ResidentParticipation.objects.all()
    if year is not None:
        served = served.filter(activity__held_on__gte=date(year, 1, 1), activity__held_on__lte=date(year, 12, 31))
        kept = kept.filter(year=year)
    kept.delete()
    pairs = (served.values(community_code=Substr("activity__region_id", 1, COMMUNITY_CODE_LENGTH),
                           served_year=F("activity__held_on__year"), served_resident=F("resident_id"))
             .distinct().order_by())
    rows = [ResidentParticipation(community_id=p["community_code"], year=p["served_year"],
                                  resident_id=p["served_resident"]) for p in pairs.iterator(chunk_size=BATCH)]
    ResidentParticipation.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def rebuild_recent(at: datetime) -> dict[str, int]:
    """Rebuild the current and the previous year (Asia/Shanghai) of ``at``: the years activities are still added to."""
    year = at.astimezone(SHANGHAI).year
    return {str(y): rebuild(y) for y in (year - 1, year)}


def participants_by_community(codes: list[str], year: int) -> dict[str, int]:
    """Distinct residents served in ``year`` by activities of each community in ``codes``, one grouped query."""
    rows = (ResidentParticipation.objects.filter(community_id__in=codes, year=year).values("community_id")
            .annotate(n=Count("pk")).order_by())
    return {row["community_id"]: row["n"] for row in rows if row["n"]}
