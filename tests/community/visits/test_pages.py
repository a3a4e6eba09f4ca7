"""The visit, care and residents' meeting pages: forms, filters, bad input 400, scope 404, the XLSX exports."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from changji.community.issues.categories import seed_categories
from changji.community.models import CareHousehold, IssueCategory, ResidentIssue, ResidentsMeeting, Visit
from changji.community.visits import service

pytestmark = pytest.mark.django_db


def _local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _cells(response):
    book = load_workbook(BytesIO(response.content))
    return [[cell for cell in row] for row in book.active.iter_rows(values_only=True)]


def test_a_grid_worker_records_a_visit_and_completes_its_follow_up(client, community_world):
    w = community_world
    client.force_login(w.users.grid_a)
    form = client.get(reverse("community:visit_new"), {"q": "1-101"}).content.decode()
    assert "幸福小区 1号楼 1-101" in form
    response = client.post(reverse("community:visit_new"), {
        "household": w.household.pk, "kind": "secretary", "visited_at": _local(timezone.now()),
        "topic": "书记爱串门：了解冬季取暖", "follow_up": "反映给供热站", "follow_up_due_on": timezone.localdate()})
    visit = Visit.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("community:visit_detail", args=[visit.pk])
    listed = client.get(reverse("community:visits"), {"open": "1", "kind": "secretary"}).content.decode()
    assert "书记爱串门：了解冬季取暖" in listed
    done = client.post(reverse("community:visit_detail", args=[visit.pk]),
                       {"action": "follow_up_done", "done-done_on": timezone.localdate(), "done-note": "已反映"})
    assert done.status_code == 302
    assert "了解冬季取暖" not in client.get(reverse("community:visits"), {"open": "1"}).content.decode()


@pytest.mark.parametrize("junk", [{"grid": "x"}, {"kind": "party"}, {"from": "2026-13-01"}, {"to": "yesterday"},
                                  {"open": "yes"}, {"page": "0"}, {"visitor": "x" * 200}])
def test_bad_filters_of_the_visit_list_are_400(client, community_world, junk):
    client.force_login(community_world.users.east)
    assert client.get(reverse("community:visits"), junk).status_code == 400
    if "page" not in junk:  # the export is not paged
        assert client.get(reverse("community:visits_export"), junk).status_code == 400


@pytest.mark.parametrize("junk", [{"worker": "x"}, {"tag": "rich"}, {"overdue": "2"}])
def test_bad_filters_of_the_care_list_are_400(client, community_world, junk):
    client.force_login(community_world.users.east)
    assert client.get(reverse("community:care"), junk).status_code == 400


def test_a_visit_in_the_future_or_to_another_grid_is_refused_with_400(client, community_world):
    w = community_world
    client.force_login(w.users.grid_c)
    foreign = client.post(reverse("community:visit_new"), {
        "household": w.household.pk, "kind": "home", "visited_at": _local(timezone.now()), "topic": "走访"})
    assert foreign.status_code == 400  # not a choice: the household lies outside grid C
    client.force_login(w.users.grid_a)
    future = client.post(reverse("community:visit_new"), {
        "household": w.household.pk, "kind": "home", "visited_at": _local(timezone.now() + timedelta(days=2)),
        "topic": "走访"})
    assert future.status_code == 400 and "走访时间不能晚于当前时间" in future.content.decode()
    assert not Visit.objects.exists()


def test_another_grids_visit_and_care_household_are_404(client, community_world):
    w = community_world
    now = timezone.now()
    visit = service.record_visit(w.users.grid_a, household=w.household, visited_at=now, topic="走访", now=now)
    entry = service.tag_for_care(w.household, ["disabled"], w.users.grid_a, today=timezone.localdate())
    client.force_login(w.users.grid_c)
    for url in (reverse("community:visit_detail", args=[visit.pk]), reverse("community:care_detail", args=[entry.pk])):
        assert client.get(url).status_code == 404
        assert client.post(url, {"action": "stop", "stop-reason": "越权"}).status_code == 404
    assert CareHousehold.objects.get().active
    assert "1-101" not in client.get(reverse("community:care")).content.decode()


def test_the_care_page_shows_the_overdue_household_under_its_worker_and_exports_it(client, community_world):
    w = community_world
    today = timezone.localdate()
    client.force_login(w.users.east)
    response = client.post(reverse("community:care_new"), {
        "household": w.household.pk, "tags": ["elderly_alone"], "worker": w.users.grid_a.pk, "note": "独居"})
    entry = CareHousehold.objects.get()
    assert response.status_code == 302 and entry.visit_every_days == 7 and entry.worker == w.users.grid_a
    CareHousehold.objects.filter(pk=entry.pk).update(since=today - timedelta(days=12))
    page = client.get(reverse("community:care"), {"overdue": "1"}).content.decode()
    assert 'data-worker="grid-a"' in page and 'data-overdue="5"' in page
    rows = _cells(client.get(reverse("community:care_export"), {"overdue": "1"}))
    assert rows[0][0] == "网格" and rows[1][1] == "幸福小区 1号楼 1-101" and rows[1][4] == "grid-a"
    assert rows[1][5] is None and rows[1][7] == 5
    stop = client.post(reverse("community:care_detail", args=[entry.pk]), {"action": "stop", "stop-reason": "迁出"})
    assert stop.status_code == 302 and not CareHousehold.objects.get().active
    assert 'data-overdue' not in client.get(reverse("community:care")).content.decode()


def test_the_visit_export_is_scoped_and_formula_safe(client, community_world):
    w = community_world
    now = timezone.now()
    service.record_visit(w.users.grid_a, household=w.household, visited_at=now, topic="=HYPERLINK(\"x\")", now=now)
    service.record_visit(w.users.grid_c, compound=w.harmony, visited_at=now, topic="西城巡访", now=now)
    client.force_login(w.users.grid_a)
    response = client.get(reverse("community:visits_export"))
    rows = _cells(response)
    assert len(rows) == 2 and rows[0][0] == "走访时间"
    topic = load_workbook(BytesIO(response.content)).active.cell(row=2, column=6)
    assert (topic.value, topic.data_type, topic.quotePrefix) == ('=HYPERLINK("x")', "s", True)  # text, not a formula
    assert all("西城巡访" not in (cell or "") for row in rows for cell in row)


def test_the_residents_meeting_form_files_the_filled_rows_only(client, community_world):
    w = community_world
    seed_categories()
    property_, roads = (IssueCategory.objects.get(code=c).pk for c in ("property", "roads"))
    client.force_login(w.users.east)
    base = {"region": w.east.code, "kind": "talk", "held_at": _local(timezone.now() - timedelta(hours=1)),
            "place": "社区议事厅", "host": "社区书记", "attendee_count": "30", "topics": "老旧小区改造"}
    missing_grid = client.post(reverse("community:residents_meeting_new"), {
        **base, "raised_1_category": property_, "raised_1_description": "屋顶漏水"})
    assert missing_grid.status_code == 400 and "请为诉求选择网格" in missing_grid.content.decode()
    half = client.post(reverse("community:residents_meeting_new"), {**base, "raised_2_description": "无类别"})
    assert half.status_code == 400 and not ResidentsMeeting.objects.exists()
    response = client.post(reverse("community:residents_meeting_new"), {
        **base, "raised_1_category": property_, "raised_1_description": "屋顶漏水",
        "raised_1_grid": w.grid_a.region_id, "raised_3_category": roads, "raised_3_description": "路灯不亮",
        "raised_3_grid": w.grid_b.region_id})
    meeting = ResidentsMeeting.objects.get()
    assert response.status_code == 302
    assert sorted(ResidentIssue.objects.filter(raised_at_meeting=meeting).values_list("region_id", flat=True)) == [
        w.grid_a.region_id, w.grid_b.region_id]
    listed = client.get(reverse("community:residents_meetings"), {"kind": "talk"}).content.decode()
    assert "社区议事厅" in listed
    assert client.get(reverse("community:residents_meetings"), {"kind": "x"}).status_code == 400
    client.force_login(w.users.grid_c)
    assert client.get(reverse("community:residents_meeting_detail", args=[meeting.pk])).status_code == 404
