"""Pages of residents, members, units and points: masking everywhere (incl. the export), scope, form errors."""

from __future__ import annotations

import zipfile
from datetime import date
from io import BytesIO

import pytest
from django.urls import reverse

ZHANG_ID, ZHANG_PHONE = "652328199001011234", "13912345678"
MEMBER_ID = "652328198506120037"


@pytest.fixture
def as_user(client):
    def log_in(user):
        client.force_login(user)
        return client

    return log_in


def test_residents_are_listed_masked_and_scoped(as_user, community_world):
    text = as_user(community_world.users.grid_a).get(reverse("community:residents")).content.decode()
    assert "张三" in text and "652328********1234" in text and "139****5678" in text and "独居老人" in text
    assert ZHANG_ID not in text and ZHANG_PHONE not in text
    other = as_user(community_world.users.grid_c).get(reverse("community:residents")).content.decode()
    assert "张三" not in other


def test_residents_filter_by_care_tag_and_building(as_user, community_world):
    client = as_user(community_world.users.east)
    tagged = client.get(reverse("community:residents"), {"tag": "elderly_alone"}).content.decode()
    assert "张三" in tagged and "李四" not in tagged
    building = client.get(reverse("community:residents"), {"building": community_world.building.pk}).content.decode()
    assert "张三" in building and "李四" in building
    assert client.get(reverse("community:residents"), {"page": "99"}).status_code == 200  # past the last: the last
    for junk in ({"building": "x"}, {"building": "²"}, {"building": "1" + "0" * 30}, {"tag": "?"}, {"page": "0"}):
        assert client.get(reverse("community:residents"), junk).status_code == 400, junk


