"""Filters for the figures of the services pages: shares as percentages, averages with a dash for none."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """A share (0–1) as a percentage with one decimal; "—" when there is nothing to divide by."""
    return "—" if value is None else f"{value * 100:.1f}%"


@register.filter
def figure(value: float | None, decimals: int = 2) -> str:
    """An average with ``decimals`` decimals; "—" when there is nothing to average."""
    return "—" if value is None else f"{value:.{int(decimals)}f}"
