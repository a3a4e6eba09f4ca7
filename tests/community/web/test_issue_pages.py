"""接诉即办 pages: bad input answers with errors, never 500.

The list and detail within scope, the actions, the grid worker's report form with duplicate suggestions, and
the residents' public report and status pages.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from changji.community.issues import categories, changes, intake
from changji.community.issues.workflow import EscalationLevel, IssueState
from changji.community.models import AgreedAction, IssueCategory, IssueEvent, ResidentIssue
from changji.community.web import issues as pages
from changji.core.models import Role

pytestmark = pytest.mark.django_db

IN_A = (90.285, 43.835)
IN_C = (90.275, 43.835)


@pytest.fixture(autouse=True)
def clean_cache():
    """The public report page counts submissions per address in the cache."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(community_world):
    categories.seed_categories()
    return community_world


def report(where=IN_A, code="property", when=None, **extra):
    lon, lat = where
    return intake.report(IssueCategory.objects.get(code=code), "电梯停运", lon=lon, lat=lat, reporter_name="张三丰",
                         reporter_phone="13912345678", now=when or timezone.now(), **extra)


def detail(issue):
    return reverse("community:issue_detail", args=[issue.pk])


def test_list_shows_the_inbox_in_scope_with_lights_and_rates(client, world):
    mine, theirs = report(), report(where=IN_C)
    late = report(when=timezone.now() - timedelta(days=6))  # property: 5 days at the grid → red
    client.force_login(world.users.grid_a)
    page = client.get(reverse("community:issues"))
    assert page.status_code == 200
    body = page.content.decode()
    assert mine.request_id in body and late.request_id in body and theirs.request_id not in body
    assert 'class="light light-green"' in body and 'class="light light-red"' in body
    assert 'id="rate-response"' in body and "13912345678" not in body
    assert theirs.request_id not in client.get(reverse("community:issues"), {"view": "all"}).content.decode()
    red = client.get(reverse("community:issues"), {"colour": "red"}).content.decode()
    assert late.request_id in red and mine.request_id not in red
    for junk in ({"state": "nope"}, {"level": "x"}, {"colour": "purple"}, {"page": "abc"}, {"category": "<script>"},
                 {"view": "mine"}, {"page": "99999999999999999999"}):
        assert client.get(reverse("community:issues"), junk).status_code == 400, junk
    assert client.get(reverse("community:issues"), {"page": "99", "state": "reported"}).status_code == 200

    client.force_login(world.users.east)  # 东城 community worker: nothing at the community rung yet
    assert mine.request_id not in client.get(reverse("community:issues")).content.decode()
    everything = client.get(reverse("community:issues"), {"view": "all"}).content.decode()
    assert mine.request_id in everything and theirs.request_id not in everything


def test_pages_need_an_account_and_a_community_role(client, world, make_user):
    issue = report()
    for url in (reverse("community:issues"), detail(issue), reverse("community:issue_new")):
        assert client.get(url).status_code == 302
    client.force_login(make_user("clerk", "652328", role=Role.WINDOW_CLERK))
    assert client.get(reverse("community:issues")).status_code == 403


def test_detail_out_of_scope_is_404_and_changes_nothing(client, world):
    issue = report()
    client.force_login(world.users.grid_c)
    assert client.get(detail(issue)).status_code == 404
    assert client.post(detail(issue), {"action": "accept"}).status_code == 404
    assert ResidentIssue.objects.get(pk=issue.pk).state == IssueState.REPORTED


