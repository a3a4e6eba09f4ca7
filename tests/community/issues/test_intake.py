"""Reporting an issue.

The grid holding its location, its limits and readable id, refusals that store nothing, a grid worker's
report, and duplicate suggestions within the reporter's scope.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from changji.community.issues import handling, intake
from changji.community.issues.changes import IssueError
from changji.community.issues.workflow import EscalationLevel, IssueState
from changji.community.models import IssueEvent, ResidentIssue
from changji.core.models import AuditEntry

pytestmark = pytest.mark.django_db

#: Monday 2 March 2026, 10:00 in Shanghai.
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)

IN_A = (90.285, 43.835)  # grid A, beside 幸福小区

IN_C = (90.275, 43.835)  # grid C, beside 和谐小区

METRES_PER_DEGREE_LAT = 111_195.0


def file(cats, code="property", where=IN_A, now=NOW, **extra):
    lon, lat = where
    return intake.report(cats[code], "电梯经常停运", lon=lon, lat=lat, address="幸福小区1号楼",
                         reporter_name="张三", reporter_phone="13912345678", now=now, **extra)


def fresh(issue):
    return ResidentIssue.objects.select_related("category", "region").get(pk=issue.pk)


def north(where, metres):
    return where[0], where[1] + metres / METRES_PER_DEGREE_LAT


def test_locate_region_finds_the_grid_holding_the_point(community_world):
    world = community_world
    assert intake.locate_region(*IN_A) == world.grid_a.region
    assert intake.locate_region(*IN_C) == world.grid_c.region
    assert intake.locate_region(90.295, 43.835) == world.grid_b.region
    assert intake.locate_region(90.285, 43.90) is None
    assert intake.locate_region(90.29, 43.835) == world.grid_a.region  # shared border: the lowest code
    assert intake.locate_region(*IN_C, within=world.east) is None
    assert intake.locate_region(*IN_A, within=world.east) == world.grid_a.region


def test_report_routes_to_the_grid_with_its_limits_and_a_readable_id(cats, community_world):
    issue = file(cats)  # SQ + county 652328 + Shanghai date + 5-digit sequence of the county's day: 21 characters
    assert issue.request_id == "SQ6523282026030200001" and len(issue.request_id) == 21
    assert file(cats, where=IN_C).request_id == "SQ6523282026030200002"  # one sequence for the whole county
    assert file(cats, now=NOW + timedelta(hours=14)).request_id == "SQ6523282026030300001"  # Shanghai date
    assert issue.region == community_world.grid_a.region
    assert (issue.state, issue.level) == (IssueState.REPORTED, EscalationLevel.GRID)
    assert issue.response_due_at == NOW + timedelta(hours=24)
    assert issue.due_at == NOW + timedelta(days=cats["property"].resolve_days) and issue.level_started_at == NOW
    event = IssueEvent.objects.get(issue=issue)
    assert (event.kind, event.from_value, event.to_value) == ("state", "", "reported")


def test_report_numbering_continues_after_existing_ids(cats):
    issue = file(cats)
    ResidentIssue.objects.filter(pk=issue.pk).update(request_id="SQ6523282026030200041")
    assert file(cats).request_id == "SQ6523282026030200042"
    ResidentIssue.objects.create(  # another county's id of the same day (pushed up from another instance)
        request_id="SQ6523012026030200077", category=cats["other"], region=issue.region, description="x",
        reported_at=NOW, response_due_at=NOW, level_started_at=NOW, due_at=NOW)
    assert file(cats).request_id == "SQ6523282026030200043"


def test_report_refusals_name_the_field_and_store_nothing(cats, community_world):
    users = community_world.users
    cases = [
        (dict(where=(90.285, 43.90)), "lon"),  # outside every grid
        (dict(where=(90.285, 91)), "lat"),
        (dict(where=IN_C, reported_by=users.grid_a), "lon"),  # grid A's worker, a point in grid C
        (dict(reporter_email="not-an-email"), "reporter_email"),
        (dict(media_url="javascript:alert(1)"), "media_url"),
        (dict(region=community_world.east), "region"),  # not a grid (and no point in any grid)
    ]
    for extra, field in cases:
        where = extra.pop("where", IN_A)
        if "region" in extra:
            where = (90.285, 43.90)
        with pytest.raises(IssueError) as caught:
            file(cats, where=where, **extra)
        assert caught.value.field == field, extra
    with pytest.raises(IssueError) as caught:
        intake.report(cats["other"], "   ", lon=IN_A[0], lat=IN_A[1], now=NOW)
    assert caught.value.field == "description"
    with pytest.raises(IssueError) as caught:
        intake.report(cats["other"], "无位置", now=NOW)
    assert caught.value.field == "lon"
    assert ResidentIssue.objects.count() == 0


def test_a_grid_workers_report_without_location_goes_to_their_grid(cats, community_world):
    users, grid_a = community_world.users, community_world.grid_a
    issue = intake.report(cats["neighbour"], "楼上楼下因漏水起纠纷", region=grid_a.region, reported_by=users.grid_a,
                          channel="grid_worker", now=NOW)
    assert issue.region == grid_a.region and issue.lon is None
    assert AuditEntry.objects.filter(action="community.issue.reported", object_id=str(issue.pk)).exists()


def test_duplicate_suggestions_by_distance_and_category(cats, community_world):
    first = file(cats)
    near = north(IN_A, 50)
    assert cats["property"].duplicate_radius_m == 100
    assert [(i.pk, round(d)) for i, d in intake.duplicate_suggestions(cats["property"], *near, NOW)] == [(first.pk, 50)]
    assert intake.duplicate_suggestions(cats["noise"], *near, NOW) == []  # another category
    assert intake.duplicate_suggestions(cats["property"], *north(IN_A, 500), NOW) == []  # too far
    closer = file(cats, where=north(IN_A, 40))
    assert [i.pk for i, _ in intake.duplicate_suggestions(cats["property"], *near, NOW)] == [closer.pk, first.pk]
    assert [i.pk for i, _ in intake.duplicate_suggestions(cats["property"], *near, NOW, exclude=closer)] == [first.pk]
    assert intake.duplicate_suggestions(cats["property"], *near, NOW + timedelta(days=31)) == []  # too old
    handling.reject(closer, community_world.users.grid_a, NOW, "重复诉求", duplicate_of=first)
    assert fresh(closer).duplicate_of_id == first.pk
    assert [i.pk for i, _ in intake.duplicate_suggestions(cats["property"], *near, NOW)] == [first.pk]


def test_duplicate_suggestions_for_a_user_stay_within_their_scope(cats, community_world):
    users = community_world.users
    west_of_border, east_of_border = (90.2797, 43.835), (90.2803, 43.835)  # grid C | grid A, about 50 m apart
    in_c = file(cats, where=west_of_border)
    in_a = file(cats, where=east_of_border)
    assert (in_c.region, in_a.region) == (community_world.grid_c.region, community_world.grid_a.region)
    suggested = lambda user: {i.pk for i, _ in intake.duplicate_suggestions(  # noqa: E731
        cats["property"], *east_of_border, NOW, user=user)}
    assert suggested(None) == {in_c.pk, in_a.pk}
    assert suggested(users.grid_a) == {in_a.pk} and suggested(users.east) == {in_a.pk}
    assert suggested(users.grid_c) == {in_c.pk} and suggested(users.street) == {in_c.pk, in_a.pk}
