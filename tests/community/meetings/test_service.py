"""Recording 四方联动 meetings and tracking their decisions through ``community.meetings.service``."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from changji.community.meetings import service
from changji.community.meetings.service import Decision, MeetingError
from changji.community.models import AgendaItem, AgreedAction, CoordinationMeeting, IssueEvent
from changji.core.models import AuditEntry, Role
from tests.community.meetings.conftest import FOUR, NOW

pytestmark = pytest.mark.django_db

HELD = NOW - timedelta(hours=2)


def _meeting(world, **extra):
    return {"held_at": HELD, "place": "东城社区党群服务中心", "minutes": "月度四方联动例会", "actor": world.users.east,
            "now": NOW, **FOUR, **extra}


def test_a_routine_meeting_takes_up_three_issues_from_two_grids(community_world, issues):
    """One meeting of 东城: two issues of grid A and one of grid B, outcomes, two decisions (one without an issue)."""
    world = community_world
    meeting = service.record_meeting(
        world.east, **_meeting(world), agenda=[issues.lift, issues.rubbish, issues.road],
        outcomes={issues.lift.pk: "物业一周内更换电梯控制板", issues.road.pk: "报住建局列入维修计划"},
        decisions=[Decision("更换1号楼电梯控制板", "天山物业", date(2026, 3, 9), issues.lift),
                   Decision("垃圾清运改为每日两次", "东城社区居委会", date(2026, 3, 5), issues.rubbish),
                   Decision("下月例会前公示本月议定事项", "东城社区党委", date(2026, 3, 31))])
    assert meeting.region == world.east and meeting.recorded_by == world.users.east
    grids = {item.issue.region_id for item in AgendaItem.objects.filter(meeting=meeting).select_related("issue")}
    assert grids == {world.grid_a.region_id, world.grid_b.region_id}
    assert dict(meeting.agenda_items.values_list("issue__request_id", "outcome")) == {
        issues.lift.request_id: "物业一周内更换电梯控制板", issues.rubbish.request_id: "",
        issues.road.request_id: "报住建局列入维修计划"}
    actions = list(meeting.actions.order_by("due_on"))
    assert [(a.owner, a.issue_id) for a in actions] == [
        ("东城社区居委会", issues.rubbish.pk), ("天山物业", issues.lift.pk), ("东城社区党委", None)]
    for issue in (issues.lift, issues.rubbish, issues.road):  # each issue's history shows the meeting
        event = IssueEvent.objects.get(issue=issue, kind="meeting")
        assert "东城社区四方联动会议" in event.note and event.actor == world.users.east
    assert AuditEntry.objects.filter(action="community.issue.meeting").count() == 3
    entry = AuditEntry.objects.get(action="community.meeting.recorded")
    assert entry.object_id == str(meeting.pk) and entry.region_id == world.east.code
    assert entry.detail["agenda"] == [issues.lift.request_id, issues.rubbish.request_id, issues.road.request_id]
    # The issues stay where they were on the ladder: a routine meeting takes them up, it does not escalate them.
    issues.lift.refresh_from_db()
    assert issues.lift.level == "grid"


def test_a_meeting_with_no_agenda_is_a_routine_review(community_world, issues):
    meeting = service.record_meeting(community_world.east, **_meeting(community_world))
    assert not meeting.agenda.exists() and not IssueEvent.objects.filter(kind="meeting").exists()


def test_quorum_three_parties_need_a_reason(community_world, issues):
    world = community_world
    three = _meeting(world, owners_committee_attendee="")
    with pytest.raises(MeetingError) as caught:
        service.record_meeting(world.east, **three, agenda=[issues.lift])
    assert caught.value.field == "absence_reason" and "业委会" in caught.value.message
    with pytest.raises(MeetingError):
        service.record_meeting(world.east, **three, absence_reason="无")
    assert not CoordinationMeeting.objects.exists() and not IssueEvent.objects.filter(kind="meeting").exists()
    meeting = service.record_meeting(world.east, **three, absence_reason="幸福小区业委会换届，新一届尚未产生",
                                     agenda=[issues.lift])
    assert meeting.absence_reason == "幸福小区业委会换届，新一届尚未产生"


def test_an_issue_of_another_community_is_refused(community_world, issues):
    world = community_world
    with pytest.raises(MeetingError) as caught:  # the street officer sees both communities, but a meeting is one's
        service.record_meeting(world.east, **_meeting(world, actor=world.users.street),
                               agenda=[issues.lift, issues.west])
    assert caught.value.field == "agenda" and issues.west.request_id in caught.value.message
    assert not CoordinationMeeting.objects.exists() and not IssueEvent.objects.filter(kind="meeting").exists()
    with pytest.raises(MeetingError) as caught:  # a decision's issue must be on the agenda
        service.record_meeting(world.east, **_meeting(world), agenda=[issues.lift],
                               decisions=[Decision("修路", "住建局", date(2026, 3, 20), issues.road)])
    assert caught.value.field == "decisions"
    with pytest.raises(MeetingError) as caught:
        service.record_meeting(world.town, **_meeting(world, actor=world.users.street))
    assert caught.value.field == "community"


def test_who_may_record(community_world, issues, make_user):
    world = community_world
    with pytest.raises(MeetingError) as caught:  # a grid worker records residents' meetings, not 四方联动
        service.record_meeting(world.east, **_meeting(world, actor=world.users.grid_a), agenda=[issues.lift])
    assert caught.value.field == "actor" and "网格员" in caught.value.message
    with pytest.raises(MeetingError):  # 东城's worker cannot record 西城's meeting
        service.record_meeting(world.west, **_meeting(world))
    viewer = make_user("viewer", world.town.code, role=Role.TOWNSHIP_VIEWER)
    with pytest.raises(MeetingError):
        service.record_meeting(world.east, **_meeting(world, actor=viewer))
    assert not CoordinationMeeting.objects.exists()
    assert service.record_meeting(world.west, **_meeting(world, actor=world.users.street)).region == world.west
    county = make_user("county", "652328", role=Role.COUNTY_OPERATOR)
    assert service.record_meeting(world.east, **_meeting(world, actor=county)).region == world.east


def test_decisions_are_tracked_until_done_and_overdue_ones_listed(community_world, issues):
    world, users = community_world, community_world.users
    meeting = service.record_meeting(
        world.east, **_meeting(world), agenda=[issues.lift],
        decisions=[Decision("更换电梯控制板", "天山物业", date(2026, 3, 4), issues.lift),
                   Decision("公示议定事项", "东城社区党委", date(2026, 3, 20))])
    lift, notice = meeting.actions.order_by("due_on")
    today = date(2026, 3, 10)
    assert list(service.open_actions(users.east, today)) == [lift, notice]
    assert [a.overdue for a in service.open_actions(users.east, today)] == [True, False]
    assert list(service.overdue_actions(users.east, today)) == [lift]
    assert list(service.overdue_actions(users.street, today)) == [lift]
    assert not service.open_actions(users.grid_c, today).exists()  # 西城's grid worker sees none of 东城's
    later = NOW + timedelta(days=8)
    with pytest.raises(MeetingError):
        service.complete_action(lift, date(2026, 3, 9), "已更换", actor=users.grid_a, now=later)
    with pytest.raises(MeetingError) as caught:
        service.complete_action(lift, date(2026, 3, 11), "已更换", actor=users.east, now=later)  # after today
    assert caught.value.field == "done_on"
    service.complete_action(lift, date(2026, 3, 9), "已更换并试运行", actor=users.east, now=later)
    service.complete_action(notice, date(2026, 3, 9), "", actor=users.street, now=later)  # no issue: still done
    assert not service.open_actions(users.east, today).exists()
    lift.refresh_from_db()
    assert (lift.done_on, lift.done_note) == (date(2026, 3, 9), "已更换并试运行")
    assert IssueEvent.objects.filter(issue=issues.lift, kind="action").count() == 1
    assert AuditEntry.objects.filter(action="community.meeting.action_done").count() == 2
    with pytest.raises(MeetingError):
        service.complete_action(lift, date(2026, 3, 9), "", actor=users.east, now=later)  # already done
    assert AgreedAction.objects.filter(done_on__isnull=True).count() == 0
