"""`status`: what the state file says (last judgement, reminders sent, emails queued), read
without opening a single sheet, as a table for people and as exact JSON for machines."""

from __future__ import annotations

import datetime as dt
import json

from click.testing import CliRunner

from main import cli
from store import ReportRow, Store
from tests.conftest import SAMPLE_TODAY, write_config
from tests.smtp_server import PASSWORD, SmtpServer, mail_config, run_cli

H1_TABLE = """\
Báo cáo kết quả học tập và thực hiện Chuyên đề («Báo cáo chuyên đề»)
Đơn vị                              6T/2023
───────────────────────────────────────────────────
941 Hội LHPN thành phố Sóc Trăng    Đúng hạn
                                    16/06/2023
942 Hội LHPN huyện Châu Thành       Đúng hạn
                                    16/06/2023
943 Hội LHPN huyện Kế Sách          Trễ hạn
                                    27/06/2023
944 Hội LHPN huyện Mỹ Tú            Chưa đủ
                                    nhắc 1 lần
945 Hội LHPN huyện Cù Lao Dung      Chưa đủ
                                    nhắc 1 lần
946 Hội LHPN huyện Long Phú         Chưa đọc được *
947 Hội LHPN huyện Mỹ Xuyên         Đúng hạn
                                    16/06/2023
948 Hội LHPN thị xã Ngã Năm         Chưa đủ
                                    nhắc 1 lần
949 Hội LHPN huyện Thạnh Trị        Đúng hạn
                                    16/06/2023
950 Hội LHPN thị xã Vĩnh Châu       Đúng hạn
                                    16/06/2023
951 Hội LHPN huyện Trần Đề          Đúng hạn
                                    16/06/2023
TT01 Hội LHPN cơ sở Bệnh viện Đa    Đúng hạn
khoa tỉnh                           16/06/2023

Hạn nộp                             19/06/2023
* Lần kiểm tra gần nhất không đọc được bảng tính của đơn vị.
Theo lần kiểm tra ngày 20/07/2023.

Không có thư nào đang chờ gửi.
"""


def status(config_path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(config_path), "status", *args])
    return result.exit_code, result.stdout


def status_json(config_path, *args: str) -> dict:
    code, output = status(config_path, "--json", *args)
    assert code == 0, output
    return json.loads(output)


def test_before_any_run_it_says_so_and_creates_nothing(tmp_path):
    config_path = write_config(tmp_path, state_file=str(tmp_path / "state" / "state.sqlite3"))

    assert status(config_path) == (
        0,
        f"Chưa có tệp trạng thái {tmp_path / 'state' / 'state.sqlite3'}: chưa có lần kiểm tra nào."
        " Chạy `python main.py check` hoặc `python main.py run` trước.\n",
    )
    assert status_json(config_path) == {"reports": [], "queued": []}
    assert not (tmp_path / "state").exists()


def test_after_a_run_one_period_reads_as_a_table(config_path):
    assert run_cli(config_path, SAMPLE_TODAY).exit_code == 0

    assert status(config_path, "--period", "2023-H1") == (0, H1_TABLE)


def test_the_table_has_a_column_per_period_and_no_colour_outside_a_terminal(config_path):
    run_cli(config_path, SAMPLE_TODAY)

    code, output = status(config_path)

    assert code == 0
    assert "\x1b[" not in output
    lines = output.splitlines()
    assert "Kết quả thực hiện bản cam kết tu dưỡng, rèn luyện, phấn đấu («Cam kết hằng tháng»)" in lines
    header = next(line for line in lines if line.startswith("Đơn vị") and "T2/2023" in line)
    assert header.split() == [
        "Đơn", "vị", "T2/2023", "T3/2023", "T4/2023", "T5/2023", "T6/2023", "T7/2023", "T8/2023", "Năm", "2023",
    ]  # fmt: skip
    assert max(len(line) for line in lines) <= 130


def test_json_is_every_report_with_its_reminders(config_path):
    run_cli(config_path, SAMPLE_TODAY)

    found = status_json(config_path)

    # topic (TT01 owes no ad hoc), exemplary, commitment: 7 months and the year-end report
    assert len(found["reports"]) == 12 * 3 - 1 + 11 + 12 * 8
    by_key = {(r["unit_id"], r["form"], r["period"]): r for r in found["reports"]}
    assert by_key[("944", "topic_report", "2023-H1")] == {
        "unit_id": "944",
        "unit_name": "Hội LHPN huyện Mỹ Tú",
        "form": "topic_report",
        "period": "2023-H1",
        "period_label": "6 tháng đầu năm 2023",
        "deadline": "2023-06-19",
        "status": "incomplete",
        "submitted_on": None,
        "finding_count": 2,
        "sheet_read": True,
        "judged_on": "2023-07-20",
        "reminders_sent": 1,
        "review": None,  # the office has not reviewed it
    }
    late = by_key[("943", "topic_report", "2023-H1")]
    assert (late["status"], late["submitted_on"], late["reminders_sent"]) == ("complete_late", "2023-06-27", 0)
    assert by_key[("946", "commitment_monthly", "2023-M02")]["sheet_read"] is False
    assert found["queued"] == []
    assert status_json(config_path, "--period", "2023-H1")["reports"] == [
        r for r in found["reports"] if r["period"] == "2023-H1"
    ]


def test_emails_waiting_after_a_delivery_failure_are_listed(tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
    down = SmtpServer()  # never started: nothing listens on its port
    config_path = mail_config(tmp_path, down)
    assert run_cli(config_path, SAMPLE_TODAY).exit_code == 3

    queued = status_json(config_path)["queued"]
    error = f"cannot log in to 127.0.0.1:{down.port}: ConnectionRefusedError: [Errno 111] Connection refused"
    assert queued[0] == {
        "key": "after_deadline|2023-M07",
        "kind": "after_deadline",
        "unit_id": None,
        "queued_reason": "unavailable",
        "attempts": 0,
        "last_error": error,
    }
    assert [(e["unit_id"], e["attempts"], e["last_error"]) for e in queued[1:]] == [
        # In the order the run queued them (946's sheet notice before the reminders), whatever
        # second each was queued in.
        (unit, 0, error) for unit in ["946", "944", "945", "948", "949", "951"]
    ]
    code, output = status(config_path, "--period", "2023-H1")
    assert "Thư đang chờ gửi" in output
    assert "reminder|945|topic_report/2…   Nhắc nhở           945      Chưa kết nối được   0" in output


def test_it_reads_no_sheet(tmp_path):
    first = write_config(tmp_path)
    run_cli(first, SAMPLE_TODAY)
    (tmp_path / "empty").mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    empty = {"kind": "local", "folder": str(tmp_path / "empty")}
    no_sheets = write_config(elsewhere, state_file=str(tmp_path / "state.sqlite3"), source=empty)

    assert status(no_sheets) == status(first)


def test_a_status_this_version_has_no_word_for_shows_as_its_code(config_path, config):
    with Store.open(config.state_file) as store:
        store.save_report_statuses(
            [ReportRow("944", "topic_report", "2023-H1", "6 tháng đầu năm 2023", dt.date(2023, 6, 19),
                       "on_hold_by_office", None, 0, False, dt.date(2023, 7, 20))]
        )  # fmt: skip

    code, output = status(config_path)

    assert code == 0
    assert "944 Hội LHPN huyện Mỹ Tú on_hold_by_office *" in [" ".join(line.split()) for line in output.splitlines()]
    assert status_json(config_path)["reports"][0]["status"] == "on_hold_by_office"
