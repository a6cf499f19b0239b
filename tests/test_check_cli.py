"""`check` on the sample workbooks: every unit's status, asserted exactly, as a user sees it."""

from __future__ import annotations

import json
import shutil

import openpyxl
import pytest
from click.testing import CliRunner

from main import cli
from tests.conftest import REPO, SAMPLE_TODAY, write_config

ON, LATE, INC, MISS, NYD = "complete_on_time", "complete_late", "incomplete", "missing", "not_yet_due"
UNR = "unreadable"
MONTHS = ["2023-M02", "2023-M03", "2023-M04", "2023-M05", "2023-M06", "2023-M07"]


def monthly(*statuses: str) -> dict[str, str]:
    """Statuses for Tháng 2 … Tháng 7/2023, plus Tháng 8 still running on 20/07/2023 and the
    year-end commitment report (owed "hằng tháng và cuối năm")."""
    return {f"commitment_monthly/{m}": s for m, s in zip(MONTHS, statuses, strict=True)} | {
        "commitment_monthly/2023-M08": NYD,
        "commitment_monthly/2023-Y": NYD,
    }


def topic(ad_hoc: str | None, h1: str) -> dict[str, str]:
    found = {"topic_report/2023-H1": h1, "topic_report/2023-Y": NYD}
    if ad_hoc:
        found["topic_report/dot-xuat-2023-04"] = ad_hoc
    return found


# The scenarios the sample workbooks were built for (samples/make_samples.py).
EXPECTED = {
    "941": topic(ON, ON) | {"exemplary_people/2023-Y": ON} | monthly(*[ON] * 6),
    "942": topic(ON, ON) | {"exemplary_people/2023-Y": NYD} | monthly(*[ON] * 6),
    "943": topic(ON, LATE) | {"exemplary_people/2023-Y": ON} | monthly(ON, ON, ON, ON, LATE, ON),
    "944": topic(ON, INC) | {"exemplary_people/2023-Y": INC} | monthly(ON, ON, ON, ON, ON, INC),
    "945": topic(ON, INC) | {"exemplary_people/2023-Y": ON} | monthly(*[ON] * 6),
    # No workbook at all: unreadable, never "missing" (the unit is told once what to fix).
    "946": {k: UNR for k in topic(UNR, UNR) | {"exemplary_people/2023-Y": UNR} | monthly(*[UNR] * 6)},
    "947": topic(ON, ON) | {"exemplary_people/2023-Y": ON} | monthly(*[ON] * 6),
    "948": topic(ON, INC) | {"exemplary_people/2023-Y": ON} | monthly(*[ON] * 6),
    "949": topic(MISS, ON) | {"exemplary_people/2023-Y": ON} | monthly(ON, ON, ON, ON, ON, MISS),
    "950": topic(ON, ON) | {"exemplary_people/2023-Y": ON} | monthly(*[ON] * 6),
    "951": topic(ON, ON) | {"exemplary_people/2023-Y": ON} | monthly(*[MISS] * 6),
    "TT01": topic(None, ON) | monthly(*[ON] * 6),
}


def run_check(config_path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(config_path), "check", *args])
    return result.exit_code, result.output


def check_json(config_path, *args: str) -> dict:
    code, output = run_check(config_path, "--json", *args)
    assert code == 0, output
    return json.loads(output)


def statuses(data: dict) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for report in data["reports"]:
        found.setdefault(report["unit_id"], {})[f"{report['form']}/{report['period']}"] = report["status"]
    return found


def findings_of(data: dict, unit_id: str) -> list[dict]:
    return [f for f in data["findings"] if f["unit_id"] == unit_id]


def test_every_sample_unit_has_its_expected_status(config_path):
    data = check_json(config_path, "--today", SAMPLE_TODAY)
    assert statuses(data) == EXPECTED


def test_summary_counts_per_period(config_path):
    data = check_json(config_path, "--today", SAMPLE_TODAY)
    h1 = next(s for s in data["summaries"] if s["form"] == "topic_report" and s["period"] == "2023-H1")
    counts = ("expected", "submitted", "complete", "on_time", "late", "incomplete", "missing", "unreadable")
    assert tuple(h1[k] for k in counts) == (12, 11, 8, 7, 1, 3, 0, 1)
    assert h1["on_time_rate"] == round(100 * 7 / 12, 1)
    assert h1["deadline"] == "2023-06-19"


@pytest.mark.parametrize(
    ("unit_id", "cell", "label", "fragment"),
    [
        ("944", "'Báo cáo chuyên đề'!G3", "Số lượt HVPN tham dự", "còn trống"),
        ("944", "'Cam kết hằng tháng'!E7", "Số CBCC-NLĐ thực hiện tốt cam kết", "còn trống"),
        ("944", "'Gương điển hình'!E3", "Thành tích nổi bật", "còn trống"),
        ("948", "'Báo cáo chuyên đề'!H3", "Số buổi tuyên truyền miệng", "«mười hai», không phải là số"),
        ("945", "'Báo cáo chuyên đề'!L3", "Số CBCC-NLĐ viết bản cam kết", "15 so với 12"),
    ],
)
def test_findings_name_the_cell_label_and_reason_in_vietnamese(config_path, unit_id, cell, label, fragment):
    found = [f for f in findings_of(check_json(config_path, "--today", SAMPLE_TODAY), unit_id) if f["cell"] == cell]
    assert len(found) == 1
    assert found[0]["field_label"] == label
    assert fragment in found[0]["message"] and cell in found[0]["message"]


