"""The local source: one .xlsx per unit; grids as typed, problems as findings, never a crash."""

from __future__ import annotations

import datetime as dt

import openpyxl

from rules.judge import read_unit
from settings.schema import Unit
from sync.local import LocalWorkbookSource


def unit(sheet: str) -> Unit:
    return Unit(id="944", name="Hội LHPN huyện Mỹ Tú", sheet=sheet, emails=["a@example.vn"])


def test_grid_keeps_cell_positions_and_types(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "báo cáo  CHUYÊN ĐỀ"
    sheet["B3"] = "Kỳ báo cáo"
    sheet["C4"] = 12
    sheet["D4"] = dt.date(2023, 6, 16)
    sheet["E4"] = "1.500"
    book.save(tmp_path / "u.xlsx")
    (fetch,) = LocalWorkbookSource(tmp_path).fetch([unit("u.xlsx")], {"944": ["Báo cáo chuyên đề"]})
    grid = fetch.grids["Báo cáo chuyên đề"]
    assert fetch.actual_titles == {"Báo cáo chuyên đề": "báo cáo  CHUYÊN ĐỀ"}
    assert grid[2][1] == "Kỳ báo cáo"  # B3 stays row 3, column B: cell references stay true
    assert grid[3][2:5] == [12, dt.date(2023, 6, 16), "1.500"]


def test_missing_tab_lists_the_tabs_that_exist(tmp_path, config):
    book = openpyxl.Workbook()
    book.active.title = "Trang tính1"
    book.save(tmp_path / "u.xlsx")
    (fetch,) = LocalWorkbookSource(tmp_path).fetch([unit("u.xlsx")], {"944": ["Báo cáo chuyên đề"]})
    assert fetch.missing_tabs == ["Báo cáo chuyên đề"] and fetch.available_tabs == ["Trang tính1"]
    (finding,) = read_unit(config, fetch).findings
    assert finding.message == "Không có trang tính «Báo cáo chuyên đề». Các trang tính hiện có: «Trang tính1»."


def test_corrupt_workbook_is_a_finding_and_the_others_are_read(tmp_path, config):
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook")
    book = openpyxl.Workbook()
    book.active.title = "Báo cáo chuyên đề"
    book.save(tmp_path / "good.xlsx")
    fetches = list(
        LocalWorkbookSource(tmp_path).fetch(
            [unit("broken.xlsx"), unit("good.xlsx").model_copy(update={"id": "945"})],
            {"944": ["Báo cáo chuyên đề"], "945": ["Báo cáo chuyên đề"]},
        )
    )
    assert fetches[0].problem.code == "unreadable_workbook"
    assert "broken.xlsx" in read_unit(config, fetches[0]).findings[0].message
    assert fetches[1].problem is None and "Báo cáo chuyên đề" in fetches[1].grids
