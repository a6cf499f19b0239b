"""Two months of daily cron runs on sheets that change: each email once, on the days the rules say.

The sample workbooks are copied to a folder the test edits between runs, as units would. The
emails are counted where they arrive (aiosmtpd); what each run should send is derived here from
the rules the README states, not from what the service prints. After the 64 runs the state file
holds about 0.3 MB (the test prints it: 307,200 bytes when written).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
from collections import Counter
from pathlib import Path

import holidays
import pytest
from openpyxl import load_workbook

from rules.calendar import WorkingDays, due_date, monthly_period
from settings import load_config
from tests.conftest import REPO, sheet_table
from tests.smtp_server import OFFICE, Received, mail_config, run_cli, running_server

FIRST, LAST = dt.date(2023, 7, 10), dt.date(2023, 9, 11)
DAYS = [FIRST + dt.timedelta(days=n) for n in range((LAST - FIRST).days + 1)]
MONTHLY = "Cam kết hằng tháng"
MONTHLY_TITLE = "Kết quả thực hiện bản cam kết tu dưỡng, rèn luyện, phấn đấu"
READABLE = ["941", "942", "943", "944", "945", "947", "948", "949", "950", "951", "TT01"]  # 946 has no workbook


def day(month: int, date: int) -> dt.date:
    return dt.date(2023, month, date)


# --- what the units do to their sheets (each change is seen by that day's run) ----------------


def workbook(folder: Path, unit_id: str) -> Path:
    return next(folder.glob(f"{unit_id.lower()}-*.xlsx"))


def append_row(ws, values: dict[str, object]) -> None:
    """A row under the header, each value in the column whose header is its label."""
    header = [c.value for c in ws[1]]
    ws.append([values.get(label) for label in header])


def row_of(ws, period: str) -> int:
    return next(cell.row for cell in ws["A"] if cell.value == period)


def edit(folder: Path, unit_id: str, change) -> None:
    path = workbook(folder, unit_id)
    book = load_workbook(path)
    change(book)
    book.save(path)


def fill_missing_commitments_met(book) -> None:
    """944 fills «Số CBCC-NLĐ thực hiện tốt cam kết» of Tháng 7/2023, the cell its reminders name."""
    ws = book[MONTHLY]
    ws["E7"], ws["F7"] = 8, 88.9


def report_august(reported_on: dt.date):
    """The unit copies its last month's row as Tháng 8/2023, dated the day it typed it."""

    def change(book) -> None:
        ws = next(s for s in book if s.title.strip().lower() == MONTHLY.lower())
        last = [c.value for c in ws[ws.max_row]]
        last[0] = "Tháng 8/2023"
        typed = dt.datetime.combine(reported_on, dt.time())
        last[1] = reported_on.strftime("%d/%m/%Y") if isinstance(last[1], str) else typed  # 950 types dates as text
        ws.append(last)

    return change


def delete_july(book) -> None:
    """941 deletes the Tháng 7/2023 row it had completed."""
    ws = book[MONTHLY]
    ws.delete_rows(row_of(ws, "Tháng 7/2023"))


def add_monthly_tab(book) -> None:
    """951 renames its header-only «Cam ket thang» tab and types every month it owes."""
    ws = book["Cam ket thang"]
    ws.title = MONTHLY
    for month in range(2, 9):
        append_row(
            ws,
            {
                "Tháng": f"Tháng {month}/2023",
                "Ngày báo cáo": dt.datetime(2023, 8, 26),
                "Tổng số CBCC-NLĐ": 11,
                "Số CBCC-NLĐ có bản cam kết": 11,
                "Số CBCC-NLĐ thực hiện tốt cam kết": 10,
                "Tỷ lệ thực hiện tốt (%)": 90.9,
            },
        )


def break_workbook(folder: Path, unit_id: str) -> None:
    workbook(folder, unit_id).write_bytes(b"PK\x03\x04 not a workbook any more")


def restore_workbook(folder: Path, unit_id: str) -> None:
    shutil.copy(workbook(REPO / "samples" / "workbooks", unit_id), workbook(folder, unit_id))


