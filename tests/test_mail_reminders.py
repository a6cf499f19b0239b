"""Reminders as the units receive them: only to units that owe a report, once a day, latest step."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from delivery.schedule import latest_step, reminder_steps
from settings.schema import GoogleSource, Reminders
from tests.conftest import SAMPLE_TODAY
from tests.smtp_server import OFFICE, Received, mail_config, run_cli, running_server

OWING = {
    "944": ["hlhpn.mytu@example.vn", "chutich.mytu@example.vn"],
    "945": ["hlhpn.culaodung@example.vn"],
    "948": ["hlhpn.nganam@example.vn"],
    "949": ["hlhpn.thanhtri@example.vn"],
    "951": ["hlhpn.trande@example.vn"],
}
D = dt.date(2023, 7, 18)


@pytest.fixture
def smtp_server(monkeypatch):
    yield from running_server(monkeypatch)


SHEET_PROBLEM_SUBJECT = "Hệ thống chưa đọc được bảng tính báo cáo của đơn vị – "


def reminders(messages: list[Received]) -> dict[str, Received]:
    """Reminders by their To header (the unit's first address)."""
    return {
        m.message["To"].addresses[0].addr_spec: m
        for m in messages
        if m.message["To"] != OFFICE and not m.subject.startswith(SHEET_PROBLEM_SUBJECT)
    }


def test_a_unit_whose_workbook_is_missing_is_told_once_what_to_fix_and_never_reminded(tmp_path, smtp_server):
    path = mail_config(tmp_path, smtp_server)
    for today in (SAMPLE_TODAY, "2023-07-21", "2023-07-30", "2023-08-20"):
        assert run_cli(path, today).exit_code == 0

    to_long_phu = [m for m in smtp_server.messages if "hlhpn.longphu@example.vn" in m.rcpt_tos]
    assert [m.subject for m in to_long_phu] == [SHEET_PROBLEM_SUBJECT + "Hội LHPN huyện Long Phú"]
    text = to_long_phu[0].text
    assert "Từ ngày 20/07/2023, hệ thống theo dõi báo cáo" in text
    assert "Không tìm thấy bảng tính của đơn vị (tệp 946-long-phu.xlsx)." in text
    assert "Cách khắc phục: Đề nghị đơn vị gửi lại tệp bảng tính báo cáo" in text
    assert "Chưa nộp" not in text and "quá hạn" not in text


def to_unit(messages: list[Received], unit_id: str) -> Received:
    return reminders(messages)[OWING[unit_id][0]]


@pytest.mark.parametrize(
    ("today", "step"),
    [
        (D - dt.timedelta(days=8), None),
        (D - dt.timedelta(days=7), "before_7"),
        (D - dt.timedelta(days=2), "before_3"),
        (D - dt.timedelta(days=1), "before_1"),
        (D, "on_day"),
        (D + dt.timedelta(days=2), "on_day"),
        (D + dt.timedelta(days=3), "overdue_1"),
        (D + dt.timedelta(days=6), "overdue_2"),
        (D + dt.timedelta(days=7), "escalate"),
        (D + dt.timedelta(days=8), "escalate"),
        (D + dt.timedelta(days=12), "overdue_4"),
        (D + dt.timedelta(days=200), "overdue_5"),
    ],
)
def test_the_latest_step_reached_is_the_only_one_due(today, step):
    found = latest_step(D, today, Reminders())
    assert (found.name if found else None) == step


def test_steps_escalate_from_exactly_seven_days_late():
    steps = [(s.name, (s.on - D).days, s.escalated) for s in reminder_steps(D, Reminders())]
    assert steps == [
        ("before_7", -7, False),
        ("before_3", -3, False),
        ("before_1", -1, False),
        ("on_day", 0, False),
        ("overdue_1", 3, False),
        ("overdue_2", 6, False),
        ("escalate", 7, True),
        ("overdue_3", 9, True),
        ("overdue_4", 12, True),
        ("overdue_5", 15, True),
    ]


@pytest.mark.parametrize(
    ("settings", "escalated"),
    [
        (Reminders(escalate_after_days=6), {"overdue_2": 6, "overdue_3": 9, "overdue_4": 12, "overdue_5": 15}),
        (Reminders(overdue_max=2, escalate_after_days=10), {"escalate": 10}),  # after the last overdue step
        (Reminders(overdue_max=0), {}),  # no overdue reminders at all: nothing to escalate
    ],
)
def test_escalation_starts_on_its_day_whatever_the_overdue_steps(settings, escalated):
    steps = reminder_steps(D, settings)
    assert {s.name: (s.on - D).days for s in steps if s.escalated} == escalated
    assert [s.on for s in steps] == sorted(s.on for s in steps)


def test_reminders_go_only_to_units_whose_report_is_not_complete(tmp_path, smtp_server):
    result = run_cli(mail_config(tmp_path, smtp_server), SAMPLE_TODAY)

    assert result.exit_code == 0, result.output
    received = reminders(smtp_server.messages)
    assert sorted(received) == sorted(addresses[0] for addresses in OWING.values())
    for unit_id, addresses in OWING.items():
        assert to_unit(smtp_server.messages, unit_id).message["To"].addresses[-1].addr_spec == addresses[-1]
    assert len(smtp_server.messages) == 1 + len(OWING) + 1  # the report, the reminders, 946's sheet notice


def test_a_reminder_names_each_period_its_deadline_the_sheet_and_every_missing_cell(tmp_path, smtp_server):
    run_cli(mail_config(tmp_path, smtp_server), SAMPLE_TODAY)

    my_tu = to_unit(smtp_server.messages, "944")
    assert my_tu.subject == "Báo cáo Tháng 7/2023 và 1 báo cáo khác đã quá hạn 2 ngày – Hội LHPN huyện Mỹ Tú"
    text = my_tu.text
    assert "Kính gửi: Hội LHPN huyện Mỹ Tú," in text
    assert "6 tháng đầu năm 2023\n   Hạn nộp: 19/06/2023 (đã quá hạn 31 ngày). Tình trạng: Chưa đầy đủ." in text
    assert "Tháng 7/2023\n   Hạn nộp: 18/07/2023 (đã quá hạn 2 ngày)." in text
    for cell in ("'Báo cáo chuyên đề'!G3", "'Báo cáo chuyên đề'!H3", "'Cam kết hằng tháng'!E7"):
        assert f"Ô {cell} (" in text
    assert "Tệp bảng tính báo cáo của đơn vị: 944-my-tu.xlsx" in text
    assert "Ô &#39;Cam kết hằng tháng&#39;!E7" in my_tu.html

    cu_lao_dung = to_unit(smtp_server.messages, "945").text
    assert "ô 'Báo cáo chuyên đề'!L3, D3: 15 so với 12" in cu_lao_dung
    assert "ghi «mười hai», không phải là số" in to_unit(smtp_server.messages, "948").text
    assert "Không có trang tính «Cam kết hằng tháng»" in to_unit(smtp_server.messages, "951").text


def test_one_email_per_unit_groups_every_report_it_owes(tmp_path, smtp_server):
    run_cli(mail_config(tmp_path, smtp_server), SAMPLE_TODAY)

    tran_de = to_unit(smtp_server.messages, "951")
    assert tran_de.subject.endswith("và 5 báo cáo khác đã quá hạn 2 ngày – Hội LHPN huyện Trần Đề")
    assert "6 báo cáo sau đây chưa hoàn thành" in tran_de.text
    assert tran_de.text.count("Chưa có số liệu của kỳ này") == 6


def test_a_unit_with_nothing_late_is_reminded_seven_days_before_the_deadline(tmp_path, smtp_server):
    result = run_cli(mail_config(tmp_path, smtp_server, units=["941"]), "2023-08-09")

    assert result.exit_code == 0, result.output
    [reminder] = smtp_server.messages
    assert reminder.rcpt_tos == ["hlhpn.tpsoctrang@example.vn"]
    assert reminder.subject == "Nhắc hạn nộp báo cáo Tháng 8/2023 (hạn 16/08/2023) – Hội LHPN thành phố Sóc Trăng"
    assert "Hạn nộp: 16/08/2023 (còn 7 ngày nữa đến hạn nộp)" in reminder.text


def test_a_run_after_a_missed_week_sends_one_reminder_per_unit_the_latest_step(tmp_path, smtp_server):
    path = mail_config(tmp_path, smtp_server)
    run_cli(path, SAMPLE_TODAY)
    first = len(smtp_server.messages)

    result = run_cli(path, "2023-07-28")

    assert result.exit_code == 0, result.output
    later = reminders(smtp_server.messages[first:])
    assert sorted(later) == sorted(OWING[u][0] for u in ("944", "949", "951"))
    assert len(smtp_server.messages) - first == 3  # 946 was told once of its missing workbook
    for message in later.values():
        assert message.subject.startswith("Báo cáo Tháng 7/2023") and "đã quá hạn 10 ngày – " in message.subject
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        steps = {s for (s,) in db.execute("SELECT step FROM mail_ledger_items WHERE period_id = '2023-M07'")}
    assert steps == {"on_day", "overdue_3"}


def test_escalation_copies_the_supervisor_and_the_office_from_exactly_seven_days_overdue(tmp_path, smtp_server):
    path = mail_config(tmp_path, smtp_server, units=["944"], calendar={"lookback_days": 10})
    for today in ("2023-07-20", "2023-07-24", "2023-07-25", "2023-07-27"):  # 2, 6, 7 and 9 days overdue
        assert run_cli(path, today).exit_code == 0

    on_day, overdue_6_days, overdue_7_days, overdue_9_days = [
        m for m in smtp_server.messages if m.message["To"] != OFFICE
    ]
    for message in (on_day, overdue_6_days):
        assert message.message["Cc"] is None
        assert message.rcpt_tos == OWING["944"]
        assert "đồng gửi" not in message.text
    assert "đã quá hạn 7 ngày" in overdue_7_days.subject
    for message in (overdue_7_days, overdue_9_days):
        assert [a.addr_spec for a in message.message["Cc"].addresses] == ["huyenuy.mytu@example.vn", OFFICE]
        assert message.rcpt_tos == [*OWING["944"], "huyenuy.mytu@example.vn", OFFICE]
        assert "thư này được đồng gửi đến huyenuy.mytu@example.vn, bantuyengiaocslp2019@gmail.com" in message.text


def test_when_the_seventh_day_overdue_is_a_day_off_the_next_working_day_escalates(tmp_path, smtp_server):
    days_off = {"lookback_days": 10, "extra_days_off": ["2023-07-25"]}
    path = mail_config(tmp_path, smtp_server, units=["944"], calendar=days_off)
    sent = {}
    for today in ("2023-07-24", "2023-07-25", "2023-07-26"):
        before = len(smtp_server.messages)
        assert run_cli(path, today).exit_code == 0
        sent[today] = [m for m in smtp_server.messages[before:] if m.message["To"] != OFFICE]

    assert sent["2023-07-25"] == []
    assert sent["2023-07-24"][0].message["Cc"] is None
    [escalated] = sent["2023-07-26"]
    assert "đã quá hạn 8 ngày" in escalated.subject
    assert [a.addr_spec for a in escalated.message["Cc"].addresses] == ["huyenuy.mytu@example.vn", OFFICE]


@pytest.mark.parametrize(
    ("sheet", "url"),
    [
        (
            "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcd",
            "https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcd/edit",
        ),
        (
            "https://docs.google.com/spreadsheets/d/1Xyz/edit#gid=0",
            "https://docs.google.com/spreadsheets/d/1Xyz/edit#gid=0",
        ),
    ],
)
def test_a_google_unit_is_given_the_link_to_its_sheet(config, sheet, url):
    google = config.model_copy(update={"source": GoogleSource(kind="google")})
    unit = config.units[0].model_copy(update={"sheet": sheet})

    assert google.source.sheet_link(unit.sheet) == (url, None)
    assert config.source.sheet_link(unit.sheet) == (None, sheet)
