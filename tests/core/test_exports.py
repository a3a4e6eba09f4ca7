"""Formula-safe XLSX and CSV (core.exports): hostile strings are text, numbers stay numbers, nobody bypasses it."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from changji.core.exports import (
    FormulaSafeCsvWriter,
    FormulaSafeWorkbook,
    append_row,
    csv_bytes,
    csv_value,
    is_formula_like,
    put_cell,
    workbook_bytes,
)

#: Names a staff member, resident or applicant could type; each must reach the spreadsheet as plain text.
HOSTILE = ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=cmd|' /C calc'!A0"]
#: What openpyxl reads back: XML turns a carriage return into a line feed (XML 1.0 §2.11).
READ_BACK = {"\r=1": "\n=1"}
BENIGN = ["东滩合作社", "1号井", "a=b", "", "  =1", "合计"]


def _read(content: bytes):
    return load_workbook(io.BytesIO(content)).active


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_like_strings_are_recognised(value):
    assert is_formula_like(value)


@pytest.mark.parametrize("value", [*BENIGN, -3.5, -1, 0, 2.5, None, True])
def test_other_values_and_every_number_are_not(value):
    assert not is_formula_like(value)


def test_put_cell_and_append_row_write_hostile_strings_as_text_that_reads_back_unchanged():
    book = FormulaSafeWorkbook()
    sheet = book.active
    append_row(sheet, ["名称", "数值"])
    for number, value in enumerate(HOSTILE, 2):
        put_cell(sheet, number, 1, value)
        put_cell(sheet, number, 2, -3.5)
    append_row(sheet, ["#REF!", -2])
    read = _read(workbook_bytes(book))
    for number, value in enumerate(HOSTILE, 2):
        cell = read.cell(row=number, column=1)
        assert (cell.value, cell.data_type, cell.quotePrefix) == (READ_BACK.get(value, value), "s", True)
        number_cell = read.cell(row=number, column=2)
        assert (number_cell.value, number_cell.data_type, number_cell.quotePrefix) == (-3.5, "n", False)
    last = len(HOSTILE) + 2
    assert (read.cell(row=last, column=1).value, read.cell(row=last, column=1).data_type) == ("#REF!", "s")
    assert (read.cell(row=last, column=2).value, read.cell(row=last, column=2).data_type) == (-2, "n")
    assert read.cell(row=1, column=1).quotePrefix is False  # ordinary text keeps the ordinary style


def test_append_row_returns_the_row_it_wrote():
    sheet = FormulaSafeWorkbook().active
    append_row(sheet, ["a", "b"])
    cells = append_row(sheet, ["=1", 2, None])
    assert [(c.row, c.column) for c in cells] == [(2, 1), (2, 2), (2, 3)]
    assert cells[0].data_type == "s" and cells[0].quotePrefix


def test_saving_neutralises_cells_written_with_plain_openpyxl():
    """A cell set with ``sheet.append`` or ``cell.value`` (openpyxl makes "=…" a formula) still leaves as text."""
    book = FormulaSafeWorkbook()
    sheet = book.active
    sheet.append(HOSTILE)
    sheet["A3"] = "=1+1"
    assert sheet["A1"].data_type == "f"  # what openpyxl alone would write
    read = _read(workbook_bytes(book))
    assert [c.data_type for c in read[1]] == ["s"] * len(HOSTILE)
    assert [c.value for c in read[1]] == [READ_BACK.get(v, v) for v in HOSTILE]
    assert (read["A3"].value, read["A3"].data_type) == ("=1+1", "s")


def test_workbook_bytes_takes_only_a_formula_safe_workbook():
    with pytest.raises(TypeError):
        workbook_bytes(Workbook())  # type: ignore[arg-type]


def test_control_characters_excel_cannot_hold_are_dropped_instead_of_failing():
    sheet = FormulaSafeWorkbook().active
    put_cell(sheet, 1, 1, "a\x00b\x07c")
    append_row(sheet, ["\x1b=1"])
    read = _read(workbook_bytes(sheet.parent))
    assert read["A1"].value == "abc"
    assert (read["A2"].value, read["A2"].data_type) == ("=1", "s")


def test_csv_prefixes_hostile_strings_with_a_quote_and_leaves_numbers():
    rows = [["名称", "数值"], *([value, -3.5] for value in HOSTILE), ["a,=b", -2], ["x\n=y", 0]]
    content = csv_bytes(rows)
    assert content.startswith("\ufeff".encode())
    read = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert read[0] == ["名称", "数值"]
    assert [row[0] for row in read[1:len(HOSTILE) + 1]] == ["'" + value for value in HOSTILE]
    assert {row[1] for row in read[1:len(HOSTILE) + 1]} == {"-3.5"}
    assert read[-2] == ["a,=b", "-2"] and read[-1] == ["x\n=y", "0"]  # quoted: one cell, not a new line
    assert csv_value(-3.5) == -3.5 and csv_value("东滩") == "东滩"


def test_the_csv_writer_wraps_csv_writer():
    buffer = io.StringIO()
    FormulaSafeCsvWriter(buffer, lineterminator="\n").writerows([["=1", 1], ["@x", "y"]])
    assert buffer.getvalue() == "'=1,1\n'@x,y\n"


# --- nobody writes a workbook or CSV file around this module -------------------------------------------------

SOURCE = Path(__file__).resolve().parents[2] / "src" / "changji"
#: Ways to write a spreadsheet without core.exports.
FORBIDDEN = re.compile(
    r"(?<![\w.])Workbook\s*\(|openpyxl\.Workbook\b|\bcsv\s*\.\s*(?:writer|DictWriter)\s*\(|\bfrom\s+csv\s+import\b"
    r"|\bsave_workbook\s*\(|openpyxl\.writer\b|\bxlsxwriter\b|\bimport\s+csv\b"
)


def _offences(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if FORBIDDEN.search(line)]


def test_the_scan_finds_each_way_around():
    sample = ("book = Workbook()\nb = openpyxl.Workbook()\nw = csv.writer(f)\nd = csv.DictWriter(f, x)\n"
              "from csv import writer\nimport csv\nsave_workbook(book, f)\n")
    assert len(_offences(sample)) == 7
    assert _offences("book = FormulaSafeWorkbook()\nload_workbook(x)\nclass WorkbookError(ValueError): ...") == []


def test_no_module_but_core_exports_writes_a_workbook_or_csv():
    exports = SOURCE / "core" / "exports.py"
    found = {str(path.relative_to(SOURCE)): offences for path in sorted(SOURCE.rglob("*.py"))
             if path != exports and (offences := _offences(path.read_text(encoding="utf-8")))}
    assert found == {}, "write XLSX/CSV through changji.core.exports"
    assert _offences(exports.read_text(encoding="utf-8"))  # the scan does see the real writers
