"""The consolidated .xlsx as the office opens and prints it: sheets, totals, cells and print setup."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from consolidation.figures import consolidate
from consolidation.workbook import workbook_bytes
from consolidation.xlsx import HEADER_ROW, number_format
from service.check import collect
from settings import load_config
from store import Store
from tests.conftest import REPO, sheet_table, write_config

H1 = [("topic_report", "2023-H1")]
M07 = [("commitment_monthly", "2023-M07")]
FORMULA_LIKE = ['=HYPERLINK("http://x","x")', "+1", "@SUM(A1)", "-2 đồng chí nghỉ"]


def book_of(config, judgement, wanted: list[tuple[str, str]]) -> openpyxl.Workbook:
    consolidation = consolidate(config, judgement, wanted, "Số dòng đã kê khai")
    return openpyxl.load_workbook(io.BytesIO(workbook_bytes(config, consolidation)))


@pytest.fixture
def judgement(config, store):
    return collect(config, dt.date(2023, 7, 24), store)


def test_one_sheet_per_report_between_the_summary_and_the_findings(config, judgement):
    book = book_of(config, judgement, [*M07, *H1])

    assert book.sheetnames == ["Tổng hợp", "Cam kết hằng tháng T7-2023", "Báo cáo chuyên đề 6T-2023", "Phát hiện"]
    sheet = book["Báo cáo chuyên đề 6T-2023"]
    assert [sheet.cell(row=r, column=1).value for r in range(1, 5)] == [
        "Hội LHPN tỉnh Sóc Trăng",
        "Báo cáo kết quả học tập và thực hiện Chuyên đề",
        "Kỳ báo cáo: 6 tháng đầu năm 2023 - hạn nộp 19/06/2023",
        "Số liệu tính đến ngày 24/07/2023",
    ]
    rows = sheet_table(sheet)
    assert len(rows) == 12 + 1 and rows[-1]["Đơn vị"] == "Tổng cộng"
    assert "Biểu mẫu" not in rows[0]  # the form's title is in the title block, not on every row
    assert rows[0]["Khó khăn, vướng mắc"] == "Một số hội viên đi làm ăn xa nên tỷ lệ tham dự chưa cao."


def test_the_totals_row_is_the_sum_of_the_units(config, judgement):
    consolidation = consolidate(config, judgement, H1, "Số dòng")
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(config, consolidation)))
    [section] = consolidation.sections

    *units, totals = sheet_table(book["Báo cáo chuyên đề 6T-2023"])
    for indicator in section.indicators:
        assert totals[indicator.label] == sum(u[indicator.label] or 0 for u in units), indicator.label
    assert totals["Giá trị hỗ trợ (đồng)"] == 91_900_000
    summary = book["Tổng hợp"]
    under = [[v for v in row if v is not None] for row in summary.iter_rows(min_row=HEADER_ROW + 3, values_only=True)]
    assert under[0] == ["Biểu mẫu", "Kỳ báo cáo", "Chỉ tiêu", "Tổng cộng"]  # the indicator's name spans columns
    indicator_totals = {label: total for _, _, label, total in under[1:]}
    assert indicator_totals == {i.label: totals[i.label] for i in section.indicators}


def test_the_summary_gives_counts_and_rates(config, judgement):
    [row] = sheet_table(book_of(config, judgement, M07)["Tổng hợp"])

    counts = ("Kỳ báo cáo", "Số đơn vị phải nộp", "Đã nộp", "Đầy đủ", "Chưa nộp", "Chưa đọc được bảng tính")
    assert tuple(row[k] for k in counts) == ("Tháng 7/2023", 12, 9, 8, 2, 1)
    assert row["Tỷ lệ đã nộp (%)"] == 75.0 and row["Hạn nộp"].date() == dt.date(2023, 7, 18)


def test_numbers_and_dates_are_cells_of_their_kind_in_vietnamese_formats(config, judgement):
    book = book_of(config, judgement, [*M07, *H1])

    sheet = book["Báo cáo chuyên đề 6T-2023"]
    header = [c.value for c in sheet[HEADER_ROW]]
    first = sheet[HEADER_ROW + 1]
    welfare = first[header.index("Giá trị hỗ trợ (đồng)")]
    assert welfare.value == 9_500_000 and welfare.data_type == "n" and welfare.number_format == "#,##0"
    submitted = first[header.index("Ngày nộp")]
    assert submitted.is_date and submitted.value.date() == dt.date(2023, 6, 16)
    assert submitted.number_format == "dd/mm/yyyy"
    summary = book["Tổng hợp"]
    summary_header = [c.value for c in summary[HEADER_ROW]]
    row = summary[HEADER_ROW + 1]
    assert row[summary_header.index("Hạn nộp")].number_format == "dd/mm/yyyy"
    assert row[summary_header.index("Đã nộp")].number_format == "#,##0"
    assert row[summary_header.index("Tỷ lệ đã nộp (%)")].number_format == "0.0"


@pytest.mark.parametrize(
    ("kind", "value", "shown_as"),
    [("number", 2.5, "#,##0.##"), ("number", 1500, "#,##0"), ("integer", 1500, "#,##0"), ("percent", 85.7, "0.0")],
)
def test_a_number_shows_its_decimals_only_when_it_has_some(kind, value, shown_as):
    assert number_format(kind, value) == shown_as


def test_status_cells_are_worded_and_coloured(config, judgement):
    sheet = book_of(config, judgement, M07)["Cam kết hằng tháng T7-2023"]
    status = [c.value for c in sheet[HEADER_ROW]].index("Tình trạng")
    cells = [sheet.cell(row=HEADER_ROW + n, column=status + 1) for n in range(1, 13)]
    shown = {(c.value, c.fill.fgColor.rgb[-6:]) for c in cells}
    assert ("Đầy đủ, đúng hạn", "C6EFCE") in shown
    assert ("Chưa đầy đủ", "F8CBAD") in shown
    assert ("Chưa nộp", "FFC7CE") in shown
    assert ("Chưa đọc được bảng tính", "D9D9D9") in shown


def test_each_sheet_prints_landscape_on_a4_one_page_wide_under_a_bold_frozen_filtered_header(config, judgement):
    book = book_of(config, judgement, [*M07, *H1])

    for sheet in book:
        assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == 9  # A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        pages_tall = 1 if sheet.title == "Tổng hợp" else 0  # a short summary on one page
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, pages_tall)
        assert sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
        assert sheet.freeze_panes.endswith(str(HEADER_ROW + 1))
        assert sheet.auto_filter.ref.startswith("A6:")
        header = [c for c in sheet[HEADER_ROW] if c.value is not None]
        assert header and all(c.font.b for c in header) and all(c.border.bottom.style == "thin" for c in header)


@pytest.fixture
def formula_like_notes(tmp_path: Path):
    """Four units whose monthly notes for Tháng 7/2023 look like formulas, as typed in a sheet."""
    folder = tmp_path / "workbooks"
    shutil.copytree(REPO / "samples" / "workbooks", folder)
    units = ["941-tp-soc-trang", "942-chau-thanh", "943-ke-sach", "945-cu-lao-dung"]
    for name, text in zip(units, FORMULA_LIKE, strict=True):
        path = folder / f"{name}.xlsx"
        book = openpyxl.load_workbook(path)
        sheet = book["Cam kết hằng tháng"]
        [row] = [r for r in sheet.iter_rows(min_row=2) if r[0].value == "Tháng 7/2023"]
        row[6].value = text
        row[6].data_type = "s"
        book.save(path)
    config = load_config(write_config(tmp_path, source={"kind": "local", "folder": str(folder)}))
    with Store.open(config.state_file) as store:
        judgement = collect(config, dt.date(2023, 7, 20), store)
    return config, judgement


def test_a_text_that_looks_like_a_formula_stays_text(formula_like_notes):
    config, judgement = formula_like_notes
    consolidation = consolidate(config, judgement, M07, "Số dòng")
    data = workbook_bytes(config, consolidation)

    sheet = openpyxl.load_workbook(io.BytesIO(data))["Cam kết hằng tháng T7-2023"]
    header = [c.value for c in sheet[HEADER_ROW]]
    notes = [sheet.cell(row=HEADER_ROW + n, column=header.index("Ghi chú") + 1) for n in (1, 2, 3, 5)]
    assert [c.value for c in notes] == FORMULA_LIKE
    assert all(c.data_type == "s" for c in notes)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets and not any(b"<f>" in archive.read(n) or b"<f " in archive.read(n) for n in sheets)


def test_a_list_form_has_its_rows_on_a_sheet_of_their_own(config, store):
    judgement = collect(config, dt.date(2024, 1, 20), store)
    book = book_of(config, judgement, [("exemplary_people", "2023-Y")])

    assert book.sheetnames == ["Tổng hợp", "Gương điển hình Năm 2023", "DS Gương điển hình Năm 2023", "Phát hiện"]
    people = sheet_table(book["DS Gương điển hình Năm 2023"])
    assert people[0]["Đơn vị"] == "Hội LHPN thành phố Sóc Trăng" and people[0]["Họ và tên"] == "Nguyễn Thị Thu Hà"
    counts = sheet_table(book["Gương điển hình Năm 2023"])
    assert counts[-1]["Số dòng đã kê khai"] == len(people)


def test_a_report_summary_shows_its_status_chart_and_a_digest_summary_none(config, judgement):
    report = workbook_bytes(config, consolidate(config, judgement, [("topic_report", "2023-H1")], "Số dòng"))
    outstanding = [("commitment_monthly", f"2023-M0{m}") for m in range(2, 8)]
    digest = workbook_bytes(config, consolidate(config, judgement, outstanding, "Số dòng"))

    with zipfile.ZipFile(io.BytesIO(report)) as archive:
        media = [n for n in archive.namelist() if n.startswith("xl/media/")]
        assert len(media) == 1 and archive.read(media[0]).startswith(b"\x89PNG")
        assert "xl/drawings/drawing1.xml" in archive.namelist()
    with zipfile.ZipFile(io.BytesIO(digest)) as archive:
        assert not [n for n in archive.namelist() if n.startswith("xl/media/")]
