"""Migrations 0003–0005: a meeting held on one issue becomes its community's meeting, the issue on its agenda."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]

BEFORE = ("community", "0002_member_once_per_community")
AFTER = ("community", "0005_meeting_region_required")
HELD = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _executor() -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor


def _old_meeting(apps) -> int:
    region = apps.get_model("core", "Region")
    county = region.objects.get(code="652328")
    town = region.objects.create(code="652328100", name="木垒镇", level=4, parent=county,
                                 path=f"{county.path}652328100/")
    community = region.objects.create(code="652328100001", name="东城社区", level=5, parent=town,
                                      path=f"{town.path}652328100001/")
    grid = region.objects.create(code="652328100001001", name="东城一网格", level=6, parent=community,
                                 path=f"{community.path}652328100001001/")
    category = apps.get_model("community", "IssueCategory").objects.create(
        code="door", name="门禁", responsible="property")
    issue = apps.get_model("community", "ResidentIssue").objects.create(
        request_id="SQ1", category=category, region=grid, description="门禁坏了", channel="web", reported_at=HELD,
        response_due_at=HELD, level_started_at=HELD, due_at=HELD, level="four_party")
    meeting = apps.get_model("community", "CoordinationMeeting").objects.create(
        issue=issue, held_at=HELD, place="东城社区会议室", community_attendee="李书记", property_attendee="天山物业",
        owners_committee_attendee="王主任", minutes="议定修门禁")
    apps.get_model("community", "AgreedAction").objects.create(meeting=meeting, description="修门禁", owner="天山物业",
                                                               due_on=date(2026, 3, 9))
    return issue.pk


def test_a_meeting_on_one_issue_becomes_a_community_meeting_with_the_issue_on_its_agenda():
    executor = _executor()
    leaves = list(executor.loader.graph.leaf_nodes())
    try:
        executor.migrate([BEFORE])
        issue_id = _old_meeting(executor.loader.project_state(BEFORE).apps)
        executor = _executor()
        executor.migrate([AFTER])
        apps = executor.loader.project_state(AFTER).apps
        meeting = apps.get_model("community", "CoordinationMeeting").objects.get()
        assert (meeting.region_id, meeting.committee_attendee, meeting.recorded_at) == ("652328100001", "李书记", HELD)
        assert list(meeting.agenda.values_list("pk", flat=True)) == [issue_id]
        assert list(apps.get_model("community", "AgreedAction").objects.values_list("issue_id", flat=True)) == [
            issue_id]
    finally:
        _executor().migrate(leaves)