def test_actions_on_the_detail_page(client, world, make_user):
    issue = report()
    client.force_login(world.users.grid_a)
    page = client.get(detail(issue))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="form-accept"' in body and 'id="form-escalate"' in body and 'id="form-resolve"' not in body
    assert "139****5678" in body and "13912345678" not in body and "张**" in body

    assert client.post(detail(issue), {"action": "resolve", "resolve-resolution": "x"}).status_code == 400
    assert client.post(detail(issue), {"action": "bogus"}).status_code == 400
    answer = client.post(detail(issue), {"action": "escalate", "escalate-reason": ""})
    assert answer.status_code == 400 and 'data-error-for="escalate-reason"' in answer.content.decode()
    assert client.post(detail(issue), {"action": "accept", "accept-note": "已联系"}).status_code == 302
    assert client.post(detail(issue), {"action": "escalate", "escalate-reason": "需社区协调"}).status_code == 302
    issue.refresh_from_db()
    assert (issue.state, issue.level) == (IssueState.ACCEPTED, EscalationLevel.COMMUNITY)
    # The grid worker still sees it, but can no longer act on it.
    assert client.post(detail(issue), {"action": "resolve", "resolve-resolution": "已处理"}).status_code == 400

    viewer = make_user("viewer", world.town.code, role=Role.TOWNSHIP_VIEWER)
    client.force_login(viewer)
    events = IssueEvent.objects.count()
    assert client.post(detail(issue), {"action": "accept"}).status_code == 403
    assert IssueEvent.objects.count() == events

    client.force_login(world.users.east)
    assert client.post(detail(issue), {"action": "escalate", "escalate-reason": "四方协商"}).status_code == 302
    held = timezone.localtime() - timedelta(days=1)
    on = lambda days: f"{held + timedelta(days=days):%Y-%m-%d}"  # noqa: E731
    three_parties = {"action": "meeting", "meeting-held_at": f"{held:%Y-%m-%dT%H:%M}", "meeting-place": "社区",
                     "meeting-party_attendee": "王书记", "meeting-committee_attendee": "刘主任",
                     "meeting-property_attendee": "李经理", "meeting-minutes": "纪要"}
    bad = client.post(detail(issue), {**three_parties, "meeting-action_1_description": "修门禁"})
    assert bad.status_code == 400 and 'data-error-for="meeting-action_1_owner"' in bad.content.decode()
    bad = client.post(detail(issue), {**three_parties, "meeting-held_at": "yesterday"})
    assert bad.status_code == 400 and 'data-error-for="meeting-held_at"' in bad.content.decode()
    bad = client.post(detail(issue), three_parties)  # the owners' committee absent, and no reason given
    assert bad.status_code == 400 and 'data-error-for="meeting-absence_reason"' in bad.content.decode()
    assert "业委会未到会" in bad.content.decode()
    four_parties = {**three_parties, "meeting-owners_committee_attendee": "赵主任"}
    far = timezone.localtime()
    for when in ("0001-01-01T10:00", f"{far - timedelta(days=370):%Y-%m-%dT%H:%M}",
                 f"{far + timedelta(days=40):%Y-%m-%dT%H:%M}"):  # year 1 was a 500
        bad = client.post(detail(issue), {**four_parties, "meeting-held_at": when})
        assert bad.status_code == 400 and 'data-error-for="meeting-held_at"' in bad.content.decode(), when
    for due_on in ("0001-01-01", "1999-12-31", "2101-01-01"):
        bad = client.post(detail(issue), {**four_parties, "meeting-action_1_description": "修门禁",
                                          "meeting-action_1_owner": "天山物业", "meeting-action_1_due_on": due_on})
        assert bad.status_code == 400 and 'data-error-for="meeting-action_1_due_on"' in bad.content.decode(), due_on
    assert not AgreedAction.objects.exists() and not issue.meetings.exists()
    good = client.post(detail(issue), {
        "action": "meeting", "meeting-held_at": f"{held:%Y-%m-%dT%H:%M}", "meeting-place": "东城社区党群服务中心",
        "meeting-party_attendee": "王书记", "meeting-committee_attendee": "刘主任",
        "meeting-property_attendee": "李经理", "meeting-absence_reason": "小区业委会尚未成立",
        "meeting-department_attendee": "派出所马警官", "meeting-minutes": "议定两项",
        "meeting-action_1_description": "修门禁", "meeting-action_1_owner": "天山物业",
        "meeting-action_1_due_on": on(3), "meeting-action_2_description": "夜间巡查",
        "meeting-action_2_owner": "派出所", "meeting-action_2_due_on": on(8)})
    assert good.status_code == 302
    actions = list(AgreedAction.objects.order_by("due_on"))
    assert [a.owner for a in actions] == ["天山物业", "派出所"]
    assert client.post(detail(issue), {"action": "complete_action", "complete_action-agreed_action": "999999",
                                       "complete_action-done_on": on(2)}).status_code == 400
    assert client.post(detail(issue), {"action": "complete_action", "complete_action-agreed_action": actions[0].pk,
                                       "complete_action-done_on": "0001-01-01"}).status_code == 400
    assert client.post(detail(issue), {"action": "complete_action", "complete_action-agreed_action": actions[0].pk,
                                       "complete_action-done_on": on(1)}).status_code == 302
    assert AgreedAction.objects.get(pk=actions[0].pk).done_on == (held + timedelta(days=1)).date()
    assert client.post(detail(issue), {"action": "resolve", "resolve-resolution": "门禁已修复"}).status_code == 302
    assert client.post(detail(issue), {"action": "feedback", "feedback-satisfied": "maybe"}).status_code == 400
    assert client.post(detail(issue), {"action": "feedback", "feedback-satisfied": "no",
                                       "feedback-comment": "夜里仍有人进出"}).status_code == 302
    issue.refresh_from_db()
    assert (issue.state, issue.reopen_count) == (IssueState.REOPENED, 1)
    history = client.get(detail(issue)).content.decode()
    assert "四方联动会议议题" in history and "重新办理" in history and "修门禁" in history


