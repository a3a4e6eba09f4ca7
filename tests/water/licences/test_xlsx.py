"""The licence workbook: import (row problems, all or nothing, scope), export, and the round trip."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from changji.core.exports import FormulaSafeWorkbook, active_worksheet, append_row, workbook_bytes
from changji.core.models import AuditEntry
from changji.water.licences.xlsx import COLUMNS, SHEET, LicenceWorkbookError, export_licences, import_licences, template
from changji.water.models import Licence

HEADER = list(COLUMNS)


def book(*rows, header=HEADER, sheet=SHEET):
    workbook = FormulaSafeWorkbook()
    ws = active_worksheet(workbook)
    ws.title = sheet
    append_row(ws, header)
    for row in rows:
        append_row(ws, row)
    return workbook_bytes(workbook)


def row(number="取水2026-001", user="HTB-U1", wells="HTB-U1-W0、HTB-U1-W1", **change):
    values = {"许可证编号": number, "取水权人编号": user, "水源类型": "地下水", "取水用途": "农业灌溉",
              "许可年取水量(m³)": 80000, "有效期起": "2026-01-01", "有效期止": "2030-12-31",
              "发证机关": "呼图壁县水利局", "取水井编号": wells, "状态": "有效"}
    values.update(change)
    return [values[name] for name in HEADER]


def test_import_creates_and_updates_by_number(world):
    result = import_licences(book(row(), row("取水2026-002", wells="HTB-U1-W2", 状态="")), world.operator)
    assert result.errors == [] and (result.created, result.updated) == (2, 0)
    first = Licence.objects.get(number="取水2026-001")
    assert sorted(w.code for w in first.wells.all()) == ["HTB-U1-W0", "HTB-U1-W1"]
    assert first.permitted_m3_per_year == 80000 and first.valid_to.isoformat() == "2030-12-31"
    result = import_licences(book(row(**{"许可年取水量(m³)": 90000})), world.operator)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    assert AuditEntry.objects.filter(action="water.licence.import").count() == 2
    assert AuditEntry.objects.filter(action="water.licence.update").count() == 1


def test_any_row_problem_changes_nothing_and_names_sheet_row_and_column(world):
    content = book(
        row(),
        row("取水2026-002", user="NOPE"),
        row("取水2026-003", wells="HTB-U1-W9"),
        row("取水2026-004", wells="", **{"有效期止": "2025-01-01"}),
        row("取水2026-005", wells="", **{"许可年取水量(m³)": "很多"}),
        row("取水2026-006", wells="", **{"水源类型": "雨水"}),
        row("取水2026-001", wells=""),
        row("取水2026-007", wells="HTB-U1-W0"),  # the first row's well, same source and term
        row("取水2026-008", wells="", 状态="吊销"),
    )
    result = import_licences(content, world.operator)
    errors = "\n".join(result.errors)
    for expected in ("第 3 行 取水权人编号", "第 4 行 取水井编号", "第 5 行 有效期止", "第 6 行 许可年取水量(m³)",
                     "第 7 行 水源类型", "第 8 行 许可证编号：本表中重复", "第 9 行 取水井编号", "第 10 行 状态"):
        assert f"{SHEET} {expected}" in errors, errors
    assert not Licence.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="water.licence").exists()


def test_another_countys_rows_are_refused(world):
    result = import_licences(book(row(user="CJ-U1", wells="CJ-U1-W0")), world.operator)
    assert result.errors and "第 2 行" in result.errors[0]
    assert not Licence.objects.exists()


def test_an_unreadable_workbook_is_one_problem(world):
    with pytest.raises(LicenceWorkbookError):
        import_licences(b"not a workbook", world.operator)
    with pytest.raises(LicenceWorkbookError, match="缺少列"):
        import_licences(book(header=HEADER[:-1]), world.operator)
    with pytest.raises(LicenceWorkbookError, match="缺少工作表"):
        import_licences(book(sheet="Sheet1"), world.operator)


def test_an_export_reimports_unchanged(world, licence):
    import_licences(book(row("=HYPERLINK(1)", wells="")), world.operator)
    exported = export_licences(Licence.objects.order_by("number"))
    sheet = load_workbook(io.BytesIO(exported))[SHEET]
    rows = [[cell.value for cell in r] for r in sheet.iter_rows()]
    assert rows[0] == HEADER and len(rows) == 3
    before = {lic.number: (lic.updated_at, lic.permitted_m3_per_year) for lic in Licence.objects.all()}
    result = import_licences(exported, world.operator)
    assert result.errors == [] and (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert {lic.number: (lic.updated_at, lic.permitted_m3_per_year) for lic in Licence.objects.all()} == before
    assert export_licences(Licence.objects.order_by("number")) != b""
    assert load_workbook(io.BytesIO(template()))[SHEET].max_row == 1
