"""Ad-hoc requests: `request` records a one-off period in the state file, the next `run` emails it
to each unit once, and from then on reminders, the consolidated report and `status` treat it like
any period; `request --list` and `request --cancel`; the command line refuses what cannot work.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from main import cli
from store import Store
from tests.smtp_server import OFFICE, Received, mail_config, run_cli

TOPIC_TAB = "Báo cáo chuyên đề"
TITLE = "Báo cáo nhanh kết quả tuyên truyền Chuyên đề tháng 7/2023"
ALIAS = "Đột xuất 7/2023"
REQUEST_SUBJECT = "[Báo cáo đột xuất] "
UNITS = ["941", "944", "949"]
ADDRESS = {"941": "hlhpn.tpsoctrang@example.vn", "944": "hlhpn.mytu@example.vn", "949": "hlhpn.thanhtri@example.vn"}




def request_cli(path: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(path), "request", *args])


def open_request(path: Path, *args: str, today: str = "2023-07-20", due: str = "2023-07-31"):
    return request_cli(
        path, "--today", today, "--form", "topic_report", "--title", TITLE, "--due", due, "--alias", ALIAS, *args
    )


def report_ad_hoc(folder: Path, unit_id: str, reported_on: dt.date) -> None:
    """The unit copies its six-monthly row as the ad-hoc period, typing the alias the email named."""
    path = next(folder.glob(f"{unit_id}-*.xlsx"))
    book = load_workbook(path)
    ws = book[TOPIC_TAB]
    values = [c.value for c in ws[3]]
    ws.append([ALIAS, reported_on, *values[2:]])
    book.save(path)


def requests_to(messages: list[Received]) -> list[tuple[str, ...]]:
    return sorted(tuple(m.rcpt_tos) for m in messages if m.subject.startswith(REQUEST_SUBJECT))


def reminders_to(messages: list[Received], unit_id: str) -> list[Received]:
    return [m for m in messages if ADDRESS[unit_id] in m.rcpt_tos and m.subject.startswith("[Nhắc báo cáo]")]


def test_request_then_run_on_two_days_emails_each_unit_once_then_reminders_and_report_follow(
    tmp_path, smtp_server, workbooks
):
    path = mail_config(tmp_path, smtp_server, units=UNITS, workbooks=workbooks)
    opened = open_request(path, "--unit", "941", "--unit", "944")
    assert opened.exit_code == 0, opened.output
    assert "request adhoc-2023-07-20 opened" in opened.output
    assert "the next `run`" in opened.output and f"«{ALIAS}»" in opened.output
    assert smtp_server.messages == []  # `request` only records: sending is the run's

    assert run_cli(path, "2023-07-20").exit_code == 0
    first_day = list(smtp_server.messages)
    assert requests_to(first_day) == [
        ("hlhpn.mytu@example.vn", "chutich.mytu@example.vn"),
        ("hlhpn.tpsoctrang@example.vn",),
    ]
    mail = next(m for m in first_day if m.subject.startswith(REQUEST_SUBJECT) and ADDRESS["944"] in m.rcpt_tos)
    assert mail.subject == f"{REQUEST_SUBJECT}Mỹ Tú: {TITLE}, hạn 31/07/2023"
    assert "Hạn nộp: 31/07/2023 (còn 11 ngày)" in mail.text
    assert f"Trang tính «{TOPIC_TAB}»" in mail.text
    assert f"cột «Kỳ báo cáo» ghi đúng «{ALIAS}»" in mail.text
    assert "Tệp bảng tính của đơn vị: 944-my-tu.xlsx" in mail.text
    assert f"«{ALIAS}»" in mail.html
    # 944's reminder that day is about its other reports; the ad-hoc period has no step reached yet.
    assert all(ALIAS not in m.text for m in reminders_to(first_day, "944"))

    report_ad_hoc(workbooks, "941", dt.date(2023, 7, 21))
    assert run_cli(path, "2023-07-21").exit_code == 0
    assert requests_to(smtp_server.messages[len(first_day) :]) == []  # the ledger: never twice

    # 24/07 is 7 days before the deadline: 944, which has not reported, is reminded; 941 has.
    before = len(smtp_server.messages)
    assert run_cli(path, "2023-07-24").exit_code == 0
    week_before = smtp_server.messages[before:]
    [reminder] = reminders_to(week_before, "944")
    assert f"{ALIAS}: hạn 31/07/2023 (còn 7 ngày) – ✖ Chưa nộp" in reminder.text
    assert reminders_to(week_before, "941") == []
    assert requests_to(week_before) == []

    # The day after the deadline the office gets the period's consolidated report.
    before = len(smtp_server.messages)
    assert run_cli(path, "2023-08-01").exit_code == 0
    office = [m for m in smtp_server.messages[before:] if m.rcpt_tos == [OFFICE] and "tuần" not in m.subject]
    assert [m.subject for m in office] == ["[Tổng hợp] Đột xuất 7/2023: 1/2 đơn vị đã nộp, 1 chưa nộp (01/08/2023)"]
    assert requests_to(smtp_server.messages) == requests_to(first_day)


def test_a_request_due_tomorrow_stands_for_that_days_reminder_and_the_schedule_goes_on(tmp_path, smtp_server):
    path = mail_config(tmp_path, smtp_server, units=["941"])
    assert open_request(path, "--unit", "941", due="2023-07-21").exit_code == 0
    assert run_cli(path, "2023-07-20").exit_code == 0
    # 941 owes nothing else: one email, the request, and no before_1 reminder beside it. With
    # the title the subject would pass 100 characters: it names the period in short instead.
    to_unit = [m.subject for m in smtp_server.messages if m.rcpt_tos != [OFFICE]]
    assert to_unit == [f"{REQUEST_SUBJECT}TP Sóc Trăng: {ALIAS}, hạn 21/07/2023"]
    before = len(smtp_server.messages)
    assert run_cli(path, "2023-07-21").exit_code == 0
    subjects = [m.subject for m in smtp_server.messages[before:] if m.rcpt_tos != [OFFICE]]
    assert subjects == ["[Nhắc báo cáo] TP Sóc Trăng: hôm nay hết hạn nộp báo cáo Đột xuất 7/2023 (21/07/2023)"]


def test_status_shows_the_requested_period_with_its_deadline(tmp_path):
    path = mail_config(tmp_path, units=UNITS)
    assert open_request(path).exit_code == 0
    assert run_cli(path, "2023-07-20").exit_code == 0
    shown = CliRunner().invoke(cli, ["--config", str(path), "status", "--period", "adhoc-2023-07-20"])
    assert shown.exit_code == 0, shown.output
    assert ALIAS in shown.output and "31/07/2023" in shown.output
    as_json = CliRunner().invoke(cli, ["--config", str(path), "status", "--json", "--period", "adhoc-2023-07-20"])
    reports = json.loads(as_json.output)["reports"]
    assert {(r["unit_id"], r["deadline"], r["status"], r["period_label"]) for r in reports} == {
        (u, "2023-07-31", "not_yet_due", TITLE) for u in UNITS
    }


def test_list_names_each_request_and_cancel_stops_what_it_owed(tmp_path, smtp_server):
    path = mail_config(tmp_path, smtp_server, units=["941", "944"])
    assert open_request(path).exit_code == 0
    second = request_cli(
        path, "--today", "2023-07-20", "--form", "commitment_monthly", "--title", "Rà soát cam kết",
        "--due", "2023-07-27", "--unit", "944",
    )  # fmt: skip
    assert second.exit_code == 0, second.output
    assert "request adhoc-2023-07-20-2 opened" in second.output
    assert "«Đột xuất 7/2023»" not in second.output  # its default alias may not take the first one's
    assert "«Đột xuất 27/07/2023»" in second.output

    assert run_cli(path, "2023-07-20").exit_code == 0
    assert len(requests_to(smtp_server.messages)) == 3
    listed = request_cli(path, "--list")
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert lines[0].split() == ["id", "form", "title", "start", "due", "units", "status"]
    assert "adhoc-2023-07-20 " in lines[2] and "all (2)" in lines[2] and "open, emailed 2/2" in lines[2]
    assert "adhoc-2023-07-20-2" in lines[3] and "commitment_monthly" in lines[3] and "open, emailed 1/1" in lines[3]

    cancelled = request_cli(path, "--today", "2023-07-21", "--cancel", "adhoc-2023-07-20")
    assert cancelled.exit_code == 0, cancelled.output
    assert "request adhoc-2023-07-20 cancelled" in cancelled.output
    assert "no longer owed" in cancelled.output and "(2 report judgement(s) dropped)" in cancelled.output
    assert "units already sent the request: 2" in cancelled.output
    assert "already cancelled" in request_cli(path, "--cancel", "adhoc-2023-07-20").output
    assert "cancelled 21/07/2023" in request_cli(path, "--list").output

    # 24/07: the cancelled period is named in no reminder and shown by no status; the other goes on.
    before = len(smtp_server.messages)
    assert run_cli(path, "2023-07-24").exit_code == 0
    texts = [m.text for m in smtp_server.messages[before:]]
    assert texts and all(ALIAS not in t for t in texts)
    assert any("Đột xuất 27/07/2023: hạn 27/07/2023 (còn 3 ngày)" in t for t in texts)
    status = CliRunner().invoke(cli, ["--config", str(path), "status", "--json"]).output
    periods = {r["period"] for r in json.loads(status)["reports"]}
    assert "adhoc-2023-07-20" not in periods and "adhoc-2023-07-20-2" in periods

    unknown = request_cli(path, "--cancel", "adhoc-1999-01-01")
    assert unknown.exit_code == 2 and "no ad-hoc request 'adhoc-1999-01-01'" in unknown.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--form", "nope"], "no form with key 'nope' in config"),
        (["--unit", "999"], "no unit with id '999' in config"),
        (["--start", "2023-08-05"], "the deadline 31/07/2023 is before the start 05/08/2023"),
        (["--alias", "Đột xuất 4/2023"], "'Đột xuất 4/2023' is already how units type the period"),
        (["--alias", "tháng 7/2023"], "is already how units type the period Tháng 7/2023 (2023-M07)"),
        (["--due", "2023-31-07"], "'2023-31-07' is not a date in YYYY-MM-DD form"),
    ],
)
def test_a_request_that_cannot_work_is_refused_and_nothing_is_recorded(tmp_path, args, message):
    path = mail_config(tmp_path, units=UNITS)
    base = {"--form": "topic_report", "--title": TITLE, "--due": "2023-07-31", "--today": "2023-07-20"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    result = request_cli(path, *[part for pair in base.items() for part in pair])
    assert result.exit_code == 2
    assert message in result.output
    with Store.open(tmp_path / "state.sqlite3") as store:
        assert store.ad_hoc_requests() == []


def test_an_alias_an_open_request_uses_is_refused_to_the_next(tmp_path):
    path = mail_config(tmp_path, units=UNITS)
    assert open_request(path).exit_code == 0
    same_title = open_request(path)
    assert same_title.exit_code == 2 and "Invalid value for --title" in same_title.output
    again = request_cli(
        path, "--today", "2023-07-20", "--form", "topic_report", "--title", "Khác", "--due", "2023-07-31",
        "--alias", ALIAS.upper(),
    )  # fmt: skip
    assert again.exit_code == 2
    assert f"is already how units type the period {TITLE} (adhoc-2023-07-20)" in again.output


def test_on_google_sheets_the_request_reads_nothing_and_a_unit_typing_the_alias_completes_it(
    tmp_path, google, private_key_pem
):
    from tests.test_run_google import google_config, received

    path, ids = google_config(tmp_path, google, private_key_pem)
    before = len(google.fake.log)
    assert open_request(path, "--unit", "941", "--unit", "944").exit_code == 0
    assert len(google.fake.log) == before  # recording a request asks Google nothing

    assert CliRunner().invoke(cli, ["--config", str(path), "run", "--today", "2023-07-20"]).exit_code == 0
    sent = received(tmp_path / "outbox")
    asked = sorted(m["To"] for m in sent if m["Subject"].startswith(REQUEST_SUBJECT))
    assert asked == ["hlhpn.mytu@example.vn, chutich.mytu@example.vn", "hlhpn.tpsoctrang@example.vn"]
    mail = next(m for m in sent if m["Subject"].startswith(REQUEST_SUBJECT) and "mytu" in m["To"])
    assert (
        f"https://docs.google.com/spreadsheets/d/{ids['944-my-tu.xlsx']}/edit"
        in mail.get_body(("plain",)).get_content()
    )

    # 941 types the period as the email said, in a new row of its Google Sheet.
    sheet = ids["941-tp-soc-trang.xlsx"]
    row = list(google.fake.spreadsheets[sheet].tabs[TOPIC_TAB][2])
    for col, value in enumerate([ALIAS, 45128, *row[2:]]):  # 45128: 21/07/2023 as a serial day
        google.fake.edit(sheet, TOPIC_TAB, 3, col, value)
    assert CliRunner().invoke(cli, ["--config", str(path), "run", "--today", "2023-07-21"]).exit_code == 0
    again = received(tmp_path / "outbox")
    assert sorted(m["To"] for m in again if m["Subject"].startswith(REQUEST_SUBJECT)) == asked

    shown = CliRunner().invoke(cli, ["--config", str(path), "status", "--json", "--period", "adhoc-2023-07-20"])
    statuses = {r["unit_id"]: (r["status"], r["submitted_on"]) for r in json.loads(shown.output)["reports"]}
    assert statuses == {"941": ("complete_on_time", "2023-07-21"), "944": ("not_yet_due", None)}