def test_reject_as_duplicate_from_the_suggestions(client, world):
    first = report()
    second = report(where=(IN_A[0], IN_A[1] + 0.0003))  # about 33 m north
    client.force_login(world.users.grid_a)
    body = client.get(detail(second)).content.decode()
    assert 'id="duplicate-suggestions"' in body and first.request_id in body
    answer = client.post(detail(second), {"action": "reject", "reject-reason": "重复诉求",
                                          "reject-duplicate_of": "SQ-not-suggested"})
    assert answer.status_code == 400
    assert client.post(detail(second), {"action": "reject", "reject-reason": "重复诉求",
                                        "reject-duplicate_of": first.request_id}).status_code == 302
    second.refresh_from_db()
    assert second.state == IssueState.REJECTED and second.duplicate_of_id == first.pk


def test_duplicate_suggestions_and_reject_stay_within_scope(client, world):
    in_c = report(where=(90.2797, IN_A[1]))  # grid C, about 50 m west of the next one
    in_a = report(where=(90.2803, IN_A[1]))  # grid A
    assert in_c.region_id == world.grid_c.region_id and in_a.region_id == world.grid_a.region_id
    client.force_login(world.users.grid_a)
    assert in_c.request_id not in client.get(detail(in_a)).content.decode()
    answer = client.post(detail(in_a), {"action": "reject", "reject-reason": "重复诉求",
                                        "reject-duplicate_of": in_c.request_id})
    assert answer.status_code == 400 and 'data-error-for="reject-duplicate_of"' in answer.content.decode()
    in_a.refresh_from_db()
    assert (in_a.state, in_a.duplicate_of_id) == (IssueState.REPORTED, None)
    category = IssueCategory.objects.get(code="property").pk
    shown = client.post(reverse("community:issue_new"), {"category": category, "description": "门禁坏了",
                                                         "lon": 90.2801, "lat": IN_A[1]})
    assert in_a.request_id in shown.content.decode() and in_c.request_id not in shown.content.decode()


def test_reject_refuses_a_chosen_duplicate_that_is_gone(client, world):
    first = report()
    second = report(where=(IN_A[0], IN_A[1] + 0.0003))
    form = pages.RejectForm({"reason": "重复诉求", "duplicate_of": first.request_id},
                            suggestions=[(first, 33.0)])
    assert form.is_valid()
    ResidentIssue.objects.filter(pk=first.pk).update(region=world.grid_c.region)  # moved out of scope meanwhile
    with pytest.raises(changes.IssueError) as caught:
        pages._apply(second, world.users.grid_a, "reject", form, timezone.now())
    assert caught.value.field == "duplicate_of"
    second.refresh_from_db()
    assert (second.state, second.duplicate_of_id) == (IssueState.REPORTED, None)


