"""Consolidated figures from a judgement: rows per unit, totals, units not in, unreadable sheets."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from consolidation.figures import consolidate, outstanding_reports
from delivery.render import render_consolidated
from delivery.schedule import AFTER_DEADLINE, PlannedEmail
from service.check import collect
from settings import load_config
from store import Store
from tests.conftest import REPO, write_config

M07 = [("commitment_monthly", "2023-M07")]


@pytest.fixture
def judgement(config, store):
    return collect(config, dt.date(2023, 7, 20), store)


def test_a_section_totals_every_numeric_key_indicator(config, judgement):
    [section] = consolidate(config, judgement, M07, "Số dòng").sections

    assert [c.label for c in section.indicators] == [
        "Tổng số CBCC-NLĐ",
        "Số CBCC-NLĐ có bản cam kết",
        "Số CBCC-NLĐ thực hiện tốt cam kết",
    ]
    assert len(section.rows) == 12
    assert section.totals == [102, 102, 88]
    assert [u.id for u in section.missing_units] == ["949", "951"]
    assert [u.id for u in section.incomplete_units] == ["944"]
    assert [u.id for u in section.unreadable_units] == ["946"]  # it has no workbook


def test_a_list_form_counts_its_rows(config, judgement):
    [section] = consolidate(config, judgement, [("exemplary_people", "2023-Y")], "Số dòng").sections

    assert [(c.label, c.numeric) for c in section.indicators] == [("Số dòng", True)]
    assert section.totals[0] == sum(len(r.report.rows) for r in section.rows)


def test_units_whose_sheet_could_not_be_read_are_listed_apart_from_missing_ones(tmp_path):
    folder = tmp_path / "workbooks"
    shutil.copytree(REPO / "samples" / "workbooks", folder)
    (folder / "949-thanh-tri.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    config = load_config(write_config(tmp_path, source={"kind": "local", "folder": str(folder)}))
    with Store.open(config.state_file) as store:
        judgement = collect(config, dt.date(2023, 7, 20), store)
    [section] = consolidate(config, judgement, M07, "Số dòng").sections

    assert [u.id for u in section.unreadable_units] == ["946", "949"]
    assert [u.id for u in section.missing_units] == ["951"]
    summary = section.summary
    assert (summary.missing, summary.unreadable) == (len(section.missing_units), len(section.unreadable_units))
    assert summary.expected == sum(
        getattr(summary, k) for k in ("complete", "incomplete", "missing", "unreadable", "not_yet_due")
    )
    email = PlannedEmail(
        "after_deadline|2023-M07", AFTER_DEADLINE, ["x@example.com"], reports=M07, period_id="2023-M07"
    )
    text = render_consolidated(config, judgement, email).text
    assert "✖ Chưa nộp (1): Trần Đề\n" in text
    assert "⚠ Chưa đọc được bảng tính (2): Long Phú, Thạnh Trị (không tính là chưa nộp" in text
    assert " 9. Thạnh Trị – ⚠ Chưa đọc được\n" in text


def test_outstanding_reports_are_those_past_their_deadline_with_a_unit_not_complete(judgement):
    assert outstanding_reports(judgement) == [
        ("commitment_monthly", "2023-M02"),
        ("commitment_monthly", "2023-M03"),
        ("commitment_monthly", "2023-M04"),
        ("topic_report", "dot-xuat-2023-04"),
        ("commitment_monthly", "2023-M05"),
        ("commitment_monthly", "2023-M06"),
        ("topic_report", "2023-H1"),
        ("commitment_monthly", "2023-M07"),
    ]
