"""Fixtures of the meeting tests: the community world with categories and issues in two of 东城's grids and in 西城."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from changji.community.issues import categories, intake
from changji.community.models import IssueCategory

#: The clock of the service tests (a Monday, 10:00 in Mulei).
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)

IN_A = (90.285, 43.835)  # 东城社区第一网格
IN_B = (90.295, 43.835)  # 东城社区第二网格
IN_C = (90.275, 43.835)  # 西城社区第一网格

FOUR = {"party_attendee": "东城社区党委 王书记", "committee_attendee": "东城社区居委会 刘主任",
        "owners_committee_attendee": "幸福小区业委会 赵主任", "property_attendee": "天山物业 李经理"}


def report(code: str, text: str, where: tuple[float, float], now: datetime):
    """File an issue of category ``code`` at ``where``."""
    lon, lat = where
    return intake.report(IssueCategory.objects.get(code=code), text, lon=lon, lat=lat, reporter_phone="13912345678",
                         now=now)


@pytest.fixture
def issues(community_world):
    """Three issues of 东城 (two in grid A, one in grid B) and one of 西城 (grid C), filed a week before ``NOW``."""
    categories.seed_categories()
    before = NOW - timedelta(days=7)
    return SimpleNamespace(
        lift=report("property", "幸福小区1号楼电梯经常停运", IN_A, before),
        rubbish=report("sanitation", "楼下垃圾未及时清运", IN_A, before + timedelta(hours=1)),
        road=report("roads", "东环路路面破损坑洼", IN_B, before + timedelta(hours=2)),
        west=report("property", "和谐小区门禁损坏", IN_C, before + timedelta(hours=3)),
    )
