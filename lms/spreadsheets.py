"""Tables as CSV and XLSX files that spreadsheet programs open correctly.

CSV is UTF-8 with a byte-order mark (so Excel keeps Vietnamese diacritics), header row
first, no preamble. XLSX has the header frozen and filtered, dates as real dates and
columns wide enough for their content. In both, a text cell that starts with = + - @
(or a tab or carriage return) is prefixed with an apostrophe, so a name typed as a
formula is never executed.

XLSX is written with XlsxWriter in constant-memory mode: rows go to disk as they are
written, so a sheet of 60,000 rows costs a few megabytes, and it is about twice as
fast as openpyxl's write-only mode (see benchmarks/README.md).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import BinaryIO

import xlsxwriter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"
# Column widths are measured on the first rows only: enough to size them, cheap at scale.
WIDTH_SAMPLE_ROWS = 300
MIN_WIDTH, MAX_WIDTH = 8, 60
# Sheet names may not hold these characters, nor be longer than 31.
_SHEET_NAME_FORBIDDEN = str.maketrans({character: " " for character in "[]:*?/\\"})


@dataclass
class Table:
    """One sheet: a title, a header row and rows of plain values."""

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence]
    # How many people the rows name (an export of personal data is logged with it);
    # None for figures that name nobody.
    people: int | None = None


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(str(cell)) for cell in header])
    for row in rows:
        writer.writerow([_csv_cell(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(str(value))


def xlsx_bytes(header: Sequence[str], rows: Sequence[Sequence], title: str = "Sheet") -> bytes:
    return workbook_bytes([Table(title, header, rows)])


def workbook_bytes(tables: Sequence[Table]) -> bytes:
    """An XLSX workbook with one sheet per table."""
    buffer = io.BytesIO()
    write_workbook(buffer, tables)
    return buffer.getvalue()


def write_workbook(target: str | BinaryIO, tables: Sequence[Table]) -> None:
    """Write the workbook to a path or a binary file object."""
    workbook = xlsxwriter.Workbook(target, {"constant_memory": True, "remove_timezone": True})
    formats = {
        datetime: workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        date: workbook.add_format({"num_format": "yyyy-mm-dd"}),
    }
    header_format = workbook.add_format({"bold": True, "bg_color": "#E8F3EC", "bottom": 1})
    used_names: set[str] = set()
    for table in tables:
        sheet = workbook.add_worksheet(_sheet_name(table.title, used_names))
        _write_sheet(sheet, table, formats, header_format)
    workbook.close()


def _sheet_name(title: str, used: set[str]) -> str:
    base = (str(title).translate(_SHEET_NAME_FORBIDDEN).strip() or "Sheet")[:31]
    name, number = base, 2
    while name.lower() in used:
        suffix = f" ({number})"
        name, number = base[: 31 - len(suffix)] + suffix, number + 1
    used.add(name.lower())
    return name


def _write_sheet(sheet, table: Table, formats: dict, header_format) -> None:
    header = [neutralise(str(name)) for name in table.header]
    columns = max(len(header), 1)
    for index, width in enumerate(_column_widths(header, table.rows)):
        sheet.set_column(index, index, width)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(table.rows), 0), columns - 1)
    sheet.write_row(0, 0, header, header_format)
    write_string, write_number = sheet.write_string, sheet.write_number
    write_datetime, write_boolean = sheet.write_datetime, sheet.write_boolean
    datetime_format, date_format = formats[datetime], formats[date]
    # One type check per cell, in order of how common each type is in our exports.
    for row_index, row in enumerate(table.rows, start=1):
        for column, value in enumerate(row):
            if value is None:
                continue
            kind = type(value)
            if kind is str:
                if value:
                    write_string(row_index, column, neutralise(value))
            elif kind is int or kind is float or kind is Decimal:
                write_number(row_index, column, value)
            elif kind is datetime:
                # Spreadsheets have no time zones: the caller converts to the course's zone.
                write_datetime(row_index, column, value.replace(tzinfo=None), datetime_format)
            elif kind is date:
                write_datetime(row_index, column, value, date_format)
            elif kind is bool:
                write_boolean(row_index, column, value)
            else:
                write_string(row_index, column, neutralise(str(value)))


def _column_widths(header: list[str], rows: Sequence[Sequence]) -> list[int]:
    widths = [len(name) + 3 for name in header]  # room for the filter button
    for row in rows[:WIDTH_SAMPLE_ROWS]:
        for index, value in enumerate(row[: len(widths)]):
            widths[index] = max(widths[index], _display_length(value))
    return [min(max(width + 1, MIN_WIDTH), MAX_WIDTH) for width in widths]


def _display_length(value) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    return len(str(value))
