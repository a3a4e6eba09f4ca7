"""Four-party meetings on an issue: the community's 四方联动 meeting with the issue on its agenda.

Plausible dates, the quorum of the four parties (or a reason), who may record, agreed actions.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from changji.community.issues import handling, meetings
from changji.community.issues.changes import IssueError
from changji.community.issues.meetings import ActionSpec
from changji.community.models import CoordinationMeeting
from changji.core.errors import Refusal
from tests.community.issues.test_intake import NOW, file

pytestmark = pytest.mark.django_db

FOUR = dict(party_attendee="王书记", committee_attendee="刘主任", owners_committee_attendee="赵主任",
            property_attendee="李经理")


def _at_four_party(cats, users):
    issue = file(cats)
    return handling.escalate(handling.escalate(issue, users.east, NOW, "提级"), users.east, NOW, "四方协商")


def test_meeting_dates_must_be_plausible(cats, community_world):
    users = community_world.users
    issue = _at_four_party(cats, users)
    meeting = dict(held_at=NOW, place="社区", minutes="纪要", actor=users.east, now=NOW, **FOUR)
    for held_at in (datetime(1, 1, 1, tzinfo=UTC), NOW - timedelta(days=366), NOW + timedelta(days=2)):
        with pytest.raises(Refusal) as caught:
            meetings.record_meeting(issue, **{**meeting, "held_at": held_at})
        assert caught.value.field == "held_at"
    for due_on in (date(1, 1, 1), date(1999, 12, 31), date(2101, 1, 1), date(2026, 3, 1)):
        with pytest.raises(Refusal) as caught:
            meetings.record_meeting(issue, **meeting, actions=[ActionSpec("修门禁", "天山物业", due_on)])
        assert caught.value.field == "decisions"
    assert not issue.meetings.exists()
    done = meetings.record_meeting(issue, **{**meeting, "held_at": NOW - timedelta(days=364)},
                                   actions=[ActionSpec("修门禁", "天山物业", date(2100, 12, 31))])
    for on in (date(2101, 1, 1), date(2026, 3, 3)):  # implausible; after today
        with pytest.raises(Refusal) as caught:
            meetings.complete_action(done.actions.get(), on, users.east, NOW)
        assert caught.value.field == "done_on"


def test_meeting_rules(cats, community_world):
    users = community_world.users
    issue = file(cats)
    meeting = dict(held_at=NOW - timedelta(days=2), place="社区", minutes="纪要", actor=users.east, now=NOW, **FOUR)
    with pytest.raises(IssueError) as caught:  # at the grid: no four-party meeting yet
        meetings.record_meeting(issue, **meeting)
    assert caught.value.field == "level"
    issue = handling.escalate(handling.escalate(issue, users.east, NOW, "提级"), users.east, NOW, "四方协商")
    with pytest.raises(Refusal) as caught:  # three parties and no reason
        meetings.record_meeting(issue, **{**meeting, "owners_committee_attendee": ""})
    assert caught.value.field == "absence_reason" and "业委会" in caught.value.message
    with pytest.raises(Refusal) as caught:
        meetings.record_meeting(issue, **meeting, actions=[ActionSpec("修门禁", "", date(2026, 3, 5))])
    assert caught.value.field == "decisions"
    with pytest.raises(Refusal):  # a grid worker does not convene
        meetings.record_meeting(issue, **{**meeting, "actor": users.grid_a})
    assert not CoordinationMeeting.objects.exists()
    done = meetings.record_meeting(issue, **{**meeting, "owners_committee_attendee": ""},
                                   absence_reason="幸福小区业委会换届中，尚未选出",
                                   actions=[ActionSpec("修门禁", "天山物业", date(2026, 3, 5))])
    assert done.region == community_world.east and list(done.agenda.all()) == [issue]
    assert done.absence_reason == "幸福小区业委会换届中，尚未选出"
    action = done.actions.get()
    assert action.issue == issue
    with pytest.raises(Refusal) as caught:
        meetings.complete_action(action, date(2026, 2, 27), users.east, NOW)  # before the meeting
    assert caught.value.field == "done_on"
    with pytest.raises(Refusal):
        meetings.complete_action(action, date(2026, 3, 1), users.grid_c, NOW)  # out of scope
    meetings.complete_action(action, date(2026, 3, 1), users.east, NOW, note="已更换门禁")
    action.refresh_from_db()
    assert (action.done_on, action.done_note) == (date(2026, 3, 1), "已更换门禁")
    with pytest.raises(Refusal):
        meetings.complete_action(action, date(2026, 3, 2), users.east, NOW)  # already done
