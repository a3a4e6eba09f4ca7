"""XLSX import and export of norms and crop plans: row-level errors, all or nothing, round trip, scope."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from changji.core.exports import FormulaSafeWorkbook, active_worksheet, append_row, workbook_bytes
from changji.core.models import AuditEntry
from changji.core.uploads import UploadError
from changji.water.models import CropPlan, QuotaNorm
from changji.water.norms import xlsx

pytestmark = pytest.mark.django_db


def book(sheet: str, header, rows) -> bytes:
    workbook = FormulaSafeWorkbook()
    ws = active_worksheet(workbook)
    ws.title = sheet
    append_row(ws, header)
    for row in rows:
        append_row(ws, row)
    return workbook_bytes(workbook)


NORM_HEADER = list(xlsx.NORM_COLUMNS)
PLAN_HEADER = list(xlsx.PLAN_COLUMNS)


def snapshot():
    return sorted(QuotaNorm.objects.values_list("year", "kind", "category", "region_id", "method", "value", "unit",
                                                "source", "note"), key=str)


def test_a_good_workbook_creates_and_updates_rows_in_one_audited_import(world):
    content = book(xlsx.NORM_SHEET, NORM_HEADER, [
        [2026, "农业（作物）", "葡萄", "", "滴灌", 380, "m³/亩", "自治区定额", ""],
        [2026, "农业（作物）", "棉花", "全州通用", "滴灌", 335, "m³/亩", "自治区定额", "修订"],
        [2026, "农业（作物）", "玉米", "呼图壁县", "管灌", 400, "m³/亩", "", ""],
        [2026, "工业", "甲醇", "", "", 12, "m³/吨", "", ""],
    ])
    result = xlsx.import_norms(content, world.accounts.pref)
    assert result.errors == [] and (result.created, result.updated) == (3, 1)
    assert QuotaNorm.objects.get(pk=world.norms.cotton_2026.pk).value == 335
    assert QuotaNorm.objects.get(category="玉米", method="pipe").region_id == "652323"
    assert AuditEntry.objects.get(action="water.norm.import").detail == {"created": 3, "updated": 1}


def test_any_bad_row_imports_nothing_and_every_problem_names_sheet_row_and_column(world):
    before = snapshot()
    content = book(xlsx.NORM_SHEET, NORM_HEADER, [
        [2026, "农业（作物）", "葡萄", "", "滴灌", 380, "m³/亩", "", ""],  # good, but not applied
        [2026, "农业（作物）", "苜蓿", "", "滴灌", 0, "m³/亩", "", ""],
        [2026, "农业（作物）", "苜蓿", "", "漫灌", 400, "m³/亩", "", ""],
        [2026, "农业（作物）", "苜蓿", "火星县", "滴灌", 400, "m³/亩", "", ""],
        [2026, "工业", "甲醇", "", "", 12, "m³/亩", "", ""],
        [2026, "农业（作物）", "苜蓿", "", "滴灌", "=1+1", "m³/亩", "", ""],
        [2026, "农业（作物）", "葡萄", "", "滴灌", 390, "m³/亩", "", ""],
        [2026, "林业", "杨树", "", "", 1, "m³/亩", "", ""],
    ])
    result = xlsx.import_norms(content, world.accounts.pref)
    assert result.errors == [
        "用水定额 第 7 行 定额值：应为数字，实际为文本「=1+1」",
        "用水定额 第 3 行 定额值：定额值应大于 0",
        "用水定额 第 4 行 灌溉方式：应为 滴灌、喷灌、管灌、地面灌 或留空，实际为「漫灌」",
        "用水定额 第 5 行 分区：未知县市「火星县」（填县市代码或名称，留空为全州通用）",
        "用水定额 第 6 行 单位：单位应为 m³/万元、m³/吨、m³/头 之一",
        "用水定额 第 8 行 名称：本表中重复（同年度、类别、名称、分区与灌溉方式）",
        "用水定额 第 9 行 类别：应为 农业（作物）、工业 或 生活，实际为「林业」",
    ]
    assert snapshot() == before and not AuditEntry.objects.filter(action="water.norm.import").exists()


def test_a_county_operator_imports_only_their_county_rows(world):
    content = book(xlsx.NORM_SHEET, NORM_HEADER, [
        [2026, "农业（作物）", "葡萄", "652323", "滴灌", 380, "m³/亩", "", ""],
        [2026, "农业（作物）", "葡萄", "", "滴灌", 380, "m³/亩", "", ""],
        [2026, "农业（作物）", "葡萄", "玛纳斯县", "滴灌", 380, "m³/亩", "", ""],
    ])
    result = xlsx.import_norms(content, world.accounts.hutubi)
    assert [e.split("：")[0] for e in result.errors] == ["用水定额 第 3 行 分区", "用水定额 第 4 行 分区"]
    assert not QuotaNorm.objects.filter(category="葡萄").exists()


def test_export_imports_again_unchanged(world):
    before = snapshot()
    content = xlsx.export_norms(QuotaNorm.objects.all())
    sheet = load_workbook(io.BytesIO(content))[xlsx.NORM_SHEET]
    assert [c.value for c in sheet[1]] == NORM_HEADER
    QuotaNorm.objects.all().delete()
    result = xlsx.import_norms(content, world.accounts.pref)
    assert result.errors == [] and result.created == len(before)
    assert snapshot() == before
    again = xlsx.import_norms(content, world.accounts.pref)
    assert (again.created, again.updated) == (0, len(before)) and snapshot() == before


def test_a_workbook_without_the_sheet_or_a_column_is_refused_whole(world):
    with pytest.raises(UploadError, match="缺少工作表"):
        xlsx.import_norms(book("Sheet", NORM_HEADER, []), world.accounts.pref)
    with pytest.raises(UploadError, match="缺少列：单位"):
        xlsx.import_norms(book(xlsx.NORM_SHEET, [h for h in NORM_HEADER if h != "单位"], []), world.accounts.pref)
    with pytest.raises(UploadError):
        xlsx.import_norms(b"not a workbook", world.accounts.pref)


def test_crop_plans_import_all_or_nothing_and_round_trip(world):
    good = [["652323-U1", 2026, "棉花", 120, "滴灌"], ["652324-U1", 2026, "小麦", 80.5, "地面灌"]]
    bad = good + [["652399-U9", 2026, "棉花", 1, "滴灌"], ["652323-U1", 2026, "玉米", -1, "滴灌"],
                  ["652323-U1", 2026, "棉花", 5, "滴灌"]]
    result = xlsx.import_crop_plans(book(xlsx.PLAN_SHEET, PLAN_HEADER, bad), world.accounts.pref)
    assert [e.split("：")[0] for e in result.errors] == [
        "种植计划 第 4 行 取水户编号", "种植计划 第 5 行 面积(亩)", "种植计划 第 6 行 作物"]
    assert not CropPlan.objects.exists()
    result = xlsx.import_crop_plans(book(xlsx.PLAN_SHEET, PLAN_HEADER, good), world.accounts.pref)
    assert result.errors == [] and result.created == 2
    rows = sorted(CropPlan.objects.values_list("water_user__code", "year", "crop", "area_mu", "method"))
    exported = xlsx.export_crop_plans(CropPlan.objects.select_related("water_user"))
    CropPlan.objects.all().delete()
    assert xlsx.import_crop_plans(exported, world.accounts.pref).created == 2
    assert sorted(CropPlan.objects.values_list("water_user__code", "year", "crop", "area_mu", "method")) == rows
    assert AuditEntry.objects.filter(action="water.crop_plan.import").count() == 2


def test_a_county_operator_cannot_import_plans_of_another_county(world):
    content = book(xlsx.PLAN_SHEET, PLAN_HEADER, [["652324-U1", 2026, "棉花", 10, "滴灌"]])
    result = xlsx.import_crop_plans(content, world.accounts.hutubi)
    assert result.errors == ["种植计划 第 2 行 取水户编号：取水户「652324-U1」不在您的管辖范围内"]
