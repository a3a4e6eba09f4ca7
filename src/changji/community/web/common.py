"""Helpers shared by the community pages: scoped lookups and paged lists.

Which pages a role may open and which actions it may take is the access policy (``core.access``, declared
per view with ``core.guards.route``). Where is the region (``core.scope``): a grid worker's account is
bound to their grid, a community worker's to their community, a street officer's to their street/town; a
county or prefecture account sees everything below it.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.paginator import Page, Paginator
from django.db import models
from django.http import Http404, HttpRequest

from changji.core import params
from changji.core.scope import scope_queryset

#: Rows a page of a list shows.
PAGE_SIZE = 50

M = TypeVar("M", bound=models.Model)


def scoped_or_404(queryset: models.QuerySet[M], user: object, **lookup: Any) -> M:
    """The one row matching ``lookup`` within the user's scope; 404 (not 403) outside it, so ids do not leak."""
    obj = scope_queryset(queryset, user).filter(**lookup).first()
    if obj is None:
        raise Http404("未找到")
    return obj


def paged(request: HttpRequest, rows: Any, size: int = PAGE_SIZE) -> tuple[Page, str]:
    """The ``?page=`` page of ``rows`` (past the last: the last) and the list's other parameters for the pager."""
    page = Paginator(rows, size).get_page(params.query(request, "page", params.Page()))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()
