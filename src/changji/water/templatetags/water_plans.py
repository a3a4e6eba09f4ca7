"""Template filters of the plan pages: volumes in whole cubic metres with thousands separators."""

from __future__ import annotations

import math
from typing import Any

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def m3(value: Any) -> str:
    """A volume as ``1,234,567`` (whole m³); "—" for None or a value that is not a finite number.

    Plain ``format`` instead of ``floatformat``: the plan-vs-use page formats thousands of cells.
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "—"
    return f"{number:,.0f}" if math.isfinite(number) else "—"


@register.filter
def month_cells(row: Any) -> SafeString:
    """A licence's months as table rows "N月 | use / plan" (over-plan months marked), built in one pass.

    ``row`` is an ``against_use.LicenceRow``; one filter call instead of a dozen template lookups per month keeps
    a page of 100 licences cheap to render.
    """
    return format_html_join("", '<tr><th>{}月</th><td class="num{}">{} / {}</td></tr>', (
        (number, " over" if over else "", f"{used:,.0f}", f"{planned:,.0f}")
        for number, (planned, used, over) in enumerate(row.months, start=1)))
