"""Four-party meetings: plausible dates, who must attend, agreed actions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from changji.community.issues import handling, meetings
from changji.community.issues.changes import IssueError
from changji.community.issues.meetings import ActionSpec
from tests.community.issues.test_intake import NOW, file

pytestmark = pytest.mark.django_db


def test_meeting_dates_must_be_plausible(cats, community_world):
    users = community_world.users
    issue = file(cats)
    issue = handling.escalate(handling.escalate(issue, users.east, NOW, "提级"), users.east, NOW, "四方协商")
    meeting = dict(held_at=NOW, place="社区", community_attendee="王书记", property_attendee="李经理",
                   owners_committee_attendee="赵主任", minutes="纪要", actor=users.east, now=NOW)
    for held_at in (datetime(1, 1, 1, tzinfo=UTC), NOW - timedelta(days=366), NOW + timedelta(days=31)):
        with pytest.raises(IssueError) as caught:
            meetings.record_meeting(issue, **{**meeting, "held_at": held_at})
        assert caught.value.field == "held_at"
    for due_on in (date(1, 1, 1), date(1999, 12, 31), date(2101, 1, 1)):
        with pytest.raises(IssueError) as caught:
            meetings.record_meeting(issue, **meeting, actions=[ActionSpec("修门禁", "天山物业", due_on)])
        assert caught.value.field == "actions"
    assert not issue.meetings.exists()
    done = meetings.record_meeting(issue, **{**meeting, "held_at": NOW - timedelta(days=364)},
                                 actions=[ActionSpec("修门禁", "天山物业", date(2100, 12, 31))])
    with pytest.raises(IssueError) as caught:
        meetings.complete_action(done.actions.get(), date(2101, 1, 1), users.east, NOW)
    assert caught.value.field == "done_on"


def test_meeting_rules(cats, community_world):
    users = community_world.users
    issue = file(cats)
    meeting = dict(held_at=NOW, place="社区", community_attendee="王书记", property_attendee="李经理",
                   owners_committee_attendee="赵主任", minutes="纪要", actor=users.east, now=NOW)
    with pytest.raises(IssueError) as caught:  # at the grid: no four-party meeting yet
        meetings.record_meeting(issue, **meeting)
    assert caught.value.field == "level"
    issue = handling.escalate(handling.escalate(issue, users.east, NOW, "提级"), users.east, NOW, "四方协商")
    with pytest.raises(IssueError) as caught:  # community and only one other party
        meetings.record_meeting(issue, **{**meeting, "owners_committee_attendee": ""})
    assert caught.value.field == "property_attendee"
    with pytest.raises(IssueError) as caught:
        meetings.record_meeting(issue, **meeting, actions=[ActionSpec("修门禁", "", date(2026, 3, 5))])
    assert caught.value.field == "actions"
    with pytest.raises(IssueError):  # a grid worker does not convene
        meetings.record_meeting(issue, **{**meeting, "actor": users.grid_a})
    done = meetings.record_meeting(issue, **meeting, actions=[ActionSpec("修门禁", "天山物业", date(2026, 3, 5))])
    action = done.actions.get()
    with pytest.raises(IssueError) as caught:
        meetings.complete_action(action, date(2026, 3, 1), users.east, NOW)  # before the meeting
    assert caught.value.field == "done_on"
    with pytest.raises(IssueError):
        meetings.complete_action(action, date(2026, 3, 3), users.grid_c, NOW)  # out of scope
    meetings.complete_action(action, date(2026, 3, 3), users.east, NOW)
    with pytest.raises(IssueError):
        meetings.complete_action(action, date(2026, 3, 4), users.east, NOW)  # already done
