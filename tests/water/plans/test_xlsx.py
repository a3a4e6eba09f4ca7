"""Import and export of plans: all-or-nothing with row-level problems, round trip, and the CLI."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from changji.core.exports import FormulaSafeWorkbook, active_worksheet, append_row, workbook_bytes
from changji.core.models import AuditEntry, Region
from changji.water.models import Allocation, AnnualPlan
from changji.water.plans import service
from changji.water.plans.xlsx import COLUMNS, SHEET, PlanWorkbookError, export_plans, import_plans


def workbook(rows, header=COLUMNS, sheet=SHEET) -> bytes:
    book = FormulaSafeWorkbook()
    ws = active_worksheet(book)
    ws.title = sheet
    append_row(ws, header)
    for row in rows:
        append_row(ws, row)
    return workbook_bytes(book)


def row(number, year=2026, volume=60_000, months=None, note=""):
    return [number, year, volume, *(months or [None] * 12), note]


def test_import_creates_plans_with_default_or_given_months_and_derives(make_licence, operator):
    a, b = make_licence(), make_licence()
    result = import_plans(workbook([row(a.number), row(b.number, volume=1200, months=[100] * 12, note="均分")]),
                          operator, operator.region)
    assert result.errors == [] and (result.created, result.updated) == (2, 0)
    assert AnnualPlan.objects.get(licence=a).monthly_m3[0] == 0.0
    assert AnnualPlan.objects.get(licence=b).monthly_m3 == [100.0] * 12
    assert Allocation.objects.filter(year=2026, plan__isnull=False).count() == 4
    assert AuditEntry.objects.get(action="water.plan.import").detail["created"] == 2


def test_any_bad_row_imports_nothing_and_names_row_and_column(make_licence, operator):
    a = make_licence()
    other = make_licence(county="652301")
    rows = [row(a.number), row("不存在"), row(a.number, volume=200_000, year=2027), row(other.number),
            row(a.number, volume="很多"), row(a.number, year=2026.5), row(a.number)]
    result = import_plans(workbook(rows), operator, operator.region)
    text = "\n".join(result.errors)
    assert f"{SHEET} 第 3 行 许可证编号：未知取水许可证" in text
    assert f"{SHEET} 第 4 行 年度计划取水量(m³)：年度计划 200,000 m³ 超过许可年取水量" in text
    assert f"{SHEET} 第 5 行 许可证编号：未知取水许可证或不在您的管辖范围内" in text
    assert f"{SHEET} 第 6 行 年度计划取水量(m³)：应为数字" in text
    assert f"{SHEET} 第 7 行 年度：应为整数年份" in text
    assert f"{SHEET} 第 8 行 许可证编号" in text and "重复" in text
    assert not AnnualPlan.objects.exists() and not AuditEntry.objects.filter(action="water.plan.import").exists()


def test_months_that_do_not_add_up_are_a_row_problem(make_licence, operator):
    a = make_licence()
    result = import_plans(workbook([row(a.number, volume=5000, months=[1] * 12)]), operator, operator.region)
    assert result.errors and "分月计划" in result.errors[0] and "第 2 行" in result.errors[0]


def test_unreadable_workbooks(operator):
    with pytest.raises(PlanWorkbookError):
        import_plans(b"not a workbook", operator, operator.region)
    with pytest.raises(PlanWorkbookError, match="缺少工作表"):
        import_plans(workbook([], sheet="Sheet"), operator, operator.region)
    with pytest.raises(PlanWorkbookError, match="缺少列"):
        import_plans(workbook([], header=["许可证编号"]), operator, operator.region)


def test_export_imports_back_unchanged(make_licence, operator):
    a, b = make_licence(), make_licence(purpose="industrial")
    service.save_plan(a, 2026, 61_234.5, None, "原计划", operator)
    service.save_plan(b, 2026, 1000, [50, 50, 100, 100, 100, 100, 100, 100, 100, 100, 50, 50], "", operator)
    before = {p.licence_id: (p.volume_m3, p.monthly_m3, p.note) for p in AnnualPlan.objects.all()}
    exported = export_plans(AnnualPlan.objects.all())
    AnnualPlan.objects.all().delete()
    result = import_plans(exported, operator, operator.region)
    assert result.errors == [] and result.created == 2
    assert {p.licence_id: (p.volume_m3, p.monthly_m3, p.note) for p in AnnualPlan.objects.all()} == before
    again = import_plans(exported, operator, operator.region)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_cli_import_exit_codes(make_licence, tmp_path, capsys):
    a = make_licence()
    good, bad = tmp_path / "good.xlsx", tmp_path / "bad.xlsx"
    good.write_bytes(workbook([row(a.number)]))
    bad.write_bytes(workbook([row("不存在")]))
    call_command("water", "import-plans", str(good))
    assert AnnualPlan.objects.filter(licence=a, year=2026).exists()
    with pytest.raises(CommandError) as failed:
        call_command("water", "import-plans", str(bad))
    assert failed.value.returncode == 1 and "未作任何更改" in str(failed.value)
    assert "第 2 行" in capsys.readouterr().err
    with pytest.raises(CommandError):
        call_command("water", "import-plans", str(tmp_path / "missing.xlsx"))
    assert Region.objects.filter(code="652323").exists()