def test_the_resident_export_never_holds_a_whole_id_number(as_user, community_world):
    from openpyxl import load_workbook

    response = as_user(community_world.users.east).get(reverse("community:residents_export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    with zipfile.ZipFile(BytesIO(response.content)) as archive:
        raw = b"".join(archive.read(name) for name in archive.namelist())
    assert ZHANG_ID.encode() not in raw and ZHANG_PHONE.encode() not in raw
    assert b"652328199202021235" not in raw
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1][:3] == ("张三", "652328********1234", "139****5678")
    assert len(rows) == 3
    outside = as_user(community_world.users.grid_c).get(reverse("community:residents_export"))
    assert len(list(load_workbook(BytesIO(outside.content)).active.iter_rows())) == 1


def test_a_community_worker_registers_a_member_and_the_page_masks_them(as_user, community_world):
    from changji.community.models import PartyMember

    client = as_user(community_world.users.east)
    form = {"action": "register", "register-community": community_world.east.code, "register-name": "王五",
            "register-id_number": MEMBER_ID[:-1] + "8", "register-phone": "13800000001", "register-kind": "in_service",
            "register-work_unit": "县教育局", "register-registered_on": "2026-01-05"}
    bad = client.post(reverse("community:members"), form)
    assert bad.status_code == 400 and 'data-error-for="register-id_number"' in bad.content.decode()
    assert client.post(reverse("community:members"), {**form, "register-id_number": MEMBER_ID}).status_code == 302
    assert PartyMember.objects.get().region == community_world.east
    outside = client.post(reverse("community:members"), {**form, "register-community": community_world.west.code,
                                                          "register-id_number": "11010119900307889X"})
    assert outside.status_code == 400 and 'data-error-for="register-community"' in outside.content.decode()
    page = client.get(reverse("community:members")).content.decode()
    assert "652328********0037" in page and "138****0001" in page and MEMBER_ID not in page


def test_posts_are_offered_and_claimed_from_the_members_page(as_user, community_world):
    from changji.community.models import PostClaim
    from changji.community.people import register_member

    member = register_member(community_world.east, "王五", MEMBER_ID, "", "县教育局", "in_service", date(2026, 1, 5),
                             actor=None)
    client = as_user(community_world.users.east)
    assert client.post(reverse("community:members"), {
        "action": "post", "post-community": community_world.east.code, "post-name": "政策宣传员",
        "post-capacity": 1}).status_code == 302
    from changji.community.models import Post

    post = Post.objects.get()
    claim = {"action": "claim", "claim-post": post.pk, "claim-member": member.pk}
    assert client.post(reverse("community:members"), claim).status_code == 302
    again = client.post(reverse("community:members"), claim)
    assert again.status_code == 400 and "已认领" in again.content.decode()
    assert PostClaim.objects.count() == 1
    assert "王五" in client.get(reverse("community:members")).content.decode().split('id="post-table"')[1]


def test_a_grid_worker_gets_no_member_or_unit_forms(as_user, community_world):
    client = as_user(community_world.users.grid_a)
    assert 'id="form-register"' not in client.get(reverse("community:members")).content.decode()
    assert client.post(reverse("community:members"), {"action": "register"}).status_code == 400
    assert client.post(reverse("community:units"), {"name": "x"}).status_code == 400


def test_units_sign_one_book_four_lists_and_mark_entries_done(as_user, community_world):
    from changji.community.models import AgreementEntry, CoBuildingUnit

    client = as_user(community_world.users.east)
    response = client.post(reverse("community:units"), {
        "community": community_world.east.code, "name": "县供电公司", "contact_name": "赵六",
        "contact_phone": "13800000002", "registered_on": "2026-01-06"})
    unit = CoBuildingUnit.objects.get()
    url = reverse("community:unit_detail", args=[unit.pk])
    assert response.status_code == 302 and response["Location"] == url
    lists = {"action": "sign", "year": 2026, "commitment": "共驻共建承诺书", "needs": "老旧线路改造",
             "resources": "电工志愿服务队\n应急发电车", "projects": "安全用电进社区", "responsibilities": "  \n"}
    missing = client.post(url, lists)
    assert missing.status_code == 400 and 'data-error-for="responsibilities"' in missing.content.decode()
    assert client.post(url, {**lists, "responsibilities": "每季度入户检查"}).status_code == 302
    assert AgreementEntry.objects.count() == 5
    entry = AgreementEntry.objects.get(text="应急发电车")
    assert client.post(url, {"action": "done", "entry": entry.pk}).status_code == 302
    assert client.post(url, {"action": "done", "entry": entry.pk}).status_code == 400
    assert client.post(url, {"action": "done", "entry": "abc"}).status_code == 400
    page = client.get(url).content.decode()
    assert "签订年度一书四单" in page and "138****0002" in page and "13800000002" not in page
    assert as_user(community_world.users.grid_c).get(url).status_code == 404


def test_points_periods_are_created_closed_once_and_stay_frozen(as_user, community_world):
    from changji.community.models import PointPeriod
    from changji.community.people import register_member
    from changji.community.points import award

    member = register_member(community_world.east, "王五", MEMBER_ID, "", "县教育局", "in_service", date(2026, 1, 5),
                             actor=None)
    client = as_user(community_world.users.east)
    bad = client.post(reverse("community:points"), {
        "action": "period", "community": community_world.east.code, "name": "一季度", "starts_on": "2026-03-31",
        "ends_on": "2026-01-01"})
    assert bad.status_code == 400 and 'data-error-for="ends_on"' in bad.content.decode()
    assert client.post(reverse("community:points"), {
        "action": "period", "community": community_world.east.code, "name": "一季度", "starts_on": "2026-01-01",
        "ends_on": "2026-03-31"}).status_code == 302
    period = PointPeriod.objects.get()
    award("wish_confirmed", member, "wish:1", date(2026, 2, 1))
    grid_a = as_user(community_world.users.grid_a)
    assert grid_a.post(reverse("community:points"), {"action": "close", "period": period.pk}).status_code == 400
    client = as_user(community_world.users.east)
    assert client.post(reverse("community:points"), {"action": "close", "period": period.pk}).status_code == 302
    assert client.post(reverse("community:points"), {"action": "close", "period": period.pk}).status_code == 400
    assert client.post(reverse("community:points"), {"action": "close", "period": "x"}).status_code == 400
    award("wish_confirmed", member, "wish:2", date(2026, 3, 1))  # late: the live ranking moves, the period not
    page = client.get(reverse("community:points"), {"starts_on": "2026-01-01", "ends_on": "2026-12-31"})
    text = page.content.decode()
    assert "排名已冻结" in text
    period_block = text.split(f'data-period="{period.pk}"')[1]
    assert ">10<" in period_block and ">20<" not in period_block
    assert ">20<" in text.split('id="live-ranking"')[1].split('id="periods"')[0]
    west = as_user(community_world.users.grid_c)
    assert west.post(reverse("community:points"), {"action": "close", "period": period.pk}).status_code in (400, 404)


PAGES = ("wishes", "wish_new", "activities", "activity_new", "residents", "residents_export", "members", "units",
         "points")


@pytest.mark.parametrize("who", ["grid_a", "east", "street", "superuser"])
def test_every_page_opens_for_every_level(as_user, community_world, make_user, who):
    """Grid, community, street and an unbounded superuser: every page renders (with or without its forms)."""
    from changji.community.wishes.service import post_wish

    post_wish(community_world.zhang, "陪同就医", actor=None)
    user = (make_user("root", None, is_superuser=True, is_staff=True) if who == "superuser"
            else getattr(community_world.users, who))
    client = as_user(user)
    for name in PAGES:
        assert client.get(reverse(f"community:{name}")).status_code == 200, name
