"""The dashboard, its XLSX export and the venue pages: scoped to the user's region, bad input is a 4xx."""

from __future__ import annotations

import io
from datetime import date, time, timedelta
from decimal import Decimal
from urllib.parse import unquote

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from changji.community.models import IssueCategory, PartyMember, ResidentIssue, Room, RoomBooking, RoomKind
from changji.core.models import AuditEntry, Region, RegionLevel

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(community_world):
    w = community_world
    category = IssueCategory.objects.create(code="noise", name="噪音扰民", responsible="grid")
    reported = timezone.now() - timedelta(days=2)
    for n, region in enumerate((w.grid_a.region, w.grid_b.region, w.grid_c.region)):
        ResidentIssue.objects.create(
            request_id=f"W{n}", category=category, region=region, description="噪音", channel="web",
            state="accepted", reported_at=reported, response_due_at=reported + timedelta(hours=24),
            responded_at=reported + timedelta(hours=1), level_started_at=reported,
            due_at=reported + timedelta(days=7), reporter_phone=w.zhang.phone)
    PartyMember.objects.create(region=w.east, name="王党员", registered_on=date(2025, 1, 1))
    w.office = Room.objects.create(region=w.east, name="书记办公室", kind=RoomKind.OFFICE, area_m2=Decimal("20"))
    w.art = Room.objects.create(region=w.east, name="书画室", kind=RoomKind.SERVICE, function="文化",
                                area_m2=Decimal("80"))
    w.hall = Room.objects.create(region=w.west, name="西城活动室", kind=RoomKind.SERVICE, area_m2=Decimal("60"))
    return w


def get(client, user, name, *args, **params):
    if user is not None:
        client.force_login(user)
    return client.get(reverse(f"community:{name}", args=args), params)


# --- dashboard ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["dashboard", "dashboard_export", "venues"])
def test_anonymous_users_are_sent_to_the_login_page(client, world, name):
    response = get(client, None, name)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_accounts_without_a_community_role_are_refused(client, world, make_user):
    clerk = make_user("clerk", "652328", role="window_clerk")
    assert get(client, clerk, "dashboard").status_code == 403
    assert get(client, clerk, "dashboard_export").status_code == 403


def test_the_street_officer_sees_the_town_its_communities_charts_and_targets(client, world):
    response = get(client, world.users.street, "dashboard")
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("网格治理总览", "木垒镇", "东城社区", "西城社区", "合计", "chart-wishes", "dashboard-data",
                 "echarts.min.js", "community/dashboard.js", "阵地“20 / 80 / 50 / 60”指标", "✗ 未达标",
                 reverse("community:dashboard_export")):
        assert text in html
    assert "点击社区名称查看" in html  # several communities: grids on drill-down
    assert world.zhang.phone not in html


def test_drilling_down_into_a_community_lists_its_grids(client, world):
    response = get(client, world.users.street, "dashboard", community=world.east.code)
    html = response.content.decode()
    assert response.status_code == 200
    assert "东城社区的网格" in html and "东城社区第一网格" in html and "东城社区第二网格" in html
    assert "西城社区第一网格" not in html


def test_a_community_worker_sees_their_community_only(client, world):
    response = get(client, world.users.east, "dashboard")
    html = response.content.decode()
    assert "东城社区第一网格" in html and "东城社区第二网格" in html  # one community: grids shown at once
    assert "西城社区" not in html
    assert get(client, world.users.east, "dashboard", community=world.west.code).status_code == 404


def test_a_grid_worker_sees_their_grid_only(client, world):
    html = get(client, world.users.grid_a, "dashboard").content.decode()
    assert "东城社区第一网格" in html
    assert "东城社区第二网格" not in html and "西城社区" not in html


def test_a_user_of_another_county_sees_nothing_of_this_town(client, world, make_user):
    other = make_user("qitai-street", "652325", role="street_officer")
    html = get(client, other, "dashboard").content.decode()
    assert "东城社区" not in html and "木垒镇" not in html and "辖区内暂无社区或网格" in html
    assert "东城社区" not in get(client, other, "venues").content.decode()


@pytest.mark.parametrize("year", ["abc", "1999", "20261", "-1", "9999", "²", "２０２６", "٢٠٢٦"])
def test_a_bad_year_is_a_400_with_a_message(client, world, year):
    client.force_login(world.users.street)
    response = get(client, None, "dashboard", year=year)
    assert response.status_code == 400 and "参数「year」应为 2000–" in response.content.decode()
    assert get(client, None, "dashboard_export", year=year).status_code == 400
    assert get(client, None, "venues", year=year).status_code == 400
    assert client.get(book_url(world.art), {"year": year}).status_code == 400


