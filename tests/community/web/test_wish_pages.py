"""Pages of micro-wishes and activities: scope (404 outside it), actions by state and user, form errors not 500s."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from changji.community.wishes.workflow import WishState

PASSWORD = "x-Secret-2026"
JPEG = b"\xff\xd8\xff\xe0" + b"0" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def as_user(client):
    def log_in(user):
        client.force_login(user)
        return client

    return log_in


@pytest.fixture
def registered(community_world):
    from types import SimpleNamespace

    from changji.community.people import register_member, register_unit

    east = community_world.users.east
    return SimpleNamespace(
        member=register_member(community_world.east, "王五", "652328198506120037", "13800000001", "县教育局",
                               "in_service", date(2026, 1, 5), actor=east),
        unit=register_unit(community_world.east, "县供电公司", "赵六", "13800000002", date(2026, 1, 6), actor=east),
        west_unit=register_unit(community_world.west, "西城物业", "", "", date(2026, 1, 6), actor=None))


@pytest.fixture
def wish(community_world):
    from changji.community.wishes.service import post_wish

    return post_wish(community_world.zhang, "想要一台助行器", "腿脚不便", actor=community_world.users.grid_a)


def detail(wish):
    return reverse("community:wish_detail", args=[wish.pk])


def test_pages_need_a_community_role(client, community_world, make_user):
    assert client.get(reverse("community:wishes")).status_code == 302
    client.force_login(make_user("clerk", "652328", role="window_clerk"))
    assert client.get(reverse("community:wishes")).status_code == 403


def test_the_list_masks_residents_and_counts_by_state(as_user, community_world, wish):
    from changji.community.wishes.service import review

    review(wish, True, actor=community_world.users.east)
    page = as_user(community_world.users.grid_a).get(reverse("community:wishes"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "想要一台助行器" in text and "张*" in text and "张三" not in text
    assert 'id="count-published">1<' in text
    filtered = as_user(community_world.users.grid_a).get(reverse("community:wishes"), {"state": "confirmed"})
    assert "想要一台助行器" not in filtered.content.decode().split('id="wish-table"')[1]


def test_a_wish_outside_scope_is_a_404(as_user, community_world, wish):
    client = as_user(community_world.users.grid_c)
    assert client.get(detail(wish)).status_code == 404
    assert client.post(detail(wish), {"action": "publish"}).status_code == 404
    assert client.get(reverse("community:wish_photo", args=[wish.pk])).status_code == 404
    assert "想要一台助行器" not in client.get(reverse("community:wishes")).content.decode()


def test_a_grid_worker_posts_a_wish_for_a_resident_of_their_grid(as_user, community_world):
    from changji.community.models import MicroWish

    client = as_user(community_world.users.grid_a)
    form = client.get(reverse("community:wish_new"))
    assert "张三" in form.content.decode()
    response = client.post(reverse("community:wish_new"), {"resident": community_world.zhang.pk, "title": "陪同就医"})
    wish = MicroWish.objects.get(title="陪同就医")
    assert response.status_code == 302 and response["Location"] == detail(wish)
    assert (wish.state, wish.posted_by) == (WishState.POSTED, community_world.users.grid_a)

    blank = client.post(reverse("community:wish_new"), {"resident": community_world.zhang.pk, "title": ""})
    assert blank.status_code == 400 and 'data-error-for="title"' in blank.content.decode()
    other = as_user(community_world.users.grid_c).post(reverse("community:wish_new"),
                                                        {"resident": community_world.zhang.pk, "title": "越权"})
    assert other.status_code == 400 and 'data-error-for="resident"' in other.content.decode()
    assert not MicroWish.objects.filter(title="越权").exists()


def test_the_wish_walks_through_its_pages(as_user, community_world, registered, wish):
    """Publish (community), claim for a member, fulfil with a photo, send back, fulfil, confirm: each a POST."""
    from changji.community.models import PointEntry

    grid_a, east = as_user(community_world.users.grid_a), None
    page = grid_a.get(detail(wish)).content.decode()
    assert 'id="form-publish"' not in page  # the community reviews, not the grid worker
    assert grid_a.post(detail(wish), {"action": "publish"}).status_code == 400

    east = as_user(community_world.users.east)
    assert east.post(detail(wish), {"action": "publish", "publish-note": ""}).status_code == 302
    page = east.get(detail(wish)).content.decode()
    assert f'value="member:{registered.member.pk}"' in page and "西城物业" not in page
    bad = east.post(detail(wish), {"action": "claim", "claim-claimant": f"unit:{registered.west_unit.pk}",
                                   "claim-hours": 72})
    assert bad.status_code == 400 and 'data-error-for="claim-claimant"' in bad.content.decode()
    assert east.post(detail(wish), {"action": "claim", "claim-claimant": f"member:{registered.member.pk}",
                                    "claim-hours": 72}).status_code == 302

    wrong = east.post(detail(wish), {"action": "fulfil", "fulfil-evidence": "已送达",
                                     "fulfil-photo": SimpleUploadedFile("a.exe", b"MZ")})
    assert wrong.status_code == 400 and "jpg" in wrong.content.decode()
    assert east.post(detail(wish), {"action": "fulfil", "fulfil-evidence": "已送达",
                                    "fulfil-photo": SimpleUploadedFile("a.jpg", JPEG)}).status_code == 302
    photo = east.get(reverse("community:wish_photo", args=[wish.pk]))
    assert photo.status_code == 200 and b"".join(photo.streaming_content) == JPEG

    grid_a = as_user(community_world.users.grid_a)
    no_reason = grid_a.post(detail(wish), {"action": "send_back", "send_back-note": ""})
    assert no_reason.status_code == 400 and 'data-error-for="send_back-note"' in no_reason.content.decode()
    assert grid_a.post(detail(wish), {"action": "send_back", "send_back-note": "高度不合适"}).status_code == 302
    wish.refresh_from_db()
    assert wish.state == WishState.CLAIMED
    east = as_user(community_world.users.east)
    assert east.post(detail(wish), {"action": "fulfil", "fulfil-evidence": "已更换"}).status_code == 302
    grid_a = as_user(community_world.users.grid_a)
    assert grid_a.post(detail(wish), {"action": "confirm", "confirm-note": ""}).status_code == 302
    page = grid_a.get(detail(wish)).content.decode()
    assert 'data-state="confirmed"' in page and "已确认" in page
    assert PointEntry.objects.get(rule__code="wish_confirmed").member == registered.member
    assert grid_a.post(detail(wish), {"action": "confirm"}).status_code == 400  # nothing left to do


def test_unknown_actions_and_garbage_are_400(as_user, community_world, wish):
    client = as_user(community_world.users.east)
    assert client.post(detail(wish), {"action": "teleport"}).status_code == 400
    assert client.post(detail(wish), {"action": "reject", "reject-note": ""}).status_code == 400
    assert client.get(reverse("community:wishes"), {"state": "<script>"}).status_code == 400


def test_activity_pages_record_participants_served_residents_and_photos(as_user, community_world, registered):
    from changji.community.models import Activity, ActivityServed

    grid_a = as_user(community_world.users.grid_a)
    bad = grid_a.post(reverse("community:activity_new"), {"region": community_world.grid_a.region_id,
                                                            "kind": "health", "title": "", "held_on": "2026-03-05"})
    assert bad.status_code == 400 and 'data-error-for="title"' in bad.content.decode()
    outside = grid_a.post(reverse("community:activity_new"), {
        "region": community_world.grid_c.region_id, "kind": "health", "title": "越权", "held_on": "2026-03-05"})
    assert outside.status_code == 400
    response = grid_a.post(reverse("community:activity_new"), {
        "region": community_world.grid_a.region_id, "kind": "health", "title": "健康义诊进小区",
        "held_on": "2026-03-05", "place": "幸福小区广场"})
    activity = Activity.objects.get(title="健康义诊进小区")
    url = reverse("community:activity_detail", args=[activity.pk])
    assert response.status_code == 302 and response["Location"] == url

    served = {"action": "served", "served-residents": [community_world.zhang.pk, community_world.li.pk]}
    assert grid_a.post(url, served).status_code == 302
    assert grid_a.post(url, served).status_code == 302  # again: counted once
    assert ActivityServed.objects.filter(activity=activity).count() == 2
    assert grid_a.post(url, {"action": "photo", "photo-photo": SimpleUploadedFile("p.png", b"\x89PNG"),
                             "photo-caption": "现场"}).status_code == 302
    assert 'id="form-participant"' not in grid_a.get(url).content.decode()  # members are the community's

    east = as_user(community_world.users.east)
    assert east.post(url, {"action": "participant", "participant-holder": f"member:{registered.member.pk}",
                           "participant-hours": "2.5"}).status_code == 302
    again = east.post(url, {"action": "participant", "participant-holder": f"member:{registered.member.pk}",
                            "participant-hours": "1"})
    assert again.status_code == 400 and "已登记" in again.content.decode()
    page = east.get(url).content.decode()
    assert 'id="served-count">2 人' in page and "2.5" in page and "张*" in page
    photo = activity.photos.get()
    assert east.get(reverse("community:activity_photo", args=[activity.pk, photo.pk])).status_code == 200
    listing = east.get(reverse("community:activities")).content.decode()
    assert 'id="figure-served">2<' in listing and 'id="figure-hours">2.5<' in listing

    grid_c = as_user(community_world.users.grid_c)
    assert grid_c.get(url).status_code == 404
    assert grid_c.get(reverse("community:activity_photo", args=[activity.pk, photo.pk])).status_code == 404


def test_a_resident_registered_at_street_level_is_a_form_error_and_their_wish_page_works(as_user, community_world):
    """Residents outside every grid keep the township as region.

    Posting for them is a 400 naming the resident, and a wish of theirs (recorded before) shows without a claim
    form instead of a 500.
    """
    from changji.community.models import MicroWish, Resident

    w = community_world
    Resident.objects.filter(pk=w.zhang.pk).update(region=w.town)
    client = as_user(w.users.street)
    response = client.post(reverse("community:wish_new"), {"resident": w.zhang.pk, "title": "陪同就医"})
    assert response.status_code == 400 and 'data-error-for="resident"' in response.content.decode()
    assert "未落到社区或网格" in response.content.decode()
    assert not MicroWish.objects.exists()

    old = MicroWish.objects.create(region=w.town, resident=Resident.objects.get(pk=w.zhang.pk), title="旧心愿",
                                   state=WishState.PUBLISHED, posted_at=timezone.now(), published_at=timezone.now())
    page = client.get(detail(old))
    assert page.status_code == 200 and 'id="form-claim"' not in page.content.decode()
    assert client.post(detail(old), {"action": "claim", "claim-claimant": "unit:1", "claim-hours": 72}).status_code \
        == 400


def test_a_page_showing_an_earlier_claim_cannot_release_the_current_one(as_user, community_world, registered, wish):
    """The release form carries the claim it showed; after the claim changed hands it is refused, not applied."""
    import re

    from changji.community.wishes import service as wishes

    east = as_user(community_world.users.east)
    wishes.review(wish, True, actor=community_world.users.east)
    wishes.claim(wish, member=registered.member, actor=community_world.users.east)
    page = east.get(detail(wish)).content.decode()
    seen = re.search(r'name="release-seen" value="([^"]*)"', page).group(1)
    wishes.release(wish, actor=community_world.users.east)
    wishes.claim(wish, unit=registered.unit, actor=community_world.users.east)

    response = east.post(detail(wish), {"action": "release", "release-note": "", "release-seen": seen})
    assert response.status_code == 400 and "心愿已被他人认领或状态已变化，请刷新" in response.content.decode()
    wish.refresh_from_db()
    assert (wish.state, wish.claimed_by_unit) == (WishState.CLAIMED, registered.unit)
