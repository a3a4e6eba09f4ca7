"""Region scope: the one place that limits what a user may see and act on.

A county operator sees and acts on their county only; a prefecture user sees all its counties
(docs/architecture.md, "One guard, one scoping mechanism"). Every list, detail, export, command and API
endpoint goes through ``scope_queryset``; no view writes its own region filter.

A model opts in by naming the lookup path to its region in ``REGION_SCOPE`` (``"region"`` for a
well, ``"well__region"`` for a reading, ``""`` for ``Region`` itself). Scoping is a prefix match
on ``Region.path``, so it is one indexed condition however deep the tree is.
"""

from __future__ import annotations

from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import models

from changji.core.models import Region
from changji.core.regions import root_region

M = TypeVar("M", bound=models.Model)


class _Nowhere:
    """The scope of users who must see nothing (anonymous, or an account with no region)."""


_NOWHERE = _Nowhere()


def region_of(user: object) -> Region | _Nowhere | None:
    """Return the region that bounds ``user``, or None when the user is unbounded.

    Only a superuser without a region is unbounded. Anonymous users and regular accounts without a
    region get an impossible region, so a missing assignment denies rather than reveals.
    """
    if not getattr(user, "is_authenticated", False):
        return _NOWHERE
    region = getattr(user, "region", None)
    if region is None:
        return None if getattr(user, "is_superuser", False) else _NOWHERE
    return region


def scope_queryset(queryset: models.QuerySet[M], user: object) -> models.QuerySet[M]:
    """Return ``queryset`` limited to the rows within ``user``'s region."""
    lookup = getattr(queryset.model, "REGION_SCOPE", None)
    if lookup is None:
        raise ImproperlyConfigured(f"{queryset.model.__name__} declares no REGION_SCOPE")
    region = region_of(user)
    if region is None:
        return queryset
    if isinstance(region, _Nowhere):
        return queryset.none()
    field = f"{lookup}__path__startswith" if lookup else "path__startswith"
    return queryset.filter(**{field: region.path})


def user_can_access_region(user: object, region: Region | None) -> bool:
    """Return True when ``region`` lies within the user's scope (None region: unbounded users only)."""
    bound = region_of(user)
    if bound is None:
        return True
    if isinstance(bound, _Nowhere) or region is None:
        return False
    return bound.contains(region)




def covers_instance(user: object) -> bool:
    """Return True when ``user``'s scope is the whole instance (unbounded, or bound to the root region or above it).

    Rows without a region (rule tables, unknown terminals' settings) apply everywhere, so only such a user
    changes them.
    """
    bound = region_of(user)
    if bound is None:
        return True
    return not isinstance(bound, _Nowhere) and bound.contains(root_region())
