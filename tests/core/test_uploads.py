"""Reading untrusted uploads (core.uploads): real malformed files give one Chinese problem, never an exception."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from datetime import datetime

import openpyxl.xml
import pytest
from openpyxl import Workbook

from changji.core.uploads import (
    ErrorValue,
    Formula,
    ProblemList,
    UploadError,
    cell_problem,
    check_archive,
    problem_lines,
    quoted,
    read_json,
    read_json_file,
    read_workbook,
)

NS = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'


def _book(*rows, title="表") -> bytes:
    book = Workbook()
    book.active.title = title
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rezip(content: bytes, members: dict[str, bytes]) -> bytes:
    """``content`` with the named members replaced."""
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, members.get(info.filename, source.read(info.filename)))
    return out.getvalue()


def _declare_size(content: bytes, name: str, size: int) -> bytes:
    """``content`` whose local and central headers claim that member ``name`` unpacks to ``size`` bytes."""
    data = bytearray(content)
    encoded = name.encode()
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            name_at = start + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at:name_at + len(encoded)] == encoded:
                data[start + size_at:start + size_at + 4] = struct.pack("<I", size)
            start += 4
    return bytes(data)


def test_openpyxl_parses_with_defusedxml():
    """The pinned defusedxml is installed and openpyxl uses it, so entity declarations are refused."""
    assert openpyxl.xml.DEFUSEDXML is True


def test_rows_come_back_with_their_sheet_row_numbers_and_typed_cells():
    content = _book(["名称", "数值"], [None, None], ["井", "=SUM(1,2)"], ["#REF!", datetime(2026, 1, 2)])
    rows = read_workbook(content, ["表"])["表"]
    assert [row.number for row in rows] == [1, 3, 4]  # the empty row 2 is skipped, numbers stay the sheet's
    assert isinstance(rows[1].values[1], Formula) and rows[1].values[1] == "=SUM(1,2)"
    assert isinstance(rows[2].values[0], ErrorValue) and rows[2].values[1] == datetime(2026, 1, 2)


def test_a_missing_sheet_is_named():
    with pytest.raises(UploadError, match="缺少工作表「机井」"):
        read_workbook(_book(["a"]), ["表", "机井"])


def test_too_many_rows_are_refused_and_a_far_row_does_not_make_a_million_empty_ones():
    with pytest.raises(UploadError, match="超过 3 行数据"):
        read_workbook(_book(*[[n] for n in range(5)]), ["表"], max_rows=3)
    book = Workbook()
    book.active.title = "表"
    book.active["A1"], book.active["A1048576"] = "名称", "远"
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(UploadError, match="超过 20000 行数据"):
        read_workbook(out.getvalue(), ["表"])


def test_size_caps_refuse_large_uploads_and_zip_bombs():
    content = _book(["名称"], ["井"])
    with pytest.raises(UploadError, match="文件过大"):
        check_archive(content, max_bytes=len(content) - 1)
    bomb = _rezip(content, {"xl/worksheets/sheet1.xml": b" " * (2 * 1024 * 1024)})
    assert len(bomb) < 20_000
    with pytest.raises(UploadError, match="解压后共 2.0 MB，超过上限 1.0 MB"):
        read_workbook(bomb, ["表"], max_uncompressed=1024 * 1024)
    with pytest.raises(UploadError, match="超过上限 3"):
        check_archive(content, max_members=3)


def test_a_member_that_lies_about_its_size_is_stopped_at_the_size_it_declared():
    """The zipfile module stops at the declared size and fails the CRC: the lie cannot inflate past the checked sum."""
    row = b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
    sheet = NS + row * 200_000 + b"</sheetData></worksheet>"
    liar = _declare_size(_rezip(_book(["名称"]), {"xl/worksheets/sheet1.xml": sheet}), "xl/worksheets/sheet1.xml", 500)
    assert sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(liar)).infolist()) < 20_000
    with pytest.raises(UploadError, match="无法读取文件"):
        read_workbook(liar, ["表"])


@pytest.mark.parametrize("member", ["xl/worksheets/sheet1.xml", "xl/workbook.xml"])
def test_an_entity_bomb_is_refused_without_expanding(member):
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              + "".join(f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">'
                        for n in range(1, 10))
              + ']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>')
    with pytest.raises(UploadError, match="实体或外部引用声明"):
        read_workbook(_rezip(_book(["名称"]), {member: laughs.encode()}), ["表"])


@pytest.mark.parametrize(("sheet_xml", "fragment"), [
    (NS + b"<row r='1'><c r='A1' t='inlineStr'><is><t>x</t>", "XML 无法解析"),  # cut off
    (NS + b"<row r='1'><c r='!!' t='n'><v>1</v></c></row></sheetData></worksheet>", "不符合 XLSX"),  # bad reference
    (NS + b"<row r='1'><c r='A1' t='s'><v>999</v></c></row></sheetData></worksheet>", "不符合 XLSX"),  # no such string
    (NS + b"<row r='1'><c r='A1'><v>abc</v></c></row></sheetData></worksheet>", "不符合 XLSX"),  # not a number
    (NS + b"<row r='x'><c><v>1</v></c></row></sheetData></worksheet>", "不符合 XLSX"),  # bad row number
    (b"\xff\xfe<not xml", "XML 无法解析"),
])
def test_broken_sheet_xml_is_one_problem(sheet_xml, fragment):
    with pytest.raises(UploadError, match=fragment):
        read_workbook(_rezip(_book(["名称"]), {"xl/worksheets/sheet1.xml": sheet_xml}), ["表"])


def test_truncated_and_non_zip_files_are_one_problem():
    content = _book(["名称"], ["井"])
    for broken in (content[: len(content) // 2], b"not a workbook", b"", b"PK\x03\x04" + b"\0" * 100):
        with pytest.raises(UploadError, match="不是有效的 XLSX 工作簿"):
            read_workbook(broken, ["表"])


def test_a_sheet_whose_part_is_missing_is_named():
    content = _book(["名称"])
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                target.writestr(info, source.read(info))
    with pytest.raises(UploadError, match="缺少工作表「表」"):  # openpyxl leaves out a sheet whose part is gone
        read_workbook(out.getvalue(), ["表"])


@pytest.mark.parametrize(("value", "expected", "fragment"), [
    (Formula("=SUM(A1:A3)"), "number", "是公式（=SUM(A1:A3)）"),
    (ErrorValue("#REF!"), "text", "是错误值 #REF!"),
    (datetime(2026, 1, 2), "number", "应为数字，实际为日期或时间"),
    (True, "number", "应为数字，实际为逻辑值 TRUE"),
    ("北纬", "number", "应为数字，实际为文本「北纬」"),
    ("x" * 5000, "text", "内容过长（5000 个字符，上限 1000）"),
    ("nan", "number", "应为有限的数字"),
])
def test_cells_of_the_wrong_type_are_named(value, expected, fragment):
    problem = cell_problem(value, expected)
    assert problem is not None and fragment in problem and len(problem) < 100


@pytest.mark.parametrize(("value", "expected"), [
    (None, "number"), (44.3, "number"), (-3, "number"), (" 44.3 ", "number"), ("东滩", "text"), (652323, "text")])
def test_cells_of_the_right_type_pass(value, expected):
    assert cell_problem(value, expected) is None


def test_the_problem_list_keeps_fifty_and_counts_the_rest():
    problems = ProblemList()
    for n in range(10_000):
        problems.add(f"第 {n} 行")
    assert len(problems) == 10_000 and len(problems.shown) == 50
    assert problems.lines()[-1] == "……以及另外 9950 个问题" and len(problems.lines()) == 51
    assert problem_lines(["a", "b", "c"], limit=2) == ["a", "b", "……以及另外 1 个问题"]
    assert problem_lines(["a"]) == ["a"] and not ProblemList()


def test_quoted_values_are_short_and_on_one_line():
    assert quoted("a\nb" + "c" * 100) == "a b" + "c" * 37 + "…"


def test_json_uploads(tmp_path):
    assert read_json('\ufeff{"a": 1}'.encode()) == {"a": 1}
    for content, fragment in ((b"[" * 100_000, "嵌套层数过多"), (b"{not json", "第 1 行第 2 列"),
                              (b"\xff\xfe", "不是 UTF-8"), (b"1" * 5000, "不是可接受的 JSON")):
        with pytest.raises(UploadError, match=fragment):
            read_json(content)
    with pytest.raises(UploadError, match="文件过大"):
        read_json(b"[]" * 10, max_bytes=10)
    path = tmp_path / "big.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    assert read_json_file(path)["type"] == "FeatureCollection"
    with pytest.raises(UploadError, match="过大"):
        read_json_file(path, max_bytes=10)
    with pytest.raises(UploadError, match="无法读取文件"):
        read_json_file(tmp_path / "missing.geojson")
