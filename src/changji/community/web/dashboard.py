"""网格治理总览: the year's figures of the user's scope on one page, with drill-down to grids, and its XLSX export."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from changji.community.dashboard import SHANGHAI, DashboardFigures, Row, community_figures
from changji.community.export import dashboard_workbook
from changji.community.issues.workflow import ISSUE_LABELS, IssueState
from changji.core import params
from changji.core.access import P
from changji.core.guards import route

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIRST_YEAR = 2000


def selected_year(request: HttpRequest, now: datetime) -> int:
    """The ``year`` query parameter (default: this year in Shanghai); another is a ParamError (400)."""
    this_year = now.astimezone(SHANGHAI).year
    return params.query(request, "year", params.Year(FIRST_YEAR, this_year + 1, default=this_year))


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _chart_data(figures: DashboardFigures) -> dict[str, Any]:
    """What the ECharts of the page draw: per community bars, and the issues' states as a pie."""
    rows = figures.communities or figures.grids
    issues = figures.total.issues
    return {
        "names": [row.name for row in rows],
        "published": [row.counts.wishes_published for row in rows],
        "claimed": [row.counts.wishes_claimed for row in rows],
        "confirmed": [row.counts.wishes_confirmed for row in rows],
        "served": [row.counts.served for row in rows],
        "response": [_percent(row.issues.response_rate) for row in rows],
        "resolution": [_percent(row.issues.resolution_rate) for row in rows],
        "satisfaction": [_percent(row.issues.satisfaction_rate) for row in rows],
        "states": [{"name": ISSUE_LABELS[state], "value": value} for state, value in (
            (IssueState.REPORTED, issues.reported), (IssueState.ACCEPTED, issues.accepted),
            (IssueState.REOPENED, issues.reopened), (IssueState.RESOLVED, issues.resolved),
            (IssueState.CLOSED, issues.closed)) if value],
    }


def _drill_down(request: HttpRequest, figures: DashboardFigures) -> tuple[Row | None, list[Row]]:
    """The community chosen with ``?community=`` (404 outside the scope) and the grid rows to show."""
    code = params.query(request, "community", params.RegionCode(default=""))
    if code:
        community = figures.community(code)
        if community is None:
            raise Http404("未找到该社区")
        return community, community.children
    if len(figures.communities) <= 1:
        return None, figures.grids
    return None, []


@route(get=P.COMMUNITY_READ)
def dashboard(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    year = selected_year(request, now)
    figures = community_figures(request.user, year, now)
    community, grids = _drill_down(request, figures)
    return render(request, "community/dashboard.html", {
        "figures": figures, "year": year, "years": range(now.astimezone(SHANGHAI).year + 1, FIRST_YEAR - 1, -1)[:6],
        "selected": community, "grid_rows": grids, "chart": _chart_data(figures), "issue_labels": ISSUE_LABELS,
    })


@route(get=P.COMMUNITY_READ)
def dashboard_export(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    year = selected_year(request, now)
    figures = community_figures(request.user, year, now)
    name = f"网格治理统计表-{figures.scope_name}-{year}.xlsx"
    response = HttpResponse(dashboard_workbook(figures), content_type=XLSX)
    response["Content-Disposition"] = (f'attachment; filename="community-{year}.xlsx"; '
                                       f"filename*=UTF-8''{quote(name)}")
    return response


urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("export.xlsx", dashboard_export, name="dashboard_export"),
]
