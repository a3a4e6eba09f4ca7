"""The community app's JSON API (``/api/community/``): grids, resident issues, micro-wishes.

Every operation declares its permission of ``core.access`` (``core.guards.operation``), the same as the page it
mirrors (``community.read``), and every query goes through ``core.scope.scope_queryset`` with ``request.user``:
a grid worker reads their grid, a community worker their community, a street officer their street; an object
outside scope is a 404. Read-only: issues and wishes are handled on their pages, through ``community.issues``
and ``community.wishes``. Residents' issues filed by other systems come in through Open311 (``/open311/v2/``,
described in the same OpenAPI document by ``community.api.open311``).
"""

from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router
from ninja.pagination import paginate

from changji.community.api import organisations
from changji.community.api.meetings import router as meetings_router
from changji.community.api.schemas import GridOut, IssueDetailOut, IssueOut, WishOut
from changji.community.api.visits import router as visits_router
from changji.community.issues import handlers
from changji.community.issues.workflow import EscalationLevel, IssueState
from changji.community.models import MicroWish, ResidentIssue
from changji.community.web.grids import grid_rows
from changji.community.wishes.workflow import WishState
from changji.core.access import P
from changji.core.api_schemas import Id, Pagination, Text
from changji.core.guards import operation
from changji.core.scope import scope_queryset

router = Router(tags=["community"])
router.add_router("/visits/", visits_router)  # visits, care households, residents' meetings (community.api.visits)
router.add_router("/", organisations.router)


def _issues(request: HttpRequest) -> QuerySet[ResidentIssue]:
    return scope_queryset(ResidentIssue.objects.select_related("category", "region"), request.user)


def _wishes(request: HttpRequest) -> QuerySet[MicroWish]:
    return scope_queryset(MicroWish.objects.all(), request.user)


@router.get("/grids", response=list[GridOut])
@operation(P.COMMUNITY_READ)
def list_grids(request: HttpRequest) -> list[dict[str, Any]]:
    """The unified grids of the user's scope with their counts and boundaries (what the grid map shows)."""
    return grid_rows(request.user)


@router.get("/issues", response=list[IssueOut])
@paginate(Pagination)
@operation(P.COMMUNITY_READ)
def list_issues(request: HttpRequest, view: Literal["all", "inbox"] = "all", state: IssueState | None = None,
                level: EscalationLevel | None = None, category: Text | None = None) -> QuerySet[ResidentIssue]:
    """Issues of the user's scope, newest first.

    With ``view=inbox``: those waiting at the user's rung (``community.issues.inbox_for``).
    """
    found = handlers.inbox_for(request.user) if view == "inbox" else _issues(request)
    if state:
        found = found.filter(state=state)
    if level:
        found = found.filter(level=level)
    if category:
        found = found.filter(category__code=category)
    return found.order_by("-reported_at", "-pk")


@router.get("/issues/{issue_id}", response=IssueDetailOut)
@operation(P.COMMUNITY_READ)
def get_issue(request: HttpRequest, issue_id: Id) -> ResidentIssue:
    """One issue with its history and the actions the user may take on it now."""
    return get_object_or_404(_issues(request), pk=issue_id)


@router.get("/wishes", response=list[WishOut])
@paginate(Pagination)
@operation(P.COMMUNITY_READ)
def list_wishes(request: HttpRequest, state: WishState | None = None) -> QuerySet[MicroWish]:
    """Micro-wishes of the user's scope, newest first."""
    found = _wishes(request)
    if state:
        found = found.filter(state=state)
    return found.order_by("-posted_at", "-pk")


@router.get("/wishes/{wish_id}", response=WishOut)
@operation(P.COMMUNITY_READ)
def get_wish(request: HttpRequest, wish_id: Id) -> MicroWish:
    """One micro-wish."""
    return get_object_or_404(_wishes(request), pk=wish_id)


router.add_router("/meetings/", meetings_router)  # 四方联动 meetings and their decisions (community.api.meetings)
