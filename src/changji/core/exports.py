r"""Formula-safe XLSX and CSV exports: every workbook and CSV file the platform writes goes through here.

Names, addresses and notes in the exports are typed by staff, residents and applicants. A spreadsheet takes a
cell that begins with ``=``, ``+``, ``-`` or ``@`` (and, after a paste, one that begins with a tab or a carriage
return) as a formula: ``=HYPERLINK("http://x","点我")`` becomes a link, ``=cmd|' /C calc'!A0`` runs a program
(formula or CSV injection, CWE-1236; OWASP "CSV Injection"). Such a string is therefore written as text:

* XLSX — the cell keeps the exact string with data type ``s`` (text) and Excel's quote prefix (the style flag
  behind a leading apostrophe), so it reads back unchanged, shows unchanged, and stays text even when someone
  edits the cell. A string that openpyxl would read as an error value (``#REF!``) is text as well.
* CSV — the string gets a leading single quote (OWASP's advice), since CSV has no cell types.

Only strings are neutralised: a number stays a number, so ``-3.5`` is a negative number, not a formula.

:class:`FormulaSafeWorkbook` neutralises every cell again when it is saved, so even a cell written with plain
openpyxl (``sheet.append``, ``cell.value = …``) cannot leave as a formula; the platform writes no formula on
purpose. A test over ``src/changji`` (tests/core/test_exports.py) refuses ``Workbook(`` and ``csv.writer(``
anywhere but here.

One XML detail: XML turns a carriage return into a line feed when it is read (XML 1.0 §2.11), so ``"\r=1"``
reads back from an XLSX file as ``"\n=1"`` — still text with the quote prefix.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any, TypeVar

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.worksheet.worksheet import Worksheet

__pure__ = True  # no Django: tests/test_architecture.py checks it

__all__ = [
    "FORMULA_STARTS",
    "FormulaSafeCsvWriter",
    "FormulaSafeWorkbook",
    "active_worksheet",
    "append_row",
    "csv_bytes",
    "csv_value",
    "is_formula_like",
    "neutralise_cell",
    "put_cell",
    "workbook_bytes",
]

#: First characters that make a spreadsheet read a text as a formula (OWASP: = + - @ tab CR; LF because XML
#: reads a CR back as LF).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")

#: A worksheet cell as openpyxl hands it out: a position inside a merged range is a ``MergedCell`` (value None).
AnyCell = TypeVar("AnyCell", bound="Cell | MergedCell")


def is_formula_like(value: Any) -> bool:
    """True for a string that a spreadsheet would take as a formula; never for a number."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def _storable(value: Any) -> Any:
    """``value`` with the control characters XLSX cannot hold (openpyxl refuses them) removed from a string."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def neutralise_cell(cell: AnyCell) -> AnyCell:
    """Make ``cell`` text with Excel's quote prefix if it holds a formula-like string or an error-looking string."""
    value = cell.value
    if isinstance(value, str) and (cell.data_type in ("f", "e") or is_formula_like(value)):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def put_cell(sheet: Worksheet, row: int, column: int, value: Any) -> Cell | MergedCell:
    """Write ``value`` at (row, column), a formula-like string as text (see the module docstring)."""
    cell: Cell | MergedCell = sheet.cell(row=row, column=column, value=_storable(value))
    return neutralise_cell(cell)


def append_row(sheet: Worksheet, values: Iterable[Any]) -> tuple[Cell | MergedCell, ...]:
    """Append ``values`` as the next row of ``sheet``, each formula-like string as text; return the row's cells."""
    row = [_storable(value) for value in values]
    sheet.append(row)
    # append writes after the last row that has a cell and remembers it as _current_row; max_row would scan every
    # cell of the sheet, which made a long export quadratic (5,000 rows: 6.7 s).
    number: int = getattr(sheet, "_current_row")  # noqa: B009 (private, not in the type stubs)
    return tuple(neutralise_cell(sheet.cell(row=number, column=column)) for column in range(1, len(row) + 1))


class FormulaSafeWorkbook(Workbook):
    """An openpyxl ``Workbook`` whose ``save`` first turns every formula-like string cell into text."""

    def save(self, filename: Any) -> None:
        for sheet in self.worksheets:
            # The stored cells only: iter_rows() would create every empty cell of the used rectangle.
            for cell in list(sheet._cells.values()):
                neutralise_cell(cell)
        super().save(filename)


def active_worksheet(book: Workbook) -> Worksheet:
    """The active sheet of ``book`` as a worksheet (a new workbook's one sheet); TypeError for a chartsheet or none."""
    sheet = book.active
    if not isinstance(sheet, Worksheet):
        raise TypeError("the workbook's active sheet is not a worksheet")
    return sheet


def workbook_bytes(book: FormulaSafeWorkbook) -> bytes:
    """The XLSX file of ``book`` (saved formula-safe) as bytes, for a download or a stored report."""
    if not isinstance(book, FormulaSafeWorkbook):
        raise TypeError("workbook_bytes needs a FormulaSafeWorkbook")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_value(value: Any) -> Any:
    """``value`` as a CSV cell: a formula-like string gets a leading single quote; anything else is unchanged."""
    return "'" + value if is_formula_like(value) else value


class FormulaSafeCsvWriter:
    """``csv.writer`` over ``stream`` whose rows have every formula-like string prefixed with a single quote."""

    def __init__(self, stream: Any, **options: Any) -> None:
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([csv_value(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_bytes(rows: Iterable[Iterable[Any]]) -> bytes:
    """``rows`` as a formula-safe CSV file in UTF-8 with a byte-order mark (so Excel reads the Chinese headers)."""
    buffer = io.StringIO()
    FormulaSafeCsvWriter(buffer).writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
