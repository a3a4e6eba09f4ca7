"""Helpers shared by the community pages: who may use them, and scoped lookups.

Access is by region (core.scope): a grid worker's account is bound to their grid, a community
worker's to their community, a street officer's to their street/town; a county or prefecture
account sees everything below it. The roles below only decide which pages a user gets at all.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse

from changji.core.models import Role
from changji.core.scope import scope_queryset

M = TypeVar("M", bound=models.Model)

#: Roles that work in the community pages; superusers always may.
COMMUNITY_ROLES = frozenset({
    Role.GRID_WORKER, Role.COMMUNITY_WORKER, Role.STREET_OFFICER, Role.COUNTY_OPERATOR, Role.PREFECTURE_ADMIN,
    Role.TOWNSHIP_VIEWER,
})


#: Roles that look but never change anything (乡镇查看员): every POST of theirs is refused.
READ_ONLY_ROLES = frozenset({Role.TOWNSHIP_VIEWER})


def community_staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login (anonymous → login page), then a community role or a superuser (else 403); read-only roles may not POST."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user: Any = request.user
        if not (user.is_superuser or user.role in COMMUNITY_ROLES):
            raise PermissionDenied("无权访问该页面")
        if request.method not in ("GET", "HEAD") and not user.is_superuser and user.role in READ_ONLY_ROLES:
            raise PermissionDenied("查看账号不能办理或修改")
        return view(request, *args, **kwargs)

    return wrapped


def scoped_or_404(queryset: models.QuerySet[M], user: object, **lookup: Any) -> M:
    """The one row matching ``lookup`` within the user's scope; 404 (not 403) outside it, so ids do not leak."""
    obj = scope_queryset(queryset, user).filter(**lookup).first()
    if obj is None:
        raise Http404("未找到")
    return obj
