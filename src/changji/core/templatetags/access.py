"""Template side of the access policy: pages never offer what the guard would refuse.

``{% if user|may:"water.command.send" %}`` shows a button only when ``core.access`` lets the user take that
action.
"""

from __future__ import annotations

from typing import Any

from django import template

from changji.core import access

register = template.Library()


@register.filter
def may(user: Any, permission: str) -> bool:
    """Return True when the access policy lets ``user`` take the action named ``permission``."""
    return access.allows(user, permission)
