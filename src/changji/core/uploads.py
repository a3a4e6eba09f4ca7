"""Reading untrusted uploads (XLSX workbooks, JSON files): size caps, typed cells, a bounded list of problems.

An operator's workbook is input like any other: it may be truncated, hand-edited, produced by a tool that writes
odd XML, or built to hurt (an XML entity bomb, a zip bomb, a million rows). Whatever it is, the answer is one clear
Chinese problem (``UploadError``) or a list of row problems cut at :data:`MAX_PROBLEMS`, never a 500 and never a
page tens of megabytes long. How:

* size — the upload is refused above :data:`MAX_UPLOAD_BYTES`; an XLSX file is a zip archive, and the sizes its
  central directory declares are added up before openpyxl opens it (above :data:`MAX_UNCOMPRESSED_BYTES`, or more
  than :data:`MAX_ARCHIVE_MEMBERS` members, it is refused). zipfile stops a member at its declared size and fails
  its CRC check, so a member that lies about its size cannot inflate past the sum either;
* XML — openpyxl parses with defusedxml when it is installed (a pinned dependency), which refuses entity
  declarations: the "billion laughs" and external entities never expand;
* shape — at most :data:`MAX_ROWS` data rows and :data:`MAX_COLUMNS` columns per sheet are read (a row numbered
  1,048,576 does not make openpyxl yield a million empty rows first);
* cells — formulas and error values come back as :class:`Formula` and :class:`ErrorValue`, dates as datetimes, so
  that :func:`cell_problem` can name a cell of the wrong type (sheet, row, column) instead of storing it;
* every exception openpyxl, zipfile or the XML parser raises while the file is read becomes one problem.
"""

from __future__ import annotations

import io
import json
import logging
import math
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, ClassVar
from xml.etree.ElementTree import ParseError

from openpyxl import load_workbook
from openpyxl.worksheet._reader import WorkSheetParser

from changji.core.errors import Refusal

__pure__ = True  # no Django: tests/test_architecture.py checks it

try:
    from defusedxml import DefusedXmlException
except ImportError:  # pragma: no cover - defusedxml is a pinned dependency; without it expat's own limits apply
    class DefusedXmlException(ValueError):  # type: ignore[no-redef]
        """Stand-in when defusedxml is missing."""

log = logging.getLogger("changji.core.uploads")

#: The first problems shown in full; the rest are counted ("……以及另外 N 个问题").
MAX_PROBLEMS = 50
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
#: The XML of a registry of 20,000 rows is about 12 MiB unpacked (it compresses 10-20 times); 50 MiB leaves room
#: and stops a zip bomb before openpyxl holds its shared strings in memory.
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_ARCHIVE_MEMBERS = 1000
MAX_ROWS = 20_000
MAX_COLUMNS = 64
#: Longest text accepted in one cell (the longest registry field holds 128 characters).
MAX_CELL_CHARS = 1000
#: Longest piece of a cell's content quoted back in a problem.
MAX_QUOTED_CHARS = 40
MAX_JSON_BYTES = 50 * 1024 * 1024


class UploadError(Refusal):
    """The upload cannot be read at all; ``str(error)`` is one Chinese problem fit to show the uploader.

    A ``core.errors.Refusal`` of the file as a whole (no field named).
    """

    def __init__(self, message: str) -> None:
        super().__init__(None, message)


class Formula(str):
    """The text of a formula cell (``=SUM(A1:A3)``): an import wants values, not formulas."""


class ErrorValue(str):
    """An error value cell (``#REF!``, ``#N/A``…)."""


@dataclass(frozen=True, slots=True)
class SheetRow:
    """One non-empty row of a sheet: its number in the sheet (1 is the first row) and its cell values."""

    number: int
    values: tuple[Any, ...]


class ProblemList:
    """The problems found in an upload: the first ``limit`` kept in full, the others only counted."""

    def __init__(self, limit: int = MAX_PROBLEMS) -> None:
        self.limit = limit
        self.shown: list[str] = []
        self.more = 0

    def add(self, problem: str) -> None:
        if len(self.shown) < self.limit:
            self.shown.append(problem)
        else:
            self.more += 1

    def __len__(self) -> int:
        return len(self.shown) + self.more

    def __bool__(self) -> bool:
        return bool(self.shown)

    def lines(self) -> list[str]:
        """The problems to show: at most ``limit`` lines, and one that says how many more there are."""
        return self.shown + ([f"……以及另外 {self.more} 个问题"] if self.more else [])


