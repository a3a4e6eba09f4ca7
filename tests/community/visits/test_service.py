"""Visits and care households: the overdue story, follow-ups, scope and refusals (real database, no mocks)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from changji.community.issues.categories import seed_categories
from changji.community.models import CareHousehold, IssueCategory, IssueChannel, Visit
from changji.community.visits import service
from changji.community.visits.errors import VisitError
from changji.core.models import AuditEntry

pytestmark = pytest.mark.django_db

#: A fixed clock: 2026-03-02 10:00 Shanghai.
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)


def _visit(world, user, at, **extra):
    return service.record_visit(user, household=world.household, visited_at=at, topic="看望独居老人", now=at,
                                **extra)


def test_a_care_household_overdue_for_a_visit_shows_in_its_workers_list_until_visited(community_world):
    """Tag, visit, time passes, overdue in the worker's list; a visit clears it."""
    w = community_world
    worker = w.users.grid_a
    entry = service.tag_for_care(w.household, ["elderly_alone", "low_income"], w.users.east, today=TODAY,
                                 worker=worker)
    assert entry.visit_every_days == 7  # the shortest of 7 (elderly alone) and 30 (low income)
    _visit(w, worker, NOW)
    assert service.overdue_care(w.users.east, TODAY + timedelta(days=7)) == []  # due today, not overdue
    later = TODAY + timedelta(days=10)
    (group,) = service.overdue_care(w.users.east, later)
    assert group.worker == worker and [row.entry for row in group.rows] == [entry]
    assert group.rows[0].overdue_days == 3 and group.rows[0].last_visit == TODAY
    assert service.overdue_care(w.users.grid_c, later) == []  # another grid's worker sees none of it
    _visit(w, worker, NOW + timedelta(days=10))
    assert service.overdue_care(w.users.east, later) == []


def test_the_overdue_list_reads_last_visits_in_two_queries(community_world, django_assert_num_queries):
    """The overdue households' ids from plain columns with one aggregate, then those households' rows."""
    w = community_world
    service.tag_for_care(w.household, ["disabled"], w.users.east, today=TODAY - timedelta(days=60))
    for days in (40, 30, 20):
        _visit(w, w.users.grid_a, NOW - timedelta(days=days))
    with django_assert_num_queries(2):
        (group,) = service.overdue_care(w.users.east, TODAY)
    assert group.worker is None and group.name == service.NO_WORKER
    assert group.rows[0].last_visit == TODAY - timedelta(days=20) and group.rows[0].overdue_days == 6


def test_a_household_never_visited_is_due_from_its_intake(community_world):
    w = community_world
    service.tag_for_care(w.household, ["low_income"], w.users.grid_a, today=TODAY, worker=w.users.grid_a)
    assert service.overdue_care(w.users.grid_a, TODAY + timedelta(days=30)) == []
    (group,) = service.overdue_care(w.users.grid_a, TODAY + timedelta(days=31))
    assert group.rows[0].last_visit is None and group.rows[0].overdue_days == 1


def test_stopping_care_takes_the_household_off_the_list_and_resuming_counts_from_then(community_world):
    w = community_world
    entry = service.tag_for_care(w.household, ["elderly_alone"], w.users.east, today=TODAY)
    service.untag(entry, w.users.east, "搬去子女家居住")
    assert service.overdue_care(w.users.east, TODAY + timedelta(days=30)) == []
    with pytest.raises(VisitError, match="已不在关爱中"):
        service.untag(entry, w.users.east, "再次")
    resumed = service.tag_for_care(w.household, ["elderly_alone"], w.users.east, today=TODAY + timedelta(days=20))
    assert resumed.pk == entry.pk and resumed.active and resumed.since == TODAY + timedelta(days=20)
    actions = list(AuditEntry.objects.filter(object_id=str(entry.pk), action__startswith="community.care")
                   .order_by("at").values_list("action", flat=True))
    assert actions == ["community.care.tag", "community.care.stop", "community.care.change"]


def test_another_grids_household_is_refused_and_nothing_is_stored(community_world):
    w = community_world
    with pytest.raises(VisitError, match="管辖范围"):
        _visit(w, w.users.grid_c, NOW)
    with pytest.raises(VisitError, match="管辖范围"):
        service.tag_for_care(w.household, ["disabled"], w.users.grid_c, today=TODAY)
    with pytest.raises(VisitError, match="管辖范围"):  # a worker who cannot reach the household
        service.tag_for_care(w.household, ["disabled"], w.users.east, today=TODAY, worker=w.users.grid_c)
    assert not Visit.objects.exists() and not CareHousehold.objects.exists()


@pytest.mark.parametrize(("extra", "field"), [
    ({"visited_at": NOW + timedelta(hours=1)}, "visited_at"),
    ({"visited_at": NOW - timedelta(days=400)}, "visited_at"),
    ({"topic": "  "}, "topic"),
    ({"kind": "party"}, "kind"),
    ({"follow_up": service.FollowUp("", TODAY)}, "follow_up"),
    ({"follow_up": service.FollowUp("修水管", TODAY - timedelta(days=1))}, "follow_up_due_on"),
])
def test_bad_visits_are_refused_on_their_field(community_world, extra, field):
    w = community_world
    arguments = {"household": w.household, "visited_at": NOW, "topic": "走访", "now": NOW, **extra}
    with pytest.raises(VisitError) as refused:
        service.record_visit(w.users.grid_a, **arguments)
    assert refused.value.field == field
    assert not Visit.objects.exists()


def test_a_visit_files_an_issue_and_its_follow_up_is_completed(community_world):
    w = community_world
    seed_categories()
    visit = service.record_visit(
        w.users.grid_a, household=w.household, visited_at=NOW, topic="入户了解暖气", notes="室温偏低",
        follow_up=service.FollowUp("联系供热公司", TODAY + timedelta(days=3)),
        issue_category=IssueCategory.objects.get(code="utilities"), issue_description="暖气不热", now=NOW)
    assert visit.issue is not None and visit.issue.channel == IssueChannel.VISIT
    assert visit.issue.region == w.grid_a.region and visit.issue.description == "暖气不热"
    with pytest.raises(VisitError, match="晚于今天"):
        service.complete_follow_up(visit, w.users.grid_a, TODAY + timedelta(days=1), today=TODAY)
    service.complete_follow_up(visit, w.users.grid_a, TODAY, "已联系", today=TODAY)
    visit.refresh_from_db()
    assert visit.follow_up_done_on == TODAY
    with pytest.raises(VisitError, match="已于"):
        service.complete_follow_up(visit, w.users.grid_a, TODAY, today=TODAY)
    assert AuditEntry.objects.filter(action="community.visit.follow_up_done", object_id=str(visit.pk)).exists()


def test_a_compound_visit_is_stored_at_the_compounds_grid(community_world):
    w = community_world
    visit = service.record_visit(w.users.grid_c, compound=w.harmony, visited_at=NOW, topic="小区环境巡访", now=NOW)
    assert visit.region == w.grid_c.region and visit.household is None and visit.visitor_name == "grid-c"
