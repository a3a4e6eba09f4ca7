"""The platform's menu, built from each app's ``menu`` and filtered by the access policy.

Each app's ``AppConfig.menu`` lists its entries as (label, URL name, permission of ``core.access``);
the header shows exactly the entries the user may open, so a window clerk sees no water menu and a
grid worker no services desk. The context processor ``menu`` hands them to every template, with the
signed-in account's count of unread in-app notices (``unread_notifications``, the header's 消息 link).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.http import HttpRequest
from django.urls import reverse

from changji.core.access import P, allows
from changji.core.models import Channel, Notification


@dataclass(frozen=True)
class MenuEntry:
    """One link of the header: its label and where it goes."""

    label: str
    url: str


def entries_for(user: Any) -> list[MenuEntry]:
    """Return the menu entries of every app that ``user`` may open, in app order."""
    found = []
    for config in apps.get_app_configs():
        for label, url_name, permission in getattr(config, "menu", ()):
            if allows(user, permission):
                found.append(MenuEntry(label, reverse(url_name)))
    return found


def menu(request: HttpRequest) -> dict[str, Any]:
    """Context processor: ``menu`` is the list of entries for the signed-in user (empty for visitors)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu": [], "unread_notifications": 0}
    unread = (Notification.objects.filter(user=user, channel=Channel.IN_APP, read_at__isnull=True).count()
              if allows(user, P.NOTIFICATION_READ) else 0)
    return {"menu": entries_for(user), "unread_notifications": unread}
