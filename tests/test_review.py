"""The office's review, through the CLI: a returned report gets its unit one email with the
comment and counts as incomplete until the unit's data change, then it is judged afresh; an
accepted report whose data change later is flagged in the next consolidated report; `status`
shows both. Local samples with a real SMTP server, and real gspread against the Google fake.
"""

from __future__ import annotations

import json

import openpyxl
import pytest
from click.testing import CliRunner

from main import cli
from tests.smtp_server import OFFICE, Received, mail_config, run_cli
from tests.test_run_google import google_config, received

COMMENT = "Số lượt HVPN tham dự chưa khớp với biên bản các buổi học tập, đề nghị kiểm tra lại"
RETURNED_SUBJECT = "[Trả lại báo cáo] TP Sóc Trăng: báo cáo 6 tháng đầu năm 2023 («Báo cáo chuyên đề») cần chỉnh sửa"
TP_SOC_TRANG = "hlhpn.tpsoctrang@example.vn"
TOPIC_TAB, MONTHLY_TAB = "Báo cáo chuyên đề", "Cam kết hằng tháng"




def invoke(path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(path), *args])


def check_json(path, today: str) -> dict:
    result = invoke(path, "check", "--today", today, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def report(data: dict, unit_id: str, form: str, period: str) -> dict:
    return next(r for r in data["reports"] if (r["unit_id"], r["form"], r["period"]) == (unit_id, form, period))


def findings(data: dict, unit_id: str, period: str) -> list[dict]:
    return [f for f in data["findings"] if f["unit_id"] == unit_id and f["period_id"] == period]


def edit_cell(path, tab: str, period_label: str, header: str, value) -> None:
    """Change one value of a period's row in a workbook, as the unit would."""
    book = openpyxl.load_workbook(path)
    sheet = book[tab]
    column = next(c.column for c in sheet[1] if c.value == header)
    row = next(c.row for c in sheet["A"] if c.value == period_label)
    sheet.cell(row, column).value = value
    book.save(path)


def returned_emails(messages: list[Received]) -> list[Received]:
    return [m for m in messages if m.subject.startswith("[Trả lại báo cáo]")]


def test_a_returned_report_is_mailed_once_and_incomplete_until_its_data_change(tmp_path, smtp_server, workbooks):
    path = mail_config(tmp_path, smtp_server, workbooks=workbooks)
    assert run_cli(path, "2023-07-20").exit_code == 0
    assert report(check_json(path, "2023-07-20"), "941", "topic_report", "2023-H1")["status"] == "complete_on_time"
    before = len(smtp_server.messages)

    result = invoke(path, "review", "941", "--form", "topic_report", "--period", "2023-H1", "--return", COMMENT,
                    "--today", "2023-07-20")  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "the next `run` emails the comment to the unit (hlhpn.tpsoctrang@example.vn), once" in result.output
    assert len(smtp_server.messages) == before  # review itself sends nothing
    for day in ("2023-07-21", "2023-07-24", "2023-07-25"):
        assert run_cli(path, day).exit_code == 0
    [returned] = returned_emails(smtp_server.messages)
    assert returned.rcpt_tos == [TP_SOC_TRANG]
    assert returned.subject == RETURNED_SUBJECT
    assert f"«{COMMENT}»" in returned.text
    assert (
        "Ngày 20/07/2023, Ban Tuyên giáo - Chính sách, Luật pháp đã xem Báo cáo kết quả học tập và thực hiện"
        " Chuyên đề kỳ 6 tháng đầu năm 2023 của đơn vị và trả lại để đơn vị chỉnh sửa, với ý kiến:"
    ) in returned.text
    assert "sửa số liệu ở dòng kỳ «6 tháng đầu năm 2023» trong trang tính «Báo cáo chuyên đề»" in returned.text
    assert COMMENT in returned.html
    # Until the unit changes its data the report is incomplete, the comment its finding; the
    # reminders it gets meanwhile say so too.
    data = check_json(path, "2023-07-25")
    assert report(data, "941", "topic_report", "2023-H1")["status"] == "incomplete"
    [finding] = findings(data, "941", "2023-H1")
    assert finding["code"] == "report_returned" and finding["blocking"]
    assert finding["message"] == (
        "Ban Tuyên giáo - Chính sách, Luật pháp đã trả lại báo cáo 6 tháng đầu năm 2023 ngày 20/07/2023:"
        f" «{COMMENT}». Báo cáo được tính là chưa đầy đủ cho đến khi đơn vị sửa số liệu của kỳ này trong"
        " trang tính «Báo cáo chuyên đề»."
    )
    reminders = [m for m in smtp_server.messages[before:] if TP_SOC_TRANG in m.rcpt_tos and m not in returned_emails(
        smtp_server.messages)]  # fmt: skip
    assert reminders and all(COMMENT in m.text for m in reminders)

    edit_cell(workbooks / "941-tp-soc-trang.xlsx", TOPIC_TAB, "6 tháng đầu năm 2023", "Số lượt HVPN tham dự", 3520)
    assert run_cli(path, "2023-07-26").exit_code == 0

    data = check_json(path, "2023-07-27")
    corrected = report(data, "941", "topic_report", "2023-H1")
    # Judged afresh: complete, as first seen complete once corrected (after the deadline: late).
    assert (corrected["status"], corrected["submitted_on"]) == ("complete_late", "2023-07-26")
    assert corrected["values"]["members_attended"] == 3520
    assert findings(data, "941", "2023-H1") == []
    assert len(returned_emails(smtp_server.messages)) == 1
    # The corrected report is now the one kept: complete stays complete.
    edit_cell(workbooks / "941-tp-soc-trang.xlsx", TOPIC_TAB, "6 tháng đầu năm 2023", "Số lượt HVPN tham dự", None)
    later = check_json(path, "2023-07-28")
    assert report(later, "941", "topic_report", "2023-H1")["status"] == "complete_late"
    assert [f["code"] for f in findings(later, "941", "2023-H1")] == ["submitted_data_removed"]


def test_an_accepted_report_changed_later_is_flagged_in_the_next_consolidated_report(tmp_path, smtp_server, workbooks):
    path = mail_config(tmp_path, smtp_server, workbooks=workbooks)
    assert run_cli(path, "2023-07-17").exit_code == 0
    result = invoke(path, "review", "941", "--form", "commitment_monthly", "--period", "2023-M07", "--accept",
                    "--today", "2023-07-17")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "a later change to its data is flagged to the office in the next consolidated report" in result.output
    edit_cell(workbooks / "941-tp-soc-trang.xlsx", MONTHLY_TAB, "Tháng 7/2023", "Ghi chú", "Vượt chỉ tiêu đề ra")
    before = len(smtp_server.messages)

    assert run_cli(path, "2023-07-19").exit_code == 0

    [consolidated] = [m for m in smtp_server.messages[before:] if m.rcpt_tos == [OFFICE]]
    assert consolidated.subject.startswith("[Tổng hợp] Tháng 7/2023:")
    flag = (
        "TP Sóc Trăng: Kỳ Tháng 7/2023: Ban Tuyên giáo - Chính sách, Luật pháp đã duyệt báo cáo ngày 17/07/2023;"
        " sau đó đơn vị đã sửa số liệu trong trang tính «Cam kết hằng tháng», phát hiện ngày 19/07/2023:"
        " «Ghi chú» Đạt chỉ tiêu đề ra → Vượt chỉ tiêu đề ra. Đề nghị xem lại báo cáo đã duyệt."
    )
    assert flag in consolidated.text
    assert "đơn vị đã sửa số liệu đã nộp" not in consolidated.text  # the approval's finding says it
    # The flag is the office's: the report stays complete and the unit is not reminded of it.
    data = check_json(path, "2023-07-20")
    assert report(data, "941", "commitment_monthly", "2023-M07")["status"] == "complete_on_time"
    [finding] = findings(data, "941", "2023-M07")
    assert (finding["code"], finding["blocking"], finding["severity"]) == ("approved_data_changed", False, "medium")
    assert "phát hiện ngày 19/07/2023" in finding["message"]  # since the first day it was seen
    assert not [m for m in smtp_server.messages[before:] if TP_SOC_TRANG in m.rcpt_tos]


def test_status_shows_each_reports_review(tmp_path, workbooks):
    path = mail_config(tmp_path, workbooks=workbooks)
    assert run_cli(path, "2023-07-20").exit_code == 0
    assert invoke(path, "review", "941", "--form", "topic_report", "--period", "2023-H1", "--return", COMMENT,
                  "--today", "2023-07-20").exit_code == 0  # fmt: skip
    assert invoke(path, "review", "942", "--form", "topic_report", "--period", "2023-H1", "--accept",
                  "--today", "2023-07-21").exit_code == 0  # fmt: skip
    assert run_cli(path, "2023-07-21").exit_code == 0

    text = invoke(path, "status", "--period", "2023-H1").stdout
    as_json = json.loads(invoke(path, "status", "--period", "2023-H1", "--json").stdout)

    assert "Báo cáo đã được duyệt hoặc trả lại" in text
    assert (
        f"  941 Hội LHPN thành phố Sóc Trăng – «Báo cáo chuyên đề» 6T/2023: trả lại 20/07/2023: «{COMMENT}»"
    ) in text
    assert "  942 Hội LHPN huyện Châu Thành – «Báo cáo chuyên đề» 6T/2023: duyệt 21/07/2023" in text
    reviews = {r["unit_id"]: r["review"] for r in as_json["reports"] if r["review"]}
    assert reviews == {
        "941": {"decision": "returned", "decided_on": "2023-07-20", "comment": COMMENT, "data_changed_on": None},
        "942": {"decision": "accepted", "decided_on": "2023-07-21", "comment": "", "data_changed_on": None},
    }
    assert report(as_json, "941", "topic_report", "2023-H1")["status"] == "incomplete"


def test_review_on_google_sheets_reads_only_the_changed_sheet(tmp_path, google, private_key_pem):
    path, ids = google_config(tmp_path, google, private_key_pem)
    assert invoke(path, "run", "--today", "2023-07-20").exit_code == 0
    assert invoke(path, "review", "941", "--form", "topic_report", "--period", "2023-H1", "--return", COMMENT,
                  "--today", "2023-07-20").exit_code == 0  # fmt: skip
    reads = google.fake.count("batch_get")

    for day in ("2023-07-21", "2023-07-24"):
        assert invoke(path, "run", "--today", day).exit_code == 0
    # Unchanged sheets are judged from their stored grids: only 946's, never found, is asked again.
    assert google.fake.count("batch_get") == reads + 2
    assert report(check_json(path, "2023-07-24"), "941", "topic_report", "2023-H1")["status"] == "incomplete"
    sheet_id = ids["941-tp-soc-trang.xlsx"]
    grid = google.fake.spreadsheets[sheet_id].tabs[TOPIC_TAB]
    row = next(n for n, cells in enumerate(grid) if cells and cells[0] == "6 tháng đầu năm 2023")
    google.fake.edit(sheet_id, TOPIC_TAB, row, grid[0].index("Số lượt HVPN tham dự"), 3520)
    reads = google.fake.count("batch_get")

    assert invoke(path, "run", "--today", "2023-07-25").exit_code == 0

    assert google.fake.count("batch_get") == reads + 2  # 941's changed sheet, and 946's
    assert google.fake.count("batch_get", spreadsheet_id=sheet_id) == 2  # its first read, and this one
    data = check_json(path, "2023-07-25")
    assert report(data, "941", "topic_report", "2023-H1")["status"] == "complete_late"
    messages = received(tmp_path / "outbox")
    [returned] = [m for m in messages if str(m["Subject"]).startswith("[Trả lại báo cáo]")]
    assert str(returned["Subject"]) == RETURNED_SUBJECT
    assert COMMENT in returned.get_body(("plain",)).get_content()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["999", "--form", "topic_report", "--period", "2023-H1", "--accept"], "no unit with id '999' in config"),
        (["941", "--form", "bao_cao", "--period", "2023-H1", "--accept"], "no form with key 'bao_cao' in config"),
        (["941", "--form", "topic_report", "--period", "2023-H2", "--accept"], "'2023-H2' is not a period id"),
        (["941", "--form", "topic_report", "--period", "2023-M07", "--accept"], "owes no topic_report report for"),
        (["941", "--form", "topic_report", "--period", "2023-H1"], "give exactly one of --accept or --return"),
        (["941", "--form", "topic_report", "--period", "2023-H1", "--accept", "--return", "x"], "exactly one of"),
        (["941", "--form", "topic_report", "--period", "2023-H1", "--return", "  "], "the comment is empty"),
        (["946", "--form", "topic_report", "--period", "2023-H1", "--accept"], "the service has no topic_report"),
    ],
)
def test_review_refuses_what_it_cannot_decide_on(tmp_path, workbooks, args, message):
    path = mail_config(tmp_path, workbooks=workbooks)
    assert invoke(path, "check", "--today", "2023-07-20").exit_code == 0

    result = invoke(path, "review", *args, "--today", "2023-07-20")

    assert result.exit_code == 2
    assert message in result.output
    status = json.loads(invoke(path, "status", "--json").stdout)
    assert not [r for r in status["reports"] if r["review"]]
