"""`provision` on the local source: a blank template workbook for a unit without one (it opens
with openpyxl and carries its validation), a wrong header repaired without touching data rows,
and a second run that saves nothing. Also the fake's batchUpdate: all or nothing."""

from __future__ import annotations

import json
import shutil

import openpyxl
import pytest
from click.testing import CliRunner

from main import cli
from tests.conftest import REPO, write_config
from tests.sheets_fake import FakeSpreadsheet
from tests.sheets_fake_writes import WriteError, apply_requests

TODAY = "2023-07-20"


@pytest.fixture
def folder(tmp_path):
    copy = tmp_path / "workbooks"
    shutil.copytree(REPO / "samples" / "workbooks", copy)
    return copy


def run(tmp_path, folder, *args: str):
    path = write_config(tmp_path, source={"kind": "local", "folder": str(folder)})
    return CliRunner().invoke(cli, ["--config", str(path), *args])


def test_a_unit_without_a_workbook_gets_a_template_with_its_validation(tmp_path, folder):
    result = run(tmp_path, folder, "provision", "--unit", "946", "--today", TODAY)

    assert result.exit_code == 0, result.output
    assert "946-long-phu.xlsx written from the template (4 tabs)" in result.output
    book = openpyxl.load_workbook(folder / "946-long-phu.xlsx")
    assert book.sheetnames == ["Báo cáo chuyên đề", "Cam kết hằng tháng", "Gương điển hình", "Hướng dẫn"]
    topic = book["Báo cáo chuyên đề"]
    assert [c.value for c in topic[1]][:3] == ["Kỳ báo cáo", "Ngày báo cáo", "Số buổi học tập, quán triệt"]
    assert topic.max_row == 1  # the header only
    assert topic.freeze_panes == "A2"
    assert topic["C1"].comment.text == "Số nguyên từ 0 trở lên."
    by_cell = {str(dv.sqref): dv for dv in topic.data_validations.dataValidation}
    assert (by_cell["C2:C5000"].type, by_cell["C2:C5000"].operator, by_cell["C2:C5000"].formula1) == (
        "whole", "greaterThanOrEqual", "0",
    )  # fmt: skip
    assert by_cell["B2:B5000"].type == "date"
    assert "U2:U5000" not in by_cell and "T2:T5000" in by_cell  # U: free text; T: inspections
    monthly = {str(dv.sqref): dv for dv in book["Cam kết hằng tháng"].data_validations.dataValidation}
    assert (monthly["F2:F5000"].type, monthly["F2:F5000"].formula1, monthly["F2:F5000"].formula2) == (
        "decimal",
        "0",
        "100",
    )
    people = {str(dv.sqref): dv for dv in book["Gương điển hình"].data_validations.dataValidation}
    assert people["F2:F5000"].formula1 == '"Biểu dương,Khen thưởng,Đề xuất khen thưởng"'
    assert book["Hướng dẫn"]["A1"].value == "Hướng dẫn nhập báo cáo — Hội LHPN huyện Long Phú"
    # The service now reads the template: nothing reported yet, but no missing workbook or tab.
    check = run(tmp_path, folder, "check", "--today", TODAY, "--unit", "946", "--json")
    codes = {f["code"] for f in json.loads(check.output)["findings"]}
    assert not codes & {"no_workbook", "missing_tab", "missing_column"}, codes


def test_a_wrong_header_is_repaired_and_a_second_run_saves_nothing(tmp_path, folder):
    path = folder / "951-tran-de.xlsx"
    book = openpyxl.load_workbook(path)
    topic = book["Báo cáo chuyên đề"]
    topic["C1"] = "So buoi hoc tap, quan triet"
    data = [[c.value for c in row] for row in topic.iter_rows(min_row=2)]
    book.save(path)

    first = run(tmp_path, folder, "provision", "--unit", "951", "--today", TODAY)
    saved = path.read_bytes()
    second = run(tmp_path, folder, "provision", "--unit", "951", "--today", TODAY)

    assert first.exit_code == second.exit_code == 0, first.output + second.output
    assert (
        "«Báo cáo chuyên đề»: header C1 «So buoi hoc tap, quan triet» → «Số buổi học tập, quán triệt»" in first.output
    )
    assert "tab «Cam kết hằng tháng» added" in first.output  # 951 had only a «Cam ket thang» tab
    repaired = openpyxl.load_workbook(path)
    assert repaired["Báo cáo chuyên đề"]["C1"].value == "Số buổi học tập, quán triệt"
    assert [[c.value for c in row] for row in repaired["Báo cáo chuyên đề"].iter_rows(min_row=2)] == data
    assert path.read_bytes() == saved
    assert second.output.splitlines() == [
        "951 (Hội LHPN huyện Trần Đề): unchanged",
        "Nothing to change: every sheet already matches the forms.",
    ]


def test_check_writes_no_workbook(tmp_path, folder):
    result = run(tmp_path, folder, "provision", "--check", "--today", TODAY)

    assert result.exit_code == 0, result.output
    assert not (folder / "946-long-phu.xlsx").exists()
    assert "946 (Hội LHPN huyện Long Phú): would change (1):" in result.output
    assert result.output.strip().endswith("Nothing was written (--check).")


def test_the_fakes_batch_update_is_all_or_nothing():
    sheet = FakeSpreadsheet("s", "s", {"Báo cáo": [["Kỳ báo cáo"]]})
    good = {"updateCells": {"start": {"sheetId": 0}, "rows": [{"values": [{"userEnteredValue": {"stringValue": "X"}}]}],
                            "fields": "userEnteredValue"}}  # fmt: skip

    with pytest.raises(WriteError) as refused:
        apply_requests(sheet, [good, {"mergeCells": {}}])

    assert refused.value.status == 400 and "mergeCells" in refused.value.message
    assert sheet.tabs == {"Báo cáo": [["Kỳ báo cáo"]]}
    assert (
        apply_requests(sheet, [good, {"addSheet": {"properties": {"title": "Mới"}}}])[1]["addSheet"]["properties"][
            "sheetId"
        ]
        == 1
    )
    assert sheet.tabs == {"Báo cáo": [["X"]], "Mới": []}
