"""``{% norm_suggestion water_user year %}``: the 按定额建议水量 line for licence and plan pages.

Renders ``water/partials/norm_suggestion.html`` with ``water.norms.service.suggested_volume_m3``, so a page
shows the suggestion without its view computing it: ``{% load water_norms %}{% norm_suggestion user 2026 %}``.
"""

from __future__ import annotations

from typing import Any

from django import template

from changji.water.norms.service import suggested_volume_m3

register = template.Library()


@register.inclusion_tag("water/partials/norm_suggestion.html")
def norm_suggestion(water_user: Any, year: int) -> dict[str, Any]:
    """The context of the partial: the suggested volume of ``water_user``'s crop plan for ``year``."""
    return {"suggested_m3": suggested_volume_m3(water_user, year), "year": year, "water_user": water_user}
