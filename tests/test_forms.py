"""Reading raw grids as forms: headers, ragged rows, periods, typed values, cell-level findings."""

from __future__ import annotations

import datetime as dt
import unicodedata

from rules.forms import read_form
from settings.schema import Calendar, Form

CAL = Calendar.model_validate({"start": "2023-01-15", "obligations": [{"form": "f", "periods": ["monthly"]}]})
FORM = Form.model_validate(
    {
        "key": "f",
        "tab": "Cam kết",
        "title": "Cam kết",
        "period_label": "Tháng",
        "report_date_label": "Ngày báo cáo",
        "fields": [
            {"key": "total", "label": "Tổng số CBCC-NLĐ", "type": "integer", "required": True, "min": 0},
            {"key": "rate", "label": "Tỷ lệ (%)", "type": "percent", "max": 100},
            {"key": "kind", "label": "Lĩnh vực", "type": "choice", "choices": ["Văn hoá - xã hội", "Khác"]},
            {"key": "note", "label": "Ghi chú", "type": "text"},
        ],
    }
)
HEADER = ["Tháng", "Ngày báo cáo", "Tổng số CBCC-NLĐ", "Tỷ lệ (%)", "Lĩnh vực", "Ghi chú"]


def read(grid):
    return read_form(FORM, grid, "Cam kết", "944", CAL)


def test_ragged_rows_and_empty_rows_are_fine():
    reading = read([HEADER, ["Tháng 3/2023", 45000.0, 12], [], ["", None], ["Tháng 4/2023", "", "1.500", "", "Khác"]])
    assert reading.findings == []
    march, april = reading.records["2023-M03"][0], reading.records["2023-M04"][0]
    assert march.values == {"total": 12, "rate": None, "kind": None, "note": None}
    assert march.report_date == dt.date(2023, 3, 15)  # Sheets serial 45000
    assert april.values["total"] == 1500 and april.values["kind"] == "Khác"


def test_nfd_shouting_and_spaced_headers_match():
    header = [unicodedata.normalize("NFD", h) for h in HEADER]
    header[2] = "  TỔNG  SỐ cbcc-nlđ "
    reading = read([header, ["Tháng 3/2023", "", 12, "", "Văn hóa - xã hội"]])
    assert reading.findings == []
    assert reading.records["2023-M03"][0].values["kind"] == "Văn hoá - xã hội"


def test_unreadable_values_become_findings_with_cells():
    reading = read([HEADER, ["Tháng 3/2023", "32/13/2023", "mười hai", "150%", "Kinh tế"]])
    record = reading.records["2023-M03"][0]
    assert record.values["total"] is None and record.values["rate"] is None
    by_code = {f.code: f for f in record.findings}
    assert by_code["not_a_number"].cell == "'Cam kết'!C2"
    assert by_code["above_max"].message == "Ô 'Cam kết'!D2 («Tỷ lệ (%)») ghi 150%, lớn hơn mức tối đa 100."
    assert by_code["not_a_choice"].cell == "'Cam kết'!E2"
    assert not by_code["not_a_date"].blocking  # a bad report date does not block the report


def test_required_empty_cell_is_a_blocking_finding():
    record = read([HEADER, ["Tháng 3/2023", "", ""]]).records["2023-M03"][0]
    (finding,) = record.findings
    assert (finding.code, finding.cell, finding.blocking) == ("missing_value", "'Cam kết'!C2", True)


def test_negative_numbers_below_min():
    (finding,) = read([HEADER, ["Tháng 3/2023", "", "-3"]]).records["2023-M03"][0].findings
    assert finding.code == "below_min" and "nhỏ hơn mức tối thiểu 0" in finding.message


def test_missing_required_column_is_reported_once():
    reading = read([["Tháng", "Ghi chú"], ["Tháng 3/2023", "x"]])
    codes = [(f.code, f.field_label, f.blocking) for f in reading.findings]
    assert ("missing_column", "Tổng số CBCC-NLĐ", True) in codes
    assert ("missing_column", "Ghi chú", False) not in codes
    assert reading.missing_required == ["total"]


def test_missing_period_column_reads_nothing():
    reading = read([["Tổng số CBCC-NLĐ"], [12]])
    assert reading.records == {}
    assert [f.code for f in reading.findings] == ["missing_column"]


def test_unknown_period_and_duplicate_period():
    reading = read([HEADER, ["quý 2", "", 1], ["Tháng 3/2023", "", 10], ["T3/2023", "", 11]])
    codes = {f.code: f for f in reading.findings}
    assert codes["unknown_period"].cell == "'Cam kết'!A2"
    assert codes["duplicate_period"].cell == "'Cam kết'!A3"
    assert [r.values["total"] for r in reading.records["2023-M03"]] == [11]  # the last row wins


def test_duplicate_header_keeps_the_first_column():
    reading = read([HEADER + ["Tổng số CBCC-NLĐ"], ["Tháng 3/2023", "", 12, "", "", "", 99]])
    assert reading.records["2023-M03"][0].values["total"] == 12
    assert [f.code for f in reading.findings] == ["duplicate_column"]