ON_TIME_IN_AUGUST = ["941", "942", "943", "947", "950", "TT01"]
STORY = {
    day(7, 25): [lambda f: edit(f, "944", fill_missing_commitments_met)],
    day(8, 5): [lambda f: break_workbook(f, "945")],
    day(8, 14): [lambda f, u=u: edit(f, u, report_august(day(8, 14))) for u in ON_TIME_IN_AUGUST],
    day(8, 15): [lambda f: restore_workbook(f, "945")],
    day(8, 16): [lambda f: edit(f, "948", report_august(day(8, 16)))],
    day(8, 20): [lambda f: edit(f, "941", delete_july)],
    day(8, 23): [lambda f: edit(f, "944", report_august(day(8, 23)))],
    day(8, 26): [lambda f: edit(f, "951", add_monthly_tab)],
}

# --- what the rules say follows from the story ----------------------------------------------------

# The day each unit's monthly report is first complete (None: never in the sequence). Units not
# named for July had it complete in the samples; for August, nobody had (none reported in July).
COMPLETE_FROM = {
    "2023-M07": {"944": day(7, 25), "949": None, "951": day(8, 26)},
    "2023-M08": {
        **dict.fromkeys(ON_TIME_IN_AUGUST, day(8, 14)),
        "948": day(8, 16),
        "944": day(8, 23),
        "945": None,
        "949": None,
        "951": day(8, 26),
    },
    "2023-M09": dict.fromkeys(READABLE, None),
}
# Units owing, in the samples, a report whose last reminder step was reached before FIRST: H1 of 944
# (two cells empty), 945 (a high rule broken), 948 («mười hai»); the ad-hoc report of 949; every
# month before July of 951 (no monthly tab).
OWING_EARLIER = {"944", "945", "948", "949", "951"}
UNREADABLE = {"945": (day(8, 5), day(8, 14))}  # and 946 throughout: no workbook at all
VN_HOLIDAYS = holidays.country_holidays("VN", years=2023)  # 1, 2 and 4 September in the sequence


def sending_day(today: dt.date) -> bool:
    """mail.send_on_days_off is false: nothing is sent on weekends and public holidays (the
    shipped config names no extra days off or working days)."""
    return today.weekday() < 5 and today not in VN_HOLIDAYS


def first_sending_day(today: dt.date) -> dt.date:
    while not sending_day(today):
        today += dt.timedelta(days=1)
    return today


ESCALATE_AFTER = dt.timedelta(days=7)


def steps(deadline: dt.date) -> list[tuple[dt.date, bool]]:
    """mail.reminders: 7, 3 and 1 days before, on the day, then every 3 days overdue, 5 times, and
    on the 7th day overdue, from which on a step copies the supervisor and the office (escalated)."""
    before = [deadline - dt.timedelta(days=n) for n in (7, 3, 1)]
    overdue = [deadline + dt.timedelta(days=3 * n) for n in range(1, 6)] + [deadline + ESCALATE_AFTER]
    return sorted((on, on - deadline >= ESCALATE_AFTER) for on in [*before, deadline, *overdue])


def latest_step(deadline: dt.date, today: dt.date) -> tuple[dt.date, bool] | None:
    return max((s for s in steps(deadline) if s[0] <= today), default=None)


def deadlines() -> dict[str, dt.date]:
    config = load_config(REPO / "config.yaml")
    working = WorkingDays(config.calendar)
    return {f"2023-M{m:02d}": due_date(monthly_period(2023, m), config.calendar, working) for m in (7, 8, 9)}


def expected_reminders(unit_id: str) -> list[tuple[dt.date, bool]]:
    """One reminder on each sending day some open report of the unit has reached a step it was
    never reminded at (the latest step only; a report on an unreadable sheet is not open); it is
    escalated if one of those steps is."""
    due = deadlines()
    reports = {p: (due[p], done.get(unit_id, FIRST)) for p, done in COMPLETE_FROM.items()}
    if unit_id in OWING_EARLIER:
        reports["earlier"] = (FIRST - dt.timedelta(days=30), None)  # every step of it already past
    reminded, sent = set(), []
    for today in filter(sending_day, DAYS):
        spell = UNREADABLE.get(unit_id)
        if spell and spell[0] <= today <= spell[1]:
            continue
        reached = {
            (p, latest_step(deadline, today))
            for p, (deadline, complete_from) in reports.items()
            if (complete_from is None or today < complete_from) and latest_step(deadline, today)
        }
        if new := reached - reminded:
            sent.append((today, any(escalated for _, (_, escalated) in new)))
        reminded |= reached
    return sent


