"""Template filters of the 考核 pages."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def figure_of(figures: dict[str, Any], metric: str) -> Any:
    """The figure of ``metric`` in a deployment row's figures (None when absent)."""
    return figures.get(str(metric))
