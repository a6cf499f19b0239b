"""Sending days: nothing goes out on a weekend or a day off of the deadline calendar; what fell due
then goes out on the next working day, one email per recipient at the latest step."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter
from pathlib import Path

import holidays
import pytest

from tests.smtp_server import OFFICE, PASSWORD, Received, SmtpServer, mail_config, run_cli

TP_SOC_TRANG = "hlhpn.tpsoctrang@example.vn"  # 941: complete in the samples up to Tháng 7/2023
LONG_PHU = "hlhpn.longphu@example.vn"  # 946: no workbook at all
DIGEST = "[Tổng hợp tuần] "
SHEET_NOTICE = "[Cần sửa bảng tính] "



def per_recipient(messages: list[Received]) -> Counter[str]:
    """How many emails each address got (its first To address)."""
    return Counter(m.message["To"].addresses[0].addr_spec for m in messages)


def steps_sent(tmp_path: Path, period_id: str) -> set[str]:
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        rows = db.execute(
            "SELECT i.step FROM mail_ledger_items i JOIN mail_ledger l ON l.key = i.email_key"
            " WHERE i.period_id = ? AND l.status = 'sent'",
            (period_id,),
        )
        return {step for (step,) in rows}


def runs(path: Path, server, days: list[str]) -> dict[str, list[Received]]:
    """Run on each day in turn; what arrived on each."""
    arrived = {}
    for today in days:
        before = len(server.messages)
        result = run_cli(path, today)
        assert result.exit_code == 0, result.output
        arrived[today] = server.messages[before:]
    return arrived


def test_the_days_used_below_are_what_the_calendar_says():
    vn = holidays.country_holidays("VN", years=2024)
    assert all(dt.date(2024, 2, d) in vn for d in range(8, 15))  # Tết Giáp Thìn
    assert dt.date(2023, 8, 19).weekday() == 5 and dt.date(2023, 8, 21).weekday() == 0


def test_nothing_is_sent_on_a_weekend_and_monday_sends_the_latest_step_once(tmp_path, smtp_server):
    path = mail_config(tmp_path, smtp_server, units=["941"])
    runs(path, smtp_server, ["2023-08-18"])  # Tháng 8/2023 was due on Wednesday 16/08

    weekend = runs(path, smtp_server, ["2023-08-19", "2023-08-20"])
    monday = runs(path, smtp_server, ["2023-08-21"])["2023-08-21"]

    assert weekend == {"2023-08-19": [], "2023-08-20": []}
    assert per_recipient(monday) == {TP_SOC_TRANG: 1, OFFICE: 1}
    reminder = next(m for m in monday if m.message["To"] != OFFICE)
    assert reminder.subject == "[Nhắc báo cáo] TP Sóc Trăng: báo cáo Tháng 8/2023 quá hạn 5 ngày"
    assert next(m for m in monday if m.message["To"] == OFFICE).subject.startswith(DIGEST)
    assert steps_sent(tmp_path, "2023-M08") == {"on_day", "overdue_1"}  # overdue_1 fell on the Saturday


def test_a_run_on_a_saturday_says_nothing_is_sent(tmp_path, smtp_server):
    result = run_cli(mail_config(tmp_path, smtp_server, units=["941"]), "2023-08-19")

    assert result.exit_code == 0, result.output
    assert "not a sending day" in result.output
    assert smtp_server.messages == []


def test_nothing_is_sent_during_tet_and_the_first_working_day_after_sends_one_email_each(tmp_path, smtp_server):
    path = mail_config(tmp_path, smtp_server, units=["941"])
    runs(path, smtp_server, ["2024-02-07"])  # everything owed before Tết is reminded once

    tet = runs(path, smtp_server, ["2024-02-08", "2024-02-10", "2024-02-12", "2024-02-14"])
    after = runs(path, smtp_server, ["2024-02-15"])["2024-02-15"]

    assert all(arrived == [] for arrived in tet.values())
    assert per_recipient(after) == {TP_SOC_TRANG: 1, OFFICE: 1}
    reminder = next(m for m in after if m.message["To"] != OFFICE)
    assert reminder.subject.startswith("[Nhắc báo cáo] TP Sóc Trăng: ")
    assert " - Tháng 2/2024: hạn 16/02/2024 (còn 1 ngày)" in reminder.text
    assert steps_sent(tmp_path, "2024-M02") == {"before_1"}  # before_7 and before_3 fell in Tết
    digest = next(m for m in after if m.message["To"] == OFFICE)
    assert digest.subject.startswith(DIGEST + "15/02/2024")  # Monday 12/02 was Tết
    on_the_day = runs(path, smtp_server, ["2024-02-16"])["2024-02-16"]
    assert per_recipient(on_the_day) == {TP_SOC_TRANG: 1}  # and no second digest


def test_a_sheet_notice_waits_for_a_working_day(tmp_path, smtp_server):
    path = mail_config(tmp_path, smtp_server, units=["941", "946"])

    arrived = runs(path, smtp_server, ["2023-07-22", "2023-07-23", "2023-07-24", "2023-07-25"])

    assert arrived["2023-07-22"] == arrived["2023-07-23"] == []
    to_long_phu = [(d, m.subject) for d, ms in arrived.items() for m in ms if LONG_PHU in m.rcpt_tos]
    assert to_long_phu == [
        ("2023-07-24", SHEET_NOTICE + "Long Phú: hệ thống chưa đọc được bảng tính (không tìm thấy tệp)")
    ]


def test_what_a_failed_friday_left_queued_waits_over_the_weekend_and_goes_on_monday(tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
    server = SmtpServer()  # not started on Friday: nothing listens on its port
    path = mail_config(tmp_path, server, units=["941"])
    assert run_cli(path, "2023-08-18").exit_code == 3
    server.start()
    try:
        saturday = run_cli(path, "2023-08-19")
        with sqlite3.connect(tmp_path / "state.sqlite3") as db:
            on_saturday = dict(db.execute("SELECT key, status FROM mail_ledger"))
        monday = runs(path, server, ["2023-08-21"])["2023-08-21"]
    finally:
        server.stop()

    assert "not a sending day" in saturday.output  # and still exit 3: Friday's emails are still undelivered
    assert on_saturday == {
        "after_deadline|2023-M08": "queued",
        "reminder|941|commitment_monthly/2023-M08/on_day": "queued",
    }
    assert server.messages == monday
    assert sorted(m.subject.split(":")[0] for m in monday) == [
        "[Nhắc báo cáo] TP Sóc Trăng",
        "[Tổng hợp tuần] 21/08/2023",
        "[Tổng hợp] Tháng 8/2023",  # Friday's, still owed
    ]
    [reminder] = [m for m in monday if m.message["To"] != OFFICE]
    assert reminder.subject.endswith("Tháng 8/2023 quá hạn 5 ngày")  # the latest step, not Friday's


@pytest.mark.parametrize(
    ("mail", "calendar"),
    [({"send_on_days_off": True}, None), (None, {"extra_working_days": ["2023-08-19"]})],
    ids=["send_on_days_off", "an_extra_working_day"],
)
def test_sending_on_a_saturday_when_config_says_so(tmp_path, smtp_server, mail, calendar):
    path = mail_config(tmp_path, smtp_server, units=["941"], mail=mail, calendar=calendar)
    runs(path, smtp_server, ["2023-08-18"])

    arrived = runs(path, smtp_server, ["2023-08-19", "2023-08-21"])

    [saturday] = arrived["2023-08-19"]
    assert saturday.subject == "[Nhắc báo cáo] TP Sóc Trăng: báo cáo Tháng 8/2023 quá hạn 3 ngày"
    assert per_recipient(arrived["2023-08-21"]) == {OFFICE: 1}  # the digest; nothing new to remind