def expected_reminder_days(unit_id: str) -> list[dt.date]:
    return [today for today, _ in expected_reminders(unit_id)]


def expected_office_days() -> dict[str, list[dt.date]]:
    """After each deadline in the sequence its report the next sending day; a digest every Monday
    (the next sending day when it is a holiday) while a report is outstanding (946's always are);
    never all-complete, as 946 never sends a sheet."""
    after = sorted(first_sending_day(d + dt.timedelta(days=1)) for d in deadlines().values())
    return {
        "after_deadline": [d for d in after if FIRST <= d <= LAST],
        "digest": [first_sending_day(d) for d in DAYS if d.weekday() == 0 and first_sending_day(d) <= LAST],
    }


# --- what arrived --------------------------------------------------------------------------------

SUBJECTS = {
    "all_complete": re.compile(r"\[Tổng hợp\] .+: cả \d+ đơn vị đã hoàn thành"),
    "after_deadline": re.compile(r"\[Tổng hợp\] "),
    "digest": re.compile(r"\[Tổng hợp tuần\] "),
    "sheet_problem": re.compile(r"\[Cần sửa bảng tính\] "),
    "reminder": re.compile(r"\[Nhắc báo cáo\] "),
}
GROUP = re.compile(r"^(.+) \(trang tính «.+»\):$")
ITEM = re.compile(r"^ - (.+?): hạn \d\d/\d\d/\d{4} ")
TOPIC = "Báo cáo kết quả học tập và thực hiện Chuyên đề"
TOPIC_TAB = "Báo cáo chuyên đề"
HALF_YEAR = "6 tháng đầu năm 2023"


def kind(message: Received) -> str:
    return next(k for k, subject in SUBJECTS.items() if subject.match(message.subject))


def section(text: str, tab: str, period: str) -> str:
    """The paragraph of a digest's text about one form (by its tab) and period."""
    start = text.index(f". {tab} – {period} (hạn ")
    end = text.find("\n\n", start)
    return text[start : end if end >= 0 else len(text)]


def named_reports(message: Received) -> set[tuple[str, str]]:
    """(form title, period) of each report a reminder's table lists."""
    named, title = set(), None
    for line in message.text.splitlines():
        if group := GROUP.match(line):
            title = group.group(1)
        elif (item := ITEM.match(line)) and title:
            named.add((title, item.group(1)))
    return named


def attached_units(message: Received, period: str) -> dict[str, tuple[str, dt.date | None]]:
    """Status and submission day of each unit for ``period`` in the attached workbook (on the
    sheets of that period's reports, named in their title block)."""
    part = next(message.message.iter_attachments())
    book = load_workbook(io.BytesIO(part.get_content()))
    heading = f"Kỳ báo cáo: {period} - "
    sheets = [s for s in book if str(s["A3"].value or "").startswith(heading)]
    return {
        r["Đơn vị"]: (r["Tình trạng"], r["Ngày nộp"].date() if r["Ngày nộp"] else None)
        for sheet in sheets
        for r in sheet_table(sheet)
        if "Tình trạng" in r and r["Mã đơn vị"]
    }


@pytest.fixture(scope="module")
def sequence(tmp_path_factory):
    """Run `run --today D` for every day of the sequence, once for the module; each message that
    arrived, with its day and the unit it went to (None: the office)."""
    tmp_path = tmp_path_factory.mktemp("sequence")
    folder = tmp_path / "workbooks"
    shutil.copytree(REPO / "samples" / "workbooks", folder)
    with pytest.MonkeyPatch.context() as monkeypatch:
        server = next(servers := running_server(monkeypatch))
        path = mail_config(tmp_path, server, workbooks=folder)
        config = load_config(path)
        units_by_address = {a: u.id for u in config.units for a in u.emails}
        arrived: list[tuple[dt.date, str | None, Received]] = []
        for today in DAYS:
            for change in STORY.get(today, []):
                change(folder)
            before = len(server.messages)
            result = run_cli(path, today.isoformat())
            assert result.exit_code == 0, (today, result.output)
            for message in server.messages[before:]:
                to = message.message["To"].addresses[0].addr_spec
                arrived.append((today, units_by_address.get(to), message))
        next(servers, None)  # stops the server
    size = Path(config.state_file).stat().st_size
    print(f"\nstate file after {len(DAYS)} daily runs: {size:,} bytes; {len(arrived)} emails")
    return arrived