@dataclass
class ImportOutcome:
    """What an all-or-nothing workbook import did (rows created, updated, unchanged), or what kept it from acting.

    A subclass names what a row is (``noun``: 份, 行 …) for the summary.
    """

    noun: ClassVar[str] = "行"
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: ProblemList = field(default_factory=ProblemList)

    @property
    def errors(self) -> list[str]:
        """The problems to show: at most 50, then one line counting the others."""
        return self.problems.lines()

    def summary(self) -> str:
        """One Chinese line for the page's message and the command's output."""
        unchanged = f"，未变 {self.unchanged} {self.noun}" if self.unchanged else ""
        return f"导入完成：新增 {self.created} {self.noun}，更新 {self.updated} {self.noun}{unchanged}"


def quoted(value: Any, limit: int = MAX_QUOTED_CHARS) -> str:
    """``value`` as a short piece of text to quote in a problem (cut at ``limit`` characters, one line)."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[:limit] + "…"


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def check_size(size: int, max_bytes: int = MAX_UPLOAD_BYTES) -> None:
    """Raise :class:`UploadError` when an upload of ``size`` bytes is over ``max_bytes`` (check before reading it)."""
    if size > max_bytes:
        raise UploadError(f"文件过大：{_size(size)}，上限 {_size(max_bytes)}")


def check_archive(content: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES,
                  max_uncompressed: int = MAX_UNCOMPRESSED_BYTES, max_members: int = MAX_ARCHIVE_MEMBERS) -> None:
    """Raise :class:`UploadError` unless ``content`` is a zip archive of sane size (see the module docstring)."""
    check_size(len(content), max_bytes)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError) as error:
        raise UploadError("无法读取文件：不是有效的 XLSX 工作簿（压缩结构损坏或不是 .xlsx 文件）") from error
    if len(members) > max_members:
        raise UploadError(f"无法读取文件：工作簿含 {len(members)} 个部件，超过上限 {max_members}")
    total = sum(member.file_size for member in members)
    if total > max_uncompressed:
        raise UploadError(f"无法读取文件：解压后共 {_size(total)}，超过上限 {_size(max_uncompressed)}"
                          "（疑似压缩炸弹，请删去多余内容或分批导入）")


def read_workbook(content: bytes, sheets: Sequence[str], *, max_rows: int = MAX_ROWS,
                  max_columns: int = MAX_COLUMNS, **caps: int) -> dict[str, list[SheetRow]]:
    """The non-empty rows of the named ``sheets`` of an XLSX file; :class:`UploadError` when it cannot be read.

    ``caps`` are passed to :func:`check_archive`. A sheet with more than ``max_rows`` rows below its header row is
    refused as a whole; columns right of ``max_columns`` are not read.
    """
    check_archive(content, **caps)
    where = "工作簿"
    book = None
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False, keep_links=False)
        missing = [name for name in sheets if name not in book.sheetnames]
        if missing:
            raise UploadError(f"缺少工作表「{'」「'.join(missing)}」（现有：{quoted('、'.join(book.sheetnames), 80)}）")
        out: dict[str, list[SheetRow]] = {}
        for name in sheets:
            where = f"工作表「{name}」"
            out[name] = rows = []
            for number, values in _sheet_rows(book, name, max_columns):
                where = f"工作表「{name}」第 {number} 行之后"
                if number > max_rows + 1:
                    raise UploadError(f"工作表「{name}」超过 {max_rows} 行数据，请分批导入")
                rows.append(SheetRow(number, values))
        return out
    except UploadError:
        raise
    except Exception as error:
        raise UploadError(_reason(error, where)) from error
    finally:
        if book is not None:
            book.close()


def _sheet_rows(book: Any, name: str, max_columns: int) -> Iterable[tuple[int, tuple[Any, ...]]]:
    """(row number, values) of each non-empty row of a read-only sheet, as the file numbers them.

    The sheet's own parser is driven directly: ``iter_rows`` pads the rows missing from the file with empty
    ones, so a single cell in row 1,000,000,000 would cost a billion empty rows, or, with a ``max_row``, be
    silently left out.
    """
    sheet = book[name]
    with sheet._get_source() as source:
        parser = WorkSheetParser(source, sheet._shared_strings, data_only=False, epoch=book.epoch,
                                 date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)
        for number, cells in parser.parse():
            values: list[Any] = [None] * max(0, min(max_columns, max((c["column"] for c in cells), default=0)))
            for cell in cells:
                if cell["column"] <= max_columns:
                    values[cell["column"] - 1] = _value(cell["value"], cell["data_type"])
            if any(v is not None and not (isinstance(v, str) and not v.strip()) for v in values):
                yield number, tuple(values)


def _value(value: Any, kind: str) -> Any:
    if kind == "f":
        return Formula(getattr(value, "text", value))  # an array formula is an object holding its text
    if kind == "e" and value is not None:
        return ErrorValue(value)
    return value


def _reason(error: Exception, where: str) -> str:
    """One Chinese problem for an exception raised while reading a workbook (logged with its type)."""
    log.warning("unreadable workbook at %s: %s: %s", where, type(error).__name__, quoted(error, 200))
    while error.__cause__ is not None and isinstance(error.__cause__, Exception):
        error = error.__cause__  # openpyxl wraps what went wrong in "ValueError: Unable to read workbook"
    if isinstance(error, DefusedXmlException):
        return "无法读取文件：工作簿的 XML 含有实体或外部引用声明，出于安全原因拒绝读取"
    if isinstance(error, (zipfile.BadZipFile, zlib.error, EOFError)):
        return f"无法读取文件：{where}的压缩数据损坏（{quoted(error, 60)}）"
    if isinstance(error, ParseError):
        return f"无法读取文件：{where}的 XML 无法解析（{quoted(error, 60)}）"
    if isinstance(error, KeyError):
        return f"无法读取文件：工作簿缺少其引用的部件（{quoted(error, 80)}）"
    if isinstance(error, (RuntimeError, NotImplementedError)):
        return "无法读取文件：工作簿已加密、过于复杂或使用了不支持的压缩方式"
    return f"无法读取文件：{where}的内容不符合 XLSX 规范（{type(error).__name__}：{quoted(error, 60)}）"


_KINDS = {"text": "文本", "number": "数字"}


def cell_problem(value: Any, expected: str, *, max_chars: int = MAX_CELL_CHARS) -> str | None:
    """Why ``value`` (from :func:`read_workbook`) cannot fill a cell meant to hold ``expected``; None if it can.

    ``expected`` is ``"text"`` (numbers are fine: codes are often typed as numbers) or ``"number"`` (a text that
    parses as a finite number is fine). Formulas, error values, dates, logical values and over-long texts are not.
    """
    if value is None:
        return None
    if isinstance(value, Formula):
        return f"是公式（{quoted(value, 30)}），请把公式转为数值后再导入"
    if isinstance(value, ErrorValue):
        return f"是错误值 {quoted(value, 10)}，请修正该单元格"
    if isinstance(value, (datetime, date, time, timedelta)):
        return f"应为{_KINDS[expected]}，实际为日期或时间（{quoted(value, 30)}）"
    if isinstance(value, bool):
        return f"应为{_KINDS[expected]}，实际为逻辑值 {'TRUE' if value else 'FALSE'}"
    if isinstance(value, str) and len(value) > max_chars:
        return f"内容过长（{len(value)} 个字符，上限 {max_chars}）"
    if expected == "number":
        try:
            number = float(value.strip()) if isinstance(value, str) else float(value)
        except (TypeError, ValueError):
            return f"应为数字，实际为文本「{quoted(value, 30)}」"
        if not math.isfinite(number):
            return f"应为有限的数字，实际为 {quoted(value, 30)}"
    return None


def read_json(content: bytes, *, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """The JSON value of an uploaded file (UTF-8, BOM allowed); :class:`UploadError` with the reason if not."""
    check_size(len(content), max_bytes)
    try:
        return json.loads(content.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise UploadError(f"文件不是 UTF-8 编码的文本（第 {error.start + 1} 个字节）") from error
    except json.JSONDecodeError as error:
        raise UploadError(f"文件不是有效的 JSON：第 {error.lineno} 行第 {error.colno} 列，{error.msg}") from error
    except ValueError as error:  # e.g. an integer of more than 4,300 digits
        raise UploadError(f"文件不是可接受的 JSON：{quoted(error, 60)}") from error
    except RecursionError as error:
        raise UploadError("文件不是可接受的 JSON：嵌套层数过多") from error


def read_json_file(path: Path, *, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """The JSON value of the file at ``path`` (see :func:`read_json`), refused before reading if too large."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise UploadError(f"文件 {path} 过大：{_size(size)}，上限 {_size(max_bytes)}")
        content = path.read_bytes()
    except OSError as error:
        raise UploadError(f"无法读取文件 {path}：{error.strerror or error}") from error
    try:
        return read_json(content, max_bytes=max_bytes)
    except UploadError as error:
        raise UploadError(f"文件 {path}：{error}") from error


def problem_lines(problems: Iterable[str], limit: int = MAX_PROBLEMS) -> list[str]:
    """``problems`` cut at ``limit`` with a last line saying how many more there are."""
    bounded = ProblemList(limit)
    for problem in problems:
        bounded.add(problem)
    return bounded.lines()
