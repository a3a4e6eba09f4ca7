"""A hotline call filed by a grid worker, handled through to closure, counted under 热线电话."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from changji.community.dashboard import community_figures
from changji.community.issues import categories, handling
from changji.community.models import IssueCategory, ResidentIssue

pytestmark = pytest.mark.django_db


def _channels(user, now):
    return {c.channel: c for c in community_figures(user, timezone.localtime(now).year, now).channels}


def test_a_hotline_issue_through_to_closure(client, community_world):
    w = community_world
    categories.seed_categories()
    category = IssueCategory.objects.filter(active=True).order_by("code").first()
    client.force_login(w.users.grid_a)
    form = client.get(reverse("community:issue_new"))
    assert [value for value, _ in form.context["form"].fields["channel"].choices] == [
        "grid_worker", "hotline", "wechat", "spoken", "visit"]
    response = client.post(reverse("community:issue_new"), {
        "category": category.pk, "description": "12345 热线转来：幸福小区 1 号楼路灯不亮", "lon": "90.285",
        "lat": "43.835", "reporter_name": "张三", "reporter_phone": "13912345678", "channel": "hotline"})
    assert response.status_code == 302
    issue = ResidentIssue.objects.get()
    assert (issue.channel, issue.reported_by, issue.region_id) == ("hotline", w.users.grid_a, w.grid_a.region_id)

    now = timezone.now()
    handling.accept(issue, w.users.grid_a, now, "已联系电工")
    handling.resolve(issue, w.users.grid_a, now + timedelta(hours=2), "更换灯泡")
    handling.feedback(issue, True, now + timedelta(hours=3), "满意", actor=w.users.grid_a)
    issue.refresh_from_db()
    assert issue.state == "closed"

    hotline = _channels(w.users.street, now)["hotline"]
    assert (hotline.label, hotline.issues, hotline.closed, hotline.within_limit, hotline.satisfaction_rate) == (
        "热线电话", 1, 1, 1, 1.0)
    assert _channels(w.users.street, now)["wechat"].issues == 0
    listed = client.get(reverse("community:issues"), {"view": "all", "channel": "hotline"})
    assert [row["issue"].pk for row in listed.context["rows"]] == [issue.pk]
    assert client.get(reverse("community:issues"), {"view": "all", "channel": "wechat"}).context["rows"] == []
    dashboard = client.get(reverse("community:dashboard"))
    assert 'data-channel="hotline"' in dashboard.content.decode()


def test_a_channel_only_staff_file_is_refused_on_the_staff_form(client, community_world):
    w = community_world
    categories.seed_categories()
    category = IssueCategory.objects.filter(active=True).order_by("code").first()
    client.force_login(w.users.grid_a)
    response = client.post(reverse("community:issue_new"), {
        "category": category.pk, "description": "冒充 Open311", "lon": "90.285", "lat": "43.835",
        "channel": "open311"})
    assert response.status_code == 400
    assert "channel" in response.context["form"].errors
    assert not ResidentIssue.objects.exists()


def test_the_issue_list_refuses_an_unknown_channel(client, community_world):
    client.force_login(community_world.users.east)
    response = client.get(reverse("community:issues"), {"channel": "telegraph"})
    assert response.status_code == 400