def test_every_email_arrives_exactly_once(sequence):
    ids = Counter(m.message["Message-ID"] for _, _, m in sequence)
    assert ids and set(ids.values()) == {1}


def test_each_unit_is_reminded_exactly_on_the_days_its_schedule_reaches_a_new_step(sequence):
    received = {u: [d for d, unit, m in sequence if unit == u and kind(m) == "reminder"] for u in READABLE + ["946"]}
    expected = {u: expected_reminder_days(u) for u in READABLE} | {"946": []}
    assert received == expected
    assert sum(map(len, expected.values())) == 80


def test_a_reminder_copies_the_supervisor_and_the_office_exactly_when_a_step_it_reaches_is_escalated(sequence):
    supervisors = {u.id: u.supervisor_email for u in load_config(REPO / "config.yaml").units}

    def copied(unit_id: str, escalated: bool) -> list[str]:
        return [a for a in (supervisors[unit_id], OFFICE) if a] if escalated else []

    def cc(message: Received) -> list[str]:
        header = message.message["Cc"]
        return [a.addr_spec for a in header.addresses] if header else []

    received = {u: [(d, cc(m)) for d, unit, m in sequence if unit == u and kind(m) == "reminder"] for u in READABLE}
    expected = {u: [(d, copied(u, escalated)) for d, escalated in expected_reminders(u)] for u in READABLE}
    assert received == expected
    assert sum(escalated for u in READABLE for _, escalated in expected_reminders(u)) == 23
    thanh_tri = dict(expected_reminders("949"))  # Tháng 7/2023 was due on 18/07, and never came
    assert (thanh_tri[day(7, 24)], thanh_tri[day(7, 25)]) == (False, True)  # 6 and 7 days overdue


def test_nothing_arrives_on_a_weekend_or_a_public_holiday(sequence):
    days_off = [d for d in DAYS if not sending_day(d)]
    assert len(days_off) == 20  # 9 weekends, Friday 01/09 and Monday 04/09
    assert not [(d, m.subject) for d, _, m in sequence if d in days_off]


def test_the_office_gets_one_report_after_each_deadline_and_a_digest_every_monday(sequence):
    office = [(d, kind(m)) for d, _, m in sequence if m.message["To"].addresses[0].addr_spec == OFFICE]
    received = {k: [d for d, kd in office if kd == k] for k in ("after_deadline", "digest", "all_complete")}
    assert received == {**expected_office_days(), "all_complete": []}
    assert Counter(kd for _, kd in office) == {"after_deadline": 2, "digest": 10}


def test_the_report_after_the_august_deadline_counts_what_each_unit_had_done_by_then(sequence):
    deadline = deadlines()["2023-M08"]
    done = COMPLETE_FROM["2023-M08"]
    on_time = [u for u in READABLE if done[u] is not None and done[u] <= deadline]
    missing = [u for u in READABLE if u not in on_time]
    report_day = deadline + dt.timedelta(days=1)
    [report] = [m for d, _, m in sequence if kind(m) == "after_deadline" and d == report_day]
    assert (len(on_time), missing) == (7, ["944", "945", "949", "951"])  # and 946, unreadable
    assert "Đã nộp 7/12 (58,3%) · đầy đủ 7/12 (58,3%) · đúng hạn 7/12 (58,3%)\n" in report.text
    assert "✖ Chưa nộp (4): Mỹ Tú, Cù Lao Dung, Thạnh Trị, Trần Đề\n" in report.text
    assert "⚠ Chưa đọc được bảng tính (1): Long Phú (" in report.text
    assert report.subject == (
        f"[Tổng hợp] Tháng 8/2023: 7/12 đơn vị đã nộp, 4 chưa nộp, 1 chưa đọc được ({report_day:%d/%m/%Y})"
    )


