"""The dashboard's party organisation, 包联, meeting and visit figures, and their fixed number of queries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from changji.community.dashboard import community_figures
from changji.community.export import dashboard_workbook
from changji.community.models import (
    AgreedAction,
    CareHousehold,
    CoordinationMeeting,
    GridPartyOrganisation,
    Household,
    Liaison,
    PartyMember,
    Visit,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 30, 4, 0, tzinfo=UTC)
TODAY = date(2026, 6, 30)


def _rows(w, n: int) -> None:
    """``n`` of everything the new figures count, in 东城 (grid A) and its community."""
    for i in range(n):
        meeting = CoordinationMeeting.objects.create(region=w.east, held_at=NOW - timedelta(days=i + 1),
                                                     place="社区会议室", minutes="议定")
        for description, due_on in (("修门禁", TODAY - timedelta(days=1)), ("清垃圾", TODAY + timedelta(days=5))):
            AgreedAction.objects.create(meeting=meeting, description=description, owner="物业", due_on=due_on)
        AgreedAction.objects.create(meeting=meeting, description="已办", owner="社区", due_on=TODAY,
                                    done_on=TODAY)
        household = Household.objects.create(building=w.building, region=w.grid_a.region, door=f"9-{i}")
        Visit.objects.create(region=w.grid_a.region, household=household, visitor_name="网格员",
                             visited_at=NOW - timedelta(days=40), topic="走访")
        CareHousehold.objects.create(household=household, region=w.grid_a.region, since=TODAY - timedelta(days=90))
        Liaison.objects.create(region=w.grid_a.region, kind="cadre", name=f"干部{i}", starts_on=TODAY)
        organisation = GridPartyOrganisation.objects.create(
            region=w.east, name=f"东城党小组{i}", kind="group", secretary_name="王书记", venue="活动室",
            rules_posted=True, last_activity_on=TODAY - timedelta(days=3), founded_on=TODAY - timedelta(days=100))
        organisation.members.set([PartyMember.objects.create(region=w.east, name=f"党员{i}-{k}",
                                                             registered_on=TODAY) for k in range(3)])


def test_the_new_figures_per_community_and_in_total(community_world):
    w = community_world
    _rows(w, 2)
    Liaison.objects.create(region=w.east, kind="leader", name="已结束", starts_on=date(2025, 1, 1),
                           ends_on=date(2025, 12, 31))  # ended before the year: not counted
    figures = community_figures(w.users.street, 2026, NOW)
    east = figures.community(w.east.code).counts
    assert (east.grids, east.covered_grids, east.organisations, east.complete_organisations) == (2, 2, 4, 2)
    assert (east.liaisons, east.meetings, east.actions_open, east.actions_overdue) == (2, 2, 4, 2)
    assert (east.visits, east.care_overdue) == (2, 2)  # visited 40 days ago on a 30-day cycle
    total = figures.total.counts
    assert (total.grids, total.covered_grids, total.organisations) == (3, 3, 5)
    grid_a = next(row for row in figures.grids if row.code == w.grid_a.region_id).counts
    assert (grid_a.grids, grid_a.covered_grids, grid_a.visits, grid_a.liaisons) == (1, 1, 2, 2)
    assert community_figures(w.users.street, 2025, NOW).total.counts.liaisons == 1


def test_the_export_has_the_new_sheets(community_world):
    from io import BytesIO

    from openpyxl import load_workbook

    _rows(community_world, 1)
    book = load_workbook(BytesIO(dashboard_workbook(community_figures(community_world.users.street, 2026, NOW))))
    assert {"诉求渠道", "党建与包联"} <= set(book.sheetnames)
    header = [c.value for c in book["党建与包联"][1]]
    assert header[3:7] == ["网格（个）", "有党组织的网格（个）", "网格党组织（个）", "全要素党组织（个）"]


def test_the_number_of_queries_does_not_grow_with_the_rows(community_world, django_assert_max_num_queries):
    """1 row of each or 20: the same fixed number of grouped queries."""
    w = community_world
    _rows(w, 1)
    with CaptureQueriesContext(connection) as few:
        community_figures(w.users.street, 2026, NOW)
    _more_rows(w, 20)
    with django_assert_max_num_queries(len(few)):
        figures = community_figures(w.users.street, 2026, NOW)
    assert figures.community(w.east.code).counts.meetings == 21
    assert figures.community(w.west.code).counts.organisations == 21


def _more_rows(w, n: int) -> None:
    """Like ``_rows`` with other doors and names."""
    for i in range(n):
        meeting = CoordinationMeeting.objects.create(region=w.east, held_at=NOW - timedelta(days=i + 1),
                                                     place="社区会议室", minutes="议定")
        AgreedAction.objects.create(meeting=meeting, description="修门禁", owner="物业", due_on=TODAY)
        household = Household.objects.create(building=w.building, region=w.grid_b.region, door=f"8-{i}")
        Visit.objects.create(region=w.grid_b.region, household=household, visitor_name="网格员", visited_at=NOW,
                             topic="走访")
        CareHousehold.objects.create(household=household, region=w.grid_b.region, since=TODAY)
        Liaison.objects.create(region=w.grid_b.region, kind="unit", name=f"单位{i}", starts_on=TODAY)
        GridPartyOrganisation.objects.create(region=w.west, name=f"西城党小组{i}", founded_on=TODAY)
