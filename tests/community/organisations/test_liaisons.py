"""包联 to a compound and a grid, their duties, the points earned there, and the 包联 workbook."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from changji.community.models import CoBuildingUnit, Liaison, LiaisonDuty, PartyMember, PointEntry, PointRule
from changji.community.organisations import liaison_sheet, liaisons
from changji.community.organisations.errors import OrganisationError
from changji.core.models import AuditEntry

pytestmark = pytest.mark.django_db

START = date(2026, 3, 1)


@pytest.fixture
def rule(db):
    return PointRule.objects.create(code="wish", name="认领微心愿", points=5)


def _earn(rule, community, on: date, points: int, **holder) -> None:
    PointEntry.objects.create(region=community, rule=rule, points=points, earned_on=on,
                              source=f"test-{community.code}-{on}", **holder)


def test_a_unit_attached_to_a_grid_earns_its_points_in_that_community_while_attached(community_world, rule):
    w = community_world
    unit = CoBuildingUnit.objects.create(region=w.east, name="县供电公司", registered_on=START)
    liaison = liaisons.attach(liaisons.Attachment(kind="unit", starts_on=START, region=w.grid_b.region, unit=unit),
                              w.users.east, [("needs", "加装路灯"), ("projects", "线路改造")])
    assert (liaison.name, liaison.region_id) == ("县供电公司", w.grid_b.region_id)
    _earn(rule, w.east, date(2026, 2, 1), 100, unit=unit)  # before the attachment
    _earn(rule, w.east, date(2026, 3, 5), 5, unit=unit)
    _earn(rule, w.east, date(2026, 4, 5), 7, unit=unit)
    _earn(rule, w.west, date(2026, 4, 5), 50, unit=unit)  # another community
    assert liaisons.points_earned_there(liaison) == 12
    liaisons.end(liaison, w.users.east, date(2026, 3, 31), "调整包联")
    assert liaisons.points_earned_there(liaison) == 5
    with pytest.raises(OrganisationError, match="已于 2026-03-31 结束"):
        liaisons.add_duty(liaison, w.users.east, "needs", "又一项")
    assert AuditEntry.objects.filter(action="community.liaison.attach", object_id=str(liaison.pk)).exists()


def test_a_member_attached_to_a_compound_names_the_compound_and_its_grid(community_world, rule):
    w = community_world
    member = PartyMember.objects.create(region=w.east, name="王五", registered_on=START)
    liaison = liaisons.attach(liaisons.Attachment(kind="cadre", starts_on=START, compound=w.happy, member=member,
                                                  title="县住建局干部"), w.users.east, [("responsibilities", "走访")])
    assert (liaison.region_id, liaison.compound_id, liaison.name) == (w.grid_a.region_id, w.happy.pk, "王五")
    _earn(rule, w.east, date(2026, 3, 2), 9, member=member)
    assert liaisons.points_earned_there(liaison) == 9
    duty = liaison.duties.get()
    liaisons.complete_duty(duty, w.users.east, date(2026, 3, 10))
    assert LiaisonDuty.objects.get(pk=duty.pk).done_on == date(2026, 3, 10)


def test_a_leader_without_unit_or_member_earns_no_points(community_world):
    w = community_world
    liaison = liaisons.attach(liaisons.Attachment(kind="leader", starts_on=START, region=w.east, name="李副县长"),
                              w.users.street)
    assert liaisons.points_earned_there(liaison) == 0


@pytest.mark.parametrize(("attachment", "field"), [
    ({"kind": "leader", "name": "越权"}, "region"),  # 西城 is outside the east worker's scope
    ({"kind": "unit", "name": "无单位"}, "unit"),
    ({"kind": "boss", "name": "未知类别"}, "kind"),
    ({"kind": "leader", "name": ""}, "name"),
])
def test_refused_attachments_store_nothing(community_world, attachment, field):
    w = community_world
    region = w.west if attachment["name"] == "越权" else w.east
    with pytest.raises(OrganisationError) as refused:
        liaisons.attach(liaisons.Attachment(starts_on=START, region=region, **attachment), w.users.east)
    assert refused.value.field == field
    assert not Liaison.objects.exists()


def test_a_unit_of_another_community_and_a_compound_outside_scope_are_refused(community_world):
    w = community_world
    unit = CoBuildingUnit.objects.create(region=w.west, name="西城单位", registered_on=START)
    with pytest.raises(OrganisationError, match="未在该社区报到"):
        liaisons.attach(liaisons.Attachment(kind="unit", starts_on=START, region=w.grid_a.region, unit=unit),
                        w.users.street)
    with pytest.raises(OrganisationError, match="不在您的管辖范围内"):
        liaisons.attach(liaisons.Attachment(kind="cadre", starts_on=START, compound=w.harmony, name="某干部"),
                        w.users.east)


def _workbook(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = liaison_sheet.SHEET
    sheet.append(list(liaison_sheet.COLUMNS))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_export_imports_again_unchanged(community_world):
    w = community_world
    CoBuildingUnit.objects.create(region=w.east, name="县供电公司", registered_on=START)
    content = _workbook([
        ["652328100001001", "幸福小区", "机关干部", "=HYPERLINK(\"x\")", "县住建局干部", "", "2026-03-01", "", "", "",
         "", ""],
        ["652328100001002", "", "共建单位", "县供电公司", "", "", "2026-03-01", "", "加装路灯；修缮凉亭", "", "", ""],
    ])
    refused = liaison_sheet.import_liaisons(content, w.users.east)
    assert refused.errors == ["包联 第 2 行 姓名或单位：是公式（=HYPERLINK(\"x\")），请把公式转为数值后再导入"]
    content = _workbook([
        ["652328100001001", "幸福小区", "机关干部", "张干部", "县住建局干部", "", "2026-03-01", "", "", "", "", ""],
        ["652328100001002", "", "共建单位", "县供电公司", "", "", "2026-03-01", "", "加装路灯；修缮凉亭", "", "", ""],
    ])
    result = liaison_sheet.import_liaisons(content, w.users.east)
    assert (result.errors, result.created) == ([], 2)
    duties = Liaison.objects.get(name="县供电公司").duties.values_list("text", flat=True)
    assert sorted(duties) == ["修缮凉亭", "加装路灯"]
    exported = liaison_sheet.export_liaisons(Liaison.objects.order_by("pk"))
    rows = list(load_workbook(io.BytesIO(exported)).active.values)
    assert rows[1][:4] == ("652328100001001", "幸福小区", "机关干部", "张干部")
    again = liaison_sheet.import_liaisons(exported, w.users.east)
    assert (again.errors, again.created, again.unchanged) == ([], 0, 2)


def test_an_import_with_one_bad_row_saves_nothing_and_names_every_row(community_world):
    w = community_world
    content = _workbook([
        ["652328100001", "", "县乡领导", "李副县长", "副县长", "", "2026-03-01", "", "", "", "", ""],
        ["652328100002", "", "县乡领导", "越权领导", "", "", "2026-03-01", "", "", "", "", ""],
        ["652328100001", "", "局长", "某人", "", "", "2026-13-01", "", "", "", "", ""],
        ["652328100001", "无此小区", "机关干部", "某人", "", "", "2026-03-01", "", "", "", "", ""],
    ])
    result = liaison_sheet.import_liaisons(content, w.users.east)
    assert result.errors == [
        "包联 第 3 行 区划代码：西城社区 不在您的管辖范围内",
        "包联 第 4 行 类别：应为县乡领导、机关干部、共建单位之一",
        "包联 第 5 行 小区：东城社区没有名为「无此小区」的小区",
    ]
    assert not Liaison.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="community.liaison").exists()
