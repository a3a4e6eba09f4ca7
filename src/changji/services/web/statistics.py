"""统计: cases by bundle, department and month for the user's region, on screen and as XLSX."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from changji.core import params
from changji.core.access import P
from changji.core.guards import route
from changji.core.models import Region, User
from changji.core.regions import root_region
from changji.services.statistics import case_statistics, to_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _region(request: HttpRequest) -> Region:
    user = request.user
    if not isinstance(user, User):  # the route's guard (core.guards.route) lets only signed-in users in
        raise PermissionDenied
    return user.region or root_region()


def _span(request: HttpRequest) -> tuple[date, date, str | None]:
    today = timezone.localdate()
    chosen = params.parse(request.GET, {"first": params.Day(default=date(today.year, 1, 1)),
                                        "last": params.Day(default=today)})
    first, last = chosen["first"], chosen["last"]
    if last < first:
        return first, first, "截止日期不能早于起始日期"
    return first, last, None


@route(get=P.SERVICES_STATISTICS_READ)
def statistics(request: HttpRequest) -> HttpResponse:
    """The statistics of the user's region (a superuser without one: the root region); ``?format=xlsx`` downloads."""
    first, last, error = _span(request)
    if error:
        return render(request, "services/statistics.html", {"error": error, "first": first, "last": last},
                      status=400)
    stats = case_statistics(_region(request), first, last)
    if params.query(request, "format", params.Choice(["html", "xlsx"], default="html")) == "xlsx":
        response = HttpResponse(to_xlsx(stats), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="services-{first}-{last}.xlsx"'
        return response
    return render(request, "services/statistics.html", {"stats": stats, "first": first, "last": last})
