"""The 四方联动 pages: recording the three-issue meeting, the list and its filters, scope, completing, export."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from changji.community.meetings import service
from changji.community.meetings.service import Decision
from changji.community.models import AgreedAction, CoordinationMeeting, IssueEvent
from changji.core.models import Role
from tests.community.meetings.conftest import FOUR

pytestmark = pytest.mark.django_db


def _held() -> str:
    return f"{timezone.localtime() - timedelta(days=1):%Y-%m-%dT%H:%M}"


def _record(world, community, actor, **extra):
    now = timezone.now()
    given = {"held_at": now - timedelta(days=1), "place": "社区会议室", "minutes": "例会", **FOUR, **extra}
    return service.record_meeting(community, actor=actor, now=now, **given)


def test_recording_the_three_issues_from_two_grids_on_the_page(client, community_world, issues):
    world = community_world
    client.force_login(world.users.east)
    page = client.get(reverse("community:meeting_new"))  # one community in scope: chosen already
    body = page.content.decode()
    assert page.status_code == 200 and issues.road.request_id in body and "东城社区第二网格" in body
    assert issues.west.request_id not in body
    today = timezone.localdate()
    form = {"community": world.east.code, "held_at": _held(), "place": "东城社区党群服务中心", "minutes": "三月例会",
            **FOUR, "agenda": [str(issues.lift.pk), str(issues.road.pk)],
            f"outcome_{issues.lift.pk}": "物业一周内更换控制板",
            "agenda_ids": f"{issues.rubbish.request_id} 改为每日清运两次",
            "decision_1_description": "更换电梯控制板", "decision_1_owner": "天山物业",
            "decision_1_due_on": f"{today + timedelta(days=7):%Y-%m-%d}",
            "decision_1_issue": issues.lift.request_id.lower(),
            "decision_2_description": "公示议定事项", "decision_2_owner": "东城社区党委",
            "decision_2_due_on": f"{today + timedelta(days=3):%Y-%m-%d}"}
    answer = client.post(reverse("community:meeting_new"), form)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    meeting = CoordinationMeeting.objects.get()
    assert answer["Location"] == reverse("community:meeting_detail", args=[meeting.pk])
    assert set(meeting.agenda.values_list("region_id", flat=True)) == {world.grid_a.region_id,
                                                                       world.grid_b.region_id}
    assert meeting.agenda.count() == 3
    assert dict(meeting.agenda_items.values_list("issue_id", "outcome"))[issues.rubbish.pk] == "改为每日清运两次"
    assert meeting.actions.get(owner="天山物业").issue == issues.lift
    detail = client.get(answer["Location"]).content.decode()
    for text in (issues.lift.request_id, issues.road.request_id, issues.rubbish.request_id, "四方到齐",
                 "物业一周内更换控制板", "更换电梯控制板", "完成"):
        assert text in detail, text
    issue_page = client.get(reverse("community:issue_detail", args=[issues.road.pk])).content.decode()
    assert "四方联动会议" in issue_page and reverse("community:meeting_detail", args=[meeting.pk]) in issue_page


def test_the_form_refuses_and_changes_nothing(client, community_world, issues):
    world = community_world
    client.force_login(world.users.east)
    base = {"community": world.east.code, "held_at": _held(), "place": "社区", "minutes": "例会", **FOUR}
    three = {**base, "property_attendee": ""}
    answer = client.post(reverse("community:meeting_new"), three)
    assert answer.status_code == 400 and 'data-error-for="absence_reason"' in answer.content.decode()
    answer = client.post(reverse("community:meeting_new"), {**base, "agenda_ids": issues.west.request_id})
    assert answer.status_code == 400 and 'data-error-for="agenda_ids"' in answer.content.decode()  # out of scope
    answer = client.post(reverse("community:meeting_new"), {**base, "decision_1_description": "修门禁"})
    assert answer.status_code == 400 and 'data-error-for="decision_1_owner"' in answer.content.decode()
    answer = client.post(reverse("community:meeting_new"), {**base, "community": world.west.code})
    assert answer.status_code == 400
    assert not CoordinationMeeting.objects.exists()
    answer = client.post(reverse("community:meeting_new"), {**three, "absence_reason": "天山物业经理外出培训"})
    assert answer.status_code == 302


def test_the_street_officer_cannot_put_another_communitys_issue_on_the_agenda(client, community_world, issues):
    world = community_world
    client.force_login(world.users.street)
    assert client.get(reverse("community:meeting_new")).status_code == 200  # two communities: choose one
    page = client.get(reverse("community:meeting_new"), {"community": world.west.code}).content.decode()
    assert issues.west.request_id in page and issues.lift.request_id not in page
    answer = client.post(reverse("community:meeting_new"), {
        "community": world.east.code, "held_at": _held(), "place": "社区", "minutes": "例会", **FOUR,
        "agenda_ids": f"{issues.lift.request_id}\n{issues.west.request_id} 门禁"})
    assert answer.status_code == 400 and "不属于东城社区" in answer.content.decode()
    assert not CoordinationMeeting.objects.exists() and not IssueEvent.objects.filter(kind="meeting").exists()


def test_the_grid_worker_records_no_meeting_of_the_community(client, community_world, issues):
    """A grid worker's scope is their grid: the community's meetings are not theirs to read or record."""
    world = community_world
    meeting = _record(world, world.east, world.users.east,
                      decisions=[Decision("公示", "东城社区党委", timezone.localdate() + timedelta(days=3))])
    client.force_login(world.users.grid_a)
    assert client.get(reverse("community:meetings")).status_code == 200
    assert client.get(reverse("community:meeting_detail", args=[meeting.pk])).status_code == 404
    form = client.get(reverse("community:meeting_new")).content.decode()  # says why, and where to go instead
    assert 'id="meeting-no-community"' in form and reverse("community:residents_meeting_new") in form
    base = {"community": world.east.code, "held_at": _held(), "place": "社区", "minutes": "例会", **FOUR}
    answer = client.post(reverse("community:meeting_new"), base)
    assert answer.status_code == 400 and "请选择您管辖范围内的社区" in answer.content.decode()
    action = meeting.actions.get()
    answer = client.post(reverse("community:meeting_detail", args=[meeting.pk]),
                         {"agreed_action": action.pk, "done_on": f"{timezone.localdate():%Y-%m-%d}"})
    assert answer.status_code == 404
    assert CoordinationMeeting.objects.count() == 1 and AgreedAction.objects.get().done_on is None


def test_a_township_viewer_reads_but_may_not_complete(client, community_world, issues, make_user):
    world = community_world
    meeting = _record(world, world.east, world.users.east,
                      decisions=[Decision("公示", "东城社区党委", timezone.localdate() + timedelta(days=3))])
    client.force_login(make_user("viewer", world.town.code, role=Role.TOWNSHIP_VIEWER))
    url = reverse("community:meeting_detail", args=[meeting.pk])
    assert client.get(url).status_code == 200
    answer = client.post(url, {"agreed_action": meeting.actions.get().pk,
                               "done_on": f"{timezone.localdate():%Y-%m-%d}"})
    assert answer.status_code == 403 and AgreedAction.objects.get().done_on is None


def test_another_communitys_meeting_is_404_and_not_listed(client, community_world, issues):
    world = community_world
    west = _record(world, world.west, world.users.street, place="西城外区标记会议室")
    east = _record(world, world.east, world.users.east)
    client.force_login(world.users.east)
    assert client.get(reverse("community:meeting_detail", args=[west.pk])).status_code == 404
    assert client.post(reverse("community:meeting_detail", args=[west.pk]), {"agreed_action": "1"}).status_code == 404
    listed = client.get(reverse("community:meetings")).content.decode()
    assert "西城外区标记" not in listed and reverse("community:meeting_detail", args=[east.pk]) in listed
    book = load_workbook(io.BytesIO(client.get(reverse("community:meetings_export")).content))
    assert [row[2] for row in book["会议"].iter_rows(min_row=2, values_only=True)] == ["社区会议室"]
    client.force_login(world.users.street)
    assert "西城外区标记" in client.get(reverse("community:meetings")).content.decode()


def test_completing_a_decision_and_the_tracking_list(client, community_world, issues):
    world = community_world
    today = timezone.localdate()
    meeting = _record(world, world.east, world.users.east, agenda=[issues.lift],
                      decisions=[Decision("更换控制板", "天山物业", today, issues.lift),
                                 Decision("公示议定事项", "东城社区党委", today + timedelta(days=5))])
    AgreedAction.objects.filter(owner="天山物业").update(due_on=today - timedelta(days=1))  # now overdue
    lift, notice = meeting.actions.order_by("due_on")
    client.force_login(world.users.east)
    overdue = client.get(reverse("community:meeting_actions"), {"status": "overdue"}).content.decode()
    assert "更换控制板" in overdue and "公示议定事项" not in overdue and "已逾期" in overdue
    assert "1 项逾期" in client.get(reverse("community:meetings")).content.decode()
    url = reverse("community:meeting_detail", args=[meeting.pk])
    bad = client.post(url, {"agreed_action": lift.pk, "done_on": f"{today + timedelta(days=1):%Y-%m-%d}"})
    assert bad.status_code == 400 and "不能晚于今天" in bad.content.decode()
    assert client.post(url, {"agreed_action": "999999", "done_on": f"{today:%Y-%m-%d}"}).status_code == 400
    done = client.post(url, {"agreed_action": lift.pk, "done_on": f"{today:%Y-%m-%d}", "done_note": "已更换"})
    assert done.status_code == 302 and done["Location"] == url
    lift.refresh_from_db()
    assert (lift.done_on, lift.done_note) == (today, "已更换")
    listed = client.get(reverse("community:meeting_actions"), {"status": "done"}).content.decode()
    assert "更换控制板" in listed and "公示议定事项" not in listed
    open_list = client.get(reverse("community:meetings"), {"open": "yes"}).content.decode()
    assert url in open_list
    client.post(url, {"agreed_action": notice.pk, "done_on": f"{today:%Y-%m-%d}"})
    assert url not in client.get(reverse("community:meetings"), {"open": "yes"}).content.decode()
    assert url in client.get(reverse("community:meetings"), {"open": "no"}).content.decode()


def test_list_filters_by_community_and_month(client, community_world, issues):
    world = community_world
    east = _record(world, world.east, world.users.east)
    client.force_login(world.users.street)
    url = reverse("community:meeting_detail", args=[east.pk])
    held = timezone.localtime(east.held_at).date()
    assert url in client.get(reverse("community:meetings"), {"community": world.east.code}).content.decode()
    assert url not in client.get(reverse("community:meetings"), {"community": world.west.code}).content.decode()
    assert url in client.get(reverse("community:meetings"), {"month": f"{held:%Y-%m}"}).content.decode()
    other = date(held.year - 1, held.month, 1)
    assert url not in client.get(reverse("community:meetings"), {"month": f"{other:%Y-%m}"}).content.decode()
    assert url in client.get(reverse("community:meetings"), {"first": f"{held}", "last": f"{held}"}).content.decode()


@pytest.mark.parametrize(("name", "query"), [
    ("community:meetings", {"month": "2026-13"}), ("community:meetings", {"month": "0001-01"}),
    ("community:meetings", {"first": "2026-02-30"}), ("community:meetings", {"community": "东城"}),
    ("community:meetings", {"first": "2026-03-02", "last": "2026-03-01"}), ("community:meetings", {"open": "maybe"}),
    ("community:meetings", {"page": "²"}), ("community:meeting_actions", {"status": "late"}),
    ("community:meeting_actions", {"community": "x"}), ("community:meetings_export", {"month": "x"}),
    ("community:meeting_new", {"community": "1" * 40}),
])
def test_bad_parameters_are_400(client, community_world, name, query):
    client.force_login(community_world.users.east)
    answer = client.get(reverse(name), query)
    assert answer.status_code == 400, (name, query)


def test_the_export_opens_in_openpyxl(client, community_world, issues):
    world = community_world
    _record(world, world.east, world.users.east, agenda=[issues.lift, issues.road], minutes="=HYPERLINK(\"x\")",
            property_attendee="", absence_reason="物业经理外出培训",
            decisions=[Decision("更换控制板", "天山物业", timezone.localdate(), issues.lift)])
    client.force_login(world.users.east)
    answer = client.get(reverse("community:meetings_export"))
    assert answer.status_code == 200 and answer["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(answer.content))
    rows = list(book["会议"].iter_rows(values_only=True))
    assert rows[0][0] == "召开时间" and len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["社区"] == "东城社区" and row["议题数（件）"] == 2 and row["到会情况"] == "物业缺席：物业经理外出培训"
    assert row["会议纪要"] == "=HYPERLINK(\"x\")" and book["会议"].cell(2, 14).data_type == "s"  # text, not a formula
    decisions = list(book["议定事项"].iter_rows(values_only=True))
    assert decisions[1][2] == "更换控制板" and decisions[1][8] == issues.lift.request_id
