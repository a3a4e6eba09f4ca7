"""The hall's windows (服务窗口): number, name, the service types each calls, the clerks who sit at it.

Kept by the centre's administrator (``services.centre.manage``). A window's clerks are accounts that may call
numbers (their role has ``services.queue.call``) bound to the window's region or a region above it. Saving is
audited ``services.window.save`` with what changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from changji.core import access, audit
from changji.core.errors import Refusal
from changji.core.models import Region, User
from changji.services.models import ServiceWindow
from changji.services.queue import SERVICE_TYPE_LABELS

__all__ = ["WindowError", "WindowIn", "clerk_candidates", "save_window"]


class WindowError(Refusal):
    """A refused window change, with the field at fault."""


@dataclass(frozen=True)
class WindowIn:
    region: Region
    number: int
    name: str
    service_types: list[str]
    clerks: list[User]
    active: bool = True


def clerk_candidates(users: QuerySet[User]) -> QuerySet[User]:
    """Of ``users`` (already scoped), the active accounts whose role may call numbers."""
    roles = [role for role, granted in access.ROLE_PERMISSIONS.items() if access.P.SERVICES_QUEUE_CALL in granted]
    return users.filter(is_active=True, role__in=roles).order_by("username")


def _check(data: WindowIn) -> str:
    name = data.name.strip()
    if not name:
        raise WindowError("name", "请填写窗口名称")
    if not 1 <= data.number <= 999:
        raise WindowError("number", "窗口号应在 1 到 999 之间")
    unknown = [t for t in data.service_types if t not in SERVICE_TYPE_LABELS]
    if unknown or not data.service_types:
        raise WindowError("service_types", "请选择窗口受理的业务类别")
    for clerk in data.clerks:
        if clerk.region is None or not data.region.path.startswith(clerk.region.path):
            raise WindowError("clerks", f"{clerk.get_username()} 不属于窗口所在区划")
    return name


@transaction.atomic
def save_window(data: WindowIn, by: Any, window: ServiceWindow | None = None) -> ServiceWindow:
    """Create (``window`` None) or change a window; refused on a taken number or a clerk of another region."""
    name = _check(data)
    window = window or ServiceWindow()
    created = window.pk is None
    window.region, window.number, window.name = data.region, data.number, name
    window.service_types = sorted(set(data.service_types), key=list(SERVICE_TYPE_LABELS).index)
    window.active = data.active
    try:
        with transaction.atomic():
            window.save()
    except IntegrityError as error:
        raise WindowError("number", f"{data.region.name}已有 {data.number} 号窗口") from error
    window.clerks.set(data.clerks)
    audit.record("services.window.save", actor=by, target=window, region=data.region, created=created,
                 number=window.number, service_types=window.service_types, active=window.active,
                 clerks=[clerk.get_username() for clerk in data.clerks])
    return window