def test_a_past_year_is_shown(client, world):
    response = get(client, world.users.street, "dashboard", year="2024")
    assert response.status_code == 200 and "2024 年" in response.content.decode()


def test_the_export_downloads_the_scoped_workbook_with_a_chinese_file_name(client, world):
    response = get(client, world.users.east, "dashboard_export")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    year = timezone.localdate().year  # this year in Asia/Shanghai
    assert unquote(disposition.split("UTF-8''")[1]) == f"网格治理统计表-东城社区-{year}.xlsx"
    book = load_workbook(io.BytesIO(response.content))
    names = [row[1] for row in book["概览"].iter_rows(min_row=2, values_only=True)]
    assert "东城社区" in names and "西城社区" not in names


# --- venues -------------------------------------------------------------------------------------------------------


def test_the_venue_page_lists_rooms_targets_and_usage_days_in_scope(client, world):
    RoomBooking.objects.create(room=world.art, day=timezone.localdate(), starts_at=time(9), ends_at=time(10),
                               purpose="书法班")
    response = get(client, world.users.east, "venues")
    html = response.content.decode()
    assert response.status_code == 200
    for text in ("东城社区", "书记办公室", "办公用房", "书画室", "服务用房", "办公用房压减", "居民参与率",
                 "未达 50 天", reverse("community:venue_room", args=[world.art.pk])):
        assert text in html
    assert "西城活动室" not in html
    room = client.get(reverse("community:venue_room", args=[world.art.pk]))  # a booking with no booker
    assert room.status_code == 200 and "书法班" in room.content.decode()
    assert "辖区内无社区阵地数据" in get(client, world.users.grid_a, "venues").content.decode()
    Region.objects.create(code="652328100201", name="无网格村", level=RegionLevel.VILLAGE, parent=world.town)
    street = get(client, world.users.street, "venues").content.decode()
    assert "西城活动室" in street and "无网格村" not in street  # only communities with grids or rooms


def book_url(room):
    return reverse("community:venue_room", args=[room.pk])


def booking(**overrides):
    data = {"day": "2026-05-04", "starts_at": "09:00", "ends_at": "11:00", "purpose": "书法班", "attendance": "12"}
    data.update(overrides)
    return data


def test_a_booking_through_the_form_is_stored_audited_and_listed(client, world):
    client.force_login(world.users.east)
    response = client.post(book_url(world.art), booking())
    assert response.status_code == 302 and "year=2026" in response["Location"]
    stored = RoomBooking.objects.get()
    assert (stored.day, stored.starts_at, stored.booked_by) == (date(2026, 5, 4), time(9), world.users.east)
    assert AuditEntry.objects.filter(action="community.room.booked", actor=world.users.east).exists()
    html = client.get(response["Location"]).content.decode()
    assert "2026-05-04" in html and "09:00–11:00" in html and "使用 1 天" in html


def test_an_overlapping_booking_is_a_form_error(client, world):
    client.force_login(world.users.east)
    client.post(book_url(world.art), booking())
    response = client.post(book_url(world.art), booking(starts_at="10:00", ends_at="12:00", purpose="国画班"))
    assert response.status_code == 400
    assert "时段不能重叠" in response.content.decode() and RoomBooking.objects.count() == 1


@pytest.mark.parametrize("overrides, message", [
    ({"ends_at": "08:00"}, "结束时间应晚于开始时间"),
    ({"day": "2026-02-30"}, "有效的日期"),
    ({"purpose": ""}, "这个字段是必填项"),
    ({"attendance": "-3"}, "大于或等于0"),
])
def test_bad_booking_input_is_a_400_naming_the_field(client, world, overrides, message):
    client.force_login(world.users.east)
    response = client.post(book_url(world.art), booking(**overrides))
    assert response.status_code == 400 and message in response.content.decode()
    assert not RoomBooking.objects.exists()


def test_office_rooms_cannot_be_booked(client, world):
    client.force_login(world.users.east)
    page = client.get(book_url(world.office))
    assert page.status_code == 200 and "办公用房不可预约" in page.content.decode()
    response = client.post(book_url(world.office), booking())
    assert response.status_code == 400 and "只有服务用房可以预约" in response.content.decode()
    assert not RoomBooking.objects.exists()


def test_rooms_outside_the_scope_are_not_found(client, world):
    client.force_login(world.users.grid_c)
    assert client.get(book_url(world.art)).status_code == 404
    assert client.post(book_url(world.art), booking()).status_code == 404
    client.force_login(world.users.east)
    assert client.post(book_url(world.hall), booking()).status_code == 404
    assert not RoomBooking.objects.exists()