def test_report_form_shows_duplicates_first_and_refuses_bad_input(client, world, make_user):
    url = reverse("community:issue_new")
    client.force_login(world.users.grid_a)
    page = client.get(url)
    assert page.status_code == 200 and 'id="issue-grids"' in page.content.decode()
    category = IssueCategory.objects.get(code="property").pk
    bad = client.post(url, {"category": category, "description": "", "lon": "abc", "lat": "43.835"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert 'data-error-for="description"' in text and 'data-error-for="lon"' in text
    assert client.post(url, {"category": "999", "description": "x"}).status_code == 400
    elsewhere = client.post(url, {"category": category, "description": "门禁坏了", "lon": IN_C[0], "lat": IN_C[1]})
    assert elsewhere.status_code == 400 and "不在您的管辖范围内" in elsewhere.content.decode()
    assert ResidentIssue.objects.count() == 0

    made = client.post(url, {"category": category, "description": "门禁坏了", "lon": IN_A[0], "lat": IN_A[1],
                             "reporter_name": "李四", "reporter_phone": "13987654321"})
    assert made.status_code == 302
    issue = ResidentIssue.objects.get()
    assert made["Location"] == detail(issue)
    assert (issue.channel, issue.reported_by, issue.region_id) == ("grid_worker", world.users.grid_a,
                                                                   world.grid_a.region_id)

    again = {"category": category, "description": "门禁又坏了", "lon": IN_A[0], "lat": IN_A[1] + 0.0002}
    shown = client.post(url, again)
    assert shown.status_code == 200 and issue.request_id in shown.content.decode()
    assert 'id="duplicate-suggestions"' in shown.content.decode() and ResidentIssue.objects.count() == 1
    assert client.post(url, {**again, "confirm": "True"}).status_code == 302
    assert ResidentIssue.objects.count() == 2

    no_place = client.post(url, {"category": category, "description": "楼道灯不亮"})  # a grid worker: own grid
    assert no_place.status_code == 302
    client.force_login(world.users.east)  # a community worker must give the place
    assert client.post(url, {"category": category, "description": "楼道灯不亮"}).status_code == 400
    client.force_login(make_user("viewer", world.town.code, role=Role.TOWNSHIP_VIEWER))
    assert client.get(url).status_code == 403


def test_public_report_and_status_pages(client, world):
    url = reverse("community:issue_report_public")
    page = client.get(url)
    assert page.status_code == 200 and 'id="issue-map"' in page.content.decode()
    category = IssueCategory.objects.get(code="sanitation").pk
    form = {"category": category, "description": "楼下垃圾三天没清运", "lon": IN_C[0], "lat": IN_C[1],
            "reporter_name": "王五", "reporter_phone": "13800001111", "reporter_email": ""}
    for bad in ({**form, "lon": ""}, {**form, "reporter_phone": "abc"}, {**form, "lat": "91"},
                {**form, "lat": "43.95"}, {**form, "reporter_email": "x@"}, {**form, "category": "x"}):
        answer = client.post(url, bad)
        assert answer.status_code == 400, bad
    assert ResidentIssue.objects.count() == 0
    done = client.post(url, form)
    assert done.status_code == 302 and done["Location"] == reverse("community:issue_reported")
    issue = ResidentIssue.objects.get()
    for _ in range(2):  # post/redirect/get: the page and its reload show the number and file nothing more
        assert issue.request_id in client.get(done["Location"]).content.decode()
    assert ResidentIssue.objects.count() == 1 and issue.channel == "web"
    stranger = Client().get(done["Location"])  # the number is this browser's: another is sent to the form
    assert stranger.status_code == 302 and issue.request_id not in stranger.content.decode()
    assert issue.region_id == world.grid_c.region_id and issue.reported_by is None

    status = client.get(reverse("community:issue_status"), {"id": issue.request_id.lower()})
    assert status.status_code == 200
    text = status.content.decode()
    assert "待响应" in text and "网格" in text
    for private in ("王五", "13800001111", "楼下垃圾"):
        assert private not in text
    assert client.get(reverse("community:issue_status"), {"id": "SQ000"}).status_code == 404
    assert client.get(reverse("community:issue_status")).status_code == 200

    for _ in range(4):  # five reports in the window, then the address waits
        assert client.post(url, form).status_code == 302
    assert client.post(url, form).status_code == 429
    assert ResidentIssue.objects.count() == 5