def test_reports_completed_after_their_deadline_show_late_with_the_day_the_service_first_saw_them(sequence):
    [last_digest] = [m for d, _, m in sequence if kind(m) == "digest" and d == LAST]
    july = section(last_digest.text, MONTHLY, "Tháng 7/2023")
    assert "   ✖ Chưa nộp: Thạnh Trị\n" in july
    assert "   ✔ Trễ hạn: Mỹ Tú, Trần Đề" in july
    units = attached_units(last_digest, "Tháng 7/2023")
    assert units["Hội LHPN huyện Mỹ Tú"] == ("Đầy đủ, trễ hạn", day(7, 25))
    assert units["Hội LHPN huyện Trần Đề"] == ("Đầy đủ, trễ hạn", day(8, 26))
    assert "Không có trang tính «Cam kết hằng tháng»" not in last_digest.text


def test_a_unit_is_told_once_per_spell_that_its_sheet_cannot_be_read(sequence):
    problems = [(d, unit) for d, unit, m in sequence if kind(m) == "sheet_problem"]
    assert problems == [(FIRST, "946"), (first_sending_day(UNREADABLE["945"][0]), "945")]  # 05/08 is a Saturday


def test_the_unit_with_no_workbook_gets_one_email_in_the_whole_sequence(sequence):
    [only] = [m for _, _, m in sequence if "hlhpn.longphu@example.vn" in m.rcpt_tos]
    assert kind(only) == "sheet_problem"
    assert "Không tìm thấy bảng tính của đơn vị (tệp 946-long-phu.xlsx)." in only.text


def test_an_unreadable_spell_reminds_nothing_and_no_reminder_names_a_completed_report(sequence):
    to_945 = [(d, m) for d, unit, m in sequence if unit == "945" and kind(m) == "reminder"]
    spell = UNREADABLE["945"]
    assert not [d for d, _ in to_945 if spell[0] <= d <= spell[1]]
    named = set().union(*(named_reports(m) for _, m in to_945))
    assert named == {(TOPIC, HALF_YEAR), (MONTHLY_TITLE, "Tháng 8/2023"), (MONTHLY_TITLE, "Tháng 9/2023")}
    [notice] = [m for d, unit, m in sequence if unit == "945" and kind(m) == "sheet_problem"]
    assert "945-cu-lao-dung.xlsx" in notice.text


def test_the_weekly_digest_lists_an_unreadable_unit_apart_while_its_sheet_is_unreadable(sequence):
    digests = {d: m.text for d, _, m in sequence if kind(m) == "digest"}
    unread = "   ⚠ Chưa đọc được bảng tính: "
    spell, after = section(digests[day(8, 7)], TOPIC_TAB, HALF_YEAR), section(digests[day(8, 21)], TOPIC_TAB, HALF_YEAR)
    assert f"{unread}Cù Lao Dung, Long Phú" in spell
    assert f"{unread}Long Phú" in after
    assert "   ◐ Chưa đầy đủ: Mỹ Tú, Cù Lao Dung, TX Ngã Năm" in after


def test_a_deleted_submitted_row_is_not_reminded_and_the_next_report_tells_the_office(sequence):
    to_941 = [m for _, unit, m in sequence if unit == "941" and kind(m) == "reminder"]
    assert all((MONTHLY_TITLE, "Tháng 7/2023") not in named_reports(m) for m in to_941)
    office = [(d, m.text) for d, _, m in sequence if m.message["To"].addresses[0].addr_spec == OFFICE]
    removed = "đã xoá hoặc làm trống số liệu đã nộp"
    assert not [d for d, text in office if removed in text and d < day(8, 20)]
    next_report_day, text = next((d, t) for d, t in office if d >= day(8, 20))
    assert next_report_day == day(8, 21)
    assert (
        " - TP Sóc Trăng: Kỳ Tháng 7/2023: đơn vị đã xoá hoặc làm trống số liệu đã nộp (đầy đủ từ ngày 10/07/2023)"
        " trong trang tính «Cam kết hằng tháng», phát hiện ngày 20/08/2023" in text
    )
    [digest] = [m for d, _, m in sequence if kind(m) == "digest" and d == next_report_day]
    assert attached_units(digest, "Tháng 7/2023")["Hội LHPN thành phố Sóc Trăng"] == ("Đầy đủ, đúng hạn", day(7, 10))
