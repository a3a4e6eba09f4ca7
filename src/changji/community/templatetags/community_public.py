"""Filters of the residents' pages: data shown in the resident's language where the data has it."""

from __future__ import annotations

from django import template
from django.utils import translation

from changji.community.models import IssueCategory

register = template.Library()


def localised_category_name(category: IssueCategory) -> str:
    """The category's Kazakh name (``name_kk``) when Kazakh is active and it has one, else its Chinese name."""
    if translation.get_language() == "kk" and category.name_kk:
        return category.name_kk
    return category.name


@register.filter
def category_name(category: IssueCategory | None) -> str:
    """``{{ issue.category|category_name }}``: the category's name in the active language."""
    return "" if category is None else localised_category_name(category)
