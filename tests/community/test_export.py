"""The dashboard workbook: read back with openpyxl; sheets, headers, figures, formats, and no personal data."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from changji.community.dashboard import community_figures
from changji.community.export import dashboard_workbook
from changji.community.models import (
    CoBuildingUnit,
    IssueCategory,
    PartyMember,
    PointEntry,
    PointRule,
    ResidentIssue,
    Room,
    RoomKind,
    VenueBaseline,
)

NOW = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)
MEMBER_ID, MEMBER_PHONE, UNIT_PHONE = "652328198001010011", "13800000001", "13800000002"


@pytest.fixture
def workbook(community_world):
    w = community_world
    category = IssueCategory.objects.create(code="noise", name="噪音扰民", responsible="grid")
    reported = NOW - timedelta(days=3)
    for n, (region, state, satisfied) in enumerate(((w.grid_a.region, "closed", True),
                                                    (w.grid_a.region, "resolved", False),
                                                    (w.grid_c.region, "accepted", None))):
        ResidentIssue.objects.create(
            request_id=f"X{n}", category=category, region=region, description="噪音", channel="grid_worker",
            state=state, reported_at=reported, response_due_at=reported + timedelta(hours=24),
            responded_at=reported + timedelta(hours=1), level_started_at=reported, due_at=NOW + timedelta(days=3),
            satisfied=satisfied, reporter_name=w.zhang.name, reporter_phone=w.zhang.phone)
    member = PartyMember.objects.create(region=w.east, name="王党员", id_number=MEMBER_ID, phone=MEMBER_PHONE,
                                        registered_on=date(2025, 1, 1))
    unit = CoBuildingUnit.objects.create(region=w.east, name="县供电公司", contact_name="刘联系",
                                         contact_phone=UNIT_PHONE, registered_on=date(2025, 1, 1))
    rule = PointRule.objects.create(code="wish", name="认领微心愿", points=10)
    PointEntry.objects.create(region=w.east, unit=unit, rule=rule, points=30, earned_on=date(2026, 3, 1), source="a")
    PointEntry.objects.create(region=w.east, member=member, rule=rule, points=10, earned_on=date(2026, 3, 1),
                              source="a")
    Room.objects.create(region=w.east, name="办公室", kind=RoomKind.OFFICE, area_m2=Decimal("20"))
    Room.objects.create(region=w.east, name="书画室", kind=RoomKind.SERVICE, function="文化", area_m2=Decimal("80"))
    VenueBaseline.objects.create(region=w.east, office_area_before_m2=Decimal("25"))
    content = dashboard_workbook(community_figures(w.town, 2026, NOW))
    return load_workbook(io.BytesIO(content))


def rows_of(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_workbook_has_the_five_sheets_with_chinese_headers_and_frozen_header_rows(workbook):
    assert workbook.sheetnames[:5] == ["概览", "网格", "接诉即办", "积分排名", "阵地指标"]
    for title in ("概览", "网格", "接诉即办", "积分排名", "阵地指标"):
        assert workbook[title].freeze_panes == "A2"
        assert workbook[title].column_dimensions["B"].width >= 10
    overview = rows_of(workbook["概览"])
    assert overview[0][:4] == ["区划代码", "名称", "层级", "报到党员（人）"]
    assert "满意率（%）" in overview[0]
    assert rows_of(workbook["接诉即办"])[0][:5] == ["区划代码", "名称", "层级", "诉求总数（件）", "待响应（件）"]
    assert rows_of(workbook["积分排名"])[0] == ["类别", "名次", "名称", "社区", "积分（分）"]


def test_the_figures_and_rates_are_in_their_rows_with_percentage_formats(workbook):
    overview = workbook["概览"]
    header = [cell.value for cell in overview[1]]
    by_name = {row[1].value: row for row in overview.iter_rows(min_row=2)}
    assert list(by_name) == ["木垒镇", "东城社区", "西城社区", "合计"]
    east = by_name["东城社区"]
    assert east[header.index("诉求（件）")].value == 2
    assert east[header.index("报到党员（人）")].value == 1 and east[header.index("居民（人）")].value == 2
    satisfaction = east[header.index("满意率（%）")]
    assert satisfaction.value == pytest.approx(0.5) and satisfaction.number_format == "0.0%"
    assert by_name["合计"][header.index("诉求（件）")].value == 3
    assert by_name["西城社区"][header.index("满意率（%）")].value is None  # nothing rated: blank, not 0 %
    grids = rows_of(workbook["网格"])
    assert [row[1] for row in grids[1:]] == ["东城社区第一网格", "东城社区第二网格", "西城社区第一网格"]
    ranking = rows_of(workbook["积分排名"])
    assert ranking[1:] == [["共建单位", 1, "县供电公司", "东城社区", 30], ["党员", 1, "王党员", "东城社区", 10]]
    venues = workbook["阵地指标"]
    vheader = [cell.value for cell in venues[1]]
    east_venue = next(row for row in venues.iter_rows(min_row=2) if row[1].value == "东城社区")
    cut = east_venue[vheader.index("办公用房压减（%，≥20%）")]
    assert cut.value == pytest.approx(0.2) and cut.number_format == "0.0%"
    assert east_venue[vheader.index("压减达标")].value == "达标"
    assert east_venue[vheader.index("使用达标")].value == "未达标"
    assert any(row[:2] == ("东城社区", "书画室") for row in venues.iter_rows(values_only=True))


def test_no_identity_number_phone_or_resident_name_appears_anywhere(workbook, community_world):
    w = community_world
    forbidden = [w.zhang.id_number, w.li.id_number, w.zhang.phone, w.li.phone, MEMBER_ID, MEMBER_PHONE, UNIT_PHONE,
                 w.zhang.name, w.li.name, "刘联系"]
    text = "\n".join(str(value) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)
                     for value in row if value is not None)
    assert "东城社区" in text
    for value in forbidden:
        assert value not in text


def test_member_and_unit_names_that_look_like_formulas_stay_text(community_world):
    """Names are typed by staff; one starting with = + - @ tab or CR is written as text, never as a formula."""
    w = community_world
    rule = PointRule.objects.create(code="wish", name="认领微心愿", points=10)
    names = ['=HYPERLINK("http://evil.example","点我")', "@SUM(1,1)", "+1", "-2+3", "\t=1", "\r=1"]
    for number, name in enumerate(names):
        member = PartyMember.objects.create(region=w.east, name=name, registered_on=date(2025, 1, 1))
        unit = CoBuildingUnit.objects.create(region=w.east, name=name, registered_on=date(2025, 1, 1))
        PointEntry.objects.create(region=w.east, member=member, rule=rule, points=10 + number,
                                  earned_on=date(2026, 3, 1), source="a")
        PointEntry.objects.create(region=w.east, unit=unit, rule=rule, points=30 + number,
                                  earned_on=date(2026, 3, 1), source="a")
    book = load_workbook(io.BytesIO(dashboard_workbook(community_figures(w.town, 2026, NOW))))
    read_back = [name.replace("\r", "\n") for name in names]  # XML reads a CR back as LF
    cells = [row[2] for row in book["积分排名"].iter_rows(min_row=2)]
    assert sorted(c.value for c in cells) == sorted(read_back * 2)  # each name once as a unit, once as a member
    assert {(c.data_type, c.quotePrefix) for c in cells} == {("s", True)}
    assert {row[4].data_type for row in book["积分排名"].iter_rows(min_row=2)} == {"n"}