def test_medium_rule_is_reported_but_does_not_make_a_report_incomplete(config_path):
    data = check_json(config_path, "--today", SAMPLE_TODAY)
    broken = [f for f in findings_of(data, "951") if f["code"] == "rule_broken"]
    assert [(f["severity"], f["blocking"], f["period_id"]) for f in broken] == [("medium", False, "2023-H1")]
    assert statuses(data)["951"]["topic_report/2023-H1"] == ON


def test_unit_level_problems_are_findings_and_the_run_goes_on(config_path):
    data = check_json(config_path, "--today", SAMPLE_TODAY)
    assert [f["code"] for f in findings_of(data, "946")] == ["no_workbook"]
    missing_tab = [f for f in findings_of(data, "951") if f["code"] == "missing_tab"]
    assert len(missing_tab) == 1 and "«Cam ket thang»" in missing_tab[0]["message"]


def test_vi_style_text_numbers_and_nfd_headers_are_read(config_path):
    data = check_json(config_path, "--today", SAMPLE_TODAY, "--unit", "947")
    h1 = next(r for r in data["reports"] if r["form"] == "topic_report" and r["period"] == "2023-H1")
    assert h1["values"]["members_attended"] == 1250
    assert h1["values"]["welfare_value"] == 12500000
    july = next(r for r in data["reports"] if r["period"] == "2023-M07")
    assert july["values"]["met_rate"] == 91.7
    assert findings_of(data, "947") == []


def test_unit_option_limits_output_to_one_unit(config_path):
    data = check_json(config_path, "--today", SAMPLE_TODAY, "--unit", "944")
    assert {r["unit_id"] for r in data["reports"]} == {"944"}
    assert [u["id"] for u in data["units"]] == ["944"]


def test_unknown_unit_is_a_usage_error(config_path):
    code, output = run_check(config_path, "--unit", "999")
    assert code == 2 and "999" in output


def test_text_output_shows_tables_and_findings(config_path):
    code, output = run_check(config_path, "--today", SAMPLE_TODAY)
    assert code == 0
    assert "946 Hội LHPN huyện Long Phú" in output
    assert "Trễ hạn" in output and "Chưa nộp" in output
    assert "[6 tháng đầu năm 2023] Ô 'Báo cáo chuyên đề'!H3 («Số buổi tuyên truyền miệng») ghi «mười hai»" in output


def test_first_seen_date_is_remembered_across_runs(config_path):
    # First run over old data: 943's H1 report counts from its own report date (27/06, late).
    first = statuses(check_json(config_path, "--today", SAMPLE_TODAY))
    assert first["943"]["topic_report/2023-H1"] == LATE
    # Later runs keep the first-seen date, whatever the sheet's report date says.
    again = check_json(config_path, "--today", "2023-07-21")
    report = next(r for r in again["reports"] if r["unit_id"] == "943" and r["period"] == "2023-H1")
    assert report["submitted_on"] == "2023-06-27"


def copy_samples(tmp_path):
    folder = tmp_path / "workbooks"
    shutil.copytree(REPO / "samples" / "workbooks", folder)
    return folder, write_config(tmp_path, source={"kind": "local", "folder": str(folder)})


def report_of(data: dict, unit_id: str, period: str, form: str = "topic_report") -> tuple[str, str]:
    found = next(r for r in data["reports"] if (r["unit_id"], r["form"], r["period"]) == (unit_id, form, period))
    return found["submitted_on"], found["status"]


def test_report_completed_after_the_unit_was_first_read_counts_from_the_day_it_was_seen(tmp_path):
    folder, config_path = copy_samples(tmp_path)
    workbook = folder / "941-tp-soc-trang.xlsx"
    original = workbook.read_bytes()
    book = openpyxl.load_workbook(workbook)
    sheet = book["Cam kết hằng tháng"]
    july_row = next(c.row for c in sheet["A"] if c.value == "Tháng 7/2023")
    sheet.delete_rows(july_row)
    book.save(workbook)
    first = statuses(check_json(config_path, "--today", "2023-07-01"))["941"]
    assert first["commitment_monthly/2023-M07"] == NYD
    workbook.write_bytes(original)
    # The service was there before the deadline of 18/07 and first saw the report complete on
    # 20/07: late, whatever date the unit typed in the sheet.
    seen = check_json(config_path, "--today", SAMPLE_TODAY)
    assert report_of(seen, "941", "2023-M07", "commitment_monthly") == (SAMPLE_TODAY, LATE)
    # Reports whose deadline had passed when the service first looked count from their own dates.
    assert report_of(seen, "941", "2023-H1") == ("2023-06-16", ON)


def test_a_unit_read_for_the_first_time_later_keeps_its_own_report_dates(tmp_path):
    folder, config_path = copy_samples(tmp_path)
    workbook = folder / "942-chau-thanh.xlsx"
    original = workbook.read_bytes()
    workbook.unlink()
    check_json(config_path, "--today", "2023-07-19")
    check_json(config_path, "--unit", "941", "--today", "2023-07-19")
    workbook.write_bytes(original)
    # 942 is new to the service on 20/07: what was already in its sheet counts from its own dates.
    assert statuses(check_json(config_path, "--today", SAMPLE_TODAY)) == EXPECTED


def test_a_preview_with_a_later_today_does_not_change_what_today_shows(config_path):
    check_json(config_path, "--today", "2023-09-01")
    assert statuses(check_json(config_path, "--today", SAMPLE_TODAY)) == EXPECTED


def test_first_seen_date_is_remembered_across_runs_and_the_earliest_wins(config_path):
    check_json(config_path, "--today", "2023-09-01")  # a preview: 941's H1 first seen "on 01/09"
    assert report_of(check_json(config_path, "--today", SAMPLE_TODAY), "941", "2023-H1") == ("2023-06-16", ON)
    assert report_of(check_json(config_path, "--today", "2023-09-01"), "941", "2023-H1") == ("2023-06-16", ON)
