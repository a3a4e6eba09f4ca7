"""Who acts in the community app and where: the domain's refusal, and the scope checks of staff actors.

Shared by ``people``, ``points``, ``wishes`` and ``activities`` so that none of them imports another
for these basics. The actor is a signed-in account (staff), or ``None`` / a plain label for the
system or the resident themselves; only staff are held to their region scope (``core.scope``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from changji.core.errors import Refusal
from changji.core.models import Region, RegionLevel
from changji.core.scope import user_can_access_region


class InputError(Refusal):
    """A refused request of the community domain, naming the field at fault (``core.errors``).

    Shared by ``people``, ``points``, ``wishes`` and ``activities``; moves a state table forbids raise
    ``core.transitions.TransitionError`` instead, and actions outside the actor's scope ``PermissionDenied``.
    """


def is_staff_actor(actor: Any) -> bool:
    """True for a logged-in account (staff); None or a plain label means the system or the resident themselves."""
    return actor is not None and getattr(actor, "is_authenticated", False)


def check_scope(actor: Any, region: Region) -> None:
    """Raise ``PermissionDenied`` when a staff ``actor`` acts on ``region`` outside their scope."""
    if is_staff_actor(actor) and not user_can_access_region(actor, region):
        raise PermissionDenied("不在您的管辖范围内")


def check_community_level(actor: Any, region: Region) -> None:
    """Scope, and the actor works at community level or above (reviews, periods): a grid worker may not."""
    check_scope(actor, region)
    own = getattr(actor, "region", None)
    if is_staff_actor(actor) and own is not None and own.level > RegionLevel.VILLAGE:
        raise PermissionDenied("该操作须由社区工作人员办理")


def community_of(region: Region) -> Region:
    """The community (village-level region) a grid or community region belongs to."""
    if region.level == RegionLevel.VILLAGE:
        return region
    if region.level == RegionLevel.GRID and region.parent is not None:
        return region.parent
    raise InputError("region", f"{region.name} 不是社区或网格")
