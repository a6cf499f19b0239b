"""The stories of the store issue, through the CLI: what the service tells a unit and its
supervisor must be true. Each asserts what crossed the boundary (emails received, `check --json`).
"""

from __future__ import annotations

import json
import re
import shutil

import openpyxl
from click.testing import CliRunner

from main import cli
from tests.conftest import REPO
from tests.smtp_server import OFFICE, Received, mail_config, run_cli
from tests.test_run_google import google_config

GARBAGE = b"PK\x03\x04 this is no longer a workbook"




def check_json(path, today: str) -> dict:
    result = CliRunner().invoke(cli, ["--config", str(path), "check", "--today", today, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def report(data: dict, unit_id: str, form: str, period: str) -> dict:
    return next(r for r in data["reports"] if (r["unit_id"], r["form"], r["period"]) == (unit_id, form, period))


def to(messages: list[Received], address: str) -> list[Received]:
    return [m for m in messages if address in m.rcpt_tos]


def office_reports(messages: list[Received]) -> list[Received]:
    return [m for m in messages if m.rcpt_tos == [OFFICE]]


def delete_row(path, tab: str, period_label: str) -> None:
    book = openpyxl.load_workbook(path)
    sheet = book[tab]
    sheet.delete_rows(next(c.row for c in sheet["A"] if c.value == period_label))
    book.save(path)


def test_complete_then_unreadable_names_no_report_and_every_count_equals_its_list(tmp_path, smtp_server, workbooks):
    path = mail_config(tmp_path, smtp_server, workbooks=workbooks)
    assert run_cli(path, "2023-07-17").exit_code == 0
    before = len(smtp_server.messages)
    (workbooks / "945-cu-lao-dung.xlsx").write_bytes(GARBAGE)

    result = run_cli(path, "2023-07-20")

    assert result.exit_code == 0, result.output  # the unit's own sheet: it is told, the run went well
    new = smtp_server.messages[before:]
    [notice] = to(new, "hlhpn.culaodung@example.vn")
    assert notice.subject == "[Cần sửa bảng tính] Cù Lao Dung: hệ thống chưa đọc được bảng tính (tệp bị hỏng)"
    assert "không đúng định dạng .xlsx" in notice.text and "Chưa nộp" not in notice.text
    # What 945 had delivered stays delivered; what it had not is "chưa đọc được", never missing.
    data = check_json(path, "2023-07-20")
    assert report(data, "945", "commitment_monthly", "2023-M07")["status"] == "complete_on_time"
    assert report(data, "945", "commitment_monthly", "2023-M02")["submitted_on"] == "2023-02-15"
    assert report(data, "945", "topic_report", "2023-H1")["status"] == "unreadable"
    assert not [r for r in data["reports"] if r["unit_id"] == "945" and r["status"] == "missing"]

    [consolidated] = office_reports(new)
    text = consolidated.text
    missing = re.search(r"^✖ Chưa nộp \((\d+)\): (.*)$", text, re.MULTILINE)
    unreadable = re.search(r"^⚠ Chưa đọc được bảng tính \((\d+)\): (.*) \(không tính là chưa nộp", text, re.MULTILINE)
    for count, names in (missing.groups(), unreadable.groups()):
        assert int(count) == len(names.split(", "))
    assert "Cù Lao Dung" not in missing.group(2) + unreadable.group(2)  # its July report was in: complete
    assert " 5. Cù Lao Dung – ✔ Đúng hạn*, nộp 17/07/2023: " in text
    assert " * Bảng tính chưa đọc được hôm nay; tình trạng theo lần đọc trước." in text


def test_rows_deleted_after_completion_keep_the_report_complete_and_tell_the_office(tmp_path, smtp_server, workbooks):
    path = mail_config(tmp_path, smtp_server, units=["941", "949"], workbooks=workbooks)
    assert run_cli(path, "2023-07-20").exit_code == 0
    before = len(smtp_server.messages)
    delete_row(workbooks / "941-tp-soc-trang.xlsx", "Cam kết hằng tháng", "Tháng 7/2023")

    for day in range(21, 32):
        assert run_cli(path, f"2023-07-{day}").exit_code == 0

    later = smtp_server.messages[before:]
    assert to(later, "hlhpn.tpsoctrang@example.vn") == []  # never a reminder for what it had delivered
    assert to(later, "thanhuy.tpsoctrang@example.vn") == []  # nor its supervisor copied
    data = check_json(path, "2023-07-31")
    july = report(data, "941", "commitment_monthly", "2023-M07")
    assert (july["status"], july["submitted_on"], july["values"]["officials_total"]) == (
        "complete_on_time",
        "2023-07-17",
        14,
    )
    history = CliRunner().invoke(cli, ["--config", str(path), "history", "941", "--period", "2023-M07"])
    assert "  21/07/2023: Tháng 7/2023: đã xoá" in history.output.splitlines()
    digests = [m for m in office_reports(later) if m.subject.startswith("[Tổng hợp tuần] ")]
    assert len(digests) == 2  # Mondays 24/07 and 31/07, while 949 still owes its July report
    assert all(
        "CẦN LƯU Ý: SỐ LIỆU ĐÃ NỘP BỊ SỬA HOẶC XOÁ\n"
        " - TP Sóc Trăng: Kỳ Tháng 7/2023: đơn vị đã xoá hoặc làm trống số liệu đã nộp (đầy đủ từ ngày 17/07/2023)"
        " trong trang tính «Cam kết hằng tháng», phát hiện ngày 21/07/2023." in digest.text
        for digest in digests
    )


def test_a_value_changed_after_completion_shows_old_and_new_and_keeps_the_date(tmp_path, workbooks):
    path = mail_config(tmp_path, units=["941"], workbooks=workbooks)
    check_json(path, "2023-07-20")
    book = openpyxl.load_workbook(workbooks / "941-tp-soc-trang.xlsx")
    book["Cam kết hằng tháng"]["C7"] = 15  # Tháng 7/2023: Tổng số CBCC-NLĐ 14 → 15
    book.save(workbooks / "941-tp-soc-trang.xlsx")

    data = check_json(path, "2023-07-25")

    july = report(data, "941", "commitment_monthly", "2023-M07")
    assert (july["status"], july["submitted_on"], july["values"]["officials_total"]) == (
        "complete_on_time",
        "2023-07-17",
        15,
    )
    [changed] = [f for f in data["findings"] if f["code"] == "submitted_data_changed"]
    assert "«Tổng số CBCC-NLĐ» 14 → 15" in changed["message"] and "phát hiện ngày 25/07/2023" in changed["message"]
    history = CliRunner().invoke(cli, ["--config", str(path), "history", "941", "--period", "2023-M07"])
    assert "25/07/2023: Tháng 7/2023: «Tổng số CBCC-NLĐ» 14 → 15" in history.output


def test_a_sheet_dropped_in_after_months_counts_from_the_day_it_was_seen(tmp_path, smtp_server, workbooks):
    path = mail_config(tmp_path, smtp_server, units=["946"], workbooks=workbooks)
    assert run_cli(path, "2023-03-01").exit_code == 0  # the service tries 946: no workbook
    assert run_cli(path, "2023-04-10").exit_code == 0
    # Months later 946 drops in a complete workbook, every row back-dated with its own report date.
    shutil.copy(workbooks / "941-tp-soc-trang.xlsx", workbooks / "946-long-phu.xlsx")

    data = check_json(path, "2023-07-20")

    mine = {(r["form"], r["period"]): (r["status"], r["submitted_on"]) for r in data["reports"]}
    # Tháng 2's deadline (16/02) had passed before the service first looked: its own date stands.
    assert mine[("commitment_monthly", "2023-M02")] == ("complete_on_time", "2023-02-15")
    for month in ("M03", "M04", "M05", "M06", "M07"):
        assert mine[("commitment_monthly", f"2023-{month}")] == ("complete_late", "2023-07-20")
    assert mine[("topic_report", "2023-H1")] == ("complete_late", "2023-07-20")
    assert len(to(smtp_server.messages, "hlhpn.longphu@example.vn")) == 1  # told once its sheet was missing


def test_a_report_date_in_the_future_is_a_finding_at_its_cell_and_is_not_used(tmp_path, workbooks):
    book = openpyxl.load_workbook(workbooks / "941-tp-soc-trang.xlsx")
    book["Cam kết hằng tháng"]["B7"] = "30/08/2023"  # Tháng 7/2023, "submitted" in the future
    book.save(workbooks / "941-tp-soc-trang.xlsx")
    path = mail_config(tmp_path, units=["941"], workbooks=workbooks)

    data = check_json(path, "2023-07-20")

    july = report(data, "941", "commitment_monthly", "2023-M07")
    assert (july["status"], july["submitted_on"]) == ("complete_late", "2023-07-20")
    [found] = [f for f in data["findings"] if f["code"] == "report_date_future"]
    assert found["cell"] == "'Cam kết hằng tháng'!B7" and "30/08/2023" in found["message"]
    assert not found["blocking"]


def statuses(data: dict) -> dict[tuple[str, str, str], tuple[str, str | None]]:
    return {(r["unit_id"], r["form"], r["period"]): (r["status"], r["submitted_on"]) for r in data["reports"]}


def test_the_same_faults_through_the_workbooks_and_through_google_give_the_same_statuses(
    tmp_path, workbooks, google, private_key_pem
):
    # 945's sheet cannot be opened (a corrupt workbook; a spreadsheet not shared with the service),
    # 946 has none (no workbook; no such spreadsheet).
    (workbooks / "945-cu-lao-dung.xlsx").write_bytes(GARBAGE)
    (tmp_path / "local").mkdir()
    local = check_json(mail_config(tmp_path / "local", workbooks=workbooks), "2023-07-20")
    path, ids = google_config(tmp_path, google, private_key_pem)
    google.fake.spreadsheets[ids["945-cu-lao-dung.xlsx"]].shared_with = {"someone@example.vn"}
    remote = check_json(path, "2023-07-20")

    assert statuses(remote) == statuses(local)
    assert remote["summaries"] == local["summaries"]
    assert {
        statuses(local)[("945", "topic_report", "2023-H1")],
        statuses(local)[("946", "topic_report", "2023-H1")],
    } == {("unreadable", None)}


def test_when_every_sheet_fails_the_same_way_the_office_is_told_once_and_no_unit_is_blamed(tmp_path, smtp_server):
    empty = tmp_path / "moved-away"  # the workbooks folder emptied by mistake: the service's problem
    empty.mkdir()
    path = mail_config(tmp_path, smtp_server, workbooks=empty, mail={"technician_email": "kythuat@example.vn"})

    results = [run_cli(path, day) for day in ("2023-07-20", "2023-07-21", "2023-07-24")]

    assert [r.exit_code for r in results] == [4, 4, 4]
    assert "the service could not read the sheets of 12 unit(s)" in results[0].output
    problems = [m for m in smtp_server.messages if m.subject.startswith("[Lỗi hệ thống] ")]
    assert len(problems) == 1
    assert problems[0].rcpt_tos == [OFFICE, "kythuat@example.vn"]
    assert problems[0].subject == (
        "[Lỗi hệ thống] Chưa đọc được bảng tính của 12 đơn vị: lỗi thư mục, khoá hoặc cấu hình (20/07/2023)"
    )
    assert "Chạy «python main.py doctor»" in problems[0].text and "12 đơn vị" in problems[0].text
    unit_addresses = {a for m in smtp_server.messages for a in m.rcpt_tos} - {OFFICE, "kythuat@example.vn"}
    assert unit_addresses == set()  # no reminder, no "your sheet is missing" to any unit
    assert len(smtp_server.messages) == 1  # nor a consolidated report that could only say "nothing read"

    empty.rmdir()
    shutil.copytree(REPO / "samples" / "workbooks", empty)  # the folder is back
    assert run_cli(path, "2023-07-25").exit_code == 0
    assert [m.subject for m in office_reports(smtp_server.messages[1:])][:1] == [
        "[Tổng hợp tuần] 25/07/2023: 5 đơn vị còn nợ 12 báo cáo đã hết hạn (cũ nhất T2/2023)"
    ]


def test_history_before_any_run_says_so_and_creates_no_state_file(tmp_path):
    path = mail_config(tmp_path)
    result = CliRunner().invoke(cli, ["--config", str(path), "history", "941"])
    assert result.exit_code == 0
    assert "No state file yet" in result.output
    assert not (tmp_path / "state.sqlite3").exists()
