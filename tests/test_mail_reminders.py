"""Reminders as the units receive them: only to units that owe a report, once a day, latest step."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from delivery.render import render_email
from delivery.schedule import REMINDER, latest_step, plan, reminder_steps
from service.check import collect
from settings.schema import GoogleSource, Reminders
from store.ledger import LedgerView
from tests.conftest import SAMPLE_TODAY
from tests.smtp_server import OFFICE, Received, mail_config, run_cli

OWING = {
    "944": ["hlhpn.mytu@example.vn", "chutich.mytu@example.vn"],
    "945": ["hlhpn.culaodung@example.vn"],
    "948": ["hlhpn.nganam@example.vn"],
    "949": ["hlhpn.thanhtri@example.vn"],
    "951": ["hlhpn.trande@example.vn"],
}
D = dt.date(2023, 7, 18)



SHEET_PROBLEM_SUBJECT = "[Cần sửa bảng tính] "


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
    assert [m.subject for m in to_long_phu] == [
        "[Cần sửa bảng tính] Long Phú: hệ thống chưa đọc được bảng tính (không tìm thấy tệp)"
    ]
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
    assert my_tu.subject == "[Nhắc báo cáo] Mỹ Tú: 2 báo cáo chưa hoàn thành, quá hạn đến 31 ngày"
    text = my_tu.text
    assert "Kính gửi: Hội LHPN huyện Mỹ Tú," in text
    assert "Đến ngày 20/07/2023, bảng tính của đơn vị còn 2 báo cáo chưa hoàn thành:" in text
    assert (
        "Báo cáo kết quả học tập và thực hiện Chuyên đề (trang tính «Báo cáo chuyên đề»):\n"
        " - 6 tháng đầu năm 2023: hạn 19/06/2023 (quá hạn 31 ngày) – ◐ Chưa đầy đủ – Cần làm: Sửa 2 lỗi (xem dưới)\n"
        in text
    )
    assert " - Tháng 7/2023: hạn 18/07/2023 (quá hạn 2 ngày) – ◐ Chưa đầy đủ – Cần làm: Sửa 1 lỗi" in text
    assert (
        "Báo cáo chuyên đề – 6 tháng đầu năm 2023:\n"
        " - Cột «Số lượt HVPN tham dự», dòng 3 (ô G3): còn trống; đây là chỉ tiêu bắt buộc.\n"
        " - Cột «Số buổi tuyên truyền miệng», dòng 3 (ô H3): còn trống; đây là chỉ tiêu bắt buộc.\n" in text
    )
    assert "Cam kết hằng tháng – Tháng 7/2023:\n - Cột «Số CBCC-NLĐ thực hiện tốt cam kết», dòng 7 (ô E7)" in text
    assert "Tệp bảng tính của đơn vị: 944-my-tu.xlsx" in text
    assert "<li>Cột «Số CBCC-NLĐ thực hiện tốt cam kết», dòng 7 (ô E7): còn trống;" in my_tu.html

    cu_lao_dung = to_unit(smtp_server.messages, "945").text
    assert (
        " - Dòng 3: Số CBCC-NLĐ viết bản cam kết không được vượt quá tổng số CBCC-NLĐ (ô L3, D3: 15 so với 12)."
        in cu_lao_dung
    )
    assert "Cột «Số buổi tuyên truyền miệng», dòng 3 (ô H3): ghi «mười hai», không phải là số." in (
        to_unit(smtp_server.messages, "948").text
    )


def test_when_the_sheet_itself_is_the_problem_the_reminder_says_so_first(tmp_path, smtp_server):
    run_cli(mail_config(tmp_path, smtp_server), SAMPLE_TODAY)

    text = to_unit(smtp_server.messages, "951").text
    cause = text.index("CẦN SỬA BẢNG TÍNH TRƯỚC. Hệ thống chưa đọc được số liệu của đơn vị vì:\n - Không có trang tính")
    assert cause < text.index("Đến ngày 20/07/2023, bảng tính của đơn vị còn 6 báo cáo chưa hoàn thành")
    assert " - Tháng 2/2023: hạn 16/02/2023 (quá hạn 154 ngày) – ✖ Chưa nộp – Cần làm: Sửa bảng tính (xem trên)" in text
    assert "NỘI DUNG CẦN BỔ SUNG" not in text  # nothing to list cell by cell: the tab is missing


def test_a_google_unit_gets_a_link_that_opens_its_sheet(config, store):
    judgement = collect(config, D + dt.timedelta(days=2), store)
    my_tu = config.units[3].model_copy(update={"sheet": "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcd"})
    units = [my_tu if u.id == my_tu.id else u for u in config.units]
    google = config.model_copy(update={"source": GoogleSource(kind="google"), "units": units})
    [email] = [e for e in plan(google, judgement, LedgerView()) if e.kind == REMINDER and e.unit.id == my_tu.id]

    rendered = render_email(google, judgement, email)

    url = "https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcd/edit"
    assert f'<a href="{url}"' in rendered.html and ">Mở bảng tính của đơn vị</a>" in rendered.html
    assert f"Mở bảng tính của đơn vị: {url}" in rendered.text


def test_one_email_per_unit_groups_every_report_it_owes(tmp_path, smtp_server):
    run_cli(mail_config(tmp_path, smtp_server), SAMPLE_TODAY)

    tran_de = to_unit(smtp_server.messages, "951")
    assert tran_de.subject == "[Nhắc báo cáo] Trần Đề: 6 báo cáo chưa hoàn thành, quá hạn đến 154 ngày"
    assert "bảng tính của đơn vị còn 6 báo cáo chưa hoàn thành" in tran_de.text
    assert tran_de.text.count("✖ Chưa nộp – Cần làm: Sửa bảng tính (xem trên)") == 6
    assert tran_de.html.count('<tr class="report">') == 6  # one table, a row per report


def test_a_unit_with_nothing_late_is_reminded_seven_days_before_the_deadline(tmp_path, smtp_server):
    result = run_cli(mail_config(tmp_path, smtp_server, units=["941"]), "2023-08-09")

    assert result.exit_code == 0, result.output
    [reminder] = smtp_server.messages
    assert reminder.rcpt_tos == ["hlhpn.tpsoctrang@example.vn"]
    assert reminder.subject == "[Nhắc báo cáo] TP Sóc Trăng: báo cáo Tháng 8/2023 hạn 16/08/2023, còn 7 ngày"
    assert " - Tháng 8/2023: hạn 16/08/2023 (còn 7 ngày) – ✖ Chưa nộp – Cần làm: Nhập số liệu" in reminder.text


def test_a_run_after_a_missed_week_sends_one_reminder_per_unit_the_latest_step(tmp_path, smtp_server):
    path = mail_config(tmp_path, smtp_server)
    run_cli(path, SAMPLE_TODAY)
    first = len(smtp_server.messages)

    result = run_cli(path, "2023-07-28")

    assert result.exit_code == 0, result.output
    later = reminders(smtp_server.messages[first:])
    assert sorted(later) == sorted(OWING[u][0] for u in ("944", "949", "951"))
    assert len(smtp_server.messages) - first == 3  # 946 was told once of its missing workbook
    assert {m.subject for m in later.values()} == {
        "[Nhắc báo cáo] Mỹ Tú: 2 báo cáo chưa hoàn thành, quá hạn đến 39 ngày",  # the oldest: 6 tháng, 19/06
        "[Nhắc báo cáo] Thạnh Trị: 2 báo cáo chưa hoàn thành, quá hạn đến 98 ngày",  # Đột xuất 4/2023
        "[Nhắc báo cáo] Trần Đề: 6 báo cáo chưa hoàn thành, quá hạn đến 162 ngày",  # Tháng 2/2023
    }
    for message in later.values():
        assert " - Tháng 7/2023: hạn 18/07/2023 (quá hạn 10 ngày) – " in message.text
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
    assert "Tháng 7/2023 quá hạn 7 ngày" in overdue_7_days.subject
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
    assert "Tháng 7/2023 quá hạn 8 ngày" in escalated.subject
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
