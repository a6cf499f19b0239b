"""Subjects as a mail client lists them: the point of each email in at most 100 characters, units by
short name, periods as staff name them, and RFC 2047 encoded words of at most 75 characters."""

from __future__ import annotations

import csv
import email
import email.policy
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
import yaml

from delivery.subjects import MAX_SUBJECT, fit
from tests.conftest import REPO, SAMPLE_TODAY
from tests.smtp_server import mail_config, run_cli

ENCODED_WORD = re.compile(r"=\?utf-8\?[bq]\?[^?\s]*\?=", re.IGNORECASE)
Setup = Callable[[Path], tuple[dict, dict]]


def sent(tmp_path: Path, days: list[str], setup: Setup | None = None) -> list[dict]:
    """Run `run` on each day into the outbox (``setup`` gives the config's overrides and what a
    unit changes before a day's run); every email written, with its index row and its bytes."""
    overrides, changes = setup(tmp_path) if setup else ({}, {})
    path = mail_config(tmp_path, **overrides)
    for day in days:
        if day in changes:
            changes[day]()
        run_cli(path, day)
    with (tmp_path / "outbox" / "index.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [{**row, "raw": (tmp_path / "outbox" / row["file"]).read_bytes()} for row in rows]


def raw_subject_lines(raw: bytes) -> list[str]:
    """The Subject header as it is on the wire: its first line and every folded line after it."""
    lines = raw.split(b"\r\n\r\n", 1)[0].decode("ascii").split("\r\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("Subject:"))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith((" ", "\t"))), len(lines))
    return lines[start:end]


def only_941(tmp: Path) -> tuple[dict, dict]:
    return {"units": ["941"]}, {}


def my_tu_completes_late(tmp: Path) -> tuple[dict, dict]:
    """941 and 944; 944 fills its missing July cell after the deadline report went out."""
    workbooks = tmp / "workbooks"
    shutil.copytree(REPO / "samples" / "workbooks", workbooks)

    def fill() -> None:
        book = openpyxl.load_workbook(workbooks / "944-my-tu.xlsx")
        book["Cam kết hằng tháng"]["E7"] = 8
        book.save(workbooks / "944-my-tu.xlsx")

    return {"units": ["941", "944"], "workbooks": workbooks}, {"2023-07-21": fill}


def no_workbooks(tmp: Path) -> tuple[dict, dict]:
    (tmp / "empty").mkdir()
    return {"workbooks": tmp / "empty"}, {}


SUBJECTS = [
    (
        "reminder before the deadline",
        only_941,
        ["2023-08-09"],
        ("reminder", "941"),
        "[Nhắc báo cáo] TP Sóc Trăng: báo cáo Tháng 8/2023 hạn 16/08/2023, còn 7 ngày",
    ),
    (
        "reminder on the day",
        only_941,
        ["2023-08-16"],
        ("reminder", "941"),
        "[Nhắc báo cáo] TP Sóc Trăng: hôm nay hết hạn nộp báo cáo Tháng 8/2023 (16/08/2023)",
    ),
    (
        "reminder overdue, many reports: the oldest one's delay",
        None,
        [SAMPLE_TODAY],
        ("reminder", "951"),
        "[Nhắc báo cáo] Trần Đề: 6 báo cáo chưa hoàn thành, quá hạn đến 154 ngày",
    ),
    (
        "reminder overdue, one report",
        None,
        [SAMPLE_TODAY],
        ("reminder", "945"),
        "[Nhắc báo cáo] Cù Lao Dung: báo cáo 6 tháng đầu năm 2023 quá hạn 31 ngày",
    ),
    (
        "after the deadline",
        None,
        [SAMPLE_TODAY],
        ("after_deadline", ""),
        "[Tổng hợp] Tháng 7/2023: 9/12 đơn vị đã nộp (1 chưa đủ), 2 chưa nộp, 1 chưa đọc được (20/07/2023)",
    ),
    (
        "all complete",
        my_tu_completes_late,
        [SAMPLE_TODAY, "2023-07-21"],
        ("all_complete", ""),
        "[Tổng hợp] Tháng 7/2023: cả 2 đơn vị đã hoàn thành, 1 trễ hạn (21/07/2023)",
    ),
    (
        "weekly digest",
        None,
        ["2023-07-24"],
        ("digest", ""),
        "[Tổng hợp tuần] 24/07/2023: 5 đơn vị còn nợ 12 báo cáo đã hết hạn (cũ nhất T2/2023)",
    ),
    (
        "a unit's sheet cannot be read",
        None,
        [SAMPLE_TODAY],
        ("sheet_problem", "946"),
        "[Cần sửa bảng tính] Long Phú: hệ thống chưa đọc được bảng tính (không tìm thấy tệp)",
    ),
    (
        "the service cannot read the sheets",
        no_workbooks,
        [SAMPLE_TODAY],
        ("service_problem", ""),
        "[Lỗi hệ thống] Chưa đọc được bảng tính của 12 đơn vị: lỗi thư mục, khoá hoặc cấu hình (20/07/2023)",
    ),
]


@pytest.mark.parametrize(
    ("setup", "days", "which", "expected"), [s[1:] for s in SUBJECTS], ids=[s[0] for s in SUBJECTS]
)
def test_each_kind_of_email_says_its_point_in_the_subject(tmp_path, setup, days, which, expected):
    emails = sent(tmp_path, days, setup)

    [found] = [e for e in emails if (e["kind"], e["unit"]) == which]
    subject = email.message_from_bytes(found["raw"], policy=email.policy.default)["Subject"]
    assert str(subject) == expected
    assert len(expected) <= MAX_SUBJECT


def test_every_encoded_word_of_every_subject_is_at_most_75_characters(tmp_path):
    emails = sent(tmp_path, [SAMPLE_TODAY, "2023-07-24"])

    assert {e["kind"] for e in emails} == {"after_deadline", "reminder", "sheet_problem", "digest"}
    for found in emails:
        lines = raw_subject_lines(found["raw"])
        words = [w for line in lines for w in ENCODED_WORD.findall(line)]
        assert words and all(len(w) <= 75 for w in words), lines
        assert all(len(line) <= 78 for line in lines), lines
        subject = email.message_from_bytes(found["raw"], policy=email.policy.default)["Subject"]
        assert str(subject) == found["subject"] and len(found["subject"]) <= MAX_SUBJECT


def test_a_subject_too_long_for_every_variant_is_cut_at_a_word():
    long = "[Nhắc báo cáo] " + "Hội LHPN xã Tân Thạnh " * 8
    assert fit(["x" * 101, long]) == long[:99].rsplit(" ", 1)[0] + "…"
    assert len(fit(["x" * 101, long])) <= MAX_SUBJECT
    assert fit(["ngắn gọn", long]) == "ngắn gọn"


def test_an_ad_hoc_report_is_named_by_its_short_label_and_never_says_bao_cao_twice(tmp_path):
    raw = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    ad_hoc = [{**a, "short_label": "Báo cáo nhanh 4/2023"} for a in raw["calendar"]["ad_hoc"]]
    path = mail_config(tmp_path, units=["949"], calendar={"ad_hoc": ad_hoc})

    run_cli(path, "2023-05-04")  # Thạnh Trị owes the ad-hoc report alone, 13 days late (1–3/5 are days off)

    with (tmp_path / "outbox" / "index.csv").open(encoding="utf-8") as handle:
        [row] = [r for r in csv.DictReader(handle) if r["kind"] == "reminder"]
    assert row["subject"] == "[Nhắc báo cáo] Thạnh Trị: Báo cáo nhanh 4/2023 quá hạn 13 ngày"
