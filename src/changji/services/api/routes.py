"""The services app's JSON API (``/api/services/``): the catalogue, the window's cases, the inbox, statistics.

Every operation declares its permission of ``core.access`` (``core.guards.operation``), the same as the page
it mirrors: the catalogue is public like ``/services/``; cases need ``services.case.intake`` like the window;
sub-cases ``services.sub_case.review`` like the department inbox and go through ``cases.for_reviewer`` (the
reviewer's region and departments); statistics ``services.statistics.read``. Every query goes through
``core.scope.scope_queryset``: an object outside the user's region is a 404. Read-only: the window's and the
inbox's steps stay on their pages, which run them through ``services.cases``.
"""

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router
from ninja.pagination import paginate
from pydantic import StringConstraints

from changji.core.access import P
from changji.core.api_schemas import Id, Pagination, Text
from changji.core.guards import PUBLIC, operation
from changji.core.models import Region
from changji.core.params import FIRST_YEAR, LAST_YEAR
from changji.core.scope import scope_queryset
from changji.services import cases, public_catalogue, workdays
from changji.services.api.catalogue_admin import router as catalogue_admin_router
from changji.services.api.catalogue_transfer import router as catalogue_transfer_router
from changji.services.api.queue import router as queue_router
from changji.services.api.schemas import BundleOut, CaseDetailOut, CaseOut, StatisticsOut, SubCaseOut
from changji.services.catalogue import current_bundles
from changji.services.models import Bundle, BundleCategory, Case, SubCase
from changji.services.statistics import case_statistics
from changji.services.workflow import CaseState, SubCaseState

router = Router(tags=["services"])

#: The catalogue search (``q``): at most 50 characters, as on the page.
SearchText = Annotated[Text, StringConstraints(max_length=50)]

#: The sub-cases still waiting for a department (the inbox's default ``state=open``).
OPEN_SUB_CASE_STATES = (SubCaseState.PENDING, SubCaseState.CLAIMED, SubCaseState.COMMITTED, SubCaseState.RECTIFY)
#: The inbox's ``state`` filter: the open ones, all, or one state. The Literal is built from SubCaseState at run
#: time (django-ninja validates and documents it); mypy cannot read a computed Literal, so it sees a str.
if TYPE_CHECKING:
    SubCaseFilter = str
else:
    SubCaseFilter = Literal[("open", "all", *(state.value for state in SubCaseState))]


def _sub_cases(request: HttpRequest) -> QuerySet[SubCase]:
    return cases.for_reviewer(SubCase.objects.select_related("case", "item", "department", "assignee"),
                              request.user)


def _in_range(name: str, value: date | None) -> None:
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError({name: f"年份应在 {FIRST_YEAR} 到 {LAST_YEAR} 之间"})


@router.get("/bundles", response=list[BundleOut], auth=None)
@paginate(Pagination)
@operation(PUBLIC)
def list_bundles(request: HttpRequest, category: BundleCategory | None = None,
                 q: SearchText | None = None) -> list[Bundle]:
    """The current bundles (一件事) as the public catalogue shows them, by category and code.

    ``q`` searches names, codes, item names and department names (every word); ``category`` keeps one category.
    Each bundle carries what to bring (必需 / 视情况 with the condition), how long, which departments, the fee.
    """
    found = []
    for entry in public_catalogue.entries(q, category):
        entry.bundle.public_entry = entry  # type: ignore[attr-defined]  # read by BundleOut
        found.append(entry.bundle)
    return found


@router.get("/bundles/{bundle_id}", response=BundleOut, auth=None)
@operation(PUBLIC)
def get_bundle(request: HttpRequest, bundle_id: Id) -> Bundle:
    """One current bundle; a draft or retired one is a 404, as on the catalogue page."""
    return get_object_or_404(current_bundles().select_related("lead_department"), pk=bundle_id)


@router.get("/cases", response=list[CaseOut])
@paginate(Pagination)
@operation(P.SERVICES_CASE_INTAKE)
def list_cases(request: HttpRequest, state: CaseState | None = None,
               receipt_number: Text | None = None) -> QuerySet[Case]:
    """Cases of the user's region, oldest first; without ``state``, those waiting at the window."""
    found = scope_queryset(Case.objects.select_related("bundle"), request.user)
    if receipt_number:
        found = found.filter(receipt_number=receipt_number.strip())
    elif state:
        found = found.filter(state=state)
    else:
        found = found.filter(state__in=(CaseState.SUBMITTED, CaseState.CORRECTION, CaseState.RESULTS_READY))
    return found.order_by("submitted_at", "pk")


@router.get("/cases/{case_id}", response=CaseDetailOut)
@operation(P.SERVICES_CASE_INTAKE)
def get_case(request: HttpRequest, case_id: Id) -> Case:
    """One case with its sub-cases, what it still lacks and its history."""
    return get_object_or_404(scope_queryset(Case.objects.select_related("bundle"), request.user), pk=case_id)


@router.get("/sub-cases", response=list[SubCaseOut])
@paginate(Pagination)
@operation(P.SERVICES_SUB_CASE_REVIEW)
def list_sub_cases(request: HttpRequest, state: SubCaseFilter = "open",
                   department: Text | None = None) -> QuerySet[SubCase]:
    """The reviewer's sub-cases (their region and departments) by due day; ``state`` open (default), all or one."""
    subs = _sub_cases(request)
    if department:
        subs = subs.filter(department__code=department)
    if state == "open":
        subs = subs.filter(state__in=OPEN_SUB_CASE_STATES)
    elif state != "all":
        subs = subs.filter(state=state)
    return subs.order_by("due_on", "pk")


@router.get("/sub-cases/{sub_case_id}", response=SubCaseOut)
@operation(P.SERVICES_SUB_CASE_REVIEW)
def get_sub_case(request: HttpRequest, sub_case_id: Id) -> SubCase:
    """One sub-case of the reviewer's departments."""
    return get_object_or_404(_sub_cases(request), pk=sub_case_id)


@router.get("/statistics", response=StatisticsOut)
@operation(P.SERVICES_STATISTICS_READ)
def statistics(request: HttpRequest, first: date | None = None, last: date | None = None) -> dict[str, Any]:
    """Cases by bundle, department and month of the user's region, over the local days first..last.

    A superuser without a region sees the instance's root region; the days default to this year up to today.
    """
    _in_range("first", first)
    _in_range("last", last)
    today = workdays.today_in_shanghai()
    first, last = first or date(today.year, 1, 1), last or today
    if last < first:
        raise ValidationError({"last": "last 不能早于 first"})
    region = (getattr(request.user, "region", None)
              or Region.objects.get(code=getattr(settings, "CHANGJI_ROOT_REGION", "652300")))
    return case_statistics(region, first, last, today)


router.add_router("", queue_router)  # the hall: queue numbers, the display, calls, 咨询导办, waiting figures
router.add_router("", catalogue_transfer_router)  # the catalogue as a workbook (services.api.catalogue_transfer)
router.add_router("", catalogue_admin_router)  # the catalogue administrator's (services.api.catalogue_admin)
