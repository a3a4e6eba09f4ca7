"""Every community list pages through 50 rows: nothing lost or repeated, the filters kept in the pager's links."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from changji.community.models import CoBuildingUnit, MicroWish, PartyMember
from changji.community.wishes.workflow import WishState

pytestmark = pytest.mark.django_db


def walk(client, url: str, marker: str, **query) -> tuple[list[str], list[str]]:
    """The ``marker`` attribute of every row over all pages (following the 下一页 links) and the links followed."""
    seen, links = [], []
    response = client.get(url, query)
    while True:
        assert response.status_code == 200
        html = response.content.decode()
        seen += re.findall(rf'{marker}="(\d+)"', html)
        following = re.search(r'<a href="\?([^"]*)">下一页</a>', html)
        if not following:
            return seen, links
        links.append(following.group(1).replace("&amp;", "&"))
        response = client.get(f"{url}?{links[-1]}")


@pytest.fixture
def wishes(community_world):
    w, start = community_world, datetime(2026, 3, 1, tzinfo=UTC)
    MicroWish.objects.bulk_create(MicroWish(
        region=w.grid_a.region, resident=w.zhang, title=f"心愿{n}", posted_at=start + timedelta(hours=n),
        state=WishState.PUBLISHED if n % 2 else WishState.CONFIRMED,
        published_at=start + timedelta(hours=n) if n % 2 else None) for n in range(120))
    return community_world


def test_the_wish_list_walks_all_120_wishes_without_losing_or_repeating_one(client, wishes):
    client.force_login(wishes.users.east)
    seen, links = walk(client, "/community/wishes/", "data-wish")
    assert len(links) == 2  # 50 + 50 + 20
    assert sorted(map(int, seen)) == sorted(MicroWish.objects.values_list("pk", flat=True))


def test_the_state_filter_is_kept_across_pages(client, wishes):
    client.force_login(wishes.users.east)
    seen, links = walk(client, "/community/wishes/", "data-wish", state="published")
    assert len(seen) == 60 and len(set(seen)) == 60
    assert links and all("state=published" in link for link in links)
    assert set(map(int, seen)) == set(MicroWish.objects.filter(state=WishState.PUBLISHED).values_list("pk", flat=True))


def test_the_board_is_labelled_as_the_top_12_and_links_to_the_full_list(client, wishes):
    client.force_login(wishes.users.east)
    html = client.get("/community/wishes/").content.decode()
    assert "等待最久的 12 条（共 60 条" in html and 'href="?state=published"' in html
    assert html.count('class="wish-card"') == 12


def test_a_page_past_the_last_shows_the_last_and_a_bad_page_is_a_400(client, wishes):
    client.force_login(wishes.users.east)
    assert "第 3 / 3 页" in client.get("/community/wishes/", {"page": 99}).content.decode()
    response = client.get("/community/wishes/", {"page": "x"})
    assert response.status_code == 400 and "page" in response.content.decode()


def test_members_and_units_page_with_their_name_filter(client, community_world):
    w = community_world
    PartyMember.objects.bulk_create(PartyMember(region=w.east, name=f"{'王' if n % 3 else '李'}党员{n:03d}",
                                                registered_on=date(2026, 1, 1)) for n in range(130))
    CoBuildingUnit.objects.bulk_create(CoBuildingUnit(region=w.east, name=f"共建单位{n:03d}",
                                                      registered_on=date(2026, 1, 1)) for n in range(75))
    client.force_login(w.users.east)
    seen, links = walk(client, "/community/members/", "data-member")
    assert len(seen) == 130 == len(set(seen)) and len(links) == 2
    seen, links = walk(client, "/community/members/", "data-member", q="李")
    assert len(seen) == 44 and all("q=%E6%9D%8E" in link for link in links)
    seen, links = walk(client, "/community/members/units/", "data-unit")
    assert len(seen) == 75 == len(set(seen)) and len(links) == 1
