"""Every date a page shows carries its year (issue 18): no template formats a date as month-day alone.

A day without a year is ambiguous on any list that spans a new year (an alarm of 12-31 or of 01-02?). Times of
day alone (``H:i``, the live stamp of "now") are not dates and are allowed, and so are a weekday (``D``) next
to a full date and a month heading whose year is shown on the same line (``{{ d|date:"Y" }} 年 {{ d|date:"n" }} 月``).
"""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "changji"
#: A ``date`` filter whose format has a month or a day but no year (``Y``/``y``/``o``).
DATE_FILTER = re.compile(r"""\|date:"([^"]*)\"""")
DAY_OR_MONTH = re.compile(r"[dDjmnMNF]")
YEAR = re.compile(r"[Yyo]")
WEEKDAY = re.compile(r"[Dl]")
MONTH = re.compile(r"[nmFMN]")


def _month_day_formats(root: Path = SRC) -> list[str]:
    found = []
    for template in sorted(root.rglob("templates/**/*.html")):
        for number, line in enumerate(template.read_text(encoding="utf-8").splitlines(), 1):
            formats = DATE_FILTER.findall(line)
            year_on_line = any(YEAR.search(fmt) for fmt in formats)
            for fmt in formats:
                if WEEKDAY.fullmatch(fmt) or (MONTH.fullmatch(fmt) and year_on_line):
                    continue
                if DAY_OR_MONTH.search(fmt) and not YEAR.search(fmt):
                    found.append(f"{template.relative_to(root)}:{number}: {fmt}")
    return found


def test_no_template_shows_a_date_without_its_year():
    assert _month_day_formats() == []


def test_the_check_finds_a_month_day_format(tmp_path):
    page = tmp_path / "templates" / "x.html"
    page.parent.mkdir()
    line = '{{ a|date:"m-d H:i" }} {{ b|date:"Y" }} 年 {{ b|date:"n" }} 月 {{ b|date:"D" }} {{ c|date:"H:i" }}'
    page.write_text(line, encoding="utf-8")
    assert _month_day_formats(tmp_path) == ["templates/x.html:1: m-d H:i"]
