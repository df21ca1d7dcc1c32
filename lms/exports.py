"""Tables as CSV and XLSX files that spreadsheet programs open correctly.

CSV is UTF-8 with a byte-order mark (so Excel keeps Vietnamese diacritics), header row
first, no preamble. XLSX has the header frozen and filtered, and dates as real dates.
In both, a text cell that starts with = + - @ (or a tab or carriage return) is
prefixed with an apostrophe, so a name typed as a formula is never executed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence], title: str = "Sheet") -> bytes:
    workbook = Workbook(write_only=False)
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append([neutralise(str(cell)) for cell in header])
    for row in rows:
        sheet.append([_xlsx_cell(cell) for cell in row])
    sheet.freeze_panes = "A2"
    last_column = get_column_letter(max(len(header), 1))
    sheet.auto_filter.ref = f"A1:{last_column}{max(sheet.max_row, 1)}"
    for index, name in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(len(str(name)) + 4, 12), 60)
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(value):
    if isinstance(value, datetime):
        # Spreadsheets have no time zones: the caller converts to the course's zone.
        return value.replace(tzinfo=None)
    return neutralise(value)
