"""Nothing the schedule owes the office is dropped: a period's consolidated report that could not go
out in its window (cron down, a period seen complete too late) arrives, once, as a section of the
next consolidated report that goes out."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from openpyxl import load_workbook

from tests.conftest import sheet_table
from tests.smtp_server import OFFICE, Received, mail_config, run_cli
from tests.test_mail_consolidated import xlsx_of

MONTHLY = "Cam kết hằng tháng"
MONTHLY_TITLE = "Kết quả thực hiện bản cam kết tu dưỡng, rèn luyện, phấn đấu"




def report_month(path: Path, month: str, reported_on: dt.date, officials: int) -> None:
    """A complete row of the monthly commitment report, dated ``reported_on``."""
    book = load_workbook(path)
    book[MONTHLY].append([month, dt.datetime.combine(reported_on, dt.time()), officials, officials, officials, 100])
    book.save(path)


def section_heading(period: str) -> str:
    """How a consolidated report's text part heads a period's section."""
    return f". {MONTHLY_TITLE} – {period} "


def digest_line(period: str) -> str:
    """How the digest's text part heads a period."""
    return f". Cam kết hằng tháng – {period} "


def to_office(path: Path, server, days: list[str]) -> list[tuple[str, Received]]:
    """Run on each day in turn; each email the office received, with its day."""
    received = []
    for today in days:
        before = len(server.messages)
        result = run_cli(path, today)
        assert result.exit_code == 0, result.output
        received += [(today, m) for m in server.messages[before:] if m.message["To"] == OFFICE]
    return received


def test_with_cron_down_six_days_over_a_deadline_that_period_arrives_in_the_next_report(
    tmp_path, smtp_server, workbooks
):
    for unit_file in ("941-tp-soc-trang.xlsx", "944-my-tu.xlsx"):  # both on time: Tháng 8 outstanding nowhere
        report_month(workbooks / unit_file, "Tháng 8/2023", dt.date(2023, 8, 14), officials=10)
    path = mail_config(tmp_path, smtp_server, units=["941", "944"], workbooks=workbooks)
    first = to_office(path, smtp_server, ["2023-08-15"])
    # No run from Wednesday 16/08 (the deadline) to Monday 21/08: the report of Tháng 8/2023 owed
    # from Thursday 17/08, and for two more sending days, never went out.
    later = to_office(path, smtp_server, ["2023-08-22", "2023-08-23", "2023-08-24", "2023-08-25", "2023-08-28"])

    subjects = [(day, m.subject.split(":")[0]) for day, m in first + later]
    assert subjects == [
        ("2023-08-15", "[Tổng hợp tuần] 15/08/2023"),
        ("2023-08-22", "[Tổng hợp tuần] 22/08/2023"),
        ("2023-08-28", "[Tổng hợp tuần] 28/08/2023"),
    ]
    carrying = [day for day, m in first + later if digest_line("Tháng 8/2023") in m.text]
    assert carrying == ["2023-08-22"]
    digest = later[0][1].text
    assert digest_line("Tháng 8/2023") + "(báo cáo bù) (hạn 16/08/2023): đã nộp 2/2" in digest
    assert digest_line("Tháng 7/2023") in digest  # what the digest lists anyway: 944 still owes it
    _, book = xlsx_of(later[0][1])
    assert "Tháng 8/2023" in [row["Kỳ báo cáo"] for row in sheet_table(book["Tổng hợp"])]  # its figures


def test_a_period_seen_complete_after_its_window_arrives_in_the_next_report(tmp_path, smtp_server, workbooks):
    path = mail_config(tmp_path, smtp_server, units=["941", "946"], workbooks=workbooks)
    to_office(path, smtp_server, ["2023-07-20"])  # Tháng 7/2023: 946 has no workbook yet
    long_phu = workbooks / "946-long-phu.xlsx"
    shutil.copy(workbooks / "941-tp-soc-trang.xlsx", long_phu)
    book = load_workbook(long_phu)
    book[MONTHLY]["B7"] = dt.datetime(2023, 7, 25)  # Tháng 7/2023, typed a week late
    book.save(long_phu)

    # 01/08: the service first reads 946, complete since 25/07, after that all-complete report's
    # window (25–27/07); no consolidated report is due that day, so it waits for the next one.
    received = to_office(path, smtp_server, ["2023-08-01", "2023-08-17", "2023-08-18", "2023-08-21"])

    assert [day for day, _ in received] == ["2023-08-17", "2023-08-21"]
    after_august, digest = received[0][1], received[1][1]
    assert after_august.subject.startswith("[Tổng hợp] Tháng 8/2023: ")
    july = after_august.text[after_august.text.index(section_heading("Tháng 7/2023") + "(báo cáo bù)") :]
    assert " 2. Long Phú – ✔ Trễ hạn, nộp 25/07/2023: 14 | 14 | 12" in july
    assert digest_line("Tháng 7/2023") not in digest.text


def test_a_window_that_closed_before_the_first_run_owes_nothing(tmp_path, smtp_server, workbooks):
    for unit_file in ("941-tp-soc-trang.xlsx", "944-my-tu.xlsx"):
        report_month(workbooks / unit_file, "Tháng 8/2023", dt.date(2023, 8, 14), officials=10)
    path = mail_config(tmp_path, smtp_server, units=["941", "944"], workbooks=workbooks)

    received = to_office(path, smtp_server, ["2023-08-22", "2023-08-23", "2023-08-28"])  # installed on 22/08

    assert [day for day, _ in received] == ["2023-08-22", "2023-08-28"]  # the digests
    assert not [day for day, m in received if section_heading("Tháng 8/2023") in m.text]
