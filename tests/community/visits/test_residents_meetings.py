"""A residents' meeting files the issues raised there into the issue list, channel 居民会议, linked back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from changji.community.issues.categories import seed_categories
from changji.community.models import IssueCategory, IssueChannel, ResidentIssue, ResidentsMeeting
from changji.community.visits.errors import VisitError
from changji.community.visits.residents_meetings import RaisedIssue, record_residents_meeting
from changji.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def categories(community_world):
    seed_categories()
    return {c.code: c for c in IssueCategory.objects.all()}


def _meeting(world, region, raised, actor, **extra):
    now = timezone.now()
    arguments = {"kind": "pavilion", "held_at": now - timedelta(hours=2), "place": "幸福小区凉亭", "host": "书记",
                 "attendee_count": 23, "attendees": "张三、李四等", "topics": "小区停车与楼道卫生",
                 "outcomes": "划定停车位", **extra}
    return record_residents_meeting(region, arguments.pop("kind"), arguments.pop("held_at"), arguments.pop("place"),
                                    arguments.pop("host"), arguments.pop("attendee_count"), arguments.pop("attendees"),
                                    arguments.pop("topics"), arguments.pop("outcomes"), raised, actor, now)


def test_a_meeting_files_two_issues_that_appear_in_the_issue_list_and_link_back(client, community_world, categories):
    w = community_world
    raised = [RaisedIssue(categories["property"], "单元门禁损坏", "幸福小区1号楼"),
              RaisedIssue(categories["sanitation"], "垃圾清运不及时", "幸福小区西门")]
    meeting = _meeting(w, w.grid_a.region, raised, w.users.grid_a)
    issues = list(ResidentIssue.objects.filter(raised_at_meeting=meeting).order_by("pk"))
    assert [i.description for i in issues] == ["单元门禁损坏", "垃圾清运不及时"]
    assert {i.channel for i in issues} == {IssueChannel.RESIDENTS_MEETING}
    assert {i.region for i in issues} == {w.grid_a.region}
    assert AuditEntry.objects.get(action="community.residents_meeting.record").detail["issues"] == [
        i.request_id for i in issues]

    client.force_login(w.users.east)
    listed = client.get(reverse("community:issues"), {"view": "all"}).content.decode()
    assert all(i.request_id in listed for i in issues)
    detail = client.get(reverse("community:issue_detail", args=[issues[0].pk])).content.decode()
    assert "居民会议（凉亭会、恳谈会）" in detail
    assert reverse("community:residents_meeting_detail", args=[meeting.pk]) in detail
    page = client.get(reverse("community:residents_meeting_detail", args=[meeting.pk])).content.decode()
    assert all(i.request_id in page for i in issues) and page.count("<td>待响应</td>") == 2


def test_a_community_meeting_files_each_issue_at_the_grid_named_for_it(community_world, categories):
    w = community_world
    raised = [RaisedIssue(categories["roads"], "路面破损", "东环路", w.grid_b.region)]
    meeting = _meeting(w, w.east, raised, w.users.east, kind="talk")
    assert meeting.issues.get().region == w.grid_b.region
    with pytest.raises(VisitError, match="请为诉求选择网格"):
        _meeting(w, w.east, [RaisedIssue(categories["roads"], "路灯不亮")], w.users.east)
    with pytest.raises(VisitError, match="不是本社区的网格"):
        _meeting(w, w.east, [RaisedIssue(categories["roads"], "路灯不亮", "", w.grid_c.region)], w.users.east)


def test_a_refused_meeting_stores_neither_the_meeting_nor_any_issue(community_world, categories):
    w = community_world
    raised = [RaisedIssue(categories["roads"], "路面破损"), RaisedIssue(categories["roads"], " ")]
    with pytest.raises(Exception, match="诉求内容"):
        _meeting(w, w.grid_a.region, raised, w.users.grid_a)
    with pytest.raises(VisitError, match="管辖范围"):
        _meeting(w, w.grid_c.region, [], w.users.grid_a)
    with pytest.raises(VisitError, match="召开时间"):
        _meeting(w, w.grid_a.region, [], w.users.grid_a, held_at=timezone.now() + timedelta(days=1))
    with pytest.raises(VisitError, match="参会人数"):
        _meeting(w, w.grid_a.region, [], w.users.grid_a, attendee_count=0)
    assert not ResidentsMeeting.objects.exists() and not ResidentIssue.objects.exists()
