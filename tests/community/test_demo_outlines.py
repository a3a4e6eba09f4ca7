"""A small demo town: every compound and building drawn inside its container, and every page's dates with a year.

The date check reads the text of each community page (tags and scripts removed) and fails on a month-day
(``12-05``, ``5月3日``) that has no year in front of it, so a ``date:"m-d"`` slipping back into a template fails.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.urls import URLPattern, get_resolver
from shapely.geometry import shape

from changji.community.demo import TownSize, build_town
from changji.community.models import Activity, Building, CoBuildingUnit, Compound, Household, MicroWish, ResidentIssue

pytestmark = pytest.mark.django_db

SMALL = TownSize(grids=12, communities=2, residents=600, members=60, units=12, wishes=80, activities=40, issues=80,
                 service_points=3)

#: A month-day standing alone, not after a year (``2026-12-05`` passes; ``12-05`` fails; a name's ``网格1-1`` is
#: part of a word, not a date).
BARE_MONTH_DAY = re.compile(r"(?<![\w-])(\d{1,2})-(\d{1,2})(?![\w-])")
BARE_CHINESE_DAY = re.compile(r"(?<!年)(?<!\d)\d{1,2}月\d{1,2}日")


@pytest.fixture
def town(db):
    made = build_town(SMALL, now=datetime(2026, 11, 20, 4, 0, tzinfo=UTC), seed=7)
    assert made["outlines"] == made["compounds"] + made["buildings"]
    return made


def test_every_demo_building_lies_within_its_compound_and_every_compound_has_an_outline(town):
    compounds = {c.pk: shape(c.outline) for c in Compound.objects.all()}
    assert len(compounds) == town["compounds"] and all(polygon.is_valid for polygon in compounds.values())
    buildings = list(Building.objects.all())
    assert len(buildings) == town["buildings"]
    for building in buildings:
        footprint = shape(building.outline)
        assert compounds[building.compound_id].contains(footprint)
        assert 500 < footprint.area * 80_000 * 111_000 < 750  # about 48 × 13 m


def bare_dates(text: str, doors: set[str]) -> list[str]:
    """The month-days in ``text`` shown without a year (door numbers such as 3-01 are not dates)."""
    found = [m.group(0) for m in BARE_MONTH_DAY.finditer(text)
             if m.group(0) not in doors and 1 <= int(m.group(1)) <= 12 and 1 <= int(m.group(2)) <= 31]
    return found + BARE_CHINESE_DAY.findall(text)


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def community_pages() -> list[str]:
    """Every community page without URL arguments, and one of each detail page."""
    resolver = get_resolver().url_patterns
    paths = []
    for pattern in resolver:
        if getattr(pattern, "namespace", None) == "community":
            paths += ["/community/" + str(p.pattern) for p in pattern.url_patterns
                      if isinstance(p, URLPattern) and "<" not in str(p.pattern)]
    paths += [f"/community/wishes/{MicroWish.objects.order_by('pk').first().pk}/",
              f"/community/activities/{Activity.objects.order_by('pk').first().pk}/",
              f"/community/issues/{ResidentIssue.objects.order_by('pk').first().pk}/",
              f"/community/units/{CoBuildingUnit.objects.order_by('pk').first().pk}/"]
    return paths


def test_every_community_page_shows_dates_with_their_year(town, client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("dates", password="x-Secret-2026"))
    doors = set(Household.objects.values_list("door", flat=True))
    checked = 0
    for path in community_pages():
        response = client.get(path)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        checked += 1
        assert bare_dates(visible_text(response.content.decode()), doors) == [], path
    assert checked >= 15


def test_the_check_catches_a_date_without_a_year():
    assert bare_dates("发布于 12-05 · 截止 11月3日", set()) == ["12-05", "11月3日"]
    assert bare_dates("2026-12-05 09:30 · 2026年11月3日 · 门牌 3-01 · 综治网格1-2", {"3-01"}) == []
