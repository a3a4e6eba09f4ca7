"""Helpers shared by the community pages: scoped lookups.

Which pages a role may open and which actions it may take is the access policy (``core.access``, declared
per view with ``core.guards.route``). Where is the region (``core.scope``): a grid worker's account is
bound to their grid, a community worker's to their community, a street officer's to their street/town; a
county or prefecture account sees everything below it.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.http import Http404

from changji.core.scope import scope_queryset

M = TypeVar("M", bound=models.Model)


def scoped_or_404(queryset: models.QuerySet[M], user: object, **lookup: Any) -> M:
    """The one row matching ``lookup`` within the user's scope; 404 (not 403) outside it, so ids do not leak."""
    obj = scope_queryset(queryset, user).filter(**lookup).first()
    if obj is None:
        raise Http404("未找到")
    return obj
