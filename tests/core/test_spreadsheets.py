"""CSV and XLSX exports read back as a spreadsheet program would."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from openpyxl import load_workbook

from lms.spreadsheets import csv_bytes, neutralise, xlsx_bytes

HEADER = ["Họ và tên", "Tỉnh", "Ngày"]
ROWS = [["Nguyễn Thị Hương", "Cần Thơ", datetime(2023, 10, 10, 9, 0)], ['=HYPERLINK("http://x")', "+1", None]]


def test_formulas_are_neutralised():
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise("-2") == "'-2"
    assert neutralise("Đà Nẵng") == "Đà Nẵng"
    assert neutralise(5) == 5


def test_csv_has_a_bom_the_header_first_and_diacritics_intact():
    data = csv_bytes(HEADER, ROWS)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == HEADER
    assert rows[1] == ["Nguyễn Thị Hương", "Cần Thơ", "2023-10-10 09:00"]
    assert rows[2][0].startswith("'=") and rows[2][1] == "'+1" and rows[2][2] == ""


def test_xlsx_has_frozen_filtered_header_and_real_dates():
    sheet = load_workbook(io.BytesIO(xlsx_bytes(HEADER, ROWS, title="Kết quả"))).active
    assert sheet.title == "Kết quả"
    assert [cell.value for cell in sheet[1]] == HEADER
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:C3"
    assert sheet["C2"].value == datetime(2023, 10, 10, 9, 0)
    assert sheet["A3"].value.startswith("'=")
